"""Vendor linkage quality on the real Agora vendors, scored against the PGP-key truth.

1. PGP mode (the default of `dnmobs link`) on the Agora vendor snapshots: every set of handles sharing a
   primary key should be one identity; pairs put together are judged by the keys (right: same key
   component; wrong: both keyed, different components; unknown: a vendor without a readable key).
2. --no-pgp mode: the keys are neither evidence nor input; the same key truth scores precision and recall
   (anchor: Tai, Soska and Christin, KDD 2019, above 75% precision and recall). Two rows: m from the
   priors (nothing learnt from these labels), and m trained on the key pairs of half the key components
   and scored on the other half (2-fold, every evaluable pair scored by a model that never saw it).
3. Cross-market dev analogue: a synthetic second market in vendors-csv, derived at run time from the
   real Agora vendors (movers keeping their key, renamed or not; re-keyed handles; impersonators;
   newcomers; keys in other presentations or in the profile text), ingested and linked with Agora.
   Targets on the held-back real table: >= 98% of cross-market key pairs in one identity, >= 97% precision.

The store is built from ../shared (vendor snapshots, and the listing panel for titles, shipping and
product mix) into a temporary folder, or reused with --store.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _linkdata as ld
from dnmobs.ingest import Options as IngestOptions
from dnmobs.ingest import ingest
from dnmobs.link.model import Options, link_threshold
from dnmobs.link.run import clusters_at, prepare
from dnmobs.store import connect

THRESHOLDS = (0.5, 0.8, 0.9, 0.95, 0.99, 0.999)


def build_store(path: Path, listings: bool) -> None:
    con = connect(path)
    t0 = time.perf_counter()
    rep = ingest(con, [str(ld.VENDORS)], IngestOptions(format="agora-ada-vendors", extract=False))
    print(f"ingest vendor snapshots: {rep.totals['stored']:,} records in {time.perf_counter() - t0:.1f} s")
    if listings:
        t0 = time.perf_counter()
        rep = ingest(con, [str(ld.PANEL)], IngestOptions(format="agora-ada", extract=False))
        print(f"ingest listing panel:    {rep.totals['stored']:,} records in {time.perf_counter() - t0:.1f} s")
    con.close()


def pgp_mode(con, threshold: float | None) -> None:
    threshold = link_threshold(Options(use_pgp=True, threshold=threshold))
    t0 = time.perf_counter()
    prep = prepare(con, Options(use_pgp=True, threshold=threshold))
    clusters = clusters_at(prep, threshold)
    secs = time.perf_counter() - t0
    labels = ld.key_truth(con)
    truth = ld.truth_pairs(labels)
    sets = {}
    for v, lab in labels.items():
        sets.setdefault(lab, []).append(v)
    sets = [s for s in sets.values() if len(s) > 1]
    where = {m: i for i, c in enumerate(clusters) for m in c.members}
    whole = sum(1 for s in sets if len({where[v] for v in s}) == 1)
    m = ld.pair_metrics(ld.cluster_pairs(clusters), truth, labels)
    model_links = sum(1 for c in clusters for e in c.tree if e.basis == "model")
    print(f"\n== PGP mode (threshold {threshold}) on {len(prep.vendors):,} Agora vendors, "
          f"{len(labels):,} with a readable key: {secs:.1f} s")
    print(f"key-sharing sets: {len(sets)}; each in one identity: {whole} of {len(sets)}")
    print(f"links made without a shared key: {model_links}")
    print(ld.fmt(m))
    print(f"training: {prep.scores.training}")
    print("other thresholds for links without a shared key:")
    for t in (0.95, 0.99, 0.999, 0.9999, 0.99999):
        print(f"  threshold {t:<8} " + ld.fmt(ld.pair_metrics(ld.cluster_pairs(clusters_at(prep, t)), truth, labels)))


def no_pgp_mode(con, labels: dict[str, str]) -> None:
    truth = ld.truth_pairs(labels)
    print(f"\n== --no-pgp mode, scored against the key truth ({len(truth)} key pairs)")
    t0 = time.perf_counter()
    prep = prepare(con, Options(use_pgp=False, keep_floor=min(THRESHOLDS)))
    secs = time.perf_counter() - t0
    print(f"m from the priors ({secs:.1f} s):")
    for t in THRESHOLDS:
        print(f"  threshold {t:<6} " + ld.fmt(ld.pair_metrics(ld.cluster_pairs(clusters_at(prep, t)), truth, labels)))
    # 2-fold by key component: train m on one half's pairs, score pairs whose first vendor is in the other
    comps = sorted(set(labels.values()))
    fold_of = {c: i % 2 for i, c in enumerate(comps)}
    per_t = {t: {"right": 0, "wrong": 0, "truth": 0, "unknown": 0} for t in THRESHOLDS}
    for f in (0, 1):
        train = sorted(p for p in truth if fold_of[labels[p[0]]] != f)
        prep = prepare(con, Options(use_pgp=False, keep_floor=min(THRESHOLDS), label_pairs=train))

        def in_fold(a: str, b: str, f=f) -> bool:
            return a in labels and fold_of[labels[a]] == f

        for t in THRESHOLDS:
            m = ld.pair_metrics(ld.cluster_pairs(clusters_at(prep, t)), truth, labels, keep=in_fold)
            for k in per_t[t]:
                per_t[t][k] += m[k]
    print(f"m trained on the other fold's key pairs (2-fold, {prep.scores.training.split(',')[0]} per fold):")
    for t in THRESHOLDS:
        s = per_t[t]
        p = s["right"] / (s["right"] + s["wrong"]) if s["right"] + s["wrong"] else float("nan")
        r = s["right"] / s["truth"] if s["truth"] else float("nan")
        print(f"  threshold {t:<6} right {s['right']:>4} wrong {s['wrong']:>4} | precision {p:.3f} | "
              f"recall {r:.3f} of {s['truth']}")


def cross_market(store: Path, tmp: Path, seed: int, threshold: float | None) -> None:
    threshold = link_threshold(Options(use_pgp=True, threshold=threshold))
    db = tmp / "cross.duckdb"
    shutil.copy(store, db)
    con = connect(db)
    rows, kinds = ld.second_market(ld.agora_vendors(con), seed)
    csv_path = tmp / "market2_vendors.csv"
    ld.write_vendors_csv(csv_path, rows)
    ingest(con, [str(csv_path)], IngestOptions(format="vendors-csv", extract=False))
    t0 = time.perf_counter()
    prep = prepare(con, Options(use_pgp=True, threshold=threshold))
    clusters = clusters_at(prep, threshold)
    secs = time.perf_counter() - t0
    labels = ld.key_truth(con)
    market = dict(con.execute("SELECT vendor_id, market FROM vendors").fetchall())
    truth = ld.truth_pairs(labels)
    pred = ld.cluster_pairs(clusters)

    def across(a: str, b: str) -> bool:
        return market[a] != market[b]

    print(f"\n== cross-market dev analogue (seed {seed}): {len(rows)} synthetic market2 vendors + Agora, "
          f"linked in {secs:.1f} s")
    print("market2 made of: " + ", ".join(f"{v} {k}" for k, v in sorted(kinds.items())))
    print("across markets: " + ld.fmt(ld.pair_metrics(pred, truth, labels, keep=across)))
    print("all pairs:      " + ld.fmt(ld.pair_metrics(pred, truth, labels)))
    con.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", type=Path, help="reuse (or build once into) this store")
    ap.add_argument("--no-listings", action="store_true", help="vendor snapshots only, no listing panel")
    ap.add_argument("--threshold", type=float, default=None,
                    help="model-link threshold in PGP mode (default: dnmobs link's)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--only", choices=["pgp", "no-pgp", "cross"], help="run one part")
    args = ap.parse_args()
    if not ld.VENDORS.is_dir():
        raise SystemExit(f"real data not found: {ld.VENDORS} (it lives in ../shared/data)")
    with tempfile.TemporaryDirectory(prefix="dnmobs-linkq-") as tmpdir:
        tmp = Path(tmpdir)
        store = args.store or tmp / "agora.duckdb"
        if not store.exists():
            build_store(store, listings=not args.no_listings)
        work = tmp / "work.duckdb"
        shutil.copy(store, work)
        con = connect(work)
        if args.only in (None, "pgp", "no-pgp"):
            if args.only != "no-pgp":
                pgp_mode(con, args.threshold)
            else:
                prepare(con, Options(use_pgp=True))  # the keys, for the truth
            if args.only != "pgp":
                no_pgp_mode(con, ld.key_truth(con))
        con.close()
        if args.only in (None, "cross"):
            cross_market(store, tmp, args.seed, args.threshold)


if __name__ == "__main__":
    main()

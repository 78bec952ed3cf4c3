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
import hashlib
import math
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _linkdata as ld
from dnmobs.ingest import Options as IngestOptions
from dnmobs.ingest import ingest
from dnmobs.link import features
from dnmobs.link.model import Options, link_threshold
from dnmobs.link.run import _gamma_levels, clusters_at, prepare, rescore
from dnmobs.store import connect

THRESHOLDS = (0.3, 0.5, 0.8, 0.9, 0.95, 0.99, 0.999, 0.9999)
FOLDS = 5


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
    features.build(con, use_pgp=False)
    print(f"features built in {time.perf_counter() - t0:.1f} s")
    try:
        t0 = time.perf_counter()
        prep = rescore(con, Options(use_pgp=False, keep_floor=min(THRESHOLDS)))
        print(f"m from the priors, as `dnmobs link --no-pgp` runs ({time.perf_counter() - t0:.1f} s):")
        for t in THRESHOLDS:
            mark = "  <- default" if t == link_threshold(Options(use_pgp=False)) else ""
            print(f"  threshold {t:<6} " + ld.fmt(ld.pair_metrics(ld.cluster_pairs(clusters_at(prep, t)), truth,
                                                                 labels)) + mark)
        cross_validated(con, labels, truth)
        ceiling(con, labels, truth)
    finally:
        con.execute("DROP TABLE IF EXISTS _link_input")


def cross_validated(con, labels: dict[str, str], truth: set) -> None:
    """m trained on the key pairs of some folds, threshold chosen on other folds, scored on a fold never seen.

    Folds are made of whole key components (the multi-vendor ones dealt in turn, single-key vendors by a hash,
    so wrong pairs spread over the folds too); a pair belongs to the fold of its first vendor. For each test
    fold f: for every other fold g, a model trained on the folds other than f and g scores g, and the threshold
    with the best F1 summed over those g is chosen; then a model trained on all folds but f scores f at it."""
    comps = sorted({lab for lab in labels.values()})
    sizes = {c: 0 for c in comps}
    for lab in labels.values():
        sizes[lab] += 1
    multi = [c for c in comps if sizes[c] > 1]
    fold = {c: int(hashlib.sha1(c.encode()).hexdigest(), 16) % FOLDS for c in comps}
    fold.update({c: i % FOLDS for i, c in enumerate(multi)})
    models: dict[frozenset, dict[float, dict]] = {}

    def results(excluded: frozenset) -> dict[float, set]:
        """Pairs put together at each threshold by a model trained on the folds not excluded."""
        if excluded not in models:
            train = sorted(p for p in truth if fold[labels[p[0]]] not in excluded)
            prep = rescore(con, Options(use_pgp=False, keep_floor=min(THRESHOLDS), label_pairs=train))
            models[excluded] = {t: ld.cluster_pairs(clusters_at(prep, t)) for t in THRESHOLDS}
            models[excluded]["n_train"] = len(train)
        return models[excluded]

    def metrics(pred: set, g: int) -> dict:
        return ld.pair_metrics(pred, truth, labels, keep=lambda a, b: a in labels and fold[labels[a]] == g)

    t0 = time.perf_counter()
    test = {t: {"right": 0, "wrong": 0, "truth": 0} for t in THRESHOLDS}
    chosen = {"right": 0, "wrong": 0, "truth": 0}
    picks = []
    for f in range(FOLDS):
        val = {t: {"right": 0, "wrong": 0, "truth": 0} for t in THRESHOLDS}
        for g in range(FOLDS):
            if g != f:
                res = results(frozenset((f, g)))
                for t in THRESHOLDS:
                    m = metrics(res[t], g)
                    for k in val[t]:
                        val[t][k] += m[k]
        best = max(THRESHOLDS, key=lambda t: (f1(val[t]), t))
        picks.append(best)
        res = results(frozenset((f,)))
        for t in THRESHOLDS:
            m = metrics(res[t], f)
            for k in test[t]:
                test[t][k] += m[k]
        m = metrics(res[best], f)
        for k in chosen:
            chosen[k] += m[k]
    n_train = sorted({models[frozenset((f,))]["n_train"] for f in range(FOLDS)})
    print(f"m trained on key pairs, {FOLDS}-fold cross-validation by key component ({'-'.join(map(str, n_train))} "
          f"labelled pairs per training set; {len(models)} trainings in {time.perf_counter() - t0:.1f} s), "
          "each pair scored by a model that never saw it:")
    for t in THRESHOLDS:
        print(f"  threshold {t:<6} {fmt_counts(test[t])}")
    print(f"  threshold chosen per test fold on the other folds (best F1): {picks}")
    print(f"  => at the thresholds chosen by validation: {fmt_counts(chosen)}   <- the figure to quote")


def f1(c: dict) -> float:
    p = c["right"] / (c["right"] + c["wrong"]) if c["right"] + c["wrong"] else 0.0
    r = c["right"] / c["truth"] if c["truth"] else 0.0
    return 2 * p * r / (p + r) if p + r else 0.0


def fmt_counts(c: dict) -> str:
    p = c["right"] / (c["right"] + c["wrong"]) if c["right"] + c["wrong"] else float("nan")
    r = c["right"] / c["truth"] if c["truth"] else float("nan")
    return f"right {c['right']:>4} wrong {c['wrong']:>4} | precision {p:.3f} | recall {r:.3f} of {c['truth']} | F1 {f1(c):.3f}"


NON_KEY_EVIDENCE = ("same_contact", "same_handle", "similar_handle", "similar_profile", "similar_titles",
                    "similar_writing")


def ceiling(con, labels: dict[str, str], truth: set) -> None:
    """What the key truth lets any no-key linker reach on this data: which key pairs have evidence at all,
    and how many pairs of vendors with different keys look at least as alike as the key pairs do."""
    prep = rescore(con, Options(use_pgp=False, keep_floor=0.0, label_pairs=sorted(truth)))
    t = prep.scores.pairs
    levels = _gamma_levels(prep.scores.model)
    handle = {v[0]: v[2] for v in prep.vendors}
    scored = {}
    for r in t.select([c for c in t.column_names if c.startswith("gamma_")] +
                      ["unique_id_l", "unique_id_r", "match_weight"]).to_pylist():
        kinds = [levels[c][r[f"gamma_{c}"]][1].kind for c in levels if r[f"gamma_{c}"] in levels[c]]
        scored[tuple(sorted((r["unique_id_l"], r["unique_id_r"])))] = (r["match_weight"], kinds)
    with_evidence = [p for p in truth if p in scored and set(scored[p][1]) & set(NON_KEY_EVIDENCE)]
    print(f"ceiling: of the {len(truth)} key pairs, {sum(p in scored for p in truth)} are candidates at all and "
          f"{len(with_evidence)} show any evidence besides the keys (alike handles, copied or alike titles, "
          "contacts, profiles); the others are accounts with unrelated names and unrelated listings")
    judged = sorted(((w, p in truth) for p, (w, _) in scored.items()
                     if p[0] in labels and p[1] in labels), key=lambda x: -x[0])
    print("  pairs ranked by a model trained on all key pairs (in-sample, so optimistic): to reach a recall of")
    for want in (0.5, 0.6, 0.75):
        need, right, wrong = math.ceil(want * len(truth)), 0, 0
        for _, ok in judged:
            right += ok
            wrong += not ok
            if right >= need:
                break
        if right >= need:
            print(f"    {want:.2f} ({need} key pairs) a linker must also take {wrong} pairs of different keys: "
                  f"precision at most {need / (need + wrong):.2f}")
        else:
            print(f"    {want:.2f} ({need} key pairs): not reachable, only {right} key pairs are candidates")
    print("  the different-key pairs that look most alike (by the key truth wrong; several look like one seller "
          "with two keys or an impersonator):")
    wrong = sorted(((w, p, k) for p, (w, k) in scored.items() if p[0] in labels and p[1] in labels
                    and labels[p[0]] != labels[p[1]]), key=lambda x: -x[0])[:12]
    for w, (a, b), kinds in wrong:
        ev = ", ".join(sorted({k for k in kinds if k}))
        print(f"    weight {w:5.1f}  {handle[a]} / {handle[b]}: {ev}")


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

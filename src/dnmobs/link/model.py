"""Resolution: score candidate vendor pairs with a Splink model, then join vendors into identities.

* Candidates come from blocking (equal handle forms, a shared contact, a shared PGP key, a rare listing
  title, nearest writers of listing titles, an LSH band of the profile MinHash), so the work grows with the number of vendors, not its square. A
  blocking value shared by more than ``max_block`` vendors ('shop', a market's support address) blocks
  nothing: it would make a quadratic block and it identifies no one.
* Weights (Fellegi-Sunter, Splink on DuckDB): u from random pairs of the store's vendors; m from pairs
  of vendors sharing a PGP key when the store has at least ``min_label_pairs`` of them, smoothed toward
  the priors of evidence.py (``prior_strength`` pseudo-pairs), else the priors alone. Splink runs in its
  own in-memory DuckDB, so none of its working tables reach the store.
* Identities: a shared primary fingerprint always links (deterministic, not scored). Other pairs link
  when their match probability reaches the threshold; those links are marked as made without a key. With
  keys in play the bar is overwhelming evidence (PGP_THRESHOLD: posterior odds of 10^5 to 1): a vendor
  who is the same usually shows the same key, and a link the keys cannot confirm should be rare and sure.
  Without keys (--no-pgp) the bar is NO_PGP_THRESHOLD.
  Identities are connected components; each carries the weakest link of its strongest spanning tree.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from dnmobs.link import evidence as ev

log = logging.getLogger(__name__)

SCALAR_BLOCKS = ("h_skel", "h_stem", "h_words")
ARRAY_BLOCKS = ("contacts", "style_pairs", "profile_bands", "rare_titles")
PGP_ARRAY_BLOCKS = ("fprs", "subkeys", "key_emails")
# Without labels, the expected number of other records of the same vendor per record (cross-market
# moves, sister accounts); it sets the prior odds that two random vendors are one (see _prior).
DEFAULT_ALIASES_PER_VENDOR = 0.05
PGP_THRESHOLD = 0.99999
NO_PGP_THRESHOLD = 0.95
MAX_COMPONENT_PAIRS_SIZE = 10


@dataclass
class Options:
    use_pgp: bool = True
    threshold: float | None = None  # match probability at which the model links; None: by mode (below)
    keep_floor: float = 0.5  # pairs scored at least this are kept for `vendors show`
    min_label_pairs: int = 8
    prior_strength: float = 10.0
    max_block: int = 100
    seed: int = 1
    u_max_pairs: float = 1.2e6
    min_vendors_for_u: int = 400  # fewer vendors than this: u stays at its priors
    threads: int | None = None
    label_pairs: list[tuple[str, str]] | None = None  # override: train m on these pairs only (benchmarks)


def link_threshold(opts: Options) -> float:
    if opts.threshold is not None:
        return opts.threshold
    return PGP_THRESHOLD if opts.use_pgp else NO_PGP_THRESHOLD


@dataclass
class Scores:
    pairs: pa.Table  # unique_id_l, unique_id_r, match_probability, match_weight, gamma_*, bf_*, columns
    model: dict
    training: str
    n_label_pairs: int = 0
    notes: list[str] = field(default_factory=list)


def score(con: duckdb.DuckDBPyConnection, opts: Options) -> Scores:
    """Score the candidate pairs of the store's temp table ``_link_input`` (features.build)."""
    table = con.sql("SELECT * FROM _link_input").to_arrow_table()
    sc = duckdb.connect()
    try:
        sc.execute("SET enable_progress_bar = false")
        if opts.threads:
            sc.execute(f"SET threads = {int(opts.threads)}")
        sc.register("_in_arrow", table)
        sc.execute("CREATE TABLE link_input AS SELECT * FROM _in_arrow")
        sc.unregister("_in_arrow")
        _blocking_columns(sc, opts)
        return _run_splink(sc, opts)
    finally:
        sc.close()


def _blocking_columns(sc: duckdb.DuckDBPyConnection, opts: Options) -> None:
    """b_<col>: the column's values shared by 2..max_block vendors (others block nothing). One table rebuild,
    no UPDATEs (updating list columns row by row is slow in DuckDB)."""
    cap = int(opts.max_block)
    arrays = ARRAY_BLOCKS + (PGP_ARRAY_BLOCKS if opts.use_pgp else ())
    scalar = ", ".join(f"CASE WHEN count(*) OVER (PARTITION BY {c}) BETWEEN 2 AND {cap} THEN {c} END AS b_{c}"
                       for c in SCALAR_BLOCKS)
    ctes, joins, cols = [], [], []
    for i, col in enumerate(arrays):
        ctes.append(f"""
            e{i} AS (SELECT unique_id, unnest({col}) AS v FROM link_input WHERE {col} IS NOT NULL),
            k{i} AS (SELECT v FROM e{i} GROUP BY v HAVING count(*) BETWEEN 2 AND {cap}),
            a{i} AS (SELECT e{i}.unique_id, list(DISTINCT e{i}.v) AS b_{col} FROM e{i} JOIN k{i} USING (v)
                     GROUP BY e{i}.unique_id)""")
        joins.append(f"LEFT JOIN a{i} USING (unique_id)")
        cols.append(f"a{i}.b_{col}")
    sc.execute(f"""
        CREATE TABLE link_blocked AS
        WITH {", ".join(ctes)}
        SELECT s.*, {", ".join(cols)}
        FROM (SELECT *, {scalar} FROM link_input) s {" ".join(joins)}
    """)
    sc.execute("DROP TABLE link_input")
    sc.execute("ALTER TABLE link_blocked RENAME TO link_input")


def _settings(opts: Options, prior: float, comparisons: tuple[ev.Comparison, ...]) -> dict:
    from splink import block_on

    rules = [block_on(f"b_{c}") for c in SCALAR_BLOCKS]
    arrays = ARRAY_BLOCKS + (PGP_ARRAY_BLOCKS if opts.use_pgp else ())
    rules += [block_on(f"b_{c}", arrays_to_explode=[f"b_{c}"]) for c in arrays]
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "probability_two_random_records_match": prior,
        "blocking_rules_to_generate_predictions": rules,
        "comparisons": [c.splink() for c in comparisons],
        "retain_matching_columns": True,
        "retain_intermediate_calculation_columns": True,
        "additional_columns_to_retain": ["handle", "market"],
    }


def _run_splink(sc: duckdb.DuckDBPyConnection, opts: Options) -> Scores:
    from splink import DuckDBAPI, Linker

    comparisons = ev.comparisons(opts.use_pgp)
    n = sc.execute("SELECT count(*) FROM link_input").fetchall()[0][0]
    labels = _label_pairs(sc, opts)
    prior = _prior(sc, n, len(labels), opts)
    db = DuckDBAPI(sc)
    df = db.register("link_input")
    notes: list[str] = []
    linker = Linker(df, _settings(opts, prior, comparisons), log_level=logging.WARNING)
    if n >= opts.min_vendors_for_u:
        max_pairs = min(opts.u_max_pairs, n * (n - 1) / 2)
        linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=opts.seed)
    else:
        notes.append(f"{n} vendors: too few to estimate u from random pairs; the priors are used")
    training = "priors"
    if len(labels) >= opts.min_label_pairs:
        sc.register("_labels_arrow", pa.table({"unique_id_l": [a for a, _ in labels],
                                               "unique_id_r": [b for _, b in labels]}))
        sc.execute("CREATE OR REPLACE TABLE link_labels AS SELECT * FROM _labels_arrow")
        sc.unregister("_labels_arrow")
        linker.training.estimate_m_from_pairwise_labels("link_labels")
        model = _smooth_m(linker.misc.save_model_to_json(), sc, comparisons, opts)
        linker = Linker(df, model, log_level=logging.WARNING)
        training = (f"m from {len(labels)} labelled vendor pairs" if opts.label_pairs is not None else
                    f"m from {len(labels)} vendor pairs sharing a PGP key") + ", smoothed toward the priors"
    elif opts.use_pgp:
        notes.append(f"{len(labels)} vendor pairs share a PGP key: too few to train m; the priors are used")
    model = linker.misc.save_model_to_json()
    pred = linker.inference.predict(threshold_match_probability=opts.keep_floor)
    pairs = pred.as_duckdbpyrelation().to_arrow_table() if hasattr(pred, "as_duckdbpyrelation") else \
        sc.sql(f"SELECT * FROM {pred.physical_name}").to_arrow_table()
    return Scores(pairs=pairs, model=model, training=training, n_label_pairs=len(labels), notes=notes)


def _label_pairs(sc: duckdb.DuckDBPyConnection, opts: Options) -> list[tuple[str, str]]:
    if opts.label_pairs is not None:
        return list(opts.label_pairs)
    if not opts.use_pgp:
        return []
    # every pair of a small component; a large one gives a star (its first vendor with each other), so
    # that one big group cannot outweigh all the others
    return sc.execute(f"""
        WITH c AS (SELECT unique_id, key_label, count(*) OVER (PARTITION BY key_label) AS size,
                          min(unique_id) OVER (PARTITION BY key_label) AS first
                   FROM link_input WHERE key_label IS NOT NULL)
        SELECT a.unique_id, b.unique_id FROM c a JOIN c b
        ON a.key_label = b.key_label AND a.unique_id < b.unique_id
        WHERE a.size <= {MAX_COMPONENT_PAIRS_SIZE} OR a.unique_id = a.first
    """).fetchall()


def _prior(sc: duckdb.DuckDBPyConnection, n: int, n_labels: int, opts: Options) -> float:
    """Prior probability that two random vendors are one: expected alias pairs over all pairs.

    With keys, the share of keyed vendors' pairs that share a key, (a lower bound: some aliases
    changed keys), else DEFAULT_ALIASES_PER_VENDOR aliases per vendor.
    """
    if n < 2:
        return 0.5
    keyed, key_pairs = sc.execute("""
        SELECT (SELECT count(*) FROM link_input WHERE fprs IS NOT NULL),
               (SELECT coalesce(sum(k * (k - 1) / 2), 0) FROM (SELECT count(*) AS k FROM link_input
                                                            WHERE key_label IS NOT NULL GROUP BY key_label))
    """).fetchall()[0] if opts.use_pgp else (0, 0)
    if opts.use_pgp and n_labels >= opts.min_label_pairs and keyed >= 2:
        p = float(key_pairs) / (keyed * (keyed - 1) / 2)
    else:
        p = DEFAULT_ALIASES_PER_VENDOR * n / (n * (n - 1) / 2)
    return min(0.5, max(p, 1e-9))


def _smooth_m(model: dict, sc: duckdb.DuckDBPyConnection, comparisons: tuple[ev.Comparison, ...],
              opts: Options) -> dict:
    """m = (k * m_labels + a * m_prior) / (k + a): k labelled pairs where the comparison is not missing."""
    by_name = {c.name: c for c in comparisons}
    for comp in model["comparisons"]:
        spec = by_name[comp["output_column_name"]]
        col = spec.columns[0]  # every comparison is missing exactly when its first column is
        cond = f"l.{col} IS NULL OR r.{col} IS NULL"
        k = sc.execute(f"""
            SELECT count(*) FROM link_labels p
            JOIN link_input l ON l.unique_id = p.unique_id_l JOIN link_input r ON r.unique_id = p.unique_id_r
            WHERE NOT ({cond})
        """).fetchall()[0][0]
        levels = [lv for lv in comp["comparison_levels"] if not lv.get("is_null_level")]
        for lv, prior in zip(levels, spec.levels, strict=True):
            if lv.get("fix_m_probability"):
                lv["m_probability"] = prior.m
                continue
            est = lv.get("m_probability")
            if est is None or (isinstance(est, float) and math.isnan(est)) or k == 0:
                lv["m_probability"] = prior.m
            else:
                lv["m_probability"] = (k * est + opts.prior_strength * prior.m) / (k + opts.prior_strength)
        total = sum(lv["m_probability"] for lv in levels)
        for lv in levels:
            lv["m_probability"] /= total
    return model

"""`dnmobs link`: parse keys, build features, score pairs, form identities, write them with their evidence.

Every vendor in the store ends up a member of exactly one identity (singletons included); the identity
tables are rewritten by each run, and link_runs keeps one row per run with the trained model.
"""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field

import duckdb
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from dnmobs.link import evidence as ev
from dnmobs.link import features, keys
from dnmobs.link.model import Options, Scores, link_threshold, score

MAX_EVIDENCE_PER_IDENTITY = 500
# VETO: two vendors who both show keys, none shared, are not linked on names and texts alone, however alike:
# handles and profiles are what an impersonator copies, the key is what he cannot. Only a shared contact
# handle (or a shared subkey or user-id email, levels above 'different keys') overrides the keys.


@dataclass
class LinkReport:
    run_id: int
    use_pgp: bool
    vendors: int
    identities: int
    multi_member_identities: int
    key_links: int  # vendor pairs joined through a shared primary key (spanning edges)
    model_links: int  # joined by the model without a shared primary key (spanning edges)
    threshold: float
    training: str
    seconds: float
    keys: dict = field(default_factory=dict)
    features: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return asdict(self)


@dataclass
class Edge:
    a: str
    b: str
    p: float  # match probability; 1 for key links
    basis: str  # 'key' or 'model'
    evidence: list[tuple[str, str, float | None]]  # (kind, detail, match_weight)


@dataclass
class Prepared:
    """Everything a linkage needs before a threshold is chosen: scored pairs and key links."""

    vendors: list[tuple]  # (vendor_id, market, handle, first_seen, last_seen, n_snapshots, fingerprints)
    key_edges: list[Edge]
    scores: Scores
    key_stats: keys.KeyRefresh | None
    feature_stats: features.FeatureStats


def prepare(con: duckdb.DuckDBPyConnection, opts: Options) -> Prepared:
    key_stats = keys.refresh(con) if opts.use_pgp else None
    feat = features.build(con, opts.use_pgp)
    try:
        return rescore(con, opts, key_stats, feat)
    finally:
        con.execute("DROP TABLE IF EXISTS _link_input")


def rescore(con: duckdb.DuckDBPyConnection, opts: Options, key_stats: keys.KeyRefresh | None = None,
            feat: features.FeatureStats | None = None) -> Prepared:
    """Score the features already built in ``_link_input`` (features.build), leaving them in place: a
    benchmark builds them once and trains and scores many times (cross-validation)."""
    feat = feat or features.FeatureStats(vendors=con.execute("SELECT count(*) FROM _link_input").fetchall()[0][0])
    scores = score(con, opts) if feat.vendors > 1 else Scores(pa.table({}), {}, "nothing to link")
    kedges = key_edges(con) if opts.use_pgp else []
    vendors = con.execute("""
        SELECT i.unique_id, i.market, i.handle, i.first_seen, i.last_seen, coalesce(s.n, 0), i.fprs
        FROM _link_input i LEFT JOIN (SELECT vendor_id, count(*) AS n FROM vendor_snapshots GROUP BY 1) s
        ON s.vendor_id = i.unique_id
    """).fetchall()
    return Prepared(vendors, kedges, scores, key_stats, feat)


def clusters_at(prep: Prepared, threshold: float) -> list[Cluster]:
    return resolve(prep.vendors, prep.key_edges + model_edges(prep.scores, threshold))


def link(con: duckdb.DuckDBPyConnection, opts: Options | None = None) -> LinkReport:
    opts = opts or Options()
    t0 = time.perf_counter()
    prep = prepare(con, opts)
    threshold = link_threshold(opts)
    clusters = clusters_at(prep, threshold)
    seconds = time.perf_counter() - t0
    run_id = _write(con, prep.vendors, clusters, prep.scores, opts, threshold, seconds)
    multi = [c for c in clusters if len(c.members) > 1]
    report = LinkReport(
        run_id=run_id, use_pgp=opts.use_pgp, vendors=len(prep.vendors), identities=len(clusters),
        multi_member_identities=len(multi),
        key_links=sum(1 for c in clusters for e in c.tree if e.basis == "key"),
        model_links=sum(1 for c in clusters for e in c.tree if e.basis == "model"),
        threshold=threshold, training=prep.scores.training, seconds=round(time.perf_counter() - t0, 2),
        keys=asdict(prep.key_stats) if prep.key_stats else {}, features=asdict(prep.feature_stats),
        notes=prep.scores.notes)
    con.execute("UPDATE link_runs SET seconds = ? WHERE run_id = ?", [report.seconds, run_id])
    return report


def key_edges(con: duckdb.DuckDBPyConnection) -> list[Edge]:
    """Vendors showing the same primary key: a star per fingerprint (enough to connect them)."""
    rows = con.execute("""
        SELECT fpr, list(DISTINCT unique_id ORDER BY unique_id) FROM (
            SELECT unique_id, unnest(fprs) AS fpr FROM _link_input WHERE fprs IS NOT NULL)
        GROUP BY fpr HAVING count(DISTINCT unique_id) > 1 ORDER BY fpr
    """).fetchall()
    out = []
    for fpr, members in rows:
        for other in members[1:]:
            out.append(Edge(members[0], other, 1.0, "key", [("same_primary_fingerprint", fpr, None)]))
    return out


def model_edges(scores: Scores, threshold: float) -> list[Edge]:
    """Pairs the model links, with the evidence each comparison contributed (positive weights only)."""
    t = scores.pairs
    if t.num_rows == 0:
        return []
    levels = _gamma_levels(scores.model)
    detail_cols = {f"{c}_{side}" for comp, _ in (next(iter(v.values())) for v in levels.values())
                   for c in comp.detail_columns for side in "lr"}
    keep = [c for c in t.column_names if c in detail_cols or c.startswith(("gamma_", "mw_"))
            or c in ("unique_id_l", "unique_id_r", "match_probability", "handle_l", "handle_r")]
    rows = t.select(keep).filter(pc.greater_equal(t["match_probability"], threshold)).to_pylist()
    out = []
    for r in rows:
        kinds = {comp: levels[comp][r[f"gamma_{comp}"]][1].kind for comp in levels
                 if r.get(f"gamma_{comp}") is not None and r[f"gamma_{comp}"] in levels[comp]}
        if kinds.get("pgp") == "same_primary_fingerprint":
            continue  # linked by the key already
        if kinds.get("pgp") == "different_keys" and kinds.get("contact") != "same_contact":
            continue  # see VETO
        found = []
        for comp_name, by_gamma in levels.items():
            g = r.get(f"gamma_{comp_name}")
            if g is None or g < 0 or g not in by_gamma:
                continue
            comp, level = by_gamma[g]
            mw = r.get(f"mw_{comp_name}")
            if level.kind is None or mw is None or mw <= 0:
                continue
            left = {c: r.get(f"{c}_l") for c in comp.detail_columns}
            right = {c: r.get(f"{c}_r") for c in comp.detail_columns}
            if comp.name == "handle":
                left, right = {"handle": r.get("handle_l")}, {"handle": r.get("handle_r")}
            found.append((level.kind, ev.detail(comp, level, left, right), round(float(mw), 3)))
        a, b = sorted((r["unique_id_l"], r["unique_id_r"]))
        out.append(Edge(a, b, float(r["match_probability"]), "model", found))
    return out


def _gamma_levels(model: dict) -> dict[str, dict[int, tuple[ev.Comparison, ev.Level]]]:
    """Splink numbers a comparison's levels (null level aside) from n-1 (most alike) down to 0."""
    out = {}
    for comp in model["comparisons"]:
        spec = ev.by_name(comp["output_column_name"])
        n = len(spec.levels)
        out[spec.name] = {n - 1 - i: (spec, lv) for i, lv in enumerate(spec.levels)}
    return out


@dataclass
class Cluster:
    members: list[str]
    score: float
    tree: list[Edge]  # the strongest spanning tree's edges
    extra: list[Edge]  # other linking edges inside the cluster


def resolve(vendors: list[tuple], edges: list[Edge]) -> list[Cluster]:
    """Connected components, built strongest edge first (Kruskal), so each cluster's score is the weakest
    edge its strongest spanning tree needs; key edges (p = 1) come first.

    Keys constrain the components: a model edge never joins two groups that both hold keys and share none
    (the VETO at group level: otherwise two vendors with different keys could be chained together through
    an unkeyed look-alike), unless the edge itself rests on a shared contact handle.
    """
    parent = {v[0]: v[0] for v in vendors}
    keys: dict[str, frozenset] = {v[0]: frozenset(v[6] or ()) for v in vendors if len(v) > 6 and v[6]}

    def find(x: str) -> str:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    tree: list[Edge] = []
    extra: list[Edge] = []
    for e in sorted(edges, key=lambda e: (-e.p, e.basis != "key", e.a, e.b)):
        if e.a not in parent or e.b not in parent:
            continue
        ra, rb = find(e.a), find(e.b)
        if ra == rb:
            extra.append(e)
            continue
        ka, kb = keys.get(ra), keys.get(rb)
        if e.basis == "model" and ka and kb and not ka & kb and not any(k == "same_contact" for k, _, _ in e.evidence):
            continue
        root, other = min(ra, rb), max(ra, rb)
        parent[other] = root
        if ka or kb:
            keys[root] = (ka or frozenset()) | (kb or frozenset())
        tree.append(e)
    groups: dict[str, list[str]] = defaultdict(list)
    for v in parent:
        groups[find(v)].append(v)
    t_by: dict[str, list[Edge]] = defaultdict(list)
    x_by: dict[str, list[Edge]] = defaultdict(list)
    for e in tree:
        t_by[find(e.a)].append(e)
    for e in extra:
        x_by[find(e.a)].append(e)
    out = []
    for root, members in groups.items():
        t = t_by.get(root, [])
        out.append(Cluster(sorted(members), min((e.p for e in t), default=1.0), t, x_by.get(root, [])))
    out.sort(key=lambda c: c.members[0])
    return out


def identity_id(members: list[str]) -> str:
    return "id-" + hashlib.sha256(min(members).encode()).hexdigest()[:12]


def _write(con: duckdb.DuckDBPyConnection, vendors: list[tuple], clusters: list[Cluster], scores: Scores,
           opts: Options, threshold: float, seconds: float) -> int:
    info = {v[0]: v for v in vendors}
    ident = {name: [] for name in _IDENT.names if name != "run_id"}
    member = {name: [] for name in _MEMBER.names}
    evid = {name: [] for name in _EVIDENCE.names}
    for c in clusters:
        iid = identity_id(c.members)
        ms = [info[m] for m in c.members]
        label = max(ms, key=lambda v: (v[5] or 0, v[2]))[2] if len(ms) > 1 else ms[0][2]
        firsts = [v[3] for v in ms if v[3] is not None]
        lasts = [v[4] for v in ms if v[4] is not None]
        for k, val in (("identity_id", iid), ("label", label), ("n_members", len(ms)),
                       ("n_markets", len({v[1] for v in ms})), ("score", round(c.score, 6)),
                       ("key_linked", len(ms) > 1 and all(e.basis == "key" for e in c.tree)),
                       ("n_unkeyed_links", sum(1 for e in c.tree if e.basis == "model")),
                       ("first_seen", min(firsts) if firsts else None), ("last_seen", max(lasts) if lasts else None)):
            ident[k].append(val)
        for v in ms:
            member["identity_id"].append(iid)
            member["vendor_id"].append(v[0])
            member["market"].append(v[1])
            member["handle"].append(v[2])
        n = 0
        for e in c.tree + c.extra:
            for kind, detail, weight in e.evidence:
                if n >= MAX_EVIDENCE_PER_IDENTITY:
                    break
                for k, val in (("identity_id", iid), ("vendor_id_l", e.a), ("vendor_id_r", e.b), ("basis", e.basis),
                               ("kind", kind), ("detail", detail), ("match_weight", weight),
                               ("match_probability", round(e.p, 6))):
                    evid[k].append(val)
                n += 1
    con.execute("BEGIN TRANSACTION")
    try:
        run_id = con.execute("""
            INSERT INTO link_runs (seconds, use_pgp, n_vendors, n_identities, n_key_links, n_model_links,
                                   threshold, training, model)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING run_id
        """, [seconds, opts.use_pgp, len(vendors), len(clusters),
              sum(1 for c in clusters for e in c.tree if e.basis == "key"),
              sum(1 for c in clusters for e in c.tree if e.basis == "model"),
              threshold, scores.training, orjson.dumps(scores.model).decode()]).fetchall()[0][0]
        for t in ("identity_evidence", "identity_members", "identities"):
            con.execute(f"DELETE FROM {t}")
        ident["run_id"] = [run_id] * len(clusters)
        _insert(con, "identities", ident, _IDENT)
        _insert(con, "identity_members", member, _MEMBER)
        _insert(con, "identity_evidence", evid, _EVIDENCE)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return int(run_id)


_IDENT = pa.schema([("identity_id", pa.string()), ("run_id", pa.int64()), ("label", pa.string()),
                    ("n_members", pa.int32()), ("n_markets", pa.int32()), ("score", pa.float64()),
                    ("key_linked", pa.bool_()), ("n_unkeyed_links", pa.int32()), ("first_seen", pa.date32()),
                    ("last_seen", pa.date32())])
_MEMBER = pa.schema([("identity_id", pa.string()), ("vendor_id", pa.string()), ("market", pa.string()),
                     ("handle", pa.string())])
_EVIDENCE = pa.schema([("identity_id", pa.string()), ("vendor_id_l", pa.string()), ("vendor_id_r", pa.string()),
                       ("basis", pa.string()), ("kind", pa.string()), ("detail", pa.string()),
                       ("match_weight", pa.float64()), ("match_probability", pa.float64())])


def _insert(con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, list], schema: pa.Schema) -> None:
    if not next(iter(columns.values())):
        return
    view = f"_{table}_arrow"
    con.register(view, pa.table({f.name: pa.array(columns[f.name], f.type) for f in schema}, schema=schema))
    try:
        cols = ", ".join(schema.names)
        con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {view}")
    finally:
        con.unregister(view)

"""Reposts: the same ad posted again and again, in one chat or across many, grouped as one.

Texts are normalised (case, punctuation, runs of spaces) in DuckDB; identical texts collapse there, so
the Python side sees each distinct text once (a study of 2.5 M ads found about 55,000 distinct ones).
Distinct texts of at least ``MIN_CHARS`` are then compared by MinHash LSH (datasketch) over word
pairs: a text whose estimated Jaccard similarity to a group's first text reaches ``THRESHOLD`` (a
changed price, emoji, a date) joins that group. Each message's ``repost_group`` is the id of the group's first
post (earliest date, then id); a message alike to no other is its own group. Posts that give no text
(media only) and posts that gave no offer (chatter, notices) are never grouped.

Counts then come two ways: posts (messages with offers) and unique ads (their distinct groups).
Every run regroups the whole store, since a new post can join two old groups into one.
"""

from __future__ import annotations

import itertools
import zlib
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
from datasketch import MinHash, MinHashLSH

from dnmobs.store import release_buffers

MIN_CHARS = 40
THRESHOLD = 0.7
NUM_PERM = 64  # enough to tell 0.7 from unrelated texts; each representative costs ~1 KB in the index
SHINGLE = 5
MAX_CHARS = 4000  # of a normalised text used for its signature: ads are short, chat logs pasted in are not
_CHUNK = 10_000  # distinct texts signed at a time
_PAIRS_BATCH = 8192  # (text, representative) candidates checked at a time
_UPDATE_BATCH = 100_000  # messages whose group changed, written per transaction
# odd multipliers: a band's values to a 64-bit digest (equal bands, equal digests; the rare equal digest of
# unequal bands is caught by comparing the bands)
_MIX = np.random.default_rng(7).integers(1, 2**63, size=NUM_PERM, dtype=np.uint64) | np.uint64(1)
_RMAP = pa.schema([("h", pa.string()), ("root_h", pa.string())])

# lower case, every run of non-letters-or-digits one space; RE2 in DuckDB, linear time
NORM_SQL = ("trim(regexp_replace(lower(coalesce(offer_text, text, '')), '[^[:alnum:]\\p{L}\\p{N}]+', ' ', 'g'))")


def shingles(text: str) -> set[bytes]:
    """Word pairs of a normalised text (character 5-grams for texts of few words): few enough per text to
    hash quickly, and a changed price or emoji changes only the pairs it is in."""
    words = text[:MAX_CHARS].split()
    if len(words) >= 8:
        return {f"{a} {b}".encode() for a, b in itertools.pairwise(words)}
    t = " ".join(words)
    if len(t) <= SHINGLE:
        return {t.encode()}
    return {t[i:i + SHINGLE].encode() for i in range(len(t) - SHINGLE + 1)}


class _Clusters:
    """Near-duplicate clustering fed a chunk at a time (see ``near_duplicate_clusters``).

    Only the first text of each cluster (its representative) is indexed: a text alike to a
    representative joins its cluster, any other text starts one. The index is datasketch's MinHash LSH
    banding (its bands and rows for the threshold), kept in DuckDB tables and looked up a chunk at a time
    by a join: Python holds one chunk's signatures whatever the number of clusters (datasketch's own
    index, in Python, took about 1.6 KB a representative: 400 MB for the ads of a 1 GB export).
    Candidates are the representatives with a band equal to the text's, as datasketch's ``query`` gives
    them (a band's digest finds them, the band itself is compared), checked by the share of equal
    signature values; of several alike, the smallest key wins. Queries meet few candidates even when
    thousands of posts repeat one ad, so the cost is linear in the number of texts. The price: a text is
    compared with representatives only, not with every member.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, threshold: float = THRESHOLD):
        self.threshold = threshold
        self.con = con
        self.ranges = MinHashLSH(threshold=threshold, num_perm=NUM_PERM).hashranges
        self.n_reps = 0
        con.execute("CREATE OR REPLACE TEMP TABLE _rreps (rid INTEGER, key VARCHAR, sig BLOB)")
        con.execute("CREATE OR REPLACE TEMP TABLE _rbands (band UTINYINT, bh UBIGINT, rid INTEGER)")

    def close(self) -> None:
        for t in ("_rreps", "_rbands", "_rcand"):
            self.con.execute(f"DROP TABLE IF EXISTS {t}")

    def _band_digests(self, sigs: np.ndarray) -> np.ndarray:
        """(texts, bands) 64-bit digests of each band's values (equal bands, equal digests)."""
        out = np.empty((len(sigs), len(self.ranges)), dtype=np.uint64)
        with np.errstate(over="ignore"):  # arithmetic modulo 2**64
            for b, (s, e) in enumerate(self.ranges):
                out[:, b] = (sigs[:, s:e].astype(np.uint64) * _MIX[: e - s]).sum(axis=1, dtype=np.uint64)
        return out

    def add(self, keys: list[str], texts: list[str]) -> list[str]:
        """The representative's key for each text (its own key when it starts a cluster)."""
        # crc32 is a stable hash computed in C: the default (SHA-1 in Python) costs most of the time here
        sigs = np.stack([m.hashvalues for m in MinHash.bulk([shingles(t) for t in texts], num_perm=NUM_PERM,
                                                             hashfunc=zlib.crc32)])
        # MinHash values are below 2**32 (datasketch's _max_hash): stored at half the width, unchanged
        assert int(sigs.max()) <= 0xFFFFFFFF
        sigs = sigs.astype(np.uint32)
        digests = self._band_digests(sigs)
        n, nb = digests.shape
        best: list[str | None] = [None] * n
        # representatives of earlier chunks with a band of the same digest; their band compared here
        self.con.register("_rq", pa.table({"i": np.repeat(np.arange(n, dtype=np.int32), nb),
                                           "band": np.tile(np.arange(nb, dtype=np.uint8), n),
                                           "bh": digests.reshape(-1)}))
        try:
            # materialised first: a known small count, so the join with the representatives hashes the pairs
            self.con.execute("CREATE OR REPLACE TEMP TABLE _rcand AS SELECT DISTINCT q.i, q.band, b.rid "
                             "FROM _rq q JOIN _rbands b ON b.band = q.band AND b.bh = q.bh")
        finally:
            self.con.unregister("_rq")
        found = self.con.sql("SELECT c.i, c.band, r.key, r.sig FROM _rcand c JOIN _rreps r ON r.rid = c.rid"
                             ).to_arrow_reader(_PAIRS_BATCH)
        for rb in found:
            idx = rb.column("i").to_numpy()
            bands = rb.column("band").to_numpy()
            rep = np.frombuffer(b"".join(rb.column("sig").to_pylist()), dtype=np.uint32).reshape(len(idx), -1)
            mine = sigs[idx]
            alike = (rep == mine).mean(axis=1) >= self.threshold
            for row, (i, band, key) in enumerate(zip(idx.tolist(), bands.tolist(), rb.column("key").to_pylist(),
                                                     strict=True)):
                if not alike[row] or (best[i] is not None and key >= best[i]):
                    continue
                s, e = self.ranges[band]
                if np.array_equal(rep[row, s:e], mine[row, s:e]):  # the band itself, not only its digest
                    best[i] = key
        # then the chunk's own representatives, in order, through a chunk-sized index
        local: list[dict[int, list[int]]] = [{} for _ in range(nb)]
        new: list[int] = []
        for i, key in enumerate(keys):
            b = best[i]
            for band in range(nb):
                s, e = self.ranges[band]
                for j in local[band].get(int(digests[i, band]), ()):
                    if ((b is None or keys[j] < b) and np.array_equal(sigs[j, s:e], sigs[i, s:e])
                            and (sigs[j] == sigs[i]).mean() >= self.threshold):
                        b = keys[j]
            if b is None:
                b = key
                new.append(i)
                for band in range(nb):
                    local[band].setdefault(int(digests[i, band]), []).append(i)
            best[i] = b
        if new:
            rids = np.arange(self.n_reps, self.n_reps + len(new), dtype=np.int32)
            self.n_reps += len(new)
            self.con.register("_rnew", pa.table({"rid": rids, "key": pa.array([keys[i] for i in new], pa.string()),
                                                 "sig": pa.array([sigs[i].tobytes() for i in new], pa.binary())}))
            self.con.register("_rnewb", pa.table({"band": np.tile(np.arange(nb, dtype=np.uint8), len(new)),
                                                  "bh": digests[new].reshape(-1),
                                                  "rid": np.repeat(rids, nb)}))
            try:
                self.con.execute("INSERT INTO _rreps SELECT * FROM _rnew")
                self.con.execute("INSERT INTO _rbands SELECT * FROM _rnewb")
            finally:
                self.con.unregister("_rnew")
                self.con.unregister("_rnewb")
        return best  # type: ignore[return-value]


def near_duplicate_clusters(texts: list[str], threshold: float = THRESHOLD) -> list[int]:
    """For each text, the index of the first text of its cluster."""
    if not texts:
        return []
    width = len(str(len(texts)))  # keys as zero-padded strings: their order is the texts' order
    con = duckdb.connect()
    try:
        roots = _Clusters(con, threshold).add([f"{i:0{width}d}" for i in range(len(texts))], texts)
    finally:
        con.close()
    return [int(r) for r in roots]


def group_reposts(con: duckdb.DuckDBPyConnection) -> int:
    """Assign every message its repost group; returns the number of groups with more than one post."""
    # ads only: posts with offers, or not yet extracted; chatter stays ungrouped
    ads = f"""SELECT message_id, date, {NORM_SQL} AS norm FROM messages
              WHERE kind = 'message' AND coalesce(n_offers, 1) > 0"""
    # one row per distinct text, with its first post; the texts long enough to sign, in order of their
    # first posts (stored in that order, so a range of them is read without scanning the rest). The
    # scratch tables hold each distinct text once and a message only its text's digest: the texts are
    # normalised twice (a second pass costs less than keeping every message's text)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _rdistinct AS
        SELECT md5(norm) AS h, norm,
               arg_min(message_id, (coalesce(date, TIMESTAMP '9999-12-31'), message_id)) AS first_id,
               min((coalesce(date, TIMESTAMP '9999-12-31'), message_id)) AS first_key
        FROM ({ads}) WHERE norm <> '' GROUP BY norm
    """)
    release_buffers(con)  # temp tables stay in memory while the limit allows: to disk, as they are made
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _rorder AS
                    SELECT h, norm, row_number() OVER (ORDER BY first_key) AS rn FROM _rdistinct
                    WHERE length(norm) >= {MIN_CHARS} ORDER BY rn""")
    con.execute("ALTER TABLE _rdistinct DROP COLUMN norm")
    release_buffers(con)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _rnorm AS SELECT message_id, md5(norm) AS h FROM ({ads}) "
                f"WHERE norm <> ''")
    release_buffers(con)
    # distinct texts in order of their first post, a chunk at a time: the signatures of a chunk stay in
    # memory, the representatives' index in DuckDB; each chunk's (text, root) pairs go to DuckDB
    con.execute("CREATE OR REPLACE TEMP TABLE _rmap (h VARCHAR, root_h VARCHAR)")
    clusters = _Clusters(con)
    try:
        for start in itertools.count(1, _CHUNK):
            chunk = con.execute("SELECT h, norm FROM _rorder WHERE rn >= ? AND rn < ? ORDER BY rn",
                                [start, start + _CHUNK]).fetchall()
            if not chunk:
                break
            roots = clusters.add([r[0] for r in chunk], [r[1] for r in chunk])
            pairs = [(r[0], root) for r, root in zip(chunk, roots, strict=True) if root != r[0]]
            if pairs:  # through Arrow: executemany costs about half a millisecond a row
                con.register("_rmap_in", pa.table({"h": [p[0] for p in pairs], "root_h": [p[1] for p in pairs]},
                                                  schema=_RMAP))
                con.execute("INSERT INTO _rmap SELECT * FROM _rmap_in")
                con.unregister("_rmap_in")
            # the scratch tables (every distinct text, the index) grow with the store: to disk with them
            release_buffers(con)
    finally:
        clusters.close()
    con.execute("DROP TABLE _rorder")
    # the group of a text is the first post of its root text (texts were ordered by first post); a message
    # without an ad's text is its own group. Only the changed ones are written, a slice per transaction:
    # DuckDB holds a transaction's updates in memory, and keeps the blocks it wrote until a checkpoint
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _rgroups AS
        SELECT * FROM (SELECT m.message_id, m.repost_group, coalesce(r.first_id, m.message_id) AS grp
                       FROM messages m
                       LEFT JOIN _rnorm n ON n.message_id = m.message_id
                       LEFT JOIN _rmap mp ON mp.h = n.h
                       LEFT JOIN _rdistinct r ON r.h = coalesce(mp.root_h, n.h))
        WHERE repost_group IS DISTINCT FROM grp
    """)
    for t in ("_rnorm", "_rdistinct", "_rmap"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    release_buffers(con)
    changed = con.execute("SELECT count(*) FROM _rgroups").fetchall()[0][0]
    for start in range(0, changed, _UPDATE_BATCH):
        con.execute("UPDATE messages SET repost_group = g.grp FROM (SELECT message_id, grp FROM _rgroups "
                    "WHERE rowid >= ? AND rowid < ?) g WHERE messages.message_id = g.message_id",
                    [start, start + _UPDATE_BATCH])
        con.execute("CHECKPOINT")
        release_buffers(con)
    con.execute("DROP TABLE _rgroups")
    return con.execute("SELECT count(*) FROM (SELECT repost_group FROM messages GROUP BY repost_group "
                       "HAVING count(*) > 1)").fetchall()[0][0]


@dataclass(frozen=True)
class AdCounts:
    market: str | None  # None: all markets together
    posts: int  # messages that gave at least one offer
    unique_ads: int  # their distinct repost groups
    offers: int  # offers from all posts
    unique_offers: int  # offers of one post per group (the group's first that has offers)


def ad_counts(con: duckdb.DuckDBPyConnection, market: str | None = None) -> list[AdCounts]:
    """Posts and unique ads per messenger market, then over all of them together (market None)."""
    where = "WHERE n_offers > 0" + (" AND market = ?" if market else "")
    params = [market.lower()] if market else []
    first = "(coalesce(date, TIMESTAMP '9999-12-31'), message_id)"
    rows = con.execute(f"""
        WITH p AS (SELECT market, message_id, coalesce(repost_group, message_id) AS grp, n_offers, date
                   FROM messages {where}),
             per_market AS (SELECT market, grp, arg_min(n_offers, {first}) AS n FROM p GROUP BY market, grp),
             overall AS (SELECT grp, arg_min(n_offers, {first}) AS n FROM p GROUP BY grp)
        SELECT * FROM (
            SELECT market, count(*), count(DISTINCT grp), sum(n_offers),
                   (SELECT sum(n) FROM per_market f WHERE f.market = p.market)
            FROM p GROUP BY market ORDER BY market)
        UNION ALL
        SELECT NULL, count(*), count(DISTINCT grp), coalesce(sum(n_offers), 0),
               (SELECT coalesce(sum(n), 0) FROM overall) FROM p
    """, params).fetchall()
    return [AdCounts(m, int(p), int(u), int(o or 0), int(uo or 0)) for m, p, u, o, uo in rows]

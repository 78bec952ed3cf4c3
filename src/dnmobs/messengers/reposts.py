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

import gc
import itertools
import zlib
from dataclasses import dataclass

import duckdb
import pyarrow as pa
from datasketch import MinHash, MinHashLSH

MIN_CHARS = 40
THRESHOLD = 0.7
NUM_PERM = 64  # enough to tell 0.7 from unrelated texts; each representative costs ~1 KB in the index
SHINGLE = 5
MAX_CHARS = 4000  # of a normalised text used for its signature: ads are short, chat logs pasted in are not
_CHUNK = 10_000  # distinct texts signed at a time
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

    Only the first text of each cluster (its representative) goes into the LSH index, with its signature
    kept as a bare array to check candidates: a text alike to a representative joins its cluster, any
    other text starts one. Queries meet few candidates even when thousands of posts repeat one ad, so
    the cost is linear in the number of texts, and memory follows the number of clusters, not of texts.
    The price: a text is compared with representatives only, not with every member.
    """

    def __init__(self, threshold: float = THRESHOLD):
        self.threshold = threshold
        self.lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self.reps: dict = {}  # key -> signature values (numpy array)

    def add(self, keys: list, texts: list[str]) -> list:
        """The representative's key for each text (its own key when it starts a cluster)."""
        # crc32 is a stable hash computed in C: the default (SHA-1 in Python) costs most of the time here
        sigs = MinHash.bulk([shingles(t) for t in texts], num_perm=NUM_PERM, hashfunc=zlib.crc32)
        out = []
        for key, sig in zip(keys, sigs, strict=True):
            best = None
            for j in self.lsh.query(sig):
                # LSH candidates are checked, not trusted: the share of equal signature values
                if (self.reps[j] == sig.hashvalues).mean() >= self.threshold and (best is None or j < best):
                    best = j
            if best is None:
                self.lsh.insert(key, sig, check_duplication=False)
                self.reps[key] = sig.hashvalues
                best = key
            out.append(best)
        return out


def near_duplicate_clusters(texts: list[str], threshold: float = THRESHOLD) -> list[int]:
    """For each text, the index of the first text of its cluster."""
    return _Clusters(threshold).add(list(range(len(texts))), texts) if texts else []


def group_reposts(con: duckdb.DuckDBPyConnection) -> int:
    """Assign every message its repost group; returns the number of groups with more than one post."""
    # ads only: posts with offers, or not yet extracted; chatter stays ungrouped
    ads = f"""SELECT message_id, date, {NORM_SQL} AS norm FROM messages
              WHERE kind = 'message' AND coalesce(n_offers, 1) > 0"""
    # one row per distinct text, with its first post and its place in the order of first posts. The
    # scratch tables hold each distinct text once and a message only its text's digest: the texts are
    # normalised twice (a second pass costs less than keeping every message's text)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _rdistinct AS
        SELECT *, CASE WHEN length(norm) >= {MIN_CHARS} THEN row_number() OVER (
                   PARTITION BY length(norm) >= {MIN_CHARS} ORDER BY first_key) END AS rn
        FROM (SELECT md5(norm) AS h, norm,
                     arg_min(message_id, (coalesce(date, TIMESTAMP '9999-12-31'), message_id)) AS first_id,
                     min((coalesce(date, TIMESTAMP '9999-12-31'), message_id)) AS first_key
              FROM ({ads}) WHERE norm <> '' GROUP BY norm)
    """)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _rnorm AS SELECT message_id, md5(norm) AS h FROM ({ads}) "
                f"WHERE norm <> ''")
    # distinct texts in order of their first post, a chunk at a time: the signatures of a chunk, then
    # only the clusters' representatives, stay in memory; each chunk's (text, root) pairs go to DuckDB
    con.execute("CREATE OR REPLACE TEMP TABLE _rmap (h VARCHAR, root_h VARCHAR)")
    clusters = _Clusters()
    for start in itertools.count(1, _CHUNK):
        chunk = con.execute("SELECT h, norm FROM _rdistinct WHERE rn >= ? AND rn < ? ORDER BY rn",
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
    del clusters
    gc.collect()  # datasketch's index holds reference cycles: free it now, not at some later full collection
    # the group of a text is the first post of its root text (texts were ordered by first post); a message
    # without an ad's text is its own group
    con.execute("""
        UPDATE messages SET repost_group = g.grp
        FROM (SELECT m.message_id, coalesce(r.first_id, m.message_id) AS grp
              FROM messages m
              LEFT JOIN _rnorm n ON n.message_id = m.message_id
              LEFT JOIN _rmap mp ON mp.h = n.h
              LEFT JOIN _rdistinct r ON r.h = coalesce(mp.root_h, n.h)) g
        WHERE messages.message_id = g.message_id
          AND messages.repost_group IS DISTINCT FROM g.grp
    """)
    n = con.execute("SELECT count(*) FROM (SELECT repost_group FROM messages GROUP BY repost_group "
                    "HAVING count(*) > 1)").fetchall()[0][0]
    for t in ("_rnorm", "_rdistinct", "_rmap"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    return n


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

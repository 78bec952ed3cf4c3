"""One row per vendor with everything the pairwise evidence compares, built in the store (temp table).

Columns of the table ``_link_input`` (the Splink input; NULL where a vendor has nothing to compare,
so the model treats it as missing rather than as disagreement):

  unique_id, market, handle               the vendor
  h_norm, h_skel, h_stem, h_words         forms of the handle (names.py)
  contacts                                'kind:value' of every contact handle (contacts table + extracted)
  fprs, subkeys, key_emails               primary and subkey fingerprints, user-id emails (PGP mode only)
  n_titles, rare_titles                   distinct (normalised) listing titles; hashes of those that 2-3
                                          vendors use (copies)
  style_nn, style_cos, style_pairs        the vendor's nearest writers of listing titles (style.py), best
                                          first, their cosines, and a key per neighbour pair (blocking)
  profile_sig, profile_bands              MinHash of the profile text's word 3-shingles (keys cut out;
                                          duplicates need no removal: a minimum ignores them), LSH band keys
  ships                                   where the listings ship from (normalised, most common first)
  mix                                     product mix: categories (two levels) and extracted substances
  price_level                             median log ratio of the vendor's prices to the median price of the
                                          same category, market, currency and day (a cheap or dear seller)
  first_seen, last_seen                   first and last sighting: vendor snapshots and listings together
  key_label                               the vendor's shared-key component (PGP mode only): training labels

MinHash signatures follow datasketch's scheme (its permutations, computed for all vendors at once). For
comparing, each is kept as a b-bit MinHash (Li and Konig, 2010): the low 6 bits of each of the 64 values,
one base64 character each, so the share of equal positions is a Hamming distance in SQL (list
intersections cost the square of the list length per pair); the chance agreement of 1/64 is taken out in
evidence.SIG_SIM. LSH band keys use the full values.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
from datasketch import MinHash

from dnmobs.link import style
from dnmobs.link.names import handle_forms
from dnmobs.link.parallel import map_chunks
from dnmobs.messengers.contacts import find as find_contacts
from dnmobs.messengers.contacts import phone_key

NUM_PERM = 64
PROFILE_BANDS = (16, 4)  # bands x rows: a copied profile shares most shingles
RARE_TITLE_MAX_VENDORS = 3  # an exact title shared by at most this many vendors is a copied one
MAX_VENDORS_PER_KEY = 10  # a key shown by more vendors is not any one vendor's
MIN_PRICE_PEERS = 5  # listings of a category, market, currency and day needed for a median price
MAX_PROFILE_CHARS = 4000  # a copied profile shows in its beginning; the rest is not read
_PGP_BLOCK = r"(?is)-{2,}\s*begin\s*pgp.*?-{2,}\s*end\s*pgp[^-]*-{2,}"


@dataclass
class FeatureStats:
    vendors: int = 0
    with_keys: int = 0
    with_contacts: int = 0
    with_titles: int = 0
    with_profiles: int = 0
    contacts_added: int = 0


def build(con: duckdb.DuckDBPyConnection, use_pgp: bool) -> FeatureStats:
    stats = FeatureStats()
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _lv AS
        SELECT v.vendor_id, v.market, v.handle, v.profile_text,
               s.first_seen, s.last_seen
        FROM vendors v LEFT JOIN (
            SELECT vendor_id, min(crawl_date) AS first_seen, max(crawl_date) AS last_seen
            FROM vendor_snapshots GROUP BY vendor_id) s USING (vendor_id)
    """)
    stats.vendors = con.execute("SELECT count(*) FROM _lv").fetchall()[0][0]
    _handles(con)
    stats.contacts_added = _contacts(con)
    _keys(con, use_pgp)
    _titles(con)
    _style(con)
    _profiles(con)
    _ships_and_mix(con)
    _price_level(con)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _link_input AS
        SELECT lv.vendor_id AS unique_id, lv.market, lv.handle,
               h.h_norm::VARCHAR AS h_norm, h.h_skel::VARCHAR AS h_skel, h.h_stem::VARCHAR AS h_stem,
               h.h_words::VARCHAR AS h_words,
               c.contacts::VARCHAR[] AS contacts, k.fprs::VARCHAR[] AS fprs, k.subkeys::VARCHAR[] AS subkeys,
               k.key_emails::VARCHAR[] AS key_emails, k.key_label::VARCHAR AS key_label,
               rt.n_titles::BIGINT AS n_titles, rt.rare_titles::UBIGINT[] AS rare_titles,
               st.style_nn::VARCHAR[] AS style_nn, st.style_cos::FLOAT[] AS style_cos,
               st.style_pairs::BIGINT[] AS style_pairs,
               p.profile_sig::VARCHAR AS profile_sig, p.profile_bands::BIGINT[] AS profile_bands,
               sm.ships::VARCHAR[] AS ships, sm.mix::VARCHAR[] AS mix, pl.price_level::DOUBLE AS price_level,
               least(lv.first_seen, ob.first_seen) AS first_seen,
               greatest(lv.last_seen, ob.last_seen) AS last_seen
        FROM _lv lv
        JOIN _lh h USING (vendor_id)
        LEFT JOIN _lc c USING (vendor_id)
        LEFT JOIN _lk k USING (vendor_id)
        LEFT JOIN _lrt rt USING (vendor_id)
        LEFT JOIN _lst st USING (vendor_id)
        LEFT JOIN _lp p USING (vendor_id)
        LEFT JOIN _lsm sm USING (vendor_id)
        LEFT JOIN _lpl pl USING (vendor_id)
        LEFT JOIN _lob ob USING (vendor_id)
    """)
    row = con.execute("""SELECT count(fprs), count(contacts), count(n_titles), count(profile_sig)
                         FROM _link_input""").fetchall()[0]
    stats.with_keys, stats.with_contacts, stats.with_titles, stats.with_profiles = row
    for t in ("_lv", "_lh", "_lc", "_lk", "_lrt", "_lst", "_lp", "_lsm", "_lpl", "_lob", "_lobs"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    return stats


def _handles(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute("SELECT vendor_id, handle FROM _lv").fetchall()
    parts = map_chunks(handle_columns, rows)
    cols = {name: [v for p in parts for v in p[name]] for name in ("vendor_id", "h_norm", "h_skel", "h_stem", "h_words")}
    temp_table(con, "_lh", pa.table(cols, schema=pa.schema([(n, pa.string()) for n in cols])))


def handle_columns(rows: list[tuple[str, str]]) -> list[dict[str, list]]:
    """The handle forms of (vendor_id, handle) rows, as columns (one part, in a list)."""
    cols: dict[str, list] = {"vendor_id": [], "h_norm": [], "h_skel": [], "h_stem": [], "h_words": []}
    for vid, handle in rows:
        f = handle_forms(handle)
        cols["vendor_id"].append(vid)
        cols["h_norm"].append(f.norm or None)
        cols["h_skel"].append(f.skeleton or None)
        cols["h_stem"].append(f.stem or None)
        cols["h_words"].append(f.words or None)
    return [cols]


def _contacts(con: duckdb.DuckDBPyConnection) -> int:
    """Contacts found in contact fields and profiles join the contacts table (once); return how many."""
    texts = con.execute("""
        SELECT vendor_id, any_value(market), t, min(d), any_value(source_id) FROM (
            SELECT vendor_id, market, contact AS t, crawl_date AS d, source_id FROM vendor_snapshots
            WHERE contact IS NOT NULL
            UNION ALL
            SELECT vendor_id, market, profile_text, crawl_date, source_id FROM vendor_snapshots
            WHERE profile_text IS NOT NULL
            UNION ALL
            SELECT vendor_id, market, profile_text, NULL, NULL FROM vendors WHERE profile_text IS NOT NULL
        ) GROUP BY vendor_id, t
    """).fetchall()
    found: dict[tuple[str, str, str], list] = {}
    secret = phone_key(con) if texts else b""
    for vid, kind, value, market, day, source_id in map_chunks(contacts_in, texts, secret):
        key = (vid, kind, value)
        prev = found.get(key)
        if prev is None or (day is not None and (prev[1] is None or day < prev[1])):
            found[key] = [market, day, source_id]
    added = 0
    if found:
        new = pa.table({
            "vendor_id": [k[0] for k in found], "kind": [k[1] for k in found], "value": [k[2] for k in found],
            "market": [v[0] for v in found.values()], "first_seen": [v[1] for v in found.values()],
            "source_id": [v[2] for v in found.values()]})
        temp_table(con, "_lnew", new)
        added = con.execute("""
            INSERT INTO contacts (vendor_id, message_id, market, kind, value, source_id, first_seen)
            SELECT n.vendor_id, NULL, n.market, n.kind, n.value, n.source_id, n.first_seen FROM _lnew n
            WHERE NOT EXISTS (SELECT 1 FROM contacts c WHERE c.vendor_id = n.vendor_id AND c.kind = n.kind
                              AND c.value = n.value)
        """).fetchall()[0][0]
        con.execute("DROP TABLE _lnew")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _lc AS
        SELECT vendor_id, list(DISTINCT kind || ':' || lower(value) ORDER BY kind || ':' || lower(value)) AS contacts
        FROM contacts WHERE vendor_id IS NOT NULL
        GROUP BY vendor_id
    """)
    return int(added or 0)


def contacts_in(texts: list[tuple], secret: bytes) -> list[tuple]:
    """(vendor, kind, value, market, day, source) of every contact in (vendor, market, text, day, source)."""
    return [(vid, c.kind, c.value, market, day, source_id)
            for vid, market, text, day, source_id in texts for c in find_contacts(text, secret)]


def _keys(con: duckdb.DuckDBPyConnection, use_pgp: bool) -> None:
    if not use_pgp:
        con.execute("CREATE OR REPLACE TEMP TABLE _lk (vendor_id VARCHAR, fprs VARCHAR[], subkeys VARCHAR[], "
                    "key_emails VARCHAR[], key_label VARCHAR)")
        return
    # A key shown by many vendors identifies none of them (a market's or forum's key pasted in profiles,
    # a guide's example key): it neither links nor labels.
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _lk AS
        WITH k AS (
            SELECT DISTINCT vp.vendor_id, pk.fingerprint, pk.is_primary
            FROM vendor_pgp vp JOIN pgp_keys pk USING (block_sha256)
            WHERE pk.fingerprint NOT IN (
                SELECT pk2.fingerprint FROM vendor_pgp vp2 JOIN pgp_keys pk2 USING (block_sha256)
                GROUP BY pk2.fingerprint HAVING count(DISTINCT vp2.vendor_id) > {MAX_VENDORS_PER_KEY})
        ), e AS (
            SELECT DISTINCT vp.vendor_id, u.email FROM vendor_pgp vp JOIN pgp_user_ids u USING (block_sha256)
            WHERE u.email IS NOT NULL
        )
        SELECT vendor_id,
               list(DISTINCT fingerprint ORDER BY fingerprint) FILTER (WHERE is_primary) AS fprs,
               list(DISTINCT fingerprint ORDER BY fingerprint) FILTER (WHERE NOT is_primary) AS subkeys,
               (SELECT list(e.email ORDER BY e.email) FROM e WHERE e.vendor_id = k.vendor_id) AS key_emails,
               NULL::VARCHAR AS key_label
        FROM k GROUP BY vendor_id
    """)
    con.execute("UPDATE _lk SET fprs = NULL WHERE len(fprs) = 0")
    con.execute("UPDATE _lk SET subkeys = NULL WHERE len(subkeys) = 0")
    # components of the vendor - primary key graph: the key-based truth, and the training labels
    pairs = con.execute("SELECT vendor_id, unnest(fprs) FROM _lk WHERE fprs IS NOT NULL").fetchall()
    labels = key_components(pairs)
    if labels:
        temp_table(con, "_llab", pa.table({"vendor_id": list(labels), "label": list(labels.values())}))
        con.execute("UPDATE _lk SET key_label = l.label FROM _llab l WHERE _lk.vendor_id = l.vendor_id")
        con.execute("DROP TABLE _llab")


def key_components(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """vendor -> a label shared by every vendor reachable through shared primary fingerprints."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        root = x
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    for vendor, fpr in pairs:
        a, b = find("v:" + vendor), find("k:" + fpr)
        if a != b:
            parent[max(a, b)] = min(a, b)
    out = {}
    for vendor, _ in pairs:
        out[vendor] = find("v:" + vendor)
    # name each component by its smallest vendor id: stable and readable
    names: dict[str, str] = {}
    for vendor in sorted(out):
        names.setdefault(out[vendor], vendor)
    return {v: names[r] for v, r in out.items()}


def _observations(con: duckdb.DuckDBPyConnection) -> None:
    # listings are tied to vendors by market and handle, case-insensitively (as vendor ids are made);
    # one row per listing: its title, where it ships from, its category, when it was seen
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _lobs AS
        SELECT lv.vendor_id, o.listing_id, any_value(o.title) AS title, mode(o.ships_from) AS ships_from,
               any_value(o.category) AS category, min(o.crawl_date) AS first_seen, max(o.crawl_date) AS last_seen
        FROM observations o JOIN _lv lv ON o.market = lv.market AND trim(o.vendor) = lv.handle
        GROUP BY lv.vendor_id, o.listing_id
    """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _lob AS
        SELECT vendor_id, min(first_seen) AS first_seen, max(last_seen) AS last_seen FROM _lobs GROUP BY vendor_id
    """)


def _titles(con: duckdb.DuckDBPyConnection) -> None:
    _observations(con)
    # titles copied word for word that few vendors use: sister accounts paste their listings
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _lrt AS
        WITH nt AS (SELECT DISTINCT vendor_id, trim(regexp_replace(lower(title), '[^a-z0-9%]+', ' ', 'g')) AS t
                    FROM _lobs WHERE title IS NOT NULL),
             df AS (SELECT t, count(*) AS n FROM nt GROUP BY t)
        SELECT vendor_id, count(*) AS n_titles,
               coalesce(list(hash(t)) FILTER (WHERE n BETWEEN 2 AND {RARE_TITLE_MAX_VENDORS}), []::UBIGINT[])
                   AS rare_titles
        FROM nt JOIN df USING (t) GROUP BY vendor_id
    """)


def _style(con: duckdb.DuckDBPyConnection) -> None:
    """Each vendor's nearest writers of listing titles (style.py) as lists, and the neighbour pairs' keys."""
    t = con.sql(f"""
        SELECT vendor_id, title FROM (SELECT DISTINCT vendor_id, title FROM _lobs WHERE title IS NOT NULL
                                      AND trim(title) <> '')
        QUALIFY row_number() OVER (PARTITION BY vendor_id ORDER BY hash(title), title) <= {style.MAX_TITLES}
        ORDER BY vendor_id
    """).to_arrow_table()
    ids = t.column("vendor_id").combine_chunks().dictionary_encode() if t.num_rows else None
    if ids is None:
        con.execute("CREATE OR REPLACE TEMP TABLE _lst (vendor_id VARCHAR, style_nn VARCHAR[], "
                    "style_cos FLOAT[], style_pairs BIGINT[])")
        return
    names = ids.dictionary
    owner = ids.indices.to_numpy(zero_copy_only=False).astype(np.int32)
    n = len(names)
    x = style.vectors(*style.gram_counts(owner, t.column("title").to_pylist()), n)
    nb = style.neighbours(x)  # grouped by vendor, best first
    rows, first = np.unique(nb.vendor, return_index=True)
    off = pa.array(np.append(first, len(nb.vendor)).astype(np.int32))
    temp_table(con, "_lsn", pa.table({
        "vendor_id": names.take(pa.array(rows)),
        "style_nn": pa.ListArray.from_arrays(off, names.take(pa.array(nb.other))),
        "style_cos": pa.ListArray.from_arrays(off, pa.array(np.round(nb.cosine, 4)))}))
    # blocking keys: both vendors of a neighbour pair carry its key, whichever of them listed the other
    lo = np.minimum(nb.vendor, nb.other).astype(np.int64)
    hi = np.maximum(nb.vendor, nb.other).astype(np.int64)
    owners, keys = np.concatenate([lo, hi]), np.concatenate([lo * n + hi] * 2)
    order = np.lexsort((keys, owners))
    owners, keys = owners[order], keys[order]
    new = np.ones(len(keys), bool)
    new[1:] = (owners[1:] != owners[:-1]) | (keys[1:] != keys[:-1])
    owners, keys = owners[new], keys[new]
    prow, pfirst = np.unique(owners, return_index=True)
    poff = pa.array(np.append(pfirst, len(keys)).astype(np.int32))
    temp_table(con, "_lsp", pa.table({"vendor_id": names.take(pa.array(prow)),
                                      "style_pairs": pa.ListArray.from_arrays(poff, pa.array(keys))}))
    con.execute("""CREATE OR REPLACE TEMP TABLE _lst AS
                   SELECT vendor_id, n.style_nn, n.style_cos, p.style_pairs FROM _lsn n FULL JOIN _lsp p USING (vendor_id)""")
    con.execute("DROP TABLE _lsn")
    con.execute("DROP TABLE _lsp")


def _price_level(con: duckdb.DuckDBPyConnection) -> None:
    # listing prices against the median of their category, market, currency and day: a vendor's habit of
    # pricing cheap or dear survives renaming; quantities differ within a category, so this is weak evidence
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _lpl AS
        WITH o AS (
            SELECT lv.vendor_id, o.market, o.category, o.crawl_date, coalesce(o.price_currency, '') AS cur,
                   ln(o.price_amount) AS lp
            FROM observations o JOIN _lv lv ON o.market = lv.market AND trim(o.vendor) = lv.handle
            WHERE o.price_amount > 0 AND o.category IS NOT NULL
        ), m AS (
            SELECT market, category, crawl_date, cur, median(lp) AS ml FROM o GROUP BY ALL
            HAVING count(*) >= {MIN_PRICE_PEERS}
        )
        SELECT vendor_id, median(lp - ml) AS price_level FROM o JOIN m USING (market, category, crawl_date, cur)
        GROUP BY vendor_id
    """)


def _profiles(con: duckdb.DuckDBPyConnection) -> None:
    # key blocks are cut out first: two profiles pasting one key would otherwise look alike without --pgp
    tokens = con.sql(f"""
        WITH w AS (
            SELECT vendor_id,
                   string_split_regex(lower(CASE WHEN contains(profile_text, 'PGP') OR contains(profile_text, 'pgp')
                                                 THEN regexp_replace(profile_text[1:{MAX_PROFILE_CHARS}],
                                                                     '{_PGP_BLOCK}', ' ', 'g')
                                                 ELSE profile_text[1:{MAX_PROFILE_CHARS}] END),
                                      '[^a-z0-9]+') AS ws
            FROM _lv WHERE profile_text IS NOT NULL
        )
        SELECT vendor_id, list(hash(ws[i], ws[i + 1], ws[i + 2]) % 4294967296)::UINTEGER[] AS hs
        FROM (SELECT vendor_id, ws, unnest(range(1, len(ws) - 1)) AS i FROM w WHERE len(ws) >= 5)
        GROUP BY vendor_id
    """).to_arrow_table()
    _signatures(con, "_lp", "profile", tokens, PROFILE_BANDS)


def _signatures(con: duckdb.DuckDBPyConnection, table: str, prefix: str, tokens: pa.Table,
                bands: tuple[int, int]) -> None:
    """MinHash of each vendor's hashed tokens (``hs``), as b-bit signature text, and its LSH band keys."""
    hs = tokens.column("hs").combine_chunks() if tokens.num_rows else pa.array([], pa.list_(pa.uint32()))
    offsets = hs.offsets.to_numpy()
    sig = minhash_matrix(hs.values.to_numpy(zero_copy_only=False).astype(np.uint32), offsets)
    n_bands, n_rows = bands
    band = sig[:, :n_bands * n_rows].astype(np.int64).reshape(len(sig), n_bands, n_rows)
    # a band key: the band's values and its index, folded into one 64-bit integer (wrapping on overflow)
    mult = np.array([1_000_003, 998_244_353, 1_000_000_007, 7_919][:n_rows], dtype=np.int64)
    keys = ((band * mult).sum(axis=2) * 31 + np.arange(n_bands, dtype=np.int64)) & 0x7FFFFFFFFFFFFFFF
    text = np.ascontiguousarray(_B64_CHARS[sig & 63])
    cols = {
        "vendor_id": tokens.column("vendor_id") if tokens.num_rows else pa.array([], pa.string()),
        f"{prefix}_sig": pa.array(text.view(f"S{NUM_PERM}").ravel(), pa.binary(NUM_PERM)).cast(pa.string()),
        f"{prefix}_bands": pa.FixedSizeListArray.from_arrays(pa.array(keys.ravel(), pa.int64()), n_bands)
        .cast(pa.list_(pa.int64())),
    }
    temp_table(con, table, pa.table(cols))


_PERMUTATIONS = MinHash(num_perm=NUM_PERM, seed=1).permutations  # datasketch's affine32 scheme (a odd, b)
_TOKENS_PER_STEP = 1 << 14  # a step's (tokens x permutations) block stays in the CPU cache: 5x faster than big


def minhash_matrix(values: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """datasketch MinHash hash values (affine32 scheme, NUM_PERM permutations, seed 1) of many sets at once:
    set i is values[offsets[i]:offsets[i+1]] (32-bit token hashes, hashed with the identity). Equal to
    ``MinHash(num_perm=NUM_PERM, hashfunc=identity).update_batch(set).hashvalues`` for each set, computed
    over all sets together (a MinHash object per vendor costs ten times more). Sets must not be empty."""
    n = len(offsets) - 1
    out = np.empty((n, NUM_PERM), dtype=np.uint32)
    a, b = _PERMUTATIONS
    buf = np.empty((_TOKENS_PER_STEP, NUM_PERM), dtype=np.uint32)
    start = 0
    while start < n:
        # as many whole sets as fit in one step (at least one)
        stop = int(np.searchsorted(offsets, offsets[start] + _TOKENS_PER_STEP, side="right")) - 1
        stop = min(max(stop, start + 1), n)
        lo, hi = offsets[start], offsets[stop]
        if hi - lo > len(buf):
            buf = np.empty((hi - lo, NUM_PERM), dtype=np.uint32)
        phv = buf[:hi - lo]
        np.multiply(_fmix32(values[lo:hi])[:, None], a, out=phv)  # wraps modulo 2^32, as datasketch's does
        np.add(phv, b, out=phv)
        out[start:stop] = np.minimum.reduceat(phv, offsets[start:stop] - lo, axis=0)
        start = stop
    return out


def _fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer: datasketch pre-mixes every input hash with it (affine32 scheme)."""
    with np.errstate(over="ignore"):
        h = h ^ (h >> np.uint32(16))
        h = h * np.uint32(0x85EBCA6B)
        h = h ^ (h >> np.uint32(13))
        h = h * np.uint32(0xC2B2AE35)
        return h ^ (h >> np.uint32(16))


_B64_CHARS = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", dtype=np.uint8)


def temp_table(con: duckdb.DuckDBPyConnection, name: str, data: pa.Table) -> None:
    """Copy an Arrow table into a temp table of the connection."""
    view = f"{name}_arrow"
    con.register(view, data)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {view}")
    finally:
        con.unregister(view)


def _ships_and_mix(con: duckdb.DuckDBPyConnection) -> None:
    has_offers = con.execute("SELECT count(*) > 0 FROM offers WHERE vendor IS NOT NULL").fetchall()[0][0]
    substances = ""
    if has_offers:
        substances = """
            UNION ALL
            SELECT lv.vendor_id, 'substance:' || f.substance FROM offers f
            JOIN _lv lv ON f.market = lv.market AND lower(trim(f.vendor)) = lower(lv.handle)
            WHERE f.substance IS NOT NULL"""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _lsm AS
        WITH sf AS (
            SELECT vendor_id, regexp_replace(lower(ships_from), '[^a-z]', '', 'g') AS s, count(*) AS n
            FROM _lobs WHERE ships_from IS NOT NULL
            GROUP BY ALL
        ), ships AS (
            SELECT vendor_id, list(s ORDER BY n DESC, s)[1:3] AS ships FROM sf WHERE s <> '' GROUP BY vendor_id
        ), mix AS (
            SELECT vendor_id, list(DISTINCT m ORDER BY m) AS mix FROM (
                SELECT vendor_id, lower(array_to_string(string_split(category, '/')[1:2], '/')) AS m
                FROM _lobs WHERE category IS NOT NULL
                {substances}
            ) GROUP BY vendor_id
        )
        SELECT vendor_id, ships.ships, mix.mix FROM ships FULL JOIN mix USING (vendor_id)
    """)

"""The store's PGP key texts parsed once and kept: pgp_blocks, pgp_keys, pgp_user_ids, vendor_pgp.

A text is identified by the sha256 of its characters with all white space removed (as vendor_keys
already does), which is exactly what the parser's result depends on; so a block is parsed once, however
many vendors and snapshots show it, and again only when the parser changes (PARSER_VERSION).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa

from dnmobs.link import pgp
from dnmobs.link.parallel import map_chunks

# Profile texts worth handing to the parser: they mention a key block.
_HAS_BLOCK = r"regexp_matches(t, '(?i)begin\s*pgp\s*public\s*key')"
_DIGEST = "sha256(regexp_replace({}, '\\s+', '', 'g'))"
BATCH = 50_000  # texts parsed and stored per transaction


@dataclass
class KeyRefresh:
    parsed: int = 0  # texts parsed in this run
    cached: int = 0  # texts already parsed
    unreadable: int = 0  # texts in which no key could be read


def refresh(con: duckdb.DuckDBPyConnection) -> KeyRefresh:
    """Map vendors to their key texts and parse the texts not parsed yet by this parser version."""
    _map_vendor_texts(con)
    todo = con.execute("""
        SELECT block_sha256, any_value(t) FROM _key_texts
        WHERE block_sha256 NOT IN (SELECT block_sha256 FROM pgp_blocks WHERE parser_version = ?)
        GROUP BY block_sha256
    """, [pgp.PARSER_VERSION]).fetchall()
    res = KeyRefresh(cached=con.execute("SELECT count(DISTINCT block_sha256) FROM _key_texts").fetchall()[0][0]
                     - len(todo))
    for i in range(0, len(todo), BATCH):
        res.unreadable += _store_parsed(con, todo[i:i + BATCH])
    res.parsed = len(todo)
    con.execute("DROP TABLE IF EXISTS _key_texts")
    return res


def _map_vendor_texts(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _key_texts AS
        SELECT vendor_id, key_sha256 AS block_sha256, key_block AS t, 'key' AS origin, first_seen, last_seen
        FROM vendor_keys
        UNION ALL
        SELECT vendor_id, {_DIGEST.format('t')}, t, 'profile', min(d), max(d) FROM (
            SELECT vendor_id, profile_text AS t, crawl_date AS d FROM vendor_snapshots WHERE profile_text IS NOT NULL
            UNION ALL
            SELECT vendor_id, profile_text, NULL FROM vendors WHERE profile_text IS NOT NULL
        ) WHERE {_HAS_BLOCK}
        GROUP BY vendor_id, t
    """)
    con.execute("DELETE FROM vendor_pgp")
    con.execute("""
        INSERT INTO vendor_pgp (vendor_id, block_sha256, origin, first_seen, last_seen)
        SELECT vendor_id, block_sha256, min(origin), min(first_seen), max(last_seen)
        FROM _key_texts GROUP BY vendor_id, block_sha256
    """)


def _store_parsed(con: duckdb.DuckDBPyConnection, texts: list[tuple[str, str]]) -> int:
    tables = merge_parts(map_chunks(parse_rows, texts))
    digests = [d for d, _ in texts]
    con.execute("BEGIN TRANSACTION")
    try:
        for table in _SCHEMAS:
            con.execute(f"DELETE FROM {table} WHERE block_sha256 IN (SELECT unnest(?::VARCHAR[]))", [digests])
        for table, schema in _SCHEMAS.items():
            _insert(con, table, tables[table], schema)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return sum(1 for n in tables["pgp_blocks"]["n_certificates"] if n == 0)


def merge_parts(parts: list[dict[str, dict[str, list]]]) -> dict[str, dict[str, list]]:
    return {kind: {name: [v for p in parts for v in p[kind][name]] for name in schema.names}
            for kind, schema in _SCHEMAS.items()}


def parse_rows(texts: list[tuple[str, str]]) -> list[dict[str, dict[str, list]]]:
    """The columns of pgp_blocks, pgp_keys and pgp_user_ids for (digest, text) pairs (one part, in a list)."""
    out = {kind: {name: [] for name in schema.names} for kind, schema in _SCHEMAS.items()}
    blocks, keys, uids = out["pgp_blocks"], out["pgp_keys"], out["pgp_user_ids"]
    for digest, text in texts:
        res = pgp.parse_text(text)
        for k, v in (("block_sha256", digest), ("parser_version", pgp.PARSER_VERSION),
                     ("n_certificates", len(res.certificates)), ("problems", res.problems or None)):
            blocks[k].append(v)
        for ci, cert in enumerate(res.certificates):
            pfpr = cert.primary.fingerprint if cert.primary else None
            for key, is_primary in ([(cert.primary, True)] if cert.primary else []) + [(k, False) for k in cert.subkeys]:
                for k, v in (("block_sha256", digest), ("cert_index", ci), ("primary_fingerprint", pfpr),
                             ("fingerprint", key.fingerprint), ("key_id", key.key_id), ("is_primary", is_primary),
                             ("version", key.version), ("algorithm", key.algorithm), ("bits", key.bits),
                             ("curve", key.curve),
                             ("created", key.created.replace(tzinfo=None) if key.created else None),
                             ("revoked", cert.revoked if is_primary else None)):
                    keys[k].append(v)
            for uid in cert.user_ids:
                emails = [e for e in cert.emails if e in uid.lower()]
                for k, v in (("block_sha256", digest), ("cert_index", ci), ("primary_fingerprint", pfpr),
                             ("user_id", uid.replace("\x00", "")), ("email", emails[0] if emails else None)):
                    uids[k].append(v)
    return [out]


_BLOCKS = pa.schema([("block_sha256", pa.string()), ("parser_version", pa.int32()), ("n_certificates", pa.int32()),
                     ("problems", pa.list_(pa.string()))])
_KEYS = pa.schema([("block_sha256", pa.string()), ("cert_index", pa.int32()), ("primary_fingerprint", pa.string()),
                   ("fingerprint", pa.string()), ("key_id", pa.string()), ("is_primary", pa.bool_()),
                   ("version", pa.int16()), ("algorithm", pa.string()), ("bits", pa.int32()),
                   ("curve", pa.string()), ("created", pa.timestamp("us")), ("revoked", pa.bool_())])
_UIDS = pa.schema([("block_sha256", pa.string()), ("cert_index", pa.int32()), ("primary_fingerprint", pa.string()),
                   ("user_id", pa.string()), ("email", pa.string())])


_SCHEMAS = {"pgp_blocks": _BLOCKS, "pgp_keys": _KEYS, "pgp_user_ids": _UIDS}


def _insert(con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, list], schema: pa.Schema) -> None:
    if not columns[schema.names[0]]:
        return
    view = f"_{table}_arrow"
    con.register(view, pa.table({f.name: pa.array(columns[f.name], f.type) for f in schema}, schema=schema))
    try:
        cols = ", ".join(schema.names)
        con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {view}")
    finally:
        con.unregister(view)

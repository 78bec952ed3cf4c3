"""Export store tables and derived views to JSON Lines, CSV or Parquet.

Each export is a named query with the columns it offers for the --market and date filters.
Other parts of dnmobs add exports with ``register``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from dnmobs import DnmobsError
from dnmobs.link.export import IDENTITIES_SQL


@dataclass(frozen=True)
class ExportSpec:
    name: str
    sql: str  # a SELECT; filters are applied around it
    market_col: str | None = "market"
    date_col: str | None = None
    order: str | None = None


EXPORTS: dict[str, ExportSpec] = {}


def register(spec: ExportSpec) -> ExportSpec:
    EXPORTS[spec.name] = spec
    return spec


_FORMATS = {".jsonl": "JSON", ".ndjson": "JSON", ".json": "JSON", ".csv": "CSV", ".parquet": "PARQUET"}

register(ExportSpec("sources", "SELECT * FROM sources", market_col="market", order="source_id"))
register(ExportSpec("markets", "SELECT * FROM markets", order="market"))
register(ExportSpec("crawls", "SELECT * FROM crawls", date_col="crawl_date", order="market, crawl_date"))
register(ExportSpec("observations", "SELECT * FROM observations", date_col="crawl_date",
                    order="market, crawl_date, source_id, location"))
register(ExportSpec("offers", """
    SELECT market, vendor, message_id, listing_id, date, text, substance, substance_class, form, brand,
           is_drug, grams, units, unit_dose_mg, purity_pct, price_amount, price_currency, price_usd,
           price_usd_source, price_note, usd_per_gram, usd_per_pure_gram, usd_per_unit, ships_from, ships_to,
           flags, offer_index, obs_id, offer_id
    FROM offers""", date_col="date", order="market, date, listing_id, message_id, offer_index"))
register(ExportSpec("vendors", """
    SELECT v.vendor_id, v.market, v.handle, v.profile_text,
           (SELECT list(k.key_block ORDER BY k.first_seen) FROM vendor_keys k WHERE k.vendor_id = v.vendor_id)
               AS pgp_keys,
           (SELECT min(s.crawl_date) FROM vendor_snapshots s WHERE s.vendor_id = v.vendor_id) AS first_snapshot,
           (SELECT max(s.crawl_date) FROM vendor_snapshots s WHERE s.vendor_id = v.vendor_id) AS last_snapshot
    FROM vendors v""", order="market, handle"))
register(ExportSpec("vendor_snapshots", "SELECT * FROM vendor_snapshots", date_col="crawl_date",
                    order="market, crawl_date"))
register(ExportSpec("contacts", """
    SELECT c.market, c.kind, c.value, c.first_seen, coalesce(v.handle, m.vendor) AS vendor, c.vendor_id,
           c.message_id, c.location, c.source_id
    FROM contacts c LEFT JOIN vendors v USING (vendor_id) LEFT JOIN messages m USING (message_id)""", date_col="first_seen",
                    order="market, kind, value, first_seen"))
# Messenger posts; n_offers is NULL until extraction ran, repost_group names the first post of its group.
register(ExportSpec("messages", """
    SELECT market, message_id, message_key, CAST(date AS DATE) AS day, date, edited, sender, vendor, kind, action,
           text, reply_to, forwarded_from, media, media_file, n_items, n_offers, repost_group, platform, chat_type,
           chat_id, location, source_id
    FROM messages""", date_col="day", order="market, date, message_key"))
register(ExportSpec("quarantine", """
    SELECT q.quarantine_id, q.source_id, s.format, s.market, q.path, q.location, q.reason, q.raw, q.created_at
    FROM quarantine q LEFT JOIN sources s USING (source_id)""", order="quarantine_id"))
register(ExportSpec("rates", "SELECT * FROM rates", market_col=None, date_col="date", order="date, currency"))
# One line per listing with its first and last sighting and what the latest observation showed.
register(ExportSpec("listings", """
    WITH spans AS (
        SELECT listing_id, min(crawl_date) AS first_seen, max(crawl_date) AS last_seen,
               count(*) AS n_observations, arg_max(obs_id, (crawl_date, source_id)) AS last_obs
        FROM observations GROUP BY listing_id
    )
    SELECT l.market, l.listing_id, l.listing_key, o.title, o.vendor, o.category, o.description,
           coalesce(f.price_amount, o.price_amount) AS price_amount,
           coalesce(f.price_currency, o.price_currency) AS price_currency, f.price_usd,
           coalesce(f.ships_from, o.ships_from) AS ships_from, coalesce(f.ships_to, o.ships_to) AS ships_to,
           s.first_seen, s.last_seen, s.n_observations,
           f.is_drug, f.substance, f.substance_class, f.form, f.brand, f.grams, f.units, f.unit_dose_mg,
           f.purity_pct, f.usd_per_gram, f.usd_per_pure_gram, f.usd_per_unit, f.price_note
    FROM listings l JOIN spans s USING (listing_id)
    JOIN observations o ON o.obs_id = s.last_obs
    LEFT JOIN offers f ON f.obs_id = s.last_obs AND f.offer_index = 0
    """, date_col="last_seen", order="market, listing_id"))
# One line per vendor identity (dnmobs link): members, score, evidence; every vendor in exactly one.
register(ExportSpec("identities", IDENTITIES_SQL, market_col=None, date_col="last_seen", order="identity"))


def export(con: duckdb.DuckDBPyConnection, table: str, out: Path, market: str | None = None,
           since: date | None = None, until: date | None = None) -> int:
    """Write an export; returns the number of rows written."""
    spec = EXPORTS.get(table)
    if spec is None:
        raise DnmobsError(f"unknown table {table!r}; exportable: {', '.join(sorted(EXPORTS))}")
    fmt = _FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise DnmobsError(f"cannot tell the format of {out}: use .jsonl, .csv or .parquet")
    if not out.parent.exists():
        raise DnmobsError(f"folder {out.parent} does not exist")
    where = []
    # COPY takes no parameters, so values are inlined: a quoted string and ISO dates only.
    if market:
        if not spec.market_col:
            raise DnmobsError(f"{table} has no market to filter on")
        where.append(f"lower({spec.market_col}) = lower({_literal(market)})")
    for bound, op in ((since, ">="), (until, "<=")):
        if bound:
            if not spec.date_col:
                raise DnmobsError(f"{table} has no date to filter on")
            where.append(f"{spec.date_col} {op} DATE '{bound.isoformat()}'")
    sql = f"SELECT * FROM ({spec.sql}) t"
    if where:
        sql += " WHERE " + " AND ".join(where)
    if spec.order:
        sql += f" ORDER BY {spec.order}"
    opts = {"JSON": "FORMAT json", "CSV": "FORMAT csv, HEADER true", "PARQUET": "FORMAT parquet"}[fmt]
    written = con.execute(f"COPY ({sql}) TO {_literal(str(out))} ({opts})").fetchone()
    return int(written[0]) if written else 0


def _literal(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"

"""Offers from messages: each priced item of a post (``menus.split``) read by the extraction engine.

Runs after ingest over the messages not yet extracted (``n_offers IS NULL``), in batches. An item
becomes an offer when the engine finds a price and a drug, a quantity or a kind of goods in it;
chatter with a price (``delivery 10€``, ``orders over 200€``, ``courier fee 10£``) finds none of them
and gives none. A poster of a group becomes a
vendor of the chat's market when one of their posts gives an offer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import duckdb
import pyarrow as pa

from dnmobs.messengers import menus
from dnmobs.store import release_buffers

BATCH = 5_000
# The engine's fields that the offers table holds, beside the ones this module fills.
_LINK_COLUMNS = ["offer_id", "message_id", "market", "vendor", "date", "offer_index", "text"]
# A message without a digit has no price: such messages are settled in SQL without reading them.
_NO_PRICE_SQL = "kind <> 'message' OR NOT regexp_matches(coalesce(offer_text, text, ''), '[0-9]')"


def _engine() -> Callable[..., Any] | None:
    try:
        from dnmobs.extract import parse_listing
    except ImportError:
        return None
    return parse_listing


def _rates(con: duckdb.DuckDBPyConnection):
    """The store's exchange rates, for the engine's USD prices (None when there are none)."""
    try:
        from dnmobs.extract import Rates
    except ImportError:
        return None
    rates = Rates.from_store(con)
    return rates if len(rates) else None


# Non-drug goods a channel sells (a vape battery) are offers too, flagged is_drug = False as on markets;
# the engine's 'service' category (courier fees, tips, custom orders) is not a good offered.
_NOT_GOODS = frozenset({"service"})


def is_offer(o: dict, quantity: bool = False) -> bool:
    """A priced item that names a drug, a quantity, or a kind of goods; not a fee or a discount.
    ``quantity``: the menu splitter found a quantity in the item's own text ('10 ml VAPE KIT £154': goods
    the engine does not name, and whose quantity it keeps only for drugs)."""
    if o.get("price_amount") is None:
        return False
    if o.get("is_drug") or o.get("grams") or o.get("units") or o.get("unit_dose_mg") or o.get("volume_ml"):
        return True
    if o.get("category"):
        return o["category"] not in _NOT_GOODS
    return quantity


def _expand(offer: Any) -> list[dict]:
    """The engine's offer as one dict per priced quantity: a sub-offer takes the item's other fields."""
    try:
        from dnmobs.extract.offer import OFFER_FIELDS, SUB_FIELDS
    except ImportError:  # another engine: its own as_dict
        base = offer.as_dict()
        base.pop("offers", None)
        subs = tuple(getattr(offer, "offers", ()) or ())
        return [base] if len(subs) <= 1 else [{**base, **sub.as_dict()} for sub in subs]
    # the fields by name (as_dict asks dataclasses.fields each time: a tenth of a menu's cost)
    base = {f: getattr(offer, f) for f in OFFER_FIELDS if f != "offers"}
    if len(offer.offers) <= 1:
        return [base]
    return [{**base, **{f: getattr(sub, f) for f in SUB_FIELDS}} for sub in offer.offers]


def offers_of_text(text: str, *, date=None, market: str | None = None, parse=None, rates=None
                   ) -> tuple[int, list[tuple[menus.Item, dict]]]:
    """(how many priced items the post has, [(item, an offer as a dict)] for those that are offers)."""
    parse = parse or _engine()
    if parse is None:
        raise RuntimeError("the extraction engine (dnmobs.extract.parse_listing) is not available")
    items = menus.split(text)
    out = []
    for item in items:
        # the price found by the splitter goes to the engine's displayed-price reader, the rest of the item
        # to its title reader, as a market listing's price and title
        offer = parse(item.goods or item.text, item.context, item.price, date, market, rates=rates)
        out.extend((item, o) for o in _expand(offer) if is_offer(o, item.quantity))
    return len(items), out


def fill_message_offers(con: duckdb.DuckDBPyConnection) -> int:
    """Offers for every message not yet extracted; returns how many offers were made.

    Each batch is one transaction: offers and the counts that mark their messages done are written
    together, so an interrupted run neither loses nor repeats offers.
    """
    parse = _engine()
    if parse is None:
        return 0
    con.execute(f"UPDATE messages SET n_items = 0, n_offers = 0 WHERE n_offers IS NULL AND ({_NO_PRICE_SQL})")
    fields = {r[0] for r in con.execute("DESCRIBE offers").fetchall()} - set(_LINK_COLUMNS)
    rates = _rates(con)
    made = 0
    while True:
        rows = con.execute(
            "SELECT message_id, market, vendor, CAST(date AS DATE), coalesce(offer_text, text) FROM messages "
            "WHERE n_offers IS NULL ORDER BY message_id LIMIT ?", [BATCH]).fetchall()
        if not rows:
            break
        found_rows: list[dict] = []  # one per offer: the engine's fields the table holds, then the links
        counts: list[tuple[str, int, int]] = []
        for message_id, market, vendor, day, text in rows:
            n_items, found = offers_of_text(text, date=day, market=market, parse=parse, rates=rates)
            for index, (item, o) in enumerate(found):
                row = {k: list(v) if isinstance(v, tuple) else v for k, v in o.items() if k in fields}
                row.update(offer_id=_offer_id(message_id, index), message_id=message_id, market=market,
                           vendor=vendor, date=day, offer_index=index, text=item.text)
                found_rows.append(row)
            counts.append((message_id, n_items, len(found)))
        made_here = len(found_rows)
        # columns in order of first appearance; a field an engine left out of an offer is None there
        names = list(dict.fromkeys(k for row in found_rows for k in row))
        columns = {k: [row.get(k) for row in found_rows] for k in names}
        del found_rows
        con.execute("BEGIN TRANSACTION")
        try:
            _insert(con, columns)
            con.register("_mcounts", pa.table({"message_id": [c[0] for c in counts],
                                               "n_items": pa.array([c[1] for c in counts], pa.int32()),
                                               "n_offers": pa.array([c[2] for c in counts], pa.int32())}))
            con.execute("UPDATE messages SET n_items = c.n_items, n_offers = c.n_offers FROM _mcounts c "
                        "WHERE messages.message_id = c.message_id")
            con.unregister("_mcounts")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        # DuckDB keeps updated values in memory until a checkpoint, and the store's threshold is high
        con.execute("CHECKPOINT")
        release_buffers(con)  # and the blocks it wrote, and the texts read, would stay cached
        made += made_here
    _add_offering_vendors(con)
    return made


def _offer_id(message_id: str, index: int) -> str:
    return hashlib.md5(f"{message_id}\x1f{index}".encode()).hexdigest()


def _insert(con: duckdb.DuckDBPyConnection, columns: dict[str, list]) -> None:
    if not columns:
        return
    names = list(columns)
    table = pa.table(columns)
    con.register("_moffers", table)
    try:
        col_list = ", ".join(f'"{c}"' for c in names)
        con.execute(f"INSERT INTO offers ({col_list}) SELECT {col_list} FROM _moffers")
    finally:
        con.unregister("_moffers")


def _add_offering_vendors(con: duckdb.DuckDBPyConnection) -> None:
    from dnmobs.ingest.loaders import add_vendors

    add_vendors(con, "(SELECT market AS mkt, vendor FROM offers WHERE message_id IS NOT NULL)")


def after_ingest(con: duckdb.DuckDBPyConnection, extract: bool = True) -> int:
    """What ingest does once messages were stored: offers (unless told not to), then repost groups."""
    pending = con.execute("SELECT count(*) FROM messages WHERE n_offers IS NULL OR repost_group IS NULL"
                          ).fetchall()[0][0]
    if not pending:
        return 0
    made = fill_message_offers(con) if extract else 0
    from dnmobs.messengers.reposts import group_reposts

    group_reposts(con)
    return made

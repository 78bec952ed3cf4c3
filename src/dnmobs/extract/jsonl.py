"""`dnmobs extract`: JSON Lines of listings in, one JSON object per line out, in the same order.

Input objects: ``id``, ``title``, optional ``description``, ``price`` (displayed price text or a
number), ``date`` (YYYY-MM-DD), ``market``. A line that is not such an object gives
``{"id": ..., "error": "..."}`` and the run goes on. The output fields are a stable contract:
``id, is_drug, substance, substance_class, form, grams, units, unit_dose_mg, purity_pct,
price_amount, price_currency, price_usd, usd_per_gram, ships_from, ships_to, offers`` (a list only
when the text offers several quantities), then extra fields that may grow.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import BinaryIO

import orjson

from dnmobs.extract.listing import parse_listing

CONTRACT = ("is_drug", "substance", "substance_class", "form", "grams", "units", "unit_dose_mg", "purity_pct",
            "price_amount", "price_currency", "price_usd", "usd_per_gram", "ships_from", "ships_to", "offers")
EXTRA = ("brand", "category", "volume_ml", "usd_per_pure_gram", "usd_per_unit", "price_usd_source", "price_note",
         "flags")


@dataclass
class RunReport:
    lines: int = 0
    errors: int = 0


def _error(ident, msg: str) -> bytes:
    return orjson.dumps({"id": ident, "error": msg})


def _one(line: bytes, rates) -> tuple[bytes, bool]:
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        return _error(None, f"not JSON: {str(exc).splitlines()[0]}"), False
    if not isinstance(obj, dict):
        return _error(None, f"expected a JSON object, got {type(obj).__name__}"), False
    ident = obj.get("id")
    title = obj.get("title")
    if not isinstance(title, str):
        return _error(ident, "missing title" if title is None else "title must be a string"), False
    desc = obj.get("description")
    if desc is not None and not isinstance(desc, str):
        return _error(ident, "description must be a string"), False
    price = obj.get("price")
    if price is not None and (isinstance(price, bool) or not isinstance(price, (str, int, float))):
        return _error(ident, "price must be a string or a number"), False
    market = obj.get("market")
    if market is not None and not isinstance(market, str):
        return _error(ident, "market must be a string"), False
    day = obj.get("date")
    if day is not None:
        if not isinstance(day, str):
            return _error(ident, "date must be a string YYYY-MM-DD"), False
        try:
            day = date.fromisoformat(day[:10]) if len(day) >= 10 and day[4] == "-" else date.fromisoformat(day)
        except ValueError:
            return _error(ident, f"date must be YYYY-MM-DD, not {day[:40]!r}"), False
    offer = parse_listing(title, desc, price, day, market, rates=rates)
    out = {"id": ident}
    for k in CONTRACT:
        out[k] = getattr(offer, k)
    if len(offer.offers) > 1:
        out["offers"] = [o.as_dict() for o in offer.offers]
    else:
        out["offers"] = None
    for k in EXTRA:
        out[k] = getattr(offer, k)
    return orjson.dumps(out), True


def run(lines: Iterable[bytes], out: BinaryIO, rates=()) -> RunReport:
    rep = RunReport()
    buf: list[bytes] = []
    for line in lines:
        if line.endswith(b"\n"):
            line = line[:-1]
        if line.endswith(b"\r"):
            line = line[:-1]
        rep.lines += 1
        if not line.strip():
            data, ok = _error(None, "empty line"), False
        else:
            try:
                data, ok = _one(line, rates)
            except RecursionError:
                data, ok = _error(None, "input nested too deeply"), False
        if not ok:
            rep.errors += 1
        buf.append(data)
        if len(buf) >= 512:
            out.write(b"\n".join(buf) + b"\n")
            buf.clear()
    if buf:
        out.write(b"\n".join(buf) + b"\n")
    return rep

"""`dnmobs extract`: JSON Lines of listings in, one JSON object per line out, in the same order.

Input objects: ``id``, ``title``, optional ``description``, ``price`` (displayed price text or a
number), ``date`` (YYYY-MM-DD), ``market``. A line that is not such an object gives
``{"id": ..., "error": "..."}`` and the run goes on. The output fields are a stable contract:
``id, is_drug, substance, substance_class, form, grams, units, unit_dose_mg, purity_pct,
price_amount, price_currency, price_usd, usd_per_gram, ships_from, ships_to, offers`` (a list only
when the text offers several quantities), then extra fields that may grow.
"""

from __future__ import annotations

import gc
import itertools
import multiprocessing
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import BinaryIO, Final

import orjson

from dnmobs.extract.listing import listing_values
from dnmobs.extract.offer import OFFER_FIELDS, SUB_FIELDS
from dnmobs.extract.workers import default_workers

# The contract fields come first in OFFER_FIELDS (see offer.Offer); "offers" closes each object.
CONTRACT = ("is_drug", "substance", "substance_class", "form", "grams", "units", "unit_dose_mg", "purity_pct",
            "price_amount", "price_currency", "price_usd", "usd_per_gram", "ships_from", "ships_to")
assert OFFER_FIELDS[:len(CONTRACT)] == CONTRACT
assert OFFER_FIELDS[-1] == "offers"
_FIELDS: Final[tuple[str, ...]] = OFFER_FIELDS[:-1]  # listing_values gives all but "offers"
_N_VALUES: Final = len(_FIELDS)
# an output object's keys in order, each set for every line
_TEMPLATE: Final[dict[str, object]] = dict.fromkeys(("id", *_FIELDS, "offers"))


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
    day_text = obj.get("date")
    day = None
    if day_text is not None:
        if not isinstance(day_text, str):
            return _error(ident, "date must be a string YYYY-MM-DD"), False
        try:
            day = date.fromisoformat(day_text[:10]) if len(day_text) >= 10 and day_text[4] == "-" \
                else date.fromisoformat(day_text)
        except ValueError:
            return _error(ident, f"date must be YYYY-MM-DD, not {day_text[:40]!r}"), False
    values, subs = listing_values(title, desc, price, day, market, rates=rates)
    # a copy of the template, then stores by position: no dict growth (23 insertions resized it
    # three times) and no iterator (compiled: direct tuple reads); measured ~8% of the instructions
    # of a line in the loop this replaced
    out = _TEMPLATE.copy()
    out["id"] = ident
    for i in range(_N_VALUES):
        out[_FIELDS[i]] = values[i]
    out["offers"] = [dict(zip(SUB_FIELDS, v, strict=True)) for v in subs] if subs else None
    return orjson.dumps(out), True


def _convert(chunk: list[bytes], rates) -> tuple[bytes, int, int]:
    """(output lines, lines, errors) of a chunk of input lines."""
    outs: list[bytes] = []
    errors = 0
    for line in chunk:
        if line.endswith(b"\n"):
            line = line[:-1]
        if line.endswith(b"\r"):
            line = line[:-1]
        if not line.strip():
            data, ok = _error(None, "empty line"), False
        else:
            try:
                data, ok = _one(line, rates)
            except RecursionError:
                data, ok = _error(None, "input nested too deeply"), False
        errors += not ok
        outs.append(data)
    return b"\n".join(outs) + b"\n" if outs else b"", len(chunk), errors


_WORKER_RATES = ()


def _worker_init(rates) -> None:
    global _WORKER_RATES
    _WORKER_RATES = rates
    _freeze_lasting_objects()
    gc.set_threshold(*_RUN_GC_THRESHOLD)  # (a worker does nothing else)


def _worker(chunk: list[bytes]) -> tuple[bytes, int, int]:
    return _convert(chunk, _WORKER_RATES)


def _chunks(lines: Iterable[bytes], size: int):
    buf: list[bytes] = []
    for line in lines:
        buf.append(line)
        if len(buf) >= size:
            yield buf
            buf = []
    if buf:
        yield buf


CHUNK = 2000


def _freeze_lasting_objects() -> None:
    """Load the taxonomy, then move every object alive to the collector's permanent generation: the
    taxonomy, the place tables and the imported modules live as long as the process, and the
    collector's full passes, started by the objects each line allocates, no longer walk them
    (measured on 100,000 titles: -20% time per line with the compiled modules)."""
    from dnmobs.extract.taxonomy import load

    load()
    gc.freeze()


# The collector's thresholds while lines are converted. With the default (a young-generation pass
# every 700 allocations), passes find almost nothing to free (a line's objects die by reference
# counting) but walk what lives on: the memo's entries and cut pieces, moved through every
# generation. Passes 100x rarer still collect any cycle (measured on 100,000 titles, compiled: CPU
# time per line -20%; memory bounded by the memos' caps).
_RUN_GC_THRESHOLD = (100_000, 10, 10)


def run(lines: Iterable[bytes], out: BinaryIO, rates=(), workers: int | None = None) -> RunReport:
    """Convert JSON Lines. Large inputs are spread over worker processes (order is kept); a small
    input, or ``workers=1``, is done in this process."""
    rep = RunReport()
    chunks = _chunks(lines, CHUNK)
    first = next(chunks, None)
    if first is None:
        return rep
    n_workers = workers if workers is not None else default_workers(min_cpus=2)
    if n_workers <= 1 or len(first) < CHUNK:
        _freeze_lasting_objects()
        saved = gc.get_threshold()
        gc.set_threshold(*_RUN_GC_THRESHOLD)
        try:
            for chunk in itertools.chain([first], chunks):
                data, k, e = _convert(chunk, rates)
                out.write(data)
                rep.lines += k
                rep.errors += e
        finally:
            gc.set_threshold(*saved)
        return rep
    # forkserver: workers start clean (no inherited threads or open stores) and load the taxonomy once
    ctx = multiprocessing.get_context("forkserver")
    with ctx.Pool(n_workers, initializer=_worker_init, initargs=(tuple(rates),)) as pool:
        for data, k, e in pool.imap(_worker, itertools.chain([first], chunks), chunksize=1):
            out.write(data)
            rep.lines += k
            rep.errors += e
    return rep

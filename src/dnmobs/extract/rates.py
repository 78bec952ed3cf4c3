"""Exchange rates (USD per unit of a currency on a date) from a file or from the store's ``rates`` table.

A rate is looked up on the listing's date; when that day is missing, the last rate of the previous
``MAX_AGE_DAYS`` days is used and the price note says which day. Nothing else is ever assumed.

Files: ``date,currency,usd`` (the documented format); also read, because researchers have them:
daily BTC price files with ``date`` and ``close_usd`` columns (``close_eur`` gives EUR too), and
Yahoo-style ``Date,...,Close`` files when the currency is given or in the file name (BTC-USD).
"""

from __future__ import annotations

import bisect
import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from dnmobs import DnmobsError

MAX_AGE_DAYS = 3
_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d", "%d-%b-%y")


@dataclass
class Rates:
    """Rates by currency: sorted day ordinals and USD values."""

    source: str  # 'rates-file' or 'store'
    by_currency: dict[str, tuple[list[int], list[float]]] = field(default_factory=dict)
    origin: str = ""
    skipped: int = 0      # rows of the file that could not be read
    duplicates: int = 0   # repeated (date, currency) rows; the first is kept

    def __len__(self) -> int:
        return sum(len(d) for d, _ in self.by_currency.values())

    def usd(self, currency: str, day: date | None) -> tuple[float, date] | None:
        """(USD per unit, the day of the rate), or None."""
        if day is None:
            return None
        series = self.by_currency.get(currency.upper())
        if not series:
            return None
        days, values = series
        o = day.toordinal()
        k = bisect.bisect_right(days, o) - 1
        if k < 0 or o - days[k] > MAX_AGE_DAYS:
            return None
        return values[k], date.fromordinal(days[k])

    def rows(self):
        for cur, (days, values) in self.by_currency.items():
            for d, v in zip(days, values, strict=True):
                yield date.fromordinal(d), cur, v

    @classmethod
    def from_rows(cls, rows, source: str, origin: str = "") -> Rates:
        acc: dict[str, dict[int, float]] = {}
        dup = 0
        for d, cur, usd in rows:
            per = acc.setdefault(cur.upper(), {})
            o = d.toordinal()
            if o in per:
                dup += 1
                continue
            per[o] = usd
        r = cls(source=source, origin=origin, duplicates=dup)
        for cur, per in acc.items():
            days = sorted(per)
            r.by_currency[cur] = (days, [per[d] for d in days])
        return r

    @classmethod
    def from_file(cls, path: str | Path, currency: str | None = None) -> Rates:
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise DnmobsError(f"rates file {p}: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise DnmobsError(f"rates file {p}: not UTF-8 text") from None
        rows, skipped = _parse(text, currency or _currency_from_name(p.name), p.name)
        r = cls.from_rows(rows, "rates-file", origin=p.name)
        r.skipped = skipped
        if not len(r):
            raise DnmobsError(f"rates file {p}: no rates read (expected columns date,currency,usd)")
        return r

    @classmethod
    def from_store(cls, con) -> Rates:
        rows = con.execute("SELECT date, currency, usd FROM rates ORDER BY date").fetchall()
        return cls.from_rows(rows, "store", origin="store")


def _currency_from_name(name: str) -> str | None:
    m = re.search(r"(?<![A-Za-z])(BTC|XMR|LTC|ETH|EUR|GBP)[-_]?USD", name, re.I)
    return m.group(1).upper() if m else None


def _day(s: str) -> date | None:
    s = s.strip()
    for f in _DATE_FORMATS:
        try:
            return datetime.strptime(s, f).date()
        except ValueError:
            continue
    return None


def _num(s: str | None) -> float | None:
    try:
        v = float((s or "").strip())
    except ValueError:
        return None
    return v if v > 0 and v == v and v != float("inf") else None


def _parse(text: str, currency: str | None, name: str) -> tuple[list[tuple[date, str, float]], int]:
    reader = csv.DictReader(io.StringIO(text))
    cols = {c.strip().lower(): c for c in (reader.fieldnames or [])}
    out: list[tuple[date, str, float]] = []
    skipped = 0
    if {"date", "currency", "usd"} <= cols.keys():
        for row in reader:
            d, cur, v = _day(row[cols["date"]] or ""), (row[cols["currency"]] or "").strip().upper(), \
                _num(row[cols["usd"]])
            if d is None or not cur or v is None:
                skipped += 1
                continue
            out.append((d, cur, v))
    elif "date" in cols and "close_usd" in cols:
        for row in reader:
            d, usd = _day(row[cols["date"]] or ""), _num(row[cols["close_usd"]])
            if d is None or usd is None:
                skipped += 1
                continue
            out.append((d, "BTC", usd))
            eur = _num(row.get(cols.get("close_eur", ""), None)) if "close_eur" in cols else None
            if eur:
                out.append((d, "EUR", usd / eur))
    elif "date" in cols and ("close" in cols or "adj close" in cols):
        if not currency:
            raise DnmobsError(f"rates file {name}: a price series without a currency: give --currency")
        col = cols.get("close") or cols["adj close"]
        for row in reader:
            d, v = _day(row[cols["date"]] or ""), _num(row[col])
            if d is None or v is None:
                skipped += 1
                continue
            out.append((d, currency.upper(), v))
    else:
        raise DnmobsError(f"rates file {name}: expected columns date,currency,usd "
                          f"(found {', '.join(reader.fieldnames or []) or 'none'})")
    return out, skipped


def import_rates(con, path: str | Path, currency: str | None = None) -> Rates:
    """Store a rates file in the ``rates`` table (a later import of the same day and currency wins)."""
    r = Rates.from_file(path, currency)
    import pyarrow as pa

    days, curs, vals = [], [], []
    for d, cur, v in r.rows():
        days.append(d)
        curs.append(cur)
        vals.append(v)
    tbl = pa.table({"date": pa.array(days, pa.date32()), "currency": curs, "usd": vals})
    con.register("_rates_in", tbl)
    try:
        con.execute("BEGIN TRANSACTION")
        con.execute("DELETE FROM rates WHERE (date, currency) IN (SELECT date, currency FROM _rates_in)")
        con.execute("INSERT INTO rates (date, currency, usd, origin) SELECT date, currency, usd, ? FROM _rates_in",
                    [r.origin])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("_rates_in")
    return r

"""Numbers with a meaning: masses, doses, volumes, counts, percentages and prices in a token list.

One left-to-right walk over the tokens; each number looks at the few tokens around it (a unit, a
currency, ``x``, ``%``). Numbers that belong to a substance name ("2c-b", "25i") are skipped.
"""

from __future__ import annotations

from typing import Final

from dnmobs.extract import units as U
from dnmobs.extract.text import NUM, SYM, WORD, Tokens

FRACTION_SLASH: Final = frozenset("/⁄")
RANGE_SEP: Final = frozenset("-–~")
_SLOW_NEXT: Final = frozenset({*FRACTION_SLASH, *RANGE_SEP, "+", "μ", "µ", "ε"})
_FILLERS: Final = frozenset({"full", "whole", "fat", "solid", "heavy", "big", "golden", "real"})


class Mention:
    """A number with a meaning. (A plain slotted class, not a NamedTuple: several are built for a
    title, and the compiled build makes one without running Python code. Equal only to itself.)"""

    __slots__ = ("end", "lower", "per_unit", "start", "unit", "value")

    def __init__(self, value: float, start: int, end: int, unit: str = "", per_unit: bool = False,
                 lower: float | None = None) -> None:
        self.value = value
        self.start = start          # first token
        self.end = end              # last token (inclusive)
        self.unit = unit            # the unit word, currency code, count form
        self.per_unit = per_unit    # prices: the price of one gram or one piece
        self.lower = lower          # ranges: the other end

    def __repr__(self) -> str:
        return (f"Mention(value={self.value!r}, start={self.start}, end={self.end}, unit={self.unit!r}, "
                f"per_unit={self.per_unit}, lower={self.lower!r})")


class Mentions:
    """The mentions of one text. (A plain slotted class: it is built for every title.)"""

    __slots__ = ("bare", "count", "dose", "mass", "pct", "price", "used", "volume")

    def __init__(self) -> None:
        self.mass: list[Mention] = []      # grams
        self.dose: list[Mention] = []      # milligrams
        self.volume: list[Mention] = []    # millilitres
        self.count: list[Mention] = []     # pieces; unit = implied form or ""
        self.pct: list[Mention] = []
        self.price: list[Mention] = []     # unit = currency code
        self.bare: list[Mention] = []      # numbers without any unit
        self.used: set[int] = set()        # tokens that belong to a mention


# word -> ('mass', grams) / ('dose', mg) / ('vol', ml): one lookup for every unit word
UNITS: Final[dict[str, tuple[str, float]]] = {**{w: ("vol", f) for w, f in U.MILLILITRE.items()},
                                       **{w: ("dose", f) for w, f in U.MILLIGRAM.items()},
                                       **{w: ("mass", f) for w, f in U.MASS.items()}}
_MICRO_SIGNS: Final = ("μg", "µg", "εg")


def _unit_word(w: str) -> tuple[str, float] | None:
    """('mass', grams) / ('dose', mg) / ('vol', ml) for a unit word."""
    got = UNITS.get(w)
    if got is None and len(w) <= 4 and w.endswith(_MICRO_SIGNS):
        return "dose", 0.001  # "150 εg", "150 îμg": a micro sign mangled by a legacy encoding
    return got


_SCAN_WORDS: Final = frozenset({"x", "×", "qty", "quantity", "qt", *U.FRACTION_WORDS, *U.ALONE})
_COUNT_WORDS: Final = frozenset({"x", "×", "qty", "quantity", "qt"})
_NOT_AFTER_FRACTION: Final = frozenset({"p", "point", "points", "ball", "balls", "key", "keys"})
_AFTER_FRACTION: Final = frozenset({"of", "an", "a"})
_TH: Final = frozenset({"th", "ths"})
_CPU_BITS: Final = frozenset({"32", "64", "86"})
# "8th Edition", "21st Century": an ordinal, not an eighth or a count of 21 pieces
_ORDINAL_NOUNS: Final = frozenset({"edition", "ed", "century", "anniversary", "generation", "gen", "birthday", "floor",
                            "grade", "place", "annual", "street", "avenue", "ave", "revision", "volume", "vol"})


def scan(toks: Tokens, skip: set[int]) -> Mentions:
    text, vals = toks.text, toks.val
    m = Mentions()
    words = _SCAN_WORDS
    # only numbers and a few words can start a mention
    nxt_free = 0
    for i, t in enumerate(text):
        if i < nxt_free or (vals[i] is None and t not in words):
            continue
        nxt_free = _one(toks, i, skip, m)
    return m


def _one(toks: Tokens, i: int, skip: set[int], m: Mentions) -> int:
    """Read the mention that may start at token i; returns the first token after what it used."""
    text, kind, space = toks.text, toks.kind, toks.space
    n = len(text)
    used = m.used
    v = toks.val[i]
    if v is None or i in skip or i in used:
        if kind[i] == WORD and i not in skip and i not in used:
            w = text[i]
            if w in _COUNT_WORDS and i + 1 < n:
                _count_before_number(toks, i, m)
            elif w in U.FRACTION_WORDS and i + 1 < n and text[i + 1] in U.MASS and \
                    text[i + 1] not in _NOT_AFTER_FRACTION:
                f = U.FRACTION_WORDS[w] * U.MASS[text[i + 1]]
                m.mass.append(Mention(f, i, i + 1, text[i + 1]))
                used.add(i)
                used.add(i + 1)
                return i + 2
            elif w in U.ALONE:
                _unit_alone(toks, i, m)
        return i + 1
    t = text[i]
    start = i
    j = i + 1
    lower = None
    u = text[j] if j < n else ""
    # Most numbers are followed by their unit: the cases below need a symbol next to the number.
    if u in _SLOW_NEXT or (i > 0 and text[i - 1] == "."):
        # ".5g": a leading dot makes a decimal
        if i > 0 and text[i - 1] == "." and not space[i] and t.isdigit() and (
                i == 1 or kind[i - 2] != NUM or space[i - 1]):
            v = float("0." + t)
            start = i - 1
        # a fraction "1/2", "1⁄8" (only of a unit: "10/10", "24/7" and dates are not quantities)
        if j + 1 < n and u in FRACTION_SLASH and kind[j + 1] == NUM and not space[j + 1] and not space[j]:
            den = toks.val[j + 1]
            if den in (2.0, 3.0, 4.0, 8.0, 16.0) and 0 < v < den and t.isdigit():
                k = j + 2
                if k < n and text[k] in _AFTER_FRACTION:
                    k += 1
                    if k < n and text[k] in ("an", "a"):
                        k += 1
                if k < n and kind[k] == WORD and (text[k] in U.MASS or text[k] in _TH):
                    f = U.OUNCE if text[k] in _TH else U.MASS[text[k]]
                    m.mass.append(Mention(v / den * f, start, k, text[k]))
                    used.update(range(start, k + 1))
                    return k + 1
            if not (j + 2 < n and text[j + 2] == "%"):  # "70/72%" is a range; "10/10", "24/7" are nothing
                used.update(range(start, j + 2))
                return j + 2
        # a range "100-120ug", "61-70%": the lower end is kept with the upper
        if j + 1 < n and u in RANGE_SEP and kind[j + 1] == NUM and j + 1 not in skip:
            hi = toks.val[j + 1]
            if hi is not None and v < hi <= v * 3 + 10:
                k = j + 2
                if k < n and (_unit_word(text[k]) or text[k] == "%"):
                    lower, v, j = v, hi, j + 1
                    j += 1
        if j < n and text[j] == "-" and j + 1 < n and text[j + 1] in U.COUNT and U.COUNT[text[j + 1]] is None:
            j += 1  # "10-pack"
        elif j + 1 < n and text[j] == "+" and _unit_word(text[j + 1]):
            j += 1  # "240+ mg": at least 240 mg
        u = text[j] if j < n else ""
        if u in ("μ", "µ", "ε") and j + 1 < n and text[j + 1] == "g" and not space[j + 1]:
            j += 1  # "150μg": the tokenizer cuts the Greek mu from the Latin g
            u = "μg"
    uk = kind[j] if j < n else ""
    if u in _FILLERS and j + 1 < n and _unit_word(text[j + 1]):
        j += 1  # "1 full gram", "4 whole grams"
        u = text[j]
    if uk == WORD:
        got = _unit_word(u)
        if got is not None and not (u in ("p", "key", "keys") and space[j]):
            what, f = got
            if what == "mass":
                if u == "8th" or u in _TH or (u in ("ball", "balls") and v == 8):
                    val = U.OUNCE / 8 if v == 8 or u == "8th" else v * U.OUNCE / 8
                else:
                    val = v * f
                m.mass.append(Mention(val, start, j, u, False, lower * f if lower is not None else None))
            elif what == "dose":
                # "10mg/ml" is a concentration, not a dose
                if j + 2 < n and text[j + 1] == "/" and text[j + 2] in U.MILLILITRE:
                    used.update(range(start, j + 3))
                    return j + 3
                m.dose.append(Mention(v * f, start, j, u, False, lower * f if lower is not None else None))
            else:
                m.volume.append(Mention(v * f, start, j, u))
            used.update(range(start, j + 1))
            return j + 1
        if u in _TH and v == 8 and not (j + 1 < n and text[j + 1] in _ORDINAL_NOUNS):
            m.mass.append(Mention(U.OUNCE / 8, start, j, "8th"))
            used.update(range(start, j + 1))
            return j + 1
        if u == "st" and not space[j] and t[-1:] == "1" and t[-2:] != "11":
            return j + 1  # "1st", "21st": an ordinal ("5st" stays 5 pieces)
        if u in U.COUNT:
            if u in ("x", "×") and j + 1 < n and text[j + 1] in U.NOT_A_COUNT:
                return j + 1
            m.count.append(Mention(v, start, j, U.COUNT[u] or ""))
            used.update(range(start, j + 1))
            return j + 1
        cur = U.CODES.get(u)
        if cur is not None and (not space[j] or u not in U.AMBIGUOUS_CODES):
            _price(toks, m, v, cur, start, j)
            return j + 1
        if u in U.DOLLAR_PREFIX and j + 1 < n and text[j + 1] == "$" and not space[j + 1]:
            _price(toks, m, v, U.DOLLAR_PREFIX[u], start, j + 1)
            return j + 2
    elif uk == SYM:
        if u == "%" or u == "٪":
            m.pct.append(Mention(v, start, j, "%", False, lower))
            used.update(range(start, j + 1))
            return j + 1
        cur = U.SYMBOLS.get(u)
        if cur is not None:
            _price(toks, m, v, cur, start, j)
            return j + 1
    # a currency written before the number: "$87", "EUR120", "au$ 30"
    p = start - 1
    if p >= 0 and p not in used:
        pk = kind[p]
        pc = U.SYMBOLS.get(text[p]) if pk == SYM else U.CODES.get(text[p]) if pk == WORD else None
        if pc is not None:
            if pk == WORD and space[start] and text[p] in U.AMBIGUOUS_CODES:
                pc = None
            elif pc == "USD" and text[p] == "$" and p > 0 and kind[p - 1] == WORD and not space[p] and \
                    text[p - 1] in U.DOLLAR_PREFIX:
                pc = U.DOLLAR_PREFIX[text[p - 1]]
            if pc is not None:
                _price(toks, m, v, pc, p, i)
                return i + 1
    m.bare.append(Mention(v, start, i, "", False, lower))
    return i + 1


def _price(toks: Tokens, m: Mentions, v: float, cur: str, start: int, end: int) -> None:
    text, n = toks.text, len(toks.text)
    m.used.update(range(start, end + 1))
    k = end + 1
    # "$65/g", "80€/g", "$1.90 each", "$11 per pill", "$10 a gram"
    if k < n and text[k] == "/":
        m.price.append(Mention(v, start, end, cur, per_unit=True))
        return
    if k < n and text[k] in U.SHIPPING_WORDS:
        return
    if k < n and (text[k] in U.PER_UNIT_WORDS and (text[k] not in ("a", "per") or (
            k + 1 < n and (text[k + 1] in U.MASS or text[k + 1] in U.COUNT)))):
        m.price.append(Mention(v, start, end, cur, per_unit=True))
        return
    if start > 0 and text[start - 1] in ("+", "~+"):
        return  # "+ $5" is an extra charge
    if cur in U.SUBUNIT:
        cur, f = U.SUBUNIT[cur]
        v *= f
    m.price.append(Mention(v, start, end, cur))


def _count_before_number(toks: Tokens, i: int, m: Mentions) -> None:
    """ "x10", "X 50", "Qty: 3" """
    text, kind = toks.text, toks.kind
    j = i + 1
    if j < len(text) and text[j] == ":":
        j += 1
    if j < len(text) and kind[j] == NUM and j not in m.used:
        v = toks.val[j]
        # "2 x 5g": the number after x belongs to the mass; "x64", "x86" name a processor, not a count
        if v is not None and v == int(v) and not (j + 1 < len(text) and _unit_word(text[j + 1])) \
                and not (text[j] in _CPU_BITS and not toks.space[j]):
            m.count.append(Mention(v, i, j, ""))
            m.used.update(range(i, j + 1))


def _unit_alone(toks: Tokens, i: int, m: Mentions) -> None:
    """ "OZ Mazar", "QP Sour Diesel", "an eighth": a unit word with no number."""
    m.mass.append(Mention(U.MASS[toks.text[i]], i, i, toks.text[i]))
    m.used.add(i)

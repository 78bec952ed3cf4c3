"""Split a post into priced items: one per product line, one per quantity on a multi-price line.

This module only decides where items begin and end, and which name an item carries when its own
text has none (``1g - 80€`` under a ``❄️ COCAINE 90%`` heading, or the later quantities of
``Cocaine 87% — 0.5g $42 | 28g $2047``). Reading the quantity, purity and price of an item is the
extraction engine's job (``dnmobs.extract.parse_listing``); the tokens found here serve only to cut.

A line is cut into items at its prices: with quantities written before prices (``5g 50€ | 10g 90€``)
an item runs from its first quantity to its last price; with prices first (``€75 - 1g | €350 - 5g``)
from its price to the next one. A price with no quantity between it and the previous price
(``USD 120 (0.09 BTC)``, ``80€ (was 100€)``) belongs to the item before it. Lines without a price
give no item; they become the heading whose name the following nameless items take.

Patterns are Python ``re``, audited for linear time (see the note at ``_NUM``); the characters
around a token are checked in Python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

# Python's re, audited: every repetition is bounded and no group repeats another unbounded one, so each
# start position costs a bounded amount of work and a line costs linear time (tests/test_messengers_menus.py
# fuzzes the patterns and times adversarial lines). RE2 would be linear by construction, but its Python
# binding costs ~15 us per match, and menus are read line by line: re is ten times faster here.
# '(?!\d)' after a number and '(?![^\W\d_])' (no letter) after a word make backtracking find the whole
# number ('0.0136', not '0.013') and the whole word ('euro', not 'eur').
_NUM = r"(?:\d{1,3}(?:[ ,.'’\u00a0\u202f]\d{3}){1,4}(?:[.,]\d{1,8})?|\d{1,9}(?:[.,]\d{1,8})?|[.,]\d{1,8})(?!\d)"
_SYM = r"[€$£¥₽₴₿]"
_SYMBOLS = frozenset("€$£¥₽₴₿")
_END = r"(?![^\W\d_])"  # not followed by a letter
_CODE_END = r"(?![^\W\d_]|-\w)"  # nor by a dash and a name: '25E-NBOMe' is no price in 'e' (euro)
_CODES = (r"eur|euros?|usd|us\$|gbp|chf|aud|cad|nzd|sek|nok|dkk|pln|czk|huf|rub|uah|gel|btc|xmr|ltc|eth|usdt|"
          r"dollars?|bucks|pounds?|quid|руб(?:лей|\.)?|р\.|грн|zł|kč|e")
# a price: symbol or code on either side of a number; '75,-' is a price in Dutch and German posts
_START = r"(?<![^\W_])"  # not preceded by a letter or digit: 'x50 240€' has the price '240€', not '50 240€'
# a price does not start inside another number ("12.05.2023 €80": not "05.2023 €")
_PSTART = _START + r"(?<!\d[.,])"
# '75,-', '75.-', '75,--', '75,–': a whole amount (Dutch, German, Swiss menus), '1.250,- €'
_DASH = r"\d{1,6}(?:[ .\u00a0\u202f]\d{3}){0,3}[,.](?:--?|[–—])(?![-\d])"
_PRICE = re.compile(
    r"(?i)" + _PSTART + r"(" + _SYM + r"\s?" + _NUM + r"|" + _NUM + r"\s?" + _SYM + r"|" + _NUM + r"\s?(?:" + _CODES + r")" + _CODE_END +
    r"|(?:eur|usd|gbp|chf|btc|xmr|us\$)\s?" + _NUM +
    r"|" + _DASH + r"(?:\s?" + _SYM + r"|\s?(?:eur|euro)" + _END + r")?)")
_MASS = r"kg|kgs|kilos?|grams?|gramm[es]?|gramos?|grs?|gms?|g|oz|ozs|ounces?|lbs?|гр|г|кг"
_MG = r"mg|mcg|ug|µg|μg|мг"
_VOL = r"ml|cl"
_COUNT = (r"pcs|pc|pieces?|pills?|tabs?|tablets?|caps|capsules?|blotters?|tickets?|units?|bars?|st|stk|"
          r"stück|шт|x")
_QTY = re.compile(
    r"(?i)" + _START + r"(" + _NUM + r"\s?(?:" + _MASS + r"|" + _MG + r"|" + _VOL + r"|" + _COUNT + r")" + _END +
    r"|x\s?\d{1,6}(?!\d)"
    r"|(?:1/8|1/4|1/2|half|quarter|eighth)\s?(?:oz|ounce|lb|pound|kilo|kg)" + _END +
    r"|(?:/|per\s|a\s)(?:" + _MASS + r"|" + _COUNT + r")" + _END + r")")
_FILLERS = frozenset({"for", "per", "only", "now", "just", "at", "each", "a", "an", "the", "of", "and", "or", "was",
                      "is", "price", "prices", "pcs", "x", "für", "voor", "pour", "por", "para", "за", "по", "de",
                      "à", "le", "la", "el"})
_HAS_DIGIT = re.compile(r"\d")
_POUND = re.compile(r"(?i)pounds?$")
_SEPARATORS = " \t-–—:|/•·=,;>→➡➖▪▫🔸🔹*+~_()[]."
_ITEM_SEPARATORS = " \t-–—:|/•·=,;>→➡➖▪▫🔸🔹*+~_\ufe0f"


class Token(NamedTuple):  # a tuple: menus make hundreds of thousands of them
    kind: str  # 'q' (quantity) or 'p' (price)
    start: int
    end: int
    unit: str = ""  # for quantities: 'mass', 'mg', 'vol', 'count', 'per'


@dataclass(frozen=True)
class Item:
    text: str  # the item as the engine reads it: its own text, after the name it takes when it has none
    context: str | None  # the heading it sits under, for the engine's description (items with a quantity
    # only: a priced line without one under a heading is a footer, 'Shipping 15€', not a product of it)
    line: int  # line number in the post, from 0
    part: int  # position on its line, from 0
    price: str | None = None  # the item's (first) price as written, for the engine's displayed-price reader
    quantity: bool = False  # whether the item's own text states a quantity (mass, volume, dose or count)
    goods: str | None = None  # the text without its prices: what the engine reads as the title (as a market
    # listing's title, beside its price), so that 'BTC' or '243,-' are not read as words or quantities


def _boundary_ok(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    if before.isalnum() and text[start].isalnum():
        return False
    return not (after.isalnum() and text[end - 1].isalnum())


def _words(alternation: str) -> frozenset[str]:
    """The words an RE2 alternation of plain words with optional endings matches ('grams?' -> gram, grams)."""
    out = set()
    for w in alternation.split("|"):
        if w.endswith("?"):
            out |= {w[:-2], w[:-1]}
        elif "[es]" in w:
            base = w.replace("[es]", "")
            out |= {base, base + "e", base + "s"}
        else:
            out.add(w)
    return frozenset(out)


_KINDS = (("mg", _words(_MG)), ("vol", _words(_VOL)), ("mass", _words(_MASS)), ("count", _words(_COUNT)))


def _unit_kind(tok: str) -> str:
    low = tok.lower()
    if low.startswith(("/", "per ", "a ")):
        return "per"
    if low.startswith("x"):
        return "count"
    word = low.lstrip("0123456789.,'’ ")
    for kind, words in _KINDS:
        if word in words:
            return kind
    return "mass"  # 1/8 oz, half ounce, quarter kilo


def tokens(line: str) -> list[Token]:
    """Prices and quantities in a line, in order, prices winning where they overlap."""
    found: list[Token] = []
    if not _HAS_DIGIT.search(line):  # every price and quantity has a digit, or is a unit after one
        return found
    pos = 0
    while (m := _PRICE.search(line, pos)) is not None:
        s, e = m.span(1)
        pos = e
        if e < len(line) and line[e].isdigit() and line[e - 1] in _SYMBOLS and line[e - 2].isspace():
            # '2017 €1925', 'Batch 7 £80': a symbol glued to the number after it belongs to that number
            again = _PRICE.match(line, e - 1)
            if again is not None and _boundary_ok(line, *again.span(1)):
                s, e = again.span(1)
                pos = e
        if _boundary_ok(line, s, e):
            found.append(Token("p", s, e))
    if len(found) >= 2 and any(_POUND.search(line, t.start, t.end) for t in found):
        # '1 Pound of ICE  3 436 EUR': beside another price, 'pound' is the weight (as the engine reads it)
        mass = [t for t in found if _POUND.search(line, t.start, t.end)]
        if len(mass) < len(found):
            found = [Token("q", t.start, t.end, "mass") if t in mass else t for t in found]
    prices = [t for t in found if t.kind == "p"]  # in order, not overlapping: one pointer walks them beside the quantities
    j = 0
    for m in _QTY.finditer(line):
        s, e = m.span(1)
        while j < len(prices) and prices[j].end <= s:
            j += 1
        if not _boundary_ok(line, s, e) or (j < len(prices) and prices[j].start < e):
            continue
        found.append(Token("q", s, e, _unit_kind(m.group(1))))
    found.sort(key=lambda t: t.start)
    return found


_UNIT_WORDS = frozenset().union(*(w for _, w in _KINDS), {"eur", "euro", "euros", "usd", "gbp", "chf", "btc",
                                                          "xmr", "dollar", "dollars", "bucks", "pounds", "руб",
                                                          "грн", "oz", "ounce", "half", "quarter", "eighth"})


_WORD = re.compile(r"\S+")
_NOT_LETTER = re.compile(r"[\W\d_]+")


def _residual_letters(text: str) -> int:
    """Letters that name something: outside tokens, fillers, unit and currency words. A word of letters
    and digits ('2C-B', '4-MMC', '25i-NBOMe') names a substance and counts as a name by itself."""
    n = 0
    for word in _WORD.findall(text.replace("/", " ")):
        w = _NOT_LETTER.sub("", word).lower()
        if not w or w in _FILLERS or w in _UNIT_WORDS:
            continue
        if len(w) >= 2:
            n += len(w)
        if len(w) != len(word) and _HAS_DIGIT.search(word):
            n += 3
    return n


def _without(text: str, spans: list[tuple[int, int]]) -> str:
    out, pos = [], 0
    for s, e in sorted(spans):
        out.append(text[pos:s])
        out.append(" ")
        pos = max(pos, e)
    out.append(text[pos:])
    return " ".join("".join(out).split())


def _clean(text: str) -> str:
    """A name without the separators and bullets around it."""
    return text.strip(_SEPARATORS).lstrip("\ufe0f").strip()


def _trim(text: str) -> str:
    """An item's text without the separators that joined it to its neighbours."""
    return text.strip(_ITEM_SEPARATORS)


def _is_unit_price(toks: list[Token], i: int) -> bool:
    """A price with its own unit right after it ('80€/g', '10€ per pill'): an item in itself."""
    return toks[i].kind == "p" and i + 1 < len(toks) and toks[i + 1].unit == "per"


def _qty_first(toks: list[Token]) -> bool:
    """Whether quantities come before their prices on this line (judged by the first item)."""
    skip = False
    for i, t in enumerate(toks):
        if skip or t.unit == "per":
            skip = False
            continue
        if _is_unit_price(toks, i):
            skip = True
            continue
        return t.kind == "q"
    return True


def _group(toks: list[Token]) -> list[list[Token]]:
    """Tokens of a line grouped into items (see the module text). Linear in the number of tokens."""
    if not any(t.kind == "p" for t in toks):
        return []
    qty_first = _qty_first(toks)
    groups: list[list[Token]] = []
    cur: list[Token] = []
    has_p = has_q = False  # does ``cur`` hold a price, a quantity (other than a 'per' unit)?

    def close() -> None:
        nonlocal cur, has_p, has_q
        if cur:
            groups.append(cur)
        cur, has_p, has_q = [], False, False

    i = 0
    while i < len(toks):
        t = toks[i]
        if _is_unit_price(toks, i) and not (qty_first and has_q and not has_p):
            close()
            groups.append([t, toks[i + 1]])
            i += 2
            continue
        # quantities then prices: a quantity after a price starts the next item;
        # prices first: a price after a quantity starts the next item
        if (qty_first and t.kind == "q" and has_p) or (not qty_first and t.kind == "p" and has_q):
            close()
        cur.append(t)
        has_p = has_p or t.kind == "p"
        has_q = has_q or (t.kind == "q" and t.unit != "per")
        i += 1
    if cur:
        if has_p or not groups:
            groups.append(cur)
        else:
            groups[-1].extend(cur)  # trailing quantities with no price of their own
    return [g for g in groups if any(x.kind == "p" for x in g)]


# an entry (a line, its items' texts) costs ~1 KB: 16,384 bound the memo near 16 MB in a long ingest
@lru_cache(maxsize=1 << 14)
def split_line(line: str, carry: str | None) -> tuple[tuple[tuple[str, str, bool, str], ...], str | None]:
    """(text, price as written, has a quantity, text without its prices) of each item of one line, and
    the name later nameless lines should take. Memoised: channels repost the same menu lines."""
    toks = tokens(line)
    groups = _group(toks)
    if not groups:
        return (), None
    spans: list[tuple[int, int]] = []
    qty_first = _qty_first(toks)
    for i, g in enumerate(groups):
        last = i == len(groups) - 1
        if qty_first:
            start = 0 if i == 0 else spans[-1][1]
            end = len(line) if last else g[-1].end
        else:
            start = 0 if i == 0 else g[0].start
            end = len(line) if last else groups[i + 1][0].start
        spans.append((start, end))
    first_tokens = [(t.start, t.end) for t in groups[0]]
    name = _clean(_without(line[spans[0][0]:spans[0][1]], first_tokens))
    own_name = _residual_letters(name) >= 3
    items = []
    prefixes: dict[frozenset[str], str] = {}  # by the quantity kinds an item gives anew: few distinct sets
    for i, g in enumerate(groups):
        s, e = spans[i]
        text = _trim(line[s:e])
        price = next(line[t.start:t.end] for t in g if t.kind == "p")
        has_qty = any(t.kind == "q" for t in g)
        own = _without(line[s:e], [(t.start - s, t.end - s) for t in g])
        goods = _trim(_without(line[s:e], [(t.start - s, t.end - s) for t in g if t.kind == "p"])
                      .replace("( )", "").replace("[ ]", ""))  # '(0.0901 BTC)' leaves no empty brackets
        if _residual_letters(own) >= 3:
            items.append((text, price, has_qty, goods))
            continue
        prefix = carry
        if i and own_name:
            # the first item's name, without the quantities this item gives anew
            kinds = frozenset(t.unit for t in g if t.kind == "q")
            if kinds not in prefixes:
                drop = [(t.start, t.end) for t in groups[0] if t.kind == "p" or t.unit in kinds or t.unit == "per"]
                prefixes[kinds] = _clean(_without(line[spans[0][0]:spans[0][1]], drop))
            prefix = prefixes[kinds]
        items.append((f"{prefix} {_trim(text)}" if prefix else text, price, has_qty,
                      f"{prefix} {goods}" if prefix else goods))
    return tuple(items), (name if own_name else None)


def split(text: str) -> list[Item]:
    """The priced items of a post, in order. A post without prices gives none."""
    if not text:
        return []
    items: list[Item] = []
    section: str | None = None  # the last line without a price that names something: the heading
    carry: str | None = None  # the last name seen, heading or priced line, for nameless items
    for n, raw_line in enumerate(text.split("\n")):
        line = raw_line.strip()
        if not line:
            continue
        texts, name = split_line(line, carry)
        if not texts:
            cleaned = _clean(line)
            if _residual_letters(cleaned) >= 3:
                section = carry = cleaned
            continue
        items.extend(Item(t, section if q else None, n, i, p, q, g) for i, (t, p, q, g) in enumerate(texts))
        if name:
            carry = name
    return items

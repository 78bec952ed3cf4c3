"""parse_listing: what a listing sells, how much, how pure, for how much in USD, from where to where.

The text part (substance, form, quantities, purity, places named in the title) depends only on the
title and description and is memoised: titles repeat across snapshots. The price part depends on
the displayed price, the date and the rates, and is cheap arithmetic on top.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from itertools import pairwise
from typing import Final

from dnmobs.extract import units as U
from dnmobs.extract.mentions import Mention, Mentions, scan
from dnmobs.extract.offer import Offer, SubOffer
from dnmobs.extract.places import field_codes, title_places
from dnmobs.extract.price import derived, market_currency, parse_displayed, price_flags, to_usd
from dnmobs.extract.taxonomy import Entry, Taxonomy, load
from dnmobs.extract.terms import Found, find_terms
from dnmobs.extract.text import MAX_TEXT, NUM, WORD, Tokens, normalize, tokenize

MAX_DESCRIPTION: Final = 2000  # characters of a description that are read

# Around a percentage: words that make it a THC content, a ratio or a slogan, not a purity ...
_PCT_NOT: Final = frozenset({"thc", "cbd", "тгк", "tgk", "thca", "cbn", "sativa", "indica", "hybrid", "of", "legal",
                      "genuine", "organic", "natural", "satisfaction", "guaranteed", "guarantee", "safe", "secure",
                      "positive", "feedback", "discreet", "stealth", "money", "success", "delivery", "customer",
                      "legit", "real", "authentic", "original", "reship", "reshipping", "price", "cashback",
                      "refund", "tax", "vat", "deposit", "stake", "win", "escrow", "finalize", "ratio", "rating",
                      "recommend", "recommended", "tip", "fee", "fees", "commission", "apr", "roi",
                      "interest", "battery", "charged", "cotton", "polyester", "silk"})
# ... and words that make a small one a discount ("10% OFF", "-5% for BTC", "sale 20%").
_PCT_DISCOUNT: Final = frozenset({"off", "discount", "sale", "extra", "bonus", "free", "more", "rabatt", "korting",
                           "descuento", "скидка", "skidka", "скидки", "promo", "promotion", "fe", "cheaper", "bigger",
                           "larger", "stronger", "faster", "lower", "save", "saving", "up", "upto", "get", "only",
                           "just", "btc", "bitcoin", "акция", "aktsija", "-", "off!", "reduced", "rebate", "ca",
                           "about", "now", "pay", "paying"})
_DISCOUNT_MAX: Final = 50.0
_PURITY_WORDS: Final = frozenset({"pure", "purity", "pureness", "puro", "pura", "pureza", "pur", "pure!", "rein",
                           "reinheit", "reinheitsgrad", "czystość", "чистота", "чистый", "чистая", "chistota",
                           "uncut", "quality", "qualität", "qualitat", "kwaliteit", "qualité", "calidad",
                           "tested", "labtested", "purity:", "lab", "гарантия"})
_BUNDLE: Final = frozenset({"+", "&", "and", "und", "plus", "with", "w/", "и", "con", "avec", "met"})
_LIST_SEP: Final = frozenset({"/", "|", ",", ";", "or", "oder", "ou", "o", "или", "-", "–", "&", "and", "·", "•"})
_DOSE_WORDS: Final = frozenset({"dose", "doses", "dosis", "servings"})  # "5 doses": a count of a drug
_DISCRETE_FALLBACK_MAX_MG: Final = 250.0  # a "dose" above this, with no count or pill word, is a mass


class Qty:
    """One quantity a text offers. (Plain slotted classes, not NamedTuples, here and in TextFacts:
    one is built for nearly every title, and the compiled build makes them and reads their fields
    without running Python code; measured in bench/extract_speed.py. Read-only by convention: the
    memo hands the same objects out again.)"""

    __slots__ = ("dose_mg", "grams", "price_amount", "price_currency", "units", "volume_ml")

    def __init__(self, grams: float | None = None, units: float | None = None, dose_mg: float | None = None,
                 volume_ml: float | None = None, price_amount: float | None = None,
                 price_currency: str | None = None) -> None:
        self.grams = grams
        self.units = units
        self.dose_mg = dose_mg
        self.volume_ml = volume_ml
        self.price_amount = price_amount
        self.price_currency = price_currency

    def __repr__(self) -> str:
        return (f"Qty(grams={self.grams!r}, units={self.units!r}, dose_mg={self.dose_mg!r}, "
                f"volume_ml={self.volume_ml!r}, price_amount={self.price_amount!r}, "
                f"price_currency={self.price_currency!r})")


class TextFacts:
    """Everything that depends only on the text of a listing (read-only by convention, cheap to build)."""

    __slots__ = ("brand", "category", "cls", "flags", "form", "is_drug", "potent", "purity", "qtys",
                 "several_prices", "ships_from", "ships_to", "substance")

    def __init__(self, is_drug: bool | None, substance: str | None, cls: str | None, form: str | None,
                 brand: str | None, category: str | None, purity: float | None, qtys: tuple[Qty, ...],
                 ships_from: str | None, ships_to: str | None, flags: tuple[str, ...], potent: bool = False,
                 several_prices: bool = False) -> None:
        self.is_drug = is_drug
        self.substance = substance
        self.cls = cls
        self.form = form
        self.brand = brand
        self.category = category
        self.purity = purity
        self.qtys = qtys
        self.ships_from = ships_from
        self.ships_to = ships_to
        self.flags = flags
        self.potent = potent
        self.several_prices = several_prices   # the text prices each of several quantities

    def __repr__(self) -> str:
        return "TextFacts(" + ", ".join(f"{k}={getattr(self, k)!r}" for k in self.__slots__) + ")"


_NOTHING: Final = TextFacts(None, None, None, None, None, None, None, (), None, None, ())


# --- substance, form, category ---------------------------------------------------------------------

def _split_piece(infos: tuple) -> tuple:
    """ "100gCocaine", "5grPure": a unit glued to the next word is cut off it. Works on the tokens of
    one piece of text (no white space inside): a word glued to a number is in the number's piece."""
    if len(infos) < 2:
        return infos
    out = None
    tax = load()
    lex, prefixes = tax.lexicon, tax.prefixes
    for i in range(len(infos) - 1, 0, -1):  # right to left: a split shifts the tokens after i
        cur = infos[i]
        if cur[1] != WORD or infos[i - 1][1] != NUM:
            continue
        w = cur[0]
        if w in _KNOWN_AFTER_NUMBER or w in lex or w in prefixes:
            continue
        for u in _GLUE_UNITS:
            if w.startswith(u) and len(w) > len(u):
                r = cur[4]
                at = len(u)
                if w[at:] in lex or (r[at].isupper() and r[:at].islower()):
                    if out is None:
                        out = list(infos)
                    out[i:i + 1] = [(w[:at], WORD, cur[2], w[:at], r[:at], None),
                                    (w[at:], WORD, False, w[at:], r[at:], None)]
                    break
    return infos if out is None else tuple(out)


_GLUE_UNITS: Final = ("grams", "gram", "grs", "gr", "kg", "mg", "ml", "oz", "ug", "mcg", "pcs", "x", "g")
_KNOWN_AFTER_NUMBER: Final = frozenset({*U.MASS, *U.MILLIGRAM, *U.MILLILITRE, *U.COUNT, *U.CODES})


def _tokens(text: str) -> Tokens:
    return tokenize(normalize(text), _split_piece)


def _first(pairs: list[tuple[int, Entry]]) -> Entry:
    """The entry of the first term (by position) of a list of (position, entry)."""
    best = pairs[0]
    for p in pairs:
        if p[0] < best[0]:
            best = p
    return best[1]


def _first_major(pairs: list[tuple[int, Entry]]) -> Entry:
    """The first entry that is not minor (strains, presses, generic form words), else the first."""
    best = pairs[0]
    for p in pairs:
        if (p[1].minor, p[0]) < (best[1].minor, best[0]):
            best = p
    return best[1]


def _homonym(f: Found, toks: Tokens, m: Mentions, tax: Taxonomy, e: Entry) -> Entry:
    """A substance named only by a name that is also another's strain name ("LSD"), beside a strong
    term of that other substance and a mass or seeds: the strain ("1g Sour Diesel (LSD) shatter",
    "LSD feminized x 10 seeds"; not "1X 150ug LSD - Flower of Light", a blotter's name)."""
    owners = {tax.homonyms.get(toks.key[p]) for p, x in f.subs if x.value == e.value}
    if len(owners) != 1 or None in owners:
        return e
    owner = owners.pop()
    return next((x for _, x in sorted(f.subs, key=lambda p: p[0])
                 if x.value == owner and (m.mass or x.form == "seed")), e)


# A one-letter abbreviation ("1g K") comes right after the mass, or after "of" or one word ("1g
# local K"); after these words a letter labels something else ("7g batch K", "5g vitamin C").
_LETTER_LABELS: Final = frozenset({"batch", "lot", "grade", "type", "class", "size", "vitamin", "vit", "model",
                                   "version", "part", "section", "plan", "option", "level", "tier", "series",
                                   "block", "room", "stamp", "number", "no", "nr", "category", "group", "mark",
                                   "phase", "stage", "step", "day", "page", "chapter", "vol", "volume", "edition",
                                   "per", "and", "or", "to", "the"})
# glued after a letter, these make it part of a code or an abbreviation ("K-9", "K/9", "K.O", "K:170")
_LETTER_GLUE: Final = frozenset("-/:&'’+‐‑–.@")


def _letter_after_mass(toks: Tokens, m: Mentions, f: Found, tax: Taxonomy) -> None:
    """Add the weak substance a one-letter abbreviation names right after a mass ("1g K", "2 grams of
    C", "2 gr white H"): a letter alone names nothing ("batch K", "K 56", "10 K", "U.K", "C+K")."""
    text, kind, space = toks.text, toks.kind, toks.space
    n = len(text)
    letters = tax.letters
    for x in m.mass:
        k = x.end + 1
        if k + 1 < n and kind[k] == WORD and len(text[k]) > 1 and text[k] not in _LETTER_LABELS:
            if text[k] != "of" and len(text[k + 1]) != 1:
                continue
            k += 1
        if k >= n or kind[k] != WORD or len(text[k]) != 1 or not space[k]:
            continue
        e = letters.get(text[k])
        if e is None or k in m.used:
            continue
        if k + 1 < n:
            nk, nt = kind[k + 1], text[k + 1]
            if nk == NUM or (not space[k + 1] and (nk == WORD or (nt in _LETTER_GLUE and not (
                    nt == "." and (k + 2 >= n or space[k + 2]))))):
                continue
        f.weak_subs.append((k, e))
        return


def _choose_substance(f: Found, evidence: bool, m: Mentions, tax: Taxonomy, toks: Tokens
                      ) -> tuple[Entry | None, bool]:
    """(the entry that names the substance, whether it was a weak term). The first strong name wins;
    strain, pill-press and generic form words ("seeds") only when no other substance is named. A weak
    term needs evidence of a drug offer, and no dose far above what one pill of it holds ("Fruit
    Loops bars 500mg" are not Xanax bars)."""
    if f.subs:
        e = _first_major(f.subs)
        if tax.homonyms and not m.dose:  # a dose ("150ug LSD, Flower of Light") names the drug itself
            e = _homonym(f, toks, m, tax, e)
        defer = tax.substances[e.value].defer_to
        if defer is not None:  # "CBD Blue Shark feminized seeds", "CBD cheeba chews": cannabis
            e = next((x for _, x in sorted(f.subs, key=lambda p: p[0]) if x.value == defer), e)
        return e, False
    if f.weak_subs and evidence and not any(not e.weak for _, e in f.classes):
        dose = m.dose[0].value if m.dose else None
        for _, e in sorted(f.weak_subs, key=lambda p: (p[1].minor, p[0])):
            dmax = tax.substances[e.value].dose_max_mg
            if dose is not None and dmax and dose > 2 * dmax and not m.mass:
                continue
            if e.minor and e.form == "flower" and dose is not None and not m.mass:
                continue  # "25 x Pine Apple 160mg" is a pill, not the strain
            return e, True
    return None, False


def _family(toks: Tokens, tax: Taxonomy) -> tuple[str, str | None] | None:
    """(class, substance or None) from a word ending that names a family ("...azolam", "...pinaca")."""
    ends = tax.suffixes
    every = tax.suffix_tuple
    for t, k in zip(toks.text, toks.kind, strict=True):
        if k == WORD and len(t) > 5 and t.endswith(every):
            for suf, cls, sub in ends:
                if t.endswith(suf) and len(t) >= len(suf) + 3:
                    return cls, sub
    return None


# A year after these words dates an offer, not a publication ("SPECIAL 2017", "harvest 2016").
_OFFER_DATE_WORDS: Final = frozenset({"special", "sale", "deal", "deals", "offer", "promo", "promotion", "summer",
                               "winter", "spring", "autumn", "fall", "christmas", "xmas", "year", "easter",
                               "harvest", "crop", "batch", "season", "stock", "new"})


def _year_without_quantity(toks: Tokens, m: Mentions) -> bool:
    return not m.price and any(b.value == int(b.value) and 1900 <= b.value <= 2029 and b.lower is None
                               and not (b.start and toks.text[b.start - 1] in _OFFER_DATE_WORDS)
                               for b in m.bare) and sum(k == WORD for k in toks.kind) >= 2


# Ecstasy pills are named by their press ("Blue Punisher", "SS", "Orange Owls") and hold 80-350 mg.
_XTC_MIN_MG: Final = 80.0
_XTC_MAX_MG: Final = 350.0


def _looks_like_xtc(toks: Tokens, m: Mentions, f: Found, tax: Taxonomy) -> bool:
    # a unit word alone is no mass here: "Oz-Pressed - 100 x 130MG Pills" (Australian-pressed)
    if not m.dose or f.classes or any(not _unit_alone(toks, x) for x in m.mass):
        return False
    d = m.dose[0].value
    pill = any(e.value == "pill" for _, e in f.forms) or any(c.unit == "pill" for c in m.count)
    return _XTC_MIN_MG <= d <= _XTC_MAX_MG and (pill or bool(m.count))


def _press_named_like_goods(toks: Tokens, m: Mentions, f: Found, tax: Taxonomy, decisive: list) -> bool:
    """"100x Playstation 200mg", "25 x Rolex pills 220mg": goods' brand names are ecstasy press names
    too; a count and the dose of one ecstasy pill say it is the pill (goods are not sold by the mg)."""
    return all(p[1].value in tax.press_names for p in decisive) and _looks_like_xtc(toks, m, f, tax)


def _form(tax: Taxonomy, sub: str | None, cls: str | None, f: Found, m: Mentions) -> str | None:
    allowed = tax.class_forms.get(cls, frozenset()) if cls else frozenset()
    specific = [(p, e.form) for p, e in [*f.subs, *f.weak_subs] if e.value == sub and e.form]
    if specific:
        non_flower = [x for x in specific if x[1] != "flower"]
        return min(non_flower or specific)[1]
    default = tax.substances[sub].form if sub else None
    for c in m.count:
        if c.unit and (c.unit in allowed or not cls):
            # "LSD 25 tabs": tabs of a blotter drug are blotters
            return default if c.unit == "pill" and default in ("blotter", "gel") else c.unit
    strong = [(p, e.value) for p, e in f.forms if not e.weak and (e.value in allowed or not cls)]
    weak = [(p, e.value) for p, e in f.forms if e.weak and (e.value in allowed or not cls)]
    if strong:
        return min(strong)[1]
    if sub and any(e.brand for _, e in f.subs if e.value == sub) and "pill" in allowed:
        return "pill"
    if weak and sub:
        return min(weak)[1]
    if sub:
        return tax.substances[sub].form
    return min(strong or weak)[1] if (strong or weak) else None


def _unit_alone(toks: Tokens, x: Mention) -> bool:
    """A mass read from a unit word with no number ("OZ Mazar", "QP Sour Diesel")."""
    return toks.text[x.start] == x.unit and x.unit in U.ALONE


# --- purity -----------------------------------------------------------------------------------------

def _purity(toks: Tokens, m: Mentions) -> tuple[float | None, bool]:
    """(the purity claimed, whether it was a range)."""
    text, kind, space = toks.text, toks.kind, toks.space
    n = len(text)
    cands: list[Mention] = []
    for p in m.pct:
        v = p.value
        if not 1 <= v <= 100:
            continue
        s, e = p.start, p.end
        b1 = text[s - 1] if s >= 1 else ""
        b2 = text[s - 2] if s >= 2 else ""
        a1 = text[e + 1] if e + 1 < n else ""
        a2 = text[e + 2] if e + 2 < n and a1 in ("+", "!", ")", "]") else ""
        small = v < _DISCOUNT_MAX
        # "-10%" is a discount, "Uncut-81.88%" is not
        glued_dash = b1 == "-" and s >= 2 and not space[s - 1] and kind[s - 2] == WORD
        if (b1 in _PCT_NOT and b1 != "of") or (b2 in _PCT_NOT and b2 != "of" and kind[s - 2] == WORD
                                               and kind[s - 1] != WORD):
            continue
        if small and not glued_dash and (b1 in _PCT_DISCOUNT or (b2 in _PCT_DISCOUNT and kind[s - 2] == WORD
                                                                and kind[s - 1] != WORD)):
            continue
        if a1 in _PCT_NOT or a2 in _PCT_NOT:
            continue
        if small and (a1 in _PCT_DISCOUNT or a2 in _PCT_DISCOUNT):
            # "93% + FREE SHIPPING" still states a purity; "25% free" does not
            k = e + (3 if a2 else 2)
            if not ((a1 == "free" or a2 == "free") and k < n and text[k] in U.SHIPPING_WORDS):
                continue
        if v >= 100 and not (b1 in _PURITY_WORDS or b2 in _PURITY_WORDS or a1 in _PURITY_WORDS
                             or a2 in _PURITY_WORDS):
            continue
        cands.append(p)
    if not cands:
        return None, False
    first = cands[0]
    if first.lower is not None:  # "90-95%": the vendor's lower bound
        return first.lower, True
    # "89%-92%", "88%/95%": two percentages joined by a dash or slash are a range too
    if len(cands) > 1 and all(t in ("-", "–", "/", "to", "~") for t in text[first.end + 1:cands[1].start]) \
            and cands[1].start - first.end <= 2:
        return min(first.value, cands[1].value), True
    return first.value, False


# --- quantities ---------------------------------------------------------------------------------------

def _between(toks: Tokens, a: int, b: int) -> tuple[str, ...]:
    return toks.text[a + 1:b]


def _distinct_masses(toks: Tokens, masses: list[Mention]) -> list[Mention]:
    """Drop restatements of the same quantity: "28g (1oz)", "1000GRAMS (1KG)", "3.5g 3.5 gram 1/8"."""
    out: list[Mention] = []
    for mm in masses:
        if out:
            last = out[-1]
            gap = _between(toks, last.end, mm.start)
            close = len(gap) <= 4 and all(t in "()[]-/=~,:" or t in ("of", "or", "aka", "approx", "ca")
                                          for t in gap)
            if close and abs(mm.value - last.value) <= 0.05 * max(mm.value, last.value):
                continue
        out.append(mm)
    return out


def _quantities(toks: Tokens, m: Mentions, form: str | None, sub: str | None, tax: Taxonomy
                ) -> tuple[list[Qty], list[str], bool]:
    """The quantities a text offers, flags, and whether each carries its own price."""
    flags: list[str] = []
    discrete_form = form in tax.discrete_forms
    masses = _distinct_masses(toks, m.mass)
    # a unit word alone ("OZ Mazar") counts only when nothing else states the quantity ("Oz-Pressed 100 x 130mg")
    alone = [x for x in masses if _unit_alone(toks, x)]
    if alone and (len(alone) < len(masses) or m.count or m.dose or m.volume):
        masses = [x for x in masses if x not in alone]
    counts = m.count
    doses = m.dose
    lead = _lead(toks) if m.bare else 0
    prices = [p for p in m.price if not p.per_unit]
    count_word = any(c.unit for c in counts)
    # A dose with no count and no pill word is a mass when it is larger than a dose can be.
    dose_max = tax.substances[sub].dose_max_mg if sub else None
    as_mass: list[Mention] = []
    if doses and not counts and not masses:
        d = doses[0]
        limit = dose_max * 2 if dose_max else _DISCRETE_FALLBACK_MAX_MG
        explicit_discrete = count_word or _has_discrete_word(form, toks)
        if not discrete_form or (not explicit_discrete and d.value > limit):
            as_mass = [Mention(d.value / 1000.0, d.start, d.end, d.unit, lower=d.lower)]
            doses = []
    dose = doses[0].value if doses else None
    if doses and doses[0].lower is not None:
        dose = doses[0].lower
    vol = m.volume[0].value if m.volume else None
    if not masses and as_mass:
        masses = as_mass

    # Several quantities, each with its price: a menu line "0.5g $42 | 28g $2047".
    items = masses if len(masses) >= 2 else ([c for c in counts] if len(counts) >= 2 else [])
    if len(items) >= 2 and len(prices) >= len(items):
        paired = _pair(items, prices)
        if paired is not None:
            out = []
            for q, p in paired:
                if q in masses:
                    out.append(Qty(grams=q.value, dose_mg=dose, price_amount=p.value, price_currency=p.unit))
                else:
                    out.append(Qty(units=q.value, dose_mg=dose, price_amount=p.value, price_currency=p.unit))
            return out, flags, True

    count = counts[0].value if counts else None
    if count is None and m.bare:
        b = m.bare[0]
        if b.start <= lead and b.value == int(b.value) and 1 <= b.value <= 10000 and (
                discrete_form or dose is not None):
            count = b.value  # "20 XTC Pillen", "1 Herbalife ~100mg MDMA"
    grams = None
    if masses:
        if len(masses) >= 2:
            gap = _between(toks, masses[0].end, masses[1].start)
            if any(t in _BUNDLE for t in gap):
                flags.append("bundle")
            elif all(t in _LIST_SEP for t in gap) and not (count and discrete_form):
                # "1g/3.5g/7g": several offers, one listing price that fits only one of them
                run = [masses[0]]
                for a, b in pairwise(masses):
                    if all(t in _LIST_SEP for t in _between(toks, a.end, b.start)):
                        run.append(b)
                    else:
                        break
                if len(run) >= 2:
                    flags.append("several-quantities")
                    return [Qty(grams=r.value, dose_mg=dose) for r in run], flags, False
            else:
                flags.append("several-quantities")
        first = masses[0]
        grams = first.lower if first.lower is not None else first.value
        if first.lower is not None:
            flags.append("quantity-range")
        # "2 x 5g", "10x ... 1G Joints": an explicit multiplier
        xs = [c for c in counts if c.unit == "" and c.end < first.start] if counts else []
        if xs and count is not None:
            grams = grams * count
    elif not discrete_form and sub is not None and m.bare:
        # "0.5 a-pvp white", "METHADONE 0.5": a bare decimal in a dead-drop shop means grams
        decs = [b for b in m.bare if b.value != int(b.value) and 0 < b.value < 50]
        ints = [b for b in m.bare if b.start <= lead and b.value == int(b.value) and 0 < b.value <= 100]
        pick = decs[0] if decs else (ints[0] if ints and not counts else None)
        if pick is not None:
            grams = pick.value
            flags.append("unit-assumed")
    if grams is None and count is None and dose is None and vol is None:
        return [], flags, False
    return [Qty(grams=grams, units=count, dose_mg=dose, volume_ml=vol)], flags, False


def _lead(toks: Tokens) -> int:
    """The first token after decoration: symbols and the debris of a mangled encoding ("ä‰å 1 Pink
    Panther", "★★ 5x ..."), so that a leading count is read as one."""
    for i, (t, k) in enumerate(zip(toks.text, toks.kind, strict=True)):
        if k == NUM or (k == WORD and not all("\u00a0" <= ch <= "\u02ff" for ch in t)):
            return i
    return 0


def _has_discrete_word(form: str | None, toks: Tokens) -> bool:
    for t in toks.text:
        f = U.COUNT.get(t)
        if f is not None:
            return True
    return False


def _pair(items: list[Mention], prices: list[Mention]) -> list[tuple[Mention, Mention]] | None:
    """Each quantity with the first price after it and before the next quantity (or before it, when
    prices come first: "$42 0.5g")."""
    out = []
    for k, q in enumerate(items):
        nxt = items[k + 1].start if k + 1 < len(items) else 1 << 30
        after = [p for p in prices if q.end < p.start < nxt]
        if after:
            out.append((q, after[0]))
            continue
        prev_end = items[k - 1].end if k else -1
        before = [p for p in prices if prev_end < p.start < q.start]
        if before:
            out.append((q, before[-1]))
            continue
        return None
    return out


def _text_price(m: Mentions, toks: Tokens) -> tuple[float, str] | None:
    prices = [p for p in m.price if not p.per_unit]
    if not prices:
        return None
    # "WAS £120 NOW £100", "ONLY $600": the price after now/only wins; else USD; else the first
    for p in prices:
        if p.start > 0 and toks.text[p.start - 1] in ("now", "only", "jetzt", "nur", "just", "for", "за"):
            return p.value, p.unit
    usd = [p for p in prices if p.unit == "USD"]
    p = usd[0] if usd else prices[0]
    return p.value, p.unit


# --- the text analysis -------------------------------------------------------------------------------

def _evidence(toks: Tokens, m: Mentions, f: Found, purity: float | None, tax: Taxonomy) -> bool:
    """Does the text look like a drug offer: a quantity, a purity, a pill word, a leading count?"""
    return bool(m.mass or m.dose or m.count or m.volume or purity is not None
                or any(not e.weak and e.value in tax.discrete_forms for _, e in f.forms)
                or (m.bare and m.bare[0].start <= _lead(toks)))


# Titles repeat across snapshots and menus repeat across reposts. An entry (its facts, its key's texts) costs
# ~2-3 KB: 16,384 of them bound the memo near 40 MB in long ingests (131,072 took ~350 MB)
@lru_cache(maxsize=1 << 14)
def analyse(title: str, description: str | None = None) -> TextFacts:
    tax = load()
    toks = _tokens(title[:MAX_TEXT])
    if not toks.text:
        return _NOTHING
    f = find_terms(toks)
    m = scan(toks, f.numbers)
    if m.mass and not f.subs and tax.letters:
        _letter_after_mass(toks, m, f, tax)
    purity, purity_range = _purity(toks, m) if m.pct else (None, False)
    quantity = bool(m.mass or m.dose or m.count)
    evidence = quantity or _evidence(toks, m, f, purity, tax)
    flags: list[str] = []
    if f.nondrug:
        unknown = [p for p in f.nondrug if p[1].value in tax.unknown_categories]
        decisive = [p for p in f.nondrug if p[1].value not in tax.unknown_categories]
    else:
        unknown = decisive = f.nondrug

    entry, weak = _choose_substance(f, evidence, m, tax, toks)
    if entry is None and description and not decisive:
        df = find_terms(_tokens(description[:MAX_DESCRIPTION]))
        if df.subs and not df.nondrug:
            entry = _first_major(df.subs)
            flags.append("substance-from-description")
    sub = entry.value if entry is not None else None
    cls = tax.substances[sub].cls if sub else None
    family = _family(toks, tax) if entry is None and not decisive else None
    category = None
    strong_cls = [c for c in f.classes if not c[1].weak] or (f.classes if evidence else [])
    if decisive and not (f.subs and (quantity or (m.volume and all(p[1].value != "paraphernalia"
                                                                     for p in decisive)))) \
            and not _press_named_like_goods(toks, m, f, tax, decisive):
        # "MDMA synthesis guide"; but "1g MDMA rock, mylar protection", "Spore syringe Psilocybe
        # cubensis (10 ml) (growing shrooms)" stay drugs ("Marquis reagent 3ml, tests MDMA" does not)
        is_drug = False
        category = min(decisive, key=lambda p: p[0])[1].value
        sub = cls = None
    elif sub:
        is_drug = True
        if weak:
            flags.append("substance-from-slang")
    elif strong_cls:
        cls = min(strong_cls, key=lambda p: p[0])[1].value
        is_drug = True
    elif family is not None:
        is_drug, cls, sub = True, family[0], family[1]  # "flubrotizolam 5g": a benzodiazepine
        flags.append("substance-from-word-ending")
    elif unknown:
        is_drug = None  # "custom listing for ...": the text names no goods
        category = min(unknown, key=lambda p: p[0])[1].value
    elif f.weak_nondrug and not ((m.mass or m.dose) and not any(
            e.value in tax.weak_beats_quantity for _, e in f.weak_nondrug)):
        # a weak non-drug word loses to a mass or a dose ("QP top shelf, full escrow"), not to a
        # count: "10 x counterfeit 50 euro", "100 x tracking labels"
        is_drug = False
        category = min(f.weak_nondrug, key=lambda p: p[0])[1].value
    elif _looks_like_xtc(toks, m, f, tax):
        is_drug, sub, cls = True, "mdma", tax.substances["mdma"].cls
        flags.append("substance-inferred")  # "25x SS Pills (220mg)"
    elif m.mass or m.dose or any(not e.weak and e.value in tax.discrete_forms for _, e in f.forms) or (
            m.count and (any(c.unit or toks.text[c.end] in _DOSE_WORDS for c in m.count) or m.volume or f.forms)):
        # a drug quantity, substance unknown ("50 gram ethcatinone", "20 pills", "15 x Boldoject 5ml",
        # "Pure White Xtal x 5"). A bare count or a percentage alone is not one: "5 x 50 Euro",
        # "50 pcs" of ammunition, "10 x Knuckle Dusters", "Amazon GC 72%".
        is_drug = True
        flags.append("substance-unknown")
    else:
        is_drug = False  # nothing in the text speaks of a drug

    if is_drug and not quantity and purity is None and _year_without_quantity(toks, m):
        # "Magic Mushrooms Around The World - 1997": a drug named beside a year, no quantity: a book
        is_drug, category, sub, cls = False, "guide", None, None
        flags.append("looks-like-a-publication")

    brand = None
    if sub:
        brand = next((e.brand for _, e in sorted(f.subs, key=lambda p: p[0]) if e.value == sub and e.brand), None)
    form = _form(tax, sub, cls, f, m) if is_drug else None
    if not is_drug:
        qtys: list[Qty] = []
        several_prices = False
        purity = None
    else:
        qtys, qflags, several_prices = _quantities(toks, m, form, sub, tax)
        flags.extend(qflags)
        if not several_prices and qtys:
            tp = _text_price(m, toks)
            if tp is not None and len(qtys) == 1:
                q = qtys[0]
                qtys = [Qty(q.grams, q.units, q.dose_mg, q.volume_ml, tp[0], tp[1])]
        if cls == "cannabis":
            purity = None  # percentages on cannabis are THC contents or ratios
        elif purity_range:
            flags.append("purity-range")
    frm, to = title_places(toks, m.used)
    if (frm is None or to is None) and description:
        dfrm, dto = title_places(_tokens(description[:MAX_DESCRIPTION]), set())
        frm, to = frm or dfrm, to or dto
    potent = bool(sub and tax.substances[sub].potent)
    return TextFacts(is_drug, sub, cls, form, brand, category, purity, tuple(qtys), frm, to, tuple(flags),
                     potent, several_prices)


# --- parse_listing ---------------------------------------------------------------------------------

def _as_date(d) -> date | None:
    if d is None or isinstance(d, date):
        return d if not isinstance(d, datetime) else d.date()
    try:
        return date.fromisoformat(str(d)[:10])
    except ValueError:
        return None


def parse_listing(title: str, description: str | None = None, price=None, date=None, market: str | None = None,
                  *, rates=None, ships_from: str | None = None, ships_to: str | None = None,
                  price_currency: str | None = None, usd_rate: float | None = None,
                  price_usd_shown: float | None = None) -> Offer:
    """Extract an Offer from a listing.

    ``price`` is the displayed price text ('USD 120.00 (0.0901 BTC)', '75 EUR') or a number (in
    ``price_currency``, else the market's coin); ``date`` the listing date (date or 'YYYY-MM-DD');
    ``rates`` a ``Rates`` (or a sequence of them, tried in order) for converting to USD.
    ``ships_from``/``ships_to`` are shipping fields as shown; ``usd_rate`` a rate the page itself
    shows (USD per unit of the price currency) and ``price_usd_shown`` a USD price it shows.
    """
    values, subs = listing_values(title, description, price, date, market, rates=rates, ships_from=ships_from,
                                  ships_to=ships_to, price_currency=price_currency, usd_rate=usd_rate,
                                  price_usd_shown=price_usd_shown)
    return Offer(*values, tuple(SubOffer(*v) for v in subs))  # type: ignore[call-arg]


def listing_values(title: str, description: str | None = None, price=None, date=None, market: str | None = None,
                   *, rates=None, ships_from: str | None = None, ships_to: str | None = None,
                   price_currency: str | None = None, usd_rate: float | None = None,
                   price_usd_shown: float | None = None) -> tuple[tuple, list[tuple]]:
    """The Offer's field values (in ``OFFER_FIELDS`` order, without ``offers``) and, when the text
    offers several quantities, each sub-offer's values (``SUB_FIELDS`` order). parse_listing and
    `dnmobs extract` share it; tuples, because building frozen dataclasses costs microseconds."""
    facts = analyse(title or "", description or None)
    day = _as_date(date)
    rate_list = () if rates is None else (rates,) if hasattr(rates, "usd") else tuple(rates)

    amount = cur = None
    shown = price_usd_shown
    if isinstance(price, (int, float)) and not isinstance(price, bool):
        amount, cur = float(price), price_currency or market_currency(market)
    elif isinstance(price, str) and price.strip():
        amount, cur, s = parse_displayed(price)
        cur = cur or price_currency or market_currency(market)
        shown = shown if shown is not None else s
    elif price_currency:
        cur = price_currency

    flags = list(facts.flags)
    subs: list[tuple] = []
    qtys = facts.qtys or _NO_QTY
    several = len(qtys) > 1
    bundle = "bundle" in flags
    for q in qtys:
        if facts.several_prices or (q.price_amount is not None and amount is None):
            a, c, s = q.price_amount, q.price_currency, None
        elif several:
            a, c, s = None, None, None  # one listing price for several quantities: it fits only one
        else:
            a, c, s = amount, cur, shown
        usd, source, note = to_usd(a, c, day, usd_shown=s, usd_rate=usd_rate if c == cur else None,
                                   rates=rate_list)
        if several and not facts.several_prices and amount is not None:
            note = "one listing price for several quantities"
        per_g, per_pure, per_unit = derived(usd, None if bundle else q.grams, q.units, facts.purity)
        subs.append((q.grams, q.units, q.dose_mg, q.volume_ml, a, c, usd, source, note, per_g, per_pure, per_unit))
    top = subs[0]
    top_amount: float | None  # (declared: the compiled build checks the types mypy infers)
    top_cur: str | None
    if several and not facts.several_prices and amount is not None:
        top_amount, top_cur = amount, cur
        top_usd, top_src, top_note = to_usd(amount, cur, day, usd_shown=shown, usd_rate=usd_rate, rates=rate_list)
        top_note = "one listing price for several quantities" if top_usd is not None else top_note
        per: tuple[float | None, float | None, float | None] = (None, None, None)
    else:
        top_amount, top_cur, top_usd, top_src, top_note = top[4], top[5], top[6], top[7], top[8]
        per = (top[9], top[10], top[11])
    for fl in price_flags(top_amount, top_usd, per[0], facts.potent):
        if fl not in flags:
            flags.append(fl)
    frm = field_codes(ships_from) if ships_from else None
    to = field_codes(ships_to) if ships_to else None
    values = (facts.is_drug, facts.substance, facts.cls, facts.form, top[0], top[1], top[2], facts.purity,
              top_amount, top_cur, top_usd, per[0], frm or facts.ships_from, to or facts.ships_to,
              facts.brand, facts.category, top[3], per[1], per[2], top_src, top_note, tuple(flags))
    return values, (subs if several else [])


_NO_QTY: Final = (Qty(),)

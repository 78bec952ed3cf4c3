"""Places: shipping fields and titles to ISO 3166 alpha-2 codes and region codes (EU, WW, NA, SA, AS, OC, AF).

Fields are free text as the market showed them ("Worldwide", "UnitedKingdom", "UK,USA,Philippines",
"WorldwideexceptUSA", "N. America"); titles carry places in a few patterns ("UK2EU", "from DE",
"Shipping from Germany", "USA to USA", "[GER]", "UK vendor", "Australia only"). Several codes are
joined with a comma ("GB,EU"). Unknown text gives None: nothing is guessed.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache, lru_cache
from importlib import resources
from typing import Final

from dnmobs.extract.taxonomy import compact
from dnmobs.extract.text import SYM, WORD, Tokens, normalize, tokenize

REGIONS: Final = ("EU", "WW", "NA", "SA", "AS", "OC", "AF")
_MAX_FIELD: Final = 500  # characters of a shipping field that are read

# a field value is split on these; "except"/"excluding"/"but not" end the useful part
_SPLIT: Final = re.compile(r"[,;/&+|]| and | or | und | y | et | en | и ")
_EXCEPT: Final = re.compile(r"except|excluding|excl\.?|but not|ausser|außer|no |not |sauf|кроме", re.I)
_CONNECTORS: Final = ("and", "or", "und", "en", "et", "y")
_STRIP_SUFFIX: Final = ("only", "onrequest", "uponrequest", "domestic", "nur", "solo", "tylko", "только")
_STRIP_PREFIX: Final = ("shipsfrom", "shipfrom", "shippedfrom", "shipsto", "shipto", "from", "to", "the")

FROM_WORDS: Final = frozenset({"from", "frm", "aus", "uit", "desde", "depuis", "z", "из", "od", "ex", "von"})
LINK_WORDS: Final = frozenset({"2", "to", ">", "→", "➡", "->", "=>", "nach", "naar", "vers", "в", "➔", "»", "-", "–"})
AFTER_FROM: Final = frozenset({"vendor", "seller", "stock", "domestic", "based", "warehouse", "shipped", "shipping",
                        "dispatch", "dispatched", "versand", "verkäufer", "lager", "händler"})
AFTER_TO: Final = frozenset({"only", "nur", "solo", "tylko", "только", "exclusively"})
WORLDWIDE: Final = frozenset({"ww", "worldwide", "weltweit", "wereldwijd", "worldwidee"})
BRACKETS: Final = frozenset("[](){}~|")


@cache
def _title_starts() -> frozenset[str]:
    """Tokens that may begin a place name in a title: whole names and first words of longer ones."""
    raw = tomllib.loads(resources.files("dnmobs.extract").joinpath("places.toml").read_text(encoding="utf-8"))
    out = set(_tables()[1])
    for names in [*raw["countries"].values(), *raw["regions"].values()]:
        for name in names:
            words = [k for k in tokenize(normalize(name)).key if k]
            if words:
                out.add(words[0])
    return frozenset(out)


@cache
def _tables() -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    """(compact name -> codes for fields, compact name -> code for titles)."""
    raw = tomllib.loads(resources.files("dnmobs.extract").joinpath("places.toml").read_text(encoding="utf-8"))
    fields: dict[str, tuple[str, ...]] = {}
    titles: dict[str, str] = {}
    for code, names in raw["countries"].items():
        if code != "NA":  # "NA" in a field is R's missing value, not Namibia
            fields.setdefault(code.lower(), (code,))
            titles.setdefault(code.lower(), code)  # in titles only in capitals ("from DE")
        for name in names:
            fields[compact(name)] = (code,)
            titles[compact(name)] = code
    for code, names in raw["regions"].items():
        fields[code.lower()] = (code,)
        for name in names:
            fields[compact(name)] = (code,)
            titles[compact(name)] = code
    fields["na"] = ()  # R's NA
    return fields, titles


@lru_cache(maxsize=4096)
def field_codes(value: str | None) -> str | None:
    """A shipping field as codes: 'Worldwide' -> 'WW', 'UK,USA' -> 'GB,US', 'Undeclared' -> None."""
    if not value or not value.strip():
        return None
    text = value.strip()[:_MAX_FIELD]
    m = _EXCEPT.search(text)
    if m and m.start() > 0:
        text = text[:m.start()]
    codes: list[str] = []
    parts = [p for p in _SPLIT.split(text) if p.strip()] or [text]
    for part in parts:
        for c in _part_codes(compact(part)):
            if c not in codes:
                codes.append(c)
    return ",".join(codes) or None


@lru_cache(maxsize=8192)  # the connector split recurses on suffixes: memoised, and only after a known place
def _part_codes(c: str) -> tuple[str, ...]:
    fields = _tables()[0]
    if not c:
        return ()
    hit = fields.get(c)
    if hit is not None:
        return hit
    for suf in _STRIP_SUFFIX:
        if c.endswith(suf) and len(c) > len(suf):
            return _part_codes(c[: -len(suf)])
    for pre in _STRIP_PREFIX:
        if c.startswith(pre) and len(c) > len(pre):
            hit = _part_codes(c[len(pre):])
            if hit:
                return hit
    for cut in ("except", "excluding", "exclude", "but", "no", "not"):
        k = c.find(cut, 2)
        if k > 0:
            hit = fields.get(c[:k])
            if hit is not None:
                return hit
    for conn in _CONNECTORS:  # "ukandireland", "chinaoreu"
        k = c.find(conn, 2)
        while k > 0:
            left = fields.get(c[:k])
            if left is not None:  # recurse only after a known place
                right = _part_codes(c[k + len(conn):])
                if right:
                    return (*left, *right)
            k = c.find(conn, k + 1)
    return ()


def _place_at(toks: Tokens, i: int, skip: set[int]) -> tuple[str, int] | None:
    """The place named by the tokens starting at i, and its last token."""
    titles = _tables()[1]
    text, kind, raw = toks.text, toks.kind, toks.raw
    if kind[i] != WORD or i in skip:
        return None
    n = len(text)
    best = None
    key = ""
    for j in range(i, min(i + 3, n)):
        if kind[j] != WORD or j in skip:
            break
        key += text[j]
        code = titles.get(key)
        if code is not None:
            if j == i and len(key) <= 3 and not (raw[i].isupper() and len(raw[i]) >= 2):
                continue  # "us", "aus", "can" in lower case are words; "US", "AUS", "CAN" are places
            best = (code, j)
    return best


def title_places(toks: Tokens, skip: set[int]) -> tuple[str | None, str | None]:
    """(ships_from, ships_to) found in a title's tokens; ``skip`` are tokens used by quantities."""
    text, kind, space = toks.text, toks.kind, toks.space
    n = len(text)
    starts = _title_starts()
    spans: list[tuple[int, int, str]] = []
    nxt_free = 0
    for i in [i for i, t in enumerate(text) if t in starts]:
        if i < nxt_free:
            continue
        p = _place_at(toks, i, skip)
        if p is not None:
            spans.append((i, p[1], p[0]))
            nxt_free = p[1] + 1
    if not spans:
        return None, None
    frm: list[str] = []
    to: list[str] = []

    def prev(k: int) -> int:
        k -= 1
        while k >= 0 and kind[k] == SYM and text[k] in BRACKETS:
            k -= 1
        return k

    def nxt(k: int) -> int:
        k += 1
        while k < n and kind[k] == SYM and text[k] in BRACKETS:
            k += 1
        return k

    for idx, (s, e, code) in enumerate(spans):
        b = prev(s)
        a = nxt(e)
        if b >= 0 and text[b] == "the":
            b = prev(b)
        # "UK2EU", "USA to USA", "[EU]>[WW]", "USA-USA"
        if idx + 1 < len(spans) and a < n:
            s2, e2, code2 = spans[idx + 1]
            link = text[a]
            if a + 1 < n and text[a] == "-" and text[a + 1] == ">":
                link, a2 = "->", nxt(a + 1)
            else:
                a2 = nxt(a)
            if link in LINK_WORDS and a2 == s2 and (link != "2" or (not space[a] and not space[a + 1])) and (
                    link not in ("-", "–") or (toks.raw[s].isupper() and toks.raw[s2].isupper())):
                if code not in frm:
                    frm.append(code)
                if code2 not in to:
                    to.append(code2)
                continue
        if b >= 0 and text[b] in FROM_WORDS:
            if code not in frm:
                frm.append(code)
            continue
        if a < n and kind[a] == WORD and text[a] in AFTER_FROM:
            if code not in frm:
                frm.append(code)
            if text[a] == "domestic" and code not in to:
                to.append(code)
            continue
        # "(USA/CANADA ONLY)", "Australia only"
        k = a
        while k < n and kind[k] == SYM and text[k] in "/,&":
            k = nxt(k)
        if a < n and text[a] in AFTER_TO:
            if code not in to:
                to.append(code)
            continue
        if k < n and any(sp[0] == k for sp in spans[idx + 1:idx + 2]):
            # a list "USA/CANADA": it takes the role of its last member
            s2, e2, code2 = spans[idx + 1]
            a2 = nxt(e2)
            if a2 < n and text[a2] in AFTER_TO and code not in to:
                to.append(code)
            continue
        # a place alone in brackets: "[GER]", "(USA)", "~germany"
        if s - 1 >= 0 and kind[s - 1] == SYM and text[s - 1] in "[(~" and ((a < n and text[a] in "])") or a >= n or
                                                                           text[s - 1] == "~"):
            if code not in frm:
                frm.append(code)
            continue
        if code == "WW" and code not in to:
            to.append(code)
    return (",".join(frm) or None), (",".join(to) or None)


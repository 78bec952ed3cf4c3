"""Vendor handles reduced to the forms that survive a rename.

Vendors who move or split accounts keep their name recognisable: case and separators change
(``The_Lynx``/``thelynx``), digits stand in for letters (``the_g0dfather``), words are added around the
name (``the_real_caliconnect``, ``acapulcogold420``, ``kriminalexxx``, ``HollandShopNL``) or swapped
(``MoreSpace``/``SpaceMore``). Each form below undoes one of these; the model compares them level by level.
Plain loops over characters, no patterns: linear time by construction.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

_LEET = str.maketrans({"0": "o", "1": "i", "!": "i", "|": "i", "l": "i", "3": "e", "4": "a", "@": "a",
                       "5": "s", "$": "s", "7": "t", "8": "b"})
# Words vendors put around their name: removed from either end while a name of MIN_STEM letters remains.
AFFIXES_BEFORE = ("the", "real", "official", "original", "its", "im", "mr", "dr", "team", "el", "da", "ur")
AFFIXES_AFTER = ("official", "shop", "store", "market", "inc", "ltd", "co", "labs", "lab", "pharma", "pharmacy",
                 "team", "direct", "online", "express", "industries", "xxx", "xx", "sr", "jr", "nl", "uk", "us",
                 "usa", "eu", "de", "au", "ca", "se", "dk", "fr", "es", "it", "dream", "agora", "evo", "alpha",
                 "hansa", "v1", "v2", "v3", "v4", "v5", "back", "new", "returns", "again", "world", "worldwide",
                 "global", "international", "intl", "ww")
_AFFIX_SET = frozenset(AFFIXES_BEFORE + AFFIXES_AFTER)
# Glued to the name without a break ('realfake', 'kriminalexxx') only affixes this long are removed:
# shorter ones ('dr', 'us') would eat into ordinary names ('drugs4you', 'nexus').
MIN_GLUED_AFFIX = 3
MIN_STEM = 3


@dataclass(frozen=True)
class HandleForms:
    norm: str  # lower case, letters and digits only: 'The_Lynx' -> 'thelynx'
    skeleton: str  # norm with look-alike characters folded: 'the_g0dfather' -> 'thegodfather' (l, 1 -> i)
    stem: str  # skeleton without the words vendors add around a name: 'the_real_caliconnect' -> 'caiiconnect'
    words: str  # the words of the name, sorted, affixes left out: 'MoreSpace', 'SpaceMore' -> 'more space'


def handle_forms(handle: str) -> HandleForms:
    text = unicodedata.normalize("NFKD", handle or "")
    text = "".join(c for c in text if not unicodedata.combining(c))
    words = split_words(text)
    norm = "".join(words)
    skeleton = norm.translate(_LEET)
    core = [w for w in words if w not in _AFFIX_SET]
    return HandleForms(norm=norm, skeleton=skeleton, stem=_stem(words) or skeleton,
                       words=" ".join(sorted(core or words)))


def split_words(text: str) -> list[str]:
    """Lower-case words: breaks at anything not a letter or digit and where a capital follows a small letter
    ('HollandShopNL' -> holland, shop, nl). Digits stay inside words ('g0dfather')."""
    words: list[str] = []
    cur: list[str] = []
    prev = ""
    for c in text:
        if c.isalnum() or c in "$@!|":
            if cur and c.isupper() and prev.islower():
                words.append("".join(cur))
                cur = []
            cur.append(c)
            prev = c
        else:
            if cur:
                words.append("".join(cur))
                cur = []
            prev = ""
    if cur:
        words.append("".join(cur))
    return [w.lower() for w in words]


def _stem(words: list[str]) -> str:
    ws = [w for w in words if w]
    changed = True
    while changed and ws:
        changed = False
        # whole affix words at either end ('the', 'real', 'shop', 'nl', 'v2')
        if len(ws) > 1 and ws[0] in AFFIXES_BEFORE and len("".join(ws[1:])) >= MIN_STEM:
            ws.pop(0)
            changed = True
        if len(ws) > 1 and ws[-1] in AFFIXES_AFTER and len("".join(ws[:-1])) >= MIN_STEM:
            ws.pop()
            changed = True
        # trailing digits are decoration more often than name ('bestman365', 'acapulcogold420')
        last = ws[-1].rstrip("0123456789")
        if last != ws[-1] and len("".join(ws[:-1]) + last) >= MIN_STEM:
            if last:
                ws[-1] = last
            else:
                ws.pop()
            changed = True
    stem = "".join(ws).translate(_LEET)
    # affixes glued on
    changed = True
    while changed:
        changed = False
        for a in _GLUED_BEFORE:
            if stem.startswith(a) and len(stem) - len(a) >= MIN_STEM:
                stem, changed = stem[len(a):], True
        for a in _GLUED_AFTER:
            if stem.endswith(a) and len(stem) - len(a) >= MIN_STEM:
                stem, changed = stem[:-len(a)], True
    return stem


_GLUED_BEFORE = tuple(a.translate(_LEET) for a in AFFIXES_BEFORE if len(a) >= MIN_GLUED_AFFIX)
_GLUED_AFTER = tuple(a.translate(_LEET) for a in AFFIXES_AFTER if len(a) >= MIN_GLUED_AFFIX)

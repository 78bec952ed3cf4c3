"""Text normalisation and the tokenizer every extractor works on.

One pass of one regular expression cuts the text into numbers, letter runs and single symbols; the
extractors then walk the token list by hand (linear, no backtracking). The pattern is audited for
linear time: its alternatives start with disjoint character classes, and the only repetitions are
``\\d+`` and a ``(?:[.,]\\d+)*`` group that must consume a separator before more digits, so no input
can make it backtrack (tests/test_extract_safety.py fuzzes it with hypothesis).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# numbers (with decimal or thousands separators), runs of ASCII letters, runs of other letters,
# whitespace runs, any other character. ASCII and other letters are cut apart so that the debris of
# a mangled encoding glued to a word ("MDMAäÖƒ") leaves the word whole; the term matcher joins
# adjacent pieces back ("cocaïne" = coca|ï|ne).
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[a-zA-Z]+|[^\W\da-zA-Z_]+|\s+|.", re.S)

MAX_TEXT = 4000  # characters of a title or description that are read; the rest is ignored

NUM, WORD, SYM = "n", "w", "p"

# Characters that may sit inside a multi-token term ("2c-b", "driver's", "a.k.a", "hydrocodone/apap").
JOINERS = frozenset("-'./’‐‑–")


def normalize(text: str) -> str:
    """NFKC text (full-width digits, ligatures, ½ -> 1⁄2, µ -> μ) with ``ё`` read as ``е``; case kept."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).replace("ё", "е").replace("Ё", "Е")
    return text


@dataclass(slots=True)
class Tokens:
    """Parallel lists: token text (lower case), kind (NUM, WORD, SYM), whether white space precedes
    it, its matching key (letters and digits only), and the token as written (case kept)."""

    text: list[str]
    kind: list[str]
    space: list[bool]
    key: list[str]
    raw: list[str]

    def __len__(self) -> int:
        return len(self.text)


def tokenize(text: str) -> Tokens:
    """Tokens of a text; ``normalize`` it first."""
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT]
    toks: list[str] = []
    kinds: list[str] = []
    spaces: list[bool] = []
    keys: list[str] = []
    raws: list[str] = []
    sp = False
    for t in _TOKEN.findall(text):
        c = t[0]
        if c.isspace():
            sp = True
            continue
        spaces.append(sp)
        sp = False
        raws.append(t)
        if c.isdigit():
            toks.append(t)
            kinds.append(NUM)
            keys.append(t.replace(".", "").replace(",", "") if len(t) > 1 else t)
        elif c.isalpha():
            t = t.lower()
            toks.append(t)
            kinds.append(WORD)
            keys.append(t)
        else:
            toks.append(t)
            kinds.append(SYM)
            keys.append("")
    return Tokens(toks, kinds, spaces, keys, raws)


def parse_number(s: str) -> float | None:
    """A number as written in listings: '0,5' and '0.5' are halves, '1,200' and '1.200.000' use
    thousands separators, '1.200,50' and '1,200.50' both mean 1200.5."""
    if s.isdigit():
        return float(s)
    dots, commas = s.count("."), s.count(",")
    try:
        if dots and commas:
            if s.rfind(",") > s.rfind("."):  # 1.200,50
                return float(s.replace(".", "").replace(",", "."))
            return float(s.replace(",", ""))  # 1,200.50
        if commas:
            if commas == 1:
                head, tail = s.split(",")
                if len(tail) == 3 and head != "0" and not head.startswith("0"):
                    return float(head + tail)  # 1,200
                return float(head + "." + tail)  # 0,5  2,5  40,00
            return float(s.replace(",", ""))  # 1,000,000
        if dots > 1:
            return float(s.replace(".", ""))  # 1.000.000
        return float(s)
    except ValueError:
        return None

"""Find taxonomy terms in a token list: leftmost-longest match over runs of tokens.

A term may span several tokens ("girl scout cookies", "2c-b" = 2|c|b, "25i-nbome") when only
white space or a joiner (-'./) separates them; "2CB", "2C-B" and "2c b" all give the key "2cb".
The run is extended only while its key is a prefix of some term, so the work is linear in the
number of tokens times the longest term.
"""

from __future__ import annotations

from typing import Final

from dnmobs.extract.taxonomy import CLASS, FORM, NONDRUG, SUB, Entry, load
from dnmobs.extract.text import JOINERS, NUM, SYM, WORD, Tokens

_MULTIPLIERS: Final = ("x", "×")
_QUOTES: Final = frozenset('"“”„‟«»‘‚‹›`')


class Found:
    """The terms found in a text, as (token position, Entry), by kind, and the number tokens that
    belong to a term ("2c-b", "25i-nbome"): they are not quantities."""

    __slots__ = ("classes", "forms", "nondrug", "numbers", "subs", "weak_nondrug", "weak_subs")

    def __init__(self) -> None:
        self.subs: list[tuple[int, Entry]] = []       # strong substance terms
        self.weak_subs: list[tuple[int, Entry]] = []
        self.forms: list[tuple[int, Entry]] = []
        self.classes: list[tuple[int, Entry]] = []
        self.nondrug: list[tuple[int, Entry]] = []
        self.weak_nondrug: list[tuple[int, Entry]] = []
        self.numbers: set[int] = set()


def find_terms(toks: Tokens) -> Found:
    tax = load()
    lex, prefixes, starts, breaks = tax.lexicon, tax.prefixes, tax.starts, tax.breaks
    text, kind, space, keys = toks.text, toks.kind, toks.space, toks.key
    n = len(text)
    found = Found()
    nxt = 0
    # only tokens that begin some term are looked at (most words begin none)
    for i, key in enumerate(keys):
        if i < nxt or key not in starts:
            continue
        if key in _MULTIPLIERS and ((i > 0 and kind[i - 1] == NUM) or (i + 1 < n and kind[i + 1] == NUM)):
            continue  # "30x pills", "x 10": a multiplier, not the start of a name
        best = lex.get(key)
        best_end = i
        if key in prefixes:
            cur, j = key, i
            while True:
                k = j + 1
                # one joiner may sit between two parts ("2c-b", "driver's"), spaced or not; quotes
                # around a part are read through ('oatmeal "space" cookies', 'Girl "Scout" Cookies')
                gap = space[k] if k < n else False
                quoted = k < n and kind[k] == SYM and text[k] in _QUOTES and kind[j] == WORD
                if quoted:
                    k += 1
                    gap = gap or (space[k] if k < n else False)
                if k < n and kind[k] == SYM and text[k] in JOINERS:
                    gap = gap or space[k]
                    k += 1
                # (a quote joins words only: '2.5" I-shaped' is inches, '"M" - 30mg' an imprint, a dose)
                if k >= n or not keys[k] or (quoted and kind[k] != WORD):
                    break
                # white space only where the term has a break ("girl scout", not "code in" = codein);
                # joiners are written freely ("4c-pvp", "a-PVP")
                if (gap or space[k]) and cur not in breaks:
                    break
                # a number glued after a word is a quantity ("mdma100"), unless a name goes on ("akb48")
                if kind[k] == NUM and not space[k] and kind[j] != NUM and k == j + 1 and len(keys[j]) > 2 \
                        and cur + keys[k] not in prefixes and cur + keys[k] not in lex:
                    break
                cur += keys[k]
                hit = lex.get(cur)
                if hit is not None:
                    best, best_end = hit, k
                if cur not in prefixes:
                    break
                j = k
        if best is not None:
            for e in best:
                ek = e.kind
                if ek == SUB:
                    (found.weak_subs if e.weak else found.subs).append((i, e))
                elif ek == FORM:
                    found.forms.append((i, e))
                elif ek == CLASS:
                    found.classes.append((i, e))
                elif ek == NONDRUG:
                    (found.weak_nondrug if e.weak else found.nondrug).append((i, e))
            if best_end > i or kind[i] == NUM:
                found.numbers.update(x for x in range(i, best_end + 1) if kind[x] == NUM)
            nxt = best_end + 1
    return found

"""Find taxonomy terms in a token list: leftmost-longest match over runs of tokens.

A term may span several tokens ("girl scout cookies", "2c-b" = 2|c|b, "25i-nbome") when only
white space or a joiner (-'./) separates them; "2CB", "2C-B" and "2c b" all give the key "2cb".
The run is extended only while its key is a prefix of some term, so the work is linear in the
number of tokens times the longest term.
"""

from __future__ import annotations

from dataclasses import dataclass

from dnmobs.extract.taxonomy import Entry, load
from dnmobs.extract.text import JOINERS, NUM, SYM, Tokens


@dataclass(frozen=True, slots=True)
class Match:
    start: int              # first token
    end: int                # last token (inclusive)
    entries: tuple[Entry, ...]


def find_terms(toks: Tokens) -> list[Match]:
    tax = load()
    lex, prefixes, starts, breaks = tax.lexicon, tax.prefixes, tax.starts, tax.breaks
    text, kind, space, keys = toks.text, toks.kind, toks.space, toks.key
    n = len(text)
    out: list[Match] = []
    nxt = 0
    # only tokens that begin some term are looked at (most words begin none)
    for i in [i for i, k in enumerate(keys) if k in starts]:
        if i < nxt:
            continue
        key = keys[i]
        if key in ("x", "×") and ((i > 0 and kind[i - 1] == NUM) or (i + 1 < n and kind[i + 1] == NUM)):
            continue  # "30x pills", "x 10": a multiplier, not the start of a name
        best = lex.get(key)
        best_end = i
        if key in prefixes:
            cur, j = key, i
            while True:
                k = j + 1
                # one joiner may sit between two parts ("2c-b", "driver's"), spaced or not
                gap = space[k] if k < n else False
                if k < n and kind[k] == SYM and text[k] in JOINERS:
                    k += 1
                if k >= n or not keys[k]:
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
            out.append(Match(i, best_end, best))
            nxt = best_end + 1
    return out

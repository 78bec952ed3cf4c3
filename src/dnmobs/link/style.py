"""How a vendor writes its listing titles, and which vendors write most alike.

Two accounts of one seller write their titles the same way: the same words and spellings ('3.5g' or
'3,5 gr', 'grams' or 'gr'), the same capitals ('MDMA 84% - CHAMPAGNE' or 'mdma champagne 84%'), the same
punctuation, stars and emoji, the same templates ('10x Adderall IR 20mg; orange b-973'). Each vendor's
titles become one TF-IDF vector of character 4-grams (Stamatatos 2009: character n-grams are the most
robust stylometric features), taken twice: from the title as written (case kept), and from its shape
(capitals -> 'A', small letters -> 'a', digits -> '9', everything else kept), so 'Adderall 30mg XR' adds
'Aaaa', 'a 99', '99aa', 'a AA' whatever the product. Weights: sublinear term frequency, smoothed IDF.

What is compared is the cosine of two vendors' vectors over their distinctive 4-grams (used by at least two
vendors and by at most MAX_DF_SHARE of them, capped at MAX_BLOCK; at most MAX_FEATURES per vendor, the
heaviest), divided by the vectors' full norms. Measured on the Agora vendors (bench/link_quality.py's
data): this keeps the key-sharing accounts among each other's nearest writers as often as the full
vectors do, and it is what keeps the work near-linear: the all-pairs product only meets vendors who share
a distinctive 4-gram, and a 4-gram shared by more than MAX_BLOCK vendors joins none of them.

Ranks matter as much as the cosine (a catalogue of generic titles is near many vendors, a distinctive
writer near few), so each vendor keeps its NEIGHBOURS nearest writers with their cosines; the evidence
(evidence.TITLES) asks whether two vendors are each other's nearest, among each other's nearest three, or
one among the other's nearest.

All of it is numpy and scipy.sparse over all vendors at once (a Python loop per title costs minutes at
200k vendors); titles are read in chunks of vendors, so memory stays bounded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

NGRAM = 4
MAX_TITLES = 60  # distinct titles read per vendor, a consistent sample (chosen by hash: shared titles are picked by both)
MAX_FEATURES = 200  # 4-grams kept per vendor for comparing, the heaviest
MAX_DF_SHARE = 0.03  # a 4-gram more vendors than this share use is common writing, not a vendor's own
MIN_DF_CAP = 5
MAX_BLOCK = 100  # and never more than this many vendors (the blocking cap of model.Options.max_block)
NEIGHBOURS = 5
MIN_COSINE = 0.02  # below this two vendors are not neighbours at all
CHUNK_CHARS = 8_000_000  # characters of titles hashed at once
CHUNK_ROWS = 4_000  # vendors whose neighbours are computed at once

_MULT = np.array([0x9E3779B1, 0x85EBCA77, 0xC2B2AE3D, 0x27D4EB2F], dtype=np.uint32)
_SHAPE_SALT = np.uint32(0x5BD1E995)


@dataclass
class Neighbours:
    """For vendor i (row index): its nearest writers and their cosines, best first."""

    vendor: np.ndarray  # int32, row index of the vendor
    other: np.ndarray  # int32, row index of the neighbour
    cosine: np.ndarray  # float32
    rank: np.ndarray  # int16, 1 = nearest


def gram_counts(owner: np.ndarray, titles: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(vendor, 4-gram hash, count) of the titles, each title with its owner's row index; owners must come in
    runs (all titles of a vendor together) so that chunks never split a vendor."""
    vs, gs, ns = [], [], []
    start = 0
    while start < len(titles):
        stop, chars = start, 0
        while stop < len(titles) and (chars < CHUNK_CHARS or owner[stop] == owner[stop - 1]):
            chars += len(titles[stop]) + 3
            stop += 1
        v, g, n = _chunk_counts(owner[start:stop], titles[start:stop])
        vs.append(v)
        gs.append(g)
        ns.append(n)
        start = stop
    if not vs:
        return np.empty(0, np.int32), np.empty(0, np.uint32), np.empty(0, np.int32)
    return np.concatenate(vs), np.concatenate(gs), np.concatenate(ns)


def _chunk_counts(owner: np.ndarray, titles: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # one code point array: ' title ' per title, a 0 between titles (no 4-gram crosses a 0)
    text = "".join(" " + t.replace("\x00", " ") + " \x00" for t in titles)
    cp = np.frombuffer(text.encode("utf-32-le", errors="replace"), dtype=np.uint32)
    lens = np.fromiter((len(t) + 3 for t in titles), dtype=np.int64, count=len(titles))
    who = np.repeat(owner.astype(np.int64), lens)
    shape = cp.copy()
    shape[(cp >= 65) & (cp <= 90)] = 65  # A
    shape[(cp >= 97) & (cp <= 122)] = 97  # a
    shape[(cp >= 48) & (cp <= 57)] = 57  # 9
    keys = []
    for arr, salt in ((cp, np.uint32(0)), (shape, _SHAPE_SALT)):
        h, ok = _grams(arr, salt)
        keys.append((who[:len(h)][ok] << 32) | h[ok].astype(np.int64))
    k, n = np.unique(np.concatenate(keys), return_counts=True)
    return (k >> 32).astype(np.int32), (k & 0xFFFFFFFF).astype(np.uint32), n.astype(np.int32)


def _grams(c: np.ndarray, salt: np.uint32) -> tuple[np.ndarray, np.ndarray]:
    """A 32-bit hash of every 4 consecutive code points, and whether the 4 lie inside one title."""
    m = len(c) - NGRAM + 1
    if m <= 0:
        return np.empty(0, np.uint32), np.empty(0, bool)
    with np.errstate(over="ignore"):
        h = c[:m] * _MULT[0]
        for i in range(1, NGRAM):
            h += c[i:i + m] * _MULT[i]
        h += salt
        h ^= h >> np.uint32(16)
        h *= np.uint32(0x85EBCA6B)
        h ^= h >> np.uint32(13)
        h *= np.uint32(0xC2B2AE35)
        h ^= h >> np.uint32(16)
    zero = c == 0
    bad = zero[:m].copy()
    for i in range(1, NGRAM):
        bad |= zero[i:i + m]
    return h, ~bad


def vectors(vendor: np.ndarray, gram: np.ndarray, count: np.ndarray, n_vendors: int) -> sp.csr_matrix:
    """The vendors' comparable style vectors (rows: vendor index), divided by their full TF-IDF norms."""
    if len(gram) == 0:
        return sp.csr_matrix((n_vendors, 1), dtype=np.float32)
    uniq, col, df = np.unique(gram, return_inverse=True, return_counts=True)
    with_titles = len(np.unique(vendor))
    idf = np.log((1.0 + with_titles) / (1.0 + df)) + 1.0
    w = ((1.0 + np.log(count)) * idf[col]).astype(np.float32)
    norm = np.sqrt(np.bincount(vendor, weights=w.astype(np.float64) ** 2, minlength=n_vendors))
    cap = max_df(with_titles)
    keep = (df[col] >= 2) & (df[col] <= cap)
    v, c, w = vendor[keep], col[keep], w[keep]
    # the MAX_FEATURES heaviest per vendor
    order = np.lexsort((-w, v))
    v, c, w = v[order], c[order], w[order]
    starts = np.searchsorted(v, v, side="left")
    top = (np.arange(len(v)) - starts) < MAX_FEATURES
    v, c, w = v[top], c[top], w[top] / norm[v[top]].astype(np.float32)
    return sp.csr_matrix((w, (v, c)), shape=(n_vendors, len(uniq)), dtype=np.float32)


def max_df(n_with_titles: int) -> int:
    return int(min(MAX_BLOCK, max(MIN_DF_CAP, MAX_DF_SHARE * n_with_titles)))


def neighbours(x: sp.csr_matrix, k: int = NEIGHBOURS) -> Neighbours:
    """Each vendor's k nearest writers (cosine of the style vectors, at least MIN_COSINE)."""
    xt = x.T.tocsr()
    parts: list[tuple[np.ndarray, ...]] = []
    for lo in range(0, x.shape[0], CHUNK_ROWS):
        s = (x[lo:lo + CHUNK_ROWS] @ xt).tocoo()
        rows, cols, vals = s.row.astype(np.int32) + lo, s.col.astype(np.int32), s.data
        ok = (rows != cols) & (vals >= MIN_COSINE)
        rows, cols, vals = rows[ok], cols[ok], vals[ok]
        order = np.lexsort((cols, -vals, rows))  # best first; ties by index, so results are reproducible
        rows, cols, vals = rows[order], cols[order], vals[order]
        rank = np.arange(len(rows)) - np.searchsorted(rows, rows, side="left")
        top = rank < k
        parts.append((rows[top], cols[top], vals[top], (rank[top] + 1).astype(np.int16)))
    if not parts:
        return Neighbours(*(np.empty(0, t) for t in (np.int32, np.int32, np.float32, np.int16)))
    return Neighbours(*(np.concatenate(p) for p in zip(*parts, strict=True)))

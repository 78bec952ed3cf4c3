"""The judged sample of bench/eval_extraction.py: the judgements file is well formed and holds no
title text, the sample is stable when one miss changes, and the interval is a proper one."""

from __future__ import annotations

import importlib.util
import re
import sys
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@cache
def _bench():
    spec = importlib.util.spec_from_file_location("eval_extraction", ROOT / "bench" / "eval_extraction.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


def test_judgements_file_is_well_formed():
    b = _bench()
    judged = b.load_judged()
    assert len(judged) >= 120
    for (fld, key), (verdict, why) in judged.items():
        assert fld in ("substance_class", "substance")
        assert re.fullmatch(r"[0-9a-f]{16}", key)
        assert verdict in b.VERDICTS and why


def test_keys_hash_title_and_label():
    b = _bench()
    k = b.miss_key("10g of something", "Benzos")
    assert re.fullmatch(r"[0-9a-f]{16}", k)
    assert k != b.miss_key("10g of something", "Opioids")
    assert k not in "10g of something"


def test_sample_moves_by_one_row_when_one_miss_is_fixed():
    b = _bench()
    misses = [(f"made-up title {i}", "Benzos", "none") for i in range(300)]
    before = b.sample_misses(misses, 60)
    fixed = before[0][0]
    after = b.sample_misses([m for m in misses if m[0] != fixed], 60)
    assert len(before) == len(after) == 60
    assert len({r[3] for r in before} - {r[3] for r in after}) == 1
    # repeated titles are distinct rows
    twice = b.sample_misses([("same", "Benzos", "x")] * 3, 60)
    assert len(twice) == 3 and len({r[3] for r in twice}) == 1


def test_wilson_interval():
    b = _bench()
    lo, hi = b.wilson(40, 60)
    assert lo < 40 / 60 < hi
    assert abs(lo - 0.5404) < 1e-3 and abs(hi - 0.7735) < 1e-3  # Wilson score interval, z = 1.96
    lo0, hi0 = b.wilson(0, 10)
    assert lo0 == 0.0 and 0.2 < hi0 < 0.35  # no label errors seen still allows some
    assert b.wilson(0, 0) == (0.0, 1.0)

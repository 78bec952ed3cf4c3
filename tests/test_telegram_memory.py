"""A Telegram export is read in constant memory: ten times the file, the same peak (each read in a fresh
process, so the peak is the reader's own). bench/messenger_scale.py measures it at 1 GB."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from messenger_scale import write_account, write_chat

_READ = """
import json, resource, sys
from dnmobs.messengers.telegram_json import Message, iter_export
n = 0
with open(sys.argv[1], 'rb') as fh:
    for item in iter_export(fh):
        n += isinstance(item, tuple) and isinstance(item[1], Message)
print(json.dumps([n, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024]))
"""


def _read(path: Path) -> tuple[int, float]:
    out = subprocess.run([sys.executable, "-c", _READ, str(path)], capture_output=True, text=True, check=True)
    n, peak = json.loads(out.stdout)
    return n, peak


@pytest.mark.parametrize("write", [write_chat, write_account], ids=["one chat", "whole account"])
def test_peak_memory_does_not_grow_with_the_export(tmp_path, write):
    small, big = tmp_path / "small.json", tmp_path / "big.json"
    n_small, n_big = write(small, 3 * 2**19), write(big, 15 * 2**20)
    (got_small, peak_small), (got_big, peak_big) = _read(small), _read(big)
    assert (got_small, got_big) == (n_small, n_big)  # every message read (service ones too)
    assert n_big > 9 * n_small
    # a reader holding the file would need 100+ MB more for the big one
    assert peak_big < peak_small + 25, (peak_small, peak_big)

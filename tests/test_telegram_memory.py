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


# A full ingest (messages, contacts, offers through the engine, repost groups) in a fresh process, with
# batches small enough that a 5 MB export is many of each: whatever stays behind per batch (DuckDB's cache
# of the blocks written, a Python index of the ads) shows as growth here as it does at 1 GB. The engine's
# memo tables are bounded by design (test_memos_stay_bounded) and are cleared as they go, so that their
# filling up is not taken for growth.
_INGEST = """
import functools, json, resource, sys
from dnmobs import store
from dnmobs.extract import listing, places, price, text
from dnmobs.messengers import menus, offers, records, reposts
from dnmobs.ingest.formats import telegram_json
records.BATCH, offers.BATCH, reposts._CHUNK, reposts._UPDATE_BATCH = 500, 500, 250, 1000
telegram_json.CHECKPOINT_RECORDS = ("messages", 2000)
store.BUFFERS_KEPT = "8MB"
memos = [f for m in (listing, places, price, menus) for f in vars(m).values()
         if isinstance(f, functools._lru_cache_wrapper)]
parse, calls = offers.offers_of_text, [0]
def offers_of_text(*args, **kw):
    calls[0] += 1
    if calls[0] % 200 == 0:
        for f in memos:
            f.cache_clear()
        text.clear_cache()
    return parse(*args, **kw)
offers.offers_of_text = offers_of_text
import tracemalloc
group, python_peaks = reposts.group_reposts, []
def group_reposts(con):  # what Python holds while grouping (the index of the ads, were it in Python)
    tracemalloc.start()
    try:
        return group(con)
    finally:
        python_peaks.append(tracemalloc.get_traced_memory()[1] / 2**20)
        tracemalloc.stop()
reposts.group_reposts = group_reposts
from dnmobs.ingest import Options, ingest
con = store.connect(sys.argv[2])
rep = ingest(con, [sys.argv[1]], Options())
n, groups = con.execute("SELECT count(*), count(DISTINCT repost_group) FROM messages").fetchall()[0]
duck = con.execute("SELECT sum(memory_usage_bytes) / 2**20 FROM duckdb_memory()").fetchall()[0][0]
print(json.dumps([n, rep.totals["offers"], groups, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  duck, max(python_peaks)]))
"""


def _ingest(*runs: tuple[Path, Path]) -> list[list]:
    """For each (export, store), in processes of their own side by side: [messages, offers, repost groups,
    peak RSS, DuckDB's memory after, Python's peak while grouping]."""
    procs = [subprocess.Popen([sys.executable, "-c", _INGEST, str(path), str(store)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for path, store in runs]
    out = []
    for p in procs:
        stdout, stderr = p.communicate()
        assert p.returncode == 0, stderr[-2000:]
        out.append(json.loads(stdout.splitlines()[-1]))
    return out


def test_full_ingest_peak_does_not_grow_with_the_export(tmp_path):
    small, big = tmp_path / "small.json", tmp_path / "big.json"
    n_small, n_big = write_chat(small, 2**19), write_chat(big, 5 * 2**20)
    got_small, got_big = _ingest((small, tmp_path / "small.duckdb"), (big, tmp_path / "big.duckdb"))
    assert (got_small[0], got_big[0]) == (n_small, n_big)
    assert got_big[1] > 9 * got_small[1] > 0  # offers made all along
    assert got_big[2] > 5 * got_small[2]  # and many repost groups
    # ten times the export: DuckDB keeps no more than before (it kept every block written: +6 MB here),
    # Python holds no more while grouping (datasketch's index of the ads took +6 MB here), and the peak
    # grows by little (+12-14 MB, the first batches' working memory; it was +18-23 MB)
    assert got_big[4] < got_small[4] + 3, (got_small, got_big)
    assert got_big[5] < got_small[5] + 1, (got_small, got_big)
    assert got_big[3] < got_small[3] + 20, (got_small, got_big)



_MEMOS = """
import gc, json, sys
from dnmobs.messengers.offers import offers_of_text
def run(start, stop):
    peak = 0
    for n in range(start, stop):  # every line and item distinct; a few prices, read once each
        offers_of_text(f"🔥 {n} g Cocaine {80 + n % 17}% uncut batch {n * 7} — {40 + n % 50} EUR")
        if n % 2000 == 0:
            gc.collect()
            peak = max(peak, sys.getallocatedblocks())
    return peak
print(json.dumps([run(0, 40_000), run(40_000, 80_000)]))
"""


def test_memos_stay_bounded():
    """The engine's and the menu splitter's memos hold a bounded number of entries (each a few hundred
    bytes to a few KB): once full, Python's heap stops growing however many distinct menu lines a long
    ingest reads. 40,000 lines fill every memo; 40,000 more must not raise the peak."""
    out = subprocess.run([sys.executable, "-c", _MEMOS], capture_output=True, text=True, check=True)
    first, second = json.loads(out.stdout)
    # memos that kept growing (or were bounded at 131 k entries and 300 k pieces, as before) would hold
    # ~1.5 M more blocks after the second 40,000 lines
    assert second - first < 30_000, (first, second)

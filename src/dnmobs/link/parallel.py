"""Pure-Python work over many records (parsing keys, finding contacts) spread over processes.

DuckDB already uses every core for the SQL; the per-record Python (PGP packets, contact patterns) does not,
so large batches go to a pool of worker processes. On Linux they are forked: a spawned worker would import
the caller's main script again (breaking scripts without a main guard) and pay every import anew; the
forked workers only run pure-Python functions on their arguments and touch no DuckDB state, which is what
makes forking safe here. Small batches stay in the process: starting workers costs more than it saves.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

MIN_PARALLEL = 20_000  # records; below this the work runs in this process
CHUNK = 5_000


def workers() -> int:
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:
        n = os.cpu_count() or 1
    env = os.environ.get("DNMOBS_WORKERS")
    return max(1, int(env)) if env and env.isdigit() else n


def map_chunks(fn: Callable[..., list], items: Sequence, *args: Any) -> list:
    """``fn(chunk, *args)`` over chunks of ``items``, results concatenated in order. ``fn`` must be a
    module-level function (it is sent to the workers by name)."""
    n = workers()
    if len(items) < MIN_PARALLEL or n < 2:
        return fn(list(items), *args)
    chunks = [list(items[i:i + CHUNK]) for i in range(0, len(items), CHUNK)]
    out: list = []
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(n, mp_context=multiprocessing.get_context(method)) as ex:
        for part in ex.map(fn, chunks, *([a] * len(chunks) for a in args)):
            out.extend(part)
    return out

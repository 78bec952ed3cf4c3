"""How many worker processes extraction may use.

Worker processes (forkserver: they start clean, without a store's threads) re-import the main
module. That is safe for the dnmobs command, whose entry point is guarded, but not for any script
that calls the library, so library callers opt in with DNMOBS_WORKERS.
"""

from __future__ import annotations

import os
import sys


def default_workers(min_cpus: int = 4) -> int:
    """DNMOBS_WORKERS if set; else, when running as the dnmobs command on a machine with at least
    ``min_cpus`` CPUs, all of them (at most 8); else 1.

    Ingest keeps the default of 4: on 2 CPUs its DuckDB work and a parse-ahead thread already use
    both, and workers measured slower there. ``dnmobs extract`` does nothing but parse, so it asks
    for 2: on a quiet 2-CPU machine two workers took 24.5 us a line against 40 for one process
    (bench/extract_speed.py, 3 runs each, 2026-11-29)."""
    env = os.environ.get("DNMOBS_WORKERS")
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            return 1
    cpus = os.cpu_count() or 1
    if cpus >= min_cpus and os.path.basename(sys.argv[0] if sys.argv else "") == "dnmobs":
        return min(cpus, 8)
    return 1

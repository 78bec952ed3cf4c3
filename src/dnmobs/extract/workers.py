"""How many worker processes extraction may use.

Worker processes (forkserver: they start clean, without a store's threads) re-import the main
module. That is safe for the dnmobs command, whose entry point is guarded, but not for any script
that calls the library, so library callers opt in with DNMOBS_WORKERS.
"""

from __future__ import annotations

import os
import sys


def default_workers() -> int:
    """DNMOBS_WORKERS if set; else, when running as the dnmobs command on a machine with 4 CPUs or
    more, all of them (at most 8); else 1. (On 2 CPUs the workers' start-up and the other work of
    the machine ate the gain: measured slower than one process.)"""
    env = os.environ.get("DNMOBS_WORKERS")
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            return 1
    cpus = os.cpu_count() or 1
    if cpus >= 4 and os.path.basename(sys.argv[0] if sys.argv else "") == "dnmobs":
        return min(cpus, 8)
    return 1

"""How many worker processes extraction may use.

Worker processes (forkserver: they start clean, without a store's threads) re-import the main
module. That is safe for the dnmobs command, whose entry point is guarded, but not for any script
that calls the library, so library callers opt in with DNMOBS_WORKERS.
"""

from __future__ import annotations

import os
import sys


def default_workers() -> int:
    """DNMOBS_WORKERS if set, else all CPUs (at most 8) when running as the dnmobs command, else 1."""
    env = os.environ.get("DNMOBS_WORKERS")
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            return 1
    if os.path.basename(sys.argv[0] if sys.argv else "") == "dnmobs":
        return min(os.cpu_count() or 1, 8)
    return 1

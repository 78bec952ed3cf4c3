"""Run a piece of work in a fresh child process and report its wall time and peak memory.

Benchmarks use this so each contender is measured alone: the child prints one JSON line with
``seconds``, ``peak_mb`` (its own maximum resident set) and whatever the work returned.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

_WRAPPER = textwrap.dedent("""
    import json, resource, sys, time
    t0 = time.perf_counter()
    result = None
    {body}
    seconds = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({{"seconds": seconds, "peak_mb": peak_mb, "result": result}}, default=str))
""")


def measure(body: str) -> dict:
    """``body`` is Python code; it may set ``result``. Returns the child's JSON report."""
    code = _WRAPPER.format(body=textwrap.indent(textwrap.dedent(body), "").strip().replace("\n", "\n"))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])

"""Speed of `dnmobs extract` against a plain JSON Lines pass-through, and against the baseline.

Input: 100,000 distinct real listing titles from the Agora panel in ../shared (each with its BTC
price, date and market), so the per-text memo cannot help: every line is parsed. Three contenders,
each in a fresh process, timed wall-clock from start to exit:

- pass-through: read the file, ``json.loads`` and ``json.dumps`` each line, write (the floor);
- ``dnmobs extract --input F --output G`` (the whole command, start-up included);
- baseline: price-parser + quantulum3 on the title and price of each line, run on the first
  2,000 lines and scaled to 100,000 (it is ~100x slower; running it on all lines takes minutes).

Last line: ``ratio <extract seconds / pass-through seconds>`` (target <= 5), for the command as run
(all CPUs); the same command held to one process is printed beside it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
PANEL = ROOT.parent / "shared" / "data" / "agora-2014" / "panel-ada"
N = 100_000
BASELINE_N = 2_000

PASSTHROUGH = """
import json, sys
with open(sys.argv[1], encoding="utf-8") as src, open(sys.argv[2], "w", encoding="utf-8") as dst:
    for line in src:
        dst.write(json.dumps(json.loads(line)) + "\\n")
"""

BASELINE = """
import json, sys
from price_parser import Price
from quantulum3 import parser
n = int(sys.argv[3])
with open(sys.argv[1], encoding="utf-8") as src, open(sys.argv[2], "w", encoding="utf-8") as dst:
    for k, line in enumerate(src):
        if k >= n:
            break
        o = json.loads(line)
        p = Price.fromstring(o.get("price") or "")
        try:
            qs = [(q.value, q.unit.name) for q in parser.parse(o["title"])]
        except Exception:
            qs = []
        dst.write(json.dumps({"id": o["id"], "amount": str(p.amount), "currency": p.currency, "q": qs}) + "\\n")
"""


def make_input(path: Path) -> int:
    import duckdb

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    rows = con.sql(f"""
        SELECT name, any_value(price), any_value(date)
        FROM read_csv('{PANEL}/*.csv.gz', all_varchar = true, union_by_name = true)
        WHERE name IS NOT NULL AND trim(name) <> ''
        GROUP BY name ORDER BY hash(name) LIMIT {N}
    """).fetchall()
    with open(path, "wb") as f:
        for i, (title, price, day) in enumerate(rows):
            f.write(orjson.dumps({"id": i, "title": title, "price": price, "date": day, "market": "agora"}) + b"\n")
    return len(rows)


def timed(cmd: list[str], env: dict | None = None) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, env=env)
    secs = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed: {proc.stderr.decode(errors='replace')[-2000:]}")
    return secs


def main() -> None:
    if not PANEL.is_dir():
        print(f"skipped: {PANEL} is absent (the real data sits beside the project)")
        return
    with tempfile.TemporaryDirectory(prefix="dnmobs-extract-speed-") as tmp:
        tmp = Path(tmp)
        src = tmp / "titles.jsonl"
        n = make_input(src)
        env = {**os.environ, "DNMOBS_DB": str(tmp / "no-store.duckdb")}  # no store rates: files only
        dnmobs = str(Path(sys.executable).parent / "dnmobs")
        t_pass = timed([sys.executable, "-c", PASSTHROUGH, str(src), str(tmp / "pass.jsonl")])
        t_ext = timed([dnmobs, "extract", "--input", str(src), "--output", str(tmp / "out.jsonl")], env)
        # the same command held to one process: what the work costs on one core
        t_one = timed([dnmobs, "extract", "--input", str(src), "--output", str(tmp / "one.jsonl")],
                      {**env, "DNMOBS_WORKERS": "1"})
        same = (tmp / "one.jsonl").read_bytes() == (tmp / "out.jsonl").read_bytes()
        t_base_part = timed([sys.executable, "-c", BASELINE, str(src), str(tmp / "base.jsonl"), str(BASELINE_N)])
        t_base = t_base_part * n / BASELINE_N
        produced = (tmp / "out.jsonl").read_bytes().splitlines()
        out_lines = len(produced)
        errors = sum(1 for line in produced if line.startswith(b'{"id":') and b'"error":' in line[:80])
    print(f"input: {n:,} distinct Agora titles as JSON Lines (id, title, price, date, market)")
    cpus = os.cpu_count() or 1
    workers = os.environ.get("DNMOBS_WORKERS") or (min(cpus, 8) if cpus >= 2 else 1)
    print(f"cpus: {cpus}, dnmobs extract worker processes: {workers} (all CPUs, at most 8)")
    print(f"{'contender':34} {'seconds':>8} {'us/line':>8}")
    print(f"{'pass-through (json.loads/dumps)':34} {t_pass:8.2f} {t_pass / n * 1e6:8.1f}")
    print(f"{'dnmobs extract':34} {t_ext:8.2f} {t_ext / n * 1e6:8.1f}   ({out_lines:,} lines out, {errors} errors)")
    print(f"{'dnmobs extract, one process':34} {t_one:8.2f} {t_one / n * 1e6:8.1f}   "
          f"(ratio {t_one / t_pass:.2f}; output {'identical' if same else 'DIFFERS'})")
    print(f"{'baseline price-parser+quantulum3':34} {t_base:8.2f} {t_base / n * 1e6:8.1f}   "
          f"(measured on {BASELINE_N:,} lines: {t_base_part:.2f} s, scaled)")
    print(f"dnmobs extract is {t_base / t_ext:.1f}x faster than the baseline (target >= 20x)")
    print(f"ratio {t_ext / t_pass:.2f}")


if __name__ == "__main__":
    main()

"""The command line: one-line errors and exit codes, --db and DNMOBS_DB, status, export."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq

from test_ingest_core import ROWS, write_snapshot

DNMOBS = str(Path(sys.executable).with_name("dnmobs"))


def run(*args, env=None, cwd=None):
    return subprocess.run([DNMOBS, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120)


def test_missing_file_is_one_line_and_exit_1(tmp_path):
    p = run("--db", str(tmp_path / "s.duckdb"), "ingest", str(tmp_path / "nope.csv"))
    assert p.returncode == 1
    assert p.stderr.strip().count("\n") == 0 and "no such file" in p.stderr
    assert "Traceback" not in p.stderr


def test_bad_option_value_is_one_line(tmp_path):
    p = run("--db", str(tmp_path / "s.duckdb"), "ingest", "x", "--crawl-date", "yesterday")
    assert p.returncode == 1 and "--crawl-date" in p.stderr and "Traceback" not in p.stderr
    p = run("--db", str(tmp_path / "s.duckdb"), "ingest", "x", "--format", "nonsense")
    assert p.returncode == 1 and "unknown format" in p.stderr


def test_store_in_a_missing_folder_is_one_line(tmp_path):
    p = run("--db", str(tmp_path / "no" / "s.duckdb"), "status")
    assert p.returncode == 1 and p.stderr.startswith("error:") and "Traceback" not in p.stderr


def test_ingest_json_status_and_export(tmp_path):
    f = write_snapshot(tmp_path / "2014-05-01_catProducts.csv.gz", ROWS)
    env = {**os.environ, "DNMOBS_DB": str(tmp_path / "env.duckdb")}
    p = run("ingest", str(f), "--json", "--no-extract", env=env)
    assert p.returncode == 0, p.stderr
    summary = json.loads(p.stdout)
    (src,) = summary["sources"]
    assert {k: src[k] for k in ("format", "market", "read", "stored", "quarantined", "skipped")} == {
        "format": "agora-ada", "market": "agora", "read": 3, "stored": 3, "quarantined": 0, "skipped": 0}
    assert summary["totals"]["read"] == 3
    assert (tmp_path / "env.duckdb").exists()

    p = run("status", "--json", env=env)
    st = json.loads(p.stdout)
    assert st["markets"][0]["market"] == "agora" and st["markets"][0]["observations"] == 3

    for ext in ("jsonl", "csv", "parquet"):
        out = tmp_path / f"listings.{ext}"
        p = run("export", "listings", "--out", str(out), env=env)
        assert p.returncode == 0, p.stderr
    lines = [json.loads(x) for x in (tmp_path / "listings.jsonl").read_text().splitlines()]
    assert len(lines) == 3
    assert {"market", "listing_id", "title", "vendor", "category", "price_amount", "price_currency", "price_usd",
            "ships_from", "ships_to", "first_seen", "last_seen"} <= set(lines[0])
    assert pq.read_table(tmp_path / "listings.parquet").num_rows == 3
    p = run("export", "observations", "--out", str(tmp_path / "o.jsonl"), "--market", "elsewhere", env=env)
    assert p.returncode == 0 and (tmp_path / "o.jsonl").read_text() == ""
    p = run("export", "observations", "--out", str(tmp_path / "o.jsonl"), "--since", "2014-05-02", env=env)
    assert (tmp_path / "o.jsonl").read_text() == ""
    p = run("export", "nonsense", "--out", str(tmp_path / "x.jsonl"), env=env)
    assert p.returncode == 1 and "unknown table" in p.stderr

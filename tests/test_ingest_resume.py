"""Re-ingest stores nothing; an ingest killed with SIGKILL mid-way leaves a consistent store, and
running it again ends exactly where one clean run ends, without duplicates."""

from __future__ import annotations

import csv
import io
import os
import shutil
import signal
import subprocess
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb

from dnmobs.ingest import Options, ingest
from dnmobs.store import connect

ROOT = Path(__file__).resolve().parent.parent
DNMOBS = str(ROOT / ".venv/bin/dnmobs")
HEADER = ["", "name", "price", "from", "to", "vendor", "cat_hash", "cat", "date"]


def write_panel(folder: Path, files: int, rows: int) -> None:
    """Agora-ada style snapshots, one date each; a few rows per file lack a title (quarantined) and
    one repeats (skipped), so every outcome is exercised."""
    folder.mkdir(parents=True, exist_ok=True)
    start = date(2014, 1, 1)
    for f in range(files):
        day = start + timedelta(days=f)
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(HEADER)
        for i in range(rows):
            w.writerow([i, "" if i % 500 == 7 else f"{i % 97}g invented item {i // 97}", f"0.{i:05d}", "Atlantis",
                        "Worldwide", f"vendor{i % 53}", "h", "Drugs/Other", str(day)])
        w.writerow([rows, "0g invented item 0", "0.00000", "Atlantis", "Worldwide", "vendor0", "h", "Drugs/Other",
                    str(day)])  # a repeat of row 0
        (folder / f"{day}_catProducts.csv").write_text(buf.getvalue())


def summary(db: Path) -> dict:
    con = duckdb.connect(str(db), read_only=True)
    try:
        q = {
            "observations": "SELECT count(*) FROM observations",
            "distinct_obs": "SELECT count(DISTINCT obs_id) FROM observations",
            "listings": "SELECT count(*) FROM listings",
            "crawls": "SELECT count(*) FROM crawls",
            "vendors": "SELECT count(*) FROM vendors",
            "quarantine": "SELECT count(*) FROM quarantine",
            "complete_sources": "SELECT count(DISTINCT ingest_key) FROM sources WHERE status = 'complete'",
            "source_rows": "SELECT count(*) FROM sources",
            "stored_by_sources": "SELECT sum(n_stored) FROM sources",
            "orphans": "SELECT count(*) FROM observations WHERE source_id NOT IN (SELECT source_id FROM sources)",
            "orphan_quarantine": "SELECT count(*) FROM quarantine WHERE source_id NOT IN (SELECT source_id FROM sources)",
        }
        return {k: con.execute(v).fetchone()[0] for k, v in q.items()}
    finally:
        con.close()


def run_ingest(db: Path, data: Path) -> subprocess.CompletedProcess:
    return subprocess.run([DNMOBS, "--db", str(db), "ingest", str(data), "--json", "--no-extract"],
                          capture_output=True, text=True, timeout=600)


def test_kill_9_mid_ingest_then_rerun_equals_one_clean_run(tmp_path):
    data = tmp_path / "panel"
    write_panel(data, files=260, rows=800)  # agora-ada reads 64 files per chunk: five chunks
    clean, killed = tmp_path / "clean.duckdb", tmp_path / "killed.duckdb"
    assert run_ingest(clean, data).returncode == 0
    want = summary(clean)
    assert want["observations"] > 0 and want["quarantine"] > 0

    connect(killed).close()  # migrations done and checkpointed: no write-ahead log left
    wal = Path(str(killed) + ".wal")
    assert not wal.exists() or wal.stat().st_size == 0
    proc = subprocess.Popen([DNMOBS, "--db", str(killed), "ingest", str(data), "--json", "--no-extract"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    # DuckDB writes large inserts into the file before they commit; the log grows only on commit
    while not (wal.exists() and wal.stat().st_size > 0) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.3)  # into the next chunk
    assert proc.poll() is None, "the ingest ended before it could be killed: give it more input"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    shutil.copy(killed, tmp_path / "after-kill.duckdb")
    if wal.exists():
        shutil.copy(wal, tmp_path / "after-kill.duckdb.wal")
    partial = summary(tmp_path / "after-kill.duckdb")  # opens (replays the WAL) and is consistent
    assert partial["orphans"] == 0 and partial["orphan_quarantine"] == 0
    assert partial["observations"] == partial["distinct_obs"] == partial["stored_by_sources"]
    assert 0 < partial["complete_sources"] < want["complete_sources"]  # killed mid-way, after a commit

    again = run_ingest(killed, data)
    assert again.returncode == 0, again.stderr
    got = summary(killed)
    for key in ("observations", "distinct_obs", "listings", "crawls", "vendors", "quarantine", "complete_sources",
                "stored_by_sources"):
        assert got[key] == want[key], key
    assert got["observations"] == got["distinct_obs"] and got["orphans"] == 0


def test_same_content_again_stores_nothing_in_every_format(con, tmp_path):
    from test_formats_agora import KEY, VENDOR_HEADER, write_csv
    from test_formats_alphabay import write as write_alphabay
    from test_formats_dream_matanga import MATANGA_A, dream_file
    from test_formats_dream_matanga import write_csv as write_utf8

    files = [
        write_csv(tmp_path / "vendor2014-03-01.csv", VENDOR_HEADER,
                  [[0, "paperboat", "4.9", "", KEY, "1", "1~5", "2014-03-01"]]),
        write_alphabay(tmp_path / "Weapons_-_20170509.csv"),
        dream_file(tmp_path),
        write_utf8(tmp_path / "output_01032020_030252.csv", MATANGA_A, [
            [0, 0, "01-03-2020 02:56:54", "Tbilisi", "aa11bb22cc", "Порошок", "True", "1", "нет", "Тбилиси",
             "0.5 гр", "0.0122", "7302", "2692", "244", "109.0", "", "", "Poroshok"]]),
    ]
    opts = Options(extract=False, crawl_date=date(2017, 7, 1))
    first = ingest(con, [str(f) for f in files], opts)
    assert first.totals["stored"] > 0 and not first.errors

    def counts():
        return [con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("observations", "vendor_snapshots", "listings", "quarantine")]

    before = counts()
    second = ingest(con, [str(f) for f in files], opts)
    assert second.totals["stored"] == 0 and second.totals["quarantined"] == 0
    for s in second.sources:
        assert s.read == s.skipped and s.unchanged
    assert counts() == before
    # the same records under other names and bytes (a copy with CRLF line ends): skipped record by record
    copies = []
    for f in files[2:]:
        c = tmp_path / "copies" / f.name
        c.parent.mkdir(exist_ok=True)
        c.write_bytes(f.read_bytes().replace(b"\n", b"\r\n"))
        copies.append(str(c))
    third = ingest(con, copies, opts)
    assert third.totals["stored"] == 0 and all(s.read == s.skipped > 0 for s in third.sources)
    assert counts() == before

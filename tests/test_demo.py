"""`dnmobs demo` builds a store from the seeded sample and says where it is."""

import subprocess
import sys
from pathlib import Path

from dnmobs.sample import generate
from dnmobs.store import connect


def test_sample_is_deterministic(tmp_path):
    w1, _ = generate(tmp_path / "a", seed=3)
    w2, _ = generate(tmp_path / "b", seed=3)
    assert [lst.title for lst in w1.listings] == [lst.title for lst in w2.listings]
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert files_a == files_b
    for rel in files_a:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel


def test_demo_builds_a_store(tmp_path):
    out = tmp_path / "demo"
    p = subprocess.run([str(Path(sys.executable).with_name("dnmobs")), "demo", "--out", str(out)],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    db = out / "dnmobs.duckdb"
    assert str(db) in p.stdout
    con = connect(db, read_only=True)
    markets = {m for (m,) in con.execute("SELECT market FROM markets").fetchall()}
    assert {"agora", "silkroad2"} <= markets
    assert con.execute("SELECT count(*) FROM observations").fetchone()[0] > 1000
    # the seized market has no crawl after the seizure
    last = con.execute("SELECT max(crawl_date) FROM crawls WHERE market = 'silkroad2'").fetchone()[0]
    assert str(last) < "2014-11-06"

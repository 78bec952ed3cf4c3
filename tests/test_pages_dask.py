"""The Dask engine gives the same store as the local one: every table, row for row."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dnmobs.ingest import Options, ingest
from dnmobs.store import connect

FIXTURES = Path(__file__).parent / "fixtures" / "pages"


def contents(con) -> dict[str, list]:
    """Every table's rows, sorted, without the columns that record when a row was written."""
    out = {}
    for (table,) in con.execute("SELECT table_name FROM information_schema.tables "
                                "WHERE table_schema = 'main' AND table_type = 'BASE TABLE'").fetchall():
        cols = [c for (c, t) in con.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
            "ORDER BY ordinal_position", [table]).fetchall() if not t.startswith("TIMESTAMP")]
        quoted = ", ".join(f'"{c}"' for c in cols)
        out[table] = sorted(con.execute(f"SELECT {quoted} FROM {table}").fetchall(), key=repr)
    return out


@pytest.mark.slow
def test_dask_and_local_engines_give_identical_stores(tmp_path):
    from test_pages_warc import write_warc  # tests/ is on sys.path (pytest prepend mode)

    inputs = tmp_path / "in"
    shutil.copytree(FIXTURES / "agora", inputs / "agora")
    (inputs / "agora" / "2014-05-01" / "notes.txt").write_text("not a page\n")
    write_warc(inputs / "agora-2014-05-02.warc.gz", True)
    got = {}
    for engine in ("local", "dask"):
        con = connect(tmp_path / f"{engine}.duckdb")
        rep = ingest(con, [str(inputs)], Options(engine=engine, workers=2))
        got[engine] = (rep.totals, contents(con))
        con.close()
    (local_totals, local), (dask_totals, dask) = got["local"], got["dask"]
    assert local_totals == dask_totals
    assert set(local) == set(dask)
    assert local["observations"] and local["pages"] and local["feedback"] and local["listing_rows"]
    for table in local:
        assert local[table] == dask[table], table

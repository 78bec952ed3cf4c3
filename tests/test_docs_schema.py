"""docs/schema.md must describe every table and column of a freshly migrated store."""

import re
from pathlib import Path

from dnmobs.store import connect

DOC = Path(__file__).resolve().parent.parent / "docs" / "schema.md"


def _documented() -> dict[str, set[str]]:
    tables: dict[str, set[str]] = {}
    current = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^## (\w+)\s*$", line)
        if m:
            current = m.group(1)
            tables[current] = set()
            continue
        m = re.match(r"^\| (\w+) \|", line)
        if current and m and m.group(1) != "column":
            tables[current].add(m.group(1))
    return tables


def test_every_table_and_column_is_documented(tmp_path):
    con = connect(tmp_path / "s.duckdb")
    docs = _documented()
    missing = []
    for (table,) in con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
                                " AND table_type = 'BASE TABLE'").fetchall():
        cols = [r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? AND table_schema = 'main'",
            [table]).fetchall()]
        if table not in docs:
            missing.append(f"table {table}")
            continue
        missing += [f"{table}.{c}" for c in cols if c not in docs[table]]
    assert not missing, f"not described in docs/schema.md: {missing}"


def test_documented_tables_exist(tmp_path):
    con = connect(tmp_path / "s.duckdb")
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert set(_documented()) <= tables

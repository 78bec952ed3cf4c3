from dnmobs.store import all_migrations, connect, schema_version


def test_new_store_is_migrated_to_latest(tmp_path):
    con = connect(tmp_path / "s.duckdb")
    assert schema_version(con) == all_migrations()[-1][0]
    tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
    assert {"sources", "markets", "crawls", "listings", "observations", "offers", "vendors", "quarantine"} <= tables


def test_reopening_applies_nothing_twice(tmp_path):
    path = tmp_path / "s.duckdb"
    connect(path).close()
    con = connect(path)
    versions = [r[0] for r in con.execute("SELECT version FROM schema_version ORDER BY version").fetchall()]
    assert versions == sorted(set(versions))

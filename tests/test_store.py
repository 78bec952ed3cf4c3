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


def test_messages_keep_their_rows_and_lose_the_key_index(tmp_path, monkeypatch):
    """0006 rebuilds messages without a PRIMARY KEY (its index is held whole in memory while rows are
    inserted): a store made before keeps every message, column for column."""
    import dnmobs.store as store

    path = tmp_path / "old.duckdb"
    older = [m for m in all_migrations() if m[0] < 6]
    monkeypatch.setattr(store, "all_migrations", lambda: older)
    con = connect(path)
    con.execute("INSERT INTO messages (message_id, market, platform, message_key, source_id, kind, text, n_offers) "
                "VALUES ('a1', 'telegram:x', 'telegram', '1', 1, 'message', 'hello 10 EUR', 2), "
                "('b2', 'telegram:x', 'telegram', '2', 1, 'service', NULL, 0)")
    before = con.execute("SELECT * FROM messages ORDER BY message_id").fetchall()
    columns = con.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'messages' "
                          "ORDER BY column_index").fetchall()
    assert con.execute("SELECT count(*) FROM duckdb_indexes() WHERE table_name = 'messages'").fetchone()[0] \
        + con.execute("SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'messages' "
                      "AND constraint_type = 'PRIMARY KEY'").fetchone()[0] > 0
    con.close()
    monkeypatch.undo()
    con = connect(path)
    assert schema_version(con) == all_migrations()[-1][0]
    assert con.execute("SELECT * FROM messages ORDER BY message_id").fetchall() == before
    assert con.execute("SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'messages' "
                       "AND constraint_type = 'PRIMARY KEY'").fetchone()[0] == 0
    # the columns keep their types and order, and the required ones stay required
    assert con.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'messages' "
                       "ORDER BY column_index").fetchall() == columns
    required = {r[0] for r in con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = 'messages' "
                                          "AND NOT is_nullable").fetchall()}
    assert required == {"message_id", "market", "platform", "message_key", "source_id", "kind"}

"""The Agora panel (real data, a slice): detection, reconciliation, re-ingest."""

from dnmobs.ingest import Options, ingest


def test_agora_panel_slice(con, shared_data):
    files = sorted((shared_data / "agora-2014" / "panel-ada").glob("*.csv.gz"))[:3]
    rep = ingest(con, [str(f) for f in files], Options(extract=False))
    assert [s.format for s in rep.sources] == ["agora-ada"] * 3
    for s in rep.sources:
        assert s.read == s.stored + s.quarantined + s.skipped and s.read > 0
    stored = rep.totals["stored"]
    assert con.execute("SELECT count(*) FROM observations").fetchone()[0] == stored
    # every crawl date comes from the rows, which agree with the file names
    dates = {str(d) for (d,) in con.execute("SELECT crawl_date FROM crawls").fetchall()}
    assert dates == {f.name[:10] for f in files}
    again = ingest(con, [str(f) for f in files], Options(extract=False))
    assert again.totals["stored"] == 0 and again.totals["skipped"] == again.totals["read"]

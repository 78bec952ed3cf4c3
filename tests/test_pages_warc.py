"""WARC and WARC.gz archives of market pages, written at test time from the fixture pages (warcio)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from dnmobs.ingest import Options, ingest

FIXTURES = Path(__file__).parent / "fixtures" / "pages"
CRAWL = FIXTURES / "agora" / "2014-05-01"
HOST = "http://agorafixture5x7q.onion"
PAGES = ["p/Xq7Lm2Pz9A", "p/Bv4Nw8Kd2R", "vendor/quietfox", "cat/Qm3cRt8sLw/1", "p/Zz9Yy8Xx7W", "p/Lg0nP4ge11"]


def write_warc(path: Path, gz: bool, when: str = "2014-05-03T10:00:00Z", extra: bool = True) -> list[int]:
    """Pages as response records (with their requests, a PNG, a redirect, a 404); returns the offsets
    of the page records, for tests that damage one."""
    offsets = []
    with open(path, "wb") as fh:
        w = WARCWriter(fh, gzip=gz)
        info = w.create_warcinfo_record(path.name, {"software": "fixture-writer"})
        info.rec_headers.replace_header("WARC-Date", when)
        w.write_record(info)

        def response(url: str, body: bytes, status: str = "200 OK", ctype: str = "text/html; charset=utf-8",
                     headers: list | None = None) -> None:
            http = StatusAndHeaders(status, [("Content-Type", ctype), *(headers or [])], protocol="HTTP/1.1")
            w.write_record(w.create_warc_record(url, "request", payload=io.BytesIO(b"GET / HTTP/1.1\r\n\r\n"),
                                                warc_headers_dict={"WARC-Date": when}))
            offsets.append(fh.tell())
            w.write_record(w.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http,
                                                warc_headers_dict={"WARC-Date": when}))

        for rel in PAGES:
            response(f"{HOST}/{rel}", (CRAWL / rel).read_bytes())
        if extra:
            response(f"{HOST}/liabilities/p/Xq7Lm2Pz9A.jpg", b"\x89PNG\r\n\x1a\n" + bytes(200), ctype="image/png")
            response(f"{HOST}/old", b"", status="302 Found", headers=[("Location", "/new")])
            response(f"{HOST}/p/G0neG0neG0", b"<html><head><title>404 Not Found</title></head>"
                                              b"<body><h1>Not Found</h1></body></html>", status="404 Not Found")
    return offsets


def rows(con, sql):
    return con.execute(sql).fetchall()


@pytest.mark.parametrize("gz", [True, False])
def test_warc_pages_land_like_saved_files(con, tmp_path, gz):
    path = tmp_path / ("agora-2014-05-01.warc" + (".gz" if gz else ""))
    write_warc(path, gz)
    rep = ingest(con, [str(path)], Options(extract=False))
    assert rep.errors == [] and [s.format for s in rep.sources] == ["warc"]
    assert sorted(rows(con, "SELECT page_type, coalesce(error, '') FROM pages")) == sorted([
        ("product", ""), ("product", ""), ("vendor", ""), ("category", ""), ("error", "removed"),
        ("error", "login"), ("error", "http-error")])
    assert rows(con, "SELECT http_status FROM pages WHERE error = 'http-error'") == [(404,)]
    obs = dict(rows(con, "SELECT l.listing_key, o.location FROM observations o JOIN listings l USING (listing_id)"))
    assert obs == {"Xq7Lm2Pz9A": f"{HOST}/p/Xq7Lm2Pz9A", "Bv4Nw8Kd2R": f"{HOST}/p/Bv4Nw8Kd2R",
                   "Hk5Tg7Wq1E": f"{HOST}/cat/Qm3cRt8sLw/1 row 2"}
    # the date in the file name wins over the records' WARC-Date
    assert rows(con, "SELECT DISTINCT market, crawl_date::VARCHAR FROM observations") == [("agora", "2014-05-01")]
    assert rows(con, "SELECT count(*) FROM feedback") == [(3,)]
    assert rows(con, "SELECT count(*) FROM quarantine") == [(0,)]


def test_crawl_date_from_the_first_record_when_the_name_has_none(con, tmp_path):
    path = tmp_path / "crawl.warc.gz"
    write_warc(path, True, when="2014-06-09T23:59:00Z", extra=False)
    ingest(con, [str(path)], Options(extract=False))
    assert rows(con, "SELECT DISTINCT crawl_date::VARCHAR FROM pages") == [("2014-06-09",)]


def _damage(data: bytes, at: int, n: int = 40) -> bytes:
    return data[:at] + b"\x00" * n + data[at + n:]


def test_corrupt_gzip_member_in_the_middle(con, tmp_path):
    path = tmp_path / "agora-2014-05-01.warc.gz"
    offsets = write_warc(path, True, extra=False)
    data = path.read_bytes()
    path.write_bytes(_damage(data, offsets[2] + 60))  # inside the vendor page's record
    rep = ingest(con, [str(path)], Options(extract=False))
    (where, reason), = rows(con, "SELECT location, reason FROM quarantine")
    assert where.startswith("WARC byte") and reason.startswith("corrupt WARC record")
    assert "reading resumed at byte" in reason
    # every other page is there; only the damaged one is missing
    assert sorted(t for (t,) in rows(con, "SELECT page_type FROM pages")) == [
        "category", "error", "error", "product", "product"]
    assert rep.sources[0].quarantined == 1 and rep.sources[0].error is None


def test_bad_record_header_in_a_plain_warc(con, tmp_path):
    path = tmp_path / "agora-2014-05-01.warc"
    offsets = write_warc(path, False, extra=False)
    data = bytearray(path.read_bytes())
    at = offsets[1]
    assert data[at:at + 7] == b"WARC/1."
    data[at:at + 7] = b"GARBAGE"
    path.write_bytes(bytes(data))
    ingest(con, [str(path)], Options(extract=False))
    (reason,), = rows(con, "SELECT reason FROM quarantine")
    assert reason.startswith("corrupt WARC record")
    assert rows(con, "SELECT count(*) FROM pages") == [(5,)]
    assert rows(con, "SELECT count(*) FROM pages WHERE location LIKE '%Bv4Nw8Kd2R'") == [(0,)]


def test_damaged_content_fails_its_digest(con, tmp_path):
    path = tmp_path / "agora-2014-05-01.warc"
    write_warc(path, False, extra=False)
    data = path.read_bytes()
    # same length, different bytes: only the block digest can tell
    data = re.sub(rb"Pressed pills, lab tested", b"Pressed pills, lab TESTED", data, count=1)
    path.write_bytes(data)
    ingest(con, [str(path)], Options(extract=False))
    (reason,), = rows(con, "SELECT reason FROM quarantine")
    assert "block digest does not match" in reason
    assert rows(con, "SELECT count(*) FROM pages") == [(5,)]

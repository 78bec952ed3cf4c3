"""Hostile saved pages: each bad one is recorded in quarantine with its reason, the rest is parsed."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from dnmobs.ingest import Options, ingest
from dnmobs.ingest.formats import pages as pages_format

FIXTURES = Path(__file__).parent / "fixtures" / "pages"
PRODUCT = FIXTURES / "agora" / "2014-05-01" / "p" / "Xq7Lm2Pz9A"


def rows(con, sql):
    return con.execute(sql).fetchall()


@pytest.fixture
def crawl(tmp_path) -> Path:
    """A crawl folder with one good product page; tests add bad pages beside it."""
    p = tmp_path / "agora" / "2014-05-01" / "p"
    p.mkdir(parents=True)
    shutil.copy(PRODUCT, p / "Xq7Lm2Pz9A")
    return tmp_path / "agora"


def good_page_stored(con) -> bool:
    return rows(con, "SELECT count(*) FROM observations WHERE location = '/p/Xq7Lm2Pz9A'") == [(1,)]


def quarantine(con) -> list[tuple[str, str]]:
    return rows(con, "SELECT location, reason FROM quarantine ORDER BY quarantine_id")


def test_truncated_html(con, crawl):
    data = PRODUCT.read_bytes()
    (crawl / "2014-05-01/p/Cut1Cut1Cu").write_bytes(
        data[: data.index(b"Feedbacks:")].replace(b"Xq7Lm2Pz9A", b"Cut1Cut1Cu"))
    (crawl / "2014-05-01/p/Cut2Cut2Cu").write_bytes(data[:300])  # cut inside the head: nothing left
    ingest(con, [str(crawl)], Options(extract=False))
    assert good_page_stored(con)
    # cut in the feedback: the listing is kept, and the cut noted
    assert rows(con, "SELECT title FROM observations WHERE location = '/p/Cut1Cut1Cu'") == [
        ("Speed paste 10g - strong & fresh",)]
    q = dict(quarantine(con))
    assert q["/p/Cut1Cut1Cu"].startswith("truncated HTML: the page ends after")
    assert q["/p/Cut2Cut2Cu"] == "truncated HTML: the page ends after 300 bytes, before any content"
    assert rows(con, "SELECT error FROM pages WHERE location = '/p/Cut2Cut2Cu'") == [("truncated",)]


def test_wrong_and_missing_charset(con, crawl):
    body = PRODUCT.read_bytes().decode().replace("Speed paste 10g", "Café crème 10g")
    wrong = body.replace("Xq7Lm2Pz9A", "Wr0ngCh4rs").encode("cp1252")  # declares UTF-8
    missing = (body.replace("Xq7Lm2Pz9A", "N0Ch4rsetX")
               .replace('<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">', "")).encode("cp1252")
    (crawl / "2014-05-01/p/Wr0ngCh4rs").write_bytes(wrong)
    (crawl / "2014-05-01/p/N0Ch4rsetX").write_bytes(missing)
    ingest(con, [str(crawl)], Options(extract=False))
    assert good_page_stored(con)
    titles = dict(rows(con, "SELECT location, title FROM observations"))
    assert titles["/p/Wr0ngCh4rs"] == titles["/p/N0Ch4rsetX"] == "Café crème 10g - strong & fresh"
    q = dict(quarantine(con))
    assert q["/p/Wr0ngCh4rs"].startswith("declared charset 'utf-8' does not match the bytes")
    assert q["/p/N0Ch4rsetX"].startswith("no charset declared: not valid UTF-8")
    assert sorted(rows(con, "SELECT charset FROM pages")) == [("cp1252",), ("cp1252",), ("utf-8",)]


def test_a_50_mb_page(con, crawl):
    big = crawl / "2014-05-01/p/Huge0Page0"
    with open(big, "wb") as fh:
        fh.write(b"<!DOCTYPE html><html><head><title>x</title></head><body>")
        chunk = b"<p>" + b"y" * 1020 + b"</p>"
        for _ in range(50 * 1024):
            fh.write(chunk)
        fh.write(b"</body></html>")
    assert big.stat().st_size > 50 * 1024 * 1024
    ingest(con, [str(crawl)], Options(extract=False))
    assert good_page_stored(con)
    (loc, reason), = quarantine(con)
    assert loc == "/p/Huge0Page0"
    assert reason.startswith("page of 52,") and "larger than the" in reason


def test_a_zip_bomb_beside_good_pages(con, tmp_path):
    archive = tmp_path / "agora-2014-05-01.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(PRODUCT, "agora/2014-05-01/p/Xq7Lm2Pz9A")
        zf.writestr("agora/2014-05-01/p/B0mbB0mbB0", b"\0" * (40 * 1024 * 1024))  # 40 MB of zeros, ~40 KB packed
        zf.write(FIXTURES / "agora/2014-05-01/vendor/quietfox", "agora/2014-05-01/vendor/quietfox")
    rep = ingest(con, [str(archive)], Options(extract=False))
    assert good_page_stored(con)
    assert rows(con, "SELECT count(*) FROM vendor_snapshots") == [(1,)]
    bomb = [r for r in quarantine(con) if "B0mb" in r[0]]
    assert len(bomb) == 1 and "zip bomb" in bomb[0][1]
    assert any("B0mb" in s.path and s.quarantined == 1 for s in rep.sources)


@pytest.mark.parametrize("forced", [None, "pages"])
def test_non_html_files_in_the_tree(con, crawl, forced):
    (crawl / "2014-05-01/css").mkdir()
    (crawl / "2014-05-01/css/main.css").write_text("body { color: #222; }\n.price { font-weight: bold; }\n")
    (crawl / "2014-05-01/p/logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    rep = ingest(con, [str(crawl)], Options(format=forced, extract=False))
    assert good_page_stored(con)
    reasons = [r for _, r in quarantine(con)]
    assert len(reasons) == 2
    if forced:
        assert sorted(reasons) == ["not an HTML page (binary content); not parsed",
                                   "not an HTML page (text without HTML tags); not parsed"]
    else:  # detection finds no format: a mirror's assets are recorded as such, and are no error
        assert sorted(reasons) == ["not listing data: a web asset (css) beside the pages",
                                   "not listing data: a web asset (png) beside the pages"]
        assert not rep.errors
        assert rows(con, "SELECT DISTINCT status FROM sources WHERE format IS NULL") == [("ignored",)]


def test_the_page_cap_applies_to_pages_from_archives_too(con, tmp_path, monkeypatch):
    monkeypatch.setattr(pages_format, "MAX_PAGE_BYTES", 1000)
    archive = tmp_path / "agora-2014-05-01.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(PRODUCT, "agora/2014-05-01/p/Xq7Lm2Pz9A")
    ingest(con, [str(archive)], Options(extract=False))
    (loc, reason), = quarantine(con)
    assert loc == "/p/Xq7Lm2Pz9A" and "larger than the 1,000-byte cap" in reason


def test_the_same_page_bytes_at_two_urls_are_two_pages(con, tmp_path):
    # a removed listing answers with the front page: identical bytes under many product URLs
    for listing in ("AAAAAAAAAA", "BBBBBBBBBB"):
        d = tmp_path / "agora" / "2014-05-01" / "p"
        d.mkdir(parents=True, exist_ok=True)
        (d / listing).write_bytes(PRODUCT.read_bytes())
    rep = ingest(con, [str(tmp_path / "agora")], Options(extract=False))
    assert [s.unchanged for s in rep.sources] == [False, False]
    again = ingest(con, [str(tmp_path / "agora")], Options(extract=False))
    assert [s.unchanged for s in again.sources] == [True, True]

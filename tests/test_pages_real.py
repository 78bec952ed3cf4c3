"""The Agora dev pages (../shared), on a slice: a few hundred product pages, some category and vendor
pages, through ingest. The full scoring is bench/eval_pages.py."""

from __future__ import annotations

import csv
import gzip
import tarfile
from pathlib import Path

import pytest

from dnmobs.ingest import Options, ingest

N_PRODUCT, N_CATEGORY, N_VENDOR = 300, 30, 30


@pytest.fixture(scope="module")
def agora_slice(shared_data, tmp_path_factory) -> Path:
    """The first pages of each kind, written out as the crawl's folder tree."""
    root = tmp_path_factory.mktemp("agora-slice")
    want = {"p": N_PRODUCT, "cat": N_CATEGORY, "vendor": N_VENDOR}
    with tarfile.open(shared_data / "agora-2014" / "pages-2014-04-06-dev.tar.gz") as tf:
        for m in tf:
            kind = m.name.split("/")[2] if m.name.count("/") >= 3 else None
            if not m.isfile() or want.get(kind, 0) <= 0:
                continue
            want[kind] -= 1
            out = root / m.name
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(tf.extractfile(m).read())
            if not any(want.values()):
                break
    return root / "agora"


@pytest.mark.shared
@pytest.mark.slow
def test_agora_slice(con, shared_data, agora_slice):
    rep = ingest(con, [str(agora_slice)], Options(extract=False))
    assert rep.errors == []
    types = dict(con.execute("SELECT page_type, count(*) FROM pages GROUP BY ALL").fetchall())
    assert types.get("category", 0) + types.get("other", 0) >= N_CATEGORY - 5
    assert types["vendor"] == N_VENDOR
    # every product URL is a product page or a recognised error page (removed, truncated)
    by_url = dict(con.execute("SELECT page_type, count(*) FROM pages WHERE location LIKE '/p/%' GROUP BY ALL"
                              ).fetchall())
    assert set(by_url) <= {"product", "error"}
    assert by_url["product"] >= 0.9 * N_PRODUCT
    products = con.execute("""
        SELECT o.title, o.vendor, o.price_currency, o.price_amount, o.usd_rate, o.category
        FROM observations o JOIN pages p ON p.source_id = o.source_id AND p.location = o.location
        WHERE p.page_type = 'product'""").fetchall()
    assert len(products) == by_url["product"]
    assert all(t and v and cur == "BTC" and amt > 0 and 400 < rate < 500 and cat
               for t, v, cur, amt, rate, cat in products)
    # their titles and vendors are the public parse's, where it has them
    with gzip.open(shared_data / "agora-2014/panel-ada/2014-04-06_catProducts.csv.gz", "rt", encoding="utf-8") as fh:
        panel = {(r["name"].strip(), r["vendor"].strip()): r["cat"] for r in csv.DictReader(fh)}
    titles = {t for t, _ in panel}
    known = [(t, v, c) for t, v, _, _, _, c in products if t in titles]
    assert len(known) >= 0.8 * len(products)
    assert sum((t, v) in panel for t, v, _ in known) >= 0.99 * len(known)
    assert sum(panel.get((t, v)) == c for t, v, c in known) >= 0.95 * len(known)
    # category rows: one observation per listing of the crawl, never two
    dup = con.execute("SELECT count(*) FROM (SELECT listing_id FROM observations GROUP BY listing_id, crawl_id "
                      "HAVING count(*) > 1)").fetchone()[0]
    assert dup == 0

"""The sample's saved Agora pages read back as the world that wrote them."""

from __future__ import annotations

import pytest

from dnmobs.ingest import Options, ingest
from dnmobs.sample import pages
from dnmobs.sample.pgpkeys import armored_key
from dnmobs.sample.world import build


@pytest.fixture(scope="module")
def world():
    return build(7)


def test_sample_pages_round_trip(con, tmp_path, world):
    (step,) = pages.write(world, tmp_path)
    rep = ingest(con, [str(p) for p in step.paths], Options(**step.options, extract=False))
    assert rep.errors == [] and rep.totals["quarantined"] == 0
    truth = {lst.listing_id: lst for lst in world.listings if lst.market == "agora"}
    got = con.execute("""
        SELECT l.listing_key, o.title, o.vendor, o.category, o.ships_from, o.ships_to, o.usd_rate, o.crawl_date
        FROM observations o JOIN listings l USING (listing_id)
        JOIN pages p ON p.source_id = o.source_id AND p.location = o.location AND p.page_type = 'product'
    """).fetchall()
    assert len(got) > 100
    for key, title, vendor, category, ships_from, ships_to, rate, day in got:
        lst = truth[key]
        assert (title, vendor, category, ships_from, ships_to) == (
            lst.title, lst.vendor, lst.category, lst.ships_from, lst.ships_to)
        assert rate == pytest.approx(pages._rate_on(world, day))
    # listings the crawl missed come from their category rows; error pages are only counted
    n_obs, n_listings = con.execute("SELECT count(*), count(DISTINCT (listing_id, crawl_id)) FROM observations"
                                    ).fetchone()
    assert n_obs == n_listings > len(got)
    errors = dict(con.execute("SELECT error, count(*) FROM pages WHERE page_type = 'error' GROUP BY ALL").fetchall())
    assert set(errors) == {"removed", "login"}
    # vendor pages carry the vendor's key block, line breaks and all
    (handle, key), *_ = con.execute("SELECT v.handle, s.pgp_key FROM vendor_snapshots s JOIN vendors v USING "
                                    "(vendor_id) ORDER BY v.handle").fetchall()
    vendor = next(v for v in world.vendors if v.handle_on("agora") == handle)
    want = armored_key(vendor.key_seed, f"{vendor.handle} <{vendor.handle.lower()}@sample.invalid>")
    assert key.split() == want.split()

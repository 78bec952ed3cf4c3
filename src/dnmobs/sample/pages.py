"""Saved pages of the sample's Agora, in Agora's 2014 layout: two mid-week crawls as mirror archives
(`agora/<date>/p/<id>`, `vendor/<handle>`, `cat/<id>/<page>`), the way researchers hold such crawls.

Each crawl saves the category pages of every active listing, the vendor pages, and the product
pages of most listings (crawls miss some); a few product URLs answer with the front page (a listing
taken down) or a login wall. Prices are the world's USD prices in BTC at the crawl day's rate, which
the page header shows. Every string put into HTML is escaped.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import random
import tarfile
from datetime import date, timedelta
from html import escape
from pathlib import Path

from dnmobs.sample import Step
from dnmobs.sample.pgpkeys import armored_key
from dnmobs.sample.world import Listing, Vendor, World

MARKET = "agora"
ROWS_PER_PAGE = 25
_FEEDBACK = ["Arrived fast, good stealth.", "As described, will order again.", "Took two weeks but all there.",
             "Quality a bit lower than last time.", "FE'd early, trusted vendor.", "Great comms & product."]


def crawl_days(world: World) -> list[date]:
    """Two crawls between the weekly snapshots, before and after the seizure."""
    weeks = world.crawl_dates
    return [weeks[len(weeks) // 4] + timedelta(days=3), weeks[-3] + timedelta(days=3)]


def write(world: World, out: Path) -> list[Step]:
    folder = out / "agora-pages"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for day in crawl_days(world):
        rng = random.Random(f"{world.seed}:pages:{day}")
        path = folder / f"agora-pages-{day.isoformat()}.tar.gz"
        # gzip with a fixed time stamp: the same seed gives the same bytes
        with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz, \
                tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tf:
            for member, html in crawl(world, day, rng):
                data = html.encode("utf-8")
                info = tarfile.TarInfo(f"{MARKET}/{day.isoformat()}/{member}")
                info.size, info.mtime = len(data), 0
                tf.addfile(info, io.BytesIO(data))
        paths.append(path)
    return [Step("agora saved pages", paths, {})]


def _rate_on(world: World, day: date) -> float:
    return world.btc_usd.get(day) or world.btc_usd[min(world.btc_usd, key=lambda d: abs((d - day).days))]


def _active(world: World, day: date) -> list[Listing]:
    week = max(d for d in world.crawl_dates if d <= day)
    return [lst for lst in world.listings if lst.market == MARKET and world.active(lst, week)]


def _cat_id(category: str) -> str:
    return hashlib.sha1(category.encode()).hexdigest()[:10]


def _band(vendor: str) -> tuple[str, str]:
    h = int(hashlib.sha1(vendor.encode()).hexdigest()[:8], 16)
    rating = 4.5 + (h % 50) / 100
    low = [1, 3, 6, 10, 15, 25, 40, 55, 70, 100][h % 10]
    high = {1: 2, 3: 5, 6: 10, 10: 15, 15: 25, 25: 40, 40: 55, 55: 70, 70: 100, 100: 150}[low]
    return f"{rating:.2f}", f"{low}~{high}"


def crawl(world: World, day: date, rng: random.Random):
    """(member path, HTML) of every page the crawl saved."""
    rate = _rate_on(world, day)
    listings = _active(world, day)
    vendors = {v.handle_on(MARKET): v for v in world.vendors if MARKET in v.markets}
    prices = {lst.listing_id: world.price_usd(lst, day, rng) / rate for lst in listings}
    by_cat: dict[str, list[Listing]] = {}
    for lst in listings:
        by_cat.setdefault(lst.category, []).append(lst)
    for category, rows in sorted(by_cat.items()):
        for page, start in enumerate(range(0, len(rows), ROWS_PER_PAGE), 1):
            yield f"cat/{_cat_id(category)}/{page}", category_page(category, rows[start:start + ROWS_PER_PAGE],
                                                                   prices, rate)
    for handle in sorted({lst.vendor for lst in listings}):
        mine = [lst for lst in listings if lst.vendor == handle]
        yield f"vendor/{handle}", vendor_page(vendors[handle], handle, mine, prices, rate, rng)
    for lst in listings:
        r = rng.random()
        if r < 0.08:
            continue  # the crawl missed it
        if r < 0.11:
            yield f"p/{lst.listing_id}", front_page(listings[:6], prices, rate)
        elif r < 0.12:
            yield f"p/{lst.listing_id}", LOGIN_PAGE
        else:
            yield f"p/{lst.listing_id}", product_page(lst, prices[lst.listing_id], rate, rng)


# --- the templates -------------------------------------------------------------------------------

def _shell(title: str, rate: float, crumbs: str, main: str) -> str:
    return f"""<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">
<title>{escape(title)}</title>
</head>
<body>
<div id="topmost"><table><tr><td id="smalllogo-td">Ag</td>
<td id="topmost-middlecontent"><div id="page-heading">Agora<span> Beta</span></div></td>
<td><div id="login-info-bar">Welcome researcher :: <a href="/wallet">Wallet 0.00000000 BTC</a>
(<a href="/profile">Display USD/BTC</a>) :: <i class="fa fa-btc"></i> {rate:.2f} USD</div></td>
</tr></table></div>
<div id="top-navigation">{crumbs}<div style="clear: both;"></div></div>
<div id="middlestuff"><table class="mainpagedivider"><tr><td class="mainpagedividertd"><div id="leftmenu"></div></td>
<td class="mainpagedividertd"><div style="float: left;">
{main}
</div></td></tr></table></div>
</body>
</html>
"""


def _crumbs(category: str) -> str:
    parts = category.split("/")
    return "".join(f'<div class="topnav-element"><a href="/cat/{_cat_id("/".join(parts[:i + 1]))}">{escape(p)}'
                   '</a></div><div class="topnav-divider-element">&gt;</div>' for i, p in enumerate(parts))


def _user(handle: str) -> str:
    rating, deals = _band(handle)
    return (f'<a class="gen-user-link" href="/vendor/{escape(handle)}#"/>{escape(handle)}</a><span '
            f'class="gen-user-ratings"> <i class="fa fa-bar-chart-o"></i>&nbsp;{rating}/5, {deals} deals</span>')


def _ships(lst: Listing) -> str:
    return (f'<i class="fa fa-truck"></i> From: {escape(lst.ships_from)}<br/>\n'
            f'<i class="fa fa-home"></i> To: {escape(lst.ships_to)}')


def _feedback_rows(rng: random.Random, items: list[Listing] | None = None) -> str:
    rows = []
    for _ in range(rng.randint(0, 4)):
        item = ""
        if items:
            lst = rng.choice(items)
            item = f'<td><a href="/p/{escape(lst.listing_id)}">{escape(lst.title)}</a></td>'
        rows.append(f"<tr><td><strong>{rng.choice([5, 5, 5, 4, 3])}/5</strong></td>"
                    f"<td>{escape(rng.choice(_FEEDBACK))}</td>{item}<td>{rng.randint(0, 20)} days ago</td>"
                    '<td><span class="gen-user-link">anon</span><span class="gen-user-ratings"> '
                    '<i class="fa fa-bar-chart-o"></i>&nbsp;~5/5, 1~2 deals</span></td></tr>')
    body = f"<table>{''.join(rows)}</table>" if rows else "No feedbacks found."
    return f'<div class="embedded-feedback-list"><h4>Feedbacks:</h4>{body}</div>'


def product_page(lst: Listing, btc: float, rate: float, rng: random.Random) -> str:
    description = (f"{lst.title}<br/>Ships from {lst.ships_from} to {lst.ships_to}.<br/><br/>"
                   "Vacuum sealed, tracked on request.")
    main = f"""<div id="single-product" class="nofirstmargin">
<h1>{escape(lst.title)}</h1>
<div style="text-align: left;">{btc:.8f} BTC</div>
<div style="clear: both;"></div>
<img src="/liabilities/p/{escape(lst.listing_id)}.jpg" alt=""/>
{"<br/>".join(escape(line) for line in description.split("<br/>"))}
<br/>
Brought to you by:<br/>{_user(lst.vendor)}
<div class="product-page-ships">{_ships(lst)}</div>
<div class="product-page-price">{btc:.8f} BTC</div>
<div style="clear: both;"></div>
<div style="text-align: right;"><div class="button-red"><a href="/p/{escape(lst.listing_id)}/buy">Buy...</a></div></div>
{_feedback_rows(rng)}
</div>"""
    return _shell(lst.title, rate, _crumbs(lst.category), main)


def _row(lst: Listing, btc: float, with_vendor: bool) -> str:
    vendor = f"<td>{_user(lst.vendor)}</td>" if with_vendor else ""
    return (f'<tr class="products-list-item"><td><img src="/liabilities/list/{escape(lst.listing_id)}.jpg" alt=""/>'
            f'</td><td class="column-name"><a href="/p/{escape(lst.listing_id)}">{escape(lst.title)}</a><br/>'
            f'<span class="description-preview">{escape(lst.title)} ...</span></td>'
            f"<td>{btc:.8f} BTC<br/></td><td>{_ships(lst)}</td>{vendor}</tr>")


def category_page(category: str, rows: list[Listing], prices: dict[str, float], rate: float) -> str:
    body = "".join(_row(lst, prices[lst.listing_id], True) for lst in rows)
    main = (f'<div id="product-list" class="nofirstmargin"><table class="products-list">'
            f'<tr class="products-list-header"><td></td><td>Name</td><td>Price</td><td></td><td>Vendor</td></tr>'
            f"{body}</table></div>")
    return _shell("Agora", rate, _crumbs(category), main)


def vendor_page(vendor: Vendor, handle: str, listings: list[Listing], prices: dict[str, float], rate: float,
                rng: random.Random) -> str:
    rating, deals = _band(handle)
    key = armored_key(vendor.key_seed, f"{vendor.handle} <{vendor.handle.lower()}@sample.invalid>")
    bio = "<br/>".join(escape(line) for line in [vendor.profile, "", "My key:"])
    key_html = "<br/>".join(escape(line) for line in key.strip().splitlines())
    rows = "".join(_row(lst, prices[lst.listing_id], False) for lst in listings)
    main = f"""<i class="fa fa-user"></i> <strong>{escape(handle)}</strong> <span class="gen-user-ratings"> <i class="fa fa-bar-chart-o"></i>&nbsp;{rating}/5, {deals} deals</span>
<div class="vendorbio-stats-online">Last seen {rng.randint(1, 23)} hours ago.</div>
<div class="vendorbio-description">{bio}<br/><span class="pgptoken">{key_html}</span></div>
{_feedback_rows(rng, listings)}
<h3>Products of {escape(handle)}:</h3>
<div id="product-list"><table class="products-list">{rows}</table></div>"""
    return _shell(handle, rate, "", main)


def front_page(featured: list[Listing], prices: dict[str, float], rate: float) -> str:
    cells = "".join(
        f'<div class="product-index-floater"><span class="product-index-floater-caption">'
        f'<a href="/p/{escape(lst.listing_id)}">{escape(lst.title)}</a></span>'
        f'<span class="product-index-floater-price">{prices[lst.listing_id]:.8f} BTC</span></div>'
        for lst in featured)
    return _shell("Agora", rate, "", f'<div id="product-index" class="nofirstmargin">{cells}</div>')


LOGIN_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Agora - Login</title></head>
<body><form action="/login" method="post"><p>Please log in.</p>
<input type="text" name="username"/><input type="password" name="password"/>
<input type="submit" value="Login"/></form></body></html>
"""

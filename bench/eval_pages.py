"""Correctness of the saved-page path on the Agora dev pages, end to end.

The dev tarball (../shared/data/agora-2014/pages-2014-04-06-dev.tar.gz) is ingested into a fresh
store (`dnmobs ingest`, extraction included when the extraction engine is installed) and
exported (`dnmobs export listings`). Each product page is then read a second, independent way
(lxml, not our parser: the h1 title, the vendor link, the displayed price, the header's BTC/USD
rate) and our listing for its id is scored:
  - title & vendor: of the product pages whose (title, vendor) appear in the public parse of the
    same crawl (panel-ada/2014-04-06_catProducts.csv.gz, made from category pages), the share
    whose listing has exactly that title and vendor;
  - category: of those, the share whose category path is one the public parse gives the pair;
  - price: of all product pages, the share whose listing shows the page's own displayed price,
    in BTC (the public parse took prices from category pages fetched at other moments);
  - price_usd: the share whose price_usd is BTC x the page's header rate (from the offers when
    extraction ran, else from the observation's price_amount x usd_rate).
The header rate differs from page to page (the crawl took days): the distribution is printed,
and the share equal to BTC x 463.00 (the issue's figure) is shown for reference.
Also printed: page types and error pages as counted in the store, and quarantine reasons.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import tarfile
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import unquote

import lxml.html
import orjson

from dnmobs.export import export
from dnmobs.ingest import Options, ingest
from dnmobs.store import connect

DATA = Path(__file__).resolve().parents[1].parent / "shared/data/agora-2014"
TARBALL = DATA / "pages-2014-04-06-dev.tar.gz"
PANEL = DATA / "panel-ada/2014-04-06_catProducts.csv.gz"
ISSUE_RATE = 463.00


def reference(data: bytes) -> dict | None:
    """A product page read with lxml: h1, vendor link, displayed price, header rate."""
    try:
        doc = lxml.html.fromstring(data)
    except (ValueError, lxml.etree.ParserError):
        return None
    prod = doc.get_element_by_id("single-product", None)
    if prod is None:
        return None
    h1 = prod.find(".//h1")
    links = [a.get("href") for a in prod.iter("a") if (a.get("href") or "").startswith("/vendor/")]
    price = prod.find_class("product-page-price")
    bar = doc.get_element_by_id("login-info-bar", None)
    rate = None
    if bar is not None:
        tail = bar.text_content().rsplit("::", 1)[-1].split()
        rate = float(tail[0]) if len(tail) == 2 and tail[1] == "USD" else None
    amount = None
    if price:
        parts = price[0].text_content().split()
        amount = float(parts[0]) if len(parts) == 2 and parts[1] == "BTC" else None
    return {"title": h1.text_content().strip() if h1 is not None else None,
            "vendor": unquote(links[0][len("/vendor/"):].split("#")[0]) if links else None,
            "price": amount, "rate": rate}


def load_panel(path: Path) -> dict[tuple[str, str], set[str]]:
    pairs: dict[tuple[str, str], set[str]] = defaultdict(set)
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            pairs[(row["name"].strip(), row["vendor"].strip())].add(row["cat"].strip())
    return pairs


def pct(n: int, d: int) -> str:
    return f"{n}/{d} = {100 * n / d:.2f}%" if d else "0/0"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tarball", type=Path, default=TARBALL)
    ap.add_argument("--panel", type=Path, default=PANEL)
    ap.add_argument("--engine", default="local", choices=["local", "dask"])
    args = ap.parse_args()
    for p in (args.tarball, args.panel):
        if not p.is_file():
            raise SystemExit(f"not found: {p} (it lives in ../shared/data)")

    with tempfile.TemporaryDirectory(prefix="dnmobs-eval-pages-") as tmp:
        con = connect(Path(tmp) / "eval.duckdb")
        t0 = time.perf_counter()
        rep = ingest(con, [str(args.tarball)], Options(engine=args.engine) if args.engine != "local" else Options())
        took = time.perf_counter() - t0
        t = rep.totals
        print(f"ingest: {t['sources']} sources in {took:.1f}s: read {t['read']}, stored {t['stored']}, "
              f"quarantined {t['quarantined']}, skipped {t['skipped']}; offers {t['offers']}")
        out = Path(tmp) / "listings.jsonl"
        export(con, "listings", out, market="agora")
        listings = {}
        for line in out.read_bytes().splitlines():
            row = orjson.loads(line)
            listings[row["listing_key"]] = row
        obs = {k: (a, r) for k, a, r in con.execute(
            "SELECT l.listing_key, o.price_amount, o.usd_rate FROM observations o JOIN listings l USING (listing_id)"
            " JOIN pages p ON p.source_id = o.source_id AND p.location = o.location AND p.page_type = 'product'"
        ).fetchall()}
        have_offers = bool(t["offers"])
        print("pages:", ", ".join(f"{pt}{'/' + e if e else ''} {n}" for pt, e, n in con.execute(
            "SELECT page_type, error, count(*) FROM pages GROUP BY ALL ORDER BY 3 DESC").fetchall()))
        for reason, n in con.execute("SELECT reason, count(*) FROM quarantine GROUP BY ALL ORDER BY 2 DESC"
                                     ).fetchall():
            print(f"quarantine: {n} x {reason}")
        con.close()

    panel = load_panel(args.panel)
    n_pages = 0
    tv = [0, 0]
    cat = [0, 0]
    price = [0, 0]
    usd = [0, 0]
    at_issue_rate = 0
    rates = Counter()
    misses: list[str] = []
    with tarfile.open(args.tarball) as tf:
        for m in tf:
            if not (m.isfile() and "/p/" in m.name):
                continue
            ref = reference(tf.extractfile(m).read())
            if ref is None:
                continue
            n_pages += 1
            key = m.name.rsplit("/", 1)[-1]
            ours = listings.get(key)
            rates[ref["rate"]] += 1
            pair = (ref["title"], ref["vendor"])
            if pair in panel:
                tv[1] += 1
                cat[1] += 1
                if ours and (ours["title"], ours["vendor"]) == pair:
                    tv[0] += 1
                elif len(misses) < 5:
                    misses.append(f"{key}: ours {(ours or {}).get('title')!r}/{(ours or {}).get('vendor')!r}")
                if ours and ours["category"] in panel[pair]:
                    cat[0] += 1
            if ref["price"] is not None:
                price[1] += 1
                if ours and ours["price_currency"] == "BTC" and abs((ours["price_amount"] or -1) - ref["price"]) < 1e-9:
                    price[0] += 1
                if ref["rate"] is not None:
                    usd[1] += 1
                    want = ref["price"] * ref["rate"]
                    if have_offers:
                        got = ours.get("price_usd") if ours else None
                    else:
                        amount, rate = obs.get(key, (None, None))
                        got = amount * rate if amount is not None and rate is not None else None
                    if got is not None and abs(got - want) <= 1e-6 * max(1.0, want):
                        usd[0] += 1
                        at_issue_rate += abs(got - ref["price"] * ISSUE_RATE) <= 1e-6 * max(1.0, want)
    print(f"product pages read by the reference: {n_pages}; (title, vendor) in the public parse: {tv[1]}")
    for m in misses:
        print("  miss", m)
    print(f"title & vendor equal: {pct(*tv)}")
    print(f"category equal:       {pct(*cat)}")
    print(f"price = page's BTC:   {pct(*price)}")
    src = "offers.price_usd" if have_offers else "observations.price_amount x usd_rate"
    print(f"price_usd = BTC x the page's header rate ({src}): {pct(*usd)}")
    top = ", ".join(f"{r:.2f} x{n}" for r, n in rates.most_common(5) if r is not None)
    print(f"header rates: {len(rates)} distinct, {min(r for r in rates if r):.2f}..{max(r for r in rates if r):.2f}"
          f" USD (most common: {top}); pages showing {ISSUE_RATE:.2f}: {rates[ISSUE_RATE]}")
    print(f"price_usd = BTC x {ISSUE_RATE:.2f}: {pct(at_issue_rate, usd[1])}")


if __name__ == "__main__":
    main()

"""Parse speed of the Agora dev pages: our layout parser against the floor and against BeautifulSoup.

All HTML pages of ../shared/data/agora-2014/pages-2014-04-06-dev.tar.gz (product, vendor, category
and error pages; the CSS and fonts are left out) are read into memory first, then parsed by:
  bare:  selectolax (lexbor) building the tree of the same bytes, nothing else: the floor;
  ours:  dnmobs.markets.parse_page: charset check, tree, page type, every field (observation,
         listing rows, vendor profile and key, feedback), the header rate. Its tree is built without
         lexbor's DOM mutation events (markets.doc.PARSE_OPTIONS): still the whole page, a cheaper
         parse than the floor's; so a bare parse with those options is timed too and ours is
         printed against it as well (what our reading of the tree costs beyond its parse);
  bs4:   BeautifulSoup(lxml) extracting the same fields, written the way published scrapers do.
bare and ours run interleaved over all pages, best of --rounds (the spread of the rounds' ratios is
printed too); bs4 is ~40x slower, so it runs once over every --bs4-every'th page (a systematic
sample with the same mix of page types). Before timing, the bs4 parser's fields are compared with
ours, so both do the same work. The last line is `ratio <ours/bare>` (time per page). Our parser's
small caches (rates, prices, bands) are warm after the first round; in one pass over the crawl they
hit about as often, so the later rounds are no kinder to it (clearing them per round moves the
ratio by less than the rounds' spread).
"""

from __future__ import annotations

import argparse
import dataclasses
import pickle
import statistics
import sys
import tarfile
import time
from pathlib import Path
from urllib.parse import unquote

from bs4 import BeautifulSoup
from selectolax.lexbor import LexborHTMLParser

from dnmobs.markets import parse_page
from dnmobs.markets.doc import PARSE_OPTIONS, site_path

TARBALL = Path(__file__).resolve().parents[1].parent / "shared/data/agora-2014/pages-2014-04-06-dev.tar.gz"


def load_pages(tarball: Path, limit: int | None = None) -> list[tuple[bytes, str]]:
    out = []
    with tarfile.open(tarball) as tf:
        for m in tf:
            if not m.isfile():
                continue
            path = site_path(m.name)
            if path.split("/")[1:2] not in (["p"], ["vendor"], ["cat"], ["user"], ["info"], ["index.html"],
                                           ["orders"], ["info.1"]):
                continue
            out.append((tf.extractfile(m).read(), path))
            if limit and len(out) >= limit:
                break
    return out


# --- the BeautifulSoup contender -----------------------------------------------------------------


def _t(node) -> str | None:
    if node is None:
        return None
    t = node.get_text().strip()
    return t or None


def _bs_ships(node) -> tuple[str | None, str | None]:
    if node is None:
        return None, None
    text = " ".join(node.get_text(" ").split())
    to = None
    if "To:" in text:
        text, to = text.rsplit("To:", 1)
    frm = text.split("From:", 1)[1] if "From:" in text else ""
    return frm.strip() or None, (to or "").strip() or None


def _bs_user(link) -> str | None:
    """lxml reads Agora's '<a ... href="/vendor/x#"/>x</a>' as an empty link: fall back to the href."""
    if link is None:
        return None
    return _t(link) or unquote(link.get("href", "").split("#")[0].rstrip("/").rsplit("/", 1)[-1]) or None


def _bs_feedback(soup) -> list[dict]:
    out = []
    box = soup.select_one(".embedded-feedback-list")
    for tr in box.find_all("tr") if box else []:
        tds = tr.find_all("td", recursive=False)
        if len(tds) < 4:
            continue
        item = tds[2].find("a") if len(tds) >= 5 else None
        out.append({"rating": _t(tds[0]), "text": _t(tds[1]), "item": item.get("href") if item else None,
                    "age": _t(tds[-2]), "buyer": _t(tds[-1].select_one(".gen-user-link")),
                    "band": _t(tds[-1].select_one(".gen-user-ratings"))})
    return out


def _bs_rows(soup) -> list[dict]:
    rows = []
    for tr in soup.select("table.products-list tr.products-list-item"):
        name = tr.select_one("td.column-name")
        link = name.find("a") if name else None
        if link is None:
            continue
        tds = tr.find_all("td", recursive=False)
        i = tds.index(name)
        price = tds[i + 1].get_text().strip().split("\n")[0].strip() if len(tds) > i + 1 else None
        ships = _bs_ships(tds[i + 2]) if len(tds) > i + 2 else (None, None)
        vendor = tr.select_one("a.gen-user-link")
        rows.append({"key": link["href"].split("/p/")[-1], "title": _t(link), "price": price, "ships": ships,
                     "vendor": _bs_user(vendor), "band": _t(tr.select_one(".gen-user-ratings")),
                     "preview": _t(name.select_one(".description-preview"))})
    return rows


def parse_bs4(data: bytes, path: str) -> dict:
    soup = BeautifulSoup(data, "lxml")
    bar = soup.select_one("#login-info-bar")
    out: dict = {"rate": bar.get_text().rsplit("::", 1)[-1].strip() if bar else None}
    crumbs = [a.get_text().strip() for a in soup.select("#top-navigation .topnav-element a")]
    product = soup.select_one("#single-product")
    if product is not None:
        vendor = product.select_one("a.gen-user-link")
        buy = product.select_one(".button-red a")
        desc = []
        for el in product.children:  # loose text after the price, up to the vendor link
            if el is vendor:
                break
            desc.append(el if isinstance(el, str) else ("\n" if el.name == "br" else ""))
        out.update(type="product", key=buy["href"].split("/")[2] if buy else path.split("/")[-1],
                   title=_t(product.find("h1")), price=_t(product.select_one(".product-page-price")),
                   vendor=_bs_user(vendor), band=_t(product.select_one(".gen-user-ratings")),
                   ships=_bs_ships(product.select_one(".product-page-ships")), category="/".join(crumbs),
                   description="".join(desc).strip(), feedback=_bs_feedback(soup))
        return out
    bio = soup.select_one(".vendorbio-description")
    if bio is not None:
        key = bio.select_one(".pgptoken")
        out.update(type="vendor", handle=_t(soup.select_one("#middlestuff strong")),
                   band=_t(soup.select_one("#middlestuff .gen-user-ratings")),
                   last_seen=_t(soup.select_one(".vendorbio-stats-online")), profile=bio.get_text("\n"),
                   pgp=key.get_text("\n") if key else None, rows=_bs_rows(soup), feedback=_bs_feedback(soup))
        return out
    if soup.select_one("#product-list") is not None:
        out.update(type="category", category="/".join(crumbs), rows=_bs_rows(soup))
        return out
    grid = soup.select_one("#product-index")
    if grid is not None and "/p/" in path:
        out["type"] = "error"
        return out
    out["type"] = "category" if grid is not None and "/cat/" in path else "other"
    if grid is not None:  # featured listings: id, title, price
        out["rows"] = [{"key": a["href"].split("/p/")[-1], "title": _t(a), "vendor": None,
                        "price": _t(cell.select_one(".product-index-floater-price"))}
                       for cell in grid.select(".product-index-floater")
                       if (a := cell.select_one(".product-index-floater-caption a")) is not None]
    return out


# --- comparison and timing -----------------------------------------------------------------------


def agreement(pages: list[tuple[bytes, str]]) -> str:
    """How often the two parsers agree on the main fields: proof that bs4 does the same job."""
    same = total = 0
    for data, path in pages:
        ours, theirs = parse_page(data, path), parse_bs4(data, path)
        if ours.observation:
            o = ours.observation
            pairs = [(o["title"], theirs.get("title")), (o["vendor"], theirs.get("vendor")),
                     (o["price_text"], theirs.get("price")), (o["category"], theirs.get("category") or None),
                     ((o["ships_from"], o["ships_to"]), theirs.get("ships")),
                     (len(ours.feedback), len(theirs.get("feedback", [])))]
        elif ours.rows:
            pairs = [((r["title"], r.get("vendor"), r["price_text"]), (t["title"], t["vendor"] or r.get("vendor"), t["price"]))
                     for r, t in zip(ours.rows, theirs.get("rows", []), strict=False)]
            pairs.append((len(ours.rows), len(theirs.get("rows", []))))
        else:
            pairs = [(ours.page_type, theirs["type"])]
        same += sum(a == b for a, b in pairs)
        total += len(pairs)
    return f"{same}/{total} fields equal ({100 * same / max(total, 1):.2f}%)"


def outputs(pages: list[tuple[bytes, str]], save: Path | None, check: Path | None) -> None:
    """Every page's Parsed, saved, or compared with a saved run (a speed change must not move it)."""
    got = [dataclasses.asdict(parse_page(data, path)) for data, path in pages]
    if save:
        save.write_bytes(pickle.dumps(got))
        print(f"output of {len(got)} pages saved to {save}")
    if check:
        # a file this bench wrote itself, on this machine: pickle is fine for it
        if not check.is_file():
            raise SystemExit(f"no saved output at {check} (write one with --save-output)")
        before = pickle.loads(check.read_bytes())
        if len(before) != len(got):
            raise SystemExit(f"{check} holds {len(before)} pages, this run {len(got)}: same --limit?")
        moved = [path for (_, path), a, b in zip(pages, before, got, strict=True) if a != b]
        print(f"output: {len(moved)} of {len(got)} pages differ from {check}" + (f", e.g. {moved[:5]}" if moved else ""))
        if moved:
            raise SystemExit(1)


def timed(fn, pages) -> float:
    t = time.process_time()
    for data, path in pages:
        fn(data, path)
    return time.process_time() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tarball", type=Path, default=TARBALL)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--limit", type=int, default=None, help="only the first N pages (a quick look)")
    ap.add_argument("--bs4-every", type=int, default=4, help="time bs4 on every N'th page")
    ap.add_argument("--save-output", type=Path, help="write what our parser makes of every page (pickle, "
                    "outside the repo) before a speed change ...")
    ap.add_argument("--check-output", type=Path, help="... and check after it that nothing moved")
    args = ap.parse_args()
    if not args.tarball.is_file():
        raise SystemExit(f"pages not found: {args.tarball} (they live in ../shared/data)")
    pages = load_pages(args.tarball, args.limit)
    if args.save_output or args.check_output:
        outputs(pages, args.save_output, args.check_output)
    mb = sum(len(d) for d, _ in pages) / 1e6
    print(f"{len(pages)} pages, {mb:.1f} MB of HTML")
    print(f"bs4 agreement with ours: {agreement(pages[::10])}")
    rounds: dict[str, list[float]] = {"bare": [], "ours": [], "bare-opts": []}
    for _ in range(args.rounds):
        rounds["bare"].append(timed(lambda d, p: LexborHTMLParser(d), pages))
        rounds["ours"].append(timed(parse_page, pages))
        rounds["bare-opts"].append(timed(lambda d, p: LexborHTMLParser(d, options=PARSE_OPTIONS), pages))
    best = {name: min(times) for name, times in rounds.items()}
    sample = pages[:: args.bs4_every]
    per_page = {name: best[name] / len(pages) for name in best}
    per_page["bs4"] = timed(parse_bs4, sample) / len(sample)
    for name, t in per_page.items():
        if name != "bare-opts":
            print(f"{name:5} {1 / t:9.0f} pages/s  {1e6 * t:8.0f} us/page")
    print(f"bs4/ours {per_page['bs4'] / per_page['ours']:.1f}")
    print(f"bare parse with our parse options (no DOM mutation events) {1e6 * per_page['bare-opts']:.0f} us/page: "
          f"ours/that {best['ours'] / best['bare-opts']:.2f}")
    # each round times both on the same pages one after the other: on a machine shared with other
    # jobs, the spread of the rounds' ratios says how far the best-of figure below can be trusted
    per_round = sorted(o / b for o, b in zip(rounds["ours"], rounds["bare"], strict=True))
    print(f"ratio by round: min {per_round[0]:.2f}, median {statistics.median(per_round):.2f}, "
          f"max {per_round[-1]:.2f}")
    print(f"ratio {best['ours'] / best['bare']:.2f}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()

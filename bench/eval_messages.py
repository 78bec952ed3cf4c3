"""Score messenger menus end to end: exports built from real listing titles, ingested, offers checked.

Builds (seeded) a set of channel exports from the real titles and prices in ../shared/data (see
menu_export.py; nothing is written outside a temporary folder), ingests them with extraction into a
fresh store, and compares every offer with the truth of the item it came from:

  price+currency  share of priced items that came out as an offer with the right amount and currency
                  (target >= 95%)
  grams           share of those whose grams are right, among items with a grams truth (target >= 95%)
  offers/message  offers per message that has no priced item (chatter, announcements, service): ~0

and prints where the misses come from (by menu style, by export format, examples). Timing: our ingest
beside the floor of merely reading the same exports (a JSON pass-through with orjson, a bare selectolax
parse of the HTML pages, splitting the WhatsApp text into lines), as a ratio.

Time and memory of a 1 GB export: bench/messenger_scale.py.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from menu_export import build, read_sources, write_exports

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def floor_read(paths: list[Path]) -> float:
    """Seconds to merely read and parse the exports, the minimal cost of any reader."""
    import orjson
    from selectolax.lexbor import LexborHTMLParser

    t0 = time.perf_counter()
    for p in paths:
        data = p.read_bytes()
        if p.suffix == ".json":
            orjson.loads(data)
        elif p.suffix == ".html":
            LexborHTMLParser(data)
        else:
            data.decode("utf-8").splitlines()
    return time.perf_counter() - t0


def score(con, channels) -> dict:
    from dnmobs.messengers import market_id

    plat = {"telegram-json": "telegram", "telegram-html": "telegram", "whatsapp-txt": "whatsapp"}
    offers = defaultdict(list)
    for market, date, amount, cur, grams, text in con.execute(
            "SELECT m.market, m.date, o.price_amount, o.price_currency, o.grams, o.text FROM offers o "
            "JOIN messages m USING (message_id) ORDER BY o.offer_index").fetchall():
        offers[(market, date)].append((amount, cur, grams, text))
    res = Counter()
    by_style = defaultdict(Counter)
    by_fmt = defaultdict(Counter)
    by_form = defaultdict(Counter)
    misses, gram_misses, spurious, extra = [], [], [], []
    for ch in channels:
        market = market_id(plat[ch.platform_format], ch.name)
        for post in ch.posts:
            got = list(offers.get((market, post.date.replace(microsecond=0)), []))
            if not post.truths:
                res["quiet_messages"] += 1
                res["quiet_offers"] += len(got)
                if got:
                    spurious.append((post.kind, post.text[:80], got[0]))
                continue
            res["menu_messages"] += 1
            for t in post.truths:
                res["items"] += 1
                by_style[t.style]["items"] += 1
                by_fmt[ch.platform_format]["items"] += 1
                by_form[t.price_form]["items"] += 1
                hit = next((o for o in got if o[0] is not None and o[1] == t.currency
                            and abs(o[0] - t.amount) <= max(0.005 * t.amount, 1e-4)), None)
                if hit is None:
                    misses.append((t.style, t.currency, t.amount, t.text[:100], got[:3]))
                    continue
                got.remove(hit)
                res["price_ok"] += 1
                by_style[t.style]["price_ok"] += 1
                by_fmt[ch.platform_format]["price_ok"] += 1
                by_form[t.price_form]["price_ok"] += 1
                if t.grams:
                    res["grams_items"] += 1
                    if hit[2] is not None and abs(hit[2] - t.grams) <= 0.01 * t.grams:
                        res["grams_ok"] += 1
                    else:
                        gram_misses.append((t.grams, hit[2], hit[3][:100]))
            res["extra_offers_in_menus"] += len(got)
            extra.extend((o[0], o[1], o[3][:100]) for o in got)
    return {"counts": res, "by_style": by_style, "by_fmt": by_fmt, "by_form": by_form, "misses": misses, "gram_misses": gram_misses,
            "spurious": spurious, "extra": extra}


def pct(a: int, b: int) -> str:
    return f"{a:,}/{b:,} = {100 * a / b:.1f}%" if b else "n/a"


def run_quality(args) -> None:
    from dnmobs.ingest import Options, ingest
    from dnmobs.store import connect

    rng = random.Random(args.seed)
    sources = read_sources(args.data, rng)
    if not sources:
        raise SystemExit(f"no listing data under {args.data}")
    channels = build(sources, rng, n_channels=args.channels, posts_per_channel=args.posts)
    with tempfile.TemporaryDirectory(prefix="dnmobs-msgs-") as tmp:
        paths = write_exports(channels, Path(tmp) / "exports", rng)
        floor = floor_read(paths)
        con = connect(Path(tmp) / "store.duckdb")
        t0 = time.perf_counter()
        rep = ingest(con, [str(p) for p in paths], Options())
        ours = time.perf_counter() - t0
        if rep.errors:
            print("ingest errors:", *rep.errors[:5], sep="\n  ")
        r = score(con, channels)
        con.close()
    c = r["counts"]
    print(f"sources              {Counter(s.origin for s in sources)}")
    print(f"channels             {len(channels)} ({Counter(ch.platform_format for ch in channels)})")
    print(f"messages             {c['menu_messages']:,} menu posts with {c['items']:,} priced items; "
          f"{c['quiet_messages']:,} posts without items")
    print(f"price+currency right {pct(c['price_ok'], c['items'])}   (target >= 95%)")
    print(f"grams right          {pct(c['grams_ok'], c['grams_items'])} of matched items with a grams truth "
          f"(target >= 95%)")
    q = c["quiet_messages"]
    print(f"offers per message without offers  {c['quiet_offers'] / q if q else 0:.3f} "
          f"({c['quiet_offers']} offers in {q} messages; target ~0)")
    print(f"extra offers in menu posts          {c['extra_offers_in_menus']}")
    for name, table in (("style", r["by_style"]), ("format", r["by_fmt"]), ("price", r["by_form"])):
        print(f"by {name:6}  " + "   ".join(f"{k}: {pct(v['price_ok'], v['items'])}" for k, v in sorted(table.items())))
    for label, rows in (("price misses", r["misses"]), ("gram misses", r["gram_misses"]),
                        ("offers from quiet posts", r["spurious"]), ("extra offers in menu posts", r["extra"])):
        if rows and args.examples:
            print(f"-- {label} (first {args.examples}):")
            for row in rows[:args.examples]:
                print("   ", row)
    print(f"time                 ingest+extract {ours:.2f} s; floor (read+parse the exports) {floor:.3f} s")
    print(f"ratio {ours / floor:.1f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DATA, help="folder of the listing datasets (../shared/data)")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--channels", type=int, default=40)
    ap.add_argument("--posts", type=int, default=20, help="posts per channel")
    ap.add_argument("--examples", type=int, default=8, help="misses to show")
    args = ap.parse_args()
    if not args.data.is_dir():
        raise SystemExit(f"data not found: {args.data} (it lives in ../shared/data)")
    run_quality(args)


if __name__ == "__main__":
    main()

"""Weekly listing snapshots of the sample's darknet markets, in the ADA parse layout (prices in BTC),
and the daily rates file (BTC and EUR in USD) the demo imports."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import random
from pathlib import Path

from dnmobs.sample import Step
from dnmobs.sample.world import World


def write(world: World, out: Path) -> list[Step]:
    rng = random.Random(world.seed * 1000 + 1)
    steps = []
    partial = world.crawl_dates[9]  # one crawl broke off early, as real ones do
    for market in ("agora", "silkroad2"):
        folder = out / market
        folder.mkdir(parents=True, exist_ok=True)
        for day in world.crawl_dates:
            rows = [lst for lst in world.listings if lst.market == market and world.active(lst, day)]
            if not rows:
                continue
            keep = 0.25 if day == partial and market == "agora" else 0.93
            buf = io.StringIO()
            w = csv.writer(buf, lineterminator="\n")
            w.writerow(["", "name", "price", "from", "to", "vendor", "cat_hash", "cat", "date"])
            n = 0
            for lst in rows:
                if rng.random() > keep:
                    continue
                btc = world.price_usd(lst, day, rng) / world.btc_usd[day]
                cat_hash = hashlib.sha1(lst.category.encode()).hexdigest()[:10]
                w.writerow([n, lst.title, f"{btc:.8f}", lst.ships_from, lst.ships_to, lst.vendor, cat_hash,
                            lst.category, day.isoformat()])
                n += 1
            (folder / f"{day.isoformat()}_catProducts.csv.gz").write_bytes(
                gzip.compress(buf.getvalue().encode("utf-8"), mtime=0))
        steps.append(Step(f"{market} listing snapshots", [folder],
                          {"format": "agora-ada", "market": market}))
    rates = out / "rates" / "usd_daily.csv"
    rates.parent.mkdir(parents=True, exist_ok=True)
    with rates.open("w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["date", "currency", "usd"])
        for day, usd in sorted(world.btc_usd.items()):
            w.writerow([day.isoformat(), "BTC", f"{usd:.2f}"])
        for day, usd in sorted(world.eur_usd.items()):
            w.writerow([day.isoformat(), "EUR", f"{usd:.4f}"])
    return [Step("daily BTC and EUR rates in USD", [rates], command="rates"), *steps]

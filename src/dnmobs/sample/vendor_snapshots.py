"""Agora vendor snapshots of the sample in the ADA parse layout (agora-ada-vendors):
`,name,rating,lastSeen,publicKey,#products,#Deals,parsingDate`, one gzip file per crawl, every fourth week.

As in the real parse, key blocks lost their line breaks (the same key text as the Agora vendor table,
so linking sees one key), keys appear only in the earlier snapshots, and some rows are a bare handle
(the vendor page was not fetched in that crawl).
"""

from __future__ import annotations

import csv
import gzip
import io
import random
from pathlib import Path

from dnmobs.sample import Step
from dnmobs.sample.pgpkeys import armored_key
from dnmobs.sample.world import World

HEADER = ["", "name", "rating", "lastSeen", "publicKey", "#products", "#Deals", "parsingDate"]
DEALS = ["0", "1~5", "6~10", "10~15", "15~25", "25~40", "40~55", "55~70", "70~100", "100~150", "150~200",
         "200~300", "300~500", "500~1000", "1000+"]
MARKET = "agora"  # the layout is the ADA parse of Agora's vendor pages


def write(world: World, out: Path) -> list[Step]:
    rng = random.Random(world.seed * 1000 + 11)
    folder = out / "agora-vendors"
    folder.mkdir(parents=True, exist_ok=True)
    days = world.crawl_dates[::4]
    with_keys = set(days[: len(days) // 2 + 1])
    products = {}
    for lst in world.listings:
        if lst.market == MARKET:
            products[lst.vendor] = products.get(lst.vendor, 0) + 1
    for day in days:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(HEADER)
        n = 0
        for v in world.vendors:
            span = v.markets.get(MARKET)
            if not span or not span[0] <= day <= span[1]:
                continue
            handle = v.handle_on(MARKET)
            if rng.random() < 0.25:  # a bare handle: the page was not fetched this time
                w.writerow([n, handle, "", "", "", "", "", day.isoformat()])
                n += 1
                continue
            age = (day - span[0]).days + rng.randint(20, 200)
            seen = rng.choice([f"{rng.randint(0, 23)} hours", f"{rng.randint(1, 5)} days {rng.randint(0, 23)} hours"])
            key = armored_key(v.key_seed, f"{handle} <{handle.lower()}@sample.invalid>", "stripped") \
                if day in with_keys else ""
            rating = "" if rng.random() < 0.05 else f"{rng.uniform(4.5, 5.0):.2f}"
            deals = DEALS[min(len(DEALS) - 1, age // 30 + rng.randint(0, 3))]
            w.writerow([n, handle, rating, f"Registered {age // 30} months {age % 30} days              {seen}",
                        key, products.get(handle, 0), deals, day.isoformat()])
            n += 1
        (folder / f"vendor{day.isoformat()}.csv.gz").write_bytes(gzip.compress(buf.getvalue().encode(), mtime=0))
    return [Step("agora vendor snapshots", [folder], {"format": "agora-ada-vendors"})]

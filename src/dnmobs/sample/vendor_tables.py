"""Vendor tables of the sample's darknet markets (vendors-csv): handle, PGP key, contact, profile text.

Keys come from the vendor's key seed (sample/pgpkeys.py), so a vendor who moves keeps the fingerprint
whatever name it takes; each market shows keys its own way (one with line breaks lost, as scraped tables
have them, one armored with CRLF line ends, one in the profile text instead of the key column).
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

from dnmobs.sample import Step
from dnmobs.sample.pgpkeys import armored_key
from dnmobs.sample.world import World

# market -> how its vendor pages show keys
KEY_STYLE = {"agora": "stripped", "silkroad2": "crlf"}


def write(world: World, out: Path) -> list[Step]:
    rng = random.Random(world.seed * 1000 + 7)
    folder = out / "vendor-tables"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for market in sorted({m for v in world.vendors for m in v.markets}):
        path = folder / f"{market}_vendors.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["market", "vendor", "pgp_key", "contact", "profile_text", "crawl_date"])
            for v in world.vendors:
                if market not in v.markets:
                    continue
                handle = v.handle_on(market)
                key = armored_key(v.key_seed, f"{handle} <{handle.lower()}@sample.invalid>",
                                  KEY_STYLE.get(market, "armored"))
                profile = v.profile.replace(v.handle, handle)
                if rng.random() < 0.15:  # some paste the key into the profile instead
                    profile, key = profile + "\n\nPGP:\n" + key, ""
                w.writerow([market, handle, key, v.contact or "", profile, v.markets[market][1].isoformat()])
        paths.append(path)
    return [Step("vendor tables", paths, {"format": "vendors-csv"})]

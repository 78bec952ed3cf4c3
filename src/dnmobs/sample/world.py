"""A small seeded world of markets, vendors and listings: the built-in sample's ground truth.

Two darknet markets run side by side until one is seized (in the week of Operation Onymous,
2014-11-06); some of its vendors reappear on the other market, a few under new names but with
the same PGP key, some open a messenger channel, the rest vanish. Listing titles are written
the way vendors write them (units glued to numbers, decimal commas, slang, brands, shouting),
so the sample exercises the same paths as real scrapes. Everything follows from the seed.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

START = date(2014, 9, 1)
WEEKS = 26
SEIZURE = date(2014, 11, 6)  # onymous-2014


@dataclass(frozen=True)
class Product:
    substance: str  # taxonomy id
    names: tuple[str, ...]  # how titles name it
    usd_per_gram: float  # retail price of one gram (or one unit for pills/tabs)
    unit: str  # 'g' or 'unit'
    sizes: tuple[float, ...]  # grams, or unit counts
    dose_mg: float | None = None  # per unit
    purity: tuple[int, int] | None = None  # range of claimed purity
    is_drug: bool = True


CATALOGUE: dict[str, tuple[str, Product]] = {
    "cocaine": ("Drugs/Stimulants/Cocaine", Product(
        "cocaine", ("Cocaine", "COCAINE", "Kokain", "Coke", "Colombian Cocaine", "Fishscale Cocaine"),
        85.0, "g", (0.5, 1, 2, 3.5, 7, 14, 28), purity=(80, 95))),
    "crack": ("Drugs/Stimulants/Cocaine", Product(
        "cocaine", ("Crack", "Crack Cocaine", "CRACK ROCKS"), 90.0, "g", (0.5, 1, 2, 3.5))),
    "mdma": ("Drugs/Ecstasy/MDMA", Product(
        "mdma", ("MDMA", "MDMA crystals", "Mandy", "MDMA Champagne"), 35.0, "g", (1, 2, 5, 10, 25),
        purity=(80, 90))),
    "xtc": ("Drugs/Ecstasy/Pills", Product(
        "mdma", ("XTC pills", "Ecstasy Pills", "Blue Punisher XTC"), 8.0, "unit", (10, 25, 50, 100),
        dose_mg=200)),
    "speed": ("Drugs/Stimulants/Speed", Product(
        "amphetamine", ("Speed", "Amphetamine", "Amfetamine paste"), 12.0, "g", (5, 10, 25, 50))),
    "meth": ("Drugs/Stimulants/Meth", Product(
        "methamphetamine", ("Crystal Meth", "ICE", "Methamphetamine shards"), 110.0, "g", (0.5, 1, 3.5, 7))),
    "heroin": ("Drugs/Opioids/Heroin", Product(
        "heroin", ("Heroin", "#4 Afghan Heroin", "Brown Heroin"), 120.0, "g", (0.5, 1, 2, 5))),
    "weed": ("Drugs/Cannabis/Weed", Product(
        "cannabis", ("Amnesia Haze", "OG Kush", "White Widow", "Gorilla Glue #4", "Northern Lights"),
        10.0, "g", (5, 10, 28, 56, 112))),
    "hash": ("Drugs/Cannabis/Hash", Product(
        "cannabis", ("Hash", "Moroccan Hash", "Afghan Hashish"), 9.0, "g", (5, 10, 25, 50))),
    "lsd": ("Drugs/Psychedelics/LSD", Product(
        "lsd", ("LSD tabs", "Acid blotters", "LSD"), 7.0, "unit", (5, 10, 25, 100), dose_mg=0.15)),
    "ketamine": ("Drugs/Dissociatives/Ketamine", Product(
        "ketamine", ("Ketamine", "Ket needles", "KETAMINE S-isomer"), 30.0, "g", (1, 2, 5, 10))),
    "xanax": ("Drugs/Benzos/Alprazolam", Product(
        "alprazolam", ("Xanax 2mg bars", "Alprazolam 1mg", "Xanax"), 2.5, "unit", (20, 50, 100, 200),
        dose_mg=2)),
    "oxy": ("Drugs/Opioids/Oxycodone", Product(
        "oxycodone", ("OxyContin 80mg", "Oxycodone 30mg", "Roxicodone"), 25.0, "unit", (10, 20, 50),
        dose_mg=30)),
    "guide": ("Information/Guides", Product(
        "guide", ("Stealth Shipping Guide", "Carding Tutorial", "Make money with bitcoin eBook"),
        5.0, "unit", (1,), is_drug=False)),
}

COUNTRIES = [("NL", "Netherlands"), ("DE", "Germany"), ("GB", "United Kingdom"), ("US", "USA"),
             ("CA", "Canada"), ("AU", "Australia"), ("ES", "Spain"), ("BE", "Belgium"), ("FR", "France")]
DESTINATIONS = ["Worldwide", "EU", "Europe", "USA only", "Worldwide"]
_SYLLABLES = ["dutch", "euro", "green", "ice", "snow", "king", "lab", "cali", "north", "star", "pure",
              "white", "magic", "tokyo", "alpha", "candy", "bay", "frost", "bio", "top"]
_SUFFIXES = ["", "", "", "shop", "NL", "UK", "store", "labs", "direct", "pharma"]


@dataclass
class Vendor:
    handle: str
    country: tuple[str, str]
    markets: dict[str, tuple[date, date]]  # market -> (first, last) active week
    products: list[str]  # CATALOGUE keys
    key_seed: int  # PGP key identity: equal seeds = same key
    contact: str | None = None
    aliases: dict[str, str] = field(default_factory=dict)  # market -> handle used there
    channel: str | None = None  # messenger channel opened after the seizure
    profile: str = ""

    def handle_on(self, market: str) -> str:
        return self.aliases.get(market, self.handle)


@dataclass(frozen=True)
class Listing:
    market: str
    vendor: str  # handle on that market
    listing_id: str
    title: str
    category: str
    product: str  # CATALOGUE key
    size: float
    purity: int | None
    usd_price: float  # at the first week; prices drift weekly
    ships_from: str
    ships_to: str


@dataclass
class World:
    seed: int
    crawl_dates: list[date]
    vendors: list[Vendor]
    listings: list[Listing]
    btc_usd: dict[date, float]  # daily rate
    eur_usd: dict[date, float] = field(default_factory=dict)  # USD per EUR, daily

    def active(self, listing: Listing, day: date) -> bool:
        v = next(v for v in self.vendors if v.handle_on(listing.market) == listing.vendor
                 and listing.market in v.markets)
        first, last = v.markets[listing.market]
        return first <= day <= last

    def price_usd(self, listing: Listing, day: date, rng: random.Random) -> float:
        weeks = (day - self.crawl_dates[0]).days / 7
        drift = 1 + 0.004 * weeks  # prices creep up slightly
        if listing.market == "agora" and day > SEIZURE:
            drift *= 1.06  # demand displaced from the seized market
        return round(listing.usd_price * drift * rng.uniform(0.97, 1.03), 2)


def _handle(rng: random.Random, taken: set[str]) -> str:
    while True:
        h = rng.choice(_SYLLABLES).capitalize() + rng.choice(_SYLLABLES) + rng.choice(_SUFFIXES)
        if rng.random() < 0.3:
            h += str(rng.randint(1, 99))
        if h.lower() not in taken:
            taken.add(h.lower())
            return h


def _rename(rng: random.Random, handle: str, taken: set[str]) -> str:
    """How a moving vendor renames: a suffix, a separator, leetspeak, or a fresh name."""
    options = [handle + "V2", handle.replace("o", "0").replace("e", "3"), handle + "_official",
               handle.lower() + "NL", "the" + handle]
    for cand in rng.sample(options, len(options)):
        if cand.lower() not in taken:
            taken.add(cand.lower())
            return cand
    return _handle(rng, taken)


def _title(rng: random.Random, p: Product, size: float, purity: int | None, country: tuple[str, str]) -> str:
    name = rng.choice(p.names)
    if p.unit == "unit":
        n = int(size)
        if not p.is_drug:
            return name
        return rng.choice([f"{n}x {name}", f"{name} - {n} pcs", f"{n} {name}", f"{name} x{n}"])
    amount = f"{size:g}".replace(".", ",") if rng.random() < 0.15 else f"{size:g}"
    unit = rng.choice(["g", "g", "G", "gr", " gram", " Gram"])
    q = f"{amount}{unit}"
    pur = f" {purity}%" if purity and rng.random() < 0.7 else ""
    style = rng.randrange(5)
    if style == 0:
        return f"{q} {name}{pur}"
    if style == 1:
        return f"{name}{pur} - {q}"
    if style == 2:
        return f"★ {q} {name.upper()}{pur} ★ FREE SHIPPING"
    if style == 3:
        return f"[{country[0]}] {name} {q}{pur}"
    return f"{q} {name}{pur} | {country[1]} to {rng.choice(DESTINATIONS)}"


def _walk(rng: random.Random, first: date, days: int, level: float, sigma: float, lo: float, hi: float,
          digits: int = 2) -> dict[date, float]:
    """A seeded daily random walk kept within bounds."""
    out = {}
    for i in range(days):
        level = min(max(level * math.exp(rng.gauss(0, sigma)), lo), hi)
        out[first + timedelta(days=i)] = round(level, digits)
    return out


def build(seed: int = 7, n_vendors: int = 36) -> World:
    rng = random.Random(seed)
    crawl_dates = [START + timedelta(days=7 * w) for w in range(WEEKS)]
    last = crawl_dates[-1]
    btc = _walk(rng, START - timedelta(days=7), WEEKS * 7 + 14, 480.0, 0.025, 180.0, 900.0)  # autumn 2014
    taken: set[str] = set()
    vendors: list[Vendor] = []
    drug_keys = [k for k in CATALOGUE if CATALOGUE[k][1].is_drug]
    for i in range(n_vendors):
        handle = _handle(rng, taken)
        country = rng.choice(COUNTRIES)
        products = rng.sample(drug_keys, rng.randint(2, 4))
        if rng.random() < 0.15:
            products.append("guide")
        home = "silkroad2" if i % 2 == 0 else "agora"
        start = crawl_dates[rng.randrange(0, 6)]
        v = Vendor(handle, country, {home: (start, last)}, products, key_seed=rng.getrandbits(32),
                   contact=f"wickr: {handle.lower()}{rng.randint(10, 99)}" if rng.random() < 0.5 else None,
                   profile=f"Welcome to {handle}. Shipping from {country[1]} within 24h. Stealth vacuum sealed.")
        if home == "silkroad2":
            v.markets[home] = (start, max(d for d in crawl_dates if d < SEIZURE))
            fate = rng.random()
            after = min(d for d in crawl_dates if d > SEIZURE)
            if fate < 0.35:  # moves to agora under the same name
                v.markets["agora"] = (after, last)
            elif fate < 0.55:  # moves under a new name, same key
                v.markets["agora"] = (after, last)
                v.aliases["agora"] = _rename(rng, handle, taken)
            elif fate < 0.7:  # opens a messenger channel
                v.channel = f"{handle.lower()}_shop"
            # else: vanishes
        elif rng.random() < 0.3:  # some agora vendors also sell on silkroad2 until the seizure
            v.markets["silkroad2"] = (start, max(d for d in crawl_dates if d < SEIZURE))
        vendors.append(v)

    listings: list[Listing] = []
    for v in vendors:
        for market in v.markets:
            for key in v.products:
                category, p = CATALOGUE[key]
                for size in rng.sample(p.sizes, min(len(p.sizes), rng.randint(1, 3))):
                    purity = rng.randint(*p.purity) if p.purity else None
                    discount = size ** -0.12 if p.unit == "g" else size ** -0.08
                    usd = round(p.usd_per_gram * size * discount * rng.uniform(0.85, 1.2), 2)
                    lid = f"{rng.getrandbits(40):010x}"
                    ships_to = rng.choice(DESTINATIONS)
                    listings.append(Listing(market, v.handle_on(market), lid,
                                            _title(rng, p, size, purity, v.country), category, key, size,
                                            purity, usd, v.country[1], ships_to))
    eur = _walk(random.Random(seed * 7919 + 3), START - timedelta(days=7), WEEKS * 7 + 14, 1.27, 0.004, 1.05, 1.40,
                digits=4)
    return World(seed, crawl_dates, vendors, listings, btc, eur)

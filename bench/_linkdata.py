"""Shared pieces of the linkage benchmarks: the key-based truth, pair metrics, and synthetic vendor tables
derived at run time from the real Agora vendors (nothing here is committed data).
"""

from __future__ import annotations

import csv
import itertools
import random
import sys
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from dnmobs.link import pgp  # noqa: E402
from dnmobs.link.features import key_components  # noqa: E402
from dnmobs.link.names import split_words  # noqa: E402
from dnmobs.sample import pgpkeys  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "agora-2014"
VENDORS = DATA / "vendors-ada"
PANEL = DATA / "panel-ada"
HEADER = ["market", "vendor", "pgp_key", "contact", "profile_text"]


def key_truth(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """vendor_id -> its shared-key component (vendors with at least one readable primary key)."""
    rows = con.execute("""
        SELECT vp.vendor_id, pk.fingerprint FROM vendor_pgp vp JOIN pgp_keys pk USING (block_sha256)
        WHERE pk.is_primary
    """).fetchall()
    return key_components(rows)


def truth_pairs(labels: dict[str, str]) -> set[tuple[str, str]]:
    groups = defaultdict(list)
    for v, lab in labels.items():
        groups[lab].append(v)
    return {tuple(sorted(p)) for g in groups.values() for p in itertools.combinations(g, 2)}


def cluster_pairs(clusters) -> set[tuple[str, str]]:
    return {tuple(sorted(p)) for c in clusters for p in itertools.combinations(c.members, 2)}


def pair_metrics(pred: set, truth: set, labels: dict[str, str], keep=lambda a, b: True) -> dict:
    """Pairs put together, judged by the keys: right (same key component), wrong (both keyed, different
    components) or unknown (a vendor without a readable key)."""
    pred = {p for p in pred if keep(*p)}
    truth = {p for p in truth if keep(*p)}
    right = len(pred & truth)
    wrong = sum(1 for a, b in pred if a in labels and b in labels and labels[a] != labels[b])
    unknown = len(pred) - right - wrong
    return {"pairs": len(pred), "right": right, "wrong": wrong, "unknown": unknown, "truth": len(truth),
            "precision": right / (right + wrong) if right + wrong else float("nan"),
            "precision_strict": right / len(pred) if pred else float("nan"),
            "recall": right / len(truth) if truth else float("nan")}


def fmt(m: dict) -> str:
    return (f"pairs {m['pairs']:>5} right {m['right']:>5} wrong {m['wrong']:>4} unknown {m['unknown']:>4} | "
            f"precision {m['precision']:.3f} (unknown as wrong {m['precision_strict']:.3f}) | "
            f"recall {m['recall']:.3f} of {m['truth']}")


# --- a synthetic second market, made from the real vendors ---------------------------------------------

_AFFIX = ["_NL", "V2", "_official", "Shop", "420", "xxx", "the_", "real", "UK", "-store", "Dream"]
_LEET = str.maketrans({"o": "0", "e": "3", "a": "4", "i": "1", "s": "5"})


def renamed(rng: random.Random, handle: str, pool: list[str]) -> str:
    """A rename as vendors make them: case, separators, leetspeak, affixes, swapped words, or a new name."""
    words = split_words(handle) or [handle.lower()]
    r = rng.random()
    if r < 0.15:
        return handle.upper() if rng.random() < 0.5 else handle.lower()
    if r < 0.3:
        return "_".join(words) if len(words) > 1 else handle + "_"
    if r < 0.45:
        return handle.translate(_LEET)
    if r < 0.7:
        a = rng.choice(_AFFIX)
        return a + handle if a.endswith("_") or a in ("real",) else handle + a
    if r < 0.8 and len(words) > 1:
        return "".join(w.capitalize() for w in reversed(words))
    return new_name(rng, pool)  # a fresh name: only the key (or the writing) can tell


def new_name(rng: random.Random, pool: list[str]) -> str:
    a, b = rng.choice(pool), rng.choice(pool)
    return a.capitalize() + b + (str(rng.randint(1, 999)) if rng.random() < 0.3 else "")


def word_pool(handles: list[str]) -> list[str]:
    return sorted({w for h in handles for w in split_words(h) if w.isalpha() and 3 <= len(w) <= 9})


def rearmor(rng: random.Random, block: str) -> str | None:
    """The same key presented as another market shows keys: proper armor, CRLF, escaped line breaks, extra
    headers, line breaks lost, HTML, a paste cut short, sometimes a minimal export (primary key and first
    user id only); None when the block has no readable key."""
    data = pgp.dearmor(block)
    if not data:
        return None
    if rng.random() < 0.15:  # a minimal export: the primary key, its first user id and signature only
        cut, n = 0, 0
        for _ in range(3):
            head = pgp._packet_header(data, cut)
            if head is None:
                break
            cut, n = head[2], n + 1
        data = data[:cut] if n == 3 else data
    style = rng.choice(["armored", "crlf", "escaped", "headers", "stripped", "cut", "html"])
    headers = {"Version": "GnuPG v1"} if style != "headers" else {
        "Version": "GnuPG v2", "Comment": "Using GnuPG with Thunderbird", "Charset": "UTF-8"}
    text = pgp.armor(data, headers)
    if style == "crlf":
        return text.replace("\n", "\r\n")
    if style == "escaped":
        return text.replace("\n", "\\n")
    if style == "stripped":
        return text.replace("\n", "")
    if style == "cut":  # a paste that stopped two thirds of the way in: no checksum, no END line
        return text[: len(text) * 2 // 3]
    if style == "html":
        return text.replace("\n", "<br>\n").replace("+", "&#43;")
    return text


def profile(rng: random.Random, handle: str, titles: list[str], ships: str | None) -> str:
    picked = rng.sample(titles, min(len(titles), rng.randint(3, 8))) if titles else []
    lines = [rng.choice(["Welcome to", "Hello from", "This is"]) + f" {handle}!"]
    if ships:
        lines.append(f"We ship from {ships} with stealth packaging.")
    if picked:
        lines.append("Our products: " + "; ".join(picked))
    return "\n".join(lines)


def agora_vendors(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """The Agora vendors with a key block, some titles and their main shipping origin."""
    rows = con.execute("""
        WITH t AS (SELECT market, lower(vendor) AS lv, list(DISTINCT title)[1:12] AS titles,
                          mode(ships_from) AS ships
                   FROM listings l JOIN (SELECT listing_id, any_value(ships_from) AS ships_from FROM observations
                                         GROUP BY 1) o USING (listing_id) GROUP BY ALL)
        SELECT v.vendor_id, v.handle, (SELECT arg_max(k.key_block, k.last_seen) FROM vendor_keys k
                                       WHERE k.vendor_id = v.vendor_id) AS block, t.titles, t.ships
        FROM vendors v LEFT JOIN t ON t.market = v.market AND t.lv = lower(v.handle)
        WHERE v.market = 'agora' AND v.vendor_id IN (SELECT vendor_id FROM vendor_snapshots)
        ORDER BY v.vendor_id
    """).fetchall()
    return [{"vendor_id": r[0], "handle": r[1], "block": r[2], "titles": r[3] or [], "ships": r[4]} for r in rows]


def second_market(vendors: list[dict], seed: int, market: str = "market2") -> tuple[list[list[str]], dict]:
    """Rows of a vendors-csv table for a market the Agora vendors partly moved to.

    Movers keep their key (60% their handle, 40% renamed); some keep the handle but re-key (their key
    truth says: a different vendor), impersonators copy a handle with their own key, newcomers are new.
    Key blocks come in other presentations; a tenth sit in the profile text instead of the key column.
    """
    rng = random.Random(seed)
    pool = word_pool([v["handle"] for v in vendors])
    taken = {v["handle"].lower() for v in vendors}
    rows: list[list[str]] = []
    kinds: dict[str, int] = defaultdict(int)

    def add(handle: str, block: str | None, src: dict | None, kind: str) -> None:
        kinds[kind] += 1
        contact = f"wickr: {handle.lower()}_{rng.randint(1, 99)}" if rng.random() < 0.3 else ""
        text = profile(rng, handle, src["titles"] if src else [], src["ships"] if src else None)
        if block and rng.random() < 0.1:
            text += "\n\nMy key:\n" + block
            block = ""
        rows.append([market, handle, block or "", contact, text])

    seen: set[str] = set()
    for v in vendors:
        r = rng.random()
        keyed = v["block"] is not None and pgp.parse_text(v["block"]).primary_fingerprints
        if keyed and r < 0.35:
            block = rearmor(rng, v["block"])
            same = rng.random() < 0.6
            handle = v["handle"] if same else renamed(rng, v["handle"], pool)
            if handle.lower() in seen:
                continue
            seen.add(handle.lower())
            add(handle, block, v, "moved, same key, same handle" if same else "moved, same key, renamed")
        elif (keyed and r < 0.42) or (not keyed and r < 0.15):
            if v["handle"].lower() in seen:
                continue
            seen.add(v["handle"].lower())
            seed_ = f"{seed}:{v['vendor_id']}:rekey"
            add(v["handle"], pgpkeys.armored_key(seed_, v["handle"], rng.choice(pgpkeys.STYLES)), v,
                "same handle, another key" if keyed else "same handle, a key where Agora showed none")
        elif keyed and r < 0.46:
            handle = renamed(rng, v["handle"], pool)
            if handle.lower() in seen or handle.lower() in taken:
                continue
            seen.add(handle.lower())
            add(handle, pgpkeys.armored_key(f"{seed}:{handle}:decoy", handle, rng.choice(pgpkeys.STYLES)), None,
                "impersonator: similar handle, own key")
    for i in range(len(vendors) // 10):
        handle = new_name(rng, pool)
        if handle.lower() in seen or handle.lower() in taken:
            continue
        seen.add(handle.lower())
        add(handle, pgpkeys.armored_key(f"{seed}:new:{i}", handle, rng.choice(pgpkeys.STYLES))
            if rng.random() < 0.8 else None, None, "newcomer")
    return rows, dict(kinds)


def write_vendors_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        w.writerows(rows)


# --- many synthetic vendors, for the scale benchmark ---------------------------------------------------

def real_seeds(vendors_dir: Path, panel_dir: Path, con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Handles of the real Agora vendors with some of their listings (title, category, price) and main shipping
    origin, read straight from the CSVs."""
    vfiles = sorted(str(p) for p in vendors_dir.glob("*.csv.gz"))
    pfiles = sorted(str(p) for p in panel_dir.glob("*.csv.gz"))[::20]
    rows = con.execute(f"""
        WITH v AS (SELECT DISTINCT name AS handle FROM read_csv({vfiles!r}, all_varchar=true)
                   WHERE name IS NOT NULL),
             p AS (SELECT lower(vendor) AS lv, name, any_value(cat) AS cat, median(try_cast(price AS DOUBLE)) AS price,
                          any_value("from") AS ships
                   FROM read_csv({pfiles!r}, all_varchar=true) WHERE name IS NOT NULL GROUP BY 1, 2),
             t AS (SELECT lv, list({{'title': name, 'category': cat, 'price': price}} ORDER BY hash(name))[1:10]
                              AS listings, mode(ships) AS ships
                   FROM p GROUP BY 1)
        SELECT v.handle, t.listings, t.ships FROM v LEFT JOIN t ON t.lv = lower(v.handle) ORDER BY v.handle
    """).fetchall()
    return [{"handle": h, "titles": [x["title"] for x in ls or []], "listings": ls or [], "ships": s}
            for h, ls, s in rows]


# Writing habits: how one seller, whatever it sells, writes its titles (case, units, decoration)
_CASES = ("as is", "as is", "upper", "lower", "title")
_UNITS = (None, " g", "gr", " gram", "G")  # '3.5g' written '3.5 g', '3.5gr', ...
_DECOR = ("", "", "\u2605 {} \u2605", "{} !!!", "**{}**", "{} | FREE SHIPPING", "[STEALTH] {}", "\U0001F525 {}",
          "{} - TOP QUALITY", "~{}~")


def habit(rng: random.Random) -> tuple[str, str | None, str]:
    return rng.choice(_CASES), rng.choice(_UNITS), rng.choice(_DECOR)


def written(title: str, how: tuple[str, str | None, str]) -> str:
    """A title as a seller with these habits writes it."""
    case, unit, decor = how
    if unit:
        out, i = [], 0
        while i < len(title):  # a digit followed by 'g' and no letter: the gram unit (plain loop, linear)
            c = title[i]
            if c in "gG" and i and title[i - 1].isdigit() and not title[i + 1:i + 2].isalpha():
                out.append(unit)
            else:
                out.append(c)
            i += 1
        title = "".join(out)
    title = {"upper": title.upper(), "lower": title.lower(), "title": title.title()}.get(case, title)
    return decor.format(title) if decor else title


def scale_records(seeds: list[dict], n_records: int, seed: int, markets: int = 5
                  ) -> tuple[dict[str, list[list[str]]], dict[tuple[str, str], int], list[list[str]]]:
    """About n_records vendor records over several markets, built from the real vendors: each identity
    takes a real vendor's listings and a name made of real handle words, and writes its titles with habits of
    its own (case, units, decoration: identities sharing a real vendor's listings differ); a third of them
    sell on two or three markets, one after the other, under the same handle or a rename, mostly with the
    same key (in varying presentations), sometimes re-keyed; 70% show a key, 40% a contact handle. Each record
    lists up to LISTINGS_PER_RECORD of its identity's listings. Returns vendor rows per market, the truth
    ((market, handle) -> identity number) and listing rows (market, vendor, title, category, price, date)."""
    rng = random.Random(seed)
    pool = word_pool([s["handle"] for s in seeds])
    names = [f"m{i + 1}" for i in range(markets)]
    out: dict[str, list[list[str]]] = {m: [] for m in names}
    truth: dict[tuple[str, str], int] = {}
    listings: list[list[str]] = []
    taken: dict[str, set[str]] = {m: set() for m in names}
    start = date(2014, 1, 1)
    ident = 0
    n = 0
    while n < n_records:
        base = seeds[ident % len(seeds)]
        handle = base["handle"] if ident < len(seeds) else new_name(rng, pool)
        keyed = rng.random() < 0.7
        contact = (f"wickr: {handle.lower()}{rng.randint(1, 99)}" if rng.random() < 0.5
                   else f"telegram @{handle.lower()}_{rng.randint(10, 99)}") if rng.random() < 0.4 else ""
        k = 1 if rng.random() < 0.67 else rng.choice((2, 2, 3))
        how = habit(rng)
        # listings of this vendor's base and of two others: identities sharing a base stay distinct
        own = base["listings"] + [x for o in rng.sample(seeds, 2) for x in o["listings"][:4]]
        titles = [written(x["title"], how) for x in own]
        day = start + timedelta(days=rng.randint(0, 400))
        for j, market in enumerate(rng.sample(names, k)):
            h = handle if j == 0 or rng.random() < 0.6 else renamed(rng, handle, pool)
            if h.lower() in taken[market]:
                continue
            taken[market].add(h.lower())
            key_seed = f"{seed}:{ident}" if not (j and rng.random() < 0.1) else f"{seed}:{ident}:rekey{j}"
            block = pgpkeys.armored_key(key_seed, h, rng.choice(pgpkeys.STYLES)) if keyed else ""
            text = profile(rng, h, titles, base["ships"])
            out[market].append([market, h, block, contact if rng.random() < 0.8 else "", text])
            truth[(market, h.lower())] = ident
            seen = (day + timedelta(days=90 * j + rng.randint(0, 20))).isoformat()
            for i in rng.sample(range(len(own)), min(len(own), LISTINGS_PER_RECORD)):
                price = own[i]["price"]
                listings.append([market, h, titles[i], own[i]["category"] or "", "" if price is None else str(price),
                                 seen])
            n += 1
        ident += 1
    return out, truth, listings


LISTINGS_PER_RECORD = 5
LISTING_HEADER = ["market", "vendor", "title", "category", "price", "date"]
LISTING_MAPPING = """title = "title"
vendor = "vendor"
market = "market"
category = "category"
price = "price"
date = "date"
[fixed]
currency = "BTC"
"""


def write_listings_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(LISTING_HEADER)
        w.writerows(rows)

"""Build messenger exports of drug-channel menus from real listing titles, with the truth of every item.

No public export of a drug channel exists to test on, so this lays out real listing titles and
prices (Dream 2017 cocaine listings, Matanga 2020 labelled sales, AlphaBay 2017 scrapes, Agora 2014
snapshots, read from ../shared at run time and never written anywhere else) as channel posts in the
styles vendors use: one product per line with bullets and emoji, several quantities on one line,
a heading over nameless ``1g - 80€`` lines, prices first or last, in EUR, USD, GBP or BTC. Beside the
menus come posts that must give no offer: chatter, announcements (some with a price in them, such as a
minimum order), and service messages. Channels are written as Telegram Desktop JSON, Telegram HTML
and WhatsApp chats, so every reader is on the path.

Truth per item: the price and currency as rendered (the amount is the listing's real price, converted
and rounded the way menus show it) and, where the data says it, the grams: Dream's ``grams`` label
(its decimal-comma misreading undone) and Matanga's ``quantity`` for goods sold by weight, each kept
only when the title itself states that weight (labels are not perfect; an item whose title does not
state its weight has no grams truth and is left out of the grams score, not counted wrong).

Everything follows from the seed; the same code builds the held-back export from another data folder.
"""

from __future__ import annotations

import calendar
import csv
import gzip
import html
import io
import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import orjson

# Rates for rendering USD prices in other currencies, by period (menus show round numbers anyway).
_FX = {2014: {"EUR": 0.75, "GBP": 0.60}, 2017: {"EUR": 0.87, "GBP": 0.77}, 2020: {"EUR": 0.91, "GBP": 0.79}}
# market-only listing kinds (a custom order reserved for one buyer) have no place in a channel menu
_MARKET_ONLY = re.compile(r"(?i)\b(?:custom|listing for|reserved for|private listing)\b")
# a price already inside a title (vendors write 'EUR165' in titles): such titles would carry two prices
_PRICE_IN_TITLE = re.compile(r"(?i)(?:[€$£]\s?\d|\d\s?(?:[€$£]|eur\b|usd\b|euro|btc\b)|\b(?:eur|usd|btc)\s?\d)")
_MASS = re.compile(r"(?i)(\d+(?:[.,]\d+)?)\s?(kg|kilo|g|gr|grs|gram|grams|gramm)(?![a-z])")
_WEIGHT_TYPES = {"Cannabis", "Cocaine", "Powder", "Resin", "Amphetamine", "Methamphetamine", "Ketamine",
                 "A-PVP", "Mephedrone", "Heroin"}


@dataclass
class Source:
    title: str
    usd: float
    year: int
    vendor: str
    grams: float | None  # truth, when the title states the labelled weight
    origin: str


@dataclass
class Truth:
    amount: float
    currency: str
    grams: float | None
    style: str
    text: str
    price_text: str = ""

    @property
    def price_form(self) -> str:
        """How the price is written: 'dash' (75,- €), 'grouped' (1.200 € / $2 125 / 1,200$), 'plain'."""
        if ",-" in self.price_text:
            return "dash"
        seps = " .,\u00a0\u202f"
        digits = "".join(ch for ch in self.price_text if ch.isdigit() or ch in seps)
        return "grouped" if self.amount >= 1000 and any(sep in digits.strip() for sep in seps) else "plain"


@dataclass
class Post:
    date: datetime
    text: str
    truths: list[Truth] = field(default_factory=list)
    kind: str = "menu"  # 'menu', 'chatter', 'announcement', 'service'


@dataclass
class Channel:
    name: str
    platform_format: str  # 'telegram-json', 'telegram-html', 'whatsapp-txt'
    posts: list[Post]


# --- reading the real data -------------------------------------------------------------------------


def _num(s: str) -> float:
    return float(s.replace(",", "."))


def stated_weights(title: str) -> list[float]:
    out = []
    for m in _MASS.finditer(title):
        v = _num(m.group(1))
        out.append(v * 1000 if m.group(2).lower().startswith("k") else v)
    return out


def _fix_comma_label(title: str, label: float) -> float:
    """Dream's labels read '0,5 g' as 5: undo that where the title shows it."""
    for m in re.finditer(r"(\d+),(\d+)", title):
        if float(m.group(1) + m.group(2)) == label:
            return _num(m.group(0))
    return label


def _weight_truth(title: str, label: float | None) -> float | None:
    if label is None or label <= 0:
        return None
    return label if any(abs(w - label) < 1e-6 for w in stated_weights(title)) else None


def _btc_usd(data: Path) -> dict[str, float]:
    rates = {}
    with open(data / "rates" / "coinmaster_btc_daily_prices.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["close_usd"]:
                rates[row["date"]] = float(row["close_usd"])
    return rates


def read_sources(data: Path, rng: random.Random, per_source: int = 600) -> list[Source]:
    """A seeded sample of priced listing titles from each dataset present under ``data``."""
    rates = _btc_usd(data)
    out: list[Source] = []
    dream = data / "dream-2017-cocaine" / "listings-dev.csv"
    if not dream.exists():
        dream = next(iter(data.glob("dream-2017-cocaine/*.csv")), dream)
    if dream.exists():
        rows = []
        with open(dream, newline="", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                try:
                    usd = float(r["btc_price"]) * rates["2017-07-15"]
                    label = _fix_comma_label(r["product_title"], float(r["grams"]))
                except (ValueError, KeyError):
                    continue
                rows.append(Source(r["product_title"], usd, 2017, r["vendor_name"],
                                   _weight_truth(r["product_title"], label), "dream"))
        out += rng.sample(rows, min(per_source, len(rows)))
    for matanga in sorted(data.glob("matanga-2020/sales-labelled*.csv")):
        rows = []
        with open(matanga, newline="", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                try:
                    usd, qty = float(r["usd"]), float(r["quantity"])
                except (ValueError, KeyError):
                    continue
                if usd <= 0:
                    continue
                label = qty if r["type"] in _WEIGHT_TYPES else None
                rows.append(Source(r["desc_en"], usd, 2020, r["uid"][-6:], _weight_truth(r["desc_en"], label),
                                   "matanga"))
        uniq = list({(s.title, round(s.usd)): s for s in rows}.values())
        out += rng.sample(uniq, min(per_source, len(uniq)))
    alpha = sorted(data.glob("alphabay-2017/*/D&C_*.csv"))  # drugs and chemicals only
    if alpha:
        rows = []
        for f in rng.sample(alpha, min(12, len(alpha))):
            with open(f, newline="", encoding="mac_roman") as fh:
                for r in csv.DictReader(fh):
                    m = re.search(r"USD\s*([\d,]+\.\d\d)", r.get("listing_price") or "")
                    if m and r.get("listing_title"):
                        rows.append(Source(r["listing_title"], float(m.group(1).replace(",", "")), 2017,
                                           r.get("listing_vendor") or "", None, "alphabay"))
        out += rng.sample(rows, min(per_source, len(rows)))
    agora = sorted(data.glob("agora-2014/panel-ada/*.csv.gz"))
    if agora:
        rows = []
        for f in rng.sample(agora, min(4, len(agora))):
            with gzip.open(f, "rt", encoding="utf-8", newline="") as fh:
                for r in csv.DictReader(fh):
                    try:
                        usd = float(r["price"]) * rates[r["date"]]
                    except (ValueError, KeyError):
                        continue
                    if r["cat"].startswith("Drugs"):
                        rows.append(Source(r["name"], usd, 2014, r["vendor"], None, "agora"))
        out += rng.sample(rows, min(per_source, len(rows)))
    # titles that already carry a price, or are too short to name anything, make no menu line
    return [s for s in out if 0.5 <= s.usd <= 50_000 and not _PRICE_IN_TITLE.search(s.title)
            and not _MARKET_ONLY.search(s.title)
            and len(s.title.split()) >= 2 and "\n" not in s.title and "\r" not in s.title]


# --- rendering menus -------------------------------------------------------------------------------

_BULLETS = ["🔥 ", "❄️ ", "💎 ", "▪️", "• ", "- ", "✅ ", "⭐ ", "🍁 ", "💊 ", "", "", "➡️ "]
_SEPS = [" — ", " - ", ": ", " = ", " ➖ ", " | ", " … ", "  ", " >> "]


def render_price(usd: float, currency: str, year: int, rng: random.Random) -> tuple[str, float]:
    """(text, amount) of a price as a menu shows it."""
    if currency == "BTC":
        rate = {2014: 500.0, 2017: 2300.0, 2020: 9000.0}[year]
        amount = round(usd / rate, 4) or 0.0001
        text = rng.choice([f"{amount:g} BTC", f"{amount:g}btc", f"BTC {amount:g}", f"₿{amount:g}"])
        return text, amount
    value = usd * _FX[year].get(currency, 1.0)
    amount = float(round(value)) if value >= 10 else round(value * 2) / 2
    amount = max(amount, 1.0)
    a = f"{amount:g}"
    if amount >= 1000 and rng.random() < 0.3:
        # thousands as menus group them; a no-break or thin space where the post was typed in a word processor
        a = f"{int(amount):,}".replace(",", rng.choice([",", ".", " ", "\u00a0", "\u202f"]))
    sym = {"EUR": "€", "USD": "$", "GBP": "£"}[currency]
    forms = [f"{a}{sym}", f"{sym}{a}", f"{a} {sym}", f"{a} {currency}", f"{currency} {a}", f"{a}{currency.lower()}"]
    if currency == "EUR":
        # '75,- €', '1.250,- €', '€ 75,-': a dash for the cents (Dutch, German menus); '75\u00a0€'
        whole = amount == int(amount) and "," not in a
        forms += [f"{a} euro", f"{a},- €" if whole else f"{a} €", f"€ {a},-" if whole else f"€{a}", f"{a}\u00a0€"]
    if currency == "USD":
        forms += [f"{a}$", f"${a}"]
    return rng.choice(forms), amount


def _currency(year: int, rng: random.Random) -> str:
    return rng.choices(["EUR", "USD", "GBP", "BTC"], [0.45, 0.35, 0.1, 0.1])[0]


def _stem(title: str) -> str | None:
    """The title without its weight, for lines that list several weights of one product."""
    m = _MASS.search(title)
    if not m or len(_MASS.findall(title)) != 1:
        return None
    stem = (title[:m.start()] + " " + title[m.end():]).strip(" -–—:|/*+()[]★✯♥.,")
    stem = " ".join(stem.split())
    return stem if sum(ch.isalpha() for ch in stem) >= 4 else None


def _menu_lines(items: list[Source], currency: str, rng: random.Random) -> tuple[list[str], list[Truth]]:
    style = rng.choice(["line", "line", "price_first", "multi", "sections"])
    lines: list[str] = []
    truths: list[Truth] = []
    bullet = rng.choice(_BULLETS)
    sep = rng.choice(_SEPS)
    stems: dict[str, list[Source]] = {}
    if style in ("multi", "sections"):
        for s in items:
            st = _stem(s.title)
            if st and s.grams:
                stems.setdefault(st, []).append(s)
        groups = [(st, sorted({s.grams: s for s in g}.values(), key=lambda s: s.grams)) for st, g in stems.items()]
        groups = [g for g in groups if len(g[1]) >= 1]
        if not groups:
            style = "line"
    if style == "multi":
        jsep = rng.choice([" | ", " / ", ", ", "  ", " • "])
        for stem, group in groups:
            parts = []
            for s in group[:4]:
                ptxt, amount = render_price(s.usd, currency, s.year, rng)
                q = f"{s.grams:g}{rng.choice(['g', 'g', 'gr', 'G', ' g'])}"
                parts.append(f"{q} {ptxt}" if rng.random() < 0.8 else f"{q}={ptxt}")
                truths.append(Truth(amount, currency, s.grams, "multi", "", ptxt))
            line = f"{bullet}{stem}{sep}{jsep.join(parts)}"
            for t in truths[-len(parts):]:
                t.text = line
            lines.append(line)
        return lines, truths
    if style == "sections":
        for stem, group in groups:
            lines.append(rng.choice([f"{bullet}{stem.upper()}", f"*** {stem} ***", f"{stem}:", f"〰️ {stem} 〰️"]))
            for s in group[:5]:
                ptxt, amount = render_price(s.usd, currency, s.year, rng)
                q = f"{s.grams:g}{rng.choice(['g', 'gr', 'G'])}"
                line = rng.choice([f"{q} - {ptxt}", f"▫️{q} ➖ {ptxt}", f"{q}: {ptxt}", f"{q} = {ptxt}"])
                lines.append(line)
                truths.append(Truth(amount, currency, s.grams, "sections", line, ptxt))
            if rng.random() < 0.5:
                lines.append("")
        return lines, truths
    for s in items:
        ptxt, amount = render_price(s.usd, currency, s.year, rng)
        title = " ".join(s.title.split())
        line = f"{bullet}{ptxt}{sep}{title}" if style == "price_first" else f"{bullet}{title}{sep}{ptxt}"
        lines.append(line)
        truths.append(Truth(amount, currency, s.grams, style, line, ptxt))
    return lines, truths


_HEADERS = ["📋 MENU", "🔥🔥 PRICE LIST 🔥🔥", "NEW STOCK IN", "Today's menu:", "❄️❄️❄️ FRESH DROP ❄️❄️❄️",
            "Prices updated ⬇️", "MENU {day}", "🚚 Delivery + post, see list", ""]
_FOOTERS = ["Order via @{bot}", "Contact: @{handle}", "DM to order 📩", "Wickr: {handle}", "Pay BTC/XMR only",
            "Discreet packaging, tracked shipping", "Delivery 1-2 days", "Min order {n}€", "Free delivery over {n}€",
            "Shipping {s}€ flat", "", ""]
_CHATTER = [
    "Good morning everyone ☀️", "Shop closed today, back tomorrow 🙏", "Thanks for all the positive feedback!",
    "Restock coming this weekend, stay tuned", "Orders from yesterday all shipped ✅", "Be careful with fake "
    "channels using our name, only trust @{handle}", "Happy new year to all customers 🎉", "Who wants a new batch "
    "of the white stuff? Reply with 👍", "Holiday break until {day}, no shipping", "Reviews are welcome in the "
    "group", "Server maintenance tonight, bot offline for 2 hours", "We moved! New channel link in bio",
    "Packages to the north may take 2-3 days extra this week", "🚨 Police checks reported near the station, stay safe",
    "Tracking numbers sent to everyone who ordered before 18:00"]
_ANNOUNCE = [
    "Free shipping on all orders over {n}€ this week!", "Minimum order is {n} EUR from now on",
    "Use code FROST{k} for {m}€ off your next order", "Delivery to the city centre costs {s} EUR",
    "Loyalty: every 10th order gets {m}$ discount", "Courier fee {s}£ outside the ring road",
    "Bulk buyers: prices from {n}€ on request, DM us", "Referral bonus {m} USD for every new customer"]


def build(sources: list[Source], rng: random.Random, n_channels: int = 24, posts_per_channel: int = 16
          ) -> list[Channel]:
    by_vendor: dict[str, list[Source]] = {}
    for s in sources:
        by_vendor.setdefault(s.vendor or s.origin, []).append(s)
    vendor_pools = [v for v in by_vendor.values() if len(v) >= 3]
    pool_all = list(sources)
    channels = []
    start = datetime(2023, 1, 2, 8, 0)
    for c in range(n_channels):
        fmt = rng.choices(["telegram-json", "telegram-html", "whatsapp-txt"], [0.6, 0.2, 0.2])[0]
        name = f"{rng.choice(['Snow', 'Frost', 'Green', 'Polar', 'Royal', 'Nordic', 'Harbour', 'Velvet'])} " \
               f"{rng.choice(['Express', 'Shop', 'Direct', 'Supply', 'Line', 'Corner', 'Club'])} {c + 1}"
        pool = rng.choice(vendor_pools) if vendor_pools and rng.random() < 0.7 else rng.sample(pool_all, 40)
        handle = name.lower().replace(" ", "_")
        when = start + timedelta(days=c, minutes=rng.randrange(600))
        posts: list[Post] = []
        for _ in range(posts_per_channel):
            # whole minutes: Android WhatsApp exports show no seconds, and posts are matched by time
            when += timedelta(hours=rng.randint(3, 40), minutes=rng.randrange(60))
            kind = rng.choices(["menu", "chatter", "announcement", "service"], [0.5, 0.25, 0.15, 0.1])[0]
            if fmt == "telegram-html" and kind == "service":
                kind = "chatter"
            fill = {"bot": f"{handle}_bot", "handle": handle, "n": rng.choice([50, 100, 150, 200]),
                    "s": rng.choice([5, 10, 15]), "m": rng.choice([5, 10, 20]), "k": rng.randint(1, 99),
                    "day": (when + timedelta(days=3)).strftime("%d.%m")}
            if kind == "menu":
                currency = _currency(2020, rng)
                items = rng.sample(pool, min(len(pool), rng.randint(2, 9)))
                lines, truths = _menu_lines(items, currency, rng)
                head = rng.choice(_HEADERS).format(**fill)
                foot = [rng.choice(_FOOTERS).format(**fill) for _ in range(rng.randint(0, 2))]
                text = "\n".join([h for h in [head] if h] + lines + [f for f in foot if f])
                posts.append(Post(when, text, truths, "menu"))
            elif kind == "chatter":
                posts.append(Post(when, rng.choice(_CHATTER).format(**fill), [], "chatter"))
            elif kind == "announcement":
                posts.append(Post(when, rng.choice(_ANNOUNCE).format(**fill), [], "announcement"))
            else:
                posts.append(Post(when, "", [], "service"))
        channels.append(Channel(name, fmt, posts))
    return channels


# --- writing exports -----------------------------------------------------------------------------------


def _telegram_text(text: str, rng: random.Random):
    """The text as Telegram writes it: a string, or a list with the first line as a bold entity."""
    if "\n" in text and rng.random() < 0.5:
        first, rest = text.split("\n", 1)
        if first:
            return [{"type": "bold", "text": first}, "\n" + rest]
    return text


def write_telegram_json(ch: Channel, folder: Path, rng: random.Random) -> Path:
    msgs = []
    for i, p in enumerate(ch.posts, 1):
        unix = str(calendar.timegm(p.date.timetuple()))  # the dates are UTC
        base = {"id": i, "date": p.date.isoformat(), "date_unixtime": unix}
        if p.kind == "service":
            msgs.append({**base, "type": "service", "actor": ch.name, "action": "pin_message", "message_id": 1,
                         "text": "", "text_entities": []})
            continue
        t = _telegram_text(p.text, rng)
        ents = t if isinstance(t, list) else [{"type": "plain", "text": t}]
        ents = [e if isinstance(e, dict) else {"type": "plain", "text": e} for e in ents]
        msgs.append({**base, "type": "message", "from": ch.name, "from_id": "channel42", "text": t,
                     "text_entities": ents})
    path = folder / "result.json"
    path.write_bytes(orjson.dumps({"name": ch.name, "type": "public_channel", "id": 42, "messages": msgs},
                                  option=orjson.OPT_INDENT_2))
    return path


def write_telegram_html(ch: Channel, folder: Path, rng: random.Random) -> Path:
    parts = ['<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8"/>\n<title>Exported Data</title>\n</head>\n'
             '<body>\n<div class="page_wrap">\n<div class="page_header"><div class="content">'
             f'<div class="text bold">\n{html.escape(ch.name)}\n</div></div></div>\n'
             '<div class="page_body chat_page">\n<div class="history">\n']
    for i, p in enumerate(ch.posts, 1):
        body = "<br>".join(html.escape(line) for line in p.text.split("\n"))
        title = p.date.strftime("%d.%m.%Y %H:%M:%S") + " UTC+00:00"
        parts.append(f'<div class="message default clearfix" id="message{i}">\n<div class="body">\n'
                     f'<div class="pull_right date details" title="{title}">{p.date:%H:%M}</div>\n'
                     f'<div class="from_name">\n{html.escape(ch.name)}\n</div>\n'
                     f'<div class="text">\n{body}\n</div>\n</div>\n</div>\n')
    parts.append("</div>\n</div>\n</div>\n</body>\n</html>\n")
    path = folder / "messages.html"
    path.write_text("".join(parts), encoding="utf-8")
    return path


def write_whatsapp(ch: Channel, folder: Path, rng: random.Random) -> Path:
    ios = rng.random() < 0.5
    out = io.StringIO()
    for p in ch.posts:
        stamp = f"[{p.date:%d/%m/%Y, %H:%M:%S}] " if ios else f"{p.date:%d/%m/%Y, %H:%M} - "
        if p.kind == "service":
            out.write(f"{stamp}{ch.name}: \u200eMessages and calls are end-to-end encrypted.\n" if ios
                      else f"{stamp}Messages and calls are end-to-end encrypted.\n")
            continue
        out.write(f"{stamp}{ch.name}: {p.text}\n")
    path = folder / f"WhatsApp Chat with {ch.name}.txt"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


WRITERS = {"telegram-json": write_telegram_json, "telegram-html": write_telegram_html,
           "whatsapp-txt": write_whatsapp}


def write_exports(channels: list[Channel], out: Path, rng: random.Random) -> list[Path]:
    paths = []
    for i, ch in enumerate(channels):
        folder = out / f"chat{i:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        paths.append(WRITERS[ch.platform_format](ch, folder, rng))
    return paths

"""Messenger channels of the sample: vendors who left a seized market for Telegram, and a WhatsApp group.

Each vendor the world sends to a messenger channel after the seizure gets a Telegram Desktop JSON
export of its channel: a weekly menu of its products (one per line, several sizes on one line, or a
heading over nameless sizes), the same menu reposted with small changes, chatter, an announcement with a
price that is not an offer, service messages, and its contact (the same Wickr id it showed on the
market, so the identities link). A WhatsApp group where the channel vendors cross-post their menus and
buyers chat is written as an Android "Export chat" file. The truth is the world's: products, sizes,
prices drift as on the markets.
"""

from __future__ import annotations

import calendar
import random
from datetime import datetime, timedelta
from pathlib import Path

import orjson

from dnmobs.sample import Step
from dnmobs.sample.world import CATALOGUE, SEIZURE, World

_BULLETS = ["🔥 ", "❄️ ", "💎 ", "▪️", "• ", "✅ "]
_CHATTER = ["Good morning! Orders placed before 14:00 ship today 📦", "Thanks for the reviews, much appreciated 🙏",
            "Restock coming this weekend, stay tuned", "Shop closed tomorrow, back on Monday",
            "Beware of fake channels using our name!"]


def _menu(rng: random.Random, world: World, listings, day, style: str) -> str:
    lines = [rng.choice(["📋 MENU", "🔥 PRICE LIST 🔥", f"MENU {day:%d.%m}", "Fresh stock ⬇️"])]
    by_product: dict[str, list] = {}
    for lst in listings:
        by_product.setdefault(lst.product, []).append(lst)
    bullet = rng.choice(_BULLETS)
    for key, group in by_product.items():
        _, product = CATALOGUE[key]
        name = product.names[0]
        unit = "g" if product.unit == "g" else "x"
        eur_per_usd = 1 / world.eur_usd.get(day if not hasattr(day, "date") else day.date(), 1.25)
        priced = sorted((lst.size, round(world.price_usd(lst, day, rng) * eur_per_usd)) for lst in group)
        qty = [f"{size:g}g" if unit == "g" else f"x{int(size)}" for size, _ in priced]
        if style == "multi" or len(priced) == 1:
            parts = [f"{q} {eur}€" for q, (_, eur) in zip(qty, priced, strict=True)]
            lines.append(f"{bullet}{name} — {' | '.join(parts)}")
        else:
            lines.append(f"{bullet}{name.upper()}")
            lines.extend(f"{q} - {eur}€" for q, (_, eur) in zip(qty, priced, strict=True))
    return "\n".join(lines)


def _channel_export(rng: random.Random, world: World, vendor, listings) -> dict:
    title = vendor.channel.replace("_", " ").title()
    days = [d for d in world.crawl_dates if d > SEIZURE]
    msgs: list[dict] = []

    def post(when: datetime, text: str, kind: str = "message", **extra) -> None:
        m = {"id": len(msgs) + 1, "type": kind, "date": when.isoformat(),
             "date_unixtime": str(calendar.timegm(when.timetuple()))}
        if kind == "service":
            m.update(actor=title, actor_id="channel1", text="", text_entities=[], **extra)
        else:
            m.update({"from": title, "from_id": "channel1", "text": text,
                      "text_entities": [{"type": "plain", "text": text}], **extra})
        msgs.append(m)

    start = datetime.combine(days[0], datetime.min.time()) + timedelta(hours=9)
    post(start, "", "service", action="create_channel", title=title)
    contact = vendor.contact or f"wickr: {vendor.handle.lower()}"
    post(start + timedelta(minutes=5), f"Welcome! {vendor.handle} moved here after the market went down. "
                                       f"Orders: @{vendor.channel}_bot, {contact}")
    for day in days:
        when = datetime.combine(day, datetime.min.time()) + timedelta(hours=rng.randint(10, 20))
        menu = _menu(rng, world, listings, day, rng.choice(["multi", "sections"]))
        post(when, menu + f"\nOrder via @{vendor.channel}_bot")
        if rng.random() < 0.6:  # the same ad again a day later, a little changed
            post(when + timedelta(days=1), menu.replace("📋", "📌") + f"\nOrder via @{vendor.channel}_bot ✅")
        if rng.random() < 0.5:
            post(when + timedelta(days=2, hours=1), rng.choice(_CHATTER))
        if rng.random() < 0.2:
            post(when + timedelta(days=3), f"Free delivery on orders over {rng.choice([100, 150])}€ this week!")
        if rng.random() < 0.2:
            post(when + timedelta(days=3, minutes=1), "", "service", action="pin_message", message_id=2)
    return {"name": title, "type": "public_channel", "id": 1_000_000 + rng.randrange(10**6), "messages": msgs}


def _whatsapp_group(rng: random.Random, world: World, vendors, listings_of) -> str:
    days = [d for d in world.crawl_dates if d > SEIZURE]
    out = []
    first = datetime.combine(days[0], datetime.min.time()) + timedelta(hours=8)
    out.append(f"{first:%d/%m/%Y, %H:%M} - Messages and calls are end-to-end encrypted. No one outside of this "
               "chat, not even WhatsApp, can read or listen to them.")
    out.append(f"{first:%d/%m/%Y, %H:%M} - Admin created group \"Sample City Deals\"")
    for day in days[::2]:
        for v in vendors:
            when = datetime.combine(day, datetime.min.time()) + timedelta(hours=rng.randint(9, 21))
            out.append(f"{when:%d/%m/%Y, %H:%M} - {v.handle}: {_menu(rng, world, listings_of[v.handle], day, 'multi')}")
        when = datetime.combine(day, datetime.min.time()) + timedelta(hours=22)
        out.append(f"{when:%d/%m/%Y, %H:%M} - Buyer {rng.randint(1, 9)}: "
                   + rng.choice(["anyone tried the new batch?", "delivery to the north side?", "<Media omitted>"]))
    return "\n".join(out) + "\n"


def write(world: World, out: Path) -> list[Step]:
    rng = random.Random(world.seed * 1000 + 11)
    movers = [v for v in world.vendors if v.channel]
    if not movers:
        return []
    folder = out / "messengers"
    listings_of = {}
    for v in movers:
        home = next(iter(v.markets))
        listings_of[v.handle] = [lst for lst in world.listings
                                 if lst.market == home and lst.vendor == v.handle_on(home)]
        path = folder / "telegram" / v.channel / "result.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(orjson.dumps(_channel_export(rng, world, v, listings_of[v.handle]),
                                      option=orjson.OPT_INDENT_2))
    chat = folder / "whatsapp" / "WhatsApp Chat with Sample City Deals.txt"
    chat.parent.mkdir(parents=True, exist_ok=True)
    chat.write_text(_whatsapp_group(rng, world, movers, listings_of), encoding="utf-8")
    return [Step("messenger channels (Telegram exports, a WhatsApp group)", [folder])]

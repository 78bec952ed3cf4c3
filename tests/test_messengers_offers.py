"""Offers from messenger posts, repost groups, exports; and a slice of the real-data menu evaluation."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import pytest

from dnmobs.export import export
from dnmobs.ingest import Options, ingest
from dnmobs.messengers.offers import is_offer, offers_of_text
from dnmobs.messengers.reposts import ad_counts, group_reposts, near_duplicate_clusters

FIX = Path(__file__).parent / "fixtures" / "messengers"
BENCH = Path(__file__).resolve().parents[1] / "bench"

pytest.importorskip("dnmobs.extract", reason="the extraction engine is not importable")


@pytest.fixture(autouse=True)
def phone_key(monkeypatch):
    monkeypatch.setenv("DNMOBS_PHONE_KEY", "test-key")


def rows(con, sql, *params):
    return con.execute(sql, list(params)).fetchall()


def test_menu_posts_give_one_offer_per_priced_item(con):
    ingest(con, [str(FIX / "telegram_channel" / "result.json")], Options())
    got = rows(con, "SELECT m.message_key, o.offer_index, o.text, o.substance, o.grams, o.price_amount, "
                    "o.price_currency, o.vendor, o.date, o.listing_id FROM offers o JOIN messages m USING (message_id) "
                    "ORDER BY m.message_key, o.offer_index")
    menu = [g for g in got if g[0] == "3"]
    assert [(g[3], g[4], g[5], g[6]) for g in menu] == [
        ("cocaine", 1.0, 75.0, "EUR"), ("cocaine", 0.5, 42.0, "EUR"), ("cocaine", 5.0, 330.0, "EUR"),
        ("cocaine", 10.0, 600.0, "EUR"), ("mdma", 1.0, 25.0, "EUR"), ("mdma", 5.0, 100.0, "EUR"),
        ("cannabis", 10.0, 95.0, "EUR")]  # the struck-out 120€ is no price
    assert {g[7] for g in got} == {"Polar Express Shop"} and all(g[9] is None for g in got)
    assert menu[0][8].isoformat() == "2023-03-02"
    # chatter, announcements and service messages give none
    assert not [g for g in got if g[0] in ("1", "2", "4", "5", "6")]
    assert rows(con, "SELECT message_key, n_items, n_offers FROM messages WHERE message_key IN ('2', '3') "
                     "ORDER BY 1") == [("2", 0, 0), ("3", 7, 7)]


def test_offers_export_has_message_offers(con, tmp_path):
    ingest(con, [str(FIX / "whatsapp")], Options())
    out = tmp_path / "offers.jsonl"
    n = export(con, "offers", out)
    recs = [json.loads(line) for line in out.read_text().splitlines()]
    assert n == len(recs) > 0
    for r in recs:
        assert r["message_id"] and r["listing_id"] is None
        assert {"market", "vendor", "date", "text", "substance", "grams", "units", "price_amount", "price_currency",
                "price_usd"} <= set(r)
    assert {r["vendor"] for r in recs} == {"Ronnie", "Owl Supply"}  # Tess and Kim only chatted
    assert {r[0] for r in rows(con, "SELECT handle FROM vendors")} == {"Ronnie", "Owl Supply"}


def test_messages_export(con, tmp_path):
    ingest(con, [str(FIX / "telegram_html")], Options())
    out = tmp_path / "m.csv"
    assert export(con, "messages", out, market="telegram:harbour_market_group") == 6
    head = out.read_text().splitlines()[0].split(",")
    assert {"market", "message_id", "date", "sender", "vendor", "kind", "text", "n_offers", "repost_group"} <= set(head)


def test_extraction_can_wait(con):
    ingest(con, [str(FIX / "whatsapp")], Options(extract=False))
    assert rows(con, "SELECT count(*) FROM offers") == [(0,)]
    assert rows(con, "SELECT count(*) FROM messages WHERE n_offers IS NULL") != [(0,)]
    ingest(con, [str(FIX / "telegram_channel" / "result.json")], Options())  # a later ingest catches up
    assert rows(con, "SELECT count(*) FROM messages WHERE n_offers IS NULL") == [(0,)]
    assert rows(con, "SELECT count(DISTINCT market) FROM offers") == [(3,)]


def test_is_offer_rules():
    assert is_offer({"price_amount": 5.0, "is_drug": True})
    assert is_offer({"price_amount": 5.0, "grams": 1.0})
    assert is_offer({"price_amount": 15.0, "category": "paraphernalia"})
    assert not is_offer({"price_amount": 10.0, "category": "service"})  # a courier fee
    assert not is_offer({"price_amount": 100.0})  # 'free delivery over 100€'
    assert not is_offer({"is_drug": True, "grams": 1.0})  # no price
    # goods the engine does not name: an offer when the item states a quantity of its own
    assert is_offer({"price_amount": 90.0, "is_drug": False}, quantity=True)
    assert not is_offer({"price_amount": 90.0, "is_drug": False})
    assert not is_offer({"price_amount": 10.0, "category": "service"}, quantity=True)


@pytest.mark.parametrize(("post", "want"), [
    # whole amounts with a dash, grouped thousands, fiat thousands with a dot
    ("❄️ Cocaine 91% 10g ➖ 610,- €\n❄️ Cocaine 91% 50g ➖ 2.480,- €", [(610.0, "EUR", 10.0), (2480.0, "EUR", 50.0)]),
    ("🔥 MDMA crystal 100g | $2 340", [(2340.0, "USD", 100.0)]),
    ("Speed paste 500g = 3.150 euro", [(3150.0, "EUR", 500.0)]),
    ("🍁 Amnesia Haze 1kg — 4 800€ / 2kg — 9 100€", [(4800.0, "EUR", 1000.0), (9100.0, "EUR", 2000.0)]),
    ("1 350usd >> 50g Ketamine needles", [(1350.0, "USD", 50.0)]),
    # a date in the name is no price; the symbol glued to the amount decides
    ("Lemon Haze harvest 3/10/2022 £1240 28g", [(1240.0, "GBP", 28.0)]),
    # a pound beside a price is the weight
    ("2 Pound Outdoor Kush | 1 950 EUR", [(1950.0, "EUR", 896.0)]),
    # an amount in a coin keeps its decimals
    ("Ketamine 10g = 1.105 BTC", [(1.105, "BTC", 10.0)]),
    # goods priced in a coin: the coin's name is the price's, not a word of the goods
    ("Glass pipe 2 pcs 0.004 BTC", [(0.004, "BTC", None)]),
])
def test_menu_amounts(post, want):
    got = [(o["price_amount"], o["price_currency"], o["grams"]) for _, o in offers_of_text(post)[1]]
    assert got == want


@pytest.mark.parametrize("post", ["Free delivery on orders over 100€!", "Minimum order is 50 EUR from now on",
                                  "Courier fee 10£ outside the ring road", "Use code FROST for 5€ off",
                                  "Good morning everyone", ""])
def test_announcements_give_no_offers(post):
    assert offers_of_text(post)[1] == []


def test_reposts_grouped_across_chats(con, tmp_path):
    menu = "🔥 MENU 🔥\n❄️ Cocaine 90% 1g 80€ | 5g 350€\n🍫 Moroccan hash 10g 60€\nOrder via @frost_bot, fast delivery"
    posts = [menu, menu.replace("80€", "75€"), menu + " ✅", "Totally different: Ketamine 1g 30€, Speed 10g 50€ "
             "and more items on request from our backup channel"]
    for chat, texts in (("A Shop", posts[:3]), ("B Group", posts[1:])):
        doc = {"name": chat, "type": "public_channel", "id": 1, "messages": [
            {"id": i + 1, "type": "message", "date_unixtime": str(1700000000 + 3600 * i + (0 if chat == "A Shop"
                                                                                             else 99999)),
             "from": chat, "text": t} for i, t in enumerate(texts)]}
        p = tmp_path / chat / "result.json"
        p.parent.mkdir()
        p.write_text(json.dumps(doc), encoding="utf-8")
    ingest(con, [str(tmp_path)], Options())
    groups = dict(rows(con, "SELECT market || ':' || message_key, repost_group FROM messages"))
    first = groups["telegram:a_shop:1"]
    assert first == rows(con, "SELECT message_id FROM messages WHERE market = 'telegram:a_shop' AND message_key = '1'"
                         )[0][0]
    assert {groups[k] for k in ("telegram:a_shop:2", "telegram:a_shop:3", "telegram:b_group:1",
                                "telegram:b_group:2")} == {first}
    assert groups["telegram:b_group:3"] != first
    overall = ad_counts(con)[-1]
    assert (overall.market, overall.posts, overall.unique_ads) == (None, 6, 2)
    per = {a.market: (a.posts, a.unique_ads) for a in ad_counts(con)[:-1]}
    assert per == {"telegram:a_shop": (3, 1), "telegram:b_group": (3, 2)}
    assert group_reposts(con) == 1  # running again changes nothing


def test_near_duplicates_and_distinct_texts():
    base = "fresh cocaine 90 1g 80 5g 350 moroccan hash 10g 60 order via frost bot fast delivery to all cities"
    roots = near_duplicate_clusters([base, base.replace("80", "75"), "completely other words about a different "
                                     "shop that sells ketamine and speed in bulk only", base + " today"])
    assert roots == [0, 0, 2, 0]


def test_general_json_reader_follows_any_key_order(con, tmp_path):
    doc = '{"messages": [{"id": 1, "type": "message", "from": "X", "text": "Speed 10g 50€"}], "type": ' \
          '"public_channel", "name": "Late Name"}'
    p = tmp_path / "result.json"
    p.write_text(doc, encoding="utf-8")
    rep = ingest(con, [str(p)], Options(extract=False))
    # the name comes after the messages: they cannot wait for it in a stream, so the chat is unnamed
    assert not rep.errors and rows(con, "SELECT market FROM messages") == [("telegram:unnamed",)]


@pytest.mark.shared
def test_menus_built_from_real_titles(shared_data, tmp_path):
    """A slice of bench/eval_messages.py: real listing titles laid out as channel menus, scored."""
    sys.path.insert(0, str(BENCH))
    try:
        from eval_messages import score
        from menu_export import build, read_sources, write_exports
    finally:
        sys.path.remove(str(BENCH))
    from dnmobs.store import connect

    rng = random.Random(3)
    channels = build(read_sources(shared_data, rng, per_source=150), rng, n_channels=8, posts_per_channel=10)
    paths = write_exports(channels, tmp_path / "exports", rng)
    con = connect(tmp_path / "s.duckdb")
    ingest(con, [str(p) for p in paths], Options())
    r = score(con, channels)
    c, plain = r["counts"], r["by_form"]["plain"]
    assert c["quiet_offers"] == 0  # chatter, announcements, service messages
    assert plain["price_ok"] >= 0.93 * plain["items"]  # prices written the common way
    assert c["grams_ok"] >= 0.95 * c["grams_items"]


def test_sample_channels_of_vendors_who_moved(con, tmp_path):
    from dnmobs.sample import messengers as sample_messengers
    from dnmobs.sample.world import build

    world = build(7)
    steps = sample_messengers.write(world, tmp_path)
    rep = ingest(con, [str(p) for s in steps for p in s.paths], Options())
    assert not rep.errors
    movers = {v.channel for v in world.vendors if v.channel}
    markets = {m for (m,) in rows(con, "SELECT DISTINCT market FROM offers")}
    assert {f"telegram:{c}" for c in movers} | {"whatsapp:sample_city_deals"} == markets
    overall = ad_counts(con)[-1]
    assert overall.unique_ads < overall.posts  # the channels repost their menus
    wickr = {v.contact.split(": ")[1] for v in world.vendors if v.channel and v.contact}
    assert wickr <= {v for (v,) in rows(con, "SELECT value FROM contacts WHERE kind = 'wickr'")}

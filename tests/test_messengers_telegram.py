"""Telegram Desktop exports (JSON, streamed; HTML) into the store."""

from __future__ import annotations

import io
import json
import tracemalloc
from pathlib import Path

import orjson
import pytest

from dnmobs.ingest import Options, ingest
from dnmobs.messengers.telegram_html import parse_date, parse_page
from dnmobs.messengers.telegram_json import BadRecord, Cut, iter_export

FIX = Path(__file__).parent / "fixtures" / "messengers"
CHANNEL = FIX / "telegram_channel" / "result.json"
HTML = FIX / "telegram_html"


@pytest.fixture(autouse=True)
def phone_key(monkeypatch):
    monkeypatch.setenv("DNMOBS_PHONE_KEY", "test-key")


def rows(con, sql, *params):
    return con.execute(sql, list(params)).fetchall()


def test_channel_export_messages_and_market(con):
    rep = ingest(con, [str(CHANNEL)], Options(extract=False))
    assert not rep.errors
    assert rows(con, "SELECT market, kind, display_name FROM markets") == [
        ("telegram:polar_express_shop", "messenger", "Polar Express Shop")]
    got = {r[0]: r[1:] for r in rows(con, "SELECT message_key, kind, action, vendor, media, reply_to, forwarded_from "
                                          "FROM messages")}
    assert set(got) == {"1", "2", "3", "4", "5", "6", "7"}
    assert got["1"] == ("service", "create_channel", None, None, None, None)
    assert got["6"][:2] == ("service", "pin_message")
    # a channel speaks for itself: the channel is the vendor of its posts
    assert got["3"][2:4] == ("Polar Express Shop", "photo")
    assert got["4"][4] == "3"
    assert got["5"][5] == "Northern Lights Supply"
    assert got["7"][3] == "document"
    assert rows(con, "SELECT handle FROM vendors") == [("Polar Express Shop",)]


def test_dates_are_utc_from_unixtime_and_edits_kept(con):
    ingest(con, [str(CHANNEL)], Options(extract=False))
    date, edited = rows(con, "SELECT date, edited FROM messages WHERE message_key = '3'")[0]
    # the export's local time was 18:30 (UTC+1); date_unixtime says 17:30 UTC
    assert (date.hour, date.minute, edited.hour) == (17, 30, 18)


def test_text_flattened_from_entities_and_struck_prices_left_out_of_offer_text(con):
    ingest(con, [str(CHANNEL)], Options(extract=False))
    text, offer_text = rows(con, "SELECT text, offer_text FROM messages WHERE message_key = '3'")[0]
    assert text.startswith("❄️ MENU ❄️\n🔥 1G COCAINE 90% — 75 EUR\n")
    assert "10g — 120€ 95€" in text
    assert "120€" not in offer_text and "10g —  95€" in offer_text
    assert rows(con, "SELECT offer_text FROM messages WHERE message_key = '2'") == [(None,)]


def test_unknown_entity_types_keep_their_text_and_are_named_in_raw(con):
    ingest(con, [str(CHANNEL)], Options(extract=False))
    text, raw = rows(con, "SELECT text, raw FROM messages WHERE message_key = '4'")[0]
    assert text.endswith("Pay in BTC only. ✨")
    assert json.loads(raw)["_unknown_entity_types"] == ["sparkle_text"]


def test_phone_numbers_never_stored(con):
    ingest(con, [str(CHANNEL)], Options(extract=False))
    dump = json.dumps([rows(con, f"SELECT * FROM {t}") for t in ("messages", "contacts", "quarantine")],
                      default=str)
    for form in ("1234 5678", "12345678", "+31 6"):
        assert form not in dump
    phone = rows(con, "SELECT value FROM contacts WHERE kind = 'phone'")
    assert len(phone) == 1 and phone[0][0].startswith("hmac:")
    assert f"[phone {phone[0][0]}]" in rows(con, "SELECT text FROM messages WHERE message_key = '4'")[0][0]


def test_contacts_linked_to_message_and_channel(con):
    ingest(con, [str(CHANNEL)], Options(extract=False))
    got = set(rows(con, "SELECT m.message_key, c.kind, c.value, c.vendor_id = v.vendor_id FROM contacts c "
                        "JOIN messages m USING (message_id) JOIN vendors v ON v.handle = 'Polar Express Shop'"))
    assert ("3", "telegram_bot", "@polarorderbot", True) in got
    assert ("3", "wickr", "polar_express77", True) in got
    assert ("4", "telegram", "@polar_backup", True) in got  # from a text_link's href


def _account_export() -> dict:
    chat = json.loads(CHANNEL.read_text(encoding="utf-8"))
    group = {"name": "Side Street Chat", "type": "private_supergroup", "id": 99, "messages": [
        {"id": 10, "type": "message", "date": "2023-05-01T10:00:00", "date_unixtime": "1682935200",
         "from": "Vera", "from_id": "user5", "text": "Pollen hash 10g 70€, 25g 160€"},
        {"id": 11, "type": "message", "date": "2023-05-01T10:01:00", "date_unixtime": "1682935260",
         "from": "Ike", "from_id": "user6", "text": "thanks"}]}
    return {"about": "Here is the data you requested.", "personal_information": {"user_id": 1, "first_name": "R"},
            "contacts": {"about": "", "list": [{"first_name": "A", "phone_number": "+44 7700 900123"}]},
            "chats": {"about": "", "list": [chat, group]},
            "left_chats": {"about": "", "list": [{"name": "Gone Channel", "type": "public_channel", "id": 5,
                                                   "messages": [{"id": 1, "type": "message", "date": "2022-01-01T00:00:00",
                                                                 "from": "Gone Channel", "text": "bye"}]}]}}


def test_full_account_export_gives_one_market_per_chat(con, tmp_path):
    p = tmp_path / "result.json"
    p.write_bytes(orjson.dumps(_account_export(), option=orjson.OPT_INDENT_2))
    rep = ingest(con, [str(p)], Options(extract=False))
    assert not rep.errors
    got = dict(rows(con, "SELECT market, count(*) FROM messages GROUP BY market"))
    assert got == {"telegram:polar_express_shop": 7, "telegram:side_street_chat": 2, "telegram:gone_channel": 1}
    # in a group the poster is the vendor; the account's own contact list is not read
    assert rows(con, "SELECT vendor FROM messages WHERE market = 'telegram:side_street_chat' ORDER BY message_key") \
        == [("Vera",), ("Ike",)]
    assert rows(con, "SELECT chat_type, chat_id FROM messages WHERE market = 'telegram:side_street_chat' LIMIT 1") \
        == [("private_supergroup", "99")]


def test_truncated_export_keeps_messages_before_the_cut(con, tmp_path):
    data = CHANNEL.read_bytes()
    cut = data.index(b'"Shop closed this weekend')  # inside message 5
    p = tmp_path / "result.json"
    p.write_bytes(data[:cut])
    rep = ingest(con, [str(p)], Options(extract=False))
    keys = {r[0] for r in rows(con, "SELECT message_key FROM messages")}
    assert keys == {"1", "2", "3", "4"}
    (reason, raw), = rows(con, "SELECT reason, raw FROM quarantine")
    assert "truncated export" in reason and "up to id 4" in reason
    assert raw.endswith('"forwarded_from": "Northern Lights Supply",\n   "text": ') and "\ufffd" not in raw
    assert rep.sources[0].quarantined == 1 and rep.sources[0].stored > 4


def test_invalid_json_in_the_middle_keeps_what_came_before(con, tmp_path):
    data = CHANNEL.read_bytes().replace(b'"id": 5,', b'"id": 5,,', 1)
    p = tmp_path / "result.json"
    p.write_bytes(data)
    ingest(con, [str(p)], Options(extract=False))
    assert {r[0] for r in rows(con, "SELECT message_key FROM messages")} == {"1", "2", "3", "4"}
    assert "invalid JSON" in rows(con, "SELECT reason FROM quarantine")[0][0]


@pytest.mark.parametrize("content", [b'[{"id": 1}]', b'{"name": "x", "type": "public_channel", "id": 3}', b'"text"'])
def test_wrong_shape_is_one_clear_error(con, tmp_path, content):
    p = tmp_path / "result.json"
    p.write_bytes(content)
    rep = ingest(con, [str(p)], Options(extract=False))
    assert len(rep.errors) == 1 and "not a Telegram export" in rep.errors[0]
    assert "\n" not in rep.errors[0]
    assert rows(con, "SELECT count(*) FROM messages") == [(0,)]


def test_bad_message_elements_are_quarantined_the_rest_kept(con, tmp_path):
    doc = {"name": "Odd Chat", "type": "private_group", "id": 7, "messages": [
        {"id": 1, "type": "message", "date": "2023-01-01T00:00:00", "from": "A", "text": "one"},
        "not a message",
        {"type": "message", "date": "2023-01-01T00:00:01", "from": "A", "text": "no id"},
        [1, 2],
        {"id": 2, "type": "message", "date": "2023-01-01T00:00:02", "from": "A",
         "text": ["two ", {"type": "bold"}, {"type": "bold", "text": "bold"}]}]}
    p = tmp_path / "result.json"
    p.write_text(json.dumps(doc), encoding="utf-8")
    rep = ingest(con, [str(p)], Options(extract=False))
    assert rows(con, "SELECT message_key, text FROM messages ORDER BY message_key") == [("1", "one"), ("2", "two bold")]
    reasons = sorted(r[0] for r in rows(con, "SELECT reason FROM quarantine"))
    assert reasons == ["a message must be an object, not a list", "a message must be an object, not a str",
                       "message without an id"]
    assert json.loads(rows(con, "SELECT raw FROM messages WHERE message_key = '2'")[0][0])["_entities_without_text"] == 1
    assert rep.sources[0].read == rep.sources[0].stored + rep.sources[0].quarantined + rep.sources[0].skipped


def test_same_chat_exported_twice_is_stored_once(con, tmp_path):
    ingest(con, [str(CHANNEL)], Options(extract=False))
    doc = json.loads(CHANNEL.read_text(encoding="utf-8"))
    doc["messages"].append({"id": 8, "type": "message", "date": "2023-03-06T10:00:00", "from": "Polar Express Shop",
                            "text": "new post"})
    p = tmp_path / "later" / "result.json"
    p.parent.mkdir()
    p.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    rep = ingest(con, [str(p)], Options(extract=False))
    s = rep.sources[0]
    assert s.skipped >= 7 and rows(con, "SELECT count(*) FROM messages") == [(8,)]


def test_streaming_parser_memory_does_not_grow_with_the_file():
    """Python-side peak memory while reading 40,000 messages stays near one message's worth."""
    def export(n: int) -> bytes:
        msgs = b",\n".join(orjson.dumps({"id": i, "type": "message", "date_unixtime": str(1600000000 + i),
                                         "from": "Big", "text": ["menu ", {"type": "bold", "text": f"{i}g 10€"}]})
                           for i in range(n))
        return b'{"name": "Big", "type": "public_channel", "id": 1, "messages": [\n' + msgs + b"\n]}"

    peaks = []
    for n in (4_000, 40_000):
        data = io.BytesIO(export(n))
        tracemalloc.start()
        count = sum(1 for item in iter_export(data) if not isinstance(item, Cut))
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert count == n
    assert peaks[1] < peaks[0] * 2 + 256 * 1024, peaks


def test_iter_export_reports_cut_and_bad_records():
    data = b'{"name": "C", "type": "private_group", "messages": [{"id": 1, "text": "a"}, 5, {"id": 2, "text": "b'
    items = list(iter_export(io.BytesIO(data)))
    assert isinstance(items[1][1], BadRecord) and isinstance(items[-1], Cut)
    assert "up to id 1" in items[-1].reason


# --- HTML -----------------------------------------------------------------------------------------------


def test_html_pages(con):
    rep = ingest(con, [str(HTML)], Options(extract=False))
    assert not rep.errors and [s.format for s in rep.sources] == ["telegram-html", "telegram-html"]
    got = {r[0]: r[1:] for r in rows(con, "SELECT message_key, kind, sender, vendor, date, reply_to, forwarded_from,"
                                          " media, media_file FROM messages")}
    assert set(got) == {"101", "102", "103", "104", "201", "202"}
    assert got["101"][0] == "service" and got["101"][3].date().isoformat() == "2022-06-14"
    assert got["102"][1:3] == ("Dockside Dan", "Dockside Dan")
    assert got["102"][3].isoformat() == "2022-06-14T19:03:11"  # 21:03:11 UTC+02:00
    assert got["102"][6:] == ("photo", "photos/photo_3@14-06-2022_21-03-11.jpg")
    assert got["103"][1] == "Dockside Dan"  # a joined message has the previous sender
    assert got["104"][4] == "102"
    assert got["201"][5] == "Keel & Anchor Supplies"
    assert got["201"][3].isoformat() == "2022-07-02T09:15:00"  # no zone in the title: as written
    assert got["202"][6] == "voice_message"
    assert rows(con, "SELECT market FROM markets") == [("telegram:harbour_market_group",)]


def test_html_text_line_breaks_struck_prices_and_escapes(con):
    ingest(con, [str(HTML)], Options(extract=False))
    text, offer_text = rows(con, "SELECT text, offer_text FROM messages WHERE message_key = '102'")[0]
    assert text.split("\n")[:3] == ["🚢 FRESH DROP 🚢", "🍫 Moroccan hash 5g — 40€", "🍫 Moroccan hash 25g — 190€ 160€"]
    assert "190€" not in offer_text
    # entities in the page are text, decoded once (the HTML report escapes them again)
    assert rows(con, "SELECT text FROM messages WHERE message_key = '104'")[0][0].endswith("<script>alert(1)</script>")
    assert rows(con, "SELECT text FROM messages WHERE message_key = '201'")[0][0].startswith("Price list July:\n")
    assert ("wickr", "keelanchor") in rows(con, "SELECT kind, value FROM contacts")


def test_html_and_json_exports_of_one_chat_meet(con, tmp_path):
    page = (HTML / "messages.html").read_text(encoding="utf-8").replace("Harbour Market Group", "Polar Express Shop")
    page = page.replace('id="message102"', 'id="message2"')
    (tmp_path / "messages.html").write_text(page, encoding="utf-8")
    ingest(con, [str(CHANNEL)], Options(extract=False))
    rep = ingest(con, [str(tmp_path / "messages.html")], Options(extract=False))
    assert rep.sources[0].skipped >= 1  # message 2 was already stored from the JSON export
    assert rows(con, "SELECT count(DISTINCT market) FROM messages") == [(1,)]


def test_html_page_without_header_needs_a_market(con, tmp_path):
    page = (HTML / "messages2.html").read_text(encoding="utf-8")
    start, end = page.index('<div class="page_header">'), page.index('<div class="page_body')
    (tmp_path / "messages2.html").write_text(page[:start] + page[end:], encoding="utf-8")
    ingest(con, [str(tmp_path / "messages2.html")], Options(extract=False, format="telegram-html"))
    assert "give --market" in rows(con, "SELECT reason FROM quarantine")[0][0]
    ingest(con, [str(tmp_path / "messages2.html")], Options(extract=False, format="telegram-html", market="telegram:x"))
    assert rows(con, "SELECT DISTINCT market FROM messages") == [("telegram:x",)]


def test_parse_date_forms():
    assert parse_date("24.04.2025 13:49:04 UTC+06:00").isoformat() == "2025-04-24T07:49:04"
    assert parse_date("24.04.2025 13:49:04 UTC-03:30").isoformat() == "2025-04-24T17:19:04"
    assert parse_date("24.04.2025 13:49:04").isoformat() == "2025-04-24T13:49:04"
    assert parse_date("31.02.2025 10:00:00") is None and parse_date(None) is None and parse_date("soon") is None


def test_parse_page_deeply_nested_text_does_not_recurse():
    html = ('<html><body><div class="page_header"><div class="text bold">N</div></div><div class="history">'
            '<div class="message default" id="message1"><div class="body"><div class="from_name">A</div>'
            '<div class="text">' + "<b>" * 5000 + "deep" + "</b>" * 5000 + "</div></div></div></div></body></html>")
    chat, msgs = parse_page(html)
    assert chat.name == "N" and msgs[0].text == "deep"


def test_market_override_keeps_chats_of_one_export_apart(con, tmp_path):
    p = tmp_path / "result.json"
    p.write_bytes(orjson.dumps(_account_export()))
    ingest(con, [str(p)], Options(extract=False, market="telegram:all_of_it"))
    assert rows(con, "SELECT DISTINCT market FROM messages") == [("telegram:all_of_it",)]
    assert rows(con, "SELECT count(*) FROM messages") == [(10,)]  # 7 + 2 + 1: no id of one chat hides another's

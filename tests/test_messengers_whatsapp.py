"""WhatsApp "Export chat" text files."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from dnmobs.ingest import Options, ingest
from dnmobs.messengers.whatsapp import header, parse, survey

FIX = Path(__file__).parent / "fixtures" / "messengers" / "whatsapp"
ANDROID = FIX / "WhatsApp Chat with Canal Street Deals.txt"
IOS = FIX / "_chat.txt"


@pytest.fixture(autouse=True)
def phone_key(monkeypatch):
    monkeypatch.setenv("DNMOBS_PHONE_KEY", "test-key")


def rows(con, sql, *params):
    return con.execute(sql, list(params)).fetchall()


def messages(data: bytes):
    lay, items = parse(io.BytesIO(data), io.BytesIO(data))
    return lay, list(items)


def test_android_chat(con):
    rep = ingest(con, [str(ANDROID)], Options(extract=False))
    assert not rep.errors and rep.sources[0].format == "whatsapp-txt"
    assert rows(con, "SELECT market, display_name FROM markets") == [("whatsapp:canal_street_deals", "Canal Street Deals")]
    got = rows(con, "SELECT kind, sender, strftime(date, '%Y-%m-%d %H:%M'), text, media, location FROM messages "
                    "ORDER BY date, location")
    kinds = [g[0] for g in got]
    assert kinds.count("service") == 4 and kinds.count("deleted") == 1
    menu = next(g for g in got if g[3].startswith("📋"))
    assert menu[1:3] == ("Ronnie", "2023-04-13 19:45")
    assert menu[3].split("\n")[-1] == "Delivery in the city centre only." and menu[5] == "lines 4-8"
    assert ("message", "Ronnie", "2023-04-13 19:46", "", "omitted", "line 9") in got
    assert rows(con, "SELECT text FROM messages WHERE kind = 'service' AND text LIKE '%created group%'")


def test_android_edited_and_struck_out(con):
    ingest(con, [str(ANDROID)], Options(extract=False))
    text, offer_text, raw = rows(con, "SELECT text, offer_text, raw FROM messages WHERE text LIKE 'Speed%'")[0]
    assert text == "Speed 10g ~60€~ 50€ today only" and "60€" not in offer_text
    assert '"edited":true' in raw


def test_ios_chat_twelve_hour_clock_month_first(con):
    ingest(con, [str(IOS)], Options(extract=False))
    # '_chat.txt' names nothing: the iOS notice carries the group's name
    assert rows(con, "SELECT market FROM markets") == [("whatsapp:night_owls",)]
    got = rows(con, "SELECT strftime(date, '%Y-%m-%d %H:%M:%S'), sender, kind, media, media_file FROM messages "
                    "ORDER BY date")
    assert got[0] == ("2023-04-13 19:45:10", None, "service", None, None)
    assert ("2023-04-13 19:47:00", "Owl Supply", "message", "photo", None) in got
    assert ("2023-04-13 19:50:40", "Owl Supply", "message", "photo", "00000012-PHOTO-2023-04-13-19-50-40.jpg") in got
    menu = rows(con, "SELECT text FROM messages WHERE text LIKE '💊%'")[0][0]
    assert menu.count("\n") == 2
    assert {("threema", "ABCD2345")} <= set(rows(con, "SELECT kind, value FROM contacts"))


def test_phone_hashed_in_whatsapp(con):
    ingest(con, [str(ANDROID)], Options(extract=False))
    dump = str(rows(con, "SELECT * FROM messages")) + str(rows(con, "SELECT * FROM contacts"))
    assert "345 678" not in dump and "0612" not in dump
    assert rows(con, "SELECT count(*) FROM contacts WHERE kind = 'phone' AND value LIKE 'hmac:%'") == [(1,)]


@pytest.mark.parametrize("line, want", [
    ("31/12/2020, 23:59 - A: x", (31, 12, 2020, 23, 59, 0, None)),
    ("12/31/20, 11:59 PM - A: x", (12, 31, 2020, 11, 59, 0, "P")),
    ("12/31/20, 11:59\u202fPM - A: x", (12, 31, 2020, 11, 59, 0, "P")),
    ("31.12.20, 23:59 - A: x", (31, 12, 2020, 23, 59, 0, None)),
    ("[31/12/2020, 23:59:58] A: x", (31, 12, 2020, 23, 59, 58, None)),
    ("\u200e[1/2/21, 9:05:07 a.m.] A: x", (1, 2, 2021, 9, 5, 7, "A")),
    ("2020-12-31, 23:59 - A: x", (31, 12, 2020, 23, 59, 0, None)),
])
def test_header_forms(line, want):
    h = header(line)
    assert (h.a, h.b, h.year, h.hour, h.minute, h.second, h.ampm) == want


@pytest.mark.parametrize("line", ["hello 31/12/2020, 23:59 - A: x", "31/12/2020 - A: x", "[31/12/2020] A: x", ""])
def test_not_headers(line):
    assert header(line) is None


def test_date_order_decided_per_file():
    us = b"4/13/23, 7:45 PM - A: a\n4/14/23, 8:00 AM - A: b\n"
    eu = b"13/4/23, 19:45 - A: a\n"
    vague = b"4/5/23, 19:45 - A: a\n"
    assert (survey(io.BytesIO(us)).day_first, survey(io.BytesIO(us)).assumed) == (False, False)
    assert survey(io.BytesIO(eu)).day_first
    lay, msgs = messages(vague)
    assert lay.assumed and lay.day_first and msgs[0].date.month == 5
    assert msgs[0].raw["date_order"] == "assumed day first"
    _, msgs = messages(us)
    assert msgs[0].date.isoformat() == "2023-04-13T19:45:00" and msgs[1].date.hour == 8


def test_noon_and_midnight_on_twelve_hour_clocks():
    _, msgs = messages(b"1/13/23, 12:05 AM - A: a\n1/13/23, 12:05 PM - A: b\n")
    assert [m.date.hour for m in msgs] == [0, 12]


def test_text_before_first_header_is_quarantined_rest_kept(con, tmp_path):
    p = tmp_path / "WhatsApp Chat with X.txt"
    p.write_bytes(b"garbage line\n" + ANDROID.read_bytes())
    rep = ingest(con, [str(p)], Options(extract=False, format="whatsapp-txt"))
    assert rows(con, "SELECT location, reason FROM quarantine") == [
        ("line 1", "text before the first message header (not a WhatsApp chat line)")]
    assert rep.sources[0].stored > 10


def test_mixed_encodings_quarantine_only_the_bad_message(con, tmp_path):
    p = tmp_path / "WhatsApp Chat with Mixed.txt"
    p.write_bytes("01/02/2023, 10:00 - A: café ☕ 10€\n".encode() + b"01/02/2023, 10:01 - B: caf\xe9 cr\xe8me\n"
                  + b"01/02/2023, 10:02 - A: still here\n")
    rep = ingest(con, [str(p)], Options(extract=False))
    assert rows(con, "SELECT text FROM messages ORDER BY date") == [("café ☕ 10€",), ("still here",)]
    (loc, reason, raw), = rows(con, "SELECT location, reason, raw FROM quarantine")
    assert loc == "line 2" and "mixed encodings" in reason and "café crème" in raw
    assert rep.sources[0].quarantined == 1


def test_legacy_eight_bit_file_is_read_whole(con, tmp_path):
    p = tmp_path / "WhatsApp Chat with Old.txt"
    p.write_bytes(b"01/02/2013, 10:00 - A: caf\xe9 cr\xe8me 5\x80\n01/02/2013, 10:01 - B: ok\n")
    ingest(con, [str(p)], Options(extract=False))
    assert rows(con, "SELECT text FROM messages ORDER BY date") == [("café crème 5€",), ("ok",)]
    assert rows(con, "SELECT count(*) FROM quarantine") == [(0,)]
    assert '"encoding":"cp1252"' in rows(con, "SELECT raw FROM messages LIMIT 1")[0][0]


def test_utf16_file(con, tmp_path):
    p = tmp_path / "WhatsApp Chat with Wide.txt"
    p.write_bytes("01/02/2023, 10:00 - A: naïve 10€\n01/02/2023, 10:01 - B: ok\n".encode("utf-16"))
    rep = ingest(con, [str(p)], Options(extract=False, format="whatsapp-txt"))
    assert not rep.errors
    assert rows(con, "SELECT text FROM messages ORDER BY date") == [("naïve 10€",), ("ok",)]


def test_same_chat_exported_twice_is_stored_once(con, tmp_path):
    ingest(con, [str(ANDROID)], Options(extract=False))
    longer = tmp_path / ANDROID.name
    longer.write_bytes(ANDROID.read_bytes() + b"15/04/2023, 09:00 - Ronnie: new day\n")
    rep = ingest(con, [str(longer)], Options(extract=False))
    # 10 messages and 1 contact again, 1 new message
    assert (rep.sources[0].skipped, rep.sources[0].stored) == (11, 1)
    assert rows(con, "SELECT count(*) FROM messages") == [(11,)]


def test_repeated_identical_messages_are_kept_apart():
    _, msgs = messages(b"01/02/2023, 10:00 - A: hi\n01/02/2023, 10:00 - A: hi\n")
    assert len({m.key for m in msgs}) == 2


def test_chat_name_from_zip_archive(con, tmp_path):
    import zipfile

    z = tmp_path / "WhatsApp Chat - Harbour Lights.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("_chat.txt", "01/02/2023, 10:00 - A: hi\n01/02/2023, 10:01 - B: yo\n")
    ingest(con, [str(z)], Options(extract=False))
    assert rows(con, "SELECT market FROM markets") == [("whatsapp:harbour_lights",)]

"""Live collection with Telethon, run against recorded responses (never the network)."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path

import pytest

pytest.importorskip("telethon", reason="live collection is the optional 'telegram' extra")

from telethon.errors import FloodWaitError
from telethon.tl import types

from dnmobs import DnmobsError
from dnmobs.ingest import Options, ingest
from dnmobs.messengers import collect as col

RECORDED = json.loads((Path(__file__).parent / "fixtures" / "messengers" / "telethon" / "recorded.json")
                      .read_text(encoding="utf-8"))


def build(v):
    """A TL object from its to_dict() form ('_' names the constructor; dates are ISO text)."""
    if isinstance(v, list):
        return [build(x) for x in v]
    if isinstance(v, dict) and "_" in v:
        kwargs = {k: build(x) for k, x in v.items() if k != "_"}
        for k in ("date", "edit_date"):
            if isinstance(kwargs.get(k), str):
                kwargs[k] = datetime.fromisoformat(kwargs[k])
        if v["_"] == "MessageMediaPhoto":
            return types.MessageMediaPhoto()
        return getattr(types, v["_"])(**kwargs)
    return v


class RecordedClient:
    """Replays the recorded channel: get_entity, and iter_messages(min_id, reverse) with one FloodWait."""

    def __init__(self, messages=None):
        self.entity = build(RECORDED["entity"])
        self.messages = messages if messages is not None else [build(m) for m in RECORDED["messages"]]
        self.flood = dict(RECORDED["flood_wait_before"])
        self.calls: list[dict] = []

    async def get_entity(self, ref):
        assert ref in ("@frostline_store", "frostline_store")
        return self.entity

    def iter_messages(self, entity, min_id=0, reverse=False, limit=None):
        self.calls.append({"min_id": min_id, "reverse": reverse, "limit": limit})
        assert reverse, "collection must read oldest first so a resume point is always a complete prefix"

        async def gen():
            n = 0
            for m in self.messages:
                if m.id <= min_id or (limit is not None and n >= limit):
                    continue
                if self.flood and m.id == self.flood["id"]:
                    seconds = self.flood.pop("seconds")
                    self.flood = {}
                    raise FloodWaitError(request=None, capture=seconds)
                n += 1
                yield m
        return gen()


def run(client, out, **kw):
    slept: list[float] = []

    async def fake_sleep(s):
        slept.append(s)

    res = asyncio.run(col.collect_channel(client, "@frostline_store", out, sleep=fake_sleep, **kw))
    return res, slept


def test_collects_in_desktop_format_and_honours_flood_wait(tmp_path):
    client = RecordedClient()
    res, slept = run(client, tmp_path)
    assert slept == [7] and res.waited == 7 and res.stopped is None
    assert (res.written, res.first_id, res.last_id) == (5, 1, 6)
    # after the wait, reading resumed after the last message written, not from the start
    assert [c["min_id"] for c in client.calls] == [0, 3]
    doc = json.loads(res.files[0].read_text(encoding="utf-8"))
    assert (doc["name"], doc["type"], doc["id"]) == ("Frost Line Store", "public_channel", 1500000001)
    m = {x["id"]: x for x in doc["messages"]}
    assert m[1]["type"] == "service" and m[1]["action"] == "channel_create"
    assert m[2]["text"][0] == {"type": "bold", "text": "❄️ PRICES"}  # UTF-16 offsets: the emoji counts twice
    assert {"type": "mention", "text": "@FrostLineBot"} in m[2]["text"] and m[2]["photo"].startswith("(File")
    assert m[3]["reply_to_message_id"] == 2 and m[3]["edited_unixtime"]
    assert {"type": "strikethrough", "text": "70€"} in m[3]["text"]
    assert m[4]["forwarded_from"] == "Snow Route"
    assert m[6]["text"] == "Pure 💎 MDMA 1g 30€" and m[6]["from"] == "Frost Line Store"
    assert json.loads((tmp_path / "frostline_store" / "state.json").read_text())["last_id"] == 6


def test_resume_asks_only_for_newer_messages(tmp_path):
    client = RecordedClient()
    client.flood = {}
    run(client, tmp_path, limit=3)
    assert json.loads((tmp_path / "frostline_store" / "state.json").read_text())["last_id"] == 3
    again = RecordedClient()
    again.flood = {}
    res, _ = run(again, tmp_path)
    assert again.calls[0]["min_id"] == 3 and (res.first_id, res.last_id, res.written) == (4, 6, 2)
    nothing = RecordedClient()
    res, _ = run(nothing, tmp_path)
    assert res.written == 0 and not res.files
    assert sorted(p.name for p in (tmp_path / "frostline_store").glob("*.json")) == [
        "result-1-3.json", "result-4-6.json", "state.json"]


def test_flood_wait_beyond_the_allowance_stops_cleanly(tmp_path):
    res, slept = run(RecordedClient(), tmp_path, max_wait=5)
    assert slept == [] and "wait allowance" in res.stopped
    assert (res.written, res.last_id) == (3, 3)  # what came before the wait is kept and resumable
    assert json.loads((tmp_path / "frostline_store" / "state.json").read_text())["last_id"] == 3


def test_collected_files_ingest_as_telegram_exports(con, tmp_path, monkeypatch):
    monkeypatch.setenv("DNMOBS_PHONE_KEY", "k")
    res, _ = run(RecordedClient(), tmp_path)
    rep = ingest(con, [str(f) for f in res.files], Options(extract=False))
    assert not rep.errors and rep.sources[0].format == "telegram-json"
    got = dict(con.execute("SELECT message_key, coalesce(offer_text, text) FROM messages").fetchall())
    assert got["3"].startswith("Speed 10g  60€")
    assert con.execute("SELECT DISTINCT market, vendor FROM messages WHERE kind = 'message'").fetchall() == [
        ("telegram:frost_line_store", "Frost Line Store")]
    assert ("telegram_bot", "@frostlinebot") in con.execute("SELECT kind, value FROM contacts").fetchall()


def test_credentials_come_from_the_environment(monkeypatch):
    monkeypatch.delenv(col.API_ID_ENV, raising=False)
    monkeypatch.delenv(col.API_HASH_ENV, raising=False)
    with pytest.raises(DnmobsError, match="DNMOBS_TELEGRAM_API_ID"):
        col.credentials()
    monkeypatch.setenv(col.API_ID_ENV, "12345")
    monkeypatch.setenv(col.API_HASH_ENV, "abcdef")
    assert col.credentials() == (12345, "abcdef")
    monkeypatch.setenv(col.API_ID_ENV, "x")
    with pytest.raises(DnmobsError, match="must be a number"):
        col.credentials()


@pytest.mark.parametrize("ref, want", [("@frost", "frost"), ("https://t.me/frost_1", "frost_1"), ("../..", "channel"),
                                       ("", "channel")])
def test_folder_names_are_safe(ref, want):
    assert col.folder_name(ref) == want

"""A Telegram export of about 1 GB: is it read in constant memory, and how fast against the floor?

Generates (seeded, streamed to disk) a one-chat Telegram Desktop export (`result.json`) of about --mb MB
and one of an eighth of that, each with menus, chatter, service messages, entity lists, photos, replies
and forwards, and a whole-account export (`chats.list`, several chats) of --account-mb MB. Each is then
read in a fresh process, so peak memory (the process's maximum resident set) is its own:

  floor   ijson.items over the messages (the yajl2 C backend, one dict per message): the least any
          streaming reader of this JSON pays
  read    dnmobs.messengers.telegram_json.iter_export: each message made a Message (text and entities
          flattened, dates, media, raw record)
  ingest  (with --ingest) `dnmobs ingest` of the file into a fresh store: messages, contacts, offers of
          every menu item through the extraction engine, repost groups

Memory is flat when the peak of the big file is that of the small one; the growth is printed. The last
line is `ratio <read / floor>` at the big size. Files are written under --dir (default: a temporary
folder) and removed afterwards unless --keep.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import measure

_PRODUCTS = ["COCAINE 90%", "Cocaine Peru 87%", "MDMA crystal 84%", "Amnesia Haze", "Ketamine needles",
             "Speed paste", "Moroccan hash", "LSD 150ug blotter", "XTC Tesla 240mg", "2C-B 20mg",
             "Mephedrone 4-MMC", "Heroin #4", "Xanax 2mg", "Oxycodone 80mg", "Crystal meth"]
_BULLETS = ["🔥 ", "❄️ ", "💎 ", "▪️", "• ", "- ", "✅ ", ""]
_CHATTER = ["Good morning everyone ☀️", "Shop closed today, back tomorrow 🙏", "Orders from yesterday all shipped",
            "Restock coming this weekend, stay tuned", "Be careful with fake channels, only trust @{h}",
            "Tracking numbers sent to everyone who ordered before 18:00", "Reviews are welcome in the group"]
_ACTIONS = ["pin_message", "edit_group_title", "join_group_by_link", "invite_members"]


def _base_menu(rng: random.Random) -> list[tuple]:
    """A vendor's menu: (bullet, product, grams, price, several quantities) per line."""
    return [(rng.choice(_BULLETS), name, g, int(g * rng.uniform(20, 80)), rng.random() < 0.3)
            for name in rng.sample(_PRODUCTS, rng.randint(3, 8))
            for g in [rng.choice([1, 2, 3.5, 5, 10, 28])]]


def _menu(rng: random.Random, base: list[tuple], handle: str) -> str:
    """A post of a menu as vendors repost it: the same lines, a price or two changed, another header."""
    lines = [rng.choice(["📋 MENU", "🔥🔥 PRICE LIST 🔥🔥", "NEW STOCK IN", f"MENU {rng.randint(1, 28):02d}.0"
                                                                        f"{rng.randint(1, 9)}"])]
    cur = rng.choice(["€", "$", " EUR", "£"])
    changed = {rng.randrange(len(base)) for _ in range(rng.randint(0, 2))}
    for i, (b, name, g, p, several) in enumerate(base):
        p = int(p * rng.uniform(0.9, 1.1)) if i in changed else p
        if several:
            lines.append(f"{b}{name} — {g:g}g {p}{cur} | {g * 5:g}g {int(p * 4.2)}{cur}")
        else:
            lines.append(f"{b}{g:g}g {name} - {p}{cur}")
    lines.append(rng.choice([f"Order via @{handle}_bot", f"Wickr: {handle}", "DM to order 📩", "Pay BTC/XMR only"]))
    return "\n".join(lines)


def _message(rng: random.Random, n: int, chat: str, handle: str, t0: int, menus: list[list[tuple]]) -> dict:
    unix = t0 + n * 97
    base = {"id": n, "type": "message", "date": "2023-01-01T00:00:00", "date_unixtime": str(unix)}
    r = rng.random()
    if r < 0.08:
        return {**base, "type": "service", "actor": chat, "actor_id": "channel77", "action": rng.choice(_ACTIONS),
                "text": "", "text_entities": []}
    if r < 0.6:  # reposts dominate channels: one study counted 2.5 M ads, 55,000 of them distinct
        text = _menu(rng, menus[0] if rng.random() < 0.5 else rng.choice(menus), handle)
    else:
        text = rng.choice(_CHATTER).format(h=handle) + f" #{n}"
    m = {**base, "from": chat, "from_id": "channel77"}
    if rng.random() < 0.5 and "\n" in text:
        first, rest = text.split("\n", 1)
        m["text"] = [{"type": "bold", "text": first}, "\n" + rest]
        m["text_entities"] = [{"type": "bold", "text": first}, {"type": "plain", "text": "\n" + rest}]
    else:
        m["text"] = text
        m["text_entities"] = [{"type": "plain", "text": text}]
    if rng.random() < 0.2:
        m.update(photo=f"photos/photo_{n}@01-01-2023_00-00-00.jpg", width=1280, height=960)
    if rng.random() < 0.1:
        m["reply_to_message_id"] = max(1, n - rng.randint(1, 50))
    if rng.random() < 0.05:
        m["forwarded_from"] = "Some Other Shop"
    if rng.random() < 0.05:
        m.update(edited="2023-01-01T01:00:00", edited_unixtime=str(unix + 3600))
    return m


def _write_messages(fh, rng: random.Random, chat: str, budget: int, t0: int, indent: bytes) -> int:
    """Messages of one chat until ``budget`` bytes are written; returns how many."""
    handle = chat.lower().replace(" ", "_")
    menus = [_base_menu(rng) for _ in range(200)]  # a new menu now and then; most posts repeat one
    n = written = 0
    while written < budget:
        n += 1
        if n % 5000 == 0:
            menus[rng.randrange(len(menus))] = _base_menu(rng)
        chunk = (b",\n" if n > 1 else b"") + indent + orjson.dumps(_message(rng, n, chat, handle, t0, menus))
        fh.write(chunk)
        written += len(chunk)
    return n


def write_chat(path: Path, size: int, seed: int = 11) -> int:
    """A one-chat export of about ``size`` bytes, written as a stream; returns the message count."""
    rng = random.Random(seed)
    with open(path, "wb") as fh:
        fh.write(b'{\n "name": "Big Channel",\n "type": "public_channel",\n "id": 77,\n "messages": [\n')
        n = _write_messages(fh, rng, "Big Channel", size, 1672531200, b"  ")
        fh.write(b"\n ]\n}\n")
    return n


def write_account(path: Path, size: int, chats: int = 6, seed: int = 12) -> int:
    """A whole-account export (personal information, then chats.list) of about ``size`` bytes."""
    rng = random.Random(seed)
    n = 0
    with open(path, "wb") as fh:
        fh.write(b'{\n "about": "Here is the data you requested.",\n "personal_information": {"user_id": 1, '
                 b'"first_name": "Researcher"},\n "contacts": {"about": "", "list": []},\n "chats": {\n'
                 b'  "about": "This page lists all chats from this export.",\n  "list": [\n')
        for c in range(chats):
            name = f"Shop {c + 1}"
            head = {"name": name, "type": "public_channel", "id": 100 + c}
            fh.write((b",\n" if c else b"") + b"   " + orjson.dumps(head)[:-1] + b', "messages": [\n')
            n += _write_messages(fh, rng, name, size // chats, 1672531200 + c, b"    ")
            fh.write(b"\n   ]}")
        fh.write(b'\n  ]\n },\n "left_chats": {"about": "", "list": []}\n}\n')
    return n


def _floor(path: Path, prefix: str) -> dict:
    return measure(f"""
        import ijson
        n = 0
        with open({str(path)!r}, 'rb') as fh:
            for _ in ijson.items(fh, {prefix!r}, use_float=True):
                n += 1
        result = n
    """)


def _read(path: Path) -> dict:
    return measure(f"""
        from dnmobs.messengers.telegram_json import iter_export, Message
        n = 0
        with open({str(path)!r}, 'rb') as fh:
            for item in iter_export(fh):
                if isinstance(item, tuple) and isinstance(item[1], Message):
                    n += 1
        result = n
    """)


def _ingest(path: Path, store: Path) -> dict:
    return measure(f"""
        from dnmobs.store import connect
        from dnmobs.ingest import Options, ingest
        con = connect({str(store)!r})
        rep = ingest(con, [{str(path)!r}], Options())
        result = {{"totals": rep.totals, "errors": rep.errors[:3]}}
        con.close()
    """)


def _line(label: str, r: dict, mb: float) -> str:
    n = r["result"] if isinstance(r["result"], int) else r["result"]["totals"].get("stored", 0)
    return (f"  {label:7} {r['seconds']:8.1f} s  {n / r['seconds']:>10,.0f} msg/s  {mb / r['seconds']:6.1f} MB/s  "
            f"peak RSS {r['peak_mb']:7.0f} MB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=float, default=1024, help="size of the big one-chat export")
    ap.add_argument("--account-mb", type=float, default=256, help="size of the whole-account export (0: none)")
    ap.add_argument("--ingest", action="store_true", help="also time a full ingest (with extraction) of each")
    ap.add_argument("--dir", type=Path, default=None, help="where to write the exports (default: a temp folder)")
    ap.add_argument("--keep", action="store_true", help="keep the generated files")
    args = ap.parse_args()

    if args.dir is not None:
        args.dir.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="dnmobs-scale-", dir=args.dir))
    runs = []  # (label, path, floor prefix, messages)
    try:
        for mb in (args.mb / 8, args.mb):
            p = root / f"chat{int(mb)}" / "result.json"
            p.parent.mkdir()
            runs.append((f"one chat, {mb:.0f} MB", p, "messages.item", write_chat(p, int(mb * 2**20))))
        if args.account_mb:
            p = root / "account" / "result.json"
            p.parent.mkdir()
            runs.append((f"whole account (chats.list), {args.account_mb:.0f} MB", p, "chats.list.item.messages.item",
                         write_account(p, int(args.account_mb * 2**20))))
        results = []
        for label, path, prefix, n in runs:
            size = path.stat().st_size / 2**20
            print(f"{label}: {size:.0f} MB on disk, {n:,} messages")
            floor, ours = _floor(path, prefix), _read(path)
            assert ours["result"] == floor["result"] == n, (ours["result"], floor["result"], n)
            print(_line("floor", floor, size))
            print(_line("read", ours, size))
            ing = None
            if args.ingest:
                ing = _ingest(path, path.parent / "store.duckdb")
                if ing["result"]["errors"]:
                    print("  ingest errors:", ing["result"]["errors"])
                print(_line("ingest", ing, size) + f"  (offers {ing['result']['totals'].get('offers', 0):,})")
            results.append((size, floor, ours, ing))
            sys.stdout.flush()
        (s_small, _, r_small, i_small), (s_big, f_big, r_big, i_big) = results[0], results[1]
        print(f"peak RSS growth from {s_small:.0f} MB to {s_big:.0f} MB of export: read "
              f"{r_big['peak_mb'] - r_small['peak_mb']:+.0f} MB" +
              (f", ingest {i_big['peak_mb'] - i_small['peak_mb']:+.0f} MB" if i_big else ""))
        print(f"ratio {r_big['seconds'] / f_big['seconds']:.2f}")
    finally:
        if args.keep:
            print(f"files kept in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

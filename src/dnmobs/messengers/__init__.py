"""Messenger channels and groups: exports of Telegram and WhatsApp chats read into the store.

The model: a channel or group is a market (``markets.kind = 'messenger'``, id ``telegram:<chat>`` or
``whatsapp:<chat>``); the vendor is the channel itself for broadcast channels, else the poster.
A post that lists priced products (a menu) gives one offer per priced item; contacts found in
posts (handles, bots, Wickr, Session, phone numbers as keyed hashes, coin addresses) go to
``contacts``; reposts of the same ad are grouped so counts can be given as unique ads and as posts.

Modules: ``telegram_json`` (streaming Telegram Desktop JSON), ``telegram_html`` (its HTML export),
``whatsapp`` ("Export chat" text), ``records`` (one message as a store record), ``menus`` (splitting
a post into priced items), ``contacts``, ``offers`` (items through the extraction engine),
``reposts`` (MinHash LSH grouping), ``collect`` (optional live collection with Telethon).
"""

from __future__ import annotations

import unicodedata

PLATFORMS = ("telegram", "whatsapp")


def market_id(platform: str, chat_name: str) -> str:
    """A stable, readable market id for a chat: ``telegram:green_shop``.

    Chat names are the only key both Telegram export formats (JSON and HTML) carry, so the same
    channel exported either way lands in the same market.
    """
    name = unicodedata.normalize("NFKC", chat_name or "").casefold()
    slug = "_".join(name.split())
    return f"{platform}:{slug or 'unnamed'}"

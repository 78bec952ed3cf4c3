"""Contacts in posts: handles, links, messenger ids, emails, phone numbers, coin addresses.

Phone numbers are personal data that the observatory must not hold: they are stored only as keyed
hashes (HMAC-SHA256 with a key from ``DNMOBS_PHONE_KEY``, else a random secret kept in the store),
and every copy in a message's text or raw record is replaced by the same hash. Equal numbers still
link across messages (and across stores that share the key); the number itself cannot be read back
without the key.

Patterns are RE2 (linear time), except the phone patterns: audited Python ``re`` (see there).
Coin addresses are checked (base58check, bech32) so that random
strings of the right alphabet are not taken for addresses.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass

import re2

KEY_ENV = "DNMOBS_PHONE_KEY"
_SECRET_NAME = "phone_hmac_key"


@dataclass(frozen=True)
class Contact:
    kind: str  # telegram, telegram_bot, telegram_invite, wickr, session, threema, signal, jabber, email, phone, btc, xmr
    value: str  # normalised; phones as 'hmac:<hex>'


# --- the phone key ------------------------------------------------------------------------------


def phone_key(con=None) -> bytes:
    """The HMAC key: the environment's, else the store's own secret (created on first use)."""
    env = os.environ.get(KEY_ENV)
    if env:
        return env.encode("utf-8")
    if con is None:
        raise ValueError(f"no phone hashing key: set {KEY_ENV} or give a store")
    # fetchall, not fetchone: DuckDB keeps a half-read result open and refuses other work meanwhile
    rows = con.execute("SELECT value FROM store_secrets WHERE name = ?", [_SECRET_NAME]).fetchall()
    if not rows:
        con.execute("INSERT INTO store_secrets (name, value) VALUES (?, ?) ON CONFLICT DO NOTHING",
                    [_SECRET_NAME, secrets.token_hex(32)]).fetchall()
        rows = con.execute("SELECT value FROM store_secrets WHERE name = ?", [_SECRET_NAME]).fetchall()
    return bytes.fromhex(rows[0][0])


def hash_phone(number: str, key: bytes) -> str:
    """'hmac:<16 bytes hex>' of the number's digits (with a leading '+' when it had one)."""
    digits = "".join(ch for ch in number if ch.isdigit())
    if number.lstrip().startswith("00") and not number.lstrip().startswith("+"):
        digits, plus = digits[2:], True  # 0031... is +31...
    else:
        plus = number.lstrip().startswith("+")
    norm = ("+" if plus else "") + digits
    return "hmac:" + hmac.new(key, norm.encode("ascii"), hashlib.sha256).hexdigest()[:32]


# --- patterns -----------------------------------------------------------------------------------

_HANDLE = r"[A-Za-z][A-Za-z0-9_]{3,31}"
# '@handle'; the characters around it are checked in Python (RE2 has no look-around), so that
# 'a@b.com' is not a handle and a 40-character run is not cut into one
_AT_HANDLE = re2.compile(r"@([A-Za-z][A-Za-z0-9_]{3,40})")
_WORDISH = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_@.")
_TME = re2.compile(r"(?i)(?:https?://)?(?:www\.)?(?:t|telegram)\.(?:me|dog)/(\+[A-Za-z0-9_-]{6,64}|joinchat/"
                   r"[A-Za-z0-9_-]{6,64}|" + _HANDLE + r")")
_EMAIL = re2.compile(r"([A-Za-z0-9][A-Za-z0-9._%+-]{0,63})@([A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}"
                     r"\.[A-Za-z]{2,24})")
_JABBER_WORD = re2.compile(r"(?i)(?:jabber|xmpp|jid|omemo|otr)\b")
_JABBER_HOSTS = ("jabber", "xmpp", "exploit.im", "jabb.im", "dukgo.com", "404.city", "thesecure.biz",
                 "creep.im", "draugr.de", "xabber", "conversations.im", "blah.im", "jabbim")
_WICKR = re2.compile(r"(?i)wickr(?:\s*me)?(?:\s*id)?\s*[:=\-–—]?\s*[:=]?\s*@?([A-Za-z0-9][A-Za-z0-9_.\-]{2,31})")
_THREEMA = re2.compile(r"(?i)threema(?:\.id/|(?:\s*id)?\s*[:=\-–—]?\s*)([A-Za-z0-9*]{8})\b")
_SESSION = re2.compile(r"\b(05[0-9a-fA-F]{64})\b")
_SIGNAL_USER = re2.compile(r"(?i)signal(?:\s*(?:id|username|user|me))?\s*[:=\-–—]?\s*@?([A-Za-z][A-Za-z0-9_]{2,31}\.\d{2,9})\b")
_SIGNAL_LINK = re2.compile(r"(?i)signal\.me/#(?:p/(\+?[0-9]{7,15})|eu/[A-Za-z0-9_-]{8,200})")
# Phone patterns run on every post with eight digits (every menu): Python's re, audited (bounded
# repetitions only, so each start position costs bounded work), as RE2's binding costs ~15 us a match.
_WAME = re.compile(r"(?i)(?:wa\.me|api\.whatsapp\.com/send\?phone=)/?(\+?[0-9]{7,15})(?![0-9])")
# an international number: '+' or '00', then 8..15 digits with common separators
_PHONE_INTL = re.compile(r"(?:^|[^0-9A-Za-z+])((?:\+|00)[1-9][0-9 ().\-]{6,22}[0-9])")
# a national number after a word that says it is one
_PHONE_CTX = re.compile(r"(?i)(?:tel|phone|call|sms|text|whats\s?app|wa|viber|signal|mobile|mob|"
                        "\u260E|\U0001F4DE|\U0001F4F1|\U0001F4F2" r")[^0-9A-Za-z+]{0,6}(0[1-9][0-9 .\-]{6,14}[0-9])")
_BTC_B58 = re2.compile(r"\b([13][1-9A-HJ-NP-Za-km-z]{25,34})\b")
_BTC_BECH = re2.compile(r"(?i)\b(bc1[ac-hj-np-z02-9]{11,71})\b")
_XMR = re2.compile(r"\b([48][1-9A-HJ-NP-Za-km-z]{94}(?:[1-9A-HJ-NP-Za-km-z]{11})?)\b")

# handles that are words of the platform, not anyone's handle
_NOT_HANDLES = frozenset({"everyone", "here", "admin", "admins", "all", "channel"})


def _is_bot(handle: str) -> bool:
    return handle.lower().endswith("bot")


# --- finding -------------------------------------------------------------------------------------


def find(text: str, key: bytes, hrefs: tuple[str, ...] = ()) -> list[Contact]:
    """Every contact in a text (and in the links of its entities), each once, in order found."""
    found: dict[tuple[str, str], None] = {}

    def add(kind: str, value: str) -> None:
        found.setdefault((kind, value), None)

    for src in (text or "", *hrefs):
        if not src:
            continue
        _find_in(src, key, add)
    return [Contact(k, v) for k, v in found]


_DIGITS = str.maketrans("", "", "0123456789")
# a run long enough to be a coin address (BTC base58 from 26, bech32 from 14, XMR 95 characters)
_LONG_RUN = re2.compile(r"[0-9A-Za-z]{14,}")


def _n_digits(text: str) -> int:
    return len(text) - len(text.translate(_DIGITS))


def _find_in(text: str, key: bytes, add) -> None:
    # Each pattern runs only when the text holds what every match of it must contain (a literal, enough
    # digits, a long alphanumeric run): most posts hold no contact, and each scan has a fixed cost.
    low = text.lower()
    if "t.me/" in low or "telegram.me/" in low or "telegram.dog/" in low or "t.dog/" in low:
        for m in _TME.finditer(text):
            target = m.group(1)
            if target.startswith(("+", "joinchat/", "Joinchat/")):
                add("telegram_invite", "t.me/" + target)
            else:
                add("telegram_bot" if _is_bot(target) else "telegram", "@" + target.lower())
    if "@" in text:
        for m in _AT_HANDLE.finditer(text):
            h, start, end = m.group(1), m.start(), m.end()
            if (start > 0 and text[start - 1] in _WORDISH) or len(h) > 32 or (end < len(text) and text[end] == "@"):
                continue
            if h.lower() not in _NOT_HANDLES:
                add("telegram_bot" if _is_bot(h) else "telegram", "@" + h.lower())
        for m in _EMAIL.finditer(text):
            user, host = m.group(1), m.group(2).lower()
            addr = f"{user.lower()}@{host}"
            # an address is a Jabber id on a known XMPP host, or when a word just before it says so
            said = _JABBER_WORD.search(text[max(0, m.start() - 30):m.start()]) is not None
            add("jabber" if said or any(h in host for h in _JABBER_HOSTS) else "email", addr)
    if "wickr" in low:
        for m in _WICKR.finditer(text):
            v = m.group(1).rstrip(".-").lower()
            if v not in ("me", "id", "only", "and", "or") and len(v) >= 3:
                add("wickr", v)
    if "threema" in low:
        for m in _THREEMA.finditer(text):
            add("threema", m.group(1).upper())
    if "signal" in low:
        for m in _SIGNAL_USER.finditer(text):
            add("signal", m.group(1).lower())
        for m in _SIGNAL_LINK.finditer(text):
            if m.group(1):
                add("phone", hash_phone(m.group(1), key))
    if _n_digits(text) >= 8:
        for num in phone_spans(text):
            add("phone", hash_phone(text[num[0]:num[1]], key))
    if _LONG_RUN.search(text) is None:
        return
    if "05" in text:
        for m in _SESSION.finditer(text):
            add("session", m.group(1).lower())
    if "bc1" in low:
        for m in _BTC_BECH.finditer(text):
            if bech32_valid(m.group(1).lower()):
                add("btc", m.group(1).lower())
    for m in _BTC_B58.finditer(text):
        if base58check_valid(m.group(1)):
            add("btc", m.group(1))
    for m in _XMR.finditer(text):
        add("xmr", m.group(1))


def phone_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each phone number in a text, without overlaps (the earlier one wins)."""
    if _n_digits(text) < 8:  # no number can be in it
        return []
    cands = sorted(m.span(1) for rx in (_WAME, _PHONE_INTL, _PHONE_CTX) for m in rx.finditer(text))
    spans: list[tuple[int, int]] = []
    for s, e in cands:
        if 8 <= _n_digits(text[s:e]) <= 15 and (not spans or s >= spans[-1][1]):
            spans.append((s, e))
    return spans


def redact_phones(text: str, key: bytes) -> str:
    """The text with every phone number replaced by its keyed hash: '[phone hmac:…]'."""
    if not text:
        return text
    spans = phone_spans(text)
    if not spans:
        return text
    out, pos = [], 0
    for s, e in spans:
        out.append(text[pos:s])
        out.append(f"[phone {hash_phone(text[s:e], key)}]")
        pos = e
    out.append(text[pos:])
    return "".join(out)


def redact_tree(obj, key: bytes):
    """A JSON value with phone numbers redacted in every string (for raw records)."""
    if isinstance(obj, str):
        return redact_phones(obj, key)
    if isinstance(obj, list):
        return [redact_tree(v, key) for v in obj]
    if isinstance(obj, dict):
        return {k: (hash_phone(str(v), key) if k in ("phone_number", "phone") and v else redact_tree(v, key))
                for k, v in obj.items()}
    return obj


# --- coin address checks -----------------------------------------------------------------------

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58)}


def base58check_valid(s: str) -> bool:
    n = 0
    for ch in s:
        i = _B58_INDEX.get(ch)
        if i is None:
            return False
        n = n * 58 + i
    pad = len(s) - len(s.lstrip("1"))
    raw = b"\x00" * pad + (n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b"")
    if len(raw) != 25:
        return False
    body, check = raw[:-4], raw[-4:]
    return hashlib.sha256(hashlib.sha256(body).digest()).digest()[:4] == check


_BECH_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _bech32_polymod(values: list[int]) -> int:
    gen = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for v in values:
        b = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (b >> i) & 1 else 0
    return chk


def bech32_valid(s: str) -> bool:
    """A bech32 (segwit v0) or bech32m (taproot) address with a correct checksum."""
    hrp, _, data = s.rpartition("1")
    if hrp != "bc" or len(data) < 6:
        return False
    try:
        values = [_BECH_CHARSET.index(c) for c in data]
    except ValueError:
        return False
    const = _bech32_polymod([ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp] + values)
    return const in (1, 0x2BC830A3)

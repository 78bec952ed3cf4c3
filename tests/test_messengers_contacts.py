"""Contacts in posts, phone numbers as keyed hashes, coin address checks; patterns stay linear."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dnmobs.messengers import contacts
from dnmobs.messengers.contacts import (
    Contact,
    base58check_valid,
    bech32_valid,
    find,
    hash_phone,
    phone_key,
    redact_phones,
)

KEY = b"k1"
# well-known public addresses (the Bitcoin genesis address, BIP-173 test vectors, a Monero project address)
GENESIS = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
SEGWIT = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
TAPROOT = "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"
MONERO = "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A"


def kinds(text: str, key: bytes = KEY) -> set[tuple[str, str]]:
    return {(c.kind, c.value) for c in find(text, key)}


def test_telegram_handles_bots_and_links():
    got = kinds("Order via @Snow_Shop_Bot or @snowman_nl, channel t.me/snowchannel, invite t.me/+AbCdEf123456 "
                "and https://telegram.me/joinchat/XyZ12345")
    assert got == {("telegram_bot", "@snow_shop_bot"), ("telegram", "@snowman_nl"), ("telegram", "@snowchannel"),
                   ("telegram_invite", "t.me/+AbCdEf123456"), ("telegram_invite", "t.me/joinchat/XyZ12345")}


def test_emails_are_not_handles_and_jabber_is_told_apart():
    assert kinds("mail shop@proton.me or jabber: snow@jabber.ccc.de") == {("email", "shop@proton.me"),
                                                                         ("jabber", "snow@jabber.ccc.de")}
    assert kinds("XMPP/OMEMO only: frost@xmpp-host.example.org") == {("jabber", "frost@xmpp-host.example.org")}
    assert kinds("write to orders@tutanota.com") == {("email", "orders@tutanota.com")}
    assert kinds("my xmpp id is frost@exploit.im") == {("jabber", "frost@exploit.im")}


def test_messenger_ids():
    assert ("wickr", "frost_nl") in kinds("Wickr: frost_nl")
    assert ("wickr", "frostbite") in kinds("wickr me - FrostBite")
    assert kinds("Threema ID: ABCD2345") == {("threema", "ABCD2345")}
    sid = "05" + "ab" * 32
    assert kinds(f"Session {sid}") == {("session", sid)}
    assert ("signal", "frost.01") in kinds("Signal username: frost.01")


def test_phone_numbers_hashed_and_normalised():
    a = kinds("call +31 6 1234 5678")
    b = kinds("whatsapp 0031612345678")
    c = kinds("wa.me/31612345678")
    assert a == b and len(a) == 1 and next(iter(a))[0] == "phone"
    assert next(iter(c))[1] == hash_phone("31612345678", KEY)
    assert kinds("call +31 6 1234 5678", b"other key") != a
    assert kinds("tel: 0612 345 678")  # national number after a word that says it is one
    assert next(iter(a))[1].startswith("hmac:") and "5678" not in next(iter(a))[1]


@pytest.mark.parametrize("text", ["1g 75€, 5g 330€, 10g 600€", "Order #20230412 shipped 12.04.2023",
                                  "0.0901 BTC (USD 120.00)", "batch 100000000", "2-3 days, 24/7 support"])
def test_no_false_phones(text):
    assert not any(k == "phone" for k, _ in kinds(text))


def test_redaction_replaces_every_number_with_its_hash():
    text = "call +31 6 1234 5678 or +44 7700 900123 now"
    red = redact_phones(text, KEY)
    assert "1234" not in red and "900123" not in red
    assert red.count("[phone hmac:") == 2 and red.startswith("call [phone ") and red.endswith(" now")
    assert redact_phones("no numbers here", KEY) == "no numbers here"


def test_coin_addresses_checked():
    assert base58check_valid(GENESIS) and not base58check_valid(GENESIS[:-1] + "b")
    assert bech32_valid(SEGWIT) and bech32_valid(TAPROOT) and not bech32_valid(SEGWIT[:-1] + "5")
    got = kinds(f"BTC: {GENESIS} or {SEGWIT.upper()} XMR {MONERO}")
    assert got == {("btc", GENESIS), ("btc", SEGWIT), ("xmr", MONERO)}
    assert kinds(f"{GENESIS[:-1]}b and 1111111111111111111111111111") == set()


def test_key_from_environment_or_store(con, monkeypatch):
    monkeypatch.setenv(contacts.KEY_ENV, "shared-secret")
    assert phone_key(con) == b"shared-secret"
    monkeypatch.delenv(contacts.KEY_ENV)
    k1 = phone_key(con)
    assert len(k1) == 32 and phone_key(con) == k1  # created once, then kept in the store
    with pytest.raises(ValueError):
        phone_key(None)


def test_contact_value_type():
    assert find("@frosty_nl", KEY) == [Contact("telegram", "@frosty_nl")]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("@+0123456789 .-_:abcABC€$gwickrsession05bcjabber/t.me\n")),
               max_size=400))
def test_fuzz_never_fails(text):
    for c in find(text, KEY):
        assert c.value
    red = redact_phones(text, KEY)
    assert all(len("".join(ch for ch in text[s:e] if ch.isdigit())) <= 15 for s, e in contacts.phone_spans(text))
    assert isinstance(red, str)


@pytest.mark.parametrize("unit", ["@", "+3", "1", "a@", "t.me/", "wickr ", "05", "1A1zP1", "bc1q", "00", "tel 0", "+1 ", "1-"])
def test_adversarial_inputs_take_linear_time(unit):
    small, big = unit * 5_000, unit * 50_000
    t0 = time.perf_counter()
    find(small, KEY), redact_phones(small, KEY)
    t1 = time.perf_counter()
    find(big, KEY), redact_phones(big, KEY)
    t2 = time.perf_counter()
    # ten times the input may cost ten times the time (and noise), never a hundred
    assert t2 - t1 < 40 * (t1 - t0) + 0.5

"""Deterministic synthetic OpenPGP public keys for the sample and the benchmarks.

Each key is a well-formed v4 transferable public key (RFC 4880/9580 packets: an Ed25519 primary key, a
user id with its certification, a Curve25519 encryption subkey with its binding signature), built from a
seed with plain Python. The key material and signatures are random bytes of the right shapes: the keys
have stable, valid fingerprints (which is all linking needs) but no usable cryptography, and gpg rejects
their signatures. Equal seeds give equal keys; a different user id gives another block with the same
fingerprint, as re-exporting a key after adding a user id does.
"""

from __future__ import annotations

import hashlib
import random
from datetime import datetime

from dnmobs.link.pgp import armor

_ED25519 = bytes.fromhex("2b06010401da470f01")
_CV25519 = bytes.fromhex("2b060104019755010501")
_EPOCH_2014 = 1388534400


def _new_packet(tag: int, body: bytes) -> bytes:
    n = len(body)
    if n < 192:
        head = bytes([n])
    elif n < 8384:
        n -= 192
        head = bytes([(n >> 8) + 192, n & 0xFF])
    else:
        head = b"\xff" + len(body).to_bytes(4, "big")
    return bytes([0xC0 | tag]) + head + body


def _point(rng: random.Random) -> bytes:
    # an MPI of a 0x40-prefixed 32-byte point: 263 bits
    return (263).to_bytes(2, "big") + b"\x40" + rng.randbytes(32)


def _key_body(created: int, algo: int, oid: bytes, point: bytes, kdf: bytes = b"") -> bytes:
    return b"\x04" + created.to_bytes(4, "big") + bytes([algo, len(oid)]) + oid + point + kdf


def _signature(rng: random.Random, sig_type: int, created: int, issuer: bytes) -> bytes:
    hashed = bytes([5, 2]) + created.to_bytes(4, "big")  # signature creation time
    unhashed = bytes([9, 16]) + issuer  # issuer key id
    mpis = b"".join((256).to_bytes(2, "big") + b"\x80" + rng.randbytes(31) for _ in range(2))
    return (bytes([4, sig_type, 22, 8]) + len(hashed).to_bytes(2, "big") + hashed
            + len(unhashed).to_bytes(2, "big") + unhashed + rng.randbytes(2) + mpis)


def key_packets(seed: int | str, user_id: str, created: datetime | None = None) -> bytes:
    """The binary key (packets) for a seed; the user id does not change the fingerprint."""
    rng = random.Random(hashlib.sha256(f"dnmobs-key:{seed}".encode()).digest())
    ts = int(created.timestamp()) if created else _EPOCH_2014 + rng.randrange(0, 300 * 86400)
    primary = _key_body(ts, 22, _ED25519, _point(rng))
    sub = _key_body(ts, 18, _CV25519, _point(rng), kdf=bytes([3, 1, 8, 7]))
    sub_rng = random.Random(hashlib.sha256(f"dnmobs-sig:{seed}:{user_id}".encode()).digest())
    key_id = hashlib.sha1(b"\x99" + len(primary).to_bytes(2, "big") + primary).digest()[-8:]
    return b"".join((
        _new_packet(6, primary),
        _new_packet(13, user_id.encode("utf-8")),
        _new_packet(2, _signature(sub_rng, 0x13, ts, key_id)),
        _new_packet(14, sub),
        _new_packet(2, _signature(sub_rng, 0x18, ts, key_id)),
    ))


def fingerprint(seed: int | str, created: datetime | None = None) -> str:
    """The primary fingerprint a seed's key has (whatever its user ids)."""
    packets = key_packets(seed, "x", created)
    body = packets[2:2 + packets[1]]  # the primary key packet is first, with a one-octet length
    return hashlib.sha1(b"\x99" + len(body).to_bytes(2, "big") + body).hexdigest().upper()


STYLES = ("armored", "crlf", "stripped", "escaped", "headers")


def armored_key(seed: int | str, user_id: str, style: str = "armored", created: datetime | None = None) -> str:
    """The key as a vendor page or table shows it, in one of STYLES:
    'armored' (standard), 'crlf' (Windows line ends), 'stripped' (line breaks lost, as in scraped tables),
    'escaped' (line breaks as backslash-n), 'headers' (extra armor headers)."""
    data = key_packets(seed, user_id, created)
    if style == "headers":
        return armor(data, {"Version": "GnuPG v2.0.22 (MingW32)", "Comment": "https://gpgtools.org"})
    text = armor(data, {"Version": "GnuPG v1"} if style != "armored" else None)
    if style == "crlf":
        return text.replace("\n", "\r\n")
    if style == "stripped":
        return text.replace("\n", "")
    if style == "escaped":
        return text.replace("\n", "\\n")
    return text

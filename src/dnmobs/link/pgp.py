"""OpenPGP public keys as vendors publish them: armor recovered from damaged text, packets parsed.

Vendor key blocks reach us mangled: line breaks stripped (``-----BEGIN PGP PUBLIC KEY BLOCK-----Version:
GnuPG v2.0.22 (MingW32)mQINBF...``), escaped as ``\\n``, CRLF, extra or broken armor headers, several keys
in one block, blocks inside profile text, HTML around them. We never need the key's cryptography, only what
identifies it: primary and subkey fingerprints (v3, v4, v5, v6), key ids, user ids and their emails.

Why a small parser of our own rather than a library: PGPy is unmaintained (no RFC 9580 / v6, breaks on new
``cryptography`` releases) and, like gpg, insists on well-formed armor, which is exactly what this data
lacks. Reading key packets to compute fingerprints is a few dozen lines of RFC 4880/9580 and needs no crypto.

Recovering the armor: all whitespace (and escaped line breaks) is removed, so the result depends only on
the text's non-space characters. The body is the run of base64 characters before the ``=XXXX`` checksum
and the END line; where it begins cannot be told from the text once line breaks are gone (``Version:
GnuPG v1mQENB...``), so each base64 quartet boundary near the start of the run is tried, in order, and the
first whose bytes form an unbroken chain of OpenPGP packets reaching exactly the end, beginning with a
(sub)key packet whose key material fills it exactly, is taken; the CRC-24 checksum, when present, must
agree (a mismatch is reported, the key still read). A body with characters lost or added (no chain reaches
the end), or with no END line, is read forward from its first key packet as far as the packets stay whole.

Everything here runs in linear time: markers are found by plain search or re2, the packet chain is followed
by lengths, never by backtracking, and at most MAX_TRIES start positions are tried.
"""

from __future__ import annotations

import binascii
import functools
import hashlib
import html
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import re2

# --- armor -----------------------------------------------------------------------------------------------

_BEGIN = re2.compile(r"(?i)-{2,}\s*BEGIN\s*PGP\s*PUBLIC\s*KEY\s*BLOCK\s*-{2,}")
_END = re2.compile(r"(?i)-{2,}\s*END\s*PGP\s*PUBLIC\s*KEY\s*BLOCK\s*-{2,}")
_TAG = re2.compile(r"<[^<>]{0,40}>")  # <br>, <p>, </div> around or inside a pasted block
_B64_RUN = re2.compile(r"[A-Za-z0-9+/]+")
_B64_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_EMAIL_LOCAL = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._%+-")
_EMAIL_HOST = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-")
_EMAIL_BREAKS = str.maketrans({c: " " for c in "<>()[]{},;:\"'"})
MAX_TEXT = 4 << 20  # text longer than this is not a key block a vendor pasted
MAX_TRIES = 64  # start positions tried in one body (header debris before the body is short)

PARSER_VERSION = 1  # bump when a change to this module can change what a stored block parses to


@dataclass(frozen=True)
class Key:
    """One public key or subkey packet."""

    version: int
    fingerprint: str  # upper-case hex: 32 (v3), 40 (v4), 64 (v5, v6)
    key_id: str  # 16 upper-case hex digits
    algorithm: str  # 'rsa', 'dsa', 'elgamal', 'ecdh', 'ecdsa', 'eddsa', 'x25519', ... or 'algo-N'
    bits: int | None  # modulus / prime size; curve size for elliptic curves
    curve: str | None
    created: datetime | None


@dataclass
class Certificate:
    """A transferable public key: a primary key, its subkeys and user ids."""

    primary: Key | None  # None when the block's start was lost and only subkeys remain
    subkeys: list[Key] = field(default_factory=list)
    user_ids: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)  # lower-case, from the user ids, in order, distinct
    n_signatures: int = 0
    revoked: bool = False  # a key revocation signature (type 0x20) on the primary


@dataclass
class ParseResult:
    certificates: list[Certificate] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # why something could not be read, one line each

    @property
    def primary_fingerprints(self) -> list[str]:
        return _distinct(c.primary.fingerprint for c in self.certificates if c.primary)

    @property
    def subkey_fingerprints(self) -> list[str]:
        return _distinct(k.fingerprint for c in self.certificates for k in c.subkeys)


def parse_text(text: str | None) -> ParseResult:
    """Every public key in ``text``: armored blocks (however damaged) or, failing those, a bare base64 body."""
    res = ParseResult()
    if not text:
        return res
    if len(text) > MAX_TEXT:
        res.problems.append(f"text of {len(text):,} characters is too long for a key block")
        return res
    text = _normalise(text)
    begins, ends = _markers(text)
    if not begins and not ends:
        body = "".join(text.split())
        if len(body) >= 64 and _is_b64(body.rstrip("=")):
            got = _decode_body(body, res.problems, "bare base64")
            if got:
                _certificates(*got, res, "bare base64")
        return res
    for i, (start, stop), kind in _regions(begins, ends, len(text)):
        where = f"block {i}"
        problems: list[str] = []
        got = _decode_body(_body_text(text[start:stop]), problems, where, kind != "open")
        if got:
            _certificates(*got, res, where)
        if got or kind != "nested":
            res.problems += problems
    return res


def _body_text(region: str) -> str:
    # whitespace goes; so do the dashes of a dash-escaped END line ('- -----END ...' in signed text)
    return "".join(region.split()).rstrip("-")


_CANON_BEGIN = "-----BEGIN PGP PUBLIC KEY BLOCK-----"
_CANON_END = "-----END PGP PUBLIC KEY BLOCK-----"


def _markers(text: str) -> tuple[list[int], list[tuple[int, int]]]:
    """Ends of BEGIN lines, and (start, end) of END lines. The canonical lines are found by plain search
    (most texts); any other spelling of them (case, spaces, dashes) sends the text to the re2 patterns."""
    n_any = text.upper().count("PGP PUBLIC KEY BLOCK")
    if text.count(_CANON_BEGIN) + text.count(_CANON_END) == n_any:
        begins, ends, i = [], [], 0
        while (i := text.find(_CANON_BEGIN, i)) >= 0:
            i += len(_CANON_BEGIN)
            begins.append(i)
        i = 0
        while (i := text.find(_CANON_END, i)) >= 0:
            ends.append((i, i + len(_CANON_END)))
            i += len(_CANON_END)
        return begins, _widen(text, ends)
    return [m.end() for m in _BEGIN.finditer(text)], [(m.start(), m.end()) for m in _END.finditer(text)]


def _widen(text: str, ends: list[tuple[int, int]]) -> list[tuple[int, int]]:
    # the pattern takes extra dashes before an END line ('------END'); so does the plain search
    out = []
    for a, b in ends:
        while a > 0 and text[a - 1] == "-":
            a -= 1
        out.append((a, b))
    return out


def _normalise(text: str) -> str:
    if "\\" in text:  # escaped line breaks: literal backslash-n, -r, -t
        text = text.replace("\\r", " ").replace("\\n", " ").replace("\\t", " ")
    if "<" in text:
        text = _TAG.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    return text


def _regions(begins: list[int], ends: list[tuple[int, int]], n: int) -> list[tuple[int, tuple[int, int], str]]:
    """(index, (start, stop), kind) of each block body: from the last BEGIN before an END to that END.

    kind is 'closed'; 'open' for a BEGIN with no END, which runs to the next BEGIN or the end of the
    text (a truncated paste); 'nested' for a BEGIN directly followed by another BEGIN (a product list
    wrapped in the key's armor): its text is tried, but its failure is no problem of the key's.
    An END with no BEGIN opens at the previous END or the start of the text (a lost first line).
    """
    out = []
    bi = 0
    prev_end = 0
    for e_start, e_end in ends:
        opened = None
        while bi < len(begins) and begins[bi] <= e_start:
            if opened is not None:
                out.append(((opened, begins[bi]), "nested"))
            opened = begins[bi]
            bi += 1
        if opened is None:
            opened = prev_end
        out.append(((opened, e_start), "closed"))
        prev_end = e_end
    while bi < len(begins):
        stop = begins[bi + 1] if bi + 1 < len(begins) else n
        out.append(((begins[bi], stop), "open"))
        bi += 1
    return [(i + 1, r, kind) for i, (r, kind) in enumerate(out)]


Packet = tuple[int, int, int, int]  # tag, header start, body start, body end
# Packets a transferable public key may hold: signature, public key, trust, user id, subkey, user attribute.
_CERT_TAGS = frozenset((2, 6, 12, 13, 14, 17))


def _decode_body(s: str, problems: list[str], where: str, closed: bool = True
                 ) -> tuple[bytes, list[Packet]] | None:
    """The bytes and packets of the whitespace-free text between the armor lines; None if unreadable."""
    if not closed:
        return _decode_truncated(s, problems, where)
    crc: int | None = None
    if len(s) >= 5 and s[-5] == "=" and _is_b64(s[-4:]):
        crc = int.from_bytes(binascii.a2b_base64(s[-4:]), "big")
        s = s[:-5]
    # The body: the longest run of base64 characters (plus up to two '=' of padding) ending here.
    pad = len(s) - len(s.rstrip("="))
    if pad > 2:
        problems.append(f"{where}: malformed padding at the end of the body")
        return None
    enc = s.encode("ascii", "replace")
    stop = len(enc) - pad
    start = len(enc[:stop].rstrip(_B64_BYTES))  # the run of base64 characters ending at stop
    if stop - start < 8:
        problems.append(f"{where}: no base64 body")
        return None
    # Quartets are counted from the end of the body: the first whole quartet of the run is the earliest
    # place the body can begin; header debris before it is skipped by trying each quartet in turn.
    first = start + (stop + pad - start) % 4
    try:
        data = binascii.a2b_base64(enc[first:stop] + b"=" * pad, strict_mode=False)
    except binascii.Error as exc:
        problems.append(f"{where}: base64 body does not decode ({exc})")
        return None
    fallback = None
    for off in range(0, min(len(data), 3 * MAX_TRIES), 3):
        if not _starts_key(data, off):
            continue
        chain = _chain(data, off, allow_short=False)
        if chain is None:
            continue
        if crc is None or _crc24(data[off:]) == crc:
            return data[off:], _shift(chain[0], off)
        fallback = fallback or (off, chain)
    if fallback is None:
        return _salvage(s, problems, where)
    problems.append(f"{where}: armor checksum does not match (the block was altered); read anyway")
    off, chain = fallback
    return data[off:], _shift(chain[0], off)


def _decode_truncated(s: str, problems: list[str], where: str) -> tuple[bytes, list[Packet]] | None:
    problems.append(f"{where}: no END line")
    return _salvage(s, problems, where)


def _salvage(s: str, problems: list[str], where: str) -> tuple[bytes, list[Packet]] | None:
    """Read forward from a key packet ('m' starts an old-format key packet, 'x' a new one) as far as the
    packets stay whole: for bodies cut short, or with characters lost or added inside (the quartets are
    then misaligned from the damage on). Fingerprints read this way cannot be checked by the CRC."""
    enc = s.encode("ascii", "replace")
    tries = 0
    for run in _B64_RUN.finditer(s):
        r0, r1 = run.span()
        decoded: dict[int, bytes] = {}  # one decoding per quartet alignment of the run
        i = r0
        while tries < MAX_TRIES:
            i = _next_key_char(enc, i)
            if i < 0 or i >= r1:
                break
            tries += 1
            a = (i - r0) % 4
            if a not in decoded:
                decoded[a] = binascii.a2b_base64(enc[r0 + a:r0 + a + (r1 - r0 - a) // 4 * 4], strict_mode=False)
            data, off = decoded[a], (i - r0 - a) // 4 * 3
            if off < len(data) and _starts_key(data, off):
                chain = _chain(data, off, allow_short=True)
                if chain is not None:
                    if chain[1]:
                        problems.append(f"{where}: body damaged or cut short; read the "
                                        f"{len(chain[0])} whole packets before the damage")
                    return data[off:], _shift(chain[0], off)
            i += 1
        if tries >= MAX_TRIES:
            break
    problems.append(f"{where}: no OpenPGP key packets found in the body")
    return None


def _next_key_char(enc: bytes, i: int) -> int:
    a, b = enc.find(b"m", i), enc.find(b"x", i)
    if a < 0:
        return b
    return a if b < 0 else min(a, b)


def _shift(packets: list[Packet], off: int) -> list[Packet]:
    return [(t, h - off, s - off, e - off) for t, h, s, e in packets]


def _is_b64(s: str) -> bool:
    return s.isascii() and not s.encode("ascii").translate(None, _B64_BYTES)


def _starts_key(data: bytes, off: int) -> bool:
    """Whether a whole, readable (sub)key packet starts at ``off``."""
    if _tag_at(data, off) not in (6, 14):
        return False
    head = _packet_header(data, off)
    return head is not None and head[2] <= len(data) and _key_body_ok(data[head[1]:head[2]])


def _key_body_ok(body: bytes) -> bool:
    """parse_key_packet would read it (checked without hashing)."""
    if not body:
        return False
    if body[0] in (2, 3):
        return _v3_key(body) is not None
    if body[0] == 4:
        return len(body) >= 6 and _material_fits(body[5], body, 6)
    if body[0] in (5, 6):
        return (len(body) >= 10 and int.from_bytes(body[6:10], "big") == len(body) - 10
                and _material_fits(body[5], body, 10))
    return False


def _tag_at(data: bytes, off: int) -> int | None:
    b = data[off]
    if not b & 0x80:
        return None
    return b & 0x3F if b & 0x40 else (b >> 2) & 0x0F


def _chain(data: bytes, off: int, allow_short: bool) -> tuple[list[Packet], bool] | None:
    """The packets from ``off`` if they tile the data exactly to its end.

    With ``allow_short`` a final incomplete packet is dropped instead (truncated paste); the flag in
    the result says so. None when the bytes are not a packet sequence.
    """
    packets = []
    n = len(data)
    i = off
    while i < n:
        head = _packet_header(data, i)
        if head is None:
            return (packets, True) if allow_short and packets else None
        tag, start, end = head
        if end > n or tag not in _CERT_TAGS:
            return (packets, True) if allow_short and packets else None
        packets.append((tag, i, start, end))
        i = end
    return (packets, False) if packets else None


def _packet_header(data: bytes, i: int) -> tuple[int, int, int] | None:
    n = len(data)
    b = data[i]
    if not b & 0x80:
        return None
    if b & 0x40:  # new format
        tag = b & 0x3F
        if i + 1 >= n:
            return None
        o1 = data[i + 1]
        if o1 < 192:
            return tag, i + 2, i + 2 + o1
        if o1 < 224:
            if i + 2 >= n:
                return None
            return tag, i + 3, i + 3 + ((o1 - 192) << 8) + data[i + 2] + 192
        if o1 == 255:
            if i + 5 >= n:
                return None
            return tag, i + 6, i + 6 + int.from_bytes(data[i + 2:i + 6], "big")
        return None  # partial body lengths never occur in key material
    tag = (b >> 2) & 0x0F
    lt = b & 3
    if lt == 3:
        return None  # indeterminate length: not valid in a transferable public key
    size = (1, 2, 4)[lt]
    if i + 1 + size > n:
        return None
    return tag, i + 1 + size, i + 1 + size + int.from_bytes(data[i + 1:i + 1 + size], "big")


# --- packets ---------------------------------------------------------------------------------------------

_ALGOS = {1: "rsa", 2: "rsa", 3: "rsa", 16: "elgamal", 17: "dsa", 18: "ecdh", 19: "ecdsa", 20: "elgamal",
          22: "eddsa", 25: "x25519", 26: "x448", 27: "ed25519", 28: "ed448"}
_FIXED_BITS = {25: 255, 26: 448, 27: 255, 28: 448}
_CURVES = {  # DER of the OID without tag and length -> (name, bits)
    bytes.fromhex("2a8648ce3d030107"): ("nistp256", 256),
    bytes.fromhex("2b81040022"): ("nistp384", 384),
    bytes.fromhex("2b81040023"): ("nistp521", 521),
    bytes.fromhex("2b2403030208010107"): ("brainpoolP256r1", 256),
    bytes.fromhex("2b240303020801010b"): ("brainpoolP384r1", 384),
    bytes.fromhex("2b240303020801010d"): ("brainpoolP512r1", 512),
    bytes.fromhex("2b06010401da470f01"): ("ed25519", 255),
    bytes.fromhex("2b060104019755010501"): ("cv25519", 255),
    bytes.fromhex("2b8104000a"): ("secp256k1", 256),
}


def parse_key_packet(tag: int, body: bytes) -> Key | None:
    """The fingerprint and properties of a public key (tag 6) or subkey (tag 14) packet body."""
    if not body:
        return None
    version = body[0]
    if version in (2, 3):
        return _v3_key(body)
    if version == 4:
        if len(body) < 6:
            return None
        digest = hashlib.sha1(b"\x99" + len(body).to_bytes(2, "big") + body).hexdigest().upper()
        algo = body[5]
        if not _material_fits(algo, body, 6):
            return None
        bits, curve = _key_size(algo, body, 6)
        return Key(4, digest, digest[-16:], _ALGOS.get(algo, f"algo-{algo}"), bits, curve, _time(body, 1))
    if version in (5, 6):
        if len(body) < 10:
            return None
        prefix = b"\x9a" if version == 5 else b"\x9b"
        digest = hashlib.sha256(prefix + len(body).to_bytes(4, "big") + body).hexdigest().upper()
        algo = body[5]
        if int.from_bytes(body[6:10], "big") != len(body) - 10 or not _material_fits(algo, body, 10):
            return None
        bits, curve = _key_size(algo, body, 10)
        return Key(version, digest, digest[:16], _ALGOS.get(algo, f"algo-{algo}"), bits, curve, _time(body, 1))
    return None


_N_MPIS = {1: 2, 2: 2, 3: 2, 16: 3, 20: 3, 17: 4}
_FIXED_LEN = {25: 32, 26: 56, 27: 32, 28: 57}


def _material_fits(algo: int, body: bytes, i: int) -> bool:
    """Whether the key material's fields fill the packet exactly (a damaged packet rarely does).

    Unknown algorithms are taken on trust."""
    if algo in _FIXED_LEN:
        return len(body) - i == _FIXED_LEN[algo]
    if algo in (18, 19, 22):
        if i >= len(body) or body[i] in (0, 0xFF):
            return False
        got = _mpi(body, i + 1 + body[i])
        if got is None:
            return False
        end = got[1]
        if algo == 18:  # KDF parameters follow the point
            if end >= len(body):
                return False
            end += 1 + body[end]
        return end == len(body)
    if algo in _N_MPIS:
        for _ in range(_N_MPIS[algo]):
            got = _mpi(body, i)
            if got is None:
                return False
            i = got[1]
        return i == len(body)
    return True


def _v3_key(body: bytes) -> Key | None:
    # version, created(4), validity days(2), algorithm, then RSA n and e as MPIs
    if len(body) < 8:
        return None
    algo = body[7]
    n = _mpi(body, 8)
    if n is None:
        return None
    n_bytes, after = n
    e = _mpi(body, after)
    if e is None:
        return None
    digest = hashlib.md5(n_bytes + e[0], usedforsecurity=False).hexdigest().upper()
    key_id = n_bytes[-8:].hex().upper().rjust(16, "0")
    return Key(body[0], digest, key_id, _ALGOS.get(algo, f"algo-{algo}"), _bitlen(n_bytes), None,
               _time(body, 1))


def _mpi(body: bytes, i: int) -> tuple[bytes, int] | None:
    if i + 2 > len(body):
        return None
    bits = int.from_bytes(body[i:i + 2], "big")
    end = i + 2 + (bits + 7) // 8
    if end > len(body):
        return None
    return body[i + 2:end], end


def _bitlen(b: bytes) -> int:
    return int.from_bytes(b, "big").bit_length() if b else 0


def _key_size(algo: int, body: bytes, i: int) -> tuple[int | None, str | None]:
    if algo in _FIXED_BITS:
        return _FIXED_BITS[algo], _ALGOS[algo]
    if algo in (18, 19, 22):
        if i >= len(body):
            return None, None
        oid = body[i + 1:i + 1 + body[i]]
        name, bits = _CURVES.get(oid, ("oid-" + oid.hex(), None))
        return bits, name
    first = _mpi(body, i)
    if first is None:
        return None, None
    return _bitlen(first[0]), None


def _time(body: bytes, i: int) -> datetime | None:
    if len(body) < i + 4:
        return None
    return datetime.fromtimestamp(int.from_bytes(body[i:i + 4], "big"), UTC)


def _certificates(data: bytes, packets: list[Packet], res: ParseResult, where: str) -> None:
    cert: Certificate | None = None
    pending: Key | None = None  # a subkey counts once a (binding) signature follows it, as gpg has it
    for tag, _, start, end in packets:
        body = data[start:end]
        if tag in (6, 14):
            pending = None
            key = parse_key_packet(tag, body)
            if key is None:
                res.problems.append(f"{where}: unreadable {'sub' if tag == 14 else ''}key packet "
                                    f"(version {body[0] if body else '?'}, or its key material is damaged)")
                continue
            if tag == 6:
                cert = Certificate(primary=key)
                res.certificates.append(cert)
            else:
                if cert is None:
                    cert = Certificate(primary=None)
                    res.certificates.append(cert)
                    res.problems.append(f"{where}: subkeys without their primary key")
                pending = key
        elif cert is None:
            continue
        elif tag == 13:
            uid = body.decode("utf-8", "replace")
            cert.user_ids.append(uid)
            for email in (emails_in(uid) if "@" in uid else ()):
                if email not in cert.emails:
                    cert.emails.append(email)
        elif tag == 2:
            cert.n_signatures += 1
            if pending is not None:
                cert.subkeys.append(pending)
                pending = None
            elif len(body) > 1 and not cert.subkeys and _sig_type(body) == 0x20:
                cert.revoked = True
    if pending is not None:
        res.problems.append(f"{where}: a subkey without its binding signature was left out")


def emails_in(text: str) -> list[str]:
    """Email addresses in a user id ('Name (comment) <a@b.c>'), lower case: words holding one '@' with a
    plausible local part and a dotted host. A scan over the words, no pattern."""
    out = []
    for word in text.translate(_EMAIL_BREAKS).split():
        local, at, host = word.lower().rstrip(".").partition("@")
        if (at and local and "." in host and "@" not in host and len(local) <= 64 and len(host) <= 253
                and not host.startswith((".", "-")) and ".." not in host
                and set(local) <= _EMAIL_LOCAL and set(host) <= _EMAIL_HOST):
            out.append(f"{local}@{host}")
    return out


def _sig_type(body: bytes) -> int | None:
    if body[0] in (2, 3):
        return body[2] if len(body) > 2 else None
    return body[1]


def _distinct(items) -> list[str]:
    return list(dict.fromkeys(items))


# --- CRC-24 (RFC 4880 6.1) -------------------------------------------------------------------------------

_CRC_INIT = 0xB704CE
_CRC_POLY = 0x1864CFB
_CRC_VECTOR_MAX = 1 << 15  # bytes; the vectorised form covers blocks up to this size


def _crc_table() -> list[int]:
    table = []
    for i in range(256):
        crc = i << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= _CRC_POLY
        table.append(crc & 0xFFFFFF)
    return table


_CRC_TABLE = _crc_table()


def _crc24_loop(data: bytes) -> int:
    crc = _CRC_INIT
    t = _CRC_TABLE
    for b in data:
        crc = ((crc << 8) & 0xFFFFFF) ^ t[((crc >> 16) ^ b) & 0xFF]
    return crc


@functools.cache
def _crc_powers() -> tuple[np.ndarray, np.ndarray]:
    """x^k mod P for every bit of every byte position, and the initial value carried over n bytes.

    CRC-24 is linear over GF(2): crc(M) = init * x^(8n) + sum of b_i * x^(24 + 8 d_i) mod P, where d_i is
    byte i's distance from the end; so a checksum is the XOR of precomputed powers picked by the set bits.
    """
    n_pow = 24 + 8 * _CRC_VECTOR_MAX + 32
    pw = np.empty(n_pow, dtype=np.uint32)
    r = 1
    for k in range(n_pow):
        pw[k] = r
        r <<= 1
        if r & 0x1000000:
            r ^= _CRC_POLY
    # basis[r, j]: bit j (most significant first) of a byte MAX - 1 - r places from the end, so the bytes
    # of an n-byte message read the contiguous rows MAX - n .. MAX - 1
    d = np.arange(_CRC_VECTOR_MAX - 1, -1, -1)[:, None]
    j = np.arange(8)[None, :]
    basis = pw[24 + 8 * d + (7 - j)]
    bits = [b for b in range(24) if _CRC_INIT >> b & 1]
    n = np.arange(_CRC_VECTOR_MAX + 1)
    init = np.bitwise_xor.reduce(np.stack([pw[b + 8 * n] for b in bits]), axis=0)
    return basis, init


def _crc24(data: bytes) -> int:
    """The CRC-24 of OpenPGP armor (RFC 4880 6.1), vectorised: a per-byte Python loop would cost more than
    all the rest of parsing a key."""
    n = len(data)
    if n == 0 or n > _CRC_VECTOR_MAX:
        return _crc24_loop(data)
    basis, init = _crc_powers()
    bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8)).reshape(n, 8)
    return int(np.bitwise_xor.reduce((bits * basis[_CRC_VECTOR_MAX - n:]).ravel()) ^ init[n])


def armor(data: bytes, headers: dict[str, str] | None = None, line_break: str = "\n") -> str:
    """Standard ASCII armor for binary key packets (for fixtures, samples and round trips)."""
    b64 = binascii.b2a_base64(data, newline=False).decode("ascii")
    lines = ["-----BEGIN PGP PUBLIC KEY BLOCK-----"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    lines.append("")
    lines += [b64[i:i + 64] for i in range(0, len(b64), 64)]
    lines.append("=" + binascii.b2a_base64(_crc24(data).to_bytes(3, "big"), newline=False).decode("ascii"))
    lines.append("-----END PGP PUBLIC KEY BLOCK-----")
    return line_break.join(lines) + line_break


def dearmor(text: str) -> bytes:
    """The packet bytes of the first readable block in ``text``, as parse_text recovers them; b'' if none."""
    text = _normalise(text)
    begins, ends = _markers(text)
    for _, (start, stop), kind in _regions(begins, ends, len(text)):
        got = _decode_body(_body_text(text[start:stop]), [], "block", kind != "open")
        if got:
            data, packets = got
            return data[packets[0][1]:packets[-1][3]]
    return b""

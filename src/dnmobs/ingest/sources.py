"""Turn the paths a user gives into source files: plain files, gzip files, archive members.

Archives are read member by member without ever writing a member's name to disk, so a
member called ``../../etc/passwd`` cannot escape; such names, links and devices are refused
with a reason, and caps on member count and sizes stop bombs. A damaged gzip stream gives
what could be decompressed plus a note saying where it broke.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import stat
import struct
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath

from dnmobs import DnmobsError

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"
HEAD_BYTES = 64 * 1024


@dataclass(frozen=True)
class Limits:
    """Caps that keep hostile archives from exhausting memory or disk."""

    max_members: int = 100_000
    max_member_bytes: int = 2 * 1024**3
    max_total_bytes: int = 50 * 1024**3
    max_ratio: int = 200  # uncompressed/compressed size beyond which a large member is a bomb
    max_depth: int = 2  # archives inside archives


@dataclass
class Note:
    """A record or file that could not be stored, and why; lands in quarantine."""

    location: str
    reason: str
    raw: str | None = None
    src: int = 0  # which source of a chunk it belongs to


@dataclass
class SourceFile:
    """One file to ingest, with where it came from. Content is read lazily; a gzip file on disk
    stays compressed until something needs its bytes (DuckDB reads .gz itself, faster)."""

    path: str  # display path: 'x.tar.gz!dir/file.csv'
    name: str  # base name without compression suffix, used for detection and dates
    member: str | None
    sha256: str
    size: int
    data: bytes | None = None  # content held in memory (archive members)
    file: Path | None = None  # or on disk
    parts: tuple[str, ...] = ()  # path components above the file, for dates in folder names
    notes: list[Note] = field(default_factory=list)
    gz: bool = False  # ``file`` is gzip-compressed
    transcoded: bool = False  # content already turned into UTF-8 (csvread.prepare), so a retry leaves it
    limits: Limits = field(default_factory=lambda: Limits())
    _temp: Path | None = None

    def head(self, n: int = HEAD_BYTES) -> bytes:
        if self.data is not None:
            return self.data[:n]
        with open(self.file, "rb") as fh:  # type: ignore[arg-type]
            if not self.gz:
                return fh.read(n)
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            out = b""
            for chunk in iter(lambda: fh.read(1 << 16), b""):
                try:
                    out += d.decompress(chunk, n - len(out))
                except zlib.error:
                    break
                if len(out) >= n or d.eof:
                    break
            return out

    def materialize(self) -> None:
        """Decompress a gzip file to a temp file, noting where a damaged stream broke."""
        if not self.gz:
            return
        fd, tmp = tempfile.mkstemp(prefix="dnmobs-", suffix="-" + _safe_suffix(self.name))
        with os.fdopen(fd, "wb") as out, open(self.file, "rb") as raw:  # type: ignore[arg-type]
            note = gunzip_tolerant(raw, self.limits.max_member_bytes, out)
        if note:
            self.notes.append(note)
        self.cleanup()
        self._temp = self.file = Path(tmp)
        self.gz = False

    def open(self) -> io.BufferedIOBase:
        if self.data is not None:
            return io.BytesIO(self.data)
        self.materialize()
        return open(self.file, "rb")  # type: ignore[arg-type]

    def read_bytes(self) -> bytes:
        if self.data is not None:
            return self.data
        self.materialize()
        return self.file.read_bytes()  # type: ignore[union-attr]

    def local_path(self) -> Path:
        """A real file with the decompressed content (written once, for readers that need one)."""
        self.materialize()
        if self.file is not None:
            return self.file
        fd, name = tempfile.mkstemp(prefix="dnmobs-", suffix="-" + _safe_suffix(self.name))
        with os.fdopen(fd, "wb") as fh:
            fh.write(self.data or b"")
        self._temp = self.file = Path(name)
        self.data = None
        return self.file

    def duckdb_path(self) -> Path:
        """A path DuckDB can scan: a .gz file as it is (DuckDB decompresses it), else local_path().
        A .gz that says it inflates beyond the caps is decompressed here instead, where the size
        cap stops it (DuckDB has no such cap)."""
        if self.gz and self.file is not None and self.file.name.lower().endswith(".gz") and not self._bomb_like():
            return self.file
        return self.local_path()

    def _bomb_like(self) -> bool:
        """Does the gzip trailer's size (ISIZE: the last member's size mod 4 GiB, so a hint, not a
        proof) exceed the member cap, or the ratio cap for anything over 10 MiB?"""
        try:
            with open(self.file, "rb") as fh:  # type: ignore[arg-type]
                fh.seek(-4, io.SEEK_END)
                isize = struct.unpack("<I", fh.read(4))[0]
        except (OSError, struct.error):
            return True
        lim = self.limits
        return isize > lim.max_member_bytes or (isize > 10 * 1024**2 and isize > lim.max_ratio * max(self.size, 1))

    def cleanup(self) -> None:
        if self._temp is not None:
            self._temp.unlink(missing_ok=True)
            self._temp = None

    @property
    def name_date(self) -> date | None:
        return date_in_name(self.name)

    @property
    def path_date(self) -> date | None:
        for part in reversed(self.parts):
            d = date_in_name(part)
            if d:
                return d
        return None


@dataclass
class InputGroup:
    """A top-level input: one plain file, or one archive with its members. Ingested in one transaction."""

    path: str
    files: Iterator[SourceFile]
    error: str | None = None  # set when the input cannot be read at all


def _safe_suffix(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)[-40:]


# --- dates in names ----------------------------------------------------------------------------

_ISO = re.compile(r"(?<!\d)(20\d\d|19\d\d)[-_.](\d\d)[-_.](\d\d)(?!\d)")
_EIGHT = re.compile(r"(?<!\d)(\d{8})(?!\d)")


def _mk(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d) if 1990 <= y <= 2100 else None
    except ValueError:
        return None


def date_in_name(name: str) -> date | None:
    """A date written in a file or folder name: 2014-04-06, 20170510 or 01032020 (day first)."""
    m = _ISO.search(name)
    if m:
        return _mk(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    for m in _EIGHT.finditer(name):
        s = m.group(1)
        d = _mk(int(s[:4]), int(s[4:6]), int(s[6:])) or _mk(int(s[4:]), int(s[2:4]), int(s[:2]))
        if d:
            return d
    return None


# --- hashing and decompression -----------------------------------------------------------------


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


GUNZIP_SLICE = 16 * 1024  # compressed bytes per step: on damage, at most one step's output is lost


def gunzip_tolerant(stream: io.BufferedIOBase, limit: int, out: io.BufferedIOBase) -> Note | None:
    """Decompress a gzip stream into ``out``; a broken or truncated stream keeps what came before it.

    zlib reports damage only when it meets it (a bad code) or at the member's end (a wrong check
    sum), and a call that fails returns nothing: so the input is fed in small slices and what each
    slice gave is written at once. Concatenated members are read one after the other."""
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    started = False  # has the current member been fed any bytes?
    written = offset = 0
    for chunk in iter(lambda: stream.read(1 << 20), b""):
        for at in range(0, len(chunk), GUNZIP_SLICE):
            data = chunk[at:at + GUNZIP_SLICE]
            where = offset + at
            while data:
                if not started and not data.strip(b"\x00"):
                    break  # zero padding after the last member
                started = True
                try:
                    piece = d.decompress(data, 1 << 20)
                except zlib.error as exc:
                    return Note(f"compressed byte {where}", f"corrupt gzip data ({exc}); data after this point is lost")
                if written + len(piece) > limit:
                    out.write(piece[: limit - written])
                    return Note(f"compressed byte {where}",
                                f"decompressed size exceeds the cap of {limit} bytes; the rest was skipped")
                written += len(piece)
                out.write(piece)
                if d.eof:  # concatenated members are valid gzip: start the next one
                    data = d.unused_data
                    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
                    started = False
                else:
                    data = d.unconsumed_tail
        offset += len(chunk)
    if started and not d.eof:
        return Note(f"compressed byte {offset}", "truncated gzip stream: the file ends inside compressed data; "
                    "records after the cut are lost")
    return None


# --- expansion of user paths -------------------------------------------------------------------


def expand(paths: list[str], limits: Limits = Limits()) -> Iterator[InputGroup]:
    """Every input group under the given paths, in a stable order."""
    for given in paths:
        p = Path(given)
        if p.is_dir():
            for sub in sorted(q for q in p.rglob("*") if q.is_file() and not _hidden(q, p)):
                yield _group_for_file(sub, str(sub), limits, parts=sub.relative_to(p.parent).parts[:-1])
        elif p.is_file():
            yield _group_for_file(p, given, limits, parts=p.parts[:-1])
        elif p.exists():
            yield InputGroup(given, iter(()), error=f"{given}: not a regular file")
        else:
            yield InputGroup(given, iter(()), error=f"{given}: no such file or directory")


def _hidden(q: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in q.relative_to(root).parts)


def _strip_gz(name: str) -> str:
    return name[:-3] if name.lower().endswith(".gz") else name


def _group_for_file(p: Path, display: str, limits: Limits, parts: tuple[str, ...]) -> InputGroup:
    try:
        with open(p, "rb") as fh:
            magic = fh.read(512)
    except OSError as exc:
        return InputGroup(display, iter(()), error=f"{display}: cannot read ({exc.strerror})")
    # members see the archive's own name as a folder, so a date in it reaches them
    if magic.startswith((ZIP_MAGIC, EMPTY_ZIP_MAGIC)) and zipfile.is_zipfile(p):
        return InputGroup(display, _zip_members(p, display, limits, (*parts, p.name), depth=1))
    if _is_tar(p, magic):
        return InputGroup(display, _tar_members(p, display, limits, (*parts, p.name), depth=1))
    return InputGroup(display, iter([_plain_file(p, display, limits, parts)]))


def _is_tar(p: Path, magic: bytes) -> bool:
    if len(magic) >= 262 and magic[257:262] == b"ustar":
        return True
    if magic.startswith(GZIP_MAGIC):  # a tar inside gzip, whatever the file is called
        with open(p, "rb") as fh:
            try:
                inner = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(fh.read(64 * 1024), 512)
            except zlib.error:
                return False
        return len(inner) >= 262 and inner[257:262] == b"ustar"
    return magic.startswith((b"BZh", b"\xfd7zXZ")) and ".tar" in p.name.lower()


def _plain_file(p: Path, display: str, limits: Limits, parts: tuple[str, ...]) -> SourceFile:
    gz = _starts_with(p, GZIP_MAGIC)
    return SourceFile(display, _strip_gz(p.name) if gz else p.name, None, sha256_file(p), p.stat().st_size,
                      file=p, parts=parts, gz=gz, limits=limits)


def _starts_with(p: Path, magic: bytes) -> bool:
    with open(p, "rb") as fh:
        return fh.read(len(magic)) == magic


def _unsafe_name(name: str) -> str | None:
    if "\x00" in name:
        return "member name contains a NUL byte"
    pure = PurePosixPath(name.replace("\\", "/"))
    if pure.is_absolute() or re.match(r"^[A-Za-z]:", name):
        return "absolute member path refused"
    if ".." in pure.parts:
        return "member path escapes the archive ('..') and was refused"
    return None


def _member_file(data: bytes, display: str, member: str, parts: tuple[str, ...],
                 limits: Limits, depth: int) -> Iterator[SourceFile]:
    """A member's bytes as source files: decompress .gz members, descend into nested archives."""
    name = PurePosixPath(member).name
    member_parts = parts + PurePosixPath(member).parts[:-1]
    if data[:4] in (ZIP_MAGIC, EMPTY_ZIP_MAGIC) or (len(data) > 262 and data[257:262] == b"ustar"):
        if depth >= limits.max_depth:
            yield SourceFile(display, name, member, hashlib.sha256(data).hexdigest(), len(data),
                             data=b"", parts=member_parts,
                             notes=[Note(member, "nested archive too deep; not opened")])
            return
        yield from _nested(data, display, member_parts, limits, depth + 1)
        return
    digest = hashlib.sha256(data).hexdigest()
    if data[:2] == GZIP_MAGIC:
        out = io.BytesIO()
        note = gunzip_tolerant(io.BytesIO(data), limits.max_member_bytes, out)
        inner = out.getvalue()
        if len(inner) > 262 and inner[257:262] == b"ustar" and depth < limits.max_depth:
            yield from _nested(inner, display, member_parts, limits, depth + 1)
            return
        sf = SourceFile(display, _strip_gz(name), member, digest, len(data), data=inner, parts=member_parts)
        if note:
            sf.notes.append(note)
        yield sf
        return
    yield SourceFile(display, name, member, digest, len(data), data=data, parts=member_parts)


def _nested(data: bytes, display: str, parts: tuple[str, ...], limits: Limits, depth: int) -> Iterator[SourceFile]:
    buf = io.BytesIO(data)
    if zipfile.is_zipfile(buf):
        yield from _zip_members(buf, display, limits, parts, depth)
    else:
        yield from _tar_members(buf, display, limits, parts, depth)


def _refused(display: str, member: str, reason: str, parts: tuple[str, ...]) -> SourceFile:
    """A placeholder source carrying only a note: the member is recorded in quarantine, not read."""
    return SourceFile(f"{display}!{member}", PurePosixPath(member.replace('\\', '/')).name or member,
                      member, hashlib.sha256(member.encode("utf-8", "replace")).hexdigest(), 0,
                      data=b"", parts=parts, notes=[Note(member, reason)])


def zip_entry_count(src) -> int | None:
    """The member count a zip's end record declares (zip64 too), read without indexing the
    members; None when there is no readable end record."""
    fh = open(src, "rb") if isinstance(src, (str, Path)) else src  # noqa: SIM115 (closed below when opened here)
    try:
        fh.seek(0, io.SEEK_END)
        size = fh.tell()
        fh.seek(max(0, size - (65535 + 22 + 20)))
        tail = fh.read()
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) < at + 22:
            return None
        count = struct.unpack_from("<H", tail, at + 10)[0]
        if count != 0xFFFF:
            return count
        loc = at - 20  # the zip64 locator sits right before the end record
        if loc < 0 or tail[loc:loc + 4] != b"PK\x06\x07":
            return None
        fh.seek(struct.unpack_from("<Q", tail, loc + 8)[0])
        rec = fh.read(56)
        return struct.unpack_from("<Q", rec, 32)[0] if rec[:4] == b"PK\x06\x06" and len(rec) >= 40 else None
    except (OSError, struct.error):
        return None
    finally:
        if fh is not src:
            fh.close()
        else:
            fh.seek(0)


def _zip_members(src, display: str, limits: Limits, parts: tuple[str, ...], depth: int) -> Iterator[SourceFile]:
    # A zip is indexed whole before its first member can be read (zipfile parses the central
    # directory up front): with a million members that alone takes seconds and a gigabyte, so an
    # archive declaring more members than the cap is refused before it is opened.
    declared = zip_entry_count(src)
    if declared is not None and declared > limits.max_members:
        raise DnmobsError(f"{display}: archive has {declared:,} members, more than the cap of "
                          f"{limits.max_members:,}; not read (split it, or raise the cap)")
    try:
        zf = zipfile.ZipFile(src)
    except (zipfile.BadZipFile, OSError) as exc:
        raise DnmobsError(f"{display}: unreadable zip archive ({exc})") from None
    total = 0
    with zf:
        infos = zf.infolist()
        for count, info in enumerate(infos):
            if count >= limits.max_members:
                yield _refused(display, f"(members {count + 1}..{len(infos)})",
                               f"archive has {len(infos)} members, more than the cap of {limits.max_members}; "
                               "the rest were not read", parts)
                return
            if info.is_dir():
                continue
            bad = _unsafe_name(info.filename)
            mode = (info.external_attr >> 16) & 0o170000
            if not bad and mode and not stat.S_ISREG(mode):
                bad = "not a regular file (link or device); refused"
            if not bad and info.file_size > limits.max_member_bytes:
                bad = f"member of {info.file_size} bytes exceeds the cap of {limits.max_member_bytes}"
            if not bad and info.file_size > 10 * 1024**2 and info.file_size > limits.max_ratio * max(info.compress_size, 1):
                bad = (f"compression ratio {info.file_size // max(info.compress_size, 1)}:1 looks like a zip bomb; "
                       "member refused")
            if not bad and total + info.file_size > limits.max_total_bytes:
                bad = f"archive content exceeds the cap of {limits.max_total_bytes} bytes; member refused"
            if bad:
                yield _refused(display, info.filename, bad, parts)
                continue
            try:
                with zf.open(info) as fh:
                    data = fh.read(limits.max_member_bytes + 1)
            except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
                yield _refused(display, info.filename, f"cannot decompress member: {exc}", parts)
                continue
            if len(data) > limits.max_member_bytes:
                yield _refused(display, info.filename, "member larger than its header says; refused", parts)
                continue
            total += len(data)
            yield from _member_file(data, f"{display}!{info.filename}", info.filename, parts, limits, depth)


def _tar_members(src, display: str, limits: Limits, parts: tuple[str, ...], depth: int) -> Iterator[SourceFile]:
    try:
        # streaming mode: members are read in order, without loading an index of them all
        tf = tarfile.open(fileobj=src, mode="r|*") if not isinstance(src, Path) else tarfile.open(src, mode="r|*")  # noqa: SIM115
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise DnmobsError(f"{display}: unreadable tar archive ({exc})") from None
    total = 0
    count = 0
    with tf:
        members = iter(tf)
        while True:
            try:
                info = next(members)
            except StopIteration:
                return
            except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
                yield _refused(display, f"(after member {count})",
                               f"archive is damaged after {count} members ({exc}); the rest could not be read", parts)
                return
            if info.isdir():
                continue
            count += 1
            if count > limits.max_members:
                yield _refused(display, f"(member {count} onwards)",
                               f"archive has more than {limits.max_members} members (the cap); the rest were not read",
                               parts)
                return
            bad = _unsafe_name(info.name)
            if not bad and not info.isfile():
                bad = "not a regular file (link or device); refused"
            if not bad and info.size > limits.max_member_bytes:
                bad = f"member of {info.size} bytes exceeds the cap of {limits.max_member_bytes}"
            if not bad and total + info.size > limits.max_total_bytes:
                bad = f"archive content exceeds the cap of {limits.max_total_bytes} bytes; member refused"
            if bad:
                yield _refused(display, info.name, bad, parts)
                continue
            try:
                fh = tf.extractfile(info)
                data = fh.read() if fh else b""
            except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
                yield _refused(display, info.name, f"member is damaged ({exc}); the rest could not be read", parts)
                return
            if len(data) < info.size:
                yield _refused(display, info.name,
                               f"archive ends inside this member ({len(data)} of {info.size} bytes)", parts)
                return
            total += len(data)
            yield from _member_file(data, f"{display}!{info.name}", info.name, parts, limits, depth)

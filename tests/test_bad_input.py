"""Hostile and broken input: each case ends as a one-line error or quarantine rows with reasons, never a
traceback, and the records before and after the bad part are kept. Every fixture is generated here."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import struct
import subprocess
import tarfile
import zipfile
import zlib
from pathlib import Path

import pytest

from dnmobs.ingest import Options, ingest, sources
from dnmobs.ingest.sources import Limits

ROOT = Path(__file__).resolve().parent.parent
HEADER = ["", "name", "price", "from", "to", "vendor", "cat_hash", "cat", "date"]  # agora-ada, a simple CSV layout


def snapshot(rows: list[str], day: str = "2014-05-01") -> bytes:
    """An agora-ada snapshot whose records are titled by ``rows``."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(HEADER)
    for i, title in enumerate(rows):
        w.writerow([i, title, "0.01", "Atlantis", "Worldwide", "quietfox", "h", "Drugs/Other", day])
    return buf.getvalue().encode()


def titles(con) -> set[str]:
    return {t for (t,) in con.execute("SELECT title FROM observations").fetchall()}


def reconciled(rep) -> bool:
    return all(s.read == s.stored + s.quarantined + s.skipped for s in rep.sources)


def one_line(errors: list[str]) -> bool:
    return all(e and "\n" not in e and "Traceback" not in e for e in errors)


def good_file(tmp_path: Path, name: str, title: str) -> Path:
    p = tmp_path / name
    p.write_bytes(snapshot([title]))
    return p


def test_truncated_gzip_keeps_what_came_before(con, tmp_path):
    data = gzip.compress(snapshot([f"early record {i}" for i in range(3000)]))
    cut = tmp_path / "2014-05-01_cut.csv.gz"
    cut.write_bytes(data[: len(data) * 2 // 3])
    before, after = good_file(tmp_path, "a-2014-05-01.csv", "before"), good_file(tmp_path, "z-2014-05-01.csv", "after")
    rep = ingest(con, [str(before), str(cut), str(after)], Options(extract=False))
    assert reconciled(rep)
    got = titles(con)
    assert {"before", "after", "early record 0", "early record 1000"} <= got
    s = next(s for s in rep.sources if s.path == str(cut))
    assert s.stored > 1000 and s.quarantined >= 1
    reasons = [r for (r,) in con.execute("SELECT reason FROM quarantine").fetchall()]
    assert any("truncated gzip" in r for r in reasons) and one_line(reasons)


def test_broken_quote_costs_only_the_damaged_records(con, tmp_path):
    lines = snapshot([f"row {i}" for i in range(10)]).decode().splitlines(keepends=True)
    lines.insert(6, '99,"unclosed quote title,0.01,Atlantis,Worldwide,quietfox,h,Drugs/Other,2014-05-01\n')
    f = tmp_path / "2014-05-01_quote.csv"
    f.write_text("".join(lines))
    rep = ingest(con, [str(f)], Options(extract=False))
    assert reconciled(rep)
    got = titles(con)
    assert {"row 0", "row 4"} <= got  # before the damage
    assert "row 9" in got  # and after it
    s = rep.sources[0]
    assert s.quarantined >= 1 and s.stored >= 8
    reasons = [r for (r,) in con.execute("SELECT reason FROM quarantine").fetchall()]
    assert one_line(reasons) and any("CSV" in r or "quote" in r for r in reasons)


def test_binary_unknown_and_empty_files(con, tmp_path):
    binary = tmp_path / "image.csv"
    binary.write_bytes(bytes(range(256)) * 64)
    unknown = tmp_path / "notes.csv"
    unknown.write_text("colour,shape\nred,round\n")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    good = good_file(tmp_path, "ok-2014-05-01.csv", "kept")
    rep = ingest(con, [str(binary), str(unknown), str(empty), str(good)], Options(extract=False))
    assert reconciled(rep) and titles(con) == {"kept"}
    errs = {Path(s.path).name: s.error for s in rep.sources if s.error}
    assert set(errs) == {"image.csv", "notes.csv", "empty.csv"} and one_line(list(errs.values()))
    assert "binary" in errs["image.csv"] and "unknown format" in errs["notes.csv"] and "empty" in errs["empty.csv"]


def test_forced_format_on_the_wrong_file(con, tmp_path):
    f = tmp_path / "notes.csv"
    f.write_text("colour,shape\nred,round\n")
    rep = ingest(con, [str(f)], Options(extract=False, format="agora-ada"))
    assert reconciled(rep) and rep.totals["stored"] == 0 and rep.totals["quarantined"] >= 1
    reasons = [r for (r,) in con.execute("SELECT reason FROM quarantine").fetchall()]
    assert one_line(reasons) and any("not an agora-ada file" in r for r in reasons)


def test_ten_megabyte_record(con, tmp_path):
    data = snapshot(["first"]) + b"1," + b"x" * (10 * 1024 * 1024) + b",0.01,,,v,h,c,2014-05-01\n" + \
        snapshot(["last"]).split(b"\n", 1)[1]
    f = tmp_path / "2014-05-01_huge.csv"
    f.write_bytes(data)
    rep = ingest(con, [str(f)], Options(extract=False))
    assert reconciled(rep) and titles(con) == {"first", "last"}
    assert rep.sources[0].quarantined == 1
    reason, raw = con.execute("SELECT reason, raw FROM quarantine").fetchone()
    assert one_line([reason]) and ("cap" in reason or "maximum" in reason) and len(raw or "") <= 64 * 1024


def test_archive_members_escaping_or_linking_are_refused(con, tmp_path):
    arc = tmp_path / "bundle-2014-05-01.tar.gz"
    with tarfile.open(arc, "w:gz") as tf:
        for name, data in [("ok/first.csv", snapshot(["first member"])), ("../../escape.csv", snapshot(["evil"])),
                           ("/abs/path.csv", snapshot(["absolute"])), ("ok/last.csv", snapshot(["last member"]))]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("ok/link.csv")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tf.addfile(link)
    z = tmp_path / "bundle-2014-05-02.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("inner/../../zip-escape.csv", snapshot(["zip evil"]))
        zf.writestr("inner/good.csv", snapshot(["zip good"]))
    rep = ingest(con, [str(arc), str(z)], Options(extract=False))
    assert reconciled(rep)
    assert titles(con) == {"first member", "last member", "zip good"}
    assert not (tmp_path.parent / "escape.csv").exists() and not (tmp_path / "zip-escape.csv").exists()
    reasons = [r for (r,) in con.execute("SELECT reason FROM quarantine").fetchall()]
    assert one_line(reasons)
    assert sum("escapes the archive" in r for r in reasons) == 2
    assert any("absolute" in r for r in reasons) and any("link" in r for r in reasons)


def test_zip_bomb_is_refused(con, tmp_path):
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a-2014-05-01.csv", snapshot(["beside the bomb"]))
        zf.writestr("zeros.csv", b"\0" * (64 * 1024 * 1024))  # 64 MiB from about 64 KiB
    assert bomb.stat().st_size < 1024 * 1024
    rep = ingest(con, [str(bomb)], Options(extract=False))
    assert reconciled(rep) and titles(con) == {"beside the bomb"}
    reasons = [r for (r,) in con.execute("SELECT reason FROM quarantine").fetchall()]
    assert one_line(reasons) and any("zip bomb" in r for r in reasons)


def test_gzip_bomb_stops_at_the_size_cap(con, tmp_path):
    # a .gz that inflates far beyond the cap: decompression stops there, with a reason
    bomb = tmp_path / "2014-05-01_bomb.csv.gz"
    raw = snapshot(["before the flood"]) + b"y" * (40 * 1024 * 1024)
    bomb.write_bytes(gzip.compress(raw, compresslevel=1))
    limits = Limits(max_member_bytes=8 * 1024 * 1024)
    rep = ingest(con, [str(bomb)], Options(extract=False, limits=limits))
    assert reconciled(rep)
    reasons = [r for (r,) in con.execute("SELECT reason FROM quarantine").fetchall()]
    assert one_line(reasons) and any("cap" in r for r in reasons)
    assert "before the flood" in titles(con)


def _zip_with_empty_members(path: Path, n: int) -> None:
    """A zip of ``n`` empty stored members, written directly (zipfile would take minutes)."""
    with open(path, "wb") as fh:
        central = io.BytesIO()
        offset = 0
        for i in range(n):
            name = b"m%07d" % i
            local = struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, 0, 0, 0, 0, 0, 0, 0, len(name), 0) + name
            fh.write(local)
            central.write(struct.pack("<4s6H3I5H2I", b"PK\x01\x02", 20, 20, 0, 0, 0, 0, 0, 0, 0, len(name), 0, 0, 0,
                                      0, 0, offset) + name)
            offset += len(local)
        cd = central.getvalue()
        fh.write(cd)
        # zip64 end records: more than 65,535 entries
        fh.write(struct.pack("<4sQ2H2I4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, n, n, len(cd), offset))
        fh.write(struct.pack("<4sIQI", b"PK\x06\x07", 0, offset + len(cd), 1))
        fh.write(struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0))


def test_zip_with_a_million_members_is_refused_quickly(con, tmp_path, monkeypatch):
    arc = tmp_path / "confetti.zip"
    _zip_with_empty_members(arc, 1_000_000)
    assert sources.zip_entry_count(arc) == 1_000_000
    good = good_file(tmp_path, "ok-2014-05-01.csv", "kept")

    def never(*a, **k):
        raise AssertionError("the archive was indexed: the cap must refuse it from its end record")

    monkeypatch.setattr(sources.zipfile, "ZipFile", never)
    rep = ingest(con, [str(arc), str(good)], Options(extract=False))  # the default cap
    assert reconciled(rep) and titles(con) == {"kept"}
    errs = [s.error for s in rep.sources if s.error]
    assert len(errs) == 1 and one_line(errs) and "1000000 members" in errs[0].replace(",", "")


def _tar_gz_with_members(path: Path, n: int, member: bytes) -> None:
    """A tar.gz of ``n`` copies of ``member`` under distinct names: one header built by tarfile,
    then its name digits and checksum patched per member (tarfile itself would take a minute)."""
    info = tarfile.TarInfo("d/0000000.csv")
    info.size, info.mtime = len(member), 0
    header = bytearray(info.tobuf(format=tarfile.USTAR_FORMAT))
    base = int(header[148:154], 8) - sum(b"0000000")
    tail = member + b"\0" * (-len(member) % 512)
    with gzip.open(path, "wb", compresslevel=1) as gz:
        for block in range(0, n, 10_000):
            out = []
            for i in range(block, min(n, block + 10_000)):
                digits = b"%07d" % i
                header[2:9] = digits
                header[148:156] = b"%06o\0 " % (base + sum(digits))
                out.append(bytes(header))
                out.append(tail)
            gz.write(b"".join(out))
        gz.write(b"\0" * 1024)


def test_tar_with_a_million_members_stops_at_the_cap(con, tmp_path):
    arc = tmp_path / "confetti-2014-05-01.tar.gz"
    _tar_gz_with_members(arc, 1_000_000, snapshot(["tiny"]))
    with tarfile.open(arc) as tf:  # the generator writes a valid archive
        first = tf.next()
        assert first is not None and first.name == "d/0000000.csv" and tf.extractfile(first).read() == \
            snapshot(["tiny"])
    limits = Limits(max_members=300)
    rep = ingest(con, [str(arc)], Options(extract=False, limits=limits))  # reads 301 members, not a million
    assert reconciled(rep)
    assert len(rep.sources) == 301  # the members under the cap, and one record of the refusal
    assert titles(con) == {"tiny"}
    reasons = [r for (r,) in con.execute("SELECT reason FROM quarantine").fetchall()]
    assert one_line(reasons) and any("more than 300 members" in r for r in reasons)


def test_damaged_zip_and_tar_are_one_line_errors(con, tmp_path):
    z = tmp_path / "broken.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("a-2014-05-01.csv", snapshot(["zipped"]))
    z.write_bytes(z.read_bytes()[:-30])  # the central directory's end is cut
    t = tmp_path / "broken.tar"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for name, title in [("a-2014-05-01.csv", "first tar"), ("b-2014-05-01.csv", "second tar")]:
            data = snapshot([title] * 200)
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    t.write_bytes(buf.getvalue()[:-5000])  # the second member is cut
    good = good_file(tmp_path, "ok-2014-05-01.csv", "kept")
    rep = ingest(con, [str(z), str(t), str(good)], Options(extract=False))
    assert reconciled(rep) and {"kept", "first tar"} <= titles(con)
    errs = [s.error for s in rep.sources if s.error]
    assert errs and one_line(errs)


def test_a_format_reader_that_fails_costs_only_its_source(con, tmp_path):
    # a Mac Roman AlphaBay file forced through a UTF-8 format, and a CSV whose header is a 5 MB line
    mac = tmp_path / "Weapons_-_20170509.csv"
    mac.write_bytes(b"category_link,listing_title\r\nWeapons,\xe4\xd6\x83 Thing\r\n")
    wide = tmp_path / "wide-2014-05-01.csv"
    wide.write_bytes(b"x" * (5 * 1024 * 1024) + b"\n1,2\n")
    good = good_file(tmp_path, "ok-2014-05-01.csv", "kept")
    rep = ingest(con, [str(mac), str(wide), str(good)], Options(extract=False, format="agora-ada"))
    assert reconciled(rep) and titles(con) == {"kept"}
    assert one_line([r for (r,) in con.execute("SELECT reason FROM quarantine").fetchall()])


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "60"}  # a narrow terminal must not wrap an error
    return subprocess.run([str(ROOT / ".venv/bin/dnmobs"), "--db", str(tmp_path / "cli.duckdb"), "ingest", *args,
                           "--json", "--no-extract"], capture_output=True, text=True, timeout=300, env=env)


def test_cli_bad_files_give_one_line_errors_and_exit_1(tmp_path):
    binary = tmp_path / "blob.bin"
    binary.write_bytes(os.urandom(4096))
    cut = tmp_path / "2014-05-01_cut.csv.gz"
    cut.write_bytes(gzip.compress(snapshot([f"r{i}" for i in range(2000)]))[:5000])
    good = good_file(tmp_path, "ok-2014-05-01.csv", "kept")
    run = _cli(tmp_path, str(binary), str(tmp_path / "missing.csv"), str(cut), str(good))
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 3 and all(line.startswith("error: ") for line in lines)
    assert any("binary" in line for line in lines) and any("no such file" in line for line in lines)
    assert any(cut.name in line and "truncated gzip" in line for line in lines)
    summary = json.loads(run.stdout)
    by = {Path(s["path"]).name: s for s in summary["sources"]}
    # the cut gzip is a damaged file (one error line) whose records before the cut are stored
    assert by[cut.name]["stored"] > 0 and by[cut.name]["quarantined"] >= 1 and by[good.name]["stored"] == 1
    for s in summary["sources"]:
        assert s["read"] == s["stored"] + s["quarantined"] + s["skipped"]


def test_cli_million_member_zip_exits_1_with_one_line(tmp_path):
    arc = tmp_path / "confetti.zip"
    _zip_with_empty_members(arc, 1_000_000)
    run = _cli(tmp_path, str(arc))
    assert run.returncode == 1 and "Traceback" not in run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "members" in lines[0]


def test_cli_user_mistakes(tmp_path):
    f = good_file(tmp_path, "ok-2014-05-01.csv", "kept")
    for args, needle in [(["--format", "nope", str(f)], "unknown format 'nope'"),
                         (["--crawl-date", "2014-13-01", str(f)], "--crawl-date"),
                         (["--format", "mapped", "--mapping", str(tmp_path / "absent.toml"), str(f)], "not found")]:
        run = _cli(tmp_path, *args)
        assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1 and needle in lines[0]


@pytest.mark.parametrize("damage", ["flip", "zero-run"])
def test_corrupt_gzip_in_the_middle(con, tmp_path, damage):
    data = bytearray(gzip.compress(snapshot([f"row {i}" for i in range(5000)]), compresslevel=6))
    mid = len(data) // 2
    if damage == "flip":
        for i in range(mid, mid + 64):
            data[i] ^= 0xFF
    else:
        data[mid:mid + 4096] = b"\0" * 4096
    f = tmp_path / "2014-05-01_corrupt.csv.gz"
    f.write_bytes(bytes(data))
    rep = ingest(con, [str(f)], Options(extract=False))
    assert reconciled(rep)
    assert "row 0" in titles(con)
    reasons = [r for (r,) in con.execute("SELECT reason FROM quarantine").fetchall()]
    assert reasons and one_line(reasons)


def test_zlib_sanity():
    # the bomb fixtures rely on deflate squeezing zeros about a thousandfold
    assert len(zlib.compress(b"\0" * (1 << 20))) < 4096

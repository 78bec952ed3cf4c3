"""csvread's record splitter: a stray quote costs exactly its own record, in linear time."""

from __future__ import annotations

import csv
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from dnmobs.ingest.csvread import _records

FIELD = st.text(alphabet=st.sampled_from('ab ,"xyz'), max_size=8)


def lines_of(text: str):
    return enumerate(io.StringIO(text, newline="").readlines(), start=1)


def write(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def good_records(text: str, width: int) -> list[list[str]]:
    return [rec for _, _, rec, _ in _records(lines_of(text), ",", lambda: width) if rec is not None]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(FIELD, min_size=3, max_size=3), min_size=1, max_size=30))
def test_clean_csv_round_trips(rows):
    assert good_records(write(rows), 3) == rows


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.text(alphabet="abc xyz", max_size=6), min_size=3, max_size=3), min_size=2, max_size=30),
       st.data())
def test_a_stray_quote_costs_only_its_record(rows, data):
    k = data.draw(st.integers(0, len(rows) - 1))
    lines = write(rows).splitlines(keepends=True)
    pos = data.draw(st.integers(0, len(lines[k]) - 1))
    lines[k] = lines[k][:pos] + '"' + lines[k][pos:]
    got = good_records("".join(lines), 3)
    assert got == rows[:k] + rows[k + 1:]


def test_multiline_quoted_fields_are_kept():
    rows = [["1", "first\nsecond line", "x"], ["2", 'say "hi"\r\nthen', "y"], ["3", "", "z"]]
    text = 'a,b,c\n' + write(rows)
    got = [rec for _, _, rec, _ in _records(lines_of(text), ",", lambda: 3) if rec is not None]
    assert got[1:] == [["1", "first\nsecond line", "x"], ["2", 'say "hi"\r\nthen', "y"], ["3", "", "z"]]


def test_bad_lines_in_a_row_are_one_note():
    text = "a,b,c\n1,2,3\nbad\nworse\n4,5,6\n"
    out = list(_records(lines_of(text), ",", lambda: 3))
    bad = [(first, last, raw) for first, last, rec, raw in out if rec is None]
    assert len(bad) == 1 and bad[0][:2] == (3, 4) and bad[0][2][0] == "bad\nworse\n"


def test_unclosed_quotes_everywhere_stay_linear(monkeypatch):
    # every line opens a quote, and two such lines never make a record of the right width: each
    # line is bad, and the text handed to the CSV parser stays within a small multiple of the input
    import dnmobs.ingest.csvread as csvread

    parsed = [0]
    real = csvread.csv.reader

    def counting(f, *a, **k):
        parsed[0] += len(f.getvalue())
        return real(f, *a, **k)

    monkeypatch.setattr(csvread.csv, "reader", counting)
    for n in (2_000, 8_000):
        text = "a,b,c\n" + 'x,"y\n' * n
        parsed[0] = 0
        out = list(_records(lines_of(text), ",", lambda: 3))
        assert [rec for _, _, rec, _ in out if rec is not None] == [["a", "b", "c"]]
        assert parsed[0] <= 3 * len(text)


TRICKY = {
    "plain.csv": "a,b,c\n1,2,3\n4,,6\n",
    "crlf_multiline.csv": 'a,b,c\r\n1,"two\r\nlines",3\r\n"4","say ""hi""",6\r\n',
    "bom_unicode.csv": "\ufeffa,b,c\n1,\"Порошок 0,5г\",€\n2,★,\n",
    "stray_quote.csv": 'a,b,c\n1,2,3\n4,"5,6\n7,8,9\n10,11,12\n',
    "wrong_width.csv": "a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n",
    "other_header.csv": "c,a,d\nx,y,z\n",
}


def read_both(tmp_path, monkeypatch):
    """The same files through DuckDB and through the Python reader: (rows, notes) for each."""
    import duckdb

    from dnmobs.ingest import csvread
    from dnmobs.ingest.sources import expand

    paths = []
    for name, text in TRICKY.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        paths.append(str(tmp_path / name))
    out = {}
    for mode, small in (("duckdb", 0), ("python", 1 << 30)):
        monkeypatch.setattr(csvread, "SMALL_GROUP_BYTES", small)
        srcs = [f for g in expand(paths) for f in g.files]
        con = duckdb.connect()
        t = csvread.read_tables(con, srcs)
        cols = ", ".join(f'"{c}"' for c in t.columns)
        rows = con.execute(f'SELECT src, {cols} FROM "{t.name}" ORDER BY src, _row').fetchall()
        out[mode] = (t.columns, rows, sorted((n.src, n.location.split()[-1].split("-")[0]) for n in t.notes))
        t.drop(con)
    return out


def test_duckdb_and_python_readers_agree(tmp_path, monkeypatch):
    out = read_both(tmp_path, monkeypatch)
    duck, py = out["duckdb"], out["python"]
    assert set(duck[0]) == set(py[0]) == {"a", "b", "c", "d"}
    assert sorted(duck[1], key=repr) == sorted(py[1], key=repr)
    srcs = {name: i for i, name in enumerate(TRICKY)}
    got = {(r[0], r[duck[0].index("a") + 1]) for r in duck[1]}
    # the stray quote costs its own line only; wrong widths cost their lines
    assert {(srcs["stray_quote.csv"], v) for v in ("1", "7", "10")} <= got
    assert (srcs["stray_quote.csv"], "4") not in got
    assert {(srcs["wrong_width.csv"], v) for v in ("1", "10")} <= got
    # the same files have notes (Python merges adjacent bad lines into one note, DuckDB does not)
    assert {n[0] for n in duck[2]} == {n[0] for n in py[2]} == {srcs["stray_quote.csv"], srcs["wrong_width.csv"]}

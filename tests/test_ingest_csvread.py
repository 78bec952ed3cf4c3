"""csvread's record splitter: a stray quote costs exactly its own record, in linear time."""

from __future__ import annotations

import csv
import io
import time

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


def test_unclosed_quotes_everywhere_stay_linear():
    # every line opens a quote, and two such lines never make a record of the right width:
    # each line is bad, and the work stays linear
    for n in (2_000, 8_000):
        text = "a,b,c\n" + 'x,"y\n' * n
        t0 = time.perf_counter()
        out = list(_records(lines_of(text), ",", lambda: 3))
        elapsed = time.perf_counter() - t0
        assert [rec for _, _, rec, _ in out if rec is not None] == [["a", "b", "c"]]
        if n == 2_000:
            small = elapsed
    assert elapsed < max(small, 0.01) * 12  # 4x the input: far from 16x

"""Extraction on slices of the real labelled data in ../shared (skipped when absent). The full
scores are in bench/eval_extraction.py; these slices guard against regressions and stay fast."""

from __future__ import annotations

import csv
import io
import re

import pytest

from dnmobs.extract import parse_listing

pytestmark = pytest.mark.shared


def _share(hits: int, n: int) -> float:
    return hits / n if n else 0.0


def test_dream_cocaine_slice(shared_data):
    with open(shared_data / "dream-2017-cocaine" / "listings-dev.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))[::4]
    grams = purity = cocaine = n = 0
    for r in rows:
        title = r["product_title"]
        if re.search(r"\d,\d", title):  # the labels misread decimal commas ('0,5 g' labelled 5): judged apart
            continue
        o = parse_listing(title)
        n += 1
        grams += o.grams is not None and abs(o.grams - float(r["grams"])) <= 0.015 * float(r["grams"])
        purity += o.purity_pct is not None and abs(o.purity_pct - float(r["quality"])) < 0.01
        cocaine += o.substance == "cocaine"
    assert n > 150
    assert _share(grams, n) >= 0.97
    assert _share(purity, n) >= 0.93
    assert _share(cocaine, n) >= 0.98


def test_alphabay_prices_and_drug_split(shared_data):
    folder = shared_data / "alphabay-2017" / "scrape-dev"
    seen = usd_ok = usd_n = drug_ok = 0
    for name in ("D&C_-_stims_-_cocaine_-_20170420.csv", "Weapons_-_20170509.csv",
                 "Guides_&_tutorials_-_20170508.csv"):
        text = (folder / name).read_bytes().decode("mac_roman")  # a legacy 8-bit encoding
        for r in list(csv.DictReader(io.StringIO(text, newline="")))[:150]:
            o = parse_listing(r["listing_title"], price=r["listing_price"])
            seen += 1
            drug = r["category_id"] == "Drugs & Chemicals"
            drug_ok += o.is_drug is drug
            m = re.search(r"USD\s*([\d,]+\.\d\d)", r["listing_price"])
            if m:
                usd_n += 1
                usd_ok += o.price_usd is not None and round(o.price_usd, 2) == float(m.group(1).replace(",", ""))
    assert seen >= 400
    assert usd_ok == usd_n > 0
    assert _share(drug_ok, seen) >= 0.93


def test_matanga_grams(shared_data):
    base = shared_data / "matanga-2020"
    with open(base / "scrapes-dev" / "output_01032020_030252.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    n = ok = 0
    for r in rows:
        title, w = r["description"], re.match(r"([\d.]+)\s*гр", r["вес"] or "")
        if not w or not re.search(r"\d\s*(g|gr|gram|гр|г|грамм)\b", title, re.I):
            continue
        n += 1
        o = parse_listing(title)
        ok += o.grams is not None and abs(o.grams - float(w.group(1))) < 1e-6
    assert n >= 30 and _share(ok, n) >= 0.9

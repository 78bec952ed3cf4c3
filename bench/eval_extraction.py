"""Accuracy of the extraction engine on the labelled data in ../shared, beside a baseline.

Datasets and labels (read directly from the files, not through ingest):
- Dream 2017 cocaine: ``grams`` (within 1.5 %), ``quality`` (purity, exact), substance cocaine.
  The labels read decimal commas wrongly ('0,5 g' labelled 5) and read purity ranges by the number
  carrying the % sign ('90-95%' -> 95 but '89%-92%' -> 89): such disagreements are judged on their
  own lines, not fitted.
- AlphaBay 2017: the market's category path. is_drug (Drugs & Chemicals except Paraphernalia);
  substance_class where the category names a class; substance where it names one substance;
  price_usd equal to the displayed USD to the cent.
- Matanga 2020: ``вес`` (grams) where the title states a mass; the researchers' ``sub`` label for
  substance (rows labelled Unknown are not scored).

Baseline: price-parser (prices) + quantulum3 (quantities, percentages); it has no notion of
substances. Usage: ``python bench/eval_extraction.py`` (prints a table; exits 0).

AlphaBay's labels are where vendors filed their listings, so a miss may be the vendor's error. The
judged sample measures that: a seeded random sample of the substance_class and substance misses
(rows ordered by a keyed hash, so the sample moves little when the engine changes) is looked up in
``eval_extraction_judged.tsv``: a human's verdict on each (label-error / ours / ambiguous), keyed
by a hash of the title and its label (no title text is stored: the data may not be committed).
The bench then estimates the accuracy against the truth with a 95% interval (Wilson, on the share
of misses that are label errors). ``--sample`` prints the sampled misses with their titles and
verdicts, for judging; unjudged ones are counted apart, never guessed.
"""

from __future__ import annotations

import csv
import glob
import hashlib
import io
import math
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT / "src"))

from dnmobs.extract import parse_listing  # noqa: E402

ALPHABAY_CLASS = {"Benzos": "benzodiazepines", "Cannabis & Hashish": "cannabis", "Dissociatives": "dissociatives",
                  "Ecstasy": "empathogens", "Opioids": "opioids", "Psychedelics": "psychedelics",
                  "Steroids": "steroids", "Stimulants": "stimulants"}
ALPHABAY_SUBSTANCE = {("Stimulants", "Cocaine"): "cocaine", ("Stimulants", "Crack"): "cocaine",
                      ("Stimulants", "Meth"): "methamphetamine", ("Stimulants", "Speed"): "amphetamine",
                      ("Opioids", "Heroin"): "heroin", ("Ecstasy", "MDMA"): "mdma", ("Ecstasy", "Pills"): "mdma",
                      ("Ecstasy", "MDA"): "mda", ("Psychedelics", "LSD"): "lsd", ("Psychedelics", "DMT"): "dmt",
                      ("Psychedelics", "2C-B"): "2c-b", ("Psychedelics", "Shrooms"): "psilocybin",
                      ("Psychedelics", "Mescaline"): "mescaline", ("Dissociatives", "Ketamine"): "ketamine"}
MATANGA_SUBSTANCE = {"Cannabis": "cannabis", "Cocaine": "cocaine", "MDMA": "mdma", "25i-NBOMe": "25i-nbome",
                     "Methadone": "methadone", "LSD": "lsd", "Buprenorphine": "buprenorphine", "Heroin": "heroin",
                     "Amphetamine": "amphetamine", "A-PVP": "a-pvp", "Ketamine": "ketamine",
                     "Mephedrone": "mephedrone", "Methamphetamine": "methamphetamine",
                     "Bupropion Hydrochloride": "bupropion"}
# A title "states a mass": a number with a unit of mass (the bench's own rule, independent of the engine).
STATES_MASS = re.compile(r"(?<![\w.,])(\d+(?:[.,]\d+)?|[.,]\d+)\s*(?:g|gr|grs|gram|grams|gramm|gramma|grm|gms|gm|"
                         r"kg|kilo|oz|г|гр|грам|грамм|грамма|граммов)(?![a-zа-я])", re.I)


@dataclass
class Score:
    n: int = 0
    ok: int = 0
    base_ok: int | None = None
    judged: Counter = field(default_factory=Counter)   # reason -> count of label disagreements judged
    misses: list = field(default_factory=list)
    judge: str | None = None    # the field's name in the judgements file: every miss is kept for the sample
    all_misses: list = field(default_factory=list)   # (title, label, ours) of every miss, when judged

    def add(self, ok: bool, base_ok: bool | None = None, miss=None) -> None:
        self.n += 1
        self.ok += ok
        if base_ok is not None:
            self.base_ok = (self.base_ok or 0) + base_ok
        if not ok and miss is not None and len(self.misses) < 12:
            self.misses.append(miss)

    def pct(self, k: int | None) -> str:
        return "—" if k is None or not self.n else f"{100 * k / self.n:6.2f}%"


# --- judged sample of the AlphaBay misses --------------------------------------------------------

JUDGED = Path(__file__).resolve().parent / "eval_extraction_judged.tsv"
SAMPLE_SIZE = 60
SAMPLE_SEED = "alphabay-2017"
VERDICTS = ("label-error", "ours", "ambiguous")


def miss_key(title: str, label: str) -> str:
    """The key of a judged miss: a hash of the title and its label, never the text."""
    return hashlib.sha256(f"{title}\x1f{label}".encode()).hexdigest()[:16]


def load_judged(path: Path = JUDGED) -> dict[tuple[str, str], tuple[str, str]]:
    """(field, key) -> (verdict, why) from the judgements file (tab-separated, # comments)."""
    out: dict[tuple[str, str], tuple[str, str]] = {}
    if not path.exists():
        return out
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fld, key, verdict, why = [*line.split("\t"), "", "", ""][:4]
        if verdict not in VERDICTS:
            raise SystemExit(f"{path.name}:{n}: verdict {verdict!r} is not one of {VERDICTS}")
        out[(fld, key)] = (verdict, why)
    return out


def sample_misses(misses: list[tuple[str, str, str]], k: int = SAMPLE_SIZE) -> list[tuple[str, str, str, str]]:
    """A seeded random sample of k miss rows (title, label, ours) + their key. Rows are ordered by a
    hash of the seed, the key and the row's occurrence, so that a miss fixed or added changes the
    sample by about one row, not all of it."""
    seen: Counter = Counter()
    keyed = []
    for title, label, ours in misses:
        key = miss_key(title, label)
        seen[key] += 1
        rank = hashlib.sha256(f"{SAMPLE_SEED}:{key}:{seen[key]}".encode()).hexdigest()
        keyed.append((rank, title, label, ours, key))
    keyed.sort()
    return [(t, lab, o, key) for _, t, lab, o, key in keyed[:k]]


def wilson(x: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return 0.0, 1.0
    p = x / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return max(0.0, c - h), min(1.0, c + h)


def judged_report(fld: str, s: Score, misses: list, judged: dict, show: bool) -> tuple[list[str], float | None]:
    """Lines: the verdicts on a sample of one field's misses and the estimate they give; and the
    estimate's lower 95% bound (None when nothing is judged)."""
    sample = sample_misses(misses)
    counts: Counter = Counter()
    lines = []
    for title, label, ours, key in sample:
        verdict, why = judged.get((fld, key), ("unjudged", ""))
        counts[verdict] += 1
        if show:
            lines.append(f"{'':12}{fld}\t{key}\t{verdict}\t{why}\t| {title[:110]!r} | label {label} | ours {ours}")
    n = counts["label-error"] + counts["ours"] + counts["ambiguous"]
    m = s.n - s.ok
    head = (f"{'':9}   judged sample: of {len(sample)} sampled misses (of {m}), {counts['label-error']} label "
            f"errors, {counts['ours']} ours, {counts['ambiguous']} ambiguous")
    if counts["unjudged"]:
        head += f", {counts['unjudged']} unjudged (left out; --sample lists them)"
    lines.insert(0, head)
    low = None
    if n and s.n:
        x = counts["label-error"]
        lo, hi = wilson(x, n)
        est = 100 * (s.ok + m * x / n) / s.n
        amb = 100 * (s.ok + m * (x + counts["ambiguous"]) / n) / s.n
        lines.insert(1, f"{'':9}   -> estimated accuracy against the truth {est:.2f}% (95% CI "
                        f"{100 * (s.ok + m * lo) / s.n:.2f}-{100 * (s.ok + m * hi) / s.n:.2f}%); "
                        f"{amb:.2f}% if the ambiguous ones are label errors too")
        low = 100 * (s.ok + m * lo) / s.n
    return lines, low


# --- baseline --------------------------------------------------------------------------------------

_QPARSER = None


def _quantulum(text: str):
    global _QPARSER
    if _QPARSER is None:
        from quantulum3 import parser

        _QPARSER = parser
    try:
        return _QPARSER.parse(text)
    except Exception:
        return []


_GRAMS = {"gram": 1.0, "kilogram": 1000.0, "milligram": 0.001, "ounce": 28.349523125, "pound": 453.59237,
          "microgram": 1e-6}


def base_grams(text: str) -> float | None:
    for q in _quantulum(text):
        f = _GRAMS.get(q.unit.name)
        if f is not None:
            return q.value * f
    return None


def base_purity(text: str) -> float | None:
    for q in _quantulum(text):
        if q.unit.name in ("percentage", "percent"):
            return q.value
    return None


def base_usd(price_text: str) -> float | None:
    from price_parser import Price

    p = Price.fromstring(price_text)
    if p.amount is None:
        return None
    return float(p.amount) if (p.currency or "").upper() in ("USD", "$", "US$") else None


# --- datasets --------------------------------------------------------------------------------------

def _close(a: float | None, b: float | None, tol: float = 0.015) -> bool:
    return a is not None and b is not None and abs(a - b) <= tol * max(abs(b), 1e-9)


def dream(baseline: bool):
    with open(DATA / "dream-2017-cocaine" / "listings-dev.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    grams, purity, subst = Score(), Score(), Score()
    for r in rows:
        t = r["product_title"]
        o = parse_listing(t)
        label_g = float(r["grams"])
        label_q = float(r["quality"])
        ok = _close(o.grams, label_g)
        bg = _close(base_grams(t), label_g) if baseline else None
        if not ok and o.grams is not None:
            why = _judge_grams(t, o.grams, label_g)
            if why:
                grams.judged[why] += 1
        grams.add(ok, bg, (t, o.grams, label_g))
        okq = o.purity_pct is not None and abs(o.purity_pct - label_q) < 0.01
        bq = base_purity(t) if baseline else None
        if not okq and o.purity_pct is not None:
            why = _judge_purity(t, o.purity_pct, label_q)
            if why:
                purity.judged[why] += 1
        purity.add(okq, (bq is not None and abs(bq - label_q) < 0.01) if baseline else None,
                   (t, o.purity_pct, label_q))
        subst.add(o.substance == "cocaine", None, (t, o.substance))  # the baseline reads no substances
    return [("Dream", "grams (±1.5%)", grams, 98.5), ("Dream", "purity", purity, 96.0),
            ("Dream", "substance = cocaine", subst, 99.0)]


def _judge_grams(title: str, ours: float, label: float) -> str | None:
    """Why a label disagrees with a reading the bench agrees with, or None."""
    for m in re.finditer(r"(\d+),(\d+)\s*(?:g|gr|gram)", title, re.I):
        a, b = m.groups()
        if _close(ours, float(f"{a}.{b}")) and label in (float(b), float(a + b)):
            return "label reads a decimal comma as thousands or drops the integer part ('0,5 g' -> 5)"
    for m in re.finditer(r"(\d+)/(\d+)\s*(?:g|gr|gram)", title, re.I):
        a, b = m.groups()
        if _close(ours, int(a) / int(b)) and label in (float(a), float(b)):
            return "label reads a fraction as a whole number ('1/2 Gram' -> 2)"
    return None


def _judge_purity(title: str, ours: float, label: float) -> str | None:
    m = re.search(r"(\d+(?:\.\d+)?)\s*%?\s*[-/]\s*(\d+(?:\.\d+)?)\s*%", title)
    if m and abs(float(m.group(1)) - ours) < 0.01 and abs(float(m.group(2)) - label) < 0.01:
        return "purity range: label takes the upper end when only it carries '%' ('90-95%' -> 95; ours: lower)"
    return None


def alphabay(baseline: bool):
    is_drug, cls, subst, usd = Score(), Score(), Score(), Score()
    cls.judge, subst.judge = "substance_class", "substance"
    syn = Score()
    for f in sorted(glob.glob(str(DATA / "alphabay-2017" / "scrape-dev" / "*.csv"))):
        # A legacy 8-bit encoding: Mac Roman keeps £ and µ where the scraper left them.
        text = Path(f).read_bytes().decode("mac_roman")
        for r in csv.DictReader(io.StringIO(text, newline="")):
            cat, sub, sub2 = r["category_id"], r["subcategory_id"], r["subcategory2_id"]
            t = r["listing_title"]
            price = r["listing_price"]
            o = parse_listing(t, price=price)
            label_drug = cat == "Drugs & Chemicals" and sub != "Paraphernalia"
            if o.is_drug is None and o.category == "custom":
                is_drug.judged["custom or private listings: the text names no goods, is_drug is null by design"] += 1
            is_drug.add(o.is_drug is label_drug, None, (t, cat, sub, o.is_drug))
            if label_drug and sub in ALPHABAY_CLASS:
                cls.add(o.substance_class == ALPHABAY_CLASS[sub], None, (t, sub, o.substance_class))
                if o.substance_class != ALPHABAY_CLASS[sub]:
                    cls.all_misses.append((t, sub, f"{o.substance_class} ({o.substance})"))
            label_sub = ALPHABAY_SUBSTANCE.get((sub, sub2)) or ("cannabis" if sub == "Cannabis & Hashish" and
                                                                 cat == "Drugs & Chemicals" else None)
            if label_sub:
                okk = o.substance == label_sub
                if not okk and sub2 == "Synthetic" and o.substance == "synthetic-cannabinoids":
                    subst.judged["synthetic cannabinoids under Cannabis & Hashish: ours "
                                  "'synthetic-cannabinoids' (class cannabis), not cannabis"] += 1
                subst.add(okk, None, (t, sub, sub2, o.substance))
                if not okk:
                    subst.all_misses.append((t, f"{sub}/{sub2}", str(o.substance)))
            m = re.search(r"USD\s*([\d,]+\.\d\d)", price)
            if m:
                shown = float(m.group(1).replace(",", ""))
                ok = o.price_usd is not None and round(o.price_usd, 2) == shown
                b = base_usd(price) if baseline else None
                usd.add(ok, (b is not None and round(b, 2) == shown) if baseline else None, (price, o.price_usd))
    del syn
    return [("AlphaBay", "is_drug", is_drug, 97.0), ("AlphaBay", "substance_class", cls, 95.0),
            ("AlphaBay", "substance", subst, 95.0), ("AlphaBay", "price_usd = shown USD", usd, 99.5)]


def _weight(v: str) -> float | None:
    m = re.match(r"\s*([\d.]+)\s*(гр|кг|г)?", v or "")
    if not m:
        return None
    x = float(m.group(1))
    return x * 1000 if m.group(2) == "кг" else x


def matanga(baseline: bool):
    base = DATA / "matanga-2020"
    # the scrapes: the original (mostly Cyrillic) title and the вес label
    pairs: dict[tuple[str, float], int] = Counter()
    en_to_orig: dict[str, str] = {}
    for f in sorted(glob.glob(str(base / "scrapes-dev" / "output_*.csv"))):
        with open(f, encoding="utf-8", newline="") as fh:
            scrape = list(csv.DictReader(fh))
        for r in scrape:
            d, w = r.get("description"), _weight(r.get("вес", ""))
            if d and w is not None:
                pairs[(d, w)] += 1
            if d and r.get("desc_en"):
                en_to_orig.setdefault(r["desc_en"], d)
    grams_rows, grams_distinct = Score(), Score()
    for (d, w), count in pairs.items():
        if not STATES_MASS.search(d):
            continue
        o = parse_listing(d)
        ok = _close(o.grams, w, 0.001)
        b = _close(base_grams(d), w, 0.001) if baseline else None
        grams_distinct.add(ok, b, (d, o.grams, w))
        for _ in range(count):
            grams_rows.add(ok, b)
    # the researchers' labels
    subst_en, subst_orig = Score(), Score()
    drug = Score()
    seen_en: dict[str, bool] = {}
    with open(base / "sales-labelled-dev.csv", encoding="utf-8") as fh:
        labelled = list(csv.DictReader(fh))
    for r in labelled:
        t, sub = r["desc_en"], r["sub"]
        if sub == "Services":
            drug.add(parse_listing(t).is_drug is False, None, (t, sub))
            continue
        label = MATANGA_SUBSTANCE.get(sub)
        if label is None:
            continue
        o = parse_listing(t)
        subst_en.add(o.substance == label, None, (t, label, o.substance))
        orig = en_to_orig.get(t)
        if orig is not None:
            oo = parse_listing(orig)
            subst_orig.add(oo.substance == label, None, (orig, label, oo.substance))
        seen_en[t] = True
    return [("Matanga", "grams, title states a mass (distinct titles)", grams_distinct, 95.0),
            ("Matanga", "grams, title states a mass (rows)", grams_rows, 95.0),
            ("Matanga", "substance (desc_en, rows)", subst_en, 90.0),
            ("Matanga", "substance (original text, rows)", subst_orig, 90.0),
            ("Matanga", "Services -> is_drug false", drug, None)]


def main() -> None:
    if not DATA.is_dir():
        print(f"skipped: {DATA} is absent (the labelled data sits beside the project)")
        return
    baseline = "--no-baseline" not in sys.argv
    verbose = "-v" in sys.argv
    show_sample = "--sample" in sys.argv
    verdicts = load_judged()
    t0 = time.perf_counter()
    results = [*dream(baseline), *alphabay(baseline), *matanga(baseline)]
    secs = time.perf_counter() - t0
    print(f"{'dataset':9} {'field':48} {'n':>6} {'dnmobs':>8} {'baseline':>9} {'target':>7}  pass")
    allpass = truthpass = True
    for ds, name, s, target in results:
        ours = 100 * s.ok / s.n if s.n else 0.0
        ok = "" if target is None else ("yes" if ours >= target else "NO")
        allpass &= ok != "NO"
        truth = ours  # the figure against the truth, as far as the bench can judge it
        tgt = "" if target is None else f"{target:.1f}%"
        print(f"{ds:9} {name:48} {s.n:6d} {s.pct(s.ok):>8} {s.pct(s.base_ok):>9} {tgt:>7}  {ok}")
        for why, k in s.judged.items():
            print(f"{'':9}   judged apart: {k:4d}  {why}")
        if s.judged:
            judged = 100 * (s.ok + sum(s.judged.values())) / s.n if s.n else 0.0
            print(f"{'':9}   {name + ', the judged ones counted right':48} {s.n:6d} {judged:7.2f}%")
            truth = judged
        if s.judge:
            lines, low = judged_report(s.judge, s, s.all_misses, verdicts, show_sample)
            for line in lines:
                print(line)
            truth = ours if low is None else low  # the sample supersedes the rule-judged upper bound
        truthpass &= target is None or truth >= target
        if verbose:
            for miss in s.misses:
                print(f"{'':12}miss: {miss}")
    print(f"all targets met: {'yes' if allpass else 'NO'}  ({secs:.1f} s including the baseline)")
    print(f"all targets met against the judged truth (label errors judged by rule counted right; sampled "
          f"fields by the lower bound of their 95% interval): {'yes' if truthpass else 'NO'}")


if __name__ == "__main__":
    main()

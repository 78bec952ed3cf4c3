"""The taxonomy (classes, substances, forms, synonyms, non-drug categories) read from taxonomy.toml.

The TOML file is the one place these facts live: the matcher's lexicon is built from it here, and
docs/taxonomy.md is rendered from it (``python -m dnmobs.extract > docs/taxonomy.md``).
Loading validates it: unknown classes or forms, a term naming two substances, or a purely numeric
term (it would swallow quantities such as "420g") are errors.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from dnmobs.extract.text import normalize, tokenize

CLASS_IDS = ("cannabis", "stimulants", "opioids", "empathogens", "psychedelics", "dissociatives",
             "benzodiazepines", "steroids", "other")

_BREAK = re.compile(r"[^\w]+")  # the separators inside a term: spaces, hyphens, dots (linear: one class)

# Entry kinds in the lexicon.
SUB, FORM, CLASS, NONDRUG = "sub", "form", "class", "nondrug"


@dataclass(frozen=True, slots=True)
class Entry:
    """What one term means. ``value`` is a substance, form, class or non-drug category id."""

    kind: str
    value: str
    weak: bool = False
    form: str | None = None     # for substance terms that name a form (crack, hash)
    brand: str | None = None    # for brand names (Xanax)
    minor: bool = False         # strain and pill-press names: another substance's name beats them


@dataclass(frozen=True)
class Substance:
    id: str
    cls: str
    form: str
    potent: bool
    dose_max_mg: float | None
    names: tuple[str, ...]
    slang: tuple[str, ...]
    brands: dict[str, tuple[str, ...]]
    form_terms: dict[str, tuple[str, ...]]
    strains: tuple[str, ...]
    presses: tuple[str, ...]
    minor_forms: frozenset[str] = frozenset()
    minor: bool = False         # every term is minor: another substance named beside it wins (cutting agents)
    defer_to: str | None = None  # a substance named beside it wins, even by a minor term (CBD -> cannabis)
    homonyms: tuple[str, ...] = ()  # other substances' names that are also its strain names ("LSD" weed)
    letters: tuple[str, ...] = ()   # one-letter abbreviations, read only right after a mass ("1g K")


@dataclass
class Taxonomy:
    classes: dict[str, dict]
    forms: dict[str, dict]
    substances: dict[str, Substance]
    nondrug: dict[str, dict]
    lexicon: dict[str, tuple[Entry, ...]] = field(default_factory=dict)
    prefixes: frozenset[str] = frozenset()
    starts: frozenset[str] = frozenset()      # tokens that may begin a term
    breaks: frozenset[str] = frozenset()      # key prefixes after which a term has a space or hyphen
    discrete_forms: frozenset[str] = frozenset()
    class_forms: dict[str, frozenset[str]] = field(default_factory=dict)
    suffixes: tuple[tuple[str, str, str | None], ...] = ()  # (ending, class, substance or None)
    suffix_tuple: tuple[str, ...] = ()
    unknown_categories: frozenset[str] = frozenset()      # "custom listing": is_drug unknown
    weak_beats_quantity: frozenset[str] = frozenset()     # "1oz gold bar": a weak term beats a quantity
    homonyms: dict[str, str] = field(default_factory=dict)  # a name's first-token key -> the strain's substance
    press_names: frozenset[str] = frozenset()  # goods whose brands are also ecstasy press names ("Playstation")
    letters: dict[str, Entry] = field(default_factory=dict)  # "k" -> a weak ketamine entry ("1g K")

    def substance_class(self, sub: str | None) -> str | None:
        return self.substances[sub].cls if sub in self.substances else None


def compact(term: str) -> str:
    """The matching key of a term or of a run of tokens: NFKC, lower case, letters and digits only."""
    t = unicodedata.normalize("NFKC", term).lower().replace("ё", "е")
    return "".join(ch for ch in t if ch.isalnum())


def _plural(term: str) -> str:
    t, weak = _split_weak(term)
    return term if t.endswith("s") else t + "s" + ("?" if weak else "")


def _split_weak(term: str) -> tuple[str, bool]:
    return (term[:-1], True) if term.endswith("?") else (term, False)


def _load_raw() -> dict:
    text = resources.files("dnmobs.extract").joinpath("taxonomy.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def _tuple(v) -> tuple[str, ...]:
    return tuple(v or ())


@cache
def load() -> Taxonomy:
    raw = _load_raw()
    classes = raw["classes"]
    if tuple(classes) != CLASS_IDS:
        raise ValueError(f"taxonomy classes must be exactly {CLASS_IDS}, not {tuple(classes)}")
    forms = raw["forms"]
    subs: dict[str, Substance] = {}
    for sid, d in raw["substances"].items():
        if sid != sid.lower() or " " in sid or "_" in sid:
            raise ValueError(f"substance id {sid!r} must be lowercase and hyphenated")
        if d["class"] not in classes:
            raise ValueError(f"substance {sid}: unknown class {d['class']!r}")
        ft = {f: _tuple(t) for f, t in (d.get("form_terms") or {}).items()}
        for f in [d["form"], *ft]:
            if f not in forms:
                raise ValueError(f"substance {sid}: unknown form {f!r}")
        subs[sid] = Substance(
            id=sid, cls=d["class"], form=d["form"], potent=bool(d.get("potent", False)),
            dose_max_mg=d.get("dose_max_mg"), names=_tuple(d.get("names")), slang=_tuple(d.get("slang")),
            brands={b: _tuple(t) for b, t in (d.get("brands") or {}).items()}, form_terms=ft,
            strains=_tuple((d.get("strains") or {}).get("terms")),
            presses=_tuple((d.get("presses") or {}).get("terms")),
            minor_forms=frozenset(d.get("minor_forms", ())), minor=bool(d.get("minor", False)),
            defer_to=d.get("defer_to"), homonyms=_tuple(d.get("homonyms")), letters=_tuple(d.get("letters")))
    letters: dict[str, Entry] = {}
    for sid, s in subs.items():
        if s.defer_to is not None and s.defer_to not in subs:
            raise ValueError(f"substance {sid}: defer_to names an unknown substance {s.defer_to!r}")
        for letter in s.letters:
            if len(letter) != 1 or not letter.isalpha() or letter != letter.lower() or letter in letters:
                raise ValueError(f"substance {sid}: letter {letter!r} must be one lower-case letter, "
                                 "no other substance's")
            letters[letter] = Entry(SUB, sid, True)
    for cid, c in classes.items():
        for f in c.get("forms", []):
            if f not in forms:
                raise ValueError(f"class {cid}: unknown form {f!r}")
    tax = Taxonomy(classes=classes, forms=forms, substances=subs, nondrug=raw["nondrug"])
    tax.discrete_forms = frozenset(f for f, d in forms.items() if d.get("discrete"))
    tax.class_forms = {c: frozenset(d.get("forms", [])) for c, d in classes.items()}
    for suf, d in raw.get("suffixes", {}).items():
        if d["class"] not in classes or (d.get("substance") and d["substance"] not in subs):
            raise ValueError(f"suffix {suf}: unknown class or substance")
    tax.suffixes = tuple(sorted(((suf, d["class"], d.get("substance")) for suf, d in raw.get("suffixes", {}).items()),
                                key=lambda x: -len(x[0])))
    tax.suffix_tuple = tuple(x[0] for x in tax.suffixes)
    tax.unknown_categories = frozenset(c for c, d in raw["nondrug"].items() if d.get("unknown"))
    tax.weak_beats_quantity = frozenset(c for c, d in raw["nondrug"].items() if d.get("weak_beats_quantity"))
    tax.homonyms = {compact(t): s.id for s in subs.values() for t in s.homonyms}
    tax.press_names = frozenset(c for c, d in raw["nondrug"].items() if d.get("press_names"))
    tax.letters = letters
    _build_lexicon(tax)
    return tax


def _build_lexicon(tax: Taxonomy) -> None:
    lex: dict[str, list[Entry]] = {}
    errors: list[str] = []
    firsts: set[str] = set()
    breaks: set[str] = set()

    def add(term: str, entry_of) -> None:
        try:
            _add(term, entry_of)
        except ValueError as exc:
            errors.append(str(exc))

    def _add(term: str, entry_of) -> None:
        t, weak = _split_weak(term)
        key = compact(t)
        if not key:
            raise ValueError(f"empty term {term!r}")
        if key.isdigit():
            raise ValueError(f"term {term!r} is a bare number: it would swallow quantities")
        if len(key) < 2:
            raise ValueError(f"term {term!r} is a single character")
        e = entry_of(weak)
        parts = [k for k in tokenize(normalize(t)).key if k]
        if len(parts) > 1:
            firsts.add(parts[0])
        # where the term itself breaks (a space, a hyphen): text may break there too, nowhere else
        words = [compact(w) for w in _BREAK.split(t.lower()) if compact(w)]
        for k in range(1, len(words)):
            breaks.add("".join(words[:k]))
        have = lex.setdefault(key, [])
        for h in have:
            if h.kind == e.kind:
                if h.kind == SUB and h.value != e.value:
                    raise ValueError(f"term {term!r} names two substances: {h.value} and {e.value}")
                if h.kind == NONDRUG and h.value != e.value:
                    raise ValueError(f"term {term!r} is in two non-drug categories: {h.value}, {e.value}")
                if h.kind in (FORM, CLASS) and h.value != e.value:
                    raise ValueError(f"term {term!r} names two {h.kind}s: {h.value} and {e.value}")
                # the same meaning twice: keep the most specific (strong beats weak, a form beats none)
                if (h.weak, h.form is None, h.brand is None) <= (e.weak, e.form is None, e.brand is None):
                    return
                have.remove(h)
                break
        have.append(e)

    for cid, c in tax.classes.items():
        for term in c.get("terms", []):
            add(term, lambda w, cid=cid: Entry(CLASS, cid, w))
    for fid, f in tax.forms.items():
        for term in f.get("terms", []):
            add(term, lambda w, fid=fid: Entry(FORM, fid, w))
    for s in tax.substances.values():
        for term in s.names:
            add(term, lambda w, s=s: Entry(SUB, s.id, w, minor=s.minor))
        for term in s.slang:
            add(term, lambda w, s=s: Entry(SUB, s.id, w, minor=s.minor))
        for brand, terms in s.brands.items():
            for term in terms:
                add(term, lambda w, s=s, brand=brand: Entry(SUB, s.id, w, brand=brand))
                if _split_weak(term)[0].isalpha() and " " not in term:  # "Adderalls", "Xanaxs"
                    add(_plural(term), lambda w, s=s, brand=brand: Entry(SUB, s.id, True, brand=brand))
        for form, terms in s.form_terms.items():
            for term in terms:
                add(term, lambda w, s=s, form=form: Entry(SUB, s.id, w, form=form, minor=form in s.minor_forms))
        for term in s.strains:
            plural = _split_weak(term)[0][-1:].isalpha()  # "Tangerine Dreams", not "Skunk 1s"
            for t in (term, _plural(term)) if plural else (term,):
                add(t, lambda w, s=s: Entry(SUB, s.id, w, form="flower", minor=True))
        for term in s.presses:
            for t in (term, _plural(term)):  # "Red Defqons", "Orange Owls"
                add(t, lambda w, s=s: Entry(SUB, s.id, w, form="pill", minor=True))
    for cat, d in tax.nondrug.items():
        for term in d.get("terms", []):
            add(term, lambda w, cat=cat: Entry(NONDRUG, cat, w))
    # The plural of a substance's name, where no term has it already ("100 temazepams", "Methadones"):
    # one-word Latin-letter names of six letters or more (shorter ones are often ordinary words).
    for s in tax.substances.values():
        for term in s.names:
            t, weak = _split_weak(term)
            if not weak and t.isascii() and t.isalpha() and len(t) >= 6 and not t.endswith("s") \
                    and compact(t) + "s" not in lex:
                add(t + "s", lambda w, s=s: Entry(SUB, s.id, w, minor=s.minor))
    if errors:
        raise ValueError("taxonomy.toml: " + "; ".join(errors))
    tax.lexicon = {k: tuple(v) for k, v in lex.items()}
    # Every character prefix of every key: the matcher extends a run of tokens while the joined
    # text is still a prefix of some term.
    tax.prefixes = frozenset(k[:i] for k in lex for i in range(1, len(k)))
    # A run of text tokens is tried as a term only from a token that is a whole term or the first
    # token of a multi-token term as the tokenizer cuts it ("2" of 2|c|b, "girl" of girl scout cookies).
    tax.starts = frozenset(firsts) | frozenset(lex)
    tax.breaks = frozenset(breaks)


# --- docs ---------------------------------------------------------------------------------------

def render_markdown() -> str:
    """docs/taxonomy.md, generated from the data file."""
    tax = load()
    out = ["# Taxonomy", "",
           "Generated from `src/dnmobs/extract/taxonomy.toml` by `python -m dnmobs.extract > docs/taxonomy.md`;",
           "do not edit by hand (a test checks that this file matches the data).", "",
           "A term ending in `?` is *weak*: an ordinary word that is also slang. It counts only when no",
           "strong substance term is present and the text shows a drug offer (a quantity, a purity, a pill",
           "word, a leading count); a strong non-drug term still decides. Terms match whole tokens, ignoring",
           "case, accents, hyphens and spaces inside.", "",
           "A *minor* substance (cutting agents, and strain, press and generic form words of any substance)",
           "gives way to another substance named beside it; a substance that *defers to* another gives way",
           "to it even when that one is named by a minor term (CBD beside cannabis seeds is cannabis).", "",
           "## Classes", "", "| class | label | substances | forms a generic form word may give |",
           "|---|---|---|---|"]
    by_class: dict[str, list[str]] = {c: [] for c in tax.classes}
    for s in tax.substances.values():
        by_class[s.cls].append(s.id)
    for cid, c in tax.classes.items():
        out.append(f"| `{cid}` | {c['label']} | {len(by_class[cid])} | {', '.join(c.get('forms', []))} |")
    out += ["", "## Forms", "", "| form | label | counted (discrete) | generic terms |", "|---|---|---|---|"]
    for fid, f in tax.forms.items():
        out.append(f"| `{fid}` | {f['label']} | {'yes' if f.get('discrete') else 'no'} | "
                   f"{_md_terms(f.get('terms', []))} |")
    out += ["", "## Substances", ""]
    for cid in tax.classes:
        out += [f"### {tax.classes[cid]['label']} (`{cid}`)", ""]
        cterms = tax.classes[cid].get("terms", [])
        if cterms:
            out += [f"Class terms: {_md_terms(cterms)}", ""]
        out += ["| substance | default form | names and slang | brands | form terms |", "|---|---|---|---|---|"]
        for sid in by_class[cid]:
            s = tax.substances[sid]
            brands = "; ".join(f"**{b}**: {_md_terms(t)}" for b, t in s.brands.items())
            forms = "; ".join(f"**{f}**: {_md_terms(t)}" for f, t in s.form_terms.items())
            extra = []
            if s.strains:
                extra.append(f"**strains** (flower): {_md_terms(s.strains)}")
            if s.presses:
                extra.append(f"**pill presses**: {_md_terms(s.presses)}")
            if s.homonyms:
                extra.append(f"**also a strain name, beside its other terms and no dose**: {_md_terms(s.homonyms)}")
            if s.letters:
                extra.append(f"**one letter, weak, only right after a mass** (`1g {s.letters[0].upper()}`): "
                             f"{_md_terms(x.upper() for x in s.letters)}")
            forms = "; ".join([x for x in [forms, *extra] if x])
            flags = (" (potent)" if s.potent else "") + (" (minor)" if s.minor else "") + \
                (f" (defers to `{s.defer_to}`)" if s.defer_to else "")
            out.append(f"| `{sid}`{flags} | {s.form} | {_md_terms([*s.names, *s.slang])} | {brands} | {forms} |")
        out.append("")
    out += ["## Word endings", "",
            "A research chemical that no term names still gets its class from its word ending (used only",
            "when no substance term matched).", "", "| ending | class | substance |", "|---|---|---|"]
    for suf, cls, sub in sorted(tax.suffixes):
        out.append(f"| -{suf} | `{cls}` | {f'`{sub}`' if sub else ''} |")
    out.append("")
    out += ["## Non-drug categories", "",
            "Listings matching a strong term here get `is_drug: false` even when they name a drug",
            "(a guide about MDMA is a guide).", "", "| category | label | terms |", "|---|---|---|"]
    for cat, d in tax.nondrug.items():
        note = " (is_drug unknown, not false)" if d.get("unknown") else ""
        if d.get("press_names"):
            note += " (its brands also name ecstasy presses: a count and one pill's dose beat them)"
        out.append(f"| `{cat}` | {d['label']}{note} | {_md_terms(d.get('terms', []))} |")
    out.append("")
    return "\n".join(out)


def _md_terms(terms) -> str:
    return ", ".join(t.replace("|", "\\|") for t in terms)


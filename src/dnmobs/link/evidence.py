"""Pairwise evidence between two vendor records, as comparisons of a Fellegi-Sunter model (Splink).

Each comparison has levels from most to least alike; a pair reaches the first level whose condition
holds. The model learns, per level, how often true aliases reach it (m) and how often unrelated vendors
do (u); the level's evidence is log2(m/u). Conditions are DuckDB SQL over the columns built by
features.py (``_l`` / ``_r`` suffixes for the two vendors). A missing value (NULL) is no evidence
either way.

The priors below (m, u) are starting points: m is re-estimated from vendors who share a PGP key
whenever the store has enough of them, u from random pairs of the store's vendors (model.py).
The PGP comparison is not trained: the labels are made from the keys themselves, so they cannot
say how much a key should count. Its m values are fixed by design: sharing a primary key is certain
(and links deterministically anyway); different keys on both sides argue strongly against one vendor,
because vendors carry their key from market to market to keep their reputation, while impersonators
copy the name but cannot copy the key.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Jaccard estimated from two 64-position 6-bit MinHash signatures (features.py): the share of equal
# positions, less the 1/64 chance that two different values agree in their low 6 bits.
SIG_SIM = "((1 - hamming({c}_l, {c}_r) / 64.0) - 1 / 64.0) / (1 - 1 / 64.0)"
SET_JACCARD = ("len(list_intersect({c}_l, {c}_r)) / "
               "greatest(1, len(list_distinct(list_concat({c}_l, {c}_r))))")


@dataclass(frozen=True)
class Level:
    sql: str
    label: str
    kind: str | None  # the evidence kind recorded when a linked pair reaches this level
    m: float  # prior P(level | same vendor)
    u: float  # prior P(level | different vendors)
    fixed_m: bool = False


@dataclass(frozen=True)
class Comparison:
    name: str
    columns: tuple[str, ...]  # the feature columns it reads
    null_sql: str
    levels: tuple[Level, ...]  # the last one is the 'else' level
    description: str = ""
    pgp: bool = False  # used only when PGP keys are used
    detail_columns: tuple[str, ...] = field(default_factory=tuple)

    def splink(self) -> dict:
        levels = [{"sql_condition": self.null_sql, "label_for_charts": "missing", "is_null_level": True}]
        for lv in self.levels:
            d = {"sql_condition": lv.sql, "label_for_charts": lv.label, "m_probability": lv.m,
                 "u_probability": lv.u}
            if lv.fixed_m:
                d["fix_m_probability"] = True
            levels.append(d)
        return {"output_column_name": self.name, "comparison_description": self.description,
                "comparison_levels": levels}


ELSE = "ELSE"


def _else(label: str, m: float, u: float, kind: str | None = None, fixed_m: bool = False) -> Level:
    return Level(ELSE, label, kind, m, u, fixed_m)


PGP = Comparison(
    "pgp", ("fprs", "subkeys", "key_emails"), "fprs_l IS NULL OR fprs_r IS NULL",
    (
        Level("list_has_any(fprs_l, fprs_r)", "same primary key", "same_primary_fingerprint", 0.97, 1e-7, True),
        Level("list_has_any(subkeys_l, subkeys_r)", "a shared subkey", "shared_subkey", 0.01, 1e-8, True),
        Level("list_has_any(key_emails_l, key_emails_r)", "different keys, same user-id email",
              "same_key_email", 0.01, 1e-5, True),
        _else("different keys", 0.01, 0.99999, "different_keys", True),
    ),
    "PGP keys: shared primary key or subkey, user-id email; different keys argue against",
    pgp=True, detail_columns=("fprs", "subkeys", "key_emails"),
)

CONTACT = Comparison(
    "contact", ("contacts",), "contacts_l IS NULL OR contacts_r IS NULL",
    (
        Level("list_has_any(contacts_l, contacts_r)", "same contact handle", "same_contact", 0.6, 1e-5),
        _else("different contact handles", 0.4, 0.99999),
    ),
    "Wickr, Telegram, Jabber, Session, Threema or email handle",
    detail_columns=("contacts",),
)

HANDLE = Comparison(
    "handle", ("h_norm", "h_skel", "h_stem", "h_words"), "h_norm_l IS NULL OR h_norm_r IS NULL",
    (
        Level("h_norm_l = h_norm_r", "same handle (case and separators aside)", "same_handle", 0.40, 2e-5),
        Level("h_skel_l = h_skel_r OR h_words_l = h_words_r", "same handle (look-alike characters, word order)",
              "similar_handle", 0.06, 5e-6),
        Level("h_stem_l = h_stem_r", "same name with words added (the_, _shop, 420, NL, v2 ...)",
              "similar_handle", 0.10, 2e-5),
        Level("jaro_winkler_similarity(h_skel_l, h_skel_r) >= 0.92", "nearly the same handle",
              "similar_handle", 0.06, 2e-4),
        Level("length(h_stem_l) >= 4 AND length(h_stem_r) >= 4 AND "
              "(contains(h_skel_l, h_stem_r) OR contains(h_skel_r, h_stem_l))", "one handle contains the other",
              "similar_handle", 0.06, 1e-3),
        Level("jaro_winkler_similarity(h_skel_l, h_skel_r) >= 0.8", "similar handle", "similar_handle", 0.06, 8e-3),
        _else("different handles", 0.26, 0.99),
    ),
    "handle similarity: case, separators, leetspeak, affixes like the_, _shop, NL, 420, v2",
    detail_columns=("handle",),
)

PROFILE = Comparison(
    "profile", ("profile_sig",), "profile_sig_l IS NULL OR profile_sig_r IS NULL",
    (
        Level(f"{SIG_SIM.format(c='profile_sig')} >= 0.7", "profile text copied", "similar_profile", 0.3, 1e-5),
        Level(f"{SIG_SIM.format(c='profile_sig')} >= 0.4", "profile text largely shared", "similar_profile",
              0.15, 1e-4),
        Level(f"{SIG_SIM.format(c='profile_sig')} >= 0.15", "profile text partly shared", "similar_profile",
              0.15, 2e-3),
        _else("different profile texts", 0.4, 0.998),
    ),
    "profile text: MinHash of word 3-shingles (PGP blocks cut out)",
)

RARE = "len(list_intersect(rare_titles_l, rare_titles_r))"
SMALLER = "least(n_titles_l, n_titles_r)"
TITLES = Comparison(
    "titles", ("n_titles", "rare_titles", "title_sig"), "n_titles_l IS NULL OR n_titles_r IS NULL",
    (
        Level(f"{RARE} >= 3 AND {RARE} >= 0.2 * {SMALLER}", "many of its listings copied word for word",
              "similar_titles", 0.35, 5e-6),
        Level(f"{RARE} >= 1 AND {RARE} >= 0.1 * {SMALLER}", "listings copied word for word", "similar_titles",
              0.25, 2e-5),
        Level(f"{RARE} >= 1", "a rare listing title copied word for word", "similar_titles", 0.1, 1.5e-4),
        Level(f"{SIG_SIM.format(c='title_sig')} >= 0.5", "listing title words largely shared", "similar_titles",
              0.05, 2e-4),
        Level(f"{SIG_SIM.format(c='title_sig')} >= 0.3", "listing title words often shared", "similar_titles",
              0.05, 2e-3),
        _else("different listing titles", 0.2, 0.998),
    ),
    "listing titles: rare titles (2-3 vendors use them) copied word for word, as a count and as a share of the "
    "smaller vendor's titles; and the MinHash Jaccard of rarer title words",
)

SHIPS = Comparison(
    "ships_from", ("ships",), "ships_l IS NULL OR ships_r IS NULL",
    (
        Level("ships_l[1] = ships_r[1]", "ships from the same place", "same_ships_from", 0.7, 0.2),
        Level("list_has_any(ships_l, ships_r)", "some shipping origins shared", None, 0.15, 0.15),
        _else("ships from elsewhere", 0.15, 0.65),
    ),
    "where listings ship from",
    detail_columns=("ships",),
)

MIX = Comparison(
    "product_mix", ("mix",), "mix_l IS NULL OR mix_r IS NULL",
    (
        Level(f"{SET_JACCARD.format(c='mix')} >= 0.6", "same product mix", "similar_product_mix", 0.35, 0.08),
        Level(f"{SET_JACCARD.format(c='mix')} >= 0.25", "overlapping product mix", "similar_product_mix",
              0.35, 0.25),
        _else("different products", 0.3, 0.67),
    ),
    "product mix: categories and extracted substances, Jaccard",
    detail_columns=("mix",),
)

ALL = (PGP, CONTACT, HANDLE, PROFILE, TITLES, SHIPS, MIX)


def comparisons(use_pgp: bool) -> tuple[Comparison, ...]:
    return tuple(c for c in ALL if use_pgp or not c.pgp)


def by_name(name: str) -> Comparison:
    for c in ALL:
        if c.name == name:
            return c
    raise KeyError(name)


def detail(comparison: Comparison, level: Level, left: dict, right: dict) -> str:
    """A short human-readable account of what two vendors share at this level."""
    if comparison.name == "pgp":
        for col in ("fprs", "subkeys", "key_emails"):
            shared = _shared(left.get(col), right.get(col))
            if shared:
                return f"{level.label}: {', '.join(shared[:3])}"
        return level.label
    if comparison.name in ("contact", "ships_from", "product_mix"):
        col = comparison.detail_columns[0]
        shared = _shared(left.get(col), right.get(col))
        return f"{level.label}: {', '.join(shared[:5])}" if shared else level.label
    if comparison.name == "handle":
        return f"{level.label}: {left.get('handle')} / {right.get('handle')}"
    return level.label


def _shared(a, b) -> list[str]:
    if not a or not b:
        return []
    sb = set(b)
    return [x for x in a if x in sb]

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

# Timing: which of the two accounts was seen first, and when each was first and last seen.
_E_LAST = "(CASE WHEN first_seen_l <= first_seen_r THEN last_seen_l ELSE last_seen_r END)"
_L_FIRST = "greatest(first_seen_l, first_seen_r)"
_L_LAST = "(CASE WHEN first_seen_l <= first_seen_r THEN last_seen_r ELSE last_seen_l END)"
HANDOVER_BEFORE_DAYS = 30  # the later account may start this long before the earlier one was last seen
HANDOVER_AFTER_DAYS = 90  # or this long after
HANDOVER = (f"coalesce({_L_FIRST} BETWEEN {_E_LAST} - INTERVAL {HANDOVER_BEFORE_DAYS} DAY "
            f"AND {_E_LAST} + INTERVAL {HANDOVER_AFTER_DAYS} DAY AND {_L_LAST} >= {_E_LAST}, false)")
SIDE_BY_SIDE = f"coalesce({_L_FIRST} < {_E_LAST} - INTERVAL {HANDOVER_BEFORE_DAYS} DAY, false)"
APART = f"coalesce({_L_FIRST} > {_E_LAST} + INTERVAL {HANDOVER_AFTER_DAYS} DAY, false)"
SIMILAR_NAME = ("(h_skel_l = h_skel_r OR h_words_l = h_words_r OR h_stem_l = h_stem_r "
                "OR jaro_winkler_similarity(h_skel_l, h_skel_r) >= 0.92)")
# Names and timing in one comparison, because they interact: a seller who opens a new account under a
# similar name does so as the old one stops (a handover), while a look-alike name active side by side with
# the original is mostly someone else (an impersonator, or a common name: 'pharmacy', 'xanax_king').
# On the Agora vendors, of the key-judged pairs with similar handles 9 of 10 sharing a key hand over,
# 24 of 29 with different keys run side by side. Two independent comparisons could not say that.
HANDLE = Comparison(
    "handle", ("h_norm", "h_skel", "h_stem", "h_words", "first_seen", "last_seen"),
    "h_norm_l IS NULL OR h_norm_r IS NULL",
    (
        Level(f"h_norm_l = h_norm_r AND NOT {SIDE_BY_SIDE}", "same handle (case and separators aside), not side by side",
              "same_handle", 0.25, 2e-6),
        Level(f"{SIMILAR_NAME} AND NOT {SIDE_BY_SIDE}",
              "similar handle (look-alike characters, word order, words added: the_, _shop, 420, NL, v2), "
              "not side by side", "similar_handle", 0.15, 1e-5),
        Level(f"h_norm_l = h_norm_r OR {SIMILAR_NAME}", "same or similar handle, active side by side",
              "similar_handle", 0.04, 3e-5),
        Level("(length(h_stem_l) >= 4 AND length(h_stem_r) >= 4 AND "
              "(contains(h_skel_l, h_stem_r) OR contains(h_skel_r, h_stem_l))) "
              "OR jaro_winkler_similarity(h_skel_l, h_skel_r) >= 0.8", "one handle contains the other, or alike",
              "similar_handle", 0.06, 1.2e-3),
        Level(HANDOVER, "other handle; one took over as the other stopped", "handover", 0.25, 0.2),
        Level(SIDE_BY_SIDE, "other handle, active side by side", None, 0.15, 0.45),
        Level(APART, "other handle, active months apart", None, 0.05, 0.25),
        _else("other handle, no dates to compare", 0.05, 0.1),
    ),
    "handle similarity (case, separators, leetspeak, affixes like the_, _shop, NL, 420, v2) and timing "
    "(a handover, side by side, months apart)",
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
# the rank of each vendor among the other's nearest writers (style.py; 1 = nearest, 99 = not among them)
RANK_LR = "coalesce(list_position(style_nn_l, unique_id_r), 99)"
RANK_RL = "coalesce(list_position(style_nn_r, unique_id_l), 99)"
COSINE = ("coalesce(style_cos_l[list_position(style_nn_l, unique_id_r)], "
          "style_cos_r[list_position(style_nn_r, unique_id_l)], 0)")
MUTUAL = f"{RANK_LR} = 1 AND {RANK_RL} = 1"
TITLES = Comparison(
    "titles", ("n_titles", "rare_titles", "style_nn", "style_cos"), "n_titles_l IS NULL OR n_titles_r IS NULL",
    (
        Level(f"{RARE} >= 3 AND {RARE} >= 0.2 * {SMALLER}", "many of its listings copied word for word",
              "similar_titles", 0.15, 5e-6),
        Level(f"{MUTUAL} AND {COSINE} >= 0.3", "each other's closest writer of titles, much alike",
              "similar_writing", 0.2, 1e-5),
        Level(f"{RARE} >= 1 AND {RARE} >= 0.1 * {SMALLER}", "listings copied word for word", "similar_titles",
              0.1, 2e-5),
        Level(f"{MUTUAL} AND {COSINE} >= 0.15", "each other's closest writer of titles", "similar_writing",
              0.15, 3e-5),
        Level(MUTUAL, "each other's closest writer of titles, little alike", "similar_writing", 0.05, 6e-5),
        Level(f"{RANK_LR} <= 3 AND {RANK_RL} <= 3", "among each other's three closest writers of titles",
              "similar_writing", 0.05, 1e-4),
        Level(f"{RARE} >= 1", "a rare listing title copied word for word", "similar_titles", 0.05, 1.5e-4),
        Level(f"{RANK_LR} < 99 OR {RANK_RL} < 99", "among the other's closest writers of titles", "similar_writing",
              0.05, 1e-3),
        _else("writes titles otherwise", 0.2, 0.998),
    ),
    "listing titles: rare titles (2-3 vendors use them) copied word for word, as a count and as a share of the "
    "smaller vendor's titles; and how alike the vendors write titles (character 4-grams of the titles and "
    "their shapes, TF-IDF cosine), as ranks among each other's nearest writers",
)

PRICE = Comparison(
    "price_level", ("price_level",), "price_level_l IS NULL OR price_level_r IS NULL",
    (
        Level("abs(price_level_l - price_level_r) < 0.25", "the same price level", "similar_price_level", 0.3, 0.14),
        Level("abs(price_level_l - price_level_r) < 0.5", "a similar price level", "similar_price_level", 0.25, 0.13),
        Level("abs(price_level_l - price_level_r) < 1", "a near price level", None, 0.25, 0.23),
        _else("a different price level", 0.2, 0.5),
    ),
    "price level: median log ratio of the vendor's prices to the median of their category, market, "
    "currency and day",
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

ALL = (PGP, CONTACT, HANDLE, PROFILE, TITLES, SHIPS, MIX, PRICE)


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

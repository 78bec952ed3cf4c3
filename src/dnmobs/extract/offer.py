"""The result of extraction: an immutable Offer, with its sub-offers when a text offers several
quantities ("1g/3.5g/7g", a menu line "0.5g 40€ | 1g 75€")."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True, slots=True)
class SubOffer:
    """One priced quantity of a multi-offer text."""

    grams: float | None = None
    units: float | None = None
    unit_dose_mg: float | None = None
    volume_ml: float | None = None
    price_amount: float | None = None
    price_currency: str | None = None
    price_usd: float | None = None
    price_usd_source: str | None = None   # 'page', 'rates-file', 'store'
    price_note: str | None = None
    usd_per_gram: float | None = None
    usd_per_pure_gram: float | None = None
    usd_per_unit: float | None = None

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, slots=True)
class Offer:
    """What a listing sells, how much, how pure, for how much, from where to where.

    Unknown values are None. ``offers`` holds the sub-offers when the text offers several
    quantities; the top-level quantity and price fields then repeat the first of them (and the
    listing's own price). ``flags`` says what is doubtful (an implausible price, a bundle, an
    assumed unit). Fields come in the order of the JSON contract of ``dnmobs extract``.
    """

    is_drug: bool | None = None
    substance: str | None = None
    substance_class: str | None = None
    form: str | None = None
    grams: float | None = None            # total mass for goods sold by weight
    units: float | None = None            # count of pills, tabs, blotters, seeds
    unit_dose_mg: float | None = None     # dose per unit
    purity_pct: float | None = None
    price_amount: float | None = None
    price_currency: str | None = None
    price_usd: float | None = None
    usd_per_gram: float | None = None
    ships_from: str | None = None         # ISO 3166 alpha-2 or region code(s), comma-separated
    ships_to: str | None = None
    brand: str | None = None
    category: str | None = None           # the non-drug category when is_drug is False; 'custom' when None
    volume_ml: float | None = None
    usd_per_pure_gram: float | None = None
    usd_per_unit: float | None = None
    price_usd_source: str | None = None   # 'page' (shown by the page or row), 'rates-file', 'store'
    price_note: str | None = None         # why price_usd is None, or what is doubtful about it
    flags: tuple[str, ...] = ()
    offers: tuple[SubOffer, ...] = ()

    def as_dict(self) -> dict:
        """The JSON contract: every field; ``offers`` is a list only when there are several."""
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["flags"] = list(self.flags)
        d["offers"] = [o.as_dict() for o in self.offers] if len(self.offers) > 1 else None
        return d


# Field names in order, for building Offers and JSON quickly from a tuple of values.
OFFER_FIELDS = tuple(f.name for f in fields(Offer))
SUB_FIELDS = tuple(f.name for f in fields(SubOffer))

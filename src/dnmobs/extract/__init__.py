"""Extraction: substance, quantity, purity, price and places from listing text.

``parse_listing(title, description, price, date, market, rates=...)`` returns an immutable
``Offer``; ``dnmobs.extract.store.fill_offers(con)`` fills the store's ``offers`` table;
``dnmobs extract`` runs it on JSON Lines. The taxonomy is data: ``taxonomy.toml``.
"""

from dnmobs.extract._native import guard

guard()  # before any compiled module is imported: a stale build must not shadow edited sources

from dnmobs.extract.listing import analyse, parse_listing  # noqa: E402
from dnmobs.extract.offer import Offer, SubOffer  # noqa: E402
from dnmobs.extract.rates import Rates  # noqa: E402

__all__ = ["Offer", "Rates", "SubOffer", "analyse", "parse_listing"]

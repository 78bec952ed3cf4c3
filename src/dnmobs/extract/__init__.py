"""Extraction: substance, quantity, purity, price and places from listing text.

``parse_listing(title, description, price, date, market, rates=...)`` returns an immutable
``Offer``; ``dnmobs.extract.store.fill_offers(con)`` fills the store's ``offers`` table;
``dnmobs extract`` runs it on JSON Lines. The taxonomy is data: ``taxonomy.toml``.
"""

from dnmobs.extract.listing import analyse, parse_listing
from dnmobs.extract.offer import Offer, SubOffer
from dnmobs.extract.rates import Rates

__all__ = ["Offer", "Rates", "SubOffer", "analyse", "parse_listing"]

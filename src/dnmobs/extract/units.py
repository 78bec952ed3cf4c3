"""Units of quantity and currencies as they are written in listings (several languages).

Mass follows the conventions of drug markets, which differ slightly from the metric ones: an ounce
is 28 g (not 28.35), a pound 448 g, a quarter pound (QP) 112 g, an eighth 3.5 g. The difference is
under 1.5 %, and it is how vendors price ("28g (1oz)").
"""

from __future__ import annotations

from typing import Final

OUNCE: Final = 28.0
POUND: Final = 448.0

# word -> grams per unit
MASS: Final[dict[str, float]] = {}
for _w in ("g", "gr", "grs", "gram", "grams", "gramm", "gramme", "grammes", "gramms", "gramos", "gramo",
           "grammi", "gs", "gms", "gm", "grm", "grms", "gramma", "grammas", "gramov", "grama", "gramas",
           "gramy", "gramów", "gramow", "gramu", "grams", "grammo", "grame",
           "г", "гр", "грм", "грам", "грамм", "граммов", "грамов", "граммы", "грамчик"):
    MASS[_w] = 1.0
for _w in ("kg", "kgs", "kilo", "kilos", "kilogram", "kilograms", "kilogramm", "kilogramme", "kilogramos",
           "kilogramo", "кг", "кило", "килограмм", "килограмма", "килограммов", "brick", "bricks", "key", "keys"):
    MASS[_w] = 1000.0
for _w in ("oz", "ozs", "ozt", "ounce", "ounces", "unze", "unzen", "onza", "onzas", "once", "uncja", "uncje",
           "унция", "унции", "унций", "zip", "zips", "zone", "zones"):
    MASS[_w] = OUNCE
for _w in ("lb", "lbs", "pound", "pounds", "pfund", "фунт", "фунта", "elbow", "elbows"):
    MASS[_w] = POUND
for _w in ("qp", "qps"):
    MASS[_w] = POUND / 4
for _w in ("hp", "hps"):
    MASS[_w] = POUND / 2
MASS["point"] = MASS["points"] = 0.1       # Australian meth "point"
MASS["teener"] = MASS["teeners"] = OUNCE / 16
MASS["eighth"] = MASS["eighths"] = MASS["8th"] = OUNCE / 8
MASS["ball"] = MASS["balls"] = MASS["eightball"] = MASS["8ball"] = OUNCE / 8
MASS["quarter"] = MASS["quarters"] = MASS["qtr"] = OUNCE / 4

# Units that must follow a number: on their own they are ordinary words or letters.
NEEDS_NUMBER: Final = frozenset({"g", "gr", "grs", "gs", "gm", "gms", "grm", "г", "p", "key", "keys", "brick", "bricks",
                          "zone", "zones", "once", "point", "points", "ball", "balls", "elbow", "elbows", "8th",
                          "quarter", "quarters", "zip", "zips", "kilo", "kilos", "lbs", "lb", "pound",
                          "pounds", "qtr"})
# "half ounce", "quarter pound", "half gram"
FRACTION_WORDS: Final = {"half": 0.5, "halbe": 0.5, "halbes": 0.5, "halve": 0.5, "demi": 0.5, "media": 0.5,
                  "medio": 0.5, "пол": 0.5, "quarter": 0.25, "viertel": 0.25}

# Currency codes that are also words: they count only when glued to the number ("5try" never).
AMBIGUOUS_CODES: Final = frozenset({"try", "dash", "ether", "sat", "sats", "ron", "dram", "lari", "quid", "grn", "hrn",
                             "count", "doge", "bitcoin", "bitcoins"})

# Units that name a quantity on their own ("OZ Mazar", "QP Sour Diesel", "an eighth of").
ALONE: Final = frozenset({"oz", "ounce", "qp", "hp", "eighth", "8th", "teener", "eightball", "8ball", "zip"})

MILLIGRAM: Final = {"mg": 1.0, "mgs": 1.0, "milligram": 1.0, "milligrams": 1.0, "milligramm": 1.0, "miligram": 1.0,
             "miligramos": 1.0, "miligramy": 1.0, "мг": 1.0, "миллиграмм": 1.0, "миллиграмма": 1.0,
             "ug": 0.001, "μg": 0.001, "mcg": 0.001, "mcgs": 0.001, "microgram": 0.001, "micrograms": 0.001,
             "mikrogramm": 0.001, "мкг": 0.001, "γ": 0.001}

MILLILITRE: Final = {"ml": 1.0, "mls": 1.0, "milliliter": 1.0, "millilitre": 1.0, "milliliters": 1.0,
              "millilitres": 1.0, "мл": 1.0, "cc": 1.0, "cl": 10.0, "dl": 100.0, "liter": 1000.0,
              "litre": 1000.0, "liters": 1000.0, "litres": 1000.0, "литр": 1000.0, "литра": 1000.0,
              "pint": 473.0, "pints": 473.0}

# count words -> the form they imply (None: a count of anything)
COUNT: Final[dict[str, str | None]] = {}
for _w in ("x", "×", "pcs", "pc", "pce", "piece", "pieces", "unit", "units", "stk", "stück", "stuck", "st",
           "stuks", "szt", "sztuk", "шт", "штук", "штуки", "штука", "штучки", "sht", "shtuk", "shtuki", "shtuka",
           "pack", "packs", "pk", "qty", "count", "ct", "pz", "pezzi", "unidades", "pièces", "doses", "dose",
           "dosis", "servings"):
    COUNT[_w] = None
for _w in ("pills", "pill", "tabs", "tab", "tablets", "tablet", "tbs", "comprimés", "comprimes", "comprimidos",
           "pastillas", "pastiglie", "pillen", "pille", "tabletten", "tabletki", "tabletek", "таблеток",
           "таблетки", "таблетка", "bars", "bar", "roxies", "pressies"):
    COUNT[_w] = "pill"
for _w in ("caps", "capsules", "capsule", "kapseln", "капсул", "капсулы", "gelcaps"):
    COUNT[_w] = "capsule"
for _w in ("blotters", "blotter", "hits", "hit", "trips", "tickets", "marki", "марки", "марок", "марка",
           "squares", "tabs/blotters", "microdots"):
    COUNT[_w] = "blotter"
for _w in ("seeds", "seed", "samen", "semillas", "семян", "семечек"):
    COUNT[_w] = "seed"
for _w in ("joints", "joint", "prerolls", "preroll", "jays", "blunts"):
    COUNT[_w] = "preroll"
for _w in ("vials", "vial", "amps", "ampoules", "ampules", "ампул"):
    COUNT[_w] = "injectable"
for _w in ("patches", "patch"):
    COUNT[_w] = "patch"
for _w in ("carts", "cartridges", "cartridge"):
    COUNT[_w] = "vape"

# Words after a multiplying "10x" that mean strength, not a count ("10x potency").
NOT_A_COUNT: Final = frozenset({"potency", "potent", "stronger", "strength", "strong", "more", "better", "cheaper",
                         "extract", "stärker", "zoom", "faster"})

# --- currencies -------------------------------------------------------------------------------------

SYMBOLS: Final = {"$": "USD", "€": "EUR", "£": "GBP", "₴": "UAH", "₽": "RUB", "₾": "GEL", "₿": "BTC", "฿": "BTC",
           "₹": "INR", "₺": "TRY", "₸": "KZT", "₪": "ILS", "֏": "AMD", "₱": "PHP", "₫": "VND"}
# prefixes of "$" ("au$", "c$") -> currency
DOLLAR_PREFIX: Final = {"au": "AUD", "a": "AUD", "aud": "AUD", "c": "CAD", "ca": "CAD", "cad": "CAD", "nz": "NZD",
                 "us": "USD", "usd": "USD", "hk": "HKD", "s": "SGD", "sg": "SGD", "mx": "MXN"}
CODES: Final = {
    "usd": "USD", "usdt": "USDT", "usdc": "USDC", "dollar": "USD", "dollars": "USD", "dollar's": "USD",
    "долларов": "USD", "доллар": "USD", "баксов": "USD",
    "eur": "EUR", "euro": "EUR", "euros": "EUR", "евро": "EUR", "evro": "EUR",
    "gbp": "GBP", "quid": "GBP",
    "aud": "AUD", "cad": "CAD", "chf": "CHF", "sek": "SEK", "nok": "NOK", "dkk": "DKK", "pln": "PLN",
    "zł": "PLN", "zl": "PLN", "czk": "CZK", "kč": "CZK", "huf": "HUF", "ron": "RON", "bgn": "BGN",
    "rub": "RUB", "руб": "RUB", "рублей": "RUB", "рубля": "RUB", "рубль": "RUB", "rubles": "RUB",
    "uah": "UAH", "грн": "UAH", "гривен": "UAH", "hrn": "UAH", "grn": "UAH",
    "gel": "GEL", "лари": "GEL", "lari": "GEL", "amd": "AMD", "драм": "AMD", "dram": "AMD", "ք": "AMD",
    "byn": "BYN", "byr": "BYN", "kzt": "KZT", "try": "TRY", "inr": "INR", "nzd": "NZD", "jpy": "JPY",
    "cny": "CNY", "rmb": "CNY", "yuan": "CNY", "brl": "BRL", "mxn": "MXN", "zar": "ZAR", "thb": "THB",
    "btc": "BTC", "xbt": "BTC", "bitcoin": "BTC", "bitcoins": "BTC", "биткоин": "BTC", "бтк": "BTC",
    "mbtc": "mBTC", "sat": "sat", "sats": "sat", "satoshi": "sat", "satoshis": "sat",
    "xmr": "XMR", "monero": "XMR", "ltc": "LTC", "litecoin": "LTC", "eth": "ETH", "ether": "ETH",
    "bch": "BCH", "zec": "ZEC", "doge": "DOGE", "dash": "DASH",
}
# Fractions of a coin that are written as their own unit.
SUBUNIT: Final = {"mBTC": ("BTC", 0.001), "sat": ("BTC", 1e-8)}
CRYPTO: Final = frozenset({"BTC", "XMR", "LTC", "ETH", "BCH", "ZEC", "DOGE", "DASH", "USDT", "USDC"})

# After a price: it is not the item's price.
SHIPPING_WORDS: Final = frozenset({"shipping", "ship", "shipped", "shiping", "shippin", "shipin", "shippping", "post", "postage", "delivery", "deliver", "s&h",
                            "p&p", "versand", "porto", "envío", "envio", "доставка", "dostavka", "extra",
                            "bonus", "off", "discount", "rabatt", "korting", "скидка", "skidka", "min",
                            "minimum", "cashback", "credit", "deposit", "залог", "zalog", "зп", "zp",
                            "salary", "month", "месяц", "mesjats", "day"})
# After a price: it is the price of one unit ("$65/g", "$1.90 each").
PER_UNIT_WORDS: Final = frozenset({"each", "ea", "eac", "apiece", "pp", "pc", "per", "/g", "a"})

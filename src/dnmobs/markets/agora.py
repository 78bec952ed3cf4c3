"""Agora (2013-2015): product, vendor and category pages of its 2014 templates.

Where each field sits is declared in the selector tables below; the code hooks read what a
selector cannot: the description (loose text between the price and the vendor link), the
ships-from/to block (text after an icon, up to a line break), the header's BTC/USD rate.

A page is looked at region by region (the header, the breadcrumb bar, the main part: children
of <body>), each with its own small table, which costs the selector engine much less than one
query with every selector over the whole page; the product's fields are children of the product
box, read in one walk that also collects the description.

Error pages: a product URL answered with the market's front page (the listing was removed or
hidden) is ``removed``; login, CAPTCHA, DDoS and server pages are recognised by
dnmobs.markets.errors.
"""

from __future__ import annotations

from functools import lru_cache

from selectolax.lexbor import LexborNode

from dnmobs.markets import errors, fields, model
from dnmobs.markets.doc import Doc, text_of
from dnmobs.markets.model import Parsed
from dnmobs.markets.util import (
    A_ID,
    BR_ID,
    DIV_ID,
    I_ID,
    SPAN_ID,
    TD_ID,
    TEXT_ID,
    Selectors,
    block_text,
    child,
    has_class,
    kids,
    next_element,
    select,
    select_first,
    tag_id,
)

NAME = "agora"
MARKET = "agora"
MARKET_KIND = "darknet"
CONFIDENCE = 1.0

REGIONS = {"header": "topmost", "nav": "top-navigation", "main": "middlestuff"}  # ids of <body>'s children
HEADER = Selectors({"heading": "#page-heading", "rate": "#login-info-bar"})
CRUMB = "topnav-element"  # the class of each step of the category path, a link inside it
NAV = Selectors({"crumbs": f".{CRUMB} a"}, many=("crumbs",))
MAIN = Selectors({
    "product": "#single-product",
    "bio": ".vendorbio-description",
    "list": "#product-list",
    "front": "#product-index",
})
PRODUCT = Selectors({  # children of "product" (each with its tag: other tags are skipped unread)
    "title": "h1",
    "price": "div.product-page-price",
    "vendor": "a.gen-user-link",
    "ships": "div.product-page-ships",
    "image": "img",
    "feedback": "div.embedded-feedback-list",
})
BUTTONS = {"button-red": "buy", "button-grey": "unavailable"}  # in a plain <div> child of the product
FEEDBACK_ROWS = "tr"  # under "feedback": rating, text, [item link], age, buyer
LIST_ROW_CLASS = "products-list-item"
LIST_ROWS = f"tr.{LIST_ROW_CLASS}"  # listing rows of category and vendor pages
GRID_CELLS = ".product-index-floater"  # featured listings on the front page and top categories
GRID_CELL = {"caption": ".product-index-floater-caption a", "price": ".product-index-floater-price"}
VENDOR = Selectors({  # under "main"
    "last_seen": ".vendorbio-stats-online",
    "bio": ".vendorbio-description",
    "pgp": ".pgptoken",
    "rows": LIST_ROWS,  # before "feedback", whose selector also ends in 'tr': rows need no ancestor check
    "feedback": ".embedded-feedback-list tr",
}, many=("rows", "feedback"))
VENDOR_BOX = Selectors({  # <div> children of a vendor page's box (which also holds the handle and band)
    "last_seen": ".vendorbio-stats-online",
    "bio": ".vendorbio-description",
    "feedback": ".embedded-feedback-list",
    "list": "#product-list",
})
MAIN_VENDOR = Selectors({**MAIN.table, **VENDOR.table}, many=tuple(VENDOR.many))  # no node answers both
# the first of many, at the top of the main part: found by a walk that stops there
VENDOR_FIRST = Selectors({"handle": "strong", "ratings": "span.gen-user-ratings"})
# Cells of a listing row, in order after the name cell: price, ships; then the vendor on category pages.
LIST_CELLS = ("name", "price", "ships", "vendor")

PGP_BEGIN = "-----BEGIN PGP PUBLIC KEY BLOCK-----"
PGP_END = "-----END PGP PUBLIC KEY BLOCK-----"


def landmarks(doc: Doc) -> dict:
    """Header, breadcrumb and main-part landmarks, once per page (identify, then parse)."""
    got = doc.cache.get(NAME)
    if got is not None:
        return got
    body = doc.tree.body
    top = nav = main = None
    if body is not None:
        ids = {c.id: c for c in body.iter()}  # (elements only: text has no id)
        top, nav, main = ids.get(_TOP_ID), ids.get(_NAV_ID), ids.get(_MAIN_ID)
    if top is None or nav is None or main is None:  # not the usual skeleton: look everywhere
        top = nav = main = doc.tree.root
    # the box of a product, category or front page where the template puts it spares the query
    # for every landmark over the main part (the left menu, a long listing table)
    box = _content_box(main)
    # (the product box, on most pages, by its id alone: "product" is MAIN's first name)
    name = None if box is None else "product" if box.id == _PRODUCT_ID else MAIN.match(box)
    heading, rate = _header(top)
    got = {"heading": heading, "rate": rate, "crumbs": _crumbs(nav), **_NO_MAIN, "main": main}
    if name is not None:
        got[name] = box
    elif "vendor" in doc.segments[:-1]:  # by its address a vendor page: its fields in the same look-up
        found = _vendor_box(main) or MAIN_VENDOR.first(main)
        got.update({name: found[name] for name in MAIN.table}, vendor=found)
    else:
        got.update(MAIN.first(main))
    doc.cache[NAME] = got
    return got


_TOP_ID, _NAV_ID, _MAIN_ID = (REGIONS[r] for r in ("header", "nav", "main"))
_NO_MAIN = dict.fromkeys(MAIN.table)
_PRODUCT_ID = MAIN.table["product"].removeprefix("#")


# Where the 2014 template puts its landmarks, followed child by child (a few nodes instead of a
# search of the region); each is checked by its id, and a page laid out otherwise is searched.


def _content_box(main: LexborNode) -> LexborNode | None:
    """The page's one box in the content cell (main > table > tr > last td > div > box): the product,
    the listing table, the featured grid. None when the page is laid out otherwise."""
    row = child(child(child(main, "table"), "tbody"), "tr")
    cell = child(child(row, "td", last=True), "div")
    if cell is None:
        return None
    boxes = [c for c in cell.iter() if c.is_element_node]
    return boxes[0] if len(boxes) == 1 else None


def _vendor_box(main: LexborNode) -> dict | None:
    """MAIN_VENDOR's nodes where a vendor page has them: children of its one box (main > div), the
    key inside the profile, the rows of the tables in the feedback box and the listing box. None
    when there is no profile among the children."""
    boxes = [c for c in main.iter() if c.is_element_node]
    if len(boxes) != 1:
        return None
    got: dict = {}
    for c in boxes[0].iter():
        if c.tag_id == DIV_ID:
            name = VENDOR_BOX.match(c)
            if name is not None and name not in got:
                got[name] = c
    bio = got.get("bio")
    if bio is None:
        return None
    rows = [tr for tr in _rows_in(got.get("list"), LIST_ROWS) if has_class(tr, LIST_ROW_CLASS)]
    return dict.fromkeys(MAIN_VENDOR.table) | {
        "bio": bio, "list": got.get("list"), "last_seen": got.get("last_seen"),
        "pgp": select_first(bio, VENDOR.table["pgp"]), "rows": rows,
        "feedback": _rows_in(got.get("feedback"), FEEDBACK_ROWS)}


def _rows_in(box: LexborNode | None, query: str) -> list[LexborNode]:
    """The rows of the tables that are children of ``box``, read child by child; the query (all
    matching rows below the box) where its table sits deeper. Rows only ever stand in a table (the
    HTML parser drops a <tr> anywhere else), so a box without one has none: most feedback boxes
    say 'No feedbacks found.'"""
    if box is None:
        return []
    tables = kids(box, _TABLE_ID)
    if tables:
        return [tr for t in tables for part in t.iter() if part.tag_id in _TABLE_PARTS for tr in kids(part, _TR_ID)]
    if not any(n.tag_id == _TABLE_ID for n in box.traverse()):
        return []
    return select(box, query)


_TABLE_PARTS = frozenset(tag_id(t) for t in ("thead", "tbody", "tfoot"))  # where the parser puts a table's rows
_TABLE_ID, _TR_ID = tag_id("table"), tag_id("tr")


def _header(region: LexborNode) -> tuple[LexborNode | None, LexborNode | None]:
    """HEADER's nodes (heading, rate) among the children of the header table's cells, else by a walk
    of the region."""
    heading = rate = None
    row = child(child(child(region, "table"), "tbody"), "tr")
    if row is not None:
        heading_id, rate_id, td_id = _HEADING_ID, _RATE_ID, TD_ID
        for td in row.iter():  # (iter() steps over the text between cells in C)
            if td.tag_id != td_id:
                continue
            for c in td.iter():
                i = c.id
                if i == heading_id:
                    if heading is None:
                        heading = c
                elif i == rate_id and rate is None:
                    rate = c
            if heading is not None and rate is not None:
                return heading, rate
    found = HEADER.walk(region)
    return found["heading"], found["rate"]


_HEADING_ID, _RATE_ID = (HEADER.table[n].removeprefix("#") for n in ("heading", "rate"))


def _crumbs(nav: LexborNode) -> list[LexborNode]:
    """NAV's crumbs by a walk of the small breadcrumb bar, which costs less than a query there: the
    links with an ancestor of the CRUMB class (mostly their parent)."""
    out = []
    for a in nav.traverse():
        if a.tag_id != A_ID:
            continue
        up = a.parent
        while up is not None and not has_class(up, CRUMB):
            up = up.parent
        if up is not None:
            out.append(a)
    return out


def identify(doc: Doc) -> bool:
    heading = text_of(landmarks(doc)["heading"])
    return bool(heading) and heading.startswith("Agora")


def parse(doc: Doc) -> Parsed:
    page = landmarks(doc)
    rate = header_rate(page["rate"])
    if page["product"] is not None:
        return _product(doc, page, rate)
    if page["bio"] is not None:
        return _vendor(doc, page, rate)
    if page["list"] is not None:
        trs = [tr for tr in _rows_in(page["list"], LIST_ROWS) if has_class(tr, LIST_ROW_CLASS)]
        rows = _list_rows(trs, rate, breadcrumb(page["crumbs"]), None)
        return _page(model.CATEGORY, rate, rows=rows)
    if page["front"] is not None:
        if _is_product_path(doc):
            return _page(model.ERROR, rate, error=model.REMOVED, listing_key=_path_key(doc))
        # the front page and top-level categories show a grid of featured listings
        page_type = model.CATEGORY if "cat" in doc.segments[:-1] else model.OTHER
        return _page(page_type, rate, rows=_grid_rows(page["front"], rate, breadcrumb(page["crumbs"])))
    err = errors.classify(doc)
    if err:
        return _page(model.ERROR, rate, error=err, listing_key=_path_key(doc))
    return _page(model.OTHER, rate)


def _page(page_type: str, rate: float | None, **kw) -> Parsed:
    return Parsed(page_type, NAME, CONFIDENCE, MARKET, usd_rate=rate, **kw)


# --- hooks ---------------------------------------------------------------------------------------


def header_rate(bar: LexborNode | None) -> float | None:
    """The USD value of one BTC shown at the end of the header bar ('... :: 452.00 USD')."""
    text = text_of(bar)
    return _rate(text.rsplit("::", 1)[-1]) if text else None


@lru_cache(maxsize=256)
def _rate(text: str) -> float | None:  # the same on every page of a crawl
    amount, code = fields.price(text)
    return amount if code == "USD" and amount else None


_price = lru_cache(maxsize=8192)(fields.price)  # runs on every row and page; prices repeat


def breadcrumb(crumbs: list[LexborNode]) -> str | None:
    """The category path; a step back to the front page ('Listings', an uncategorised listing) is none."""
    names = [t for t in (text_of(a) for a in crumbs if a.attributes.get("href") not in ("/", "")) if t]
    return "/".join(names) or None


def ships(node: LexborNode | None) -> tuple[str | None, str | None]:
    """'From' and 'To' of a ships block: the text after the truck and the home icons, to a <br>."""
    return _ships_walk(node)[:2]


def _ships_walk(node: LexborNode | None) -> tuple[str | None, str | None, list[LexborNode]]:
    """``ships``, and the cell's <a> and <span> children, found in the same walk (on vendor pages
    a listing row's ships cell also holds the vendor link and its rating)."""
    if node is None:
        return None, None, []
    frm: list[str] = []
    to: list[str] = []
    acc = None
    marks: list[LexborNode] = []
    for n in node.iter(include_text=True):  # (comparing tag ids)
        tid = n.tag_id
        if tid == TEXT_ID:
            if acc is not None:
                acc.append(n.text_content or "")
        elif tid == BR_ID:
            acc = None
        elif tid == I_ID:
            klass = n.attributes.get("class") or ""
            acc = frm if "fa-truck" in klass else to if "fa-home" in klass else acc
        elif tid in (A_ID, SPAN_ID):
            marks.append(n)
    return (_ships_text("".join(frm), "From:") if frm else None, _ships_text("".join(to), "To:") if to else None,
            marks)


@lru_cache(maxsize=4096)
def _ships_text(text: str, prefix: str) -> str | None:
    t = " ".join(text.split())
    if t.startswith(prefix):
        t = t[len(prefix):].strip()
    return t or None


_PRODUCT_TAGS = PRODUCT.tag_tables()
_PRODUCT_BY_ID = {tag_id(tag): spec for tag, spec in _PRODUCT_TAGS.items() if tag is not None}
_NOT_DESCRIPTION = frozenset(tag_id(t) for t in ("img", "script", "style"))


def _product_children(root: LexborNode) -> tuple[dict, str | None]:
    """The product box's fields (PRODUCT, BUTTONS) and its description: the loose text and line
    breaks between the first float-clearing div and the vendor link, in one walk of its children.
    (The walk runs on every product page over some fifty nodes, mostly text and <br>: those are told
    by an int compare first, the table's look-up is inlined, the attributes of an element read once;
    iter(include_text=True) hands over the children from C, a third cheaper than a sibling walk.)"""
    f: dict = dict.fromkeys(_PRODUCT_FIELDS)
    tables, anytag = _PRODUCT_BY_ID, _PRODUCT_TAGS.get(None)
    text_id, br_id = TEXT_ID, BR_ID
    parts: list[str] = []
    append = parts.append
    state = 0  # 0 before the description, 1 in it, 2 after it
    for n in root.iter(include_text=True):
        tid = n.tag_id
        if tid == text_id:
            if state == 1:
                append(n.text_content or "")
            continue
        if tid == br_id:
            if state == 1:
                append("\n")
            continue
        spec = tables.get(tid, anytag)
        name = attrs = None
        if spec is None:
            name = PRODUCT.match(n)
        else:
            name, classed = spec
            if classed:
                attrs = n.attributes
                klass = attrs.get("class")
                if klass is not None:
                    name = classed.get(klass, name) if " " not in klass and klass.isprintable() else (
                        PRODUCT.match(n, attrs))
        if name is not None:
            if f[name] is None:
                f[name] = n
            if name == "vendor":
                state = 2
        elif tid == DIV_ID:
            if attrs is None:
                attrs = n.attributes
            if state == 0 and "clear" in (attrs.get("style") or ""):
                state = 1
            elif state == 2:
                for b in n.iter():  # the buttons box
                    classes = (b.attributes.get("class") or "").split()
                    for cls, key in BUTTONS.items():
                        if cls in classes:
                            f[key] = child(b, "a")
        elif state == 1 and tid not in _NOT_DESCRIPTION:
            append(n.text_lexbor())
    text = "".join(parts).strip()
    if text.endswith("Brought to you by:"):
        text = text[: -len("Brought to you by:")].rstrip()
    return f, text or None


_PRODUCT_FIELDS = [*PRODUCT.table, *BUTTONS.values()]
_SPAN_OR_A = frozenset((SPAN_ID, A_ID))


def _ratings_after(node: LexborNode | None) -> str | None:
    if node is None:
        return None
    nxt = next_element(node)
    return text_of(nxt) if nxt is not None and has_class(nxt, "gen-user-ratings") else None


def _is_product_path(doc: Doc) -> bool:
    segs = doc.segments
    return len(segs) >= 2 and segs[-2] == "p"


def _path_key(doc: Doc) -> str | None:
    return fields.strip_saved_suffix(doc.segments[-1]) if _is_product_path(doc) else None


@lru_cache(maxsize=4096)
def _band(text: str | None) -> float | None:
    return fields.rating(text)[0]


def _feedback(trs: list[LexborNode], listing_key: str | None, vendor: str | None) -> list[dict]:
    # (a row's cells and its last cell's children by iter(), which steps over white space in C, comparing
    # tag ids: vendor pages show dozens of rows; text_of and the caches' look-ups inlined: this runs
    # on every row of every product and vendor page)
    out = []
    td_id, span_or_a = TD_ID, _SPAN_OR_A
    band_of, age_of = _band, _age
    for pos, tr in enumerate(trs):
        tds = [c for c in tr.iter() if c.tag_id == td_id]
        if len(tds) < 4:
            continue
        rating_text = tds[0].text_lexbor().strip() or None
        buyer = band = None
        for c in tds[-1].iter():
            if c.tag_id in span_or_a:
                klass = c.attributes.get("class")
                if klass == "gen-user-link":
                    buyer = c.text_lexbor().strip() or None
                elif klass == "gen-user-ratings":
                    band = c.text_lexbor().strip() or None
        age = tds[-2].text_lexbor().strip() or None
        if len(tds) >= 5 and (item := child(tds[2], "a")) is not None:
            item_key = fields.last_segment(item.attributes.get("href"), "p")
            item_title = item.text_lexbor().strip() or None
        else:
            item_key = item_title = None
        text = tds[1].text_lexbor().strip() or None
        key = item_key or listing_key
        out.append({"position": pos, "listing_key": key, "item_title": item_title, "vendor": vendor,
                    "rating": band_of(rating_text), "rating_text": rating_text, "text": text, "age_text": age,
                    "age_days": age_of(age), "buyer": buyer, "buyer_band": band,
                    "raw": {"listing_key": key, "item_title": item_title, "vendor": vendor,
                            "rating_text": rating_text, "text": text, "age_text": age, "buyer": buyer,
                            "buyer_band": band}})
    return out


@lru_cache(maxsize=1024)
def _age(text: str | None) -> int | None:
    return fields.age_days(text)


# --- page types ----------------------------------------------------------------------------------


def _product(doc: Doc, page: dict, rate: float | None) -> Parsed:
    root = page["product"]
    f, description = _product_children(root)
    key = (fields.last_segment(f["buy"].attributes.get("href") if f["buy"] is not None else None, "p")
           or _image_key(f["image"]) or _image_key(select_first(root, PRODUCT_IMAGE)) or _path_key(doc))
    price_text = text_of(f["price"])
    amount, currency = _price(price_text)
    vendor = text_of(f["vendor"]) or (fields.last_segment(f["vendor"].attributes.get("href"), "vendor")
                                       if f["vendor"] is not None else None)
    band = _ratings_after(f["vendor"])
    ships_from, ships_to = ships(f["ships"])
    obs = {
        "listing_key": key,
        "title": text_of(f["title"]),
        "description": description,
        "price_text": price_text,
        "price_amount": amount,
        "price_currency": currency,
        "usd_rate": rate,
        "vendor": vendor,
        "category": breadcrumb(page["crumbs"]),
        "ships_from": ships_from,
        "ships_to": ships_to,
        "rating": _band(band),
        "counters_text": band,
    }
    raw = {"listing_key": key, "title": obs["title"], "description": description, "price_text": price_text,
           "usd_rate": rate, "vendor": vendor, "category": obs["category"], "ships_from": ships_from,
           "ships_to": ships_to, "counters_text": band}  # obs less what was read from the shown fields
    unavailable = text_of(f["unavailable"])
    if unavailable:
        raw["availability"] = unavailable
    feedback = _feedback(_rows_in(f["feedback"], FEEDBACK_ROWS), key, vendor)
    raw["feedback_shown"] = len(feedback)
    obs["raw"] = raw
    parsed = _page(model.PRODUCT, rate, listing_key=key, observation=obs, feedback=feedback)
    missing = [n for n in ("title", "price_text", "vendor") if not obs[n]]
    if missing:
        parsed.problems.append(f"product page without {', '.join(missing)}")
    return parsed


PRODUCT_IMAGE = 'img[src*="/liabilities/p/"]'  # the listing's picture, when it is not a direct child


def _image_key(img: LexborNode | None) -> str | None:
    src = img.attributes.get("src") if img is not None else None
    if not src or "/liabilities/p/" not in src:
        return None
    return src.rsplit("/", 1)[-1].rsplit(".", 1)[0] or None


def _list_rows(trs: list[LexborNode], rate: float | None, category: str | None, vendor: str | None
               ) -> list[dict]:
    # Rows are many per page (most of a category page's parse): each cell is read in one walk comparing
    # lexbor's tag ids (iter() where no text is read: it steps over white space in C; for the ships
    # cell's text iter(include_text=True)), and classes are read only where tags are ambiguous. The seller's
    # link and rating band sit in the ships cell (vendor pages) or the cell after it (category
    # pages): both are read as met, in document order.
    rows = []
    td_id, a_id, span_id = TD_ID, A_ID, SPAN_ID
    price_of, band_of, last_segment = _price, _band, fields.last_segment
    for pos, tr in enumerate(trs):
        name_td = None
        cells = []  # LIST_CELLS after the name cell: price, ships, vendor
        for c in tr.iter():
            if c.tag_id == td_id:
                if name_td is not None:
                    cells.append(c)
                    if len(cells) == len(LIST_CELLS) - 1:
                        break
                else:
                    klass = c.attributes.get("class")
                    if klass and (klass == "column-name" or "column-name" in klass.split()):
                        name_td = c
        if name_td is None:
            continue
        link = preview = None
        for c in name_td.iter():
            tid = c.tag_id
            if tid == a_id:
                if link is None:
                    link = c
                    if preview is not None:
                        break
            elif tid == span_id and preview is None:
                preview = c
                if link is not None:
                    break
        key = last_segment(link.attributes.get("href"), "p") if link is not None else None
        if key is None:
            continue
        price_text = (cells[0].text_lexbor().strip().split("\n", 1)[0].strip() or None) if cells else None
        amount, currency = price_of(price_text)
        seller = band = ships_from = ships_to = None
        nofe = False
        marks: list[LexborNode] = []  # the seller's link and rating spans, in document order
        if len(cells) > 1:  # the ships cell (on vendor pages it holds the seller's marks too)
            ships_from, ships_to, marks = _ships_walk(cells[1])
        if len(cells) > 2:  # the vendor cell (category pages): elements only
            marks.extend(n for n in cells[2].iter() if n.tag_id in (a_id, span_id))
        for n in marks:
            if n.tag_id == a_id:
                if not seller:
                    seller = n.text_lexbor().strip() or None
            else:
                klass = n.attributes.get("class") or ""
                if "nofe" in klass:
                    nofe = True
                elif "gen-user-ratings" in klass:
                    band = n.text_lexbor().strip() or None
        title = link.text_lexbor().strip() or None
        description = (preview.text_lexbor().strip() or None) if preview is not None else None
        seller = seller or vendor
        raw = {"listing_key": key, "title": title, "description": description, "price_text": price_text,
               "usd_rate": rate, "vendor": seller, "category": category, "ships_from": ships_from,
               "ships_to": ships_to, "counters_text": band, "no_fe": nofe}
        rows.append({"position": pos, "listing_key": key, "title": title, "description": description,
                     "price_text": price_text, "price_amount": amount, "price_currency": currency,
                     "usd_rate": rate, "vendor": seller, "category": category, "ships_from": ships_from,
                     "ships_to": ships_to, "rating": band_of(band), "counters_text": band, "raw": raw})
    return rows


def _grid_rows(grid: LexborNode, rate: float | None, category: str | None) -> list[dict]:
    """Featured listings of a grid: id, title and price only (no vendor): kept as links, never
    taken for observations."""
    rows = []
    for pos, cell in enumerate(select(grid, GRID_CELLS)):
        caption = select_first(cell, GRID_CELL["caption"])
        key = fields.last_segment(caption.attributes.get("href"), "p") if caption is not None else None
        if key is None:
            continue
        price_text = text_of(select_first(cell, GRID_CELL["price"]))
        amount, currency = _price(price_text)
        title = text_of(caption)
        raw = {"listing_key": key, "title": title, "price_text": price_text, "usd_rate": rate, "category": category}
        rows.append({"position": pos, "listing_key": key, "title": title, "price_text": price_text,
                     "price_amount": amount, "price_currency": currency, "usd_rate": rate, "category": category,
                     "page_type": "grid", "raw": raw})
    return rows


def _vendor(doc: Doc, page: dict, rate: float | None) -> Parsed:
    f = (page.get("vendor") or VENDOR.first(page["main"])) | VENDOR_FIRST.walk(page["main"])
    handle = text_of(f["handle"]) or (fields.strip_saved_suffix(doc.segments[-1]) if doc.segments else None)
    band = text_of(f["ratings"])
    key = block_text(f["pgp"])
    bio = block_text(f["bio"])
    if key and bio:
        bio = bio.replace(key, "").strip() or None
    elif bio and PGP_BEGIN in bio:
        start = bio.find(PGP_BEGIN)
        end = bio.find(PGP_END, start)
        key = bio[start:end + len(PGP_END)] if end >= 0 else bio[start:]
        bio = (bio[:start] + (bio[end + len(PGP_END):] if end >= 0 else "")).strip() or None
    rows = _list_rows(f["rows"], rate, None, handle)
    vendor = {
        "handle": handle,
        "rating": _band(band),
        "deals": fields.deals(band),
        "n_products": len(rows),
        "last_seen_text": text_of(f["last_seen"]),
        "pgp_key": key,
        "profile_text": bio,
    }
    vendor["raw"] = {"handle": handle, "ratings": band, "last_seen": vendor["last_seen_text"],
                     "pgp_key": key, "profile": bio, "products_listed": len(rows)}
    parsed = _page(model.VENDOR, rate, vendor=vendor, rows=rows, feedback=_feedback(f["feedback"], None, handle))
    if not handle:
        parsed.problems.append("vendor page without a handle")
    return parsed

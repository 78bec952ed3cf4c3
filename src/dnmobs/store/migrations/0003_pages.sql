-- 0003: saved market pages (HTML trees, archives, WARC): what each page was, the listing rows of
-- category and vendor pages, and buyer feedback. Product pages become observations (0001).

-- One row per page read, error pages included: the crawl's coverage, and why pages gave nothing.
CREATE TABLE pages (
    page_id     VARCHAR NOT NULL,   -- digest of market, crawl date, location and content: a page seen twice is one row
    source_id   BIGINT NOT NULL,
    market      VARCHAR,
    crawl_date  DATE,
    location    VARCHAR NOT NULL,   -- the page's site path ('/p/AbCdEf') or WARC target URI
    page_type   VARCHAR NOT NULL,   -- product, vendor, category, error, other
    error       VARCHAR,            -- for error pages: removed, login, captcha, ddos, empty, truncated, http-error
    layout      VARCHAR NOT NULL,   -- the parser that read it: a market layout or 'generic'
    confidence  DOUBLE NOT NULL,    -- 1.0 for a market's own layout, lower for the generic fallback
    listing_key VARCHAR,            -- the listing a product page (or a removed listing's URL) is about
    usd_rate    DOUBLE,             -- the BTC/USD rate the page's header showed
    charset     VARCHAR,            -- what the page was read as
    truncated   BOOLEAN,
    http_status INTEGER,
    n_rows      INTEGER,
    n_feedback  INTEGER,
    sha256      VARCHAR,
    size        BIGINT,
    raw         JSON
);

-- Listings as rows of category and vendor pages. A category row becomes the listing's observation
-- of that crawl only when no product page of the listing was read for the crawl (a product page
-- shows more); it is replaced when one arrives later. Vendor-page and grid rows are kept as links only.
CREATE TABLE listing_rows (
    row_id         VARCHAR NOT NULL,  -- digest of the row as read and where: a row seen twice is one row
    listing_id     VARCHAR NOT NULL,  -- as in listings
    source_id      BIGINT NOT NULL,
    market         VARCHAR NOT NULL,
    crawl_date     DATE NOT NULL,
    location       VARCHAR,           -- '<page location> row 3'
    page_type      VARCHAR NOT NULL,  -- category, vendor, or grid (featured listings: id, title, price)
    position       INTEGER,
    listing_key    VARCHAR,
    title          VARCHAR,
    description    VARCHAR,           -- the preview the row shows
    price_text     VARCHAR,
    price_amount   DOUBLE,
    price_currency VARCHAR,
    usd_rate       DOUBLE,
    price_usd_shown DOUBLE,
    vendor         VARCHAR,
    category       VARCHAR,
    ships_from     VARCHAR,
    ships_to       VARCHAR,
    sold_count     BIGINT,
    sold_since     DATE,
    feedback_count BIGINT,
    rating         DOUBLE,
    counters_text  VARCHAR,
    raw            JSON
);

-- Buyer feedback shown on product and vendor pages. The same entry shown on both pages of one
-- crawl is stored once: its identity is the listing, rating, text, age and buyer, and its rank
-- among identical entries of its page.
CREATE TABLE feedback (
    feedback_id VARCHAR NOT NULL,
    source_id   BIGINT NOT NULL,
    market      VARCHAR NOT NULL,
    crawl_date  DATE NOT NULL,
    location    VARCHAR,
    listing_id  VARCHAR,              -- as in listings, when the listing is known
    listing_key VARCHAR,
    item_title  VARCHAR,
    vendor_id   VARCHAR,              -- as in vendors
    vendor      VARCHAR,
    rating      DOUBLE,               -- out of 5
    rating_text VARCHAR,
    text        VARCHAR,
    age_text    VARCHAR,
    date_est    DATE,                 -- the crawl date less the age, when the age is in days or more
    buyer       VARCHAR,
    buyer_band  VARCHAR,
    raw         JSON
);

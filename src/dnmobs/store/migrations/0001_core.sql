-- 0001: the core store. Every later migration adds; none rewrites this one once released.

CREATE SEQUENCE IF NOT EXISTS seq_source_id START 1;
CREATE SEQUENCE IF NOT EXISTS seq_crawl_id START 1;
CREATE SEQUENCE IF NOT EXISTS seq_quarantine_id START 1;

-- One row per ingested file or archive member.
CREATE TABLE sources (
    source_id     BIGINT PRIMARY KEY DEFAULT nextval('seq_source_id'),
    path          VARCHAR NOT NULL,   -- as given; archive members as 'archive.tar.gz!member/path'
    member        VARCHAR,            -- member path inside an archive, else NULL
    sha256        VARCHAR NOT NULL,   -- of the bytes as read (compressed file, or the member)
    size          BIGINT NOT NULL,
    format        VARCHAR,
    market        VARCHAR,
    ingest_key    VARCHAR NOT NULL,   -- sha256 + format + market + crawl-date override: same key = same content
    status        VARCHAR NOT NULL,   -- 'complete' or 'failed'
    error         VARCHAR,
    ingested_at   TIMESTAMP NOT NULL DEFAULT current_timestamp,
    n_read        BIGINT NOT NULL DEFAULT 0,
    n_stored      BIGINT NOT NULL DEFAULT 0,
    n_quarantined BIGINT NOT NULL DEFAULT 0,
    n_skipped     BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE markets (
    market       VARCHAR PRIMARY KEY,  -- lowercase id: 'agora', 'alphabay', 'telegram:@channel'
    kind         VARCHAR NOT NULL,     -- 'darknet', 'messenger', 'unknown'
    display_name VARCHAR
);

-- A crawl is one market on one date; many sources may feed it.
CREATE TABLE crawls (
    crawl_id   BIGINT PRIMARY KEY DEFAULT nextval('seq_crawl_id'),
    market     VARCHAR NOT NULL,
    crawl_date DATE NOT NULL,
    source_id  BIGINT NOT NULL,       -- the first source that contributed
    UNIQUE (market, crawl_date)
);

-- A stable identity per market listing: the market's own id where the data has one,
-- else the vendor and the normalised title.
CREATE TABLE listings (
    listing_id  VARCHAR PRIMARY KEY,  -- hex digest of market + listing_key
    market      VARCHAR NOT NULL,
    listing_key VARCHAR NOT NULL,
    vendor      VARCHAR,
    title       VARCHAR               -- as first seen
);

-- A listing as seen in one crawl. Identical records are stored once (obs_id is their digest).
-- Long and unique text is stored with zstd: the automatic choice of compression costs more than
-- the whole insert on millions of rows, and zstd is smaller here too.
CREATE TABLE observations (
    obs_id         VARCHAR USING COMPRESSION zstd NOT NULL,
    listing_id     VARCHAR USING COMPRESSION zstd NOT NULL,
    crawl_id       BIGINT NOT NULL,
    source_id      BIGINT NOT NULL,
    market         VARCHAR NOT NULL,
    crawl_date     DATE NOT NULL,
    location       VARCHAR USING COMPRESSION zstd,           -- where in the source: 'row 12', 'line 40', a page path
    title          VARCHAR USING COMPRESSION zstd,
    description    VARCHAR USING COMPRESSION zstd,
    price_text     VARCHAR USING COMPRESSION zstd,           -- the displayed price, as shown
    price_amount   DOUBLE,            -- when the source gives a number
    price_currency VARCHAR,           -- ISO 4217 or crypto code (BTC, XMR)
    usd_rate       DOUBLE,            -- USD per unit of price_currency shown by the page or row itself
    price_usd_shown DOUBLE,           -- a USD price the page itself shows beside another currency
    vendor         VARCHAR,
    category       VARCHAR,           -- path joined with '/'
    ships_from     VARCHAR,           -- as shown; the extraction turns it into codes
    ships_to       VARCHAR,
    sold_count     BIGINT,
    sold_since     DATE,
    feedback_count BIGINT,
    rating         DOUBLE,
    counters_text  VARCHAR USING COMPRESSION zstd,           -- the sold/feedback text the counters came from
    raw            JSON USING COMPRESSION zstd -- every field of the record as read
);

-- One priced quantity of one good, derived from an observation or a message (extraction).
CREATE TABLE offers (
    offer_id          VARCHAR USING COMPRESSION zstd NOT NULL,
    obs_id            VARCHAR USING COMPRESSION zstd,        -- NULL for messages
    message_id        VARCHAR USING COMPRESSION zstd,        -- NULL for market listings
    listing_id        VARCHAR USING COMPRESSION zstd,
    market            VARCHAR,
    vendor            VARCHAR,
    date              DATE,
    offer_index       INTEGER NOT NULL DEFAULT 0,  -- position among several offers of one text
    text              VARCHAR USING COMPRESSION zstd,
    is_drug           BOOLEAN,
    substance         VARCHAR,
    substance_class   VARCHAR,
    form              VARCHAR,
    brand             VARCHAR,
    grams             DOUBLE,
    units             DOUBLE,
    unit_dose_mg      DOUBLE,
    purity_pct        DOUBLE,
    price_amount      DOUBLE,
    price_currency    VARCHAR,
    price_usd         DOUBLE,
    price_usd_source  VARCHAR,        -- 'page', 'rates-file', 'store'
    price_note        VARCHAR USING COMPRESSION zstd,        -- why price_usd is NULL, or why it is flagged
    usd_per_gram      DOUBLE,
    usd_per_pure_gram DOUBLE,
    usd_per_unit      DOUBLE,
    ships_from        VARCHAR,
    ships_to          VARCHAR,
    flags             VARCHAR[]
);

-- Vendors: one row per handle on a market; snapshots hold what each crawl showed.
CREATE TABLE vendors (
    vendor_id    VARCHAR PRIMARY KEY, -- hex digest of market + handle
    market       VARCHAR NOT NULL,
    handle       VARCHAR NOT NULL,    -- as first seen
    profile_text VARCHAR              -- the latest non-empty profile
);

CREATE TABLE vendor_snapshots (
    snap_id      VARCHAR NOT NULL,    -- digest of the record: identical snapshots stored once
    vendor_id    VARCHAR NOT NULL,
    market       VARCHAR NOT NULL,
    crawl_date   DATE,
    source_id    BIGINT NOT NULL,
    location     VARCHAR,
    rating       DOUBLE,
    deals        VARCHAR,             -- as shown: '40~55', '123'
    n_products   BIGINT,
    last_seen_text VARCHAR,
    pgp_key      VARCHAR,             -- the key block as found (line breaks may be lost)
    contact      VARCHAR,
    profile_text VARCHAR,
    raw          JSON
);

-- Distinct PGP key blocks per vendor, as found.
CREATE TABLE vendor_keys (
    vendor_id  VARCHAR NOT NULL,
    key_sha256 VARCHAR NOT NULL,      -- digest of the block with all whitespace removed
    key_block  VARCHAR NOT NULL,
    first_seen DATE,
    last_seen  DATE,
    PRIMARY KEY (vendor_id, key_sha256)
);

-- Contact handles seen for a vendor or in a message; phone numbers only as keyed hashes.
CREATE TABLE contacts (
    vendor_id  VARCHAR,
    message_id VARCHAR,
    market     VARCHAR,
    kind       VARCHAR NOT NULL,      -- 'telegram', 'wickr', 'jabber', 'email', 'phone', 'session', ...
    value      VARCHAR NOT NULL,      -- normalised; phones as 'hmac:<hex>'
    source_id  BIGINT,
    first_seen DATE
);

-- Every record that could not be stored, with the reason.
CREATE TABLE quarantine (
    quarantine_id BIGINT PRIMARY KEY DEFAULT nextval('seq_quarantine_id'),
    source_id     BIGINT,
    path          VARCHAR NOT NULL,
    location      VARCHAR,
    raw           VARCHAR,            -- the record as read, cut to 64 KiB
    reason        VARCHAR NOT NULL,
    created_at    TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- Exchange rates: USD value of one unit of a currency on a date.
CREATE TABLE rates (
    date     DATE NOT NULL,
    currency VARCHAR NOT NULL,
    usd      DOUBLE NOT NULL,
    origin   VARCHAR,                 -- the file it was imported from
    PRIMARY KEY (date, currency)
);

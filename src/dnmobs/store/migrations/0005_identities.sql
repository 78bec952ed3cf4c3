-- 0005: vendor identities. Parsed PGP keys (a cache: a block is parsed once), and the latest linkage of
-- vendors into identities with the evidence for every link. `dnmobs link` rewrites the identity tables.

-- One row per distinct key text: a vendor_keys block, or a profile text holding a block.
CREATE TABLE pgp_blocks (
    block_sha256   VARCHAR PRIMARY KEY,  -- sha256 of the text with all white space removed (= vendor_keys.key_sha256)
    parser_version INTEGER NOT NULL,     -- dnmobs.link.pgp.PARSER_VERSION that read it
    n_certificates INTEGER NOT NULL,
    problems       VARCHAR[]             -- why parts could not be read, one line each
);

-- Every public key and subkey read from a block.
CREATE TABLE pgp_keys (
    block_sha256        VARCHAR NOT NULL,
    cert_index          INTEGER NOT NULL,   -- position of the certificate in the block
    primary_fingerprint VARCHAR,            -- of the certificate; NULL when its primary key was lost
    fingerprint         VARCHAR NOT NULL,
    key_id              VARCHAR NOT NULL,
    is_primary          BOOLEAN NOT NULL,
    version             SMALLINT NOT NULL,  -- 3, 4, 5 or 6
    algorithm           VARCHAR,
    bits                INTEGER,
    curve               VARCHAR,
    created             TIMESTAMP,
    revoked             BOOLEAN
);

CREATE TABLE pgp_user_ids (
    block_sha256        VARCHAR NOT NULL,
    cert_index          INTEGER NOT NULL,
    primary_fingerprint VARCHAR,
    user_id             VARCHAR NOT NULL,
    email               VARCHAR             -- lower case, when the user id holds one
);

-- Which key texts each vendor showed: its key blocks, and blocks pasted into its profile.
CREATE TABLE vendor_pgp (
    vendor_id    VARCHAR NOT NULL,
    block_sha256 VARCHAR NOT NULL,
    origin       VARCHAR NOT NULL,          -- 'key' (vendor_keys) or 'profile'
    first_seen   DATE,
    last_seen    DATE,
    PRIMARY KEY (vendor_id, block_sha256)
);

CREATE SEQUENCE IF NOT EXISTS seq_link_run START 1;

CREATE TABLE link_runs (
    run_id       BIGINT PRIMARY KEY DEFAULT nextval('seq_link_run'),
    started_at   TIMESTAMP NOT NULL DEFAULT current_timestamp,
    seconds      DOUBLE,
    use_pgp      BOOLEAN NOT NULL,
    n_vendors    BIGINT,
    n_identities BIGINT,
    n_key_links  BIGINT,                    -- vendor pairs joined by a shared primary key
    n_model_links BIGINT,                   -- vendor pairs joined by the model without a shared primary key
    threshold    DOUBLE,                    -- match probability at or above which the model links
    training     VARCHAR,                   -- how the weights were set: 'labels from shared keys', 'shipped'
    model        JSON                       -- the Splink model (settings with trained m and u)
);

-- The latest linkage: every vendor is a member of exactly one identity (singletons included).
CREATE TABLE identities (
    identity_id  VARCHAR PRIMARY KEY,
    run_id       BIGINT NOT NULL,
    label        VARCHAR NOT NULL,          -- the handle seen in most snapshots
    n_members    INTEGER NOT NULL,
    n_markets    INTEGER NOT NULL,
    score        DOUBLE NOT NULL,           -- confidence the members are one vendor: the weakest link of the
                                            -- cluster's strongest spanning tree (1 for keys and singletons)
    key_linked   BOOLEAN NOT NULL,          -- every member joined through shared primary keys
    n_unkeyed_links INTEGER NOT NULL,       -- links made without a shared key (on other strong evidence)
    first_seen   DATE,
    last_seen    DATE
);

CREATE TABLE identity_members (
    identity_id VARCHAR NOT NULL,
    vendor_id   VARCHAR PRIMARY KEY,
    market      VARCHAR NOT NULL,
    handle      VARCHAR NOT NULL
);

-- Why members were put together: one row per link (a pair of members) and kind of evidence.
CREATE TABLE identity_evidence (
    identity_id       VARCHAR NOT NULL,
    vendor_id_l       VARCHAR NOT NULL,
    vendor_id_r       VARCHAR NOT NULL,
    basis             VARCHAR NOT NULL,     -- 'key' (a shared primary fingerprint) or 'model'
    kind              VARCHAR NOT NULL,     -- 'same_primary_fingerprint', 'shared_subkey', 'same_contact', ...
    detail            VARCHAR,              -- the fingerprint, the handle, the level reached
    match_weight      DOUBLE,               -- this evidence's contribution (log2 Bayes factor); NULL for keys
    match_probability DOUBLE                -- of the pair, all evidence combined; 1 for key links
);

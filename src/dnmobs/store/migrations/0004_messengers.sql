-- 0004: messenger channels and groups (Telegram, WhatsApp). A chat is a market of kind 'messenger'.

-- One row per message of a chat. Identity: market + the chat's own message id (Telegram), or a digest
-- of date, sender and text (WhatsApp, whose exports carry no ids), so overlapping exports of one chat
-- store each message once.
CREATE TABLE messages (
    message_id     VARCHAR PRIMARY KEY,  -- hex digest of market + message_key
    market         VARCHAR NOT NULL,     -- 'telegram:<chat>', 'whatsapp:<chat>'
    platform       VARCHAR NOT NULL,     -- 'telegram', 'whatsapp'
    chat_type      VARCHAR,              -- 'public_channel', 'private_group', 'group', ... as the export says
    chat_id        VARCHAR,              -- the platform's chat id, when the export has one
    message_key    VARCHAR NOT NULL,     -- the chat's own message id, or a digest (WhatsApp)
    source_id      BIGINT NOT NULL,
    location       VARCHAR,              -- where in the source: 'message 12', 'line 40'
    date           TIMESTAMP,            -- UTC where the export says the zone (Telegram), else as shown
    edited         TIMESTAMP,
    sender         VARCHAR,              -- the poster's display name
    sender_id      VARCHAR,
    vendor         VARCHAR,              -- who offers: the channel for channels, else the poster
    kind           VARCHAR NOT NULL,     -- 'message' or 'service'
    action         VARCHAR,              -- for service messages: 'create_channel', 'pin_message', ...
    text           VARCHAR,              -- plain text; phone numbers replaced by their keyed hash
    offer_text     VARCHAR,              -- the text offers are read from when it differs (struck-out prices removed)
    reply_to       VARCHAR,              -- message_key of the message replied to
    forwarded_from VARCHAR,
    media          VARCHAR,              -- 'photo', 'video_file', 'sticker', 'omitted', ...
    media_file     VARCHAR,              -- the file the export names, as a relative path
    n_items        INTEGER,              -- priced items found in the text; NULL until offers were extracted
    n_offers       INTEGER,              -- offers made from them; NULL until extracted
    repost_group   VARCHAR,              -- message_id of the first post of its near-duplicate group
    raw            JSON                  -- the message as read, phone numbers redacted
);

-- Secrets a store keeps for itself: the key of the phone number hashes when none is given.
CREATE TABLE store_secrets (
    name  VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

-- Contacts gain where in their source they were seen; from messages, one row per (message, kind, value).
ALTER TABLE contacts ADD COLUMN location VARCHAR;

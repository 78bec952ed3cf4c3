-- 0006: messages without a PRIMARY KEY. DuckDB's index of a primary key is held whole in memory while
-- rows are inserted (about 50 bytes a message: 147 MB at 2.9 M messages, the 1 GB export) and rewritten at
-- every checkpoint, so a long export's ingest grew with the table and failed once the index outgrew the
-- memory limit. Repeats are kept out by the loader (ingest.loaders.keep_new: a batch's ids against the
-- stored ones, a scan of one column), as for every other table without a key; the column stays NOT NULL.
CREATE TABLE messages_0006 (
    message_id     VARCHAR NOT NULL,     -- hex digest of market + message_key; unique (the loader keeps repeats out)
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
INSERT INTO messages_0006 SELECT * FROM messages;
DROP TABLE messages;
ALTER TABLE messages_0006 RENAME TO messages;

-- 0006: messages without a PRIMARY KEY. DuckDB's index of a primary key is held whole in memory while
-- rows are inserted (about 50 bytes a message: 147 MB at 2.9 M messages, the 1 GB export) and rewritten at
-- every checkpoint, so a long export's ingest grew with the table and failed once the index outgrew the
-- memory limit. Repeats are kept out by the loader (ingest.loaders.keep_new: a batch's ids against the
-- stored ones, a scan of one column), as for every other table without a key. The columns, their types
-- and order are 0004's (a copy keeps them, not the key); the NOT NULL constraints are set again.
CREATE TABLE messages_0006 AS SELECT * FROM messages;
ALTER TABLE messages_0006 ALTER COLUMN message_id SET NOT NULL;
ALTER TABLE messages_0006 ALTER COLUMN market SET NOT NULL;
ALTER TABLE messages_0006 ALTER COLUMN platform SET NOT NULL;
ALTER TABLE messages_0006 ALTER COLUMN message_key SET NOT NULL;
ALTER TABLE messages_0006 ALTER COLUMN source_id SET NOT NULL;
ALTER TABLE messages_0006 ALTER COLUMN kind SET NOT NULL;
DROP TABLE messages;
ALTER TABLE messages_0006 RENAME TO messages;

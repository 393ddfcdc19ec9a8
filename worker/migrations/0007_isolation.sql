-- One change may raise several events of one type when several transfers cause them (two
-- unexpected transfers in one block): an event is unique per session version, type and
-- cause (the transfer's key; empty for a status change).
ALTER TABLE events ADD COLUMN cause TEXT NOT NULL DEFAULT '';
DROP INDEX events_once;
CREATE UNIQUE INDEX events_once ON events (session_id, session_version, type, cause);

-- A session whose evaluation or write failed is retried every run, after the healthy ones:
-- `failures` counts its failures in a row (a good write resets it) and orders the work, so
-- a poisoned session never holds up the rest.
ALTER TABLE watch ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;

-- The chain's head when the session was created (the native baseline's block where creation
-- read one, else the last head the watcher recorded, which is never later): a transfer in
-- this block or before it was meant for something else (a reused address, an old deposit),
-- and no check or scan may credit it to the session.
ALTER TABLE watch ADD COLUMN baseline_block INTEGER;

-- A native payment mined after its quote stopped being honoured is valued at the price read
-- when it was detected: the session's total at that price, as a quote (JSON).
ALTER TABLE payments ADD COLUMN repriced TEXT;

-- Per-chain watcher state. Block numbers are INTEGER (far below 2^53);
-- money never lives in this table.
CREATE TABLE chain_cursors (
    chain_id    INTEGER PRIMARY KEY,
    head        INTEGER,            -- latest block seen
    cursor      INTEGER,            -- highest block whose payments are scanned
    last_error  TEXT,               -- last RPC error, RPC host only (never the URL)
    checked_at  TEXT NOT NULL       -- RFC 3339, time of the last run that touched this chain
);

-- Small key/value facts about the deployment itself (e.g. the last cron run).
CREATE TABLE meta (
    key         TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- Sweeps: transactions the merchant's own tool sent to move deposits to the treasury,
-- reported through the API and verified by the watcher from their receipts.
CREATE TABLE sweeps (
    id               TEXT PRIMARY KEY,        -- sw_…
    account_id       TEXT NOT NULL REFERENCES accounts (id),
    livemode         INTEGER NOT NULL,
    chain_id         INTEGER NOT NULL,
    tx_hash          TEXT NOT NULL,           -- lowercase 0x hex
    status           TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    block_number     INTEGER,
    failure_code     TEXT,
    failure_message  TEXT,
    created_at       TEXT NOT NULL,
    created_unix     INTEGER NOT NULL,        -- also the start of the not-found deadline
    updated_at       TEXT NOT NULL,
    verified_at      TEXT,
    write_token      TEXT,                    -- set by the one run that decides it
    UNIQUE (account_id, livemode, chain_id, tx_hash)
);
CREATE INDEX sweeps_list ON sweeps (account_id, livemode, created_unix, id);
CREATE INDEX sweeps_pending ON sweeps (chain_id, status, created_unix);

-- Every move out of a deposit address a succeeded sweep's receipt shows. Amounts are
-- decimal TEXT, summed in the worker, never in SQL.
CREATE TABLE sweep_transfers (
    sweep_id          TEXT NOT NULL REFERENCES sweeps (id),
    account_id        TEXT NOT NULL,
    livemode          INTEGER NOT NULL,
    session_id        TEXT NOT NULL REFERENCES checkout_sessions (id),
    chain_id          INTEGER NOT NULL,
    token             TEXT NOT NULL,
    contract_address  TEXT,                   -- NULL for the native coin
    address           TEXT NOT NULL,          -- the deposit address, lowercase hex
    to_address        TEXT NOT NULL,
    amount            TEXT NOT NULL,
    log_index         INTEGER,                -- NULL for a plain transaction's value
    block_number      INTEGER NOT NULL,       -- the sweep's block
    swept_at          TEXT NOT NULL
);
CREATE UNIQUE INDEX sweep_transfers_once ON sweep_transfers (sweep_id, address, token, IFNULL(log_index, -1));
CREATE INDEX sweep_transfers_session ON sweep_transfers (session_id);
CREATE INDEX sweep_transfers_balances ON sweep_transfers (account_id, livemode, chain_id, token);
-- The native scan adds back what left an address in its window (see `shared::native::Outflows`).
CREATE INDEX sweep_transfers_native ON sweep_transfers (chain_id, block_number) WHERE contract_address IS NULL;

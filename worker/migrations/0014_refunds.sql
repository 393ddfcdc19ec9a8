-- Refunds: money the merchant sends back from its treasury to a shopper's address. Kasse
-- never holds a key: it prepares the refund, records it and verifies the transfer on-chain.
CREATE TABLE refunds (
    id               TEXT PRIMARY KEY,        -- re_test_… / re_live_… (24 base62 from the CSPRNG, like sessions)
    account_id       TEXT NOT NULL REFERENCES accounts (id),
    livemode         INTEGER NOT NULL,
    session_id       TEXT NOT NULL REFERENCES checkout_sessions (id),
    payment_id       TEXT,                    -- pay_… when it refunds one recorded payment
    chain_id         INTEGER NOT NULL,
    token            TEXT NOT NULL,           -- symbol as in the catalogue (ETH for the native coin)
    contract_address TEXT,                    -- lowercase hex; NULL for the native coin
    decimals         INTEGER NOT NULL,
    amount           TEXT NOT NULL,           -- base units, decimal TEXT (never summed in SQL)
    address          TEXT,                    -- lowercase hex; NULL while requires_address
    status           TEXT NOT NULL CHECK (status IN ('requires_address','pending','succeeded','canceled','failed')),
    reason           TEXT,                    -- merchant's free text (≤ 500 chars)
    requested_by     TEXT NOT NULL CHECK (requested_by IN ('merchant','shopper')),
    claim_secret     TEXT NOT NULL,           -- like a session's client secret: compared in constant time
    created_block    INTEGER NOT NULL,        -- the chain's head when created: only transfers in later blocks count
    tx_hash          TEXT,                    -- the matching (or submitted) transaction, lowercase
    log_index        INTEGER,                 -- NULL for a native transfer
    block_number     INTEGER,
    block_hash       TEXT,
    submitted_hash   TEXT,                    -- what the merchant reported, if anything
    failure_code     TEXT,
    failure_message  TEXT,
    created_at       TEXT NOT NULL,
    created_unix     INTEGER NOT NULL,
    updated_at       TEXT NOT NULL,
    succeeded_at     TEXT,
    canceled_at      TEXT,
    version          INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX refunds_list ON refunds (account_id, livemode, created_unix, id);
CREATE INDEX refunds_session ON refunds (session_id);
CREATE INDEX refunds_watched ON refunds (chain_id, status) WHERE status = 'pending';
-- Bumped by every refund created for the session, in the same batch as the insert: two
-- creates that read the same refunds cannot both write.
ALTER TABLE checkout_sessions ADD COLUMN refund_seq INTEGER NOT NULL DEFAULT 0;

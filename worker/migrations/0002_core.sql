-- The data model of the whole product. Conventions:
--   * money is TEXT (decimal base units or 2-decimal fiat) and is never compared or summed in SQL;
--   * block numbers, indices, versions and *_unix times are INTEGER (far below 2^53);
--   * *_at columns are RFC 3339 UTC strings; *_unix columns are the same instants for range queries;
--   * livemode is 0/1.

CREATE TABLE accounts (
    id            TEXT PRIMARY KEY,           -- acct_…
    settings      TEXT NOT NULL,              -- JSON: ttl, grace, tolerance, confirmations, options, origins, branding
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

-- One xpub per account and mode, immutable once set. external_node identifies the
-- m/44'/60'/n'/0 node however the xpub was written, so no two accounts share addresses.
CREATE TABLE account_xpubs (
    account_id    TEXT NOT NULL REFERENCES accounts (id),
    livemode      INTEGER NOT NULL,
    xpub          TEXT NOT NULL,
    external_node TEXT NOT NULL UNIQUE,
    next_index    INTEGER NOT NULL DEFAULT 0, -- reserved with UPDATE … RETURNING
    created_at    TEXT NOT NULL,
    PRIMARY KEY (account_id, livemode)
);

CREATE TABLE api_keys (
    id            TEXT PRIMARY KEY,           -- key_…
    account_id    TEXT NOT NULL REFERENCES accounts (id),
    livemode      INTEGER NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('secret', 'publishable')),
    key_hash      TEXT NOT NULL UNIQUE,       -- hex SHA-256 of the key; the key itself is shown once
    redacted      TEXT NOT NULL,              -- e.g. sk_test_…a1b2, for listings
    created_at    TEXT NOT NULL,
    revoked_at    TEXT
);

CREATE TABLE payment_links (
    id            TEXT PRIMARY KEY,           -- plink_…
    account_id    TEXT NOT NULL REFERENCES accounts (id),
    livemode      INTEGER NOT NULL,
    active        INTEGER NOT NULL,
    data          TEXT NOT NULL,              -- JSON: amount, items, urls, metadata
    created_at    TEXT NOT NULL,
    created_unix  INTEGER NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX payment_links_list ON payment_links (account_id, livemode, created_unix, id);

-- A session is a JSON document (kasse_shared::session::Session) plus the columns that
-- queries and uniqueness need. Every write is `… WHERE id = ? AND version = ?`.
CREATE TABLE checkout_sessions (
    id               TEXT PRIMARY KEY,        -- cs_test_… / cs_live_…
    account_id       TEXT NOT NULL REFERENCES accounts (id),
    livemode         INTEGER NOT NULL,
    status           TEXT NOT NULL,
    version          INTEGER NOT NULL,
    write_token      TEXT NOT NULL,           -- random per write; guards the rows written with it
    payment_link     TEXT,
    address          TEXT NOT NULL UNIQUE,    -- lowercase hex; globally unique across accounts and modes
    customer_email   TEXT,
    funded           INTEGER NOT NULL DEFAULT 0,
    data             TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    created_unix     INTEGER NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX checkout_sessions_list ON checkout_sessions (account_id, livemode, created_unix, id);
CREATE INDEX checkout_sessions_link ON checkout_sessions (payment_link) WHERE payment_link IS NOT NULL;

-- Every on-chain transfer seen to a session address. Token payments are unique by
-- (chain, tx, log index); native credits by (chain, address, block).
CREATE TABLE payments (
    id            TEXT PRIMARY KEY,           -- pay_…
    session_id    TEXT NOT NULL REFERENCES checkout_sessions (id),
    chain_id      INTEGER NOT NULL,
    token         TEXT NOT NULL,
    address       TEXT NOT NULL,
    tx_hash       TEXT,
    log_index     INTEGER,
    block_number  INTEGER NOT NULL,
    block_hash    TEXT NOT NULL,
    block_time    TEXT NOT NULL,
    amount        TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('detected', 'confirmed', 'reorged')),
    counted       INTEGER NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE UNIQUE INDEX payments_token_transfer ON payments (chain_id, tx_hash, log_index) WHERE log_index IS NOT NULL;
CREATE UNIQUE INDEX payments_native_credit ON payments (chain_id, address, block_number) WHERE log_index IS NULL;
CREATE INDEX payments_session ON payments (session_id);

-- What the watcher reads each run: one row per (chain, address) of a session still
-- watched (until late_until). Small and indexed, so a run never scans all sessions.
CREATE TABLE watch (
    chain_id         INTEGER NOT NULL,
    address          TEXT NOT NULL,           -- lowercase hex
    session_id       TEXT NOT NULL REFERENCES checkout_sessions (id),
    watch_until_unix INTEGER NOT NULL,
    native_baseline  TEXT,                    -- balance when first watched (native credits)
    PRIMARY KEY (chain_id, address)
);
CREATE INDEX watch_session ON watch (session_id);
CREATE INDEX watch_until ON watch (watch_until_unix);

-- The transactional outbox: one row per event, written in the same batch as the change
-- that causes it. (session_id, session_version, type) is unique: a change emits each
-- event once, whatever runs overlap.
CREATE TABLE events (
    id               TEXT PRIMARY KEY,        -- evt_…
    account_id       TEXT NOT NULL REFERENCES accounts (id),
    livemode         INTEGER NOT NULL,
    type             TEXT NOT NULL,
    session_id       TEXT,
    session_version  INTEGER,
    body             TEXT NOT NULL,           -- the frozen JSON bytes delivered to endpoints
    created_at       TEXT NOT NULL,
    created_unix     INTEGER NOT NULL
);
CREATE UNIQUE INDEX events_once ON events (session_id, session_version, type);
CREATE INDEX events_list ON events (account_id, livemode, created_unix, id);

CREATE TABLE webhook_endpoints (
    id                   TEXT PRIMARY KEY,    -- we_…
    account_id           TEXT NOT NULL REFERENCES accounts (id),
    livemode             INTEGER NOT NULL,
    url                  TEXT NOT NULL,
    events               TEXT NOT NULL,       -- JSON array of event types, or ["*"]
    description          TEXT,
    enabled              INTEGER NOT NULL,
    secret               TEXT NOT NULL,       -- whsec_…; needed to sign, so stored as is
    previous_secret      TEXT,
    previous_until_unix  INTEGER,             -- the rotated-out secret also signs until then
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
);
CREATE INDEX webhook_endpoints_account ON webhook_endpoints (account_id, livemode);

-- One row per (event, endpoint): the delivery and its retry schedule.
CREATE TABLE webhook_deliveries (
    id                 TEXT PRIMARY KEY,      -- whd_…
    event_id           TEXT NOT NULL REFERENCES events (id),
    endpoint_id        TEXT NOT NULL REFERENCES webhook_endpoints (id),
    session_id         TEXT,
    session_version    INTEGER,
    status             TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts           INTEGER NOT NULL DEFAULT 0,
    next_attempt_unix  INTEGER NOT NULL,
    locked_until_unix  INTEGER NOT NULL DEFAULT 0,
    created_at         TEXT NOT NULL,
    created_unix       INTEGER NOT NULL,
    updated_at         TEXT NOT NULL,
    UNIQUE (event_id, endpoint_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_unix);

CREATE TABLE webhook_attempts (
    delivery_id   TEXT NOT NULL REFERENCES webhook_deliveries (id),
    attempt       INTEGER NOT NULL,
    at            TEXT NOT NULL,
    status_code   INTEGER,
    latency_ms    INTEGER,
    error         TEXT,
    PRIMARY KEY (delivery_id, attempt)
);

-- Idempotency-Key records, per (account, mode, key); purged after 24 h.
CREATE TABLE idempotency_keys (
    account_id       TEXT NOT NULL,
    livemode         INTEGER NOT NULL,
    key              TEXT NOT NULL,
    fingerprint      TEXT NOT NULL,           -- SHA-256 of method, path and raw body
    state            TEXT NOT NULL CHECK (state IN ('in_progress', 'done')),
    response_status  INTEGER,
    response_body    TEXT,
    created_unix     INTEGER NOT NULL,
    PRIMARY KEY (account_id, livemode, key)
);
CREATE INDEX idempotency_keys_age ON idempotency_keys (created_unix);

-- Rate limits (checks per session, public link POSTs per IP): window_unix holds the
-- time (ms) of the last allowed event; count how many were allowed in all.
CREATE TABLE rate_limits (
    key           TEXT PRIMARY KEY,
    window_unix   INTEGER NOT NULL,
    count         INTEGER NOT NULL
);

-- Last good native/USD price per chain (the feed answer, as read).
CREATE TABLE prices (
    chain_id         INTEGER PRIMARY KEY,
    answer           TEXT NOT NULL,           -- integer feed answer
    feed_decimals    INTEGER NOT NULL,
    updated_at_unix  INTEGER NOT NULL,        -- the feed's updatedAt
    read_at_unix     INTEGER NOT NULL
);

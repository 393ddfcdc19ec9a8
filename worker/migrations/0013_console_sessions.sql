-- The merchant console's sign-ins: one row per signed-in browser and mode. The browser
-- holds a random token in an HttpOnly cookie; only the token's SHA-256 hash is kept, so
-- nothing in this table can sign anyone in. A row acts as the key it was made with and
-- ends when that key is revoked (every lookup joins the key), on sign-out (the row is
-- deleted), or after 12 hours without a request (last_seen_unix, moved forward at most
-- once a minute; the cron deletes idle rows).
CREATE TABLE console_sessions (
    token_hash      TEXT PRIMARY KEY,        -- hex SHA-256 of the cookie's token
    key_id          TEXT NOT NULL REFERENCES api_keys (id),
    account_id      TEXT NOT NULL REFERENCES accounts (id),
    livemode        INTEGER NOT NULL,
    created_at      TEXT NOT NULL,
    last_seen_unix  INTEGER NOT NULL
);
-- The purge finds idle rows, oldest first, without a scan.
CREATE INDEX console_sessions_idle ON console_sessions (last_seen_unix);

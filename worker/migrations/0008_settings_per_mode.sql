-- Settings belong to a mode: a test key reads and changes the test settings only, and live
-- sessions, links and pages use the live ones. One row per account and mode; every
-- existing account keeps what it had, in both modes.
CREATE TABLE account_settings (
    account_id    TEXT NOT NULL REFERENCES accounts (id),
    livemode      INTEGER NOT NULL,
    settings      TEXT NOT NULL,              -- JSON: kasse_shared::account::Settings
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (account_id, livemode)
);

INSERT INTO account_settings (account_id, livemode, settings, updated_at)
SELECT id, 0, settings, updated_at FROM accounts;
INSERT INTO account_settings (account_id, livemode, settings, updated_at)
SELECT id, 1, settings, updated_at FROM accounts;

-- The account-wide copy is gone, so nothing can read it by mistake.
ALTER TABLE accounts DROP COLUMN settings;

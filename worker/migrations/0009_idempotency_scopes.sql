-- Idempotency-Key records get a scope per caller kind, and stored answers are sealed.
--
-- A record now belongs to a `scope` (which caller kind, and whose: `secret:<account>`,
-- `publishable:<account>`, `session:<session id>`, `admin`) instead of an account id alone,
-- so a publishable key, a session's browser and the secret keys of one account never meet
-- in one key space. `answer` says how the stored body is kept:
--   'sealed'   AES-256-GCM under a key derived from the caller's raw credential
--              (nonce ‖ ciphertext, base64); only that credential can replay it;
--   'plain'    a publishable key's error answer (it carries no secret);
--   'withheld' a publishable key's success answer: it carries a client secret and a
--              publishable key is public, so nothing is kept and a repeat is a 409.
--
-- Records live 24 hours and the old rows are keyed by account, so the table is simply
-- dropped and made anew: at worst a retry in flight during the deploy runs once more.
DROP TABLE IF EXISTS idempotency_keys;

CREATE TABLE idempotency_keys (
    scope            TEXT NOT NULL,
    livemode         INTEGER NOT NULL,
    key              TEXT NOT NULL,
    fingerprint      TEXT NOT NULL,           -- SHA-256 of caller kind, method, path and raw body
    state            TEXT NOT NULL CHECK (state IN ('in_progress', 'done')),
    response_status  INTEGER,
    answer           TEXT CHECK (answer IN ('sealed', 'plain', 'withheld')),
    response_body    TEXT,
    created_unix     INTEGER NOT NULL,
    PRIMARY KEY (scope, livemode, key)
);
CREATE INDEX idempotency_keys_age ON idempotency_keys (created_unix);

-- Search looks each kind of term up through an index, never by scanning sessions.
-- A session id and a deposit address already have theirs (the primary key, and the
-- address's UNIQUE, stored lowercase). A payment's tx hash had none on its own: the
-- transfer index starts with chain_id, and a search does not know the chain.
CREATE INDEX payments_tx ON payments (tx_hash) WHERE tx_hash IS NOT NULL;

-- Emails are kept as the customer typed them (they show so in the session object) and
-- found regardless of case: an expression index on lower(), rather than a second column
-- that every writer would have to keep in step, and no backfill of existing rows. Led by
-- the account and mode (one customer shops at many merchants) and ending with the list
-- order, so a page is read straight from the index.
CREATE INDEX checkout_sessions_email ON checkout_sessions (account_id, livemode, lower(customer_email), created_unix, id);

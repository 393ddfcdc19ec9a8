-- accessed_at lives beside the session document, not in it: it is written at most every
-- five minutes when a shopper opens the session and changes neither `version`,
-- `updated_at` nor the shopper view's ETag.
ALTER TABLE checkout_sessions ADD COLUMN accessed_at TEXT;

-- The cron purges old rate-limit counters by their window start (milliseconds).
CREATE INDEX rate_limits_window ON rate_limits (window_unix);

-- How far a run may move the cursor: halved after a failed scan (a provider refusing a
-- range or a response size), doubled back after a good one. NULL = the chain's max_log_range.
ALTER TABLE chain_cursors ADD COLUMN scan_range INTEGER;

-- The last reorg deeper than the confirmations, found after its session was final
-- (it changes no status; it is logged and shown in health).
ALTER TABLE chain_cursors ADD COLUMN deep_reorg TEXT;

-- Native credits are counted from a baseline: the address's balance at the block where
-- creation read it (one Multicall3 call, so balance and block agree). NULL baseline means
-- the chain's native coin is not watched for this session.
ALTER TABLE watch ADD COLUMN native_baseline_block INTEGER;

-- Which sessions a run evaluates: those due (time may change them: expiry, end of grace),
-- those with a counted payment still confirming, and those whose payments the run moved.
-- The rest are skipped, so an idle session costs its watch row, not its document.
ALTER TABLE watch ADD COLUMN due_unix INTEGER NOT NULL DEFAULT 0;
ALTER TABLE watch ADD COLUMN settling INTEGER NOT NULL DEFAULT 0;
CREATE INDEX watch_due ON watch (due_unix);
CREATE INDEX watch_settling ON watch (settling) WHERE settling = 1;

-- The watcher's per-chain window queries (native credits by block range).
CREATE INDEX payments_chain_block ON payments (chain_id, block_number);

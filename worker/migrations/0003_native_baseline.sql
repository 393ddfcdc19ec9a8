-- Native credits are counted from a baseline: the address's balance at the block where
-- creation read it (one Multicall3 call, so balance and block agree). NULL baseline means
-- the chain's native coin is not watched for this session.
ALTER TABLE watch ADD COLUMN native_baseline_block INTEGER;

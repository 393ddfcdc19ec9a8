-- A Tron xpub (m/44'/195'/n') beside each mode's EVM xpub: a session's Tron deposit address
-- is derived at the same index as its EVM one, so the mode's address counter serves both.
-- Immutable once set, like the EVM xpub; tron_node identifies the m/44'/195'/n'/0 node
-- however the xpub was written, so no two accounts share Tron addresses.
ALTER TABLE account_xpubs ADD COLUMN xpub_tron TEXT;
ALTER TABLE account_xpubs ADD COLUMN tron_node TEXT;
CREATE UNIQUE INDEX account_xpubs_tron_node ON account_xpubs (tron_node);

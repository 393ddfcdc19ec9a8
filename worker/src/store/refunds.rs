//! Refunds: created under the session's `refund_seq` guard, read, listed and changed.
//!
//! Every change to a refund bumps its `version` and is written `WHERE id = ? AND version =
//! ?seen`; its events go in the same batch ([`Store::refund_event_stmts`]), each written
//! only where the refund stands at the version and status the change gave it, and at most
//! once per refund and type. Of two runs making one change, one writes it with its events
//! and the other nothing.

use std::collections::BTreeMap;

use alloy_primitives::{Address, BlockHash, BlockNumber, ChainId, TxHash, U256};
use kasse_shared::account::Settings;
use kasse_shared::api::list::Direction;
use kasse_shared::api::refunds::RefundFilter;
use kasse_shared::ids::{AccountId, PaymentId, RefundId, SessionId};
use kasse_shared::refund::{Refund, RefundFailure, RefundStatus, RequestedBy};
use kasse_shared::session::{Heads, Payment, Session};
use kasse_shared::time::Timestamp;
use serde::{Deserialize, Deserializer};
use worker::D1Result;

use super::bind::{Keyset, address_key, changes, flag, int, opt_text, text, time};
use super::columns::{decimal, flag as flag_column};
use super::payments::{PAYMENT_COLUMNS, PaymentRow};
use super::{NewEvent, Stmt, Store};
use crate::error::{ApiError, ApiResult};

/// Every column of `refunds` but `account_id`'s neighbours in other tables: what
/// [`RefundRow`] reads.
pub(crate) const REFUND_COLUMNS: &str = "id, account_id, livemode, session_id, payment_id, chain_id, token, contract_address, decimals, amount, address, status, reason, requested_by, claim_secret, created_block, tx_hash, log_index, block_number, block_hash, submitted_hash, failure_code, failure_message, created_at, updated_at, succeeded_at, canceled_at, version";

/// The refund columns, read straight into a [`Refund`].
#[derive(Deserialize)]
#[serde(remote = "Refund")]
struct RefundColumns {
    id: RefundId,
    account_id: AccountId,
    #[serde(with = "flag_column")]
    livemode: bool,
    session_id: SessionId,
    payment_id: Option<PaymentId>,
    chain_id: ChainId,
    token: String,
    contract_address: Option<Address>,
    decimals: u8,
    #[serde(with = "decimal")]
    amount: U256,
    address: Option<Address>,
    status: RefundStatus,
    reason: Option<String>,
    requested_by: RequestedBy,
    claim_secret: String,
    created_block: BlockNumber,
    tx_hash: Option<TxHash>,
    log_index: Option<u64>,
    block_number: Option<BlockNumber>,
    block_hash: Option<BlockHash>,
    submitted_hash: Option<TxHash>,
    failure_code: Option<RefundFailure>,
    failure_message: Option<String>,
    created_at: Timestamp,
    updated_at: Timestamp,
    succeeded_at: Option<Timestamp>,
    canceled_at: Option<Timestamp>,
    version: u64,
}

/// A `refunds` row as D1 answers it (`SELECT {REFUND_COLUMNS} …`).
pub(crate) struct RefundRow(pub Refund);

impl<'de> Deserialize<'de> for RefundRow {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        RefundColumns::deserialize(d).map(Self)
    }
}

/// The refunds of rows read with [`REFUND_COLUMNS`].
pub(crate) fn refunds_of(rows: Vec<RefundRow>) -> Vec<Refund> {
    rows.into_iter().map(|r| r.0).collect()
}

/// What a refund of a session is decided from, read in one round trip: the session and how
/// many refunds it had (`refund_seq`), its payments with their ids, its refunds, the
/// chain heads the watcher last recorded, and its account's settings in its mode.
pub(crate) struct RefundBasis {
    pub session: Session,
    pub refund_seq: u64,
    pub payments: Vec<(PaymentId, Payment)>,
    pub refunds: Vec<Refund>,
    pub heads: Heads,
    pub settings: Settings,
}

/// What the merchant's session objects show of refunds: the refunds of the sessions
/// (oldest first) and the ids of their payments by session and transfer key.
#[derive(Debug, Default)]
pub(crate) struct SessionRefunds {
    pub refunds: Vec<Refund>,
    pub payment_ids: BTreeMap<(SessionId, String), PaymentId>,
}

impl SessionRefunds {
    /// The refunds of `session`, oldest first.
    pub(crate) fn of<'a>(&'a self, session: &'a SessionId) -> impl Iterator<Item = &'a Refund> {
        self.refunds
            .iter()
            .filter(move |r| &r.session_id == session)
    }

    /// The id of `payment` of `session`, if read.
    pub(crate) fn payment_id(&self, session: &SessionId, payment: &Payment) -> Option<&PaymentId> {
        self.payment_ids.get(&(session.clone(), payment.key()))
    }
}

/// The rows of [`Store::session_refunds_stmts`].
pub(super) fn session_refunds(
    refunds: &D1Result,
    payments: &D1Result,
) -> ApiResult<SessionRefunds> {
    let mut payment_ids = BTreeMap::new();
    for row in payments.results::<PaymentRow>()? {
        let key = row.payment()?.key();
        payment_ids.insert((row.session_id.clone(), key), row.id);
    }
    Ok(SessionRefunds {
        refunds: refunds_of(refunds.results::<RefundRow>()?),
        payment_ids,
    })
}

impl Store {
    /// The two reads of [`SessionRefunds`] for the sessions `ids_json` (a JSON array), for a batch.
    pub(super) fn session_refunds_stmts(&self, ids_json: &str) -> ApiResult<[Stmt<'_>; 2]> {
        Ok([
            self.stmt(
                &format!(
                    "SELECT {REFUND_COLUMNS} FROM refunds WHERE session_id IN (SELECT value FROM json_each(?1))
                     ORDER BY created_unix, rowid"
                ),
                &[text(ids_json)],
            )?,
            self.stmt(
                &format!(
                    "SELECT {PAYMENT_COLUMNS} FROM payments WHERE session_id IN (SELECT value FROM json_each(?1))"
                ),
                &[text(ids_json)],
            )?,
        ])
    }

    /// What the session objects of `ids` show of refunds (one round trip).
    pub(crate) async fn refunds_of_sessions(
        &self,
        ids: &[&SessionId],
    ) -> ApiResult<SessionRefunds> {
        if ids.is_empty() {
            return Ok(SessionRefunds::default());
        }
        let list = serde_json::to_string(ids).map_err(ApiError::internal)?;
        let results = self
            .batch(self.session_refunds_stmts(&list)?.into())
            .await?;
        let [refunds, payments] = &results[..] else {
            return Err(ApiError::internal("refunds batch answered short"));
        };
        session_refunds(refunds, payments)
    }

    /// What a refund of session `id` is decided from (one round trip), if the session exists.
    pub(crate) async fn refund_basis(&self, id: &SessionId) -> ApiResult<Option<RefundBasis>> {
        #[derive(Deserialize)]
        struct SeqRow {
            data: String,
            accessed_at: Option<String>,
            refund_seq: u64,
        }
        #[derive(Deserialize)]
        struct HeadRow {
            chain_id: ChainId,
            head: Option<BlockNumber>,
        }
        #[derive(Deserialize)]
        struct SettingsRow {
            settings: String,
        }
        let results = self
            .batch(vec![
                self.stmt(
                    "SELECT data, accessed_at, refund_seq FROM checkout_sessions WHERE id = ?1",
                    &[text(id)],
                )?,
                self.stmt(
                    &format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE session_id = ?1 ORDER BY block_number, log_index"),
                    &[text(id)],
                )?,
                self.stmt(
                    &format!("SELECT {REFUND_COLUMNS} FROM refunds WHERE session_id = ?1 ORDER BY created_unix, rowid"),
                    &[text(id)],
                )?,
                self.stmt("SELECT chain_id, head FROM chain_cursors", &[])?,
                self.stmt(
                    "SELECT a.settings FROM checkout_sessions s
                     JOIN account_settings a ON a.account_id = s.account_id AND a.livemode = s.livemode
                     WHERE s.id = ?1",
                    &[text(id)],
                )?,
            ])
            .await?;
        let [session, payments, refunds, heads, settings] = &results[..] else {
            return Err(ApiError::internal("refund basis batch answered short"));
        };
        let Some(row) = session.results::<SeqRow>()?.into_iter().next() else {
            return Ok(None);
        };
        let mut session: Session = serde_json::from_str(&row.data)
            .map_err(|e| ApiError::internal(format!("stored session: {e}")))?;
        session.accessed_at = row
            .accessed_at
            .as_deref()
            .and_then(Timestamp::parse_rfc3339);
        let payments = payments
            .results::<PaymentRow>()?
            .into_iter()
            .map(|r| Ok((r.id.clone(), r.payment()?.clone())))
            .collect::<ApiResult<_>>()?;
        Ok(Some(RefundBasis {
            session,
            refund_seq: row.refund_seq,
            payments,
            refunds: refunds_of(refunds.results::<RefundRow>()?),
            heads: heads
                .results::<HeadRow>()?
                .into_iter()
                .filter_map(|h| Some((h.chain_id, h.head?)))
                .collect(),
            settings: match settings.results::<SettingsRow>()?.into_iter().next() {
                Some(row) => serde_json::from_str(&row.settings).map_err(ApiError::internal)?,
                None => Settings::default(),
            },
        }))
    }

    /// Writes a new refund with its events, unless another refund of its session was
    /// written since `seen_seq` was read; whether it was written. The session's
    /// `refund_seq` and its number of refunds move together, one per refund, so the
    /// insert is guarded by both: of two creates that read the same refunds, the second
    /// finds the count moved and writes nothing (nor its events, which need the row).
    pub(crate) async fn insert_refund(
        &self,
        refund: &Refund,
        seen_seq: u64,
        events: &[&NewEvent],
    ) -> ApiResult<bool> {
        let bump = self.stmt(
            "UPDATE checkout_sessions SET refund_seq = refund_seq + 1 WHERE id = ?1 AND refund_seq = ?2",
            &[text(&refund.session_id), int(seen_seq)],
        )?;
        let insert = self.stmt(
            &format!(
                "INSERT INTO refunds ({REFUND_COLUMNS}, created_unix)
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                        NULL, NULL, NULL, NULL, NULL, NULL, NULL, ?17, ?17, NULL, NULL, 1, ?18
                 WHERE (SELECT refund_seq FROM checkout_sessions WHERE id = ?4) = ?19
                   AND (SELECT COUNT(*) FROM refunds WHERE session_id = ?4) = ?20"
            ),
            &[
                text(&refund.id),
                text(&refund.account_id),
                flag(refund.livemode),
                text(&refund.session_id),
                opt_text(refund.payment_id.as_deref()),
                int(refund.chain_id),
                text(&refund.token),
                opt_text(refund.contract_address.as_ref().map(address_key).as_deref()),
                int(u64::from(refund.decimals)),
                text(&refund.amount.to_string()),
                opt_text(refund.address.as_ref().map(address_key).as_deref()),
                text(refund.status.as_str()),
                opt_text(refund.reason.as_deref()),
                text(refund.requested_by.as_str()),
                text(&refund.claim_secret),
                int(refund.created_block),
                time(refund.created_at),
                int(refund.created_at.0),
                int(seen_seq + 1),
                int(seen_seq),
            ],
        )?;
        let mut batch = vec![bump, insert];
        batch.extend(self.refund_event_stmts(refund, events)?);
        let results = self.batch(batch).await?;
        Ok(results.get(1).is_some_and(|r| changes(r) == 1))
    }

    /// Cancels a refund read at `seen` (still waiting for its address or transfer, none
    /// recorded), with its events; whether this call canceled it. `canceled` is the refund
    /// as the cancel leaves it.
    pub(crate) async fn cancel_refund(
        &self,
        seen: &Refund,
        canceled: &Refund,
        events: &[&NewEvent],
    ) -> ApiResult<bool> {
        let update = self.stmt(
            "UPDATE refunds SET status = 'canceled', canceled_at = ?3, updated_at = ?3, version = version + 1
             WHERE id = ?1 AND version = ?2 AND status IN ('requires_address', 'pending') AND block_number IS NULL",
            &[text(&seen.id), int(seen.version), time(canceled.updated_at)],
        )?;
        let mut batch = vec![update];
        batch.extend(self.refund_event_stmts(canceled, events)?);
        let results = self.batch(batch).await?;
        Ok(results.first().is_some_and(|r| changes(r) == 1))
    }

    /// Newest first: an account's refunds in one mode, filtered, after or before the cursor.
    pub(crate) async fn list_refunds(
        &self,
        account_id: &AccountId,
        livemode: bool,
        filter: &RefundFilter,
        cursor: Option<(Direction, &str)>,
        limit: u32,
    ) -> ApiResult<Vec<Refund>> {
        let page = Keyset::new(cursor);
        let rows: Vec<RefundRow> = self
            .rows(
                &format!(
                    "SELECT {REFUND_COLUMNS} FROM refunds WHERE account_id = ?1 AND livemode = ?2
                       AND (?3 IS NULL OR session_id = ?3) AND (?4 IS NULL OR status = ?4)
                       AND {}",
                    page.sql(
                        "created_unix, rowid",
                        "SELECT created_unix, rowid FROM refunds WHERE id = ?5",
                        "SELECT created_unix, rowid FROM refunds WHERE id = ?6",
                        "?7",
                    )
                ),
                &[
                    text(account_id),
                    flag(livemode),
                    opt_text(filter.session.as_deref()),
                    opt_text(filter.status.map(RefundStatus::as_str)),
                    opt_text(page.after),
                    opt_text(page.before),
                    int(u64::from(limit)),
                ],
            )
            .await?;
        Ok(refunds_of(page.newest_first(rows)))
    }

    /// A refund by id, whoever's it is (callers check the account and mode).
    pub(crate) async fn refund(&self, id: &RefundId) -> ApiResult<Option<Refund>> {
        let row: Option<RefundRow> = self
            .row(
                &format!("SELECT {REFUND_COLUMNS} FROM refunds WHERE id = ?1"),
                &[text(id)],
            )
            .await?;
        Ok(row.map(|r| r.0))
    }

    /// The statements that write `events` of `refund` (as the change leaves it: its new
    /// version and status) and their webhook deliveries, for the change's own batch. An
    /// event is written only where the refund row stands at that version and status, and
    /// only once per refund and type (`cause` names both), so a run that lost the race
    /// writes none.
    pub(crate) fn refund_event_stmts(
        &self,
        refund: &Refund,
        events: &[&NewEvent],
    ) -> ApiResult<Vec<Stmt<'_>>> {
        let mut statements = Vec::with_capacity(events.len() + 1);
        for event in events {
            statements.push(self.stmt(
                "INSERT INTO events (id, account_id, livemode, type, cause, session_id, session_version, body, created_at, created_unix)
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6, NULL, ?7, ?8, ?9
                 WHERE EXISTS (SELECT 1 FROM refunds WHERE id = ?10 AND version = ?11 AND status = ?12)
                   AND NOT EXISTS (SELECT 1 FROM events WHERE session_id = ?6 AND type = ?4 AND cause = ?5)",
                &[
                    text(&event.id),
                    text(&refund.account_id),
                    flag(refund.livemode),
                    text(event.kind.as_str()),
                    text(&event.cause),
                    text(&refund.session_id),
                    text(&event.body),
                    text(&refund.updated_at.to_string()),
                    int(refund.updated_at.0),
                    text(&refund.id),
                    int(refund.version),
                    text(refund.status.as_str()),
                ],
            )?);
        }
        let ids: Vec<_> = events.iter().map(|e| &e.id).collect();
        statements.push(self.fan_out_stmt(&ids)?);
        Ok(statements)
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{Address, U256};
    use kasse_shared::refund::{RefundStatus, RequestedBy};
    use serde_json::json;

    use super::RefundRow;

    #[test]
    fn a_stored_row_reads_into_its_refund() {
        let row: RefundRow = serde_json::from_value(json!({
            "id": "re_test_AAAAAAAAAAAAAAAAAAAAAAAA",
            "account_id": "acct_AAAAAAAAAAAAAAAAAAAAAAAA",
            "livemode": 0,
            "session_id": "cs_test_AAAAAAAAAAAAAAAAAAAAAAAA",
            "payment_id": null,
            "chain_id": 31337,
            "token": "USDC",
            "contract_address": format!("0x{}", "ab".repeat(20)),
            "decimals": 6,
            "amount": "1500000",
            "address": null,
            "status": "requires_address",
            "reason": null,
            "requested_by": "merchant",
            "claim_secret": "s",
            "created_block": 12,
            "tx_hash": null,
            "log_index": null,
            "block_number": null,
            "block_hash": null,
            "submitted_hash": null,
            "failure_code": null,
            "failure_message": null,
            "created_at": "2027-01-15T08:00:00Z",
            "updated_at": "2027-01-15T08:00:00Z",
            "succeeded_at": null,
            "canceled_at": null,
            "version": 1,
        }))
        .expect("reads");
        let refund = row.0;
        assert_eq!(refund.amount, U256::from(1_500_000u32));
        assert_eq!(refund.contract_address, Some(Address::repeat_byte(0xab)));
        assert_eq!(refund.status, RefundStatus::RequiresAddress);
        assert_eq!(refund.requested_by, RequestedBy::Merchant);
        assert!(!refund.livemode);
    }
}

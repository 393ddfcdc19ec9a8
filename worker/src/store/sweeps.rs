//! Sweeps: the transactions merchants report, the moves out of deposit addresses the
//! watcher verified in them, and what the balances are summed from.
//!
//! A decision is one batch: the sweep's row, guarded on `status = 'pending'` and given a
//! fresh write token, then its transfers, its event and the event's deliveries, each
//! written only where the sweep carries that token. Of two runs deciding one sweep, one
//! writes everything and the other nothing.

use std::collections::BTreeMap;

use alloy_primitives::{Address, BlockNumber, ChainId, TxHash, U256};
use kasse_shared::api::list::Direction;
use kasse_shared::api::sweeps::{SweepFilter, SweptRecord};
use kasse_shared::ids::{AccountId, SessionId, SweepId};
use kasse_shared::sweep::{Decision, FailureCode, Move, Sweep, SweepStatus, SweptTransfer};
use kasse_shared::time::Timestamp;
use serde::Deserialize;
use serde_json::json;
use worker::D1Result;

use super::bind::{Keyset, address_key, flag, int, json_text, opt_text, text, time};
use super::columns::{decimal, flag as flag_column};
use super::{NewEvent, Stmt, Store};
use crate::error::{ApiError, ApiResult};

const SWEEP_COLUMNS: &str = "id, livemode, chain_id, tx_hash, status, block_number, failure_code, created_at, updated_at, verified_at";

#[derive(Deserialize)]
struct SweepRow {
    id: SweepId,
    #[serde(with = "flag_column")]
    livemode: bool,
    chain_id: u64,
    tx_hash: TxHash,
    status: SweepStatus,
    block_number: Option<u64>,
    failure_code: Option<FailureCode>,
    created_at: Timestamp,
    updated_at: Timestamp,
    verified_at: Option<Timestamp>,
}

impl SweepRow {
    fn sweep(self) -> Sweep {
        Sweep {
            id: self.id,
            livemode: self.livemode,
            chain_id: self.chain_id,
            tx_hash: self.tx_hash,
            status: self.status,
            block_number: self.block_number,
            failure: self.failure_code,
            created_at: self.created_at,
            updated_at: self.updated_at,
            verified_at: self.verified_at,
        }
    }
}

const TRANSFER_COLUMNS: &str =
    "sweep_id, session_id, token, contract_address, address, to_address, amount, log_index";

#[derive(Deserialize)]
struct TransferRow {
    sweep_id: SweepId,
    session_id: SessionId,
    token: String,
    contract_address: Option<Address>,
    address: Address,
    to_address: Address,
    #[serde(with = "decimal")]
    amount: U256,
    log_index: Option<u64>,
}

impl TransferRow {
    fn transfer(self) -> SweptTransfer {
        SweptTransfer {
            session_id: self.session_id,
            moved: Move {
                from: self.address,
                to: self.to_address,
                token: self.token,
                contract: self.contract_address,
                amount: self.amount,
                log_index: self.log_index,
            },
        }
    }
}

/// A sweep with the transfers it verified (none unless it succeeded).
pub(crate) type SweepInFull = (Sweep, Vec<SweptTransfer>);

/// A pending sweep the watcher verifies, with whose it is.
pub(crate) struct PendingSweep {
    pub account_id: AccountId,
    pub sweep: Sweep,
}

/// One amount of a chain and token, as the balances sum them.
#[derive(Deserialize)]
struct AmountRow {
    chain_id: ChainId,
    token: String,
    #[serde(with = "decimal")]
    amount: U256,
}

/// Amounts per (chain, token): what was received at deposit addresses and what left them.
pub(crate) type Amounts = Vec<((ChainId, String), U256)>;

/// Sweeps with their transfers, in the order of `sweeps`.
fn with_transfers(sweeps: Vec<SweepRow>, transfers: Vec<TransferRow>) -> Vec<SweepInFull> {
    let mut by_sweep: BTreeMap<SweepId, Vec<SweptTransfer>> = BTreeMap::new();
    for row in transfers {
        by_sweep
            .entry(row.sweep_id.clone())
            .or_default()
            .push(row.transfer());
    }
    sweeps
        .into_iter()
        .map(|row| {
            let transfers = by_sweep.remove(&row.id).unwrap_or_default();
            (row.sweep(), transfers)
        })
        .collect()
}

fn ids_json(ids: &[&SweepId]) -> ApiResult<String> {
    serde_json::to_string(ids).map_err(ApiError::internal)
}

impl Store {
    /// Records a reported transaction, or finds the one already reported with the same
    /// chain and hash in this account and mode (one round trip).
    pub(crate) async fn report_sweep(
        &self,
        account_id: &AccountId,
        livemode: bool,
        chain_id: ChainId,
        tx_hash: &TxHash,
        id: &SweepId,
        now: Timestamp,
    ) -> ApiResult<SweepInFull> {
        let hash = format!("{tx_hash:#x}");
        let args = [text(account_id), flag(livemode), int(chain_id), text(&hash)];
        let insert = self.stmt(
            "INSERT INTO sweeps (id, account_id, livemode, chain_id, tx_hash, status, created_at, created_unix, updated_at)
             VALUES (?5, ?1, ?2, ?3, ?4, 'pending', ?6, ?7, ?6)
             ON CONFLICT (account_id, livemode, chain_id, tx_hash) DO NOTHING",
            &[
                args[0].clone(),
                args[1].clone(),
                args[2].clone(),
                args[3].clone(),
                text(id),
                time(now),
                int(now.0),
            ],
        )?;
        let read = self.stmt(
            &format!(
                "SELECT {SWEEP_COLUMNS} FROM sweeps WHERE account_id = ?1 AND livemode = ?2 AND chain_id = ?3 AND tx_hash = ?4"
            ),
            &args,
        )?;
        let transfers = self.stmt(
            &format!(
                "SELECT {TRANSFER_COLUMNS} FROM sweep_transfers WHERE sweep_id =
                   (SELECT id FROM sweeps WHERE account_id = ?1 AND livemode = ?2 AND chain_id = ?3 AND tx_hash = ?4)
                 ORDER BY rowid"
            ),
            &args,
        )?;
        let results = self.batch(vec![insert, read, transfers]).await?;
        let [_, sweep, transfers] = &results[..] else {
            return Err(ApiError::internal("sweep batch answered short"));
        };
        one_in_full(sweep, transfers)?
            .ok_or_else(|| ApiError::internal("a reported sweep was not found after its insert"))
    }

    /// A sweep of this account and mode, with its transfers (one round trip).
    pub(crate) async fn sweep(
        &self,
        account_id: &AccountId,
        livemode: bool,
        id: &SweepId,
    ) -> ApiResult<Option<SweepInFull>> {
        let args = [text(id), text(account_id), flag(livemode)];
        let read = self.stmt(
            &format!(
                "SELECT {SWEEP_COLUMNS} FROM sweeps WHERE id = ?1 AND account_id = ?2 AND livemode = ?3"
            ),
            &args,
        )?;
        let transfers = self.stmt(
            &format!(
                "SELECT {TRANSFER_COLUMNS} FROM sweep_transfers WHERE sweep_id = ?1 AND account_id = ?2 AND livemode = ?3 ORDER BY rowid"
            ),
            &args,
        )?;
        let results = self.batch(vec![read, transfers]).await?;
        let [sweep, transfers] = &results[..] else {
            return Err(ApiError::internal("sweep batch answered short"));
        };
        one_in_full(sweep, transfers)
    }

    /// Newest first: an account's sweeps in one mode, filtered, after or before the cursor.
    pub(crate) async fn list_sweeps(
        &self,
        account_id: &AccountId,
        livemode: bool,
        filter: &SweepFilter,
        cursor: Option<(Direction, &str)>,
        limit: u32,
    ) -> ApiResult<Vec<SweepInFull>> {
        let page = Keyset::new(cursor);
        let rows: Vec<SweepRow> = self
            .rows(
                &format!(
                    "SELECT {SWEEP_COLUMNS} FROM sweeps WHERE account_id = ?1 AND livemode = ?2
                       AND (?3 IS NULL OR chain_id = ?3) AND (?4 IS NULL OR status = ?4)
                       AND {}",
                    page.sql(
                        "created_unix, id",
                        "SELECT created_unix, id FROM sweeps WHERE id = ?5",
                        "SELECT created_unix, id FROM sweeps WHERE id = ?6",
                        "?7",
                    )
                ),
                &[
                    text(account_id),
                    flag(livemode),
                    filter
                        .chain_id
                        .map_or(worker::wasm_bindgen::JsValue::NULL, int),
                    opt_text(filter.status.map(SweepStatus::as_str)),
                    opt_text(page.after),
                    opt_text(page.before),
                    int(u64::from(limit)),
                ],
            )
            .await?;
        let rows = page.newest_first(rows);
        let succeeded: Vec<&SweepId> = rows
            .iter()
            .filter(|r| r.status == SweepStatus::Succeeded)
            .map(|r| &r.id)
            .collect();
        let transfers: Vec<TransferRow> = if succeeded.is_empty() {
            Vec::new()
        } else {
            self.rows(
                &format!(
                    "SELECT {TRANSFER_COLUMNS} FROM sweep_transfers
                     WHERE sweep_id IN (SELECT value FROM json_each(?1)) ORDER BY rowid"
                ),
                &[text(&ids_json(&succeeded)?)],
            )
            .await?
        };
        Ok(with_transfers(rows, transfers))
    }

    /// A chain's pending sweeps, at most `limit`, taken in turns across accounts and modes
    /// (each one's oldest first, then each one's second, …): one merchant's many reports
    /// never keep another's from being verified.
    pub(crate) async fn pending_sweeps(
        &self,
        chain_id: ChainId,
        limit: u32,
    ) -> ApiResult<Vec<PendingSweep>> {
        #[derive(Deserialize)]
        struct Row {
            account_id: AccountId,
            #[serde(flatten)]
            sweep: SweepRow,
        }
        let rows: Vec<Row> = self
            .rows(
                &format!(
                    "SELECT account_id, {SWEEP_COLUMNS} FROM (
                         SELECT *, ROW_NUMBER() OVER (PARTITION BY account_id, livemode ORDER BY created_unix, id) AS turn
                         FROM sweeps WHERE chain_id = ?1 AND status = 'pending')
                     ORDER BY turn, created_unix, id LIMIT ?2"
                ),
                &[int(chain_id), int(u64::from(limit))],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| PendingSweep {
                account_id: r.account_id,
                sweep: r.sweep.sweep(),
            })
            .collect())
    }

    /// Which of `addresses` are deposit addresses of this account and mode, and whose.
    pub(crate) async fn deposit_sessions(
        &self,
        account_id: &AccountId,
        livemode: bool,
        addresses: &[Address],
    ) -> ApiResult<BTreeMap<Address, SessionId>> {
        #[derive(Deserialize)]
        struct Row {
            id: SessionId,
            address: Address,
        }
        if addresses.is_empty() {
            return Ok(BTreeMap::new());
        }
        let keys: Vec<String> = addresses.iter().map(address_key).collect();
        let rows: Vec<Row> = self
            .rows(
                "SELECT id, address FROM checkout_sessions
                 WHERE address IN (SELECT value FROM json_each(?1)) AND account_id = ?2 AND livemode = ?3",
                &[
                    text(&serde_json::to_string(&keys).map_err(ApiError::internal)?),
                    text(account_id),
                    flag(livemode),
                ],
            )
            .await?;
        Ok(rows.into_iter().map(|r| (r.address, r.id)).collect())
    }

    /// Writes a decision with its transfers, event and deliveries in one batch, unless
    /// another run decided the sweep first; whether this run's decision was written.
    pub(crate) async fn decide_sweep(
        &self,
        pending: &PendingSweep,
        decision: &Decision,
        event: &NewEvent,
        write_token: &str,
        now: Timestamp,
    ) -> ApiResult<bool> {
        let sweep = &pending.sweep;
        let (status, block, failure, transfers) = match decision {
            Decision::Succeeded {
                block_number,
                transfers,
            } => (
                SweepStatus::Succeeded,
                Some(*block_number),
                None,
                &transfers[..],
            ),
            Decision::Failed {
                block_number,
                failure,
            } => (SweepStatus::Failed, *block_number, Some(*failure), &[][..]),
        };
        let update = self.stmt(
            "UPDATE sweeps SET status = ?2, block_number = ?3, failure_code = ?4, failure_message = ?5,
                 updated_at = ?6, verified_at = ?6, write_token = ?7
             WHERE id = ?1 AND status = 'pending'",
            &[
                text(&sweep.id),
                text(status.as_str()),
                block.map_or(worker::wasm_bindgen::JsValue::NULL, int),
                opt_text(failure.map(FailureCode::as_str)),
                opt_text(failure.map(FailureCode::message)),
                time(now),
                text(write_token),
            ],
        )?;
        let mut batch = vec![update];
        if let (false, Some(block)) = (transfers.is_empty(), block) {
            batch.push(self.sweep_transfers_stmt(pending, (block, transfers), write_token, now)?);
        }
        batch.push(self.sweep_event_stmt(pending, event, write_token, now)?);
        batch.push(self.fan_out_stmt(&[&event.id])?);
        let results = self.batch(batch).await?;
        Ok(results
            .first()
            .is_some_and(|r| super::bind::changes(r) == 1))
    }

    fn sweep_transfers_stmt(
        &self,
        pending: &PendingSweep,
        (block_number, transfers): (u64, &[SweptTransfer]),
        write_token: &str,
        now: Timestamp,
    ) -> ApiResult<Stmt<'_>> {
        let rows: Vec<serde_json::Value> = transfers
            .iter()
            .map(|t| {
                let m = &t.moved;
                json!({
                    "session": t.session_id,
                    "token": m.token,
                    "contract": m.contract.as_ref().map(address_key),
                    "address": address_key(&m.from),
                    "to": address_key(&m.to),
                    "amount": m.amount.to_string(),
                    "log": m.log_index,
                })
            })
            .collect();
        self.stmt(
            "INSERT OR IGNORE INTO sweep_transfers (sweep_id, account_id, livemode, session_id, chain_id, token,
                 contract_address, address, to_address, amount, log_index, block_number, swept_at)
             SELECT ?1, ?2, ?3, json_extract(value, '$.session'), ?4, json_extract(value, '$.token'),
                 json_extract(value, '$.contract'), json_extract(value, '$.address'), json_extract(value, '$.to'),
                 json_extract(value, '$.amount'), json_extract(value, '$.log'), ?8, ?5
             FROM json_each(?6)
             WHERE EXISTS (SELECT 1 FROM sweeps WHERE id = ?1 AND write_token = ?7)",
            &[
                text(&pending.sweep.id),
                text(&pending.account_id),
                flag(pending.sweep.livemode),
                int(pending.sweep.chain_id),
                time(now),
                text(&json_text(&rows)?),
                text(write_token),
                int(block_number),
            ],
        )
    }

    /// The native coin that left deposit addresses of `chain_id` in succeeded sweeps mined
    /// in `from..=to`: the native scan counts it as still there (`shared::native::Outflows`).
    pub(crate) async fn native_outflows(
        &self,
        chain_id: ChainId,
        from: BlockNumber,
        to: BlockNumber,
    ) -> ApiResult<Vec<(Address, BlockNumber, U256)>> {
        #[derive(Deserialize)]
        struct OutflowRow {
            address: Address,
            block_number: BlockNumber,
            #[serde(with = "decimal")]
            amount: U256,
        }
        let rows: Vec<OutflowRow> = self
            .rows(
                "SELECT address, block_number, amount FROM sweep_transfers
                 WHERE chain_id = ?1 AND contract_address IS NULL AND block_number BETWEEN ?2 AND ?3",
                &[int(chain_id), int(from), int(to)],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| (r.address, r.block_number, r.amount))
            .collect())
    }

    /// The sweep's event: no session, so it is guarded on the sweep's write token.
    fn sweep_event_stmt(
        &self,
        pending: &PendingSweep,
        event: &NewEvent,
        write_token: &str,
        now: Timestamp,
    ) -> ApiResult<Stmt<'_>> {
        self.stmt(
            "INSERT INTO events (id, account_id, livemode, type, cause, session_id, session_version, body, created_at, created_unix)
             SELECT ?1, ?2, ?3, ?4, ?5, NULL, NULL, ?6, ?7, ?8
             WHERE EXISTS (SELECT 1 FROM sweeps WHERE id = ?5 AND write_token = ?9)",
            &[
                text(&event.id),
                text(&pending.account_id),
                flag(pending.sweep.livemode),
                text(event.kind.as_str()),
                text(&pending.sweep.id),
                text(&event.body),
                time(now),
                int(now.0),
                text(write_token),
            ],
        )
    }

    /// What was received at this account and mode's deposit addresses and what left them
    /// in succeeded sweeps, in one round trip. Received: confirmed payments, and uncounted
    /// ones (a wrong network, dust), which the lifecycle never confirms, once as deep as
    /// their chain's confirmations.
    pub(crate) async fn balance_amounts(
        &self,
        account_id: &AccountId,
        livemode: bool,
    ) -> ApiResult<(Amounts, Amounts)> {
        let depths: BTreeMap<String, u32> = crate::config::catalogue()
            .chains
            .iter()
            .map(|c| (c.chain_id.to_string(), c.min_confirmations.max(1)))
            .collect();
        let depths = serde_json::to_string(&depths).map_err(ApiError::internal)?;
        let received = self.stmt(
            "SELECT p.chain_id, p.token, p.amount FROM checkout_sessions s JOIN payments p ON p.session_id = s.id
             WHERE s.account_id = ?1 AND s.livemode = ?2 AND (p.status = 'confirmed'
               OR (p.counted = 0 AND p.status = 'detected'
                   AND p.block_number + json_extract(?3, '$.\"' || p.chain_id || '\"')
                       <= 1 + (SELECT head FROM chain_cursors c WHERE c.chain_id = p.chain_id)))",
            &[text(account_id), flag(livemode), text(&depths)],
        )?;
        let args = [text(account_id), flag(livemode)];
        let swept = self.stmt(
            "SELECT chain_id, token, amount FROM sweep_transfers WHERE account_id = ?1 AND livemode = ?2",
            &args,
        )?;
        let results = self.batch(vec![received, swept]).await?;
        let [received, swept] = &results[..] else {
            return Err(ApiError::internal("balances batch answered short"));
        };
        let amounts = |result: &D1Result| -> ApiResult<Amounts> {
            Ok(result
                .results::<AmountRow>()?
                .into_iter()
                .map(|r| ((r.chain_id, r.token), r.amount))
                .collect())
        };
        Ok((amounts(received)?, amounts(swept)?))
    }

    /// The verified moves out of these sessions' addresses, oldest first, for a batch.
    pub(super) fn swept_stmt(&self, session_ids_json: &str) -> ApiResult<Stmt<'_>> {
        self.stmt(
            "SELECT t.sweep_id, t.session_id, t.chain_id, t.token, t.contract_address, t.amount, s.tx_hash, t.swept_at
             FROM sweep_transfers t JOIN sweeps s ON s.id = t.sweep_id
             WHERE t.session_id IN (SELECT value FROM json_each(?1)) ORDER BY t.swept_at, t.rowid",
            &[text(session_ids_json)],
        )
    }

    /// The verified moves out of these sessions' addresses, oldest first.
    pub(crate) async fn swept_of(&self, ids: &[&SessionId]) -> ApiResult<Vec<SweptRecord>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let list = serde_json::to_string(ids).map_err(ApiError::internal)?;
        let result = self.swept_stmt(&list)?.all().await?;
        swept_records(&result)
    }
}

/// The rows of [`Store::swept_stmt`].
pub(super) fn swept_records(result: &D1Result) -> ApiResult<Vec<SweptRecord>> {
    #[derive(Deserialize)]
    struct Row {
        sweep_id: SweepId,
        session_id: SessionId,
        chain_id: u64,
        token: String,
        contract_address: Option<Address>,
        #[serde(with = "decimal")]
        amount: U256,
        tx_hash: TxHash,
        swept_at: Timestamp,
    }
    Ok(result
        .results::<Row>()?
        .into_iter()
        .map(|r| SweptRecord {
            sweep: r.sweep_id,
            session_id: r.session_id,
            chain_id: r.chain_id,
            token: r.token,
            contract: r.contract_address,
            amount: r.amount,
            tx_hash: r.tx_hash,
            swept_at: r.swept_at,
        })
        .collect())
}

fn one_in_full(sweep: &D1Result, transfers: &D1Result) -> ApiResult<Option<SweepInFull>> {
    let Some(row) = sweep.results::<SweepRow>()?.into_iter().next() else {
        return Ok(None);
    };
    let transfers = transfers.results::<TransferRow>()?;
    Ok(with_transfers(vec![row], transfers).pop())
}

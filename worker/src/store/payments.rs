//! Payments: the transfers recorded for sessions, as stored and as the domain reads them.

use std::collections::BTreeMap;

use alloy_primitives::{Address, B256};
use kasse_shared::session::{Payment, PaymentStatus};
use kasse_shared::time::Timestamp;
use serde::Deserialize;

use super::Store;
use super::bind::{int, text};
use crate::error::{ApiError, ApiResult};

#[derive(Debug, Deserialize)]
pub struct PaymentRow {
    pub id: String,
    pub session_id: String,
    pub chain_id: u64,
    pub token: String,
    pub address: String,
    pub tx_hash: Option<String>,
    pub log_index: Option<u64>,
    pub block_number: u64,
    pub block_hash: String,
    pub block_time: String,
    pub amount: String,
    pub status: PaymentStatus,
    pub counted: u8,
    /// JSON of the quote a late native payment is valued at, if any.
    #[serde(default)]
    pub repriced: Option<String>,
}

impl PaymentRow {
    pub fn to_payment(&self) -> ApiResult<Payment> {
        let bad = |what: &str| {
            ApiError::internal(format!("payment {}: stored {what} is malformed", self.id))
        };
        Ok(Payment {
            chain_id: self.chain_id,
            token: self.token.clone(),
            tx_hash: self
                .tx_hash
                .as_deref()
                .map(str::parse::<B256>)
                .transpose()
                .map_err(|_| bad("tx_hash"))?,
            log_index: self.log_index,
            block_number: self.block_number,
            block_hash: self.block_hash.parse().map_err(|_| bad("block_hash"))?,
            block_time: Timestamp::parse_rfc3339(&self.block_time)
                .ok_or_else(|| bad("block_time"))?,
            amount: kasse_shared::money::parse_base_units(&self.amount)
                .ok_or_else(|| bad("amount"))?,
            status: self.status,
            counted: self.counted != 0,
            repriced: self
                .repriced
                .as_deref()
                .map(serde_json::from_str)
                .transpose()
                .map_err(|_| bad("repriced"))?,
        })
    }
}

pub(super) const PAYMENT_COLUMNS: &str = "id, session_id, chain_id, token, address, tx_hash, log_index, block_number, block_hash, block_time, amount, status, counted, repriced";

/// A transfer the watcher found, to be recorded once.
pub struct NewPayment {
    pub session_id: String,
    pub payment: Payment,
    pub address: Address,
}

pub(super) fn payment_status(s: PaymentStatus) -> &'static str {
    match s {
        PaymentStatus::Detected => "detected",
        PaymentStatus::Confirmed => "confirmed",
        PaymentStatus::Reorged => "reorged",
    }
}

impl Store {
    pub async fn payment_rows(&self, session_id: &str) -> ApiResult<Vec<PaymentRow>> {
        self
            .rows(
                &format!(
                    "SELECT {PAYMENT_COLUMNS} FROM payments WHERE session_id = ?1 ORDER BY block_number, log_index"
                ),
                &[text(session_id)],
            )
            .await
    }

    pub async fn payments(&self, session_id: &str) -> ApiResult<Vec<Payment>> {
        self.payment_rows(session_id)
            .await?
            .iter()
            .map(PaymentRow::to_payment)
            .collect()
    }

    /// The payments of several sessions at once, by session id.
    pub async fn payments_of(&self, ids: &[&str]) -> ApiResult<BTreeMap<String, Vec<Payment>>> {
        let mut by_session: BTreeMap<String, Vec<Payment>> = BTreeMap::new();
        if ids.is_empty() {
            return Ok(by_session);
        }
        let list = serde_json::to_string(ids).map_err(ApiError::internal)?;
        let rows: Vec<PaymentRow> = self
            .rows(
                &format!(
                    "SELECT {PAYMENT_COLUMNS} FROM payments WHERE session_id IN (SELECT value FROM json_each(?1))
                     ORDER BY block_number, log_index"
                ),
                &[text(&list)],
            )
            .await?;
        for row in rows {
            by_session
                .entry(row.session_id.clone())
                .or_default()
                .push(row.to_payment()?);
        }
        Ok(by_session)
    }

    /// Native credits of a chain recorded in the blocks `from..=to`.
    pub async fn native_payments(
        &self,
        chain_id: u64,
        from: u64,
        to: u64,
    ) -> ApiResult<Vec<PaymentRow>> {
        self.rows(
            &format!(
                "SELECT {PAYMENT_COLUMNS} FROM payments
                     WHERE chain_id = ?1 AND log_index IS NULL AND block_number BETWEEN ?2 AND ?3"
            ),
            &[int(chain_id), int(from), int(to)],
        )
        .await
    }
}

//! Payments: the transfers recorded for sessions, as stored and as the domain reads them.

use alloy_primitives::{Address, BlockHash, BlockNumber, ChainId, TxHash, U256};
use kasse_shared::ids::{PaymentId, SessionId};
use kasse_shared::session::{Payment, PaymentStatus, Quote};
use kasse_shared::time::Timestamp;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};

use super::Store;
use super::bind::{int, text};
use super::columns::{decimal, flag, opt_json_text};
use crate::error::{ApiError, ApiResult};

/// A payment as stored. Its ids always read; its other columns read into the [`Payment`]
/// and the address it paid, or into why they do not: a malformed row fails its own
/// session, never the query that read it.
#[derive(Debug)]
pub(crate) struct PaymentRow {
    pub id: PaymentId,
    pub session_id: SessionId,
    stored: Result<(Address, Payment), String>,
}

/// The payment columns, read straight into a [`Payment`].
#[derive(Deserialize)]
#[serde(remote = "Payment")]
struct PaymentColumns {
    chain_id: ChainId,
    token: String,
    tx_hash: Option<TxHash>,
    log_index: Option<u64>,
    block_number: BlockNumber,
    block_hash: BlockHash,
    block_time: Timestamp,
    #[serde(with = "decimal")]
    amount: U256,
    status: PaymentStatus,
    #[serde(with = "flag")]
    counted: bool,
    /// The quote a late native payment is valued at, as JSON, if any.
    #[serde(default, with = "opt_json_text")]
    repriced: Option<Quote>,
}

impl<'de> Deserialize<'de> for PaymentRow {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Keys {
            id: PaymentId,
            session_id: SessionId,
        }
        #[derive(Deserialize)]
        struct Paid {
            address: Address,
        }
        let row = serde_json::Value::deserialize(d)?;
        let Keys { id, session_id } = Keys::deserialize(&row).map_err(D::Error::custom)?;
        let stored = Paid::deserialize(&row)
            .and_then(|paid| Ok((paid.address, PaymentColumns::deserialize(&row)?)))
            .map_err(|e| e.to_string());
        Ok(Self {
            id,
            session_id,
            stored,
        })
    }
}

impl PaymentRow {
    /// The payment, if its row reads.
    pub(crate) fn payment(&self) -> ApiResult<&Payment> {
        self.stored
            .as_ref()
            .map(|(_, payment)| payment)
            .map_err(|e| self.unreadable(e))
    }

    /// The address it paid, if its row reads.
    pub(crate) fn address(&self) -> ApiResult<Address> {
        self.stored
            .as_ref()
            .map(|(address, _)| *address)
            .map_err(|e| self.unreadable(e))
    }

    /// The payments of `rows`, failing if any row does not read.
    pub(crate) fn payments(rows: &[Self]) -> ApiResult<Vec<Payment>> {
        rows.iter().map(|r| r.payment().cloned()).collect()
    }

    fn unreadable(&self, e: &str) -> ApiError {
        ApiError::internal(format!(
            "payment {}: stored row does not read: {e}",
            self.id
        ))
    }
}

pub(super) const PAYMENT_COLUMNS: &str = "id, session_id, chain_id, token, address, tx_hash, log_index, block_number, block_hash, block_time, amount, status, counted, repriced";

/// A transfer the watcher found, to be recorded once.
pub(crate) struct NewPayment {
    pub session_id: SessionId,
    pub payment: Payment,
    pub address: Address,
}

impl Store {
    pub(crate) async fn payment_rows(&self, session_id: &SessionId) -> ApiResult<Vec<PaymentRow>> {
        self
            .rows(
                &format!(
                    "SELECT {PAYMENT_COLUMNS} FROM payments WHERE session_id = ?1 ORDER BY block_number, log_index"
                ),
                &[text(session_id)],
            )
            .await
    }

    pub(crate) async fn payments(&self, session_id: &SessionId) -> ApiResult<Vec<Payment>> {
        PaymentRow::payments(&self.payment_rows(session_id).await?)
    }

    /// Native credits of a chain recorded in the blocks `from..=to`.
    pub(crate) async fn native_payments(
        &self,
        chain_id: ChainId,
        from: BlockNumber,
        to: BlockNumber,
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

#[cfg(test)]
mod tests {
    use alloy_primitives::{Address, B256, U256};
    use kasse_shared::session::PaymentStatus;
    use kasse_shared::time::Timestamp;
    use serde_json::{Value, json};

    use super::PaymentRow;

    /// A token payment row as D1 answers it, with `changes` over its columns.
    fn row(changes: Value) -> PaymentRow {
        let mut row = json!({
            "id": "pay_1",
            "session_id": "cs_test_1",
            "chain_id": 31337,
            "token": "USDC",
            "address": format!("0x{}", "aa".repeat(20)),
            "tx_hash": format!("0x{}", "0c".repeat(32)),
            "log_index": 3,
            "block_number": 12,
            "block_hash": format!("0x{}", "0b".repeat(32)),
            "block_time": "2027-01-15T08:00:00Z",
            "amount": "49990000",
            "status": "confirmed",
            "counted": 0,
            "repriced": null,
        });
        for (column, value) in changes.as_object().expect("an object") {
            row[column] = value.clone();
        }
        serde_json::from_value(row).expect("the ids read")
    }

    #[test]
    fn a_stored_row_reads_into_its_payment_and_address() {
        let row = row(json!({}));
        let (address, payment) = row.stored.expect("readable");
        assert_eq!(address, Address::repeat_byte(0xaa));
        assert_eq!(payment.chain_id, 31337);
        assert_eq!(payment.tx_hash, Some(B256::repeat_byte(0x0c)));
        assert_eq!(payment.log_index, Some(3));
        assert_eq!(payment.block_hash, B256::repeat_byte(0x0b));
        assert_eq!(payment.block_time, Timestamp(1_800_000_000));
        assert_eq!(payment.amount, U256::from(49_990_000u32));
        assert_eq!(payment.status, PaymentStatus::Confirmed);
        assert!(!payment.counted);
        assert_eq!(payment.repriced, None);
    }

    #[test]
    fn a_row_whose_columns_do_not_read_keeps_its_ids() {
        for bad in [
            json!({"address": "0xnot"}),
            json!({"amount": "0x5"}),
            json!({"tx_hash": "0x12"}),
            json!({"block_hash": null}),
            json!({"block_time": "2027-01-15 08:00:00"}),
            json!({"status": "lost"}),
            json!({"repriced": "{"}),
        ] {
            let row = row(bad.clone());
            assert_eq!(
                (row.id.as_str(), row.session_id.as_str()),
                ("pay_1", "cs_test_1")
            );
            assert!(row.stored.is_err(), "{bad} reads");
        }
    }
}

//! The shopper's claim link: the refund with its account's settings (the shop's name and
//! the origins CORS allows), and the address given once.

use alloy_primitives::Address;
use kasse_shared::account::Settings;
use kasse_shared::ids::{AccountId, RefundId};
use kasse_shared::refund::Refund;
use serde::Deserialize;

use super::bind::{address_key, changes, int, text, time};
use super::refunds::{REFUND_COLUMNS, RefundRow};
use super::{NewEvent, Store};
use crate::error::{ApiError, ApiResult};

/// The settings of a refund's own account and mode.
const SETTINGS_OF_REFUND: &str = "SELECT a.settings FROM refunds r
     JOIN account_settings a ON a.account_id = r.account_id AND a.livemode = r.livemode
     WHERE r.id = ?1";

/// A session of the account (`?2`) with the deposit address `?1`, if any.
const DEPOSIT_ADDRESS: &str =
    "SELECT 1 AS hit FROM checkout_sessions WHERE address = ?1 AND account_id = ?2 LIMIT 1";

#[derive(Deserialize)]
struct SettingsRow {
    settings: String,
}

fn settings_of(row: SettingsRow) -> ApiResult<Settings> {
    serde_json::from_str(&row.settings).map_err(ApiError::internal)
}

/// What giving a refund its address did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AddressWrite {
    /// The address, the status and the event are written.
    Set,
    /// The address is one of the account's own deposit addresses: nothing written.
    DepositAddress,
    /// The refund changed since it was read (another tab, the merchant): nothing written.
    Lost,
}

impl Store {
    /// A refund by id with the settings of its account and mode (one round trip).
    pub(crate) async fn refund_for_claim(
        &self,
        id: &RefundId,
    ) -> ApiResult<Option<(Refund, Settings)>> {
        let refund = self.stmt(
            &format!("SELECT {REFUND_COLUMNS} FROM refunds WHERE id = ?1"),
            &[text(id)],
        )?;
        let settings = self.stmt(SETTINGS_OF_REFUND, &[text(id)])?;
        let results = self.batch(vec![refund, settings]).await?;
        let [refund, settings] = &results[..] else {
            return Err(ApiError::internal("claim batch answered short"));
        };
        let Some(RefundRow(refund)) = refund.results::<RefundRow>()?.into_iter().next() else {
            return Ok(None);
        };
        let settings = match settings.results::<SettingsRow>()?.into_iter().next() {
            Some(row) => settings_of(row)?,
            None => Settings::default(),
        };
        Ok(Some((refund, settings)))
    }

    /// The settings of a refund's account and mode, for a CORS preflight.
    pub(crate) async fn settings_of_refund(&self, id: &RefundId) -> ApiResult<Option<Settings>> {
        let row: Option<SettingsRow> = self.row(SETTINGS_OF_REFUND, &[text(id)]).await?;
        row.map(settings_of).transpose()
    }

    /// Whether `address` is one of the account's own deposit addresses, in either mode: a
    /// refund sent there would come back to the shop.
    pub(crate) async fn is_deposit_address(
        &self,
        account_id: &AccountId,
        address: &Address,
    ) -> ApiResult<bool> {
        let hit: Option<serde_json::Value> = self
            .row(
                DEPOSIT_ADDRESS,
                &[text(&address_key(address)), text(account_id)],
            )
            .await?;
        Ok(hit.is_some())
    }

    /// Gives `before` the address `after` has (`after` is the refund as that leaves it:
    /// `pending`, one version on), with its `event`, in one batch: written only while the
    /// refund still stands at `before`'s version waiting for an address, and only when the
    /// address is none of the account's deposit addresses.
    pub(crate) async fn set_refund_address(
        &self,
        before: &Refund,
        after: &Refund,
        event: &NewEvent,
    ) -> ApiResult<AddressWrite> {
        let Some(address) = after.address.as_ref().map(address_key) else {
            return Err(ApiError::internal("a claimed refund without its address"));
        };
        let deposit = self.stmt(DEPOSIT_ADDRESS, &[text(&address), text(&before.account_id)])?;
        let update = self.stmt(
            "UPDATE refunds SET address = ?1, status = 'pending', version = ?2, updated_at = ?3
             WHERE id = ?4 AND version = ?5 AND status = 'requires_address' AND address IS NULL
               AND NOT EXISTS (SELECT 1 FROM checkout_sessions WHERE address = ?1 AND account_id = ?6)",
            &[
                text(&address),
                int(after.version),
                time(after.updated_at),
                text(&before.id),
                int(before.version),
                text(&before.account_id),
            ],
        )?;
        let mut batch = vec![deposit, update];
        batch.extend(self.refund_event_stmts(after, &[event])?);
        let results = self.batch(batch).await?;
        let [deposit, update, ..] = &results[..] else {
            return Err(ApiError::internal("claim batch answered short"));
        };
        if !deposit.results::<serde_json::Value>()?.is_empty() {
            return Ok(AddressWrite::DepositAddress);
        }
        Ok(if changes(update) == 1 {
            AddressWrite::Set
        } else {
            AddressWrite::Lost
        })
    }
}

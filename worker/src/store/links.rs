//! Payment links: their rows, the public read and lists.

use kasse_shared::api::list::Direction;
use kasse_shared::ids::{AccountId, LinkId};
use kasse_shared::link::PaymentLink;
use kasse_shared::time::Timestamp;
use worker::wasm_bindgen::JsValue;

use serde::Deserialize;

use super::Store;
use super::bind::{Keyset, flag, int, text, time};
use crate::error::{ApiError, ApiResult};

/// A link as stored: its JSON document.
#[derive(Debug, Deserialize)]
struct LinkRow {
    data: String,
}

impl LinkRow {
    fn link(&self) -> ApiResult<PaymentLink> {
        serde_json::from_str(&self.data).map_err(ApiError::internal)
    }
}

impl Store {
    pub(crate) async fn insert_link(&self, link: &PaymentLink) -> ApiResult<()> {
        self.exec(
            "INSERT INTO payment_links (id, account_id, livemode, active, data, created_at, created_unix, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            &[
                text(&link.id),
                text(&link.account_id),
                flag(link.livemode),
                flag(link.active),
                text(&serde_json::to_string(link).map_err(ApiError::internal)?),
                time(link.created_at),
                int(link.created_at.0),
                time(link.updated_at),
            ],
        )
        .await
    }

    /// The link `id` if it belongs to this account and mode.
    pub(crate) async fn link(
        &self,
        account_id: &AccountId,
        livemode: bool,
        id: &LinkId,
    ) -> ApiResult<Option<PaymentLink>> {
        let row: Option<LinkRow> = self
            .row(
                "SELECT data FROM payment_links WHERE id = ?1 AND account_id = ?2 AND livemode = ?3",
                &[text(id), text(account_id), flag(livemode)],
            )
            .await?;
        row.map(|r| r.link()).transpose()
    }

    /// The link `id` whoever owns it: the public page and its POST know only the id.
    pub(crate) async fn public_link(&self, id: &LinkId) -> ApiResult<Option<PaymentLink>> {
        let row: Option<LinkRow> = self
            .row("SELECT data FROM payment_links WHERE id = ?1", &[text(id)])
            .await?;
        row.map(|r| r.link()).transpose()
    }

    pub(crate) async fn update_link(&self, link: &PaymentLink) -> ApiResult<()> {
        self.exec(
            "UPDATE payment_links SET active = ?2, data = ?3, updated_at = ?4 WHERE id = ?1",
            &[
                text(&link.id),
                flag(link.active),
                text(&serde_json::to_string(link).map_err(ApiError::internal)?),
                time(link.updated_at),
            ],
        )
        .await
    }

    /// When the link `id` of this account and mode was created (a list cursor).
    pub(crate) async fn link_created(
        &self,
        account_id: &AccountId,
        livemode: bool,
        id: &LinkId,
    ) -> ApiResult<Option<Timestamp>> {
        let unix: Option<u64> = self
            .value(
                "SELECT created_unix FROM payment_links WHERE id = ?1 AND account_id = ?2 AND livemode = ?3",
                &[text(id), text(account_id), flag(livemode)],
                "created_unix",
            )
            .await?;
        Ok(unix.map(Timestamp))
    }

    /// One page of links, newest first, like [`Store::list_sessions`].
    pub(crate) async fn list_links(
        &self,
        account_id: &AccountId,
        livemode: bool,
        active: Option<bool>,
        cursor: Option<(Direction, (Timestamp, &str))>,
        limit: u32,
    ) -> ApiResult<Vec<PaymentLink>> {
        let page = Keyset::new(cursor);
        let rows: Vec<LinkRow> = self
            .rows(
                &format!(
                    "SELECT data FROM payment_links
                     WHERE account_id = ?1 AND livemode = ?2
                       AND (?3 IS NULL OR active = ?3)
                       AND {}",
                    page.sql("created_unix, id", "?4, ?5", "?6, ?7", "?8")
                ),
                &[
                    [
                        text(account_id),
                        flag(livemode),
                        active.map_or(JsValue::NULL, flag),
                    ]
                    .as_slice(),
                    &page.params(limit),
                ]
                .concat(),
            )
            .await?;
        let links = rows.iter().map(LinkRow::link).collect::<ApiResult<_>>()?;
        Ok(page.newest_first(links))
    }
}

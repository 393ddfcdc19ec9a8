//! Payment links: their rows, the public read, lists, and the per-IP start counters.

use kasse_shared::link::PaymentLink;
use worker::wasm_bindgen::JsValue;

use super::{SessionRow, Store, flag, int, opt_text, page_bounds, text};
use crate::error::{ApiError, ApiResult};

impl Store {
    pub async fn insert_link(&self, link: &PaymentLink) -> ApiResult<()> {
        self.stmt(
            "INSERT INTO payment_links (id, account_id, livemode, active, data, created_at, created_unix, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            &[
                text(&link.id),
                text(&link.account_id),
                flag(link.livemode),
                flag(link.active),
                text(&serde_json::to_string(link).map_err(ApiError::internal)?),
                text(&link.created_at.to_string()),
                int(link.created_at.0),
                text(&link.updated_at.to_string()),
            ],
        )?
        .run()
        .await?;
        Ok(())
    }

    /// The link `id` if it belongs to this account and mode.
    pub async fn link(
        &self,
        account_id: &str,
        livemode: bool,
        id: &str,
    ) -> ApiResult<Option<PaymentLink>> {
        let row: Option<SessionRow> = self
            .stmt(
                "SELECT data FROM payment_links WHERE id = ?1 AND account_id = ?2 AND livemode = ?3",
                &[text(id), text(account_id), flag(livemode)],
            )?
            .first(None)
            .await?;
        row.map(|r| serde_json::from_str(&r.data).map_err(ApiError::internal))
            .transpose()
    }

    /// The link `id` whoever owns it: the public page and its POST know only the id.
    pub async fn public_link(&self, id: &str) -> ApiResult<Option<PaymentLink>> {
        let row: Option<SessionRow> = self
            .stmt("SELECT data FROM payment_links WHERE id = ?1", &[text(id)])?
            .first(None)
            .await?;
        row.map(|r| serde_json::from_str(&r.data).map_err(ApiError::internal))
            .transpose()
    }

    pub async fn update_link(&self, link: &PaymentLink) -> ApiResult<()> {
        self.stmt(
            "UPDATE payment_links SET active = ?2, data = ?3, updated_at = ?4 WHERE id = ?1",
            &[
                text(&link.id),
                flag(link.active),
                text(&serde_json::to_string(link).map_err(ApiError::internal)?),
                text(&link.updated_at.to_string()),
            ],
        )?
        .run()
        .await?;
        Ok(())
    }

    /// When the link `id` of this account and mode was created (a list cursor).
    pub async fn link_created_unix(
        &self,
        account_id: &str,
        livemode: bool,
        id: &str,
    ) -> ApiResult<Option<u64>> {
        Ok(self
            .stmt(
                "SELECT created_unix FROM payment_links WHERE id = ?1 AND account_id = ?2 AND livemode = ?3",
                &[text(id), text(account_id), flag(livemode)],
            )?
            .first(Some("created_unix"))
            .await?)
    }

    /// One page of links, newest first, like [`Store::list_sessions`].
    pub async fn list_links(
        &self,
        account_id: &str,
        livemode: bool,
        active: Option<bool>,
        cursor: Option<(bool, u64, &str)>,
        limit: u32,
    ) -> ApiResult<Vec<PaymentLink>> {
        let (after, before, order) =
            page_bounds(cursor.map(|(after, unix, id)| (after, (unix, id))));
        let rows: Vec<SessionRow> = self
            .stmt(
                &format!(
                    "SELECT data FROM payment_links
                     WHERE account_id = ?1 AND livemode = ?2
                       AND (?3 IS NULL OR active = ?3)
                       AND (?4 IS NULL OR (created_unix, id) < (?4, ?5))
                       AND (?6 IS NULL OR (created_unix, id) > (?6, ?7))
                     ORDER BY created_unix {order}, id {order} LIMIT ?8"
                ),
                &[
                    text(account_id),
                    flag(livemode),
                    active.map_or(JsValue::NULL, flag),
                    after.map_or(JsValue::NULL, |(u, _)| int(u)),
                    opt_text(after.map(|(_, id)| id)),
                    before.map_or(JsValue::NULL, |(u, _)| int(u)),
                    opt_text(before.map(|(_, id)| id)),
                    int(u64::from(limit)),
                ],
            )?
            .all()
            .await?
            .results()?;
        let mut links = rows
            .into_iter()
            .map(|r| serde_json::from_str(&r.data).map_err(ApiError::internal))
            .collect::<ApiResult<Vec<PaymentLink>>>()?;
        if before.is_some() {
            links.reverse();
        }
        Ok(links)
    }

    /// A fixed-window counter: how many hits `key` has had in the window that started at
    /// `window_start_ms`, this one included.
    pub async fn count_hit(&self, key: &str, window_start_ms: u64) -> ApiResult<u64> {
        Ok(self
            .stmt(
                "INSERT INTO rate_limits (key, window_unix, count) VALUES (?1, ?2, 1)
                 ON CONFLICT (key) DO UPDATE SET
                   count = CASE WHEN rate_limits.window_unix = excluded.window_unix THEN rate_limits.count + 1 ELSE 1 END,
                   window_unix = excluded.window_unix
                 RETURNING count",
                &[text(key), int(window_start_ms)],
            )?
            .first(Some("count"))
            .await?
            .unwrap_or(1))
    }
}

//! Accounts, their xpubs and address counters, API keys, and settings per mode.

use kasse_shared::account::{KeyKind, Settings};
use kasse_shared::ids::{AccountId, KeyId, LinkId, SessionId};
use kasse_shared::time::Timestamp;
use serde::Deserialize;

use super::bind::{flag, text, time};
use super::columns::flag as flag_column;
use super::{Stmt, Store};
use crate::error::{ApiError, ApiResult};
use worker::wasm_bindgen::JsValue;

#[derive(Debug, Deserialize)]
pub(crate) struct KeyRow {
    pub account_id: AccountId,
    #[serde(with = "flag_column")]
    pub livemode: bool,
    pub kind: KeyKind,
    pub settings: String,
}

pub(crate) struct NewKey {
    pub id: KeyId,
    pub livemode: bool,
    pub kind: KeyKind,
    pub hash: String,
    pub redacted: String,
}

pub(crate) struct NewXpub {
    pub livemode: bool,
    pub xpub: String,
    pub node_id: String,
    /// The mode's Tron xpub, registered with it.
    pub tron: Option<TronXpub>,
}

/// A Tron xpub (m/44'/195'/n') and the node that identifies it.
pub(crate) struct TronXpub {
    pub xpub: String,
    pub node_id: String,
}

/// An account as one mode sees it: that mode's settings, the account's creation and when
/// those settings last changed.
#[derive(Debug, Deserialize)]
pub(crate) struct AccountRow {
    pub settings: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Deserialize)]
pub(crate) struct XpubRow {
    pub xpub: String,
    pub next_index: u64,
    pub xpub_tron: Option<String>,
}

/// The xpubs a new session derives its addresses from, and the index it reserved.
#[derive(Debug, Deserialize)]
pub(crate) struct Reserved {
    pub xpub: String,
    pub xpub_tron: Option<String>,
    pub idx: u32,
}

/// An API key as listed: never the key, only its redacted form.
#[derive(Debug, Deserialize)]
pub(crate) struct KeyInfo {
    pub id: KeyId,
    pub kind: KeyKind,
    #[serde(with = "flag_column")]
    pub livemode: bool,
    pub redacted: String,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

/// How an account write that registers xpubs ended. A refused write wrote nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AccountWrite {
    Written,
    /// An xpub's external node is registered to an account already.
    XpubInUse,
    /// The mode has an xpub already (another request registered one first).
    XpubSet,
}

impl Store {
    /// Creates an account with its xpubs and keys in one batch: each mode starts with
    /// `settings`. An xpub whose external node another account registered is refused.
    pub(crate) async fn create_account(
        &self,
        account_id: &AccountId,
        settings: &Settings,
        xpubs: &[NewXpub],
        keys: &[NewKey],
        now: Timestamp,
    ) -> ApiResult<AccountWrite> {
        let settings = serde_json::to_string(settings).map_err(ApiError::internal)?;
        let mut batch = vec![self.stmt(
            "INSERT INTO accounts (id, created_at, updated_at) VALUES (?1, ?2, ?2)",
            &[text(account_id), time(now)],
        )?];
        for livemode in [false, true] {
            batch.push(self.stmt(
                "INSERT INTO account_settings (account_id, livemode, settings, updated_at) VALUES (?1, ?2, ?3, ?4)",
                &[text(account_id), flag(livemode), text(&settings), time(now)],
            )?);
        }
        self.write_account((batch, Vec::new()), account_id, xpubs, keys, now)
            .await
    }

    /// An active key's account and mode, with that mode's settings.
    pub(crate) async fn key(&self, hash: &str) -> ApiResult<Option<KeyRow>> {
        Ok(self.key_stmt(hash)?.first(None).await?)
    }

    /// The read of [`Store::key`], for a batch.
    pub(super) fn key_stmt(&self, hash: &str) -> ApiResult<Stmt<'_>> {
        self.stmt(
            "SELECT k.account_id, k.livemode, k.kind, s.settings FROM api_keys k
                 JOIN account_settings s ON s.account_id = k.account_id AND s.livemode = k.livemode
                 WHERE k.key_hash = ?1 AND k.revoked_at IS NULL",
            &[text(hash)],
        )
    }

    /// The account as one mode sees it; `None` when the account does not exist.
    pub(crate) async fn account(
        &self,
        account_id: &AccountId,
        livemode: bool,
    ) -> ApiResult<Option<AccountRow>> {
        self.row(
            "SELECT s.settings, a.created_at, s.updated_at FROM accounts a
                 JOIN account_settings s ON s.account_id = a.id AND s.livemode = ?2
                 WHERE a.id = ?1",
            &[text(account_id), flag(livemode)],
        )
        .await
    }

    pub(crate) async fn account_exists(&self, account_id: &AccountId) -> ApiResult<bool> {
        let found: Option<String> = self
            .value(
                "SELECT id FROM accounts WHERE id = ?1",
                &[text(account_id)],
                "id",
            )
            .await?;
        Ok(found.is_some())
    }

    /// The xpub of one mode of an account, if it has one.
    pub(crate) async fn xpub(
        &self,
        account_id: &AccountId,
        livemode: bool,
    ) -> ApiResult<Option<XpubRow>> {
        self.row(
            "SELECT xpub, next_index, xpub_tron FROM account_xpubs WHERE account_id = ?1 AND livemode = ?2",
            &[text(account_id), flag(livemode)],
        )
        .await
    }

    /// One mode's new settings, and that mode's xpub (with its first keys) if it had none,
    /// and its Tron xpub if it had none, in one batch. The primary key (account, mode)
    /// refuses a second xpub for a mode even when two updates race; the unique external
    /// nodes refuse one registered elsewhere. A Tron xpub is set only on a mode whose EVM
    /// xpub exists (or is written in the same batch) and has none yet.
    #[expect(clippy::too_many_arguments, reason = "one batch of the update's parts")]
    pub(crate) async fn update_account(
        &self,
        account_id: &AccountId,
        livemode: bool,
        settings: &Settings,
        xpub: Option<&NewXpub>,
        tron: Option<&TronXpub>,
        keys: &[NewKey],
        now: Timestamp,
    ) -> ApiResult<AccountWrite> {
        let settings = serde_json::to_string(settings).map_err(ApiError::internal)?;
        let update = self.stmt(
            "UPDATE account_settings SET settings = ?3, updated_at = ?4 WHERE account_id = ?1 AND livemode = ?2",
            &[text(account_id), flag(livemode), text(&settings), time(now)],
        )?;
        let xpubs = xpub.map_or(&[][..], std::slice::from_ref);
        let mut after = Vec::new();
        if let Some(tron) = tron {
            after.push(self.stmt(
                "UPDATE account_xpubs SET xpub_tron = ?3, tron_node = ?4
                 WHERE account_id = ?1 AND livemode = ?2 AND xpub_tron IS NULL",
                &[
                    text(account_id),
                    flag(livemode),
                    text(&tron.xpub),
                    text(&tron.node_id),
                ],
            )?);
        }
        self.write_account((vec![update], after), account_id, xpubs, keys, now)
            .await
    }

    /// Registers a mode's xpub on an existing account, with that mode's first keys (the
    /// operator's route). Refused like any other xpub: one per mode, a node only once.
    pub(crate) async fn add_xpub(
        &self,
        account_id: &AccountId,
        xpub: &NewXpub,
        keys: &[NewKey],
        now: Timestamp,
    ) -> ApiResult<AccountWrite> {
        let touch = self.stmt(
            "UPDATE accounts SET updated_at = ?2 WHERE id = ?1",
            &[text(account_id), time(now)],
        )?;
        self.write_account(
            (vec![touch], Vec::new()),
            account_id,
            std::slice::from_ref(xpub),
            keys,
            now,
        )
        .await
    }

    /// The account's own statements, then its new xpubs and keys, as one batch; the unique
    /// constraints on the xpubs refuse it as a whole.
    async fn write_account<'a>(
        &'a self,
        (mut batch, after): (Vec<Stmt<'a>>, Vec<Stmt<'a>>),
        account_id: &AccountId,
        xpubs: &[NewXpub],
        keys: &[NewKey],
        now: Timestamp,
    ) -> ApiResult<AccountWrite> {
        for x in xpubs {
            let (tron, tron_node) = match &x.tron {
                Some(t) => (text(&t.xpub), text(&t.node_id)),
                None => (JsValue::NULL, JsValue::NULL),
            };
            batch.push(self.stmt(
                "INSERT INTO account_xpubs (account_id, livemode, xpub, external_node, created_at, xpub_tron, tron_node)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                &[text(account_id), flag(x.livemode), text(&x.xpub), text(&x.node_id), time(now), tron, tron_node],
            )?);
        }
        // After the rows: a Tron xpub may be set on one written just now.
        batch.extend(after);
        for k in keys {
            batch.push(self.insert_key_stmt(account_id, k, now)?);
        }
        match self.batch(batch).await {
            Ok(_) => Ok(AccountWrite::Written),
            Err(e)
                if e.to_string().contains("account_xpubs.external_node")
                    || e.to_string().contains("account_xpubs.tron_node") =>
            {
                Ok(AccountWrite::XpubInUse)
            }
            Err(e) if e.to_string().contains("account_xpubs.account_id") => {
                Ok(AccountWrite::XpubSet)
            }
            Err(e) => Err(e.into()),
        }
    }

    fn insert_key_stmt(
        &self,
        account_id: &AccountId,
        k: &NewKey,
        now: Timestamp,
    ) -> ApiResult<Stmt<'_>> {
        self.stmt(
            "INSERT INTO api_keys (id, account_id, livemode, kind, key_hash, redacted, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            &[text(&k.id), text(account_id), flag(k.livemode), text(k.kind.as_str()), text(&k.hash), text(&k.redacted), time(now)],
        )
    }

    pub(crate) async fn insert_key(
        &self,
        account_id: &AccountId,
        key: &NewKey,
        now: Timestamp,
    ) -> ApiResult<()> {
        self.insert_key_stmt(account_id, key, now)?.run().await?;
        Ok(())
    }

    /// An account's keys in one mode, newest first (revoked ones included).
    pub(crate) async fn keys(
        &self,
        account_id: &AccountId,
        livemode: bool,
    ) -> ApiResult<Vec<KeyInfo>> {
        self.rows(
            "SELECT id, kind, livemode, redacted, created_at, revoked_at FROM api_keys
                 WHERE account_id = ?1 AND livemode = ?2 ORDER BY created_at DESC, id DESC",
            &[text(account_id), flag(livemode)],
        )
        .await
    }

    /// Revokes a key of this account and mode, unless it is the mode's last active secret
    /// key (the merchant would lock themselves out). `Ok(false)`: that was the case.
    pub(crate) async fn revoke_key(
        &self,
        account_id: &AccountId,
        livemode: bool,
        id: &KeyId,
        now: Timestamp,
    ) -> ApiResult<bool> {
        let changed = self
            .changed(
                "UPDATE api_keys SET revoked_at = ?4
                 WHERE id = ?1 AND account_id = ?2 AND livemode = ?3 AND revoked_at IS NULL
                   AND (kind = 'publishable' OR (SELECT COUNT(*) FROM api_keys
                        WHERE account_id = ?2 AND livemode = ?3 AND kind = 'secret' AND revoked_at IS NULL) > 1)",
                &[text(id), text(account_id), flag(livemode), time(now)],
            )
            .await?;
        Ok(changed > 0)
    }

    /// The settings of the session's own account and mode (CORS preflights know only the id).
    pub(crate) async fn settings_of_session(
        &self,
        session_id: &SessionId,
    ) -> ApiResult<Option<Settings>> {
        self.settings_by(
            "SELECT a.settings FROM checkout_sessions s
             JOIN account_settings a ON a.account_id = s.account_id AND a.livemode = s.livemode
             WHERE s.id = ?1",
            session_id,
        )
        .await
    }

    /// The settings of the link's own account and mode.
    pub(crate) async fn settings_of_link(&self, link_id: &LinkId) -> ApiResult<Option<Settings>> {
        self.settings_by(
            "SELECT a.settings FROM payment_links l
             JOIN account_settings a ON a.account_id = l.account_id AND a.livemode = l.livemode
             WHERE l.id = ?1",
            link_id,
        )
        .await
    }

    async fn settings_by(&self, sql: &str, id: &str) -> ApiResult<Option<Settings>> {
        let json: Option<String> = self.value(sql, &[text(id)], "settings").await?;
        json.map(|j| serde_json::from_str(&j).map_err(ApiError::internal))
            .transpose()
    }

    /// One mode's settings: read them with the mode of the object they are for.
    pub(crate) async fn account_settings(
        &self,
        account_id: &AccountId,
        livemode: bool,
    ) -> ApiResult<Settings> {
        let json: Option<String> = self
            .value(
                "SELECT settings FROM account_settings WHERE account_id = ?1 AND livemode = ?2",
                &[text(account_id), flag(livemode)],
                "settings",
            )
            .await?;
        let json =
            json.ok_or_else(|| ApiError::internal(format!("account {account_id} is missing")))?;
        serde_json::from_str(&json).map_err(ApiError::internal)
    }

    /// Reserves the next derivation index of an account's xpub: atomic, gaps allowed.
    pub(crate) async fn reserve_index(
        &self,
        account_id: &AccountId,
        livemode: bool,
    ) -> ApiResult<Option<Reserved>> {
        self.row(
            "UPDATE account_xpubs SET next_index = next_index + 1 WHERE account_id = ?1 AND livemode = ?2
             RETURNING xpub, xpub_tron, next_index - 1 AS idx",
            &[text(account_id), flag(livemode)],
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn key_rows_read_their_kind_and_mode_as_types() {
        let row: KeyRow = serde_json::from_value(json!({
            "account_id": "acct_1", "livemode": 1, "kind": "publishable", "settings": "{}",
        }))
        .expect("a key row");
        assert_eq!((row.livemode, row.kind), (true, KeyKind::Publishable));
        let listed: KeyInfo = serde_json::from_value(json!({
            "id": "key_000000000000000000000001", "kind": "secret", "livemode": 0, "redacted": "sk_test_…cdef",
            "created_at": "2026-11-21T09:30:00Z", "revoked_at": null,
        }))
        .expect("a listed key");
        assert_eq!(
            (listed.kind, listed.livemode, listed.created_at.to_string()),
            (KeyKind::Secret, false, "2026-11-21T09:30:00Z".to_owned())
        );
        assert_eq!(listed.revoked_at, None);
        let unknown = json!({"account_id": "a", "livemode": 0, "kind": "admin", "settings": "{}"});
        assert!(serde_json::from_value::<KeyRow>(unknown).is_err());
    }
}

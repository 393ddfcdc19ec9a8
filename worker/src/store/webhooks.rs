//! Webhook endpoints, the delivery outbox and its attempts.
//!
//! Deliveries are fanned out in the same batch as the event that causes them (see
//! [`Store::fan_out_stmt`]), so an event is never without its deliveries. A sender claims
//! due deliveries with a lease (one conditional `UPDATE`) and records each attempt only
//! while it still holds that lease.

use kasse_shared::api::list::Direction;
use kasse_shared::ids::{AccountId, DeliveryId, EndpointId, EventId, SessionId};
use kasse_shared::session::EventType;
use kasse_shared::time::Timestamp;
use kasse_shared::webhook::{
    Attempt, Delivery, DeliveryStatus, Endpoint, EventFilter, Secret, Verdict,
};
use serde::Deserialize;
use worker::wasm_bindgen::JsValue;

use super::bind::{Keyset, flag, int, opt_text, text, time};
use super::columns::{flag as flag_column, json_text};
use super::{Stmt, Store};
use crate::error::{ApiError, ApiResult};

/// An endpoint as stored, without its secrets.
#[derive(Debug, Deserialize)]
pub(crate) struct EndpointRow {
    pub id: EndpointId,
    #[serde(with = "flag_column")]
    livemode: bool,
    url: String,
    #[serde(with = "json_text")]
    events: EventFilter,
    description: Option<String>,
    #[serde(with = "flag_column")]
    enabled: bool,
    previous_until_unix: Option<u64>,
    created_at: Timestamp,
    updated_at: Timestamp,
}

/// Never the secrets: an endpoint read for the API cannot leak them.
const ENDPOINT_COLUMNS: &str =
    "id, livemode, url, events, description, enabled, previous_until_unix, created_at, updated_at";

impl EndpointRow {
    /// The API object, without the secret.
    pub(crate) fn endpoint(&self, now: Timestamp) -> Endpoint {
        Endpoint {
            id: self.id.clone(),
            object: "webhook_endpoint".to_owned(),
            url: self.url.clone(),
            events: self.events.clone(),
            description: self.description.clone(),
            enabled: self.enabled,
            livemode: self.livemode,
            secret: None,
            previous_secret_expires_at: self
                .previous_until_unix
                .filter(|until| *until > now.0)
                .map(Timestamp),
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// The secrets that sign at `now`: the current one, and the previous one during its grace.
fn signing_secrets(
    secret: &str,
    previous: Option<&str>,
    previous_until: Option<u64>,
    now: Timestamp,
) -> ApiResult<Vec<Secret>> {
    let parse = |s: &str| {
        Secret::parse(s).ok_or_else(|| ApiError::internal("a stored webhook secret is malformed"))
    };
    let mut secrets = vec![parse(secret)?];
    if let (Some(old), Some(until)) = (previous, previous_until)
        && until > now.0
    {
        secrets.push(parse(old)?);
    }
    Ok(secrets)
}

/// A delivery this run holds the lease of, with everything needed to send it.
#[derive(Debug, Deserialize)]
pub(crate) struct Claimed {
    pub id: DeliveryId,
    pub event_id: EventId,
    pub endpoint_id: EndpointId,
    /// Attempts made before this one.
    pub attempts: u32,
    pub url: String,
    secret: String,
    previous_secret: Option<String>,
    previous_until_unix: Option<u64>,
    pub body: String,
}

impl Claimed {
    pub(crate) fn secrets(&self, now: Timestamp) -> ApiResult<Vec<Secret>> {
        signing_secrets(
            &self.secret,
            self.previous_secret.as_deref(),
            self.previous_until_unix,
            now,
        )
    }
}

/// One attempt's record.
pub(crate) struct AttemptRecord<'a> {
    pub at: Timestamp,
    pub status_code: Option<u16>,
    pub latency_ms: u64,
    pub error: Option<&'a str>,
    pub verdict: Verdict,
}

/// A delivery as listed, without its attempts.
#[derive(Deserialize)]
struct DeliveryRow {
    id: DeliveryId,
    event_id: EventId,
    event_type: EventType,
    status: DeliveryStatus,
    next_attempt_unix: u64,
    created_unix: u64,
}

impl DeliveryRow {
    /// The API object, with this delivery's attempts among `attempts`.
    fn delivery(self, endpoint_id: &EndpointId, attempts: &[AttemptRow]) -> Delivery {
        let attempts = attempts
            .iter()
            .filter(|a| a.delivery_id == self.id)
            .map(AttemptRow::attempt)
            .collect();
        Delivery {
            next_attempt_at: (self.status == DeliveryStatus::Pending)
                .then_some(Timestamp(self.next_attempt_unix)),
            id: self.id,
            object: "webhook_delivery".to_owned(),
            event: self.event_id,
            event_type: self.event_type,
            endpoint: endpoint_id.clone(),
            status: self.status,
            attempts,
            created_at: Timestamp(self.created_unix),
        }
    }
}

#[derive(Deserialize)]
struct AttemptRow {
    delivery_id: DeliveryId,
    attempt: u32,
    at: Timestamp,
    status_code: Option<u16>,
    latency_ms: Option<u64>,
    error: Option<String>,
}

impl AttemptRow {
    fn attempt(&self) -> Attempt {
        Attempt {
            attempt: self.attempt,
            at: self.at,
            status_code: self.status_code,
            latency_ms: self.latency_ms,
            error: self.error.clone(),
        }
    }
}

/// Which due deliveries a claim may take.
pub(crate) enum Scope<'a> {
    /// Everything due (the cron).
    Due,
    /// Only these sessions' deliveries (right after a request changed them).
    Sessions(&'a [SessionId]),
}

impl Scope<'_> {
    /// The sessions as a bound JSON array, or `None` (NULL) for every delivery due.
    fn sessions_json(&self) -> ApiResult<Option<String>> {
        match self {
            Self::Due => Ok(None),
            Self::Sessions(ids) => serde_json::to_string(ids)
                .map(Some)
                .map_err(ApiError::internal),
        }
    }
}

impl Store {
    // ----- fan-out ---------------------------------------------------------------------------

    /// One delivery per enabled endpoint of the event's account and mode that asked for its
    /// type, for each of `event_ids` that was inserted (events are guarded on their
    /// session's write token, so a change that lost its race fans out nothing).
    pub(super) fn fan_out_stmt(&self, event_ids: &[&EventId]) -> ApiResult<Stmt<'_>> {
        self.stmt(
            "INSERT INTO webhook_deliveries (id, event_id, endpoint_id, session_id, session_version, status, attempts,
                 next_attempt_unix, locked_until_unix, created_at, created_unix, updated_at)
             SELECT 'whd_' || lower(hex(randomblob(12))), ev.id, e.id, ev.session_id, ev.session_version, 'pending', 0,
                 ev.created_unix, 0, ev.created_at, ev.created_unix, ev.created_at
             FROM events ev JOIN webhook_endpoints e ON e.account_id = ev.account_id AND e.livemode = ev.livemode
             WHERE ev.id IN (SELECT value FROM json_each(?1)) AND e.enabled = 1
               AND EXISTS (SELECT 1 FROM json_each(e.events) WHERE value IN ('*', ev.type))",
            &[text(&serde_json::to_string(event_ids).map_err(ApiError::internal)?)],
        )
    }

    // ----- endpoints -------------------------------------------------------------------------

    pub(crate) async fn count_endpoints(
        &self,
        account_id: &AccountId,
        livemode: bool,
    ) -> ApiResult<u64> {
        let n: Option<u64> = self
            .value(
                "SELECT COUNT(*) AS n FROM webhook_endpoints WHERE account_id = ?1 AND livemode = ?2",
                &[text(account_id), flag(livemode)],
                "n",
            )
            .await?;
        Ok(n.unwrap_or(0))
    }

    pub(crate) async fn insert_endpoint(
        &self,
        account_id: &AccountId,
        endpoint: &Endpoint,
        secret: &Secret,
    ) -> ApiResult<()> {
        self.exec(
            "INSERT INTO webhook_endpoints (id, account_id, livemode, url, events, description, enabled, secret, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
            &[
                text(&endpoint.id),
                text(account_id),
                flag(endpoint.livemode),
                text(&endpoint.url),
                text(&serde_json::to_string(&endpoint.events).map_err(ApiError::internal)?),
                opt_text(endpoint.description.as_deref()),
                flag(endpoint.enabled),
                text(&secret.encoded()),
                time(endpoint.created_at),
            ],
        )
        .await
    }

    pub(crate) async fn endpoint(
        &self,
        account_id: &AccountId,
        livemode: bool,
        id: &EndpointId,
    ) -> ApiResult<Option<EndpointRow>> {
        self
            .row(
                &format!(
                    "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = ?1 AND account_id = ?2 AND livemode = ?3"
                ),
                &[text(id), text(account_id), flag(livemode)],
            )
            .await
    }

    /// Newest first; `cursor` is the endpoint to start after (older) or end before.
    pub(crate) async fn list_endpoints(
        &self,
        account_id: &AccountId,
        livemode: bool,
        cursor: Option<(Direction, &str)>,
        limit: u32,
    ) -> ApiResult<Vec<EndpointRow>> {
        let page = Keyset::new(cursor);
        let rows: Vec<EndpointRow> = self
            .rows(
                &format!(
                    "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints
                     WHERE account_id = ?1 AND livemode = ?2
                       AND {}",
                    page.sql(
                        "created_at, id",
                        "SELECT created_at, id FROM webhook_endpoints WHERE id = ?3",
                        "SELECT created_at, id FROM webhook_endpoints WHERE id = ?4",
                        "?5",
                    )
                ),
                &[
                    text(account_id),
                    flag(livemode),
                    opt_text(page.after),
                    opt_text(page.before),
                    int(u64::from(limit)),
                ],
            )
            .await?;
        Ok(page.newest_first(rows))
    }

    pub(crate) async fn update_endpoint(
        &self,
        account_id: &AccountId,
        endpoint: &Endpoint,
    ) -> ApiResult<()> {
        self.exec(
            "UPDATE webhook_endpoints SET url = ?3, events = ?4, description = ?5, enabled = ?6, updated_at = ?7
             WHERE id = ?1 AND account_id = ?2",
            &[
                text(&endpoint.id),
                text(account_id),
                text(&endpoint.url),
                text(&serde_json::to_string(&endpoint.events).map_err(ApiError::internal)?),
                opt_text(endpoint.description.as_deref()),
                flag(endpoint.enabled),
                time(endpoint.updated_at),
            ],
        )
        .await
    }

    /// Makes `secret` the signing secret; the current one keeps signing until `previous_until`.
    pub(crate) async fn rotate_secret(
        &self,
        account_id: &AccountId,
        id: &EndpointId,
        secret: &Secret,
        previous_until: Timestamp,
        now: Timestamp,
    ) -> ApiResult<()> {
        self.exec(
            "UPDATE webhook_endpoints SET previous_secret = secret, previous_until_unix = ?4, secret = ?3, updated_at = ?5
             WHERE id = ?1 AND account_id = ?2",
            &[
                text(id),
                text(account_id),
                text(&secret.encoded()),
                int(previous_until.0),
                time(now),
            ],
        )
        .await
    }

    /// Deletes an endpoint with its deliveries and their attempts, in one batch.
    pub(crate) async fn delete_endpoint(
        &self,
        account_id: &AccountId,
        livemode: bool,
        id: &EndpointId,
    ) -> ApiResult<()> {
        let owned =
            "SELECT id FROM webhook_endpoints WHERE id = ?1 AND account_id = ?2 AND livemode = ?3";
        let args = [text(id), text(account_id), flag(livemode)];
        self.batch(vec![
            self.stmt(
                &format!(
                    "DELETE FROM webhook_attempts WHERE delivery_id IN
                       (SELECT id FROM webhook_deliveries WHERE endpoint_id IN ({owned}))"
                ),
                &args,
            )?,
            self.stmt(
                &format!("DELETE FROM webhook_deliveries WHERE endpoint_id IN ({owned})"),
                &args,
            )?,
            self.stmt(
                "DELETE FROM webhook_endpoints WHERE id = ?1 AND account_id = ?2 AND livemode = ?3",
                &args,
            )?,
        ])
        .await?;
        Ok(())
    }

    // ----- deliveries ------------------------------------------------------------------------

    /// Leases due deliveries of at most `endpoints` endpoints (those with a first attempt to
    /// make, then those due longest, so fresh events never wait behind a backlog), at most
    /// `per_endpoint` each, until `locked_until`, and returns them in sending order. A
    /// first attempt waits while an earlier delivery of the same session to the same
    /// endpoint has not been tried, so first attempts go out in version order.
    pub(crate) async fn claim_deliveries(
        &self,
        scope: &Scope<'_>,
        now: Timestamp,
        locked_until: Timestamp,
        lease: &str,
        per_endpoint: u32,
        endpoints: u32,
    ) -> ApiResult<Vec<Claimed>> {
        let sessions = scope.sessions_json()?;
        let results = self
            .batch(vec![
                self.stmt(
                    "UPDATE webhook_deliveries SET locked_until_unix = ?2, lease = ?3
                     WHERE id IN (
                       SELECT id FROM (
                         SELECT id, DENSE_RANK() OVER (ORDER BY least_tried > 0, first_due, endpoint_id) AS e FROM (
                           SELECT d.id, d.endpoint_id,
                                  ROW_NUMBER() OVER (PARTITION BY d.endpoint_id ORDER BY d.next_attempt_unix, d.rowid) AS n,
                                  MIN(d.next_attempt_unix) OVER (PARTITION BY d.endpoint_id) AS first_due,
                                  MIN(d.attempts) OVER (PARTITION BY d.endpoint_id) AS least_tried
                           FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
                           WHERE d.status = 'pending' AND d.next_attempt_unix <= ?1 AND d.locked_until_unix <= ?1
                             AND e.enabled = 1
                             AND (?4 IS NULL OR d.session_id IN (SELECT value FROM json_each(?4)))
                             AND (d.attempts > 0 OR NOT EXISTS (
                               SELECT 1 FROM webhook_deliveries p
                               WHERE p.endpoint_id = d.endpoint_id AND p.session_id = d.session_id
                                 AND p.attempts = 0 AND p.status = 'pending' AND p.rowid < d.rowid)))
                         WHERE n <= ?5)
                       WHERE e <= ?6)
                     AND locked_until_unix <= ?1",
                    &[
                        int(now.0),
                        int(locked_until.0),
                        text(lease),
                        opt_text(sessions.as_deref()),
                        int(u64::from(per_endpoint)),
                        int(u64::from(endpoints)),
                    ],
                )?,
                self.stmt(
                    "SELECT d.id, d.event_id, d.endpoint_id, d.attempts, e.url, e.secret, e.previous_secret,
                            e.previous_until_unix, ev.body
                     FROM webhook_deliveries d
                       JOIN webhook_endpoints e ON e.id = d.endpoint_id
                       JOIN events ev ON ev.id = d.event_id
                     WHERE d.lease = ?1
                     ORDER BY d.endpoint_id, d.rowid",
                    &[text(lease)],
                )?,
            ])
            .await?;
        let rows = results
            .get(1)
            .ok_or_else(|| ApiError::internal("claim batch answered short"))?
            .results()?;
        Ok(rows)
    }

    /// Due deliveries in `scope` that were never tried (a claim may have skipped them
    /// because an earlier one of their session was in flight).
    pub(crate) async fn untried(&self, scope: &Scope<'_>, now: Timestamp) -> ApiResult<u64> {
        let sessions = scope.sessions_json()?;
        let n: Option<u64> = self
            .value(
                "SELECT COUNT(*) AS n FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
                 WHERE d.status = 'pending' AND d.attempts = 0 AND d.next_attempt_unix <= ?1 AND e.enabled = 1
                   AND (?2 IS NULL OR d.session_id IN (SELECT value FROM json_each(?2)))",
                &[int(now.0), opt_text(sessions.as_deref())],
                "n",
            )
            .await?;
        Ok(n.unwrap_or(0))
    }

    /// Records one attempt of a claimed delivery and what follows from it, only while the
    /// lease is still ours. A 410 also disables the endpoint.
    pub(crate) async fn record_attempt(
        &self,
        claimed: &Claimed,
        lease: &str,
        record: &AttemptRecord<'_>,
    ) -> ApiResult<()> {
        let next = match record.verdict {
            Verdict::Retry(at) => at,
            Verdict::Delivered | Verdict::Failed | Verdict::Gone => record.at,
        };
        let at = record.at.to_string();
        let mut batch = vec![
            self.stmt(
                "INSERT INTO webhook_attempts (delivery_id, attempt, at, status_code, latency_ms, error)
                 SELECT id, attempts + 1, ?3, ?4, ?5, ?6 FROM webhook_deliveries WHERE id = ?1 AND lease = ?2",
                &[
                    text(&claimed.id),
                    text(lease),
                    text(&at),
                    record.status_code.map_or(JsValue::NULL, |c| int(u64::from(c))),
                    int(record.latency_ms),
                    opt_text(record.error),
                ],
            )?,
            self.stmt(
                "UPDATE webhook_deliveries SET attempts = attempts + 1, status = ?3, next_attempt_unix = ?4,
                     locked_until_unix = 0, lease = NULL, updated_at = ?5
                 WHERE id = ?1 AND lease = ?2",
                &[
                    text(&claimed.id),
                    text(lease),
                    text(record.verdict.status().as_str()),
                    int(next.0),
                    text(&at),
                ],
            )?,
        ];
        if record.verdict == Verdict::Gone {
            batch.push(self.stmt(
                "UPDATE webhook_endpoints SET enabled = 0, updated_at = ?2 WHERE id = ?1",
                &[text(&claimed.endpoint_id), text(&at)],
            )?);
        }
        self.batch(batch).await?;
        Ok(())
    }

    /// Gives back leased deliveries that were not tried because their endpoint did not
    /// answer: they wait until `not_before` (not an attempt), so the next passes serve other
    /// endpoints instead of the same unreachable one.
    pub(crate) async fn release_deliveries(
        &self,
        lease: &str,
        ids: &[&DeliveryId],
        not_before: Timestamp,
    ) -> ApiResult<()> {
        self.exec(
            "UPDATE webhook_deliveries SET locked_until_unix = 0, lease = NULL,
                 next_attempt_unix = MAX(next_attempt_unix, ?3)
             WHERE lease = ?1 AND id IN (SELECT value FROM json_each(?2))",
            &[
                text(lease),
                text(&serde_json::to_string(ids).map_err(ApiError::internal)?),
                int(not_before.0),
            ],
        )
        .await
    }

    /// Makes an event's deliveries due now (all subscribed enabled endpoints, or just
    /// `endpoint`), creating the ones missing (an endpoint added after the event). A
    /// delivery being sent right now is left to that attempt. A redelivery is one more
    /// attempt; if it fails, the schedule goes on from the attempts already made.
    pub(crate) async fn redeliver(
        &self,
        account_id: &AccountId,
        livemode: bool,
        event_id: &EventId,
        endpoint: Option<&EndpointId>,
        now: Timestamp,
    ) -> ApiResult<()> {
        let stamp = now.to_string();
        let targets = "SELECT e.id FROM webhook_endpoints e JOIN events ev ON ev.id = ?1
             WHERE e.account_id = ?2 AND e.livemode = ?3 AND e.enabled = 1
               AND ev.account_id = ?2 AND ev.livemode = ?3
               AND (?4 IS NOT NULL AND e.id = ?4
                    OR ?4 IS NULL AND EXISTS (SELECT 1 FROM json_each(e.events) WHERE value IN ('*', ev.type)))";
        let args = [
            text(event_id),
            text(account_id),
            flag(livemode),
            opt_text(endpoint.map(EndpointId::as_str)),
            int(now.0),
            text(&stamp),
        ];
        self.batch(vec![
            self.stmt(
                &format!(
                    "INSERT OR IGNORE INTO webhook_deliveries (id, event_id, endpoint_id, session_id, session_version, status,
                         attempts, next_attempt_unix, locked_until_unix, created_at, created_unix, updated_at)
                     SELECT 'whd_' || lower(hex(randomblob(12))), ev.id, t.id, ev.session_id, ev.session_version, 'pending',
                         0, ?5, 0, ?6, ?5, ?6
                     FROM ({targets}) t JOIN events ev ON ev.id = ?1"
                ),
                &args,
            )?,
            self.stmt(
                &format!(
                    "UPDATE webhook_deliveries SET status = 'pending', next_attempt_unix = ?5, updated_at = ?6
                     WHERE event_id = ?1 AND endpoint_id IN ({targets})
                       AND NOT (lease IS NOT NULL AND locked_until_unix > ?5)"
                ),
                &args,
            )?,
        ])
        .await?;
        Ok(())
    }

    /// An endpoint's deliveries, newest first, each with its attempts.
    pub(crate) async fn deliveries(
        &self,
        endpoint_id: &EndpointId,
        event: Option<&str>,
        cursor: Option<(Direction, &str)>,
        limit: u32,
    ) -> ApiResult<Vec<Delivery>> {
        let page = Keyset::new(cursor);
        let rows: Vec<DeliveryRow> = self
            .rows(
                &format!(
                    "SELECT d.id, d.event_id, ev.type AS event_type, d.status, d.next_attempt_unix, d.created_unix
                     FROM webhook_deliveries d JOIN events ev ON ev.id = d.event_id
                     WHERE d.endpoint_id = ?1 AND (?2 IS NULL OR d.event_id = ?2)
                       AND {}",
                    page.sql(
                        "d.created_unix, d.rowid",
                        "SELECT created_unix, rowid FROM webhook_deliveries WHERE id = ?3",
                        "SELECT created_unix, rowid FROM webhook_deliveries WHERE id = ?4",
                        "?5",
                    )
                ),
                &[
                    text(endpoint_id),
                    opt_text(event),
                    opt_text(page.after),
                    opt_text(page.before),
                    int(u64::from(limit)),
                ],
            )
            .await?;
        let rows = page.newest_first(rows);
        let ids: Vec<&DeliveryId> = rows.iter().map(|r| &r.id).collect();
        let attempts: Vec<AttemptRow> = if ids.is_empty() {
            Vec::new()
        } else {
            self.rows(
                "SELECT delivery_id, attempt, at, status_code, latency_ms, error FROM webhook_attempts
                 WHERE delivery_id IN (SELECT value FROM json_each(?1)) ORDER BY delivery_id, attempt",
                &[text(&serde_json::to_string(&ids).map_err(ApiError::internal)?)],
            )
            .await?
        };
        Ok(rows
            .into_iter()
            .map(|r| r.delivery(endpoint_id, &attempts))
            .collect())
    }

    /// Whether `id` is a delivery of this endpoint (a list cursor must be).
    pub(crate) async fn has_delivery(
        &self,
        endpoint_id: &EndpointId,
        id: &DeliveryId,
    ) -> ApiResult<bool> {
        let n: Option<u64> = self
            .value(
                "SELECT 1 AS n FROM webhook_deliveries WHERE id = ?1 AND endpoint_id = ?2",
                &[text(id), text(endpoint_id)],
                "n",
            )
            .await?;
        Ok(n.is_some())
    }
}

//! Sends webhook deliveries, signed with the Standard Webhooks scheme.
//!
//! Deliveries are rows written with their event (the outbox). Two things send them:
//! right after a request or run that wrote events (`send_soon`, inside `wait_until`: the
//! first attempt, then the 5-second retry), and the cron (`send_due`: every later retry,
//! and anything the first path missed). Both claim rows with a lease, so overlapping
//! senders never make one attempt twice; each attempt is re-signed with the current time.

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::future::join_all;
use kasse_shared::ids::{DeliveryId, SessionId};
use kasse_shared::time::Timestamp;
use kasse_shared::webhook::{
    self, ATTEMPT_TIMEOUT_SECS, RETRY_DELAYS_SECS, Response, Verdict, signature_header,
};
use worker::{Date, Delay, Env, Headers, Method, Request, RequestInit, RequestRedirect};

use crate::entropy;
use crate::error::ApiResult;
use crate::fetch::{FetchError, fetch_with_timeout};
use crate::store::{AttemptRecord, Claimed, Scope, Store};

/// How long a claim holds its deliveries: well past the longest pass (5 × 10 s).
const LEASE_SECS: u64 = 120;
/// Deliveries per endpoint in one pass, sent one after another (at most 5 × 10 s).
const PER_ENDPOINT: u32 = 5;
/// Endpoints in one pass, sent to in parallel. Workers let an invocation wait on six
/// connections at once; more would queue, and a queued attempt's 10 s would run out
/// before it is even sent.
const ENDPOINTS_PER_PASS: u32 = 4;
const PER_PASS: u32 = PER_ENDPOINT * ENDPOINTS_PER_PASS;
/// `wait_until` work is cut 30 s after the response: right after a request, passes start
/// only within this much time, so the last attempt is recorded before that.
const SOON_BUDGET_MS: u64 = 16_000;
/// The delivery work of one cron run is bounded: passes start only within this much wall
/// time, and stop at this many attempts (Workers allow 1,000 subrequests per invocation).
const CRON_BUDGET_MS: u64 = 20_000;
const CRON_MAX_ATTEMPTS: u32 = 500;
const CRON_PASSES: u32 = 40;
/// An endpoint that did not answer gets its other deliveries back this much later.
const UNREACHABLE_BACKOFF_SECS: u64 = 60;
/// Longest error text kept with an attempt.
const ERROR_MAX: usize = 300;

/// What one sender did: the run report (and so the bench) shows both.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Report {
    pub attempts: u32,
    pub delivered: u32,
}

impl std::ops::AddAssign for Report {
    fn add_assign(&mut self, other: Self) {
        self.attempts += other.attempts;
        self.delivered += other.delivered;
    }
}

/// Right after a request wrote events for `sessions`: their first attempts now, and the
/// second attempt of those that failed 5 seconds later.
pub(crate) async fn send_soon(env: Env, sessions: Vec<SessionId>) {
    if let Err(e) = send(&env, &Scope::Sessions(&sessions), 3, Some(SOON_BUDGET_MS)).await {
        worker::console_error!("webhooks: sending failed: {}", e.message);
    }
}

/// The cron's share: every due delivery, within a bounded number of passes.
pub(crate) async fn send_due(env: &Env) -> Report {
    crate::outbox::take_written();
    match send(env, &Scope::Due, CRON_PASSES, Some(CRON_BUDGET_MS)).await {
        Ok(report) => report,
        Err(e) => {
            worker::console_error!("webhooks: sending failed: {}", e.message);
            Report::default()
        }
    }
}

async fn send(
    env: &Env,
    scope: &Scope<'_>,
    passes: u32,
    budget_ms: Option<u64>,
) -> ApiResult<Report> {
    let store = Store::new(env)?;
    let started_ms = Date::now().as_millis();
    let mut report = Report::default();
    let mut passes_made = 0;
    let mut retry_soon = false;
    let mut slept = false;
    let mut waited_ms = 0;
    while passes_made < passes
        && report.attempts + PER_PASS <= CRON_MAX_ATTEMPTS
        && budget_ms.is_none_or(|b| Date::now().as_millis().saturating_sub(started_ms) < b)
    {
        let now = Timestamp::from_unix_millis(Date::now().as_millis());
        let lease = entropy::token("lease_", 24);
        let claimed = store
            .claim_deliveries(
                scope,
                now,
                now.plus_secs(LEASE_SECS),
                &lease,
                PER_ENDPOINT,
                ENDPOINTS_PER_PASS,
            )
            .await?;
        if claimed.is_empty() {
            // A first attempt waits while an earlier one of its session is in flight
            // elsewhere; wait for that one rather than leave this one to the cron.
            if matches!(scope, Scope::Sessions(_))
                && waited_ms < 5_000
                && store.untried(scope, now).await? > 0
            {
                Delay::from(Duration::from_millis(250)).await;
                waited_ms += 250;
                continue;
            }
            if !retry_soon || slept {
                break;
            }
            // The second attempt of a first attempt that failed: 5 s later, here.
            slept = true;
            Delay::from(Duration::from_secs(RETRY_DELAYS_SECS[0])).await;
            continue;
        }
        passes_made += 1;
        let mut by_endpoint: BTreeMap<&str, Vec<&Claimed>> = BTreeMap::new();
        for c in &claimed {
            by_endpoint.entry(&c.endpoint_id).or_default().push(c);
        }
        let outcomes = join_all(
            by_endpoint
                .into_values()
                .map(|deliveries| send_to_endpoint(&store, &lease, deliveries)),
        )
        .await;
        for outcome in outcomes {
            let outcome = outcome?;
            report += outcome.sent;
            retry_soon |= outcome.retry_soon;
        }
    }
    Ok(report)
}

/// What one endpoint's share of a pass did.
#[derive(Default)]
struct EndpointOutcome {
    sent: Report,
    /// A first attempt failed: its retry is due in 5 seconds.
    retry_soon: bool,
}

/// One endpoint's share of a pass, in order. An endpoint that lets an attempt time out (or
/// answers 410) gets no more of this pass: its other deliveries are given back for a
/// minute, so a hanging endpoint costs one timeout and never holds up the others.
async fn send_to_endpoint(
    store: &Store,
    lease: &str,
    deliveries: Vec<&Claimed>,
) -> ApiResult<EndpointOutcome> {
    let mut outcome = EndpointOutcome::default();
    for (i, claimed) in deliveries.iter().enumerate() {
        let started_ms = Date::now().as_millis();
        let started = Timestamp::from_unix_millis(started_ms);
        let response = attempt(claimed, started).await;
        let finished_ms = Date::now().as_millis();
        let attempt_no = claimed.attempts + 1;
        let verdict = webhook::judge(
            attempt_no,
            &response,
            Timestamp::from_unix_millis(finished_ms),
        );
        let error = webhook::attempt_error(&response).map(|e| cut(e, ERROR_MAX));
        store
            .record_attempt(
                claimed,
                lease,
                &AttemptRecord {
                    at: started,
                    status_code: match response {
                        Response::Status(code) => Some(code),
                        Response::Transport(_) | Response::TimedOut => None,
                    },
                    latency_ms: finished_ms.saturating_sub(started_ms),
                    error: error.as_deref(),
                    verdict,
                },
            )
            .await?;
        outcome.sent.attempts += 1;
        match verdict {
            Verdict::Delivered => outcome.sent.delivered += 1,
            Verdict::Retry(_) => outcome.retry_soon |= attempt_no == 1,
            Verdict::Failed | Verdict::Gone => {}
        }
        // A refusal costs nothing, so the pass goes on; a timeout cost 10 s, and the
        // endpoint's other deliveries wait instead of costing 10 s each.
        let stop = response == Response::TimedOut || verdict == Verdict::Gone;
        let rest = &deliveries[i + 1..];
        if stop && !rest.is_empty() {
            let ids: Vec<&DeliveryId> = rest.iter().map(|c| &c.id).collect();
            let not_before = Timestamp::from_unix_millis(Date::now().as_millis())
                .plus_secs(UNREACHABLE_BACKOFF_SECS);
            store.release_deliveries(lease, &ids, not_before).await?;
            break;
        }
    }
    Ok(outcome)
}

/// One signed POST of the frozen body: no redirects, cut off after 10 s.
async fn attempt(claimed: &Claimed, now: Timestamp) -> Response {
    let secrets = match claimed.secrets(now) {
        Ok(s) => s,
        Err(e) => return Response::Transport(e.message),
    };
    let signature = signature_header(&secrets, &claimed.event_id, now.0, &claimed.body);
    let timestamp = now.0.to_string();
    let headers: Headers = [
        ("content-type", "application/json"),
        ("user-agent", "Kasse-Webhooks/1"),
        ("webhook-id", claimed.event_id.as_str()),
        ("webhook-timestamp", timestamp.as_str()),
        ("webhook-signature", signature.as_str()),
    ]
    .into_iter()
    .collect();
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_redirect(RequestRedirect::Manual)
        .with_body(Some(claimed.body.as_str().into()));
    let request = match Request::new_with_init(&claimed.url, &init) {
        Ok(r) => r,
        Err(e) => return Response::Transport(format!("request not sent: {e}")),
    };
    let timeout = Duration::from_secs(ATTEMPT_TIMEOUT_SECS);
    match fetch_with_timeout(request, timeout).await {
        Ok(response) => Response::Status(response.status_code()),
        Err(FetchError::Failed(e)) => Response::Transport(format!("no response: {e}")),
        Err(FetchError::TimedOut) => Response::TimedOut,
    }
}

/// `text` cut to at most `max` bytes, on a character boundary.
fn cut(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::{Report, cut};

    #[test]
    fn an_error_is_cut_on_a_character_boundary() {
        assert_eq!(cut("HTTP 500".into(), 300), "HTTP 500");
        assert_eq!(cut("abcdef".into(), 3), "abc");
        // "é" is two bytes: a cut inside it keeps the whole character out.
        assert_eq!(cut("aé".into(), 2), "a");
        assert_eq!(cut("aé".into(), 3), "aé");
        assert_eq!(cut(String::new(), 0), "");
    }

    #[test]
    fn reports_add_up() {
        let mut total = Report::default();
        total += Report {
            attempts: 3,
            delivered: 1,
        };
        total += Report {
            attempts: 2,
            delivered: 2,
        };
        assert_eq!(
            total,
            Report {
                attempts: 5,
                delivered: 3
            }
        );
    }
}

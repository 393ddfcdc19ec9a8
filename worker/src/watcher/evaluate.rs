//! Deciding the watched sessions: each is read, evaluated by
//! `kasse_shared::session::evaluate` and written on its own terms, many to a batch; a
//! session that cannot be read, decided or written fails alone.

use std::collections::BTreeMap;

use kasse_shared::account::Settings;
use kasse_shared::catalogue::Chain;
use kasse_shared::quote::{FeedReading, native_quote};
use kasse_shared::session::{
    Heads, Payment, PaymentStatus, Quote, Session, awaits_price, evaluate,
};
use kasse_shared::time::Timestamp;

use super::{Failures, MAX_EVALUATIONS_PER_RUN, Reconciled};
use crate::error::ApiResult;
use crate::routes::sessions::event;
use crate::rpc::Rpc;
use crate::store::{Candidate, Change, NewEvent, PaymentRow, Store};
use crate::{config, entropy, native};

/// Runs the lifecycle over the sessions that can change and writes every change exactly
/// once: due by time, still confirming or just paid (`settling`), or moved by this run's
/// rescan (see `Store::sessions_to_evaluate`). Each session is decided on its own and the
/// changes are written in bulk; a session that cannot be read, decided or written is
/// counted in `failures` and the others go on. Returns (evaluated, changed).
/// The feed's price per chain, read at most once per run: what a native payment mined after
/// its quote is valued at.
#[derive(Default)]
pub(super) struct Prices(BTreeMap<u64, Option<FeedReading>>);

impl Prices {
    /// `session`'s total at the price now, keeping `quote`'s confirmations; `None` when the
    /// chain cannot be priced now.
    pub(super) async fn quote(
        &mut self,
        store: &Store,
        rpc: &Rpc,
        chain: &Chain,
        session: &Session,
        quote: &Quote,
        now: Timestamp,
    ) -> ApiResult<Option<Quote>> {
        let reading = match self.0.get(&chain.chain_id) {
            Some(reading) => *reading,
            None => {
                let reading = native::current_reading(store, rpc, chain, now).await?;
                self.0.insert(chain.chain_id, reading);
                reading
            }
        };
        Ok(reading.and_then(|r| {
            native_quote(chain, &Settings::default(), session.amount_total, r, now)
                .ok()
                .map(|q| Quote {
                    confirmations_required: quote.confirmations_required,
                    ..q
                })
        }))
    }
}

pub(super) async fn evaluate_watched(
    store: &Store,
    base_url: &str,
    now: Timestamp,
    reconciled: &Reconciled,
    rpcs: &BTreeMap<u64, Rpc>,
    failures: &mut Failures,
) -> ApiResult<(u64, u64)> {
    let mut prices = Prices::default();
    let heads = store.heads().await?;
    let extra: Vec<String> = reconciled.keys().cloned().collect();
    let candidates = store
        .sessions_to_evaluate(now, &extra, MAX_EVALUATIONS_PER_RUN)
        .await?;
    let evaluated = candidates.len() as u64;
    let mut decided: Vec<(Vec<u64>, Decision)> = Vec::new();
    let mut unchanged: Vec<String> = Vec::new();
    for Candidate {
        id,
        chains,
        session,
        payments,
    } in candidates
    {
        let overrides = reconciled.get(&id).map(Vec::as_slice).unwrap_or(&[]);
        let decision = match session {
            Ok(session) => {
                let pricing = Pricing {
                    prices: &mut prices,
                    rpcs,
                };
                decide(
                    store,
                    session,
                    &payments,
                    &heads,
                    now,
                    overrides,
                    base_url,
                    Some(pricing),
                )
                .await
            }
            Err(e) => Err(e),
        };
        match decision {
            Ok(Some(decision)) => decided.push((chains, decision)),
            // Nothing to change: whatever marked it settling is decided (the store keeps the
            // flag while a counted payment is still confirming).
            Ok(None) => unchanged.push(id),
            Err(e) => failures.add(&chains, &id, "evaluating", &e),
        }
    }
    let unchanged: Vec<&str> = unchanged.iter().map(String::as_str).collect();
    if let Err(e) = store.settle(&unchanged).await {
        worker::console_error!(
            "watcher: could not settle unchanged sessions: {}",
            e.message
        );
    }
    let changes: Vec<Change<'_>> = decided.iter().map(|(_, d)| d.change()).collect();
    let mut changed = 0;
    for ((chains, decision), written) in decided.iter().zip(store.write_changes(&changes).await) {
        match written {
            Ok(true) => changed += 1,
            Ok(false) => worker::console_log!(
                "watcher: session {} changed under us; next run re-evaluates it",
                decision.session.id
            ),
            Err(e) => failures.add(chains, &decision.session.id, "writing", &e),
        }
    }
    Ok((evaluated, changed))
}

/// Loads one session and evaluates it (the on-demand check).
pub(super) async fn evaluate_one(
    store: &Store,
    session_id: &str,
    heads: &Heads,
    now: Timestamp,
    base_url: &str,
) -> ApiResult<()> {
    let Some(session) = store.session(session_id).await? else {
        return Ok(());
    };
    let rows = store.payment_rows(session_id).await?;
    let Some(decision) = decide(store, session, &rows, heads, now, &[], base_url, None).await?
    else {
        return Ok(());
    };
    if !store.write_change(decision.change()).await? {
        worker::console_log!(
            "watcher: session {session_id} changed under us; next run re-evaluates it"
        );
    }
    Ok(())
}

/// What the cron can price late native payments with (the check leaves that to the cron).
struct Pricing<'a> {
    prices: &'a mut Prices,
    rpcs: &'a BTreeMap<u64, Rpc>,
}

/// A session's next version and everything it causes, ready to be written exactly once.
struct Decision {
    previous_version: u64,
    session: Session,
    updates: Vec<(String, Payment)>,
    events: Vec<NewEvent>,
    settling: bool,
    token: String,
}

impl Decision {
    fn change(&self) -> Change<'_> {
        Change {
            previous_version: self.previous_version,
            session: &self.session,
            payment_updates: &self.updates,
            events: &self.events,
            settling: Some(self.settling),
            write_token: &self.token,
            only_without_payments: false,
        }
    }
}

/// Evaluates one session against its recorded payments (with `overrides` from a rescan):
/// its change, if any.
#[allow(clippy::too_many_arguments)]
async fn decide(
    store: &Store,
    session: Session,
    rows: &[PaymentRow],
    heads: &Heads,
    now: Timestamp,
    overrides: &[(String, Payment)],
    base_url: &str,
    pricing: Option<Pricing<'_>>,
) -> ApiResult<Option<Decision>> {
    let recorded: Vec<Payment> = rows
        .iter()
        .map(PaymentRow::to_payment)
        .collect::<ApiResult<_>>()?;
    let mut current: Vec<Payment> = rows
        .iter()
        .zip(&recorded)
        .map(|(row, p)| {
            overrides
                .iter()
                .find(|(id, _)| *id == row.id)
                .map_or_else(|| p.clone(), |(_, o)| o.clone())
        })
        .collect();
    if session.status.is_final() {
        report_deep_reorgs(store, &session, rows, &recorded, &current, now).await?;
    }
    // Late native payments found while their chain could not be priced get their price now.
    if let (Some(pricing), Some(selected)) = (pricing, session.selected.as_ref()) {
        for p in current.iter_mut().filter(|p| awaits_price(&session, p)) {
            let (Some(chain), Some(rpc)) = (
                config::catalogue().chain(p.chain_id),
                pricing.rpcs.get(&p.chain_id),
            ) else {
                continue;
            };
            p.repriced = pricing
                .prices
                .quote(store, rpc, chain, &session, selected, now)
                .await?;
        }
    }

    let (next, raised) = match evaluate(&session, &current, heads, now) {
        Some(outcome) => {
            for updated in &outcome.payments {
                if let Some(p) = current.iter_mut().find(|p| p.same_transfer(updated)) {
                    *p = updated.clone();
                }
            }
            (outcome.session, outcome.events)
        }
        // Only payment rows changed (reorged dust, a price found): a new version, no event.
        None if current != recorded => (
            Session {
                version: session.version + 1,
                updated_at: now,
                ..session.clone()
            },
            Vec::new(),
        ),
        None => return Ok(None),
    };
    let updates: Vec<(String, Payment)> = rows
        .iter()
        .zip(&recorded)
        .zip(&current)
        .filter(|((_, before), after)| before != after)
        .map(|((row, _), after)| (row.id.clone(), after.clone()))
        .collect();
    let snapshot = kasse_shared::session::snapshot_payments(&current);
    let events = raised
        .iter()
        .map(|r| {
            let cause = current.iter().find(|p| p.key() == r.cause);
            event(&next, r.kind, cause, &snapshot, heads, base_url)
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(Some(Decision {
        previous_version: session.version,
        // Still confirming, or more transfers to notice than one change takes: next run too.
        settling: kasse_shared::session::settling(&current)
            || kasse_shared::session::unnoticed(&next, &current)
            || current.iter().any(|p| awaits_price(&next, p)),
        session: next,
        updates,
        events,
        token: entropy::token("wt_", 16),
    }))
}

/// A counted payment reorged out under a final session went deeper than the confirmations.
/// Spec §4: the status stays; the operator learns of it in the log and in health.
async fn report_deep_reorgs(
    store: &Store,
    session: &Session,
    rows: &[PaymentRow],
    recorded: &[Payment],
    current: &[Payment],
    now: Timestamp,
) -> ApiResult<()> {
    for ((row, before), after) in rows.iter().zip(recorded).zip(current) {
        if before.counted
            && before.status != PaymentStatus::Reorged
            && after.status == PaymentStatus::Reorged
        {
            let note = format!(
                "{now}: payment {} of session {} ({}) reorged out of block {} deeper than the confirmations; the status stays {}",
                row.id,
                session.id,
                before.token,
                before.block_number,
                session.status.as_str(),
            );
            worker::console_error!("watcher: chain {}: {note}", before.chain_id);
            store.record_deep_reorg(before.chain_id, &note).await?;
        }
    }
    Ok(())
}

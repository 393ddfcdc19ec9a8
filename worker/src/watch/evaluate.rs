//! Deciding the watched sessions: each is read, decided by `kasse_shared::session::revise`
//! and written on its own terms, many to a batch; a session that cannot be read, decided
//! or written fails alone.

use std::collections::BTreeMap;

use alloy_primitives::ChainId;
use kasse_shared::ids::{PaymentId, SessionId};
use kasse_shared::session::{
    Heads, Payment, Session, awaits_price, deep_reorg, revise, snapshot_payments,
};
use kasse_shared::time::Timestamp;

use super::failures::Failures;
use super::prices::Prices;
use crate::chain::rpc::Rpc;
use crate::error::ApiResult;
use crate::outbox::{self, event};
use crate::store::{Candidate, Change, NewEvent, PaymentRow, Store, Written};
use crate::{config, entropy};

/// Sessions one run evaluates at most; the rest stay due or settling for the next run.
const MAX_EVALUATIONS_PER_RUN: u64 = 1_000;

/// Recorded payments whose state the rescan changed, by session: written with the
/// session's next version, never on their own.
pub(crate) type Reconciled = BTreeMap<SessionId, Vec<(PaymentId, Payment)>>;

/// Runs the lifecycle over the sessions that can change and writes every change exactly
/// once: due by time, still confirming or just paid (`settling`), or moved by this run's
/// rescan (see `Store::sessions_to_evaluate`). Each session is decided on its own and the
/// changes are written in bulk; a session that cannot be read, decided or written is
/// counted in `failures` and the others go on. Returns (evaluated, changed).
pub(crate) async fn evaluate_watched(
    store: &Store,
    base_url: &str,
    now: Timestamp,
    reconciled: &Reconciled,
    rpcs: &BTreeMap<ChainId, Rpc>,
    failures: &mut Failures,
) -> ApiResult<(u64, u64)> {
    let mut prices = Prices::default();
    let heads = store.heads().await?;
    let deciding = Deciding {
        store,
        heads: &heads,
        now,
        base_url,
    };
    let extra: Vec<SessionId> = reconciled.keys().cloned().collect();
    let candidates = store
        .sessions_to_evaluate(now, &extra, MAX_EVALUATIONS_PER_RUN)
        .await?;
    let evaluated = candidates.len() as u64;
    let mut decided: Vec<(Vec<ChainId>, Decision)> = Vec::new();
    let mut unchanged: Vec<SessionId> = Vec::new();
    for Candidate {
        id,
        chains,
        session,
        payments,
    } in candidates
    {
        let overrides = reconciled.get(&id).map(Vec::as_slice).unwrap_or(&[]);
        let pricing = Pricing {
            prices: &mut prices,
            rpcs,
        };
        let decision = match session {
            Ok(session) => {
                deciding
                    .decide(session, &payments, overrides, Some(pricing))
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
    if let Err(e) = store.settle(&unchanged).await {
        worker::console_error!(
            "watcher: could not settle unchanged sessions: {}",
            e.message
        );
    }
    let changed = write_decided(store, &decided, failures).await;
    Ok((evaluated, changed))
}

/// Writes the decided changes in bulk, each on its own guard; returns how many were written.
async fn write_decided(
    store: &Store,
    decided: &[(Vec<ChainId>, Decision)],
    failures: &mut Failures,
) -> u64 {
    let changes: Vec<Change<'_>> = decided.iter().map(|(_, d)| d.change()).collect();
    let mut changed = 0;
    for ((chains, decision), written) in decided.iter().zip(store.write_changes(&changes).await) {
        match written {
            Ok(Written::Change { deliveries }) => {
                changed += 1;
                if deliveries {
                    outbox::note_written(&decision.session.id);
                }
            }
            Ok(Written::Nothing) => worker::console_log!(
                "watcher: session {} changed under us; next run re-evaluates it",
                decision.session.id
            ),
            Err(e) => failures.add(chains, &decision.session.id, "writing", &e),
        }
    }
    changed
}

/// Loads one session and evaluates it (the on-demand check).
pub(crate) async fn evaluate_one(
    store: &Store,
    session_id: &SessionId,
    heads: &Heads,
    now: Timestamp,
    base_url: &str,
) -> ApiResult<()> {
    let Some(session) = store.session(session_id).await? else {
        return Ok(());
    };
    let rows = store.payment_rows(session_id).await?;
    let deciding = Deciding {
        store,
        heads,
        now,
        base_url,
    };
    let Some(decision) = deciding.decide(session, &rows, &[], None).await? else {
        return Ok(());
    };
    match store.write_change(decision.change()).await? {
        Written::Change { deliveries } => {
            if deliveries {
                outbox::note_written(session_id);
            }
        }
        Written::Nothing => worker::console_log!(
            "watcher: session {session_id} changed under us; next run re-evaluates it"
        ),
    }
    Ok(())
}

/// What the cron can price late native payments with (the check leaves that to the cron).
struct Pricing<'a> {
    prices: &'a mut Prices,
    rpcs: &'a BTreeMap<ChainId, Rpc>,
}

/// A session's next version and everything it causes, ready to be written exactly once.
struct Decision {
    previous_version: u64,
    session: Session,
    updates: Vec<(PaymentId, Payment)>,
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

/// What deciding any session of this run or check needs.
struct Deciding<'a> {
    store: &'a Store,
    heads: &'a Heads,
    now: Timestamp,
    base_url: &'a str,
}

impl Deciding<'_> {
    /// Decides one session against its recorded payments (with `overrides` from a rescan):
    /// its change, if any.
    async fn decide(
        &self,
        session: Session,
        rows: &[PaymentRow],
        overrides: &[(PaymentId, Payment)],
        pricing: Option<Pricing<'_>>,
    ) -> ApiResult<Option<Decision>> {
        let recorded = PaymentRow::payments(rows)?;
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
        self.report_deep_reorgs(&session, rows, &recorded, &current)
            .await?;
        if let Some(pricing) = pricing {
            self.price_late_payments(pricing, &session, &mut current)
                .await?;
        }
        let Some(revision) = revise(&session, &recorded, current, self.heads, self.now) else {
            return Ok(None);
        };
        let updates: Vec<(PaymentId, Payment)> = rows
            .iter()
            .zip(&recorded)
            .zip(&revision.payments)
            .filter(|((_, before), after)| before != after)
            .map(|((row, _), after)| (row.id.clone(), after.clone()))
            .collect();
        let snapshot = snapshot_payments(&revision.payments);
        let events = revision
            .events
            .iter()
            .map(|r| {
                let cause = revision.payments.iter().find(|p| p.key() == r.cause);
                let next = &revision.session;
                event(next, r.kind, cause, &snapshot, self.heads, self.base_url)
            })
            .collect::<ApiResult<Vec<_>>>()?;
        Ok(Some(Decision {
            previous_version: session.version,
            settling: revision.settling,
            session: revision.session,
            updates,
            events,
            token: entropy::token("wt_", 16),
        }))
    }

    /// Late native payments found while their chain could not be priced get their price now.
    async fn price_late_payments(
        &self,
        pricing: Pricing<'_>,
        session: &Session,
        current: &mut [Payment],
    ) -> ApiResult<()> {
        let Some(selected) = session.selected.as_ref() else {
            return Ok(());
        };
        for p in current.iter_mut().filter(|p| awaits_price(session, p)) {
            let (Some(chain), Some(rpc)) = (
                config::catalogue().chain(p.chain_id),
                pricing.rpcs.get(&p.chain_id),
            ) else {
                continue;
            };
            p.repriced = pricing
                .prices
                .quote(self.store, rpc, chain, session, selected, self.now)
                .await?;
        }
        Ok(())
    }

    /// Counted payments reorged out under a final session went deeper than their
    /// confirmations: the status stays, and the operator learns of it in the log and in
    /// health.
    async fn report_deep_reorgs(
        &self,
        session: &Session,
        rows: &[PaymentRow],
        recorded: &[Payment],
        current: &[Payment],
    ) -> ApiResult<()> {
        for ((row, before), after) in rows.iter().zip(recorded).zip(current) {
            if !deep_reorg(session, before, after) {
                continue;
            }
            let note = format!(
                "{}: payment {} of session {} ({}) reorged out of block {} deeper than the confirmations; the status stays {}",
                self.now,
                row.id,
                session.id,
                before.token,
                before.block_number,
                session.status.as_str(),
            );
            worker::console_error!("watcher: chain {}: {note}", before.chain_id);
            self.store.record_deep_reorg(before.chain_id, &note).await?;
        }
        Ok(())
    }
}

//! The checkout session and its state machine: pending until paid, expired, canceled or
//! failed, with late, under- and over-payments on the way.
//!
//! [`evaluate`] is the whole lifecycle as one pure function:
//! `(session, payments, heads, now) → Option<(session', events)>`. The worker loads the
//! inputs, calls it, and writes the result in one D1 batch guarded by `version`, so two
//! overlapping runs can never double-count or double-emit.

use std::collections::BTreeMap;

use alloy_primitives::{Address, BlockHash, BlockNumber, ChainId, TxHash, U256};
use serde::{Deserialize, Serialize};

use crate::ids::{AccountId, LinkId, SessionId};
use crate::money::Cents;
pub use crate::status::Status;
use crate::time::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum EventType {
    #[serde(rename = "session.created")]
    Created,
    #[serde(rename = "session.detected")]
    Detected,
    #[serde(rename = "session.paid")]
    Paid,
    #[serde(rename = "session.paid_late")]
    PaidLate,
    #[serde(rename = "session.underpaid")]
    Underpaid,
    #[serde(rename = "session.overpaid")]
    Overpaid,
    #[serde(rename = "session.expired")]
    Expired,
    #[serde(rename = "session.canceled")]
    Canceled,
    #[serde(rename = "session.failed")]
    Failed,
    #[serde(rename = "session.updated")]
    Updated,
    #[serde(rename = "session.payment_unexpected")]
    PaymentUnexpected,
    #[serde(rename = "session.payment_after_close")]
    PaymentAfterClose,
    #[serde(rename = "sweep.succeeded")]
    SweepSucceeded,
    #[serde(rename = "sweep.failed")]
    SweepFailed,
    #[serde(rename = "refund.created")]
    RefundCreated,
    #[serde(rename = "refund.pending")]
    RefundPending,
    #[serde(rename = "refund.succeeded")]
    RefundSucceeded,
    #[serde(rename = "refund.canceled")]
    RefundCanceled,
    #[serde(rename = "refund.failed")]
    RefundFailed,
}

impl EventType {
    pub const ALL: [Self; 19] = [
        Self::Created,
        Self::Detected,
        Self::Paid,
        Self::PaidLate,
        Self::Underpaid,
        Self::Overpaid,
        Self::Expired,
        Self::Canceled,
        Self::Failed,
        Self::Updated,
        Self::PaymentUnexpected,
        Self::PaymentAfterClose,
        Self::SweepSucceeded,
        Self::SweepFailed,
        Self::RefundCreated,
        Self::RefundPending,
        Self::RefundSucceeded,
        Self::RefundCanceled,
        Self::RefundFailed,
    ];

    /// The type an event's name (`session.paid`) stands for, if any.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "session.created",
            Self::Detected => "session.detected",
            Self::Paid => "session.paid",
            Self::PaidLate => "session.paid_late",
            Self::Underpaid => "session.underpaid",
            Self::Overpaid => "session.overpaid",
            Self::Expired => "session.expired",
            Self::Canceled => "session.canceled",
            Self::Failed => "session.failed",
            Self::Updated => "session.updated",
            Self::PaymentUnexpected => "session.payment_unexpected",
            Self::PaymentAfterClose => "session.payment_after_close",
            Self::SweepSucceeded => "sweep.succeeded",
            Self::SweepFailed => "sweep.failed",
            Self::RefundCreated => "refund.created",
            Self::RefundPending => "refund.pending",
            Self::RefundSucceeded => "refund.succeeded",
            Self::RefundCanceled => "refund.canceled",
            Self::RefundFailed => "refund.failed",
        }
    }
}

/// A priced payment option: this token on this chain, for this exact amount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    pub chain_id: ChainId,
    /// Token symbol as in the catalogue (`USDC`, `USDT`, `ETH`, `POL`).
    pub token: String,
    /// `None` for the chain's native coin.
    pub contract: Option<Address>,
    pub decimals: u8,
    pub amount: U256,
    /// Base units worth one cent: over-payment beyond this is `overpaid`.
    pub one_cent: U256,
    /// USD per token, decimal string (`"1.00"` for stablecoins).
    pub exchange_rate: String,
    pub quoted_at: Timestamp,
    pub confirmations_required: u32,
}

impl Quote {
    pub fn same_option(&self, chain_id: ChainId, token: &str) -> bool {
        self.chain_id == chain_id && self.token.eq_ignore_ascii_case(token)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub id: SessionId,
    pub account_id: AccountId,
    pub livemode: bool,
    pub payment_link: Option<LinkId>,
    pub status: Status,
    pub version: u64,
    pub currency: String,
    pub amount_subtotal: Cents,
    pub amount_total: Cents,
    #[serde(default)]
    pub line_items: Vec<crate::order::LineItem>,
    #[serde(default)]
    pub discounts: Vec<crate::order::Discount>,
    /// Every option the shopper may pay with, quoted at creation.
    pub options: Vec<Quote>,
    /// The option that counts; set at creation (fixed option), by the shopper, or by the
    /// first counted payment.
    pub selected: Option<Quote>,
    pub address: Address,
    /// The Tron deposit address, derived at the same index from the mode's Tron xpub, when
    /// a Tron option is offered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_tron: Option<crate::tron::TronAddress>,
    pub derivation_index: u32,
    pub client_secret: String,
    /// Under-payment tolerance in basis points of the amount.
    pub tolerance_bps: u32,
    /// How long a native-coin quote is honoured after it was priced (the account's setting
    /// when the session was created).
    #[serde(default = "default_native_quote_secs")]
    pub native_quote_secs: u64,
    /// When the selected quote was locked (the shopper's choice, or the price a late native
    /// payment set), if later than its price: the honoured window runs from here.
    #[serde(default)]
    pub quote_locked_at: Option<Timestamp>,
    pub amount_received: U256,
    pub amount_pending: U256,
    pub amount_excess: U256,
    pub tx_hash: Option<TxHash>,
    pub paid_at: Option<Timestamp>,
    pub expires_at: Timestamp,
    pub late_until: Timestamp,
    pub canceled_at: Option<Timestamp>,
    pub success_url: Option<String>,
    pub cancel_url: Option<String>,
    pub return_url: Option<String>,
    pub customer_email: Option<String>,
    pub customer_id: Option<String>,
    pub description: Option<String>,
    pub metadata: BTreeMap<String, String>,
    /// The language the merchant chose for the shopper (one of `locale::SUPPORTED`, as
    /// written there); none lets the shopper's browser decide.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub accessed_at: Option<Timestamp>,
    pub used_at: Option<Timestamp>,
    /// Transfers already classified (`chain:tx:log`), so each raises its event once.
    #[serde(default)]
    pub noticed: std::collections::BTreeSet<String>,
}

fn default_native_quote_secs() -> u64 {
    crate::account::Settings::default().native_quote_secs
}

impl Session {
    /// Until when a native payment is valued at `quote`: `native_quote_secs` after it was
    /// locked (or, not selected yet, priced), never past `expires_at`. `None` for a
    /// stablecoin (always 1:1).
    pub fn quote_valid_until(&self, quote: &Quote) -> Option<Timestamp> {
        let locked = self
            .quote_locked_at
            .filter(|_| self.selected.as_ref() == Some(quote))
            .unwrap_or(quote.quoted_at);
        quote.contract.is_none().then(|| {
            locked
                .plus_secs(self.native_quote_secs)
                .min(self.expires_at)
        })
    }

    /// Whether a native payment mined at `block_time` comes after `quote` stopped being
    /// honoured: it is valued at the price read when it was detected instead.
    pub fn past_quote(&self, quote: &Quote, block_time: Timestamp) -> bool {
        self.quote_valid_until(quote)
            .is_some_and(|until| block_time > until)
    }

    /// When time alone may next change this session: its expiry while it is pending,
    /// else the end of its grace window (when it stops being watched). The watcher skips
    /// a session before then unless a payment of it moved or is still confirming.
    pub fn due(&self) -> Timestamp {
        if self.status == Status::Pending {
            self.expires_at
        } else {
            self.late_until
        }
    }

    /// The offered option for `chain_id` + `token`.
    pub fn option(&self, chain_id: ChainId, token: &str) -> Option<&Quote> {
        self.options.iter().find(|q| q.same_option(chain_id, token))
    }

    /// Whether a transfer of `amount` of `token` on `chain_id` counts: it pays the selected
    /// option, or before a selection any offered one, and is at least `min` (the token's
    /// dust threshold; by default one cent's worth at the option's quote, which is how
    /// native dust is judged).
    /// A transfer mined after `late_until` never counts: the session stopped taking
    /// payments then, whatever its status.
    pub fn counts(&self, transfer: &Transfer<'_>, min: Option<U256>) -> bool {
        let option = match &self.selected {
            Some(selected) => selected
                .same_option(transfer.chain_id, transfer.token)
                .then_some(selected),
            None => self.option(transfer.chain_id, transfer.token),
        };
        transfer.block_time < self.late_until
            && option.is_some_and(|q| {
                !transfer.amount.is_zero() && transfer.amount >= min.unwrap_or(q.one_cent)
            })
    }

    /// Whether some option of this session is on `chain_id`.
    pub fn offers_chain(&self, chain_id: ChainId) -> bool {
        self.options.iter().any(|q| q.chain_id == chain_id)
    }

    /// Why `payment` does not count towards this session, or `None` when it does. Decided
    /// from the session as it stands, so a payment that stopped counting when another
    /// option was chosen says so.
    pub fn uncounted_reason(&self, payment: &Payment) -> Option<Uncounted> {
        if payment.counted {
            return None;
        }
        let offered = self.option(payment.chain_id, &payment.token).is_some();
        let chosen_elsewhere = self
            .selected
            .as_ref()
            .is_some_and(|q| !q.same_option(payment.chain_id, &payment.token));
        Some(if !self.offers_chain(payment.chain_id) {
            Uncounted::NetworkMismatch
        } else if !offered {
            Uncounted::NotOffered
        } else if chosen_elsewhere {
            Uncounted::NotSelected
        } else if payment.block_time >= self.late_until {
            Uncounted::AfterGrace
        } else {
            Uncounted::BelowMinimum
        })
    }

    /// Whether a transfer mined at `block_time` came before this session existed. Its
    /// address was handed out at creation, so such a transfer was meant for something else
    /// (a reused address, an old deposit) and is not this session's at all. Chains stamp
    /// blocks by their own clocks, which may run a little behind ours, so only a block
    /// clearly older than the session predates it (the head recorded at creation is the
    /// exact bound, where there is one).
    pub fn predates(&self, block_time: Timestamp) -> bool {
        block_time.0.saturating_add(CLOCK_MARGIN_SECS) < self.created_at.0
    }
}

/// How far a chain's block timestamps may run behind the platform clock.
pub const CLOCK_MARGIN_SECS: u64 = 120;

/// A transfer as the watcher found it, before it is recorded: what decides whether it counts.
#[derive(Debug, Clone, Copy)]
pub struct Transfer<'a> {
    pub chain_id: ChainId,
    pub token: &'a str,
    pub amount: U256,
    pub block_time: Timestamp,
}

/// Why a recorded transfer does not count towards its session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Uncounted {
    /// Sent on a chain none of the session's options is on. A deposit address is the same
    /// key on every EVM chain, so the money is the merchant's to return or sweep.
    NetworkMismatch,
    /// On an offered chain, but in a token the session does not offer there.
    NotOffered,
    /// An offered option, but the session's is another one.
    NotSelected,
    /// Mined after the grace window, when the session stopped taking payments.
    AfterGrace,
    /// Less than the token's minimum (dust).
    BelowMinimum,
}

impl Uncounted {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NetworkMismatch => "network_mismatch",
            Self::NotOffered => "not_offered",
            Self::NotSelected => "not_selected",
            Self::AfterGrace => "after_grace",
            Self::BelowMinimum => "below_minimum",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    Detected,
    Confirmed,
    Reorged,
}

/// One on-chain transfer to a session's address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub chain_id: ChainId,
    pub token: String,
    pub tx_hash: Option<TxHash>,
    pub log_index: Option<u64>,
    pub block_number: BlockNumber,
    pub block_hash: BlockHash,
    pub block_time: Timestamp,
    pub amount: U256,
    pub status: PaymentStatus,
    /// Whether it counts towards the session (selected option, at least the minimum).
    pub counted: bool,
    /// For a native payment mined after its option's quote stopped being honoured: the
    /// session's total priced at the feed when the payment was detected.
    #[serde(default)]
    pub repriced: Option<Quote>,
}

/// Whether any counted payment is still gaining confirmations: then every new block may
/// change the session, and the watcher evaluates it each run.
pub fn settling(payments: &[Payment]) -> bool {
    payments
        .iter()
        .any(|p| p.counted && p.status == PaymentStatus::Detected)
}

impl Payment {
    pub fn confirmations(&self, head: Option<BlockNumber>) -> u64 {
        head.filter(|h| *h >= self.block_number)
            .map_or(0, |h| h - self.block_number + 1)
    }

    /// Identifies the transfer across runs and reorgs: a token transfer by transaction and
    /// log, a native credit by its block (its transaction may be found later, or never).
    pub fn key(&self) -> String {
        match (self.log_index, self.tx_hash) {
            (Some(log), Some(tx)) => format!("{}:{tx}:{log}", self.chain_id),
            _ => format!("{}:native:{}", self.chain_id, self.block_number),
        }
    }

    /// Whether `other` is the same transfer (see [`Payment::key`]).
    pub fn same_transfer(&self, other: &Self) -> bool {
        self.chain_id == other.chain_id
            && match (self.log_index, other.log_index) {
                (Some(a), Some(b)) => a == b && self.tx_hash == other.tx_hash,
                (None, None) => self.block_number == other.block_number,
                _ => false,
            }
    }

    fn order_key(&self) -> (BlockNumber, u64) {
        (self.block_number, self.log_index.unwrap_or(0))
    }
}

/// What a run decided for one session: its new state (version bumped) and the events it raises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub session: Session,
    pub events: Vec<Raised>,
    /// Payments whose status changed (detected → confirmed), to be written with the session.
    pub payments: Vec<Payment>,
}

/// An event a change raises, with what caused it. A status change is caused by the change
/// itself (`cause` is empty); a payment event by one transfer (`cause` is its
/// [`Payment::key`]), so a change that notices two transfers raises two events of one type.
/// An event is unique per session version, type and cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raised {
    pub kind: EventType,
    pub cause: String,
}

impl Raised {
    pub fn status(kind: EventType) -> Self {
        Self {
            kind,
            cause: String::new(),
        }
    }

    pub fn payment(kind: EventType, payment: &Payment) -> Self {
        Self {
            kind,
            cause: payment.key(),
        }
    }
}

/// Tables compare raised events by type.
impl PartialEq<EventType> for Raised {
    fn eq(&self, other: &EventType) -> bool {
        self.kind == *other
    }
}

/// Chain heads by chain id, as read in this run.
pub type Heads = BTreeMap<ChainId, BlockNumber>;

/// The lifecycle. Returns `None` when nothing about the session changes.
pub fn evaluate(
    session: &Session,
    payments: &[Payment],
    heads: &Heads,
    now: Timestamp,
) -> Option<Outcome> {
    let mut next = session.clone();
    let live: Vec<&Payment> = payments
        .iter()
        .filter(|p| p.counted && p.status != PaymentStatus::Reorged)
        .collect();
    select_first_paid(&mut next, &live);
    if !session.status.is_final() {
        reprice(&mut next, &live);
    }
    // A late native payment not priced yet (no usable feed round when it was found) counts
    // for nothing until the watcher prices it.
    let live: Vec<&Payment> = live
        .into_iter()
        .filter(|p| !awaits_price(&next, p))
        .collect();
    let (mut updated_payments, mut events) = notice(session, &mut next, payments);
    if let Some(sel) = next.selected.clone() {
        let live: Vec<&Payment> = live
            .into_iter()
            .filter(|p| sel.same_option(p.chain_id, &p.token))
            .collect();
        let tally = Tally::of(
            &sel,
            next.tolerance_bps,
            &live,
            heads,
            &mut updated_payments,
        );
        if next.used_at.is_none() && tally.confirmed.saturating_add(tally.pending) > U256::ZERO {
            next.used_at = Some(now);
        }
        if next.tx_hash.is_none() {
            next.tx_hash = live
                .iter()
                .min_by_key(|p| p.order_key())
                .and_then(|p| p.tx_hash);
        }
        if !session.status.is_final() {
            next.status = tally.status(&sel, next.expires_at, now);
        }
        next.amount_received = tally.confirmed;
        next.amount_pending = tally.pending;
        next.amount_excess = tally.confirmed.saturating_sub(sel.amount);
    } else if !session.status.is_final() && now >= next.expires_at {
        next.status = Status::Expired;
    }

    if next.status != session.status {
        if next.status.is_paid() {
            next.paid_at = Some(now);
        }
        events.push(Raised::status(event_for(session.status, next.status)));
    }
    if next == *session && updated_payments.is_empty() {
        return None;
    }
    // Payment status changes are part of the session object too: every change is a version.
    next.version = session.version + 1;
    next.updated_at = now;
    Some(Outcome {
        session: next,
        events,
        payments: updated_payments,
    })
}

/// Without a selection, the first counted payment of an offered option selects it.
fn select_first_paid(next: &mut Session, live: &[&Payment]) {
    if next.selected.is_some() {
        return;
    }
    let first = live
        .iter()
        .filter(|p| next.option(p.chain_id, &p.token).is_some())
        .min_by_key(|p| p.order_key());
    if let Some(first) = first {
        next.selected = next.option(first.chain_id, &first.token).cloned();
    }
}

/// Native payments mined while the quote is honoured count at it. If they do not cover
/// the total and a later one arrives, what is still open is priced again: the session
/// takes the price read when the latest late payment was detected, and every counted
/// payment is measured against the total at that price. Only an undecided session is
/// repriced (a late payment to a decided one is only excess).
fn reprice(next: &mut Session, live: &[&Payment]) {
    let Some(sel) = next.selected.clone() else {
        return;
    };
    let on_option: Vec<&&Payment> = live
        .iter()
        .filter(|p| sel.same_option(p.chain_id, &p.token))
        .collect();
    let on_time = on_option
        .iter()
        .filter(|p| !next.past_quote(&sel, p.block_time))
        .fold(U256::ZERO, |sum, p| sum.saturating_add(p.amount));
    let repriced = on_option
        .iter()
        .filter(|p| next.past_quote(&sel, p.block_time))
        .filter_map(|p| p.repriced.as_ref().map(|q| (p.order_key(), q)))
        .max_by_key(|(key, _)| *key)
        .map(|(_, q)| q.clone());
    if let Some(quote) = repriced.filter(|_| on_time < threshold_of(&sel, next.tolerance_bps)) {
        next.quote_locked_at = Some(quote.quoted_at);
        next.selected = Some(quote);
    }
}

/// Once an option is selected: payments of another option stop counting, and each
/// transfer is noticed once, raising its payment event (unexpected, or after the close).
/// A transfer on a chain the session offers nothing on is noticed at once, selection or
/// not: it can never count, and the shop should hear of it while the shopper is still
/// there. Returns the payments that changed and the events.
fn notice(
    session: &Session,
    next: &mut Session,
    payments: &[Payment],
) -> (Vec<Payment>, Vec<Raised>) {
    let (mut updated, mut events) = (Vec::new(), Vec::new());
    let sel = next.selected.clone();
    for p in payments
        .iter()
        .filter(|p| p.status != PaymentStatus::Reorged)
    {
        let wrong_network = !next.offers_chain(p.chain_id);
        let on_option = match &sel {
            Some(sel) => sel.same_option(p.chain_id, &p.token),
            // Undecided: whether it is expected waits for the selection.
            None if !wrong_network => continue,
            None => false,
        };
        if !on_option && p.counted {
            // Before the selection it might have counted; now another option does.
            updated.push(Payment {
                counted: false,
                ..p.clone()
            });
        }
        // A bounded number of transfers is noticed per change (each may raise an event
        // carrying a snapshot); the rest are noticed by the next versions.
        if next.noticed.len() < session.noticed.len() + MAX_NOTICES_PER_CHANGE
            && next.noticed.insert(p.key())
        {
            if !on_option {
                events.push(Raised::payment(EventType::PaymentUnexpected, p));
            } else if p.counted && session.status.is_final() {
                events.push(Raised::payment(EventType::PaymentAfterClose, p));
            }
        }
    }
    (updated, events)
}

/// The counted payments of the selected option at the chain's head: what is confirmed,
/// what is still confirming, and the payment whose confirmation completed the total.
struct Tally<'a> {
    confirmed: U256,
    pending: U256,
    completing: Option<&'a Payment>,
    /// The least counted total that completes the option.
    threshold: U256,
}

impl<'a> Tally<'a> {
    /// Tallies `live` (counted payments of `sel`, in any order) in the order they were
    /// mined; a payment whose status moves with its depth is added to `updated`.
    fn of(
        sel: &Quote,
        tolerance_bps: u32,
        live: &[&'a Payment],
        heads: &Heads,
        updated: &mut Vec<Payment>,
    ) -> Self {
        let head = heads.get(&sel.chain_id).copied();
        let mut tally = Self {
            confirmed: U256::ZERO,
            pending: U256::ZERO,
            completing: None,
            threshold: threshold_of(sel, tolerance_bps),
        };
        let mut counted = live.to_vec();
        counted.sort_by_key(|p| p.order_key());
        for p in counted {
            let deep_enough = p.confirmations(head) >= u64::from(sel.confirmations_required);
            let status = if deep_enough {
                PaymentStatus::Confirmed
            } else {
                PaymentStatus::Detected
            };
            if status != p.status {
                updated.push(Payment {
                    status,
                    ..p.clone()
                });
            }
            if deep_enough {
                tally.confirmed = tally.confirmed.saturating_add(p.amount);
                if tally.completing.is_none() && tally.confirmed >= tally.threshold {
                    tally.completing = Some(p);
                }
            } else {
                tally.pending = tally.pending.saturating_add(p.amount);
            }
        }
        tally
    }

    /// The status of an undecided session with this tally of `sel`.
    fn status(&self, sel: &Quote, expires_at: Timestamp, now: Timestamp) -> Status {
        if let Some(done) = self.completing {
            if self.confirmed.saturating_sub(sel.amount) > sel.one_cent {
                Status::Overpaid
            } else if done.block_time < expires_at {
                Status::Paid
            } else {
                Status::PaidLate
            }
        } else if self.confirmed.saturating_add(self.pending) >= self.threshold {
            Status::Detected
        } else if self.confirmed > U256::ZERO {
            Status::Underpaid
        } else if now >= expires_at {
            Status::Expired
        } else {
            Status::Pending
        }
    }
}

/// Transfers one change notices at most (see `evaluate`).
pub const MAX_NOTICES_PER_CHANGE: usize = 10;

/// Whether `payment` is a counted native payment of the selected option, mined after its
/// quote stopped being honoured, that has no price yet.
pub fn awaits_price(session: &Session, payment: &Payment) -> bool {
    payment.counted
        && payment.repriced.is_none()
        && payment.status != PaymentStatus::Reorged
        && session.selected.as_ref().is_some_and(|sel| {
            sel.contract.is_none()
                && sel.same_option(payment.chain_id, &payment.token)
                && session.past_quote(sel, payment.block_time)
        })
}

/// Whether some recorded transfer is still to be noticed (more arrived than one change
/// notices): the session must be decided again next run.
pub fn unnoticed(session: &Session, payments: &[Payment]) -> bool {
    payments.iter().any(|p| {
        p.status != PaymentStatus::Reorged
            && (session.selected.is_some() || !session.offers_chain(p.chain_id))
            && !session.noticed.contains(&p.key())
    })
}

/// Uncounted transfers an event snapshot lists at most (the latest ones).
pub const SNAPSHOT_UNCOUNTED: usize = 20;

/// The payments an event snapshot carries: every counted one, and the latest
/// `SNAPSHOT_UNCOUNTED` uncounted ones, so thousands of dust transfers cannot grow each
/// event without bound. The API's own reads list them all.
pub fn snapshot_payments(payments: &[Payment]) -> Vec<Payment> {
    let uncounted = payments.iter().filter(|p| !p.counted).count();
    let mut skip = uncounted.saturating_sub(SNAPSHOT_UNCOUNTED);
    let mut kept: Vec<Payment> = Vec::with_capacity(payments.len().min(64));
    let mut ordered: Vec<&Payment> = payments.iter().collect();
    ordered.sort_by_key(|p| p.order_key());
    for p in ordered {
        if !p.counted && skip > 0 {
            skip -= 1;
            continue;
        }
        kept.push(p.clone());
    }
    kept
}

/// The least counted total that completes `quote`, after the tolerance (basis points).
fn threshold_of(quote: &Quote, tolerance_bps: u32) -> U256 {
    quote
        .amount
        .saturating_sub(quote.amount * U256::from(tolerance_bps) / U256::from(10_000u32))
}

fn event_for(from: Status, to: Status) -> EventType {
    match to {
        Status::Detected if from.rank() < Status::Detected.rank() => EventType::Detected,
        Status::Paid => EventType::Paid,
        Status::PaidLate => EventType::PaidLate,
        Status::Overpaid => EventType::Overpaid,
        Status::Underpaid => EventType::Underpaid,
        Status::Expired => EventType::Expired,
        Status::Canceled => EventType::Canceled,
        Status::Failed => EventType::Failed,
        Status::Pending | Status::Detected => EventType::Updated,
    }
}

mod cancel;
pub mod open;
mod reorg;
pub mod select;
pub mod watch;
pub use cancel::{CancelError, cancel};
pub use reorg::{Revision, deep_reorg, reconcile, revise};

#[cfg(test)]
pub(crate) mod tests;

//! The widget's state as a pure reducer: components only dispatch [`Action`]s, and every
//! screen is a function of [`Model`]. Tested as plain Rust.

use std::rc::Rc;

use kasse_shared::locale;
use kasse_shared::shopper::{CheckResult, ShopperRefund, ShopperView};
use kasse_shared::status::Status;
use kasse_shared::time::Timestamp;
use yew::Reducible;

use crate::strings::{Catalogue, Key};

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Model {
    pub view: Option<ShopperView>,
    /// The last refresh failed (the last good view stays on screen).
    pub error: Option<String>,
    /// Local clock, Unix seconds, as of the last tick.
    pub now: u64,
    /// Server time minus local time at the last load: the countdown follows the server.
    pub skew: i64,
    /// The shopper asked to pick another network or token.
    pub choosing: bool,
    /// A selection is on its way to the server.
    pub selecting: bool,
    /// Why the last selection was refused, in the shopper's words.
    pub notice: Option<Key>,
    pub wallet: Wallet,
    pub refund: RefundForm,
    /// The texts the widget shows: English until the shopper's catalogue arrives.
    pub catalogue: Rc<Catalogue>,
    /// The locale the merchant mounted the widget with: it wins over the session's.
    pub mount_locale: Option<&'static str>,
    /// The first of the browser's languages Kasse speaks.
    pub browser_locale: Option<&'static str>,
    /// A locale whose catalogue could not be loaded: the widget goes on in English.
    pub catalogue_failed: Option<&'static str>,
    // QR modes and "Already paid?" (the pay screen's choices).
    /// Which QR code the pay screen shows: the shopper's choice, kept by the browser.
    pub qr_mode: QrMode,
    /// The shopper's own look for a transaction they sent.
    pub check: CheckForm,
}

/// What the pay screen's QR code holds for an EVM option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QrMode {
    /// The EIP-681 payment request, for wallet apps.
    #[default]
    Wallet,
    /// The bare address, for exchanges and wallets that misread payment requests.
    Address,
}

impl QrMode {
    /// The name the browser keeps the choice under, and the `data-qr-mode` attribute.
    pub fn name(self) -> &'static str {
        match self {
            Self::Wallet => "wallet",
            Self::Address => "address",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Wallet, Self::Address]
            .into_iter()
            .find(|mode| mode.name() == name)
    }
}

/// "Already paid?": the hash the shopper pastes is read from `field`; the answer stays
/// until they ask again, even once the screen moved on.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CheckForm {
    /// The check is on its way to the server.
    pub sending: bool,
    pub reply: Option<CheckReply>,
    /// The hash field. Kept here, where it costs no hook of its own.
    pub field: yew::NodeRef,
}

/// What the shopper learns of the transaction they named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckReply {
    /// Not a transaction hash: nothing was asked.
    Invalid,
    /// It pays this checkout and counts (confirming or confirmed: the status says which).
    Counted,
    /// It paid this checkout's address on a network the checkout does not take.
    WrongNetwork {
        amount: String,
        token: String,
        chain: String,
    },
    /// Found, but it does not pay this checkout.
    Other,
    /// Not on any chain the checkout watches, yet.
    NotFound,
    /// The server refused to look, or could not be reached.
    Failed,
}

impl CheckReply {
    /// The `data-check-reply` attribute, which tests wait on.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Invalid => "invalid",
            Self::Counted => "counted",
            Self::WrongNetwork { .. } => "wrong_network",
            Self::Other => "other",
            Self::NotFound => "not_found",
            Self::Failed => "failed",
        }
    }
}

/// The transaction hash `text` names, as the check takes it (`0x` and 64 hex digits), or
/// none when it is not one. Tron wallets write their hashes without the `0x`, so 64 hex
/// digits alone are one too; spaces around a pasted hash do not count.
pub fn tx_hash(text: &str) -> Option<String> {
    let text = text.trim();
    let digits = text.strip_prefix("0x").unwrap_or(text);
    (digits.len() == 64 && digits.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| format!("0x{digits}"))
}

/// The answer in `view`, the server's reply to a check that named a transaction: a payment
/// that does not count is explained by its own reason when that is the network.
pub fn check_reply(view: &ShopperView) -> CheckReply {
    let Some(answer) = &view.check else {
        return CheckReply::Failed;
    };
    match answer.result {
        CheckResult::Counted => CheckReply::Counted,
        CheckResult::NotCounted => view
            .payments
            .iter()
            .find(|p| {
                p.reason.as_deref() == Some("network_mismatch")
                    && p.tx_hash
                        .as_deref()
                        .is_some_and(|h| h.eq_ignore_ascii_case(&answer.tx_hash))
            })
            .map_or(CheckReply::Other, |p| CheckReply::WrongNetwork {
                amount: p.amount_formatted.clone(),
                token: p.token.clone(),
                chain: p.chain.clone(),
            }),
        CheckResult::NotThisCheckout => CheckReply::Other,
        CheckResult::NotFound => CheckReply::NotFound,
    }
}

/// The shopper's request for the refund the view offers: the form, as the shopper fills it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RefundForm {
    pub open: bool,
    /// The request is on its way to the server.
    pub sending: bool,
    /// Why the server refused the last request, in its own words.
    pub error: Option<String>,
    /// Changes whenever the keyboard focus should follow the request: to the address when
    /// the form opens or the address was refused, to the answer once it was accepted.
    pub focus: u32,
    /// Where the focus goes: the address field while the form is open (the address is read
    /// from it), else the answer. Kept here, where it costs no hook of its own.
    pub target: yew::NodeRef,
}

/// The browser-wallet payment (EIP-1193), as the shopper sees it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Wallet {
    #[default]
    Idle,
    /// Waiting for the shopper to confirm in the wallet.
    Asking,
    /// Sent: the transaction hash.
    Sent(String),
    /// Did not go through; the message says why.
    Failed(Key),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Loaded {
        view: Box<ShopperView>,
        local_now: u64,
    },
    /// The server chose for the shopper: the answer to a selection.
    Selected {
        view: Box<ShopperView>,
        local_now: u64,
    },
    /// A refresh found nothing new (304): the connection is fine again.
    Unchanged(u64),
    Failed(String),
    Tick(u64),
    /// Show the network and token choice again.
    Choose,
    /// Back to the pay screen without changing anything.
    KeepChoice,
    Selecting,
    /// The server refused the selection; `notice` says why to the shopper.
    SelectFailed(Key),
    /// The catalogue of the shopper's locale arrived.
    Catalogue(Rc<Catalogue>),
    /// The catalogue of this locale could not be loaded.
    CatalogueFailed(&'static str),
    Wallet(Wallet),
    /// "Request a refund": show the form.
    RefundOpen,
    RefundSending,
    /// The server refused the request (or could not be reached): why, to show by the field.
    RefundFailed(String),
    /// The server accepted the request: the refund it created.
    RefundRequested(Box<ShopperRefund>),
    /// The shopper chose which QR code to see.
    QrMode(QrMode),
    /// "Already paid?" is on its way to the server.
    CheckSending,
    /// What the check found (its view is loaded as any other), or that nothing was asked.
    CheckAnswered(CheckReply),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Loading,
    Error,
    Choose,
    Pay,
    Detected,
    Underpaid,
    Paid,
    PaidLate,
    Overpaid,
    Expired,
    Canceled,
    Failed,
}

impl Screen {
    pub fn is_success(self) -> bool {
        matches!(self, Self::Paid | Self::PaidLate | Self::Overpaid)
    }

    /// The widget's `data-kasse-screen` attribute, which pages and tests wait on.
    pub fn name(self) -> &'static str {
        match self {
            Self::Loading => "loading",
            Self::Error => "error",
            Self::Choose => "choose",
            Self::Pay => "pay",
            Self::Detected => "detected",
            Self::Underpaid => "underpaid",
            Self::Paid => "paid",
            Self::PaidLate => "paid_late",
            Self::Overpaid => "overpaid",
            Self::Expired => "expired",
            Self::Canceled => "canceled",
            Self::Failed => "failed",
        }
    }
}

impl Reducible for Model {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Loaded { view, local_now } => next.load(*view, local_now),
            Action::Selected { view, local_now } => {
                next.choosing = false;
                next.selecting = false;
                next.load(*view, local_now);
            }
            Action::Unchanged(now) => {
                next.now = now;
                next.error = None;
            }
            Action::Failed(message) => {
                next.error = Some(message);
                next.selecting = false;
            }
            Action::Tick(now) => next.now = now,
            Action::Choose => {
                next.choosing = true;
                next.notice = None;
            }
            Action::KeepChoice => next.choosing = false,
            Action::Selecting => {
                next.selecting = true;
                next.notice = None;
            }
            Action::SelectFailed(notice) => {
                next.selecting = false;
                next.notice = Some(notice);
            }
            Action::Wallet(wallet) => next.wallet = wallet,
            // One asked for before the locale moved on (the browser's, then the session's
            // named another) may arrive last: it is not the one to show.
            Action::Catalogue(catalogue) if catalogue.locale == next.locale() => {
                next.catalogue = catalogue;
            }
            Action::Catalogue(_) => {}
            Action::CatalogueFailed(locale) => next.catalogue_failed = Some(locale),
            Action::RefundOpen => {
                next.refund.open = true;
                next.refund.focus += 1;
            }
            Action::RefundSending => {
                next.refund.sending = true;
                next.refund.error = None;
            }
            Action::RefundFailed(message) => {
                next.refund.sending = false;
                next.refund.error = Some(message);
                next.refund.focus += 1;
            }
            Action::QrMode(mode) => next.qr_mode = mode,
            Action::CheckSending => {
                next.check.sending = true;
                next.check.reply = None;
            }
            Action::CheckAnswered(reply) => {
                next.check.sending = false;
                next.check.reply = Some(reply);
            }
            Action::RefundRequested(refund) => {
                next.refund.open = false;
                next.refund.sending = false;
                next.refund.error = None;
                next.refund.focus += 1;
                // Shown at once; the next view read says the same.
                if let Some(view) = &mut next.view {
                    view.refund_offer = None;
                    view.shopper_refund = Some(*refund);
                }
            }
        }
        Rc::new(next)
    }
}

impl Model {
    pub fn new(mount_locale: Option<&'static str>, browser_locale: Option<&'static str>) -> Self {
        Self {
            mount_locale,
            browser_locale,
            ..Self::default()
        }
    }

    /// The shopper's locale: the mount option, else the session's, else the browser's,
    /// else English.
    pub fn locale(&self) -> &'static str {
        let session = self
            .view
            .as_ref()
            .and_then(|v| v.locale.as_deref())
            .and_then(locale::exact);
        self.mount_locale
            .or(session)
            .or(self.browser_locale)
            .unwrap_or(locale::DEFAULT)
    }

    /// The shopper's catalogue is on its way: the widget waits for it rather than flash
    /// English (unless it could not be loaded).
    pub fn awaits_catalogue(&self) -> bool {
        let locale = self.locale();
        self.catalogue.locale != locale && self.catalogue_failed != Some(locale)
    }

    fn load(&mut self, mut view: ShopperView, local_now: u64) {
        self.skew =
            i64::try_from(view.server_time.0).unwrap_or(0) - i64::try_from(local_now).unwrap_or(0);
        self.now = local_now;
        // A payment ends the choosing. A selection in flight stays in flight: a refresh
        // that was already on its way says nothing about it.
        if view.status != Status::Pending {
            self.choosing = false;
            self.selecting = false;
        }
        // What the wallet sent is now part of a new status (or a remainder to pay).
        if self.view.as_ref().is_some_and(|v| v.status != view.status) {
            self.wallet = Wallet::Idle;
        }
        // A requested refund never goes away, so a view without it was read before the
        // request was accepted.
        let requested = self.view.as_mut().and_then(|v| v.shopper_refund.take());
        if view.shopper_refund.is_none() && requested.is_some() {
            view.shopper_refund = requested;
            view.refund_offer = None;
        }
        // Requested elsewhere (another tab): nothing left to ask for here.
        if view.refund_offer.is_none() && !self.refund.sending {
            self.refund.open = false;
        }
        self.view = Some(view);
        self.error = None;
    }

    pub fn server_now(&self) -> Timestamp {
        Timestamp(u64::try_from(i64::try_from(self.now).unwrap_or(0) + self.skew).unwrap_or(0))
    }

    /// Seconds until the session expires, by the server's clock.
    pub fn seconds_left(&self) -> Option<u64> {
        let view = self.view.as_ref()?;
        Some(view.expires_at.0.saturating_sub(self.server_now().0))
    }

    pub fn screen(&self) -> Screen {
        if self.awaits_catalogue() {
            return Screen::Loading;
        }
        let Some(view) = &self.view else {
            return if self.error.is_some() {
                Screen::Error
            } else {
                Screen::Loading
            };
        };
        match view.status {
            Status::Paid => Screen::Paid,
            Status::PaidLate => Screen::PaidLate,
            Status::Overpaid => Screen::Overpaid,
            Status::Detected => Screen::Detected,
            Status::Underpaid => Screen::Underpaid,
            Status::Expired => Screen::Expired,
            Status::Canceled => Screen::Canceled,
            Status::Failed => Screen::Failed,
            Status::Pending if self.seconds_left() == Some(0) => Screen::Expired,
            Status::Pending if view.selected.is_none() || self.choosing => Screen::Choose,
            Status::Pending => Screen::Pay,
        }
    }

    /// A refund is offered or was requested: the shopper stays to read about it rather than
    /// being taken on to `success_url`.
    pub fn shows_refund(&self) -> bool {
        self.view
            .as_ref()
            .is_some_and(|v| v.refund_offer.is_some() || v.shopper_refund.is_some())
    }

    /// Whether the shopper may still switch network or token: nothing arrived yet.
    pub fn can_change(&self) -> bool {
        self.view.as_ref().is_some_and(|v| {
            v.status == Status::Pending
                && v.options.len() > 1
                && v.amount_received.as_deref().is_none_or(|r| r == "0")
                && v.amount_pending.as_deref().is_none_or(|p| p == "0")
        })
    }
}

/// Whether `view` still has something to follow after a final status: the shopper's refund,
/// until the shop sends it or declines it.
pub fn refund_pending(view: &ShopperView) -> bool {
    view.shopper_refund
        .as_ref()
        .is_some_and(|r| r.status == "pending")
}

/// `mm:ss`, or `h:mm:ss` from an hour.
pub fn countdown(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m:02}:{s:02}")
    }
}

#[cfg(test)]
mod tests;

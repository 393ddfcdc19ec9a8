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
            Action::Catalogue(catalogue) => next.catalogue = catalogue,
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
mod tests {
    use super::*;
    use kasse_shared::shopper::{
        Branding, CheckAnswer, RefundOffer, ShopperOption, ShopperPayment,
    };

    fn view(status: Status, server_time: u64, expires_at: u64) -> ShopperView {
        ShopperView {
            id: "cs_test_x".into(),
            object: "checkout_session.shopper_view".into(),
            status,
            livemode: false,
            currency: "USD".into(),
            amount_total: "49.99".into(),
            description: None,
            options: vec![],
            selected: None,
            address: "0x9858EfFD232B4033E47d90003D41EC34EcaEda94".into(),
            address_tron: None,
            payment_amount: None,
            payment_uri: None,
            wallet_transaction: None,
            amount_received: None,
            amount_pending: None,
            amount_remaining: None,
            confirmations: None,
            payments: vec![],
            expires_at: Timestamp(expires_at),
            late_until: Timestamp(expires_at + 86_400),
            server_time: Timestamp(server_time),
            success_url: None,
            cancel_url: None,
            return_url: None,
            restart_url: None,
            branding: Branding::default(),
            refund_offer: None,
            shopper_refund: None,
            locale: None,
            receipt: None,
            check: None,
        }
    }

    fn loaded(status: Status, server_time: u64, expires_at: u64, local_now: u64) -> Rc<Model> {
        Rc::new(Model::default()).reduce(Action::Loaded {
            view: Box::new(view(status, server_time, expires_at)),
            local_now,
        })
    }

    #[test]
    fn loading_error_and_screens_by_status() {
        assert_eq!(Model::default().screen(), Screen::Loading);
        let failed = Rc::new(Model::default()).reduce(Action::Failed("offline".into()));
        assert_eq!(failed.screen(), Screen::Error);
        for (status, screen) in [
            // Nothing selected yet: the shopper chooses first.
            (Status::Pending, Screen::Choose),
            (Status::Detected, Screen::Detected),
            (Status::Underpaid, Screen::Underpaid),
            (Status::Paid, Screen::Paid),
            (Status::PaidLate, Screen::PaidLate),
            (Status::Overpaid, Screen::Overpaid),
            (Status::Expired, Screen::Expired),
            (Status::Canceled, Screen::Canceled),
            (Status::Failed, Screen::Failed),
        ] {
            assert_eq!(
                loaded(status, 1000, 2000, 1000).screen(),
                screen,
                "{status:?}"
            );
        }
    }

    #[test]
    fn countdown_follows_the_server_clock() {
        // Local clock 100 s behind the server.
        let m = loaded(Status::Pending, 1000, 1600, 900);
        assert_eq!(m.seconds_left(), Some(600));
        let later = m.reduce(Action::Tick(1400));
        assert_eq!(later.seconds_left(), Some(100));
        let past = later.reduce(Action::Tick(1600));
        assert_eq!(past.seconds_left(), Some(0));
        assert_eq!(past.screen(), Screen::Expired);
    }

    #[test]
    fn a_failed_refresh_keeps_the_last_view() {
        let m = loaded(Status::Detected, 1000, 2000, 1000).reduce(Action::Failed("network".into()));
        assert_eq!(m.screen(), Screen::Detected);
        assert!(m.error.is_some());
    }

    fn option(token: &str) -> ShopperOption {
        ShopperOption {
            chain_id: 31337,
            chain: "Local".into(),
            token: token.into(),
            amount: "1000000".into(),
            amount_formatted: "1".into(),
            decimals: 6,
            native: false,
            address: "0x9858EfFD232B4033E47d90003D41EC34EcaEda94".into(),
            tron: false,
        }
    }

    fn choosable(selected: bool) -> Box<ShopperView> {
        let mut v = view(Status::Pending, 1000, 2000);
        v.options = vec![option("USDC"), option("USDT")];
        v.selected = selected.then(|| option("USDC"));
        Box::new(v)
    }

    #[test]
    fn without_a_selection_the_shopper_chooses_first() {
        let m = Rc::new(Model::default()).reduce(Action::Loaded {
            view: choosable(false),
            local_now: 1000,
        });
        assert_eq!(m.screen(), Screen::Choose);
        let sent = m.reduce(Action::Selecting);
        assert!(sent.selecting);
        // A refresh that was already under way does not end the selection.
        let stale = sent.reduce(Action::Loaded {
            view: choosable(false),
            local_now: 1001,
        });
        assert!(
            stale.selecting,
            "the options stay disabled until the answer comes"
        );
        let chosen = stale.reduce(Action::Selected {
            view: choosable(true),
            local_now: 1001,
        });
        assert_eq!(chosen.screen(), Screen::Pay);
        assert!(!chosen.selecting);
    }

    #[test]
    fn changing_the_choice_until_a_payment_arrives() {
        let pay = Rc::new(Model::default()).reduce(Action::Loaded {
            view: choosable(true),
            local_now: 1000,
        });
        assert!(pay.can_change());
        let choosing = pay.clone().reduce(Action::Choose);
        assert_eq!(choosing.screen(), Screen::Choose);
        // A refresh while choosing keeps the choice screen open.
        let refreshed = choosing.reduce(Action::Loaded {
            view: choosable(true),
            local_now: 1005,
        });
        assert_eq!(refreshed.screen(), Screen::Choose);
        assert_eq!(
            refreshed.clone().reduce(Action::KeepChoice).screen(),
            Screen::Pay
        );
        let refused = refreshed
            .reduce(Action::Selecting)
            .reduce(Action::SelectFailed(crate::strings::SELECT_LOCKED));
        assert_eq!(refused.notice, Some(crate::strings::SELECT_LOCKED));
        assert!(!refused.selecting);

        let mut seen = choosable(true);
        seen.amount_pending = Some("1000000".into());
        let paying = pay.reduce(Action::Loaded {
            view: seen,
            local_now: 1010,
        });
        assert!(
            !paying.can_change(),
            "a payment on its way locks the choice"
        );
        let mut detected = choosable(true);
        detected.status = Status::Detected;
        let moved = choosing_view(detected);
        assert_eq!(
            moved.screen(),
            Screen::Detected,
            "a payment ends the choosing"
        );
    }

    fn choosing_view(view: Box<ShopperView>) -> Rc<Model> {
        Rc::new(Model::default())
            .reduce(Action::Loaded {
                view: choosable(true),
                local_now: 1000,
            })
            .reduce(Action::Choose)
            .reduce(Action::Loaded {
                view,
                local_now: 1001,
            })
    }

    #[test]
    fn a_304_after_a_failure_clears_the_error() {
        let m = loaded(Status::Pending, 1000, 2000, 1000).reduce(Action::Failed("offline".into()));
        assert!(m.error.is_some());
        let back = m.reduce(Action::Unchanged(1010));
        assert!(back.error.is_none());
        assert_eq!(back.now, 1010);
    }

    #[test]
    fn a_new_status_resets_the_wallet() {
        let m = loaded(Status::Pending, 1000, 2000, 1000)
            .reduce(Action::Wallet(Wallet::Sent("0xabc".into())))
            .reduce(Action::Loaded {
                view: Box::new(view(Status::Underpaid, 1005, 2000)),
                local_now: 1005,
            });
        assert_eq!(
            m.wallet,
            Wallet::Idle,
            "the remainder can be paid from the wallet again"
        );
    }

    #[test]
    fn the_wallet_state_is_kept_across_refreshes() {
        let m = Rc::new(Model::default())
            .reduce(Action::Loaded {
                view: choosable(true),
                local_now: 1000,
            })
            .reduce(Action::Wallet(Wallet::Asking));
        assert_eq!(m.wallet, Wallet::Asking);
        let sent = m
            .reduce(Action::Wallet(Wallet::Sent("0xabc".into())))
            .reduce(Action::Loaded {
                view: choosable(true),
                local_now: 1003,
            });
        assert_eq!(sent.wallet, Wallet::Sent("0xabc".into()));
        assert_eq!(sent.screen(), Screen::Pay);
    }

    fn offer() -> RefundOffer {
        RefundOffer {
            amount: "500000".into(),
            amount_formatted: "0.5".into(),
            token: "USDC".into(),
            decimals: 6,
            chain_id: 31337,
            chain: "Local (anvil)".into(),
        }
    }

    fn shopper_refund(status: &str) -> ShopperRefund {
        ShopperRefund {
            id: "re_test_x".into(),
            status: status.into(),
            amount: "500000".into(),
            amount_formatted: "0.5".into(),
            token: "USDC".into(),
            chain_id: 31337,
            chain: "Local (anvil)".into(),
            address: "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f".into(),
            tx_hash: None,
        }
    }

    /// An overpaid session as the server shows it, with or without a refund on offer.
    fn overpaid(offered: bool, requested: Option<&str>) -> Box<ShopperView> {
        let mut v = view(Status::Overpaid, 1000, 2000);
        v.refund_offer = offered.then(offer);
        v.shopper_refund = requested.map(shopper_refund);
        Box::new(v)
    }

    fn load(model: Rc<Model>, view: Box<ShopperView>) -> Rc<Model> {
        model.reduce(Action::Loaded {
            view,
            local_now: 1001,
        })
    }

    #[test]
    fn a_refund_request_from_the_offer_to_the_answer() {
        let offered = load(Rc::new(Model::default()), overpaid(true, None));
        assert_eq!(offered.screen(), Screen::Overpaid);
        assert!(!offered.refund.open);
        assert_eq!(offered.refund.focus, 0, "nothing moves the focus on load");
        let target = offered.refund.target.clone();

        let open = offered.reduce(Action::RefundOpen);
        assert!(open.refund.open);
        assert_eq!(open.refund.focus, 1, "the address field takes the focus");
        let sent = open.reduce(Action::RefundSending);
        assert!(sent.refund.sending);
        // A refresh while the request is on its way keeps the form as it was.
        let sent = load(sent, overpaid(true, None));
        assert!(sent.refund.open && sent.refund.sending);

        let refused = sent.reduce(Action::RefundFailed(
            "Enter an address that starts with 0x.".into(),
        ));
        assert!(!refused.refund.sending);
        assert_eq!(
            refused.refund.error.as_deref(),
            Some("Enter an address that starts with 0x.")
        );
        assert_eq!(refused.refund.focus, 2, "back to the address to correct it");
        assert!(refused.refund.open, "the form stays, with what was typed");

        let retried = refused.reduce(Action::RefundSending);
        assert_eq!(retried.refund.error, None);
        let done = retried.reduce(Action::RefundRequested(Box::new(shopper_refund("pending"))));
        let form = &done.refund;
        assert!(
            !form.open && !form.sending && form.error.is_none(),
            "{form:?}"
        );
        assert_eq!(form.focus, 3, "the focus goes to the answer");
        assert_eq!(form.target, target, "the same element reference throughout");
        let shown = done.view.as_ref().expect("view");
        assert_eq!(shown.refund_offer, None);
        assert_eq!(shown.shopper_refund, Some(shopper_refund("pending")));
    }

    #[test]
    fn a_view_read_before_the_request_was_accepted_does_not_bring_the_offer_back() {
        let done = load(Rc::new(Model::default()), overpaid(true, None))
            .reduce(Action::RefundOpen)
            .reduce(Action::RefundSending)
            .reduce(Action::RefundRequested(Box::new(shopper_refund("pending"))));
        let stale = load(done, overpaid(true, None));
        let shown = stale.view.as_ref().expect("view");
        assert_eq!(shown.refund_offer, None);
        assert_eq!(shown.shopper_refund, Some(shopper_refund("pending")));
        // The server's later word wins: paid, then declined (and offered again).
        let paid = load(stale, overpaid(false, Some("succeeded")));
        assert_eq!(
            paid.view
                .as_ref()
                .and_then(|v| v.shopper_refund.as_ref())
                .map(|r| r.status.as_str()),
            Some("succeeded")
        );
        let declined = load(paid, overpaid(true, Some("canceled")));
        let shown = declined.view.as_ref().expect("view");
        assert_eq!(shown.refund_offer, Some(offer()));
        assert_eq!(shown.shopper_refund, Some(shopper_refund("canceled")));
    }

    #[test]
    fn a_refund_keeps_the_shopper_on_the_page_and_a_pending_one_is_followed() {
        let plain = load(Rc::new(Model::default()), overpaid(false, None));
        assert!(!plain.shows_refund());
        for (offered, requested, pending) in [
            (true, None, false),
            (false, Some("pending"), true),
            (false, Some("succeeded"), false),
            (true, Some("canceled"), false),
            (true, Some("failed"), false),
        ] {
            let model = load(Rc::new(Model::default()), overpaid(offered, requested));
            assert!(model.shows_refund(), "{requested:?}");
            let view = model.view.as_ref().expect("view");
            assert_eq!(refund_pending(view), pending, "{requested:?}");
        }
    }

    #[test]
    fn a_refund_requested_elsewhere_closes_the_form() {
        let open = load(Rc::new(Model::default()), overpaid(true, None)).reduce(Action::RefundOpen);
        let elsewhere = load(open, overpaid(false, Some("pending")));
        assert!(!elsewhere.refund.open);
        assert_eq!(
            elsewhere
                .view
                .as_ref()
                .and_then(|v| v.shopper_refund.as_ref()),
            Some(&shopper_refund("pending"))
        );
    }

    #[test]
    fn countdown_format() {
        assert_eq!(countdown(0), "00:00");
        assert_eq!(countdown(61), "01:01");
        assert_eq!(countdown(3600 + 5), "1:00:05");
    }

    #[test]
    fn a_screen_that_shows_a_status_is_named_after_it() {
        for status in [
            Status::Detected,
            Status::Underpaid,
            Status::Paid,
            Status::PaidLate,
            Status::Overpaid,
            Status::Expired,
            Status::Canceled,
            Status::Failed,
        ] {
            let model = loaded(status, 1000, 2000, 1000);
            assert_eq!(model.screen().name(), status.as_str());
        }
        let names = [Screen::Loading, Screen::Error, Screen::Choose, Screen::Pay].map(Screen::name);
        assert_eq!(names, ["loading", "error", "choose", "pay"]);
    }

    // QR modes and "Already paid?".

    #[test]
    fn the_qr_mode_is_named_as_the_browser_keeps_it() {
        for mode in [QrMode::Wallet, QrMode::Address] {
            assert_eq!(QrMode::from_name(mode.name()), Some(mode));
        }
        assert_eq!(QrMode::from_name("exchange"), None);
        assert_eq!(Model::default().qr_mode, QrMode::Wallet);
        let chosen = Rc::new(Model::default()).reduce(Action::QrMode(QrMode::Address));
        assert_eq!(chosen.qr_mode, QrMode::Address);
        // A new view (a refresh, a check) keeps the shopper's choice.
        let refreshed = chosen.reduce(Action::Loaded {
            view: Box::new(view(Status::Pending, 1000, 2000)),
            local_now: 1000,
        });
        assert_eq!(refreshed.qr_mode, QrMode::Address);
    }

    #[test]
    fn only_64_hex_digits_after_an_optional_0x_are_a_transaction_hash() {
        let hash = format!("0x{}", "aB".repeat(32));
        assert_eq!(tx_hash(&hash), Some(hash.clone()));
        assert_eq!(tx_hash(&format!(" {hash}\n")), Some(hash.clone()));
        assert_eq!(
            tx_hash(&hash[2..]),
            Some(hash.clone()),
            "a Tron wallet's hash"
        );
        assert_eq!(tx_hash(&hash[..65]), None);
        assert_eq!(tx_hash(&format!("{hash}0")), None);
        assert_eq!(tx_hash(&format!("0X{}", "ab".repeat(32))), None);
        assert_eq!(tx_hash(&format!("0x{}", "ag".repeat(32))), None);
        assert_eq!(tx_hash(&format!("0x0x{}", "ab".repeat(31))), None);
        assert_eq!(tx_hash(""), None);
    }

    fn checked(result: CheckResult, payments: Vec<ShopperPayment>) -> CheckReply {
        let mut answered = view(Status::Pending, 1000, 2000);
        answered.payments = payments;
        answered.check = Some(CheckAnswer {
            tx_hash: format!("0x{}", "ab".repeat(32)),
            result,
        });
        check_reply(&answered)
    }

    fn payment(tx: &str, reason: Option<&str>) -> ShopperPayment {
        ShopperPayment {
            chain_id: 31338,
            chain: "Local L2 (anvil)".into(),
            token: "USDC".into(),
            amount: "5000000000000000000".into(),
            amount_formatted: "5".into(),
            decimals: 18,
            tx_hash: Some(format!("0x{}", tx.repeat(32))),
            counted: reason.is_none(),
            reason: reason.map(str::to_owned),
        }
    }

    #[test]
    fn the_check_answer_becomes_what_the_shopper_reads() {
        assert_eq!(checked(CheckResult::Counted, vec![]), CheckReply::Counted);
        assert_eq!(
            checked(CheckResult::NotThisCheckout, vec![]),
            CheckReply::Other
        );
        assert_eq!(checked(CheckResult::NotFound, vec![]), CheckReply::NotFound);
        // Not counted: the network is named when it is why; the hash matches in any case.
        let wrong = checked(
            CheckResult::NotCounted,
            vec![
                payment("cd", Some("network_mismatch")),
                payment("AB", Some("network_mismatch")),
            ],
        );
        assert_eq!(
            wrong,
            CheckReply::WrongNetwork {
                amount: "5".into(),
                token: "USDC".into(),
                chain: "Local L2 (anvil)".into(),
            }
        );
        let late = checked(
            CheckResult::NotCounted,
            vec![payment("ab", Some("after_grace"))],
        );
        assert_eq!(late, CheckReply::Other);
        // A view without an answer (a server that did not say) is no answer.
        assert_eq!(
            check_reply(&view(Status::Pending, 1000, 2000)),
            CheckReply::Failed
        );
    }

    #[test]
    fn a_check_clears_the_last_answer_until_its_own_arrives() {
        let invalid = Rc::new(Model::default()).reduce(Action::CheckAnswered(CheckReply::Invalid));
        assert_eq!(invalid.check.reply, Some(CheckReply::Invalid));
        assert!(!invalid.check.sending);
        let sending = invalid.reduce(Action::CheckSending);
        assert!(sending.check.sending);
        assert_eq!(sending.check.reply, None);
        let answered = sending
            .reduce(Action::Loaded {
                view: Box::new(view(Status::Detected, 1000, 2000)),
                local_now: 1000,
            })
            .reduce(Action::CheckAnswered(CheckReply::Counted));
        assert!(!answered.check.sending);
        assert_eq!(answered.check.reply, Some(CheckReply::Counted));
        // Later views (the poller's) leave the answer in place.
        let later = answered.reduce(Action::Loaded {
            view: Box::new(view(Status::Paid, 1010, 2000)),
            local_now: 1010,
        });
        assert_eq!(later.check.reply, Some(CheckReply::Counted));
    }
}

use super::*;
use kasse_shared::shopper::{Branding, CheckAnswer, RefundOffer, ShopperOption, ShopperPayment};

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

#[test]
fn a_catalogue_that_arrives_after_the_locale_moved_on_is_not_shown() {
    let catalogue = |locale| Action::Catalogue(Rc::new(Catalogue::new(locale, |_| None)));
    // The browser speaks German; the session, once read, asks for French.
    let start = Rc::new(Model::new(None, Some("de")));
    assert!(start.awaits_catalogue());
    let french_view = ShopperView {
        locale: Some("fr".into()),
        ..view(Status::Pending, 1_000, 2_000)
    };
    let read = start.reduce(Action::Loaded {
        view: Box::new(french_view),
        local_now: 1_000,
    });
    assert_eq!(read.locale(), "fr");
    let french = read.reduce(catalogue("fr"));
    assert_eq!(french.catalogue.locale, "fr");
    assert!(!french.awaits_catalogue());
    // German, asked for first, arrives last.
    let late = french.reduce(catalogue("de"));
    assert_eq!(late.catalogue.locale, "fr");
    assert!(!late.awaits_catalogue());
    assert_ne!(late.screen(), Screen::Loading);
}

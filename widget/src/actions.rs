//! What the shopper's clicks send to the server: a selection, a wallet payment, a check of
//! a transaction they sent, a refund request. Each tells the model at once, then talks to
//! the server and wakes the poller. And the one choice the browser remembers: the QR code.

use gloo_timers::future::TimeoutFuture;
use kasse_shared::shopper::{ShopperOption, ShopperRefund, ShopperView, WalletTransaction};
use wasm_bindgen_futures::spawn_local;

use crate::api::{Body, PostError};
use crate::hooks::{Poller, local_now};
use crate::model::{Action, CheckReply, QrMode, Wallet, check_reply, tx_hash};
use crate::strings as s;

/// The shopper picked a network and token: the server answers with the view, or says why
/// not.
pub fn select(poller: &Poller, option: ShopperOption) {
    poller.model.dispatch(Action::Selecting);
    let poller = poller.clone();
    spawn_local(async move {
        let body = Body::Select {
            chain_id: option.chain_id,
            token: &option.token,
        };
        match poller.api.post(&body).await {
            Ok(view) => {
                poller.note(&view);
                poller.model.dispatch(Action::Selected {
                    view: Box::new(view),
                    local_now: local_now(),
                });
            }
            Err(PostError::Refused { code, .. }) => {
                poller
                    .model
                    .dispatch(Action::SelectFailed(s::select_refused(code)));
            }
            Err(PostError::Unanswered) => {
                poller
                    .model
                    .dispatch(Action::SelectFailed(s::SELECT_FAILED));
            }
        }
        poller.wake();
    });
}

/// The shopper pays with a browser wallet (its provider); once it sent the transaction, the
/// server is told where to look.
pub fn pay_with_wallet(poller: &Poller, (provider, tx): (js_sys::Object, WalletTransaction)) {
    poller.model.dispatch(Action::Wallet(Wallet::Asking));
    let poller = poller.clone();
    spawn_local(async move {
        match crate::wallet::pay(&provider, &tx).await {
            Ok(hash) => {
                poller
                    .model
                    .dispatch(Action::Wallet(Wallet::Sent(hash.clone())));
                poller.expect_payment();
                if let Ok(view) = check(&poller, &hash).await {
                    poller.deliver(Box::new(view));
                }
                poller.wake();
            }
            Err(message) => poller
                .model
                .dispatch(Action::Wallet(Wallet::Failed(message))),
        }
    });
}

/// The shopper asks for the offered refund to be sent to `address`: the server answers with
/// the refund it created, or says why not in words the form shows as they are.
pub fn request_refund(poller: &Poller, address: String) {
    if poller.model.refund.sending {
        return;
    }
    poller.model.dispatch(Action::RefundSending);
    let poller = poller.clone();
    spawn_local(async move {
        // The server trims and checks the address, and says what is wrong with it.
        let body = Body::RefundRequest { address: &address };
        match poller.api.post::<ShopperRefund>(&body).await {
            Ok(refund) => {
                poller
                    .model
                    .dispatch(Action::RefundRequested(Box::new(refund)));
                poller.follow_refund();
            }
            Err(PostError::Refused { message, .. }) if !message.is_empty() => {
                poller.model.dispatch(Action::RefundFailed(message));
            }
            Err(_) => poller
                .model
                .dispatch(Action::RefundFailed(s::REFUND_UNANSWERED.text())),
        }
    });
}

/// A public check that names transaction `hash`. Checks are limited to one per 2 s per
/// session, and the poller checks too: a refusal for that is tried once more.
async fn check(poller: &Poller, hash: &str) -> Result<ShopperView, PostError> {
    let body = Body::Check {
        tx_hash: Some(hash),
    };
    let checked = poller.api.post(&body).await;
    if matches!(checked, Err(PostError::Refused { status: 429, .. })) {
        TimeoutFuture::new(2_100).await;
        return poller.api.post(&body).await;
    }
    checked
}

/// "Already paid?": the shopper names the transaction they sent. A text that is not a hash
/// is answered at once, without asking the server.
pub fn check_paid(poller: &Poller, text: String) {
    let Some(hash) = tx_hash(&text) else {
        poller
            .model
            .dispatch(Action::CheckAnswered(CheckReply::Invalid));
        return;
    };
    if poller.model.check.sending {
        return;
    }
    poller.model.dispatch(Action::CheckSending);
    let poller = poller.clone();
    spawn_local(async move {
        let reply = match check(&poller, &hash).await {
            Ok(view) => {
                let reply = check_reply(&view);
                if reply == CheckReply::Counted {
                    // Its confirmations are worth following closely.
                    poller.expect_payment();
                }
                // The view may move the screen on (detected, paid): loaded as any other.
                poller.deliver(Box::new(view));
                reply
            }
            Err(_) => CheckReply::Failed,
        };
        poller.model.dispatch(Action::CheckAnswered(reply));
        poller.wake();
    });
}

/// Where the browser keeps the shopper's choice of QR code, for this page's origin.
const QR_MODE_KEY: &str = "kasse.qr_mode";

/// The browser's storage for this origin, when the page may use it (a sandboxed frame or a
/// browser set to block site data may not: then the choice lasts as long as the page).
fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The QR code the shopper chose last time on this site, else the payment request.
pub fn stored_qr_mode() -> QrMode {
    storage()
        .and_then(|storage| storage.get_item(QR_MODE_KEY).ok().flatten())
        .and_then(|name| QrMode::from_name(&name))
        .unwrap_or_default()
}

/// The shopper chose which QR code to see: shown at once, and remembered.
pub fn choose_qr_mode(poller: &Poller, mode: QrMode) {
    poller.model.dispatch(Action::QrMode(mode));
    if let Some(storage) = storage() {
        let _ = storage.set_item(QR_MODE_KEY, mode.name());
    }
}

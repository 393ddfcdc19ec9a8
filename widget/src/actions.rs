//! What the shopper's clicks send to the server: a selection, a wallet payment, a refund
//! request. Each tells the model at once, then talks to the server and wakes the poller.

use gloo_timers::future::TimeoutFuture;
use kasse_shared::shopper::{ShopperOption, ShopperRefund, WalletTransaction};
use wasm_bindgen_futures::spawn_local;

use crate::api::{Body, PostError};
use crate::hooks::{Poller, local_now};
use crate::model::{Action, Wallet};
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

/// The shopper pays with the browser wallet; once it sent the transaction, the server is
/// told where to look.
pub fn pay_with_wallet(poller: &Poller, tx: WalletTransaction) {
    poller.model.dispatch(Action::Wallet(Wallet::Asking));
    let poller = poller.clone();
    spawn_local(async move {
        match crate::wallet::pay(&tx).await {
            Ok(hash) => {
                poller
                    .model
                    .dispatch(Action::Wallet(Wallet::Sent(hash.clone())));
                poller.expect_payment();
                let body = Body::Check {
                    tx_hash: Some(&hash),
                };
                let mut checked = poller.api.post(&body).await;
                if matches!(checked, Err(PostError::Refused { status: 429, .. })) {
                    // Checks are limited to one per 2 s per session: once more.
                    TimeoutFuture::new(2_100).await;
                    checked = poller.api.post(&body).await;
                }
                if let Ok(view) = checked {
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
                .dispatch(Action::RefundFailed(s::REFUND_UNANSWERED.to_owned())),
        }
    });
}

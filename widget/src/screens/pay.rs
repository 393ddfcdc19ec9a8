//! Paying: the QR code, the exact amount and address to copy, the countdown, the wallet
//! buttons; for a Tron option the `T…` address and a TronLink link instead of the EVM
//! payment request. An underpaid session shows the same screen for the rest, under a heading.

use kasse_shared::shopper::{ShopperOption, ShopperView};
use kasse_shared::status::Status;
use yew::prelude::*;

use super::{Handlers, already_paid, qr};
use crate::components::Copyable;
use crate::model::{Model, Wallet, countdown};
use crate::strings::{self as s, Key};

pub fn screen(view: &ShopperView, model: &Model, on: &Handlers) -> Html {
    if view.status == Status::Underpaid {
        // What happens next, in one sentence with the amount still owed.
        let rest = view
            .selected
            .as_ref()
            .map(|option| s::money(&amount_due(view, option), &option.token))
            .unwrap_or_default();
        html! {
            <>
                <h2>{ s::UNDERPAID_TITLE }</h2>
                <p>{ s::UNDERPAID_BODY.fill(&[("amount", &rest)]) }</p>
                { pay(view, model, on, s::PAY_REST_TITLE) }
            </>
        }
    } else {
        pay(view, model, on, s::PAY_TITLE)
    }
}

/// What is still owed of `option`, formatted.
fn amount_due(view: &ShopperView, option: &ShopperOption) -> String {
    view.amount_remaining
        .clone()
        .filter(|r| r != "0")
        .unwrap_or_else(|| option.amount_formatted.clone())
}

fn pay(view: &ShopperView, model: &Model, on: &Handlers, title: Key) -> Html {
    if let Some(option) = view.selected.as_ref().filter(|o| o.tron) {
        return pay_tron(view, option, model, on, title);
    }
    let (Some(uri), Some(option)) = (&view.payment_uri, &view.selected) else {
        return html! {};
    };
    let amount = amount_due(view, option);
    html! {
        <div class="kasse-pay">
            <h2 class="kasse-title">{ title }</h2>
            { qr::evm(option, uri, &view.address, &amount, model.qr_mode, on) }
            { only_on(option) }
            <Copyable label={s::SEND_EXACTLY} value={amount.clone()} display={s::money(&amount, &option.token)} />
            <Copyable label={s::TO_ADDRESS} value={view.address.clone()} display={view.address.clone()} />
            { expires_in(model) }
            <div class="kasse-actions">
                <a class="kasse-button" href={uri.clone()}>{ s::OPEN_WALLET }</a>
                if let Some(tx) = &view.wallet_transaction {
                    { super::wallets::buttons(&on.wallets, tx, &model.wallet, &on.pay_wallet) }
                }
                if model.can_change() {
                    <button type="button" class="kasse-link" onclick={on.change.clone()}>{ s::CHANGE }</button>
                }
            </div>
            { wallet_status(&model.wallet) }
            { already_paid::section(view, &model.check, on) }
        </div>
    }
}

/// Opens the TronLink app (its "open wallet" deep link, TronLink 4.10 and later:
/// docs.tronlink.org/mobile/deeplink, `param` the URL-encoded JSON
/// `{"action":"open","protocol":"tronlink","version":"1.0"}`). TronLink's transfer deep link
/// would fill in the payment, but it answers only DApps TronLink has whitelisted and needs a
/// callback server, so the shopper pastes the address and amount shown here.
pub const TRONLINK_OPEN: &str = "tronlinkoutside://pull.activity?param=%7B%22action%22%3A%22open%22%2C%22protocol%22%3A%22tronlink%22%2C%22version%22%3A%221.0%22%7D";

/// Paying a Tron option: the `T…` address (its QR code holds the address alone: Tron has no
/// payment-request URI), the amount, a link that opens TronLink. No EIP-681 URI and no
/// browser-wallet button: those speak to EVM wallets.
fn pay_tron(
    view: &ShopperView,
    option: &ShopperOption,
    model: &Model,
    on: &Handlers,
    title: Key,
) -> Html {
    let amount = amount_due(view, option);
    let address = option.address.clone();
    html! {
        <div class="kasse-pay kasse-pay-tron">
            <h2 class="kasse-title">{ title }</h2>
            { qr::tron(option, &amount) }
            { only_on(option) }
            <Copyable label={s::SEND_EXACTLY} value={amount.clone()} display={s::money(&amount, &option.token)} />
            <Copyable label={s::TO_ADDRESS} value={address.clone()} display={address} />
            <p class="kasse-muted">{ s::TRON_NOTE }</p>
            { expires_in(model) }
            <div class="kasse-actions">
                <a class="kasse-button" href={TRONLINK_OPEN} data-tronlink="open">{ s::OPEN_TRONLINK }</a>
                if model.can_change() {
                    <button type="button" class="kasse-link" onclick={on.change.clone()}>{ s::CHANGE }</button>
                }
            </div>
            { already_paid::section(view, &model.check, on) }
        </div>
    }
}

/// Which network the payment must use, and what a payment on another one risks.
fn only_on(option: &ShopperOption) -> Html {
    html! {
        <p class="kasse-warning">
            { s::ONLY_ON.fill(&[("chain", &option.chain)]) }{ " " }{ s::ONLY_ON_WARNING }
        </p>
    }
}

/// The time left to pay, marked urgent in its last two minutes.
fn expires_in(model: &Model) -> Html {
    let left = model.seconds_left().unwrap_or(0);
    let time = countdown(left);
    html! {
        <p class="kasse-countdown" role="timer" aria-live="off">
            { s::EXPIRES_IN }{ " " }
            if left < 120 { <span class="kasse-urgent">{ time }</span> } else { <span>{ time }</span> }
        </p>
    }
}

/// What became of the browser-wallet payment, if the shopper tried one.
fn wallet_status(wallet: &Wallet) -> Html {
    match wallet {
        Wallet::Idle => html! {},
        Wallet::Asking => html! { <p class="kasse-muted" role="status">{ s::WALLET_ASKING }</p> },
        Wallet::Sent(hash) => {
            html! { <p class="kasse-muted" role="status" data-tx-hash={hash.clone()}>{ s::WALLET_SENT }</p> }
        }
        Wallet::Failed(message) => html! { <p class="kasse-error" role="alert">{ *message }</p> },
    }
}

#[cfg(test)]
mod tests {
    use super::TRONLINK_OPEN;

    #[test]
    fn the_tronlink_link_carries_the_open_action_url_encoded() {
        let (scheme, param) = TRONLINK_OPEN.split_once("?param=").expect("a param");
        assert_eq!(scheme, "tronlinkoutside://pull.activity");
        let decoded = param
            .replace("%7B", "{")
            .replace("%7D", "}")
            .replace("%22", "\"")
            .replace("%3A", ":")
            .replace("%2C", ",");
        assert_eq!(
            decoded,
            r#"{"action":"open","protocol":"tronlink","version":"1.0"}"#
        );
        assert!(!param.contains(['{', '"', ':', ',']), "fully encoded");
    }
}

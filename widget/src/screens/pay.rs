//! Paying: the QR code, the exact amount and address to copy, the countdown, the wallet
//! buttons. An underpaid session shows the same screen for the rest, under a heading.

use kasse_shared::shopper::ShopperView;
use kasse_shared::status::Status;
use yew::prelude::*;

use super::Handlers;
use crate::components::Copyable;
use crate::model::{Model, Wallet, countdown};
use crate::strings as s;

pub fn screen(view: &ShopperView, model: &Model, on: &Handlers) -> Html {
    if view.status == Status::Underpaid {
        html! {
            <>
                <h2>{ s::UNDERPAID_TITLE }</h2>
                <p>{ s::UNDERPAID_BODY }</p>
                { pay(view, model, on, s::PAY_REST_TITLE) }
            </>
        }
    } else {
        pay(view, model, on, s::PAY_TITLE)
    }
}

fn pay(view: &ShopperView, model: &Model, on: &Handlers, title: &'static str) -> Html {
    let (Some(uri), Some(option)) = (&view.payment_uri, &view.selected) else {
        return html! {};
    };
    let amount = view
        .amount_remaining
        .clone()
        .filter(|r| r != "0")
        .unwrap_or_else(|| option.amount_formatted.clone());
    let left = model.seconds_left().unwrap_or(0);
    html! {
        <div class="kasse-pay">
            <h2 class="kasse-title">{ title }</h2>
            <div class="kasse-qr" role="img" aria-label={s::QR_LABEL} data-payment-uri={uri.clone()}>
                { Html::from_html_unchecked(AttrValue::from(qr_svg(uri))) }
            </div>
            <p class="kasse-warning">{ format!("{} {}. {}", s::ONLY_ON, option.chain, s::ONLY_ON_WARNING) }</p>
            <Copyable label={s::SEND_EXACTLY} value={amount.clone()} display={format!("{amount} {}", option.token)} />
            <Copyable label={s::TO_ADDRESS} value={view.address.clone()} display={view.address.clone()} />
            <p class="kasse-countdown" role="timer" aria-live="off">
                { format!("{} ", s::EXPIRES_IN) }<span class={if left < 120 { "kasse-urgent" } else { "" }}>{ countdown(left) }</span>
            </p>
            <div class="kasse-actions">
                <a class="kasse-button" href={uri.clone()}>{ s::OPEN_WALLET }</a>
                if let (Some(tx), true, false) = (&view.wallet_transaction, crate::wallet::available(), matches!(model.wallet, Wallet::Sent(_))) {
                    <button type="button" class="kasse-wallet" disabled={model.wallet == Wallet::Asking}
                        onclick={let tx = tx.clone(); on.pay_wallet.reform(move |_| tx.clone())}>
                        { s::PAY_WITH_WALLET }
                    </button>
                }
                if model.can_change() {
                    <button type="button" class="kasse-link" onclick={on.change.clone()}>{ s::CHANGE }</button>
                }
            </div>
            { wallet_status(&model.wallet) }
        </div>
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

fn qr_svg(uri: &str) -> String {
    match qrcode::QrCode::new(uri.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(220, 220)
            .quiet_zone(true)
            .build(),
        Err(_) => String::new(),
    }
}

//! The pay screen's QR code, and beside it what to send, large. An EVM option offers two
//! codes, the shopper's choice: the EIP-681 payment request for wallet apps, or the bare
//! address for exchanges and wallets that misread payment requests (the shopper then types
//! the amount). A Tron option has no payment request: its code is the address alone.

use kasse_shared::shopper::ShopperOption;
use yew::prelude::*;

use super::{Handlers, labelled, marked};
use crate::icons;
use crate::model::QrMode;
use crate::strings as s;

/// The QR block of an EVM option: the choice of mode, the code of that mode, and what to
/// send. `uri` is the EIP-681 request, `address` the session's address as the API wrote it
/// (checksummed), `amount` what is still owed.
pub fn evm(
    option: &ShopperOption,
    uri: &str,
    address: &str,
    amount: &str,
    mode: QrMode,
    on: &Handlers,
) -> Html {
    let code = match mode {
        QrMode::Wallet => html! {
            <div class="kasse-qr" role="img" aria-label={s::QR_LABEL}
                data-qr-mode={mode.name()} data-payment-uri={uri.to_owned()}>
                { code_of(uri) }
            </div>
        },
        QrMode::Address => html! {
            <div class="kasse-qr" role="img" aria-label={s::QR_ADDRESS_LABEL}
                data-qr-mode={mode.name()} data-address={address.to_owned()}>
                { code_of(address) }
            </div>
        },
    };
    html! {
        <div class="kasse-qr-block">
            { modes(mode, on) }
            <div class="kasse-qr-row">{ code }{ facts(option, amount) }</div>
            if mode == QrMode::Address {
                <p class="kasse-warning kasse-qr-note">{ s::QR_EXCHANGE_NOTE }</p>
            }
        </div>
    }
}

/// The QR block of a Tron option: the `T…` address alone, and what to send.
pub fn tron(option: &ShopperOption, amount: &str) -> Html {
    html! {
        <div class="kasse-qr-block">
            <div class="kasse-qr-row">
                <div class="kasse-qr" role="img" aria-label={s::TRON_QR_LABEL} data-address={option.address.clone()}>
                    { code_of(&option.address) }
                </div>
                { facts(option, amount) }
            </div>
        </div>
    }
}

/// Two radio buttons: the arrow keys move between them, as in any radio group.
fn modes(mode: QrMode, on: &Handlers) -> Html {
    let choice = |this: QrMode, label: s::Key| {
        html! {
            <label class="kasse-qr-mode">
                <input type="radio" name="kasse-qr-mode" value={this.name()} checked={mode == this}
                    onchange={on.qr_mode.reform(move |_| this)} />
                { label }
            </label>
        }
    };
    html! {
        <fieldset class="kasse-qr-modes">
            <legend>{ s::QR_MODES_LABEL }</legend>
            { choice(QrMode::Wallet, s::QR_MODE_WALLET) }
            { choice(QrMode::Address, s::QR_MODE_EXCHANGE) }
        </fieldset>
    }
}

/// The amount, token and network, large enough to type from: the address-only code carries
/// none of them.
fn facts(option: &ShopperOption, amount: &str) -> Html {
    html! {
        <dl class="kasse-facts">
            { labelled(s::AMOUNT, Html::from(s::number(amount))) }
            { labelled(s::TOKEN, marked(icons::token(&option.token), option.token.clone())) }
            { labelled(s::NETWORK, marked(icons::network(option.chain_id), option.chain.clone())) }
        </dl>
    }
}

/// `text` as an SVG QR code with its quiet zone (none when it does not fit a code).
fn code_of(text: &str) -> Html {
    let svg = match qrcode::QrCode::new(text.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(220, 220)
            .quiet_zone(true)
            .build(),
        Err(_) => String::new(),
    };
    Html::from_html_unchecked(AttrValue::from(svg))
}

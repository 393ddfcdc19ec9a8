//! The screens: what fills the widget's body at each step of the checkout, one per file.
//! They render the model and send the shopper's clicks to [`Handlers`].
//!
//! A screen holds no state of its own, so it is a function, not a component: the DOM is the
//! same, and each component would add about a kilobyte (gzip) to the bundle.

mod already_paid;
mod choose;
mod outcome;
mod pay;
mod qr;
mod receipt;
mod refund;
mod wallets;

use kasse_shared::shopper::{ShopperOption, ShopperView, WalletTransaction};
use yew::prelude::*;

use crate::icons;
use crate::model::{Model, QrMode, Screen};
use crate::strings::{self as s, Key};

/// Where the shopper's clicks go.
pub struct Handlers {
    pub select: Callback<ShopperOption>,
    /// Back to the choice of network and token.
    pub change: Callback<MouseEvent>,
    /// Keep the current choice after all.
    pub keep: Callback<MouseEvent>,
    /// Pay with this wallet (its EIP-1193 provider) the transaction the view prepared.
    pub pay_wallet: Callback<(js_sys::Object, WalletTransaction)>,
    /// The browser wallets the shopper may pay with.
    pub wallets: Vec<crate::wallet::Choice>,
    pub retry: Callback<MouseEvent>,
    /// "Request a refund": open the form.
    pub refund_open: Callback<MouseEvent>,
    /// Send the refund request for this address.
    pub request_refund: Callback<String>,
    /// What the keyboard focus moves to as the refund request goes on: the address field
    /// while the form is open (its value is read from there), else the answer.
    pub refund_focus: NodeRef,
    /// The shopper chose which QR code to see.
    pub qr_mode: Callback<QrMode>,
    /// "Already paid?": look for the transaction with this hash.
    pub check: Callback<String>,
}

/// The body for `screen`, the model's screen of the moment, and under it the refund the
/// shopper may ask for or asked for.
pub fn body(screen: Screen, model: &Model, redirecting: bool, on: &Handlers) -> Html {
    let main = match (screen, &model.view) {
        (Screen::Loading | Screen::Error, _) | (_, None) => {
            return loading(model.error.is_some(), on);
        }
        (Screen::Choose, Some(view)) => choose::screen(view, model, on),
        (Screen::Pay | Screen::Underpaid, Some(view)) => pay::screen(view, model, on),
        (_, Some(view)) => html! {
            // What the shopper's own check found, once it moved the session on.
            <>{ already_paid::reply(view, &model.check) }{ outcome::screen(screen, view, model, redirecting) }</>
        },
    };
    let view = model.view.as_ref();
    let refund = view.map(|view| refund::section(view, &model.refund, on));
    let wrong_network = view.map(wrong_network);
    html! { <>{ for wrong_network }{ main }{ for refund }</> }
}

/// One labelled value of a list (`<dl>`): the facts beside the QR code, the receipt's lines.
fn labelled(label: Key, value: Html) -> Html {
    html! { <div><dt>{ label }</dt><dd>{ value }</dd></div> }
}

/// `label`'s line with `value` marked up in it (`Refund: <strong>5 USDC</strong>`).
fn around(label: Key, value: Html) -> Html {
    let (before, after) = s::around_value(label);
    html! { <>{ before }{ value }{ after }</> }
}

/// `text` after its mark (a token's or network's icon).
fn marked(mark: &'static str, text: String) -> Html {
    html! { <>{ icons::html(mark) }{ text }</> }
}

/// The sentence for a payment of `amount` `token` that arrived on `chain`, a network the
/// checkout does not take.
fn wrong_network_sentence(amount: &str, token: &str, chain: &str) -> String {
    s::WRONG_NETWORK.fill(&[("amount", &s::money(amount, token)), ("chain", chain)])
}

/// Payments that arrived on a network the checkout does not take, one sentence each, above
/// whatever the screen shows: the shopper may still pay the right way.
fn wrong_network(view: &ShopperView) -> Html {
    html! {
        { for view.payments.iter().filter(|p| p.reason.as_deref() == Some("network_mismatch")).map(|p| html! {
            <p class="kasse-warning" role="status" data-wrong-network={p.chain_id.to_string()}>
                { wrong_network_sentence(&p.amount_formatted, &p.token, &p.chain) }
            </p>
        }) }
    }
}

/// Before the first view: loading, or why it did not load.
fn loading(failed: bool, on: &Handlers) -> Html {
    if failed {
        html! {
            <div class="kasse-error" role="alert">
                <p>{ s::LOAD_FAILED }</p>
                <button type="button" onclick={on.retry.clone()}>{ s::RETRY }</button>
            </div>
        }
    } else {
        html! { <p class="kasse-muted">{ s::LOADING }</p> }
    }
}

//! The refund the shopper may ask for, when the shop takes refund requests, and what became
//! of the one they asked for. Shown under whichever screen's view offers or carries one: the
//! server decides when a refund is on offer, the widget only shows it.

use kasse_shared::shopper::{RefundOffer, ShopperRefund, ShopperView};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::{Handlers, around};
use crate::model::RefundForm;
use crate::strings as s;

pub fn section(view: &ShopperView, form: &RefundForm, on: &Handlers) -> Html {
    if view.refund_offer.is_none() && view.shopper_refund.is_none() {
        return html! {};
    }
    // The keyboard focus goes to the address while the form is open, else to the answer.
    let form_open = form.open && view.refund_offer.is_some();
    html! {
        <div class="kasse-refund">
            { for view.shopper_refund.as_ref().map(|r| requested(r, (!form_open).then_some(&on.refund_focus))) }
            { for view.refund_offer.as_ref().map(|offer| offered(offer, form, on)) }
        </div>
    }
}

/// What became of the shopper's request.
fn requested(refund: &ShopperRefund, focus: Option<&NodeRef>) -> Html {
    let amount = s::money(&refund.amount_formatted, &refund.token);
    let line = match refund.status.as_str() {
        "succeeded" => s::REFUND_SENT.fill(&[("amount", &amount), ("address", &refund.address)]),
        "canceled" => s::REFUND_DECLINED.text(),
        "failed" => s::REFUND_FAILED.text(),
        _ => s::REFUND_REQUESTED.fill(&[("amount", &amount), ("address", &refund.address)]),
    };
    let tx = refund
        .tx_hash
        .as_ref()
        .filter(|_| refund.status == "succeeded");
    html! {
        <>
            <p class="kasse-refund-state" role="status" tabindex="-1" ref={focus.cloned().unwrap_or_default()}
                data-refund-status={refund.status.clone()}>{ line }</p>
            if let Some(hash) = tx {
                <p class="kasse-muted">{ around(s::REFUND_TRANSACTION, html! { <code>{ hash }</code> }) }</p>
            }
        </>
    }
}

/// The offer: a button, then the form that asks for the address.
fn offered(offer: &RefundOffer, form: &RefundForm, on: &Handlers) -> Html {
    let amount = s::money(&offer.amount_formatted, &offer.token);
    if !form.open {
        return html! {
            <>
                <p>{ s::REFUND_OFFERED.fill(&[("amount", &amount), ("chain", &offer.chain)]) }</p>
                <button type="button" class="kasse-refund-open" onclick={on.refund_open.clone()}>{ s::REFUND_REQUEST }</button>
            </>
        };
    }
    // A click on the submit button, which Enter in the field also makes: the form itself
    // is never submitted.
    let onclick = {
        let field = on.refund_focus.clone();
        on.request_refund.reform(move |e: MouseEvent| {
            e.prevent_default();
            field
                .cast::<HtmlInputElement>()
                .map(|input| input.value())
                .unwrap_or_default()
        })
    };
    html! {
        <form class="kasse-refund-form" novalidate=true>
            <p>{ around(s::REFUND_AMOUNT, html! { <strong>{ amount }</strong> }) }{ " " }{ s::ON_NETWORK.fill(&[("chain", &offer.chain)]) }</p>
            <label for="kasse-refund-address">{ s::REFUND_ADDRESS.fill(&[("chain", &offer.chain)]) }</label>
            <input id="kasse-refund-address" type="text" ref={on.refund_focus.clone()} autocomplete="off" spellcheck="false"
                aria-describedby="kasse-refund-hint kasse-refund-error" aria-invalid={if form.error.is_some() { "true" } else { "false" }} />
            <p id="kasse-refund-hint" class="kasse-warning">{ s::REFUND_HINT.fill(&[("chain", &offer.chain)]) }{ " " }{ s::REFUND_EXCHANGE_WARNING }</p>
            if let Some(error) = &form.error {
                <p id="kasse-refund-error" class="kasse-error" role="alert">{ error }</p>
            }
            <button type="submit" aria-disabled={if form.sending { "true" } else { "false" }} {onclick}>
                { if form.sending { s::REFUND_SENDING } else { s::REFUND_SUBMIT } }
            </button>
        </form>
    }
}

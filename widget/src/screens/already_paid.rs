//! "Already paid?": the shopper who paid from elsewhere (an exchange, another device) pastes
//! the transaction hash and the widget asks the server to look for it at once, rather than
//! leaving them to wait for the next scan. The answer says whether it counts, and if not,
//! what to check.

use kasse_shared::shopper::ShopperView;
use kasse_shared::status::Status;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::Handlers;
use crate::model::{CheckForm, CheckReply};
use crate::strings as s;

/// The disclosure with the form; open while there is something to read in it.
pub fn section(view: &ShopperView, form: &CheckForm, on: &Handlers) -> Html {
    let invalid = form.reply == Some(CheckReply::Invalid);
    // Enter in the field submits the form: it is never sent, its value is read here.
    let onsubmit = {
        let field = form.field.clone();
        on.check.reform(move |e: SubmitEvent| {
            e.prevent_default();
            field
                .cast::<HtmlInputElement>()
                .map(|input| input.value())
                .unwrap_or_default()
        })
    };
    let described = if invalid {
        "kasse-tx-hint kasse-tx-error"
    } else {
        "kasse-tx-hint"
    };
    html! {
        <details class="kasse-paid-already" open={form.sending || form.reply.is_some()}>
            <summary>{ s::PAID_ALREADY }</summary>
            <form class="kasse-check-form" novalidate=true {onsubmit}>
                <label for="kasse-tx-hash">{ s::TX_HASH }</label>
                <input id="kasse-tx-hash" type="text" ref={form.field.clone()} autocomplete="off"
                    autocapitalize="off" spellcheck="false" aria-describedby={described}
                    aria-invalid={if invalid { "true" } else { "false" }} />
                <p id="kasse-tx-hint" class="kasse-muted">{ s::PAID_ALREADY_HINT }</p>
                if invalid {
                    <p id="kasse-tx-error" class="kasse-error" role="alert">{ s::CHECK_INVALID }</p>
                }
                <button type="submit" aria-disabled={if form.sending { "true" } else { "false" }}>
                    { if form.sending { s::CHECK_RUNNING } else { s::CHECK_SUBMIT } }
                </button>
            </form>
            <p class="kasse-check-reply" role="status" data-check-reply={form.reply.as_ref().map(CheckReply::name)}>
                { reply_text(view, form.reply.as_ref()) }
            </p>
        </details>
    }
}

/// The answer alone, for the screens the check moved the session on to (detected, paid):
/// the form has gone, the shopper still reads what their hash was.
pub fn reply(view: &ShopperView, form: &CheckForm) -> Html {
    match &form.reply {
        None | Some(CheckReply::Invalid) => html! {},
        Some(reply) => html! {
            <p class="kasse-check-reply" role="status" data-check-reply={reply.name()}>
                { reply_text(view, Some(reply)) }
            </p>
        },
    }
}

/// What the shopper reads of `reply`. A counted payment is read against the status of the
/// moment: waiting for confirmations while detected, counted once confirmed.
fn reply_text(view: &ShopperView, reply: Option<&CheckReply>) -> String {
    let Some(reply) = reply else {
        return String::new();
    };
    let key = match reply {
        // The field's own message says it.
        CheckReply::Invalid => return String::new(),
        CheckReply::Counted if view.status == Status::Detected => s::CHECK_PENDING,
        CheckReply::Counted => s::CHECK_COUNTED,
        CheckReply::WrongNetwork {
            amount,
            token,
            chain,
        } => return super::wrong_network_sentence(amount, token, chain),
        CheckReply::Other => s::CHECK_OTHER,
        CheckReply::NotFound => s::CHECK_NOT_FOUND,
        CheckReply::Failed => s::CHECK_FAILED,
    };
    key.text()
}

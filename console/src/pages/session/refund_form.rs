//! The session's Refund form: everything still refundable, only the excess, an amount, or
//! one recorded payment; the shopper's address if known (else a claim link follows); a
//! reason. Sent once under an idempotency key, then the new refund's page opens. A refusal
//! is shown beside the field its `param` names.

use yew::prelude::*;

use super::refund_draft::{DraftEdit, RefundDraft, What};
use crate::api::{ApiError, new_idempotency_key};
use crate::components::{Alert, FieldError, focus_first_invalid, names_field};
use crate::hooks::{use_console, use_task};
use crate::money;
use crate::objects::RefundObject;
use crate::route::{Route, encode};

/// A payment the form offers to refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentChoice {
    /// `pay_…`.
    pub id: String,
    /// Its amount, chain, transaction and whether it counted, as the merchant reads it.
    pub label: String,
}

/// The session's selected token, in which the first three choices refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selected {
    pub token: String,
    pub decimals: u8,
    pub chain: String,
    /// What may still be refunded, in base units.
    pub refundable: String,
    /// What was paid beyond the amount due, in base units.
    pub excess: String,
}

#[derive(Properties, PartialEq)]
pub struct RefundFormProps {
    pub session: AttrValue,
    /// `None` when the shopper never chose an option: only a payment can be refunded.
    pub selected: Option<Selected>,
    pub payments: Vec<PaymentChoice>,
    pub on_close: Callback<()>,
}

/// The form's fields that the API may name in a refusal.
const PARAMS: [&str; 5] = ["amount", "excess", "payment", "address", "reason"];

#[function_component(RefundForm)]
pub fn refund_form(props: &RefundFormProps) -> Html {
    let console = use_console();
    let draft = use_reducer(|| RefundDraft {
        what: if props.selected.is_some() {
            What::Everything
        } else {
            What::Payment
        },
        ..RefundDraft::default()
    });
    let task = use_task();
    // A refusal the form finds itself, before anything is sent.
    let local = use_state(|| None::<ApiError>);
    // The last body sent and its key: sending the same body again reuses the key, so a
    // retry after a lost answer never creates a second refund.
    let sent = use_mut_ref(|| None::<(super::refund_draft::CreateBody, String)>);
    let error = (*local).clone().or_else(|| task.error.clone());
    use_effect_with(error.clone(), |error| {
        if error.is_some() {
            focus_first_invalid("form[aria-label=\"Refund\"]");
        }
    });
    let onsubmit = {
        let (draft, task, local, selected) =
            (draft.clone(), task.clone(), local, props.selected.clone());
        let path = format!("/v1/checkout_sessions/{}/refunds", encode(&props.session));
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let (token, decimals) = selected
                .as_ref()
                .map_or(("", 0), |s| (s.token.as_str(), s.decimals));
            let body = match draft.body(token, decimals) {
                Ok(body) => body,
                Err(refusal) => return local.set(Some(refusal)),
            };
            local.set(None);
            let key = {
                let mut sent = sent.borrow_mut();
                match &*sent {
                    Some((last, key)) if *last == body => key.clone(),
                    _ => {
                        let key = new_idempotency_key();
                        *sent = Some((body.clone(), key.clone()));
                        key
                    }
                }
            };
            let (api, console, path) = (console.api.clone(), console.clone(), path.clone());
            task.run(
                async move { api.post_once::<RefundObject>(&path, &body, &key).await },
                move |refund| console.go(&Route::Refund(refund.id)),
            );
        })
    };
    let claimed = PARAMS.iter().any(|p| names_field(error.as_ref(), p));
    let close = props.on_close.reform(|_: MouseEvent| ());
    html! {
        <form class="panel" aria-label="Refund" novalidate=true {onsubmit}>
            <h2>{ "Refund" }</h2>
            { choices(&draft, props, error.as_ref()) }
            { address_field(&draft, props, error.as_ref()) }
            <div class="field">
                <label for="refund-reason">{ "Reason (optional, for your records)" }</label>
                <textarea id="refund-reason" rows="2" maxlength="500" value={draft.reason.clone()}
                    aria-invalid={names_field(error.as_ref(), "reason").then_some("true")}
                    aria-describedby={names_field(error.as_ref(), "reason").then_some("refund-reason-error")}
                    oninput={edit(&draft, |e: InputEvent| DraftEdit::Reason(
                        e.target_unchecked_into::<web_sys::HtmlTextAreaElement>().value()))} />
                <FieldError id="refund-reason-error" field="reason" error={error.clone()} />
            </div>
            <Alert error={error.clone().filter(|_| !claimed)} />
            <div class="actions">
                <button type="submit" disabled={task.busy}>{ "Create refund" }</button>
                <button type="button" class="secondary" onclick={close}>{ "Close" }</button>
                <span class="muted" role="status">{ if task.busy { "Creating…" } else { "" } }</span>
            </div>
        </form>
    }
}

fn edit<E: 'static>(
    draft: &UseReducerHandle<RefundDraft>,
    to_edit: impl Fn(E) -> DraftEdit + 'static,
) -> Callback<E> {
    let draft = draft.clone();
    Callback::from(move |e: E| draft.dispatch(to_edit(e)))
}

fn input_value(e: InputEvent) -> String {
    e.target_unchecked_into::<web_sys::HtmlInputElement>()
        .value()
}

/// The four ways to say how much, each a radio; the amount and payment fields beside theirs.
fn choices(
    draft: &UseReducerHandle<RefundDraft>,
    props: &RefundFormProps,
    error: Option<&ApiError>,
) -> Html {
    let radio = |what: What, label: Html| {
        html! {
            <label class="check">
                <input type="radio" name="refund-what" checked={draft.what == what}
                    onchange={edit(draft, move |_: Event| DraftEdit::What(what))} />
                <span>{ label }</span>
            </label>
        }
    };
    let amount_invalid = names_field(error, "amount") || names_field(error, "excess");
    html! {
        <fieldset>
            <legend>{ "What to refund" }</legend>
            if let Some(s) = &props.selected {
                { radio(What::Everything, html! {
                    <>{ "Everything still refundable: " }
                    <strong data-testid="refundable" data-base-units={s.refundable.clone()}>
                        { format!("{} {}", formatted(&s.refundable, s.decimals), s.token) }
                    </strong></>
                }) }
                if money::exceeds(&s.excess, "0") {
                    { radio(What::Excess, html! {
                        <>{ "Only the excess: " }
                        <strong data-testid="excess" data-base-units={s.excess.clone()}>
                            { format!("{} {}", formatted(&s.excess, s.decimals), s.token) }
                        </strong></>
                    }) }
                }
                { radio(What::Amount, html! { "An amount" }) }
                if draft.what == What::Amount {
                    <div class="field">
                        <label for="refund-amount">{ format!("Amount ({} on {})", s.token, s.chain) }</label>
                        <input id="refund-amount" type="text" inputmode="decimal" autocomplete="off"
                            placeholder="1.5" value={draft.amount.clone()}
                            aria-invalid={amount_invalid.then_some("true")}
                            aria-describedby={amount_invalid.then_some("refund-amount-error")}
                            oninput={edit(draft, |e| DraftEdit::Amount(input_value(e)))} />
                    </div>
                }
            }
            <FieldError id="refund-amount-error" field="amount" error={error.cloned()} />
            <FieldError id="refund-excess-error" field="excess" error={error.cloned()} />
            if !props.payments.is_empty() {
                { radio(What::Payment, html! { "One payment, in its own chain and token" }) }
            }
            if draft.what == What::Payment {
                { payment_field(draft, props, error) }
            }
        </fieldset>
    }
}

fn payment_field(
    draft: &UseReducerHandle<RefundDraft>,
    props: &RefundFormProps,
    error: Option<&ApiError>,
) -> Html {
    let invalid = names_field(error, "payment");
    html! {
        <div class="field">
            <label for="refund-payment">{ "Payment" }</label>
            <select id="refund-payment" aria-invalid={invalid.then_some("true")}
                aria-describedby={invalid.then_some("refund-payment-error")}
                onchange={edit(draft, |e: Event| DraftEdit::Payment(
                    e.target_unchecked_into::<web_sys::HtmlSelectElement>().value()))}>
                <option value="" selected={draft.payment.is_empty()}>{ "Choose a payment" }</option>
                { for props.payments.iter().map(|p| html! {
                    <option value={p.id.clone()} selected={draft.payment == p.id}>{ p.label.clone() }</option>
                }) }
            </select>
            <FieldError id="refund-payment-error" field="payment" error={error.cloned()} />
        </div>
    }
}

fn address_field(
    draft: &UseReducerHandle<RefundDraft>,
    props: &RefundFormProps,
    error: Option<&ApiError>,
) -> Html {
    let invalid = names_field(error, "address");
    let network = props
        .selected
        .as_ref()
        .map_or_else(|| "the payment's network".to_owned(), |s| s.chain.clone());
    let described = if invalid {
        "refund-address-hint refund-address-error"
    } else {
        "refund-address-hint"
    };
    html! {
        <div class="field">
            <label for="refund-address">{ "Shopper's address (optional)" }</label>
            <input id="refund-address" type="text" autocomplete="off" spellcheck="false" placeholder="0x…"
                value={draft.address.clone()} aria-invalid={invalid.then_some("true")} aria-describedby={described}
                oninput={edit(draft, |e| DraftEdit::Address(input_value(e)))} />
            <span class="muted hint" id="refund-address-hint">
                { format!("An address on {network} the shopper controls. Leave it empty to get a claim link \
                    where the shopper gives it.") }
            </span>
            <FieldError id="refund-address-error" field="address" error={error.cloned()} />
        </div>
    }
}

/// Base units in whole tokens (as they are when they do not read as base units).
fn formatted(base_units: &str, decimals: u8) -> String {
    money::format_units(base_units, decimals).unwrap_or_else(|| base_units.to_owned())
}

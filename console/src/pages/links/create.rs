//! The form that creates a payment link: one amount, or line items; any discounts; an
//! optional description and success URL. A refusal is shown next to the field it names.

use yew::prelude::*;

use super::Link;
use super::draft::{DiscountField, Draft, Edit, LineField, Off, Pricing};
use crate::api::ApiError;
use crate::components::{Alert, FieldError, focus_first_invalid, names_field};
use crate::hooks::{use_console, use_task};

#[derive(Properties, PartialEq)]
pub(super) struct CreateLinkProps {
    pub(super) on_created: Callback<Link>,
}

#[function_component(CreateLink)]
pub(super) fn create_link(props: &CreateLinkProps) -> Html {
    let api = use_console().api;
    let draft = use_reducer(Draft::default);
    let task = use_task();
    use_effect_with(task.error.clone(), |error| {
        if error.is_some() {
            focus_first_invalid("[data-page=\"links\"] form");
        }
    });
    let onsubmit = {
        let (draft, task, done) = (draft.clone(), task.clone(), props.on_created.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let (api, body, done, reset) = (api.clone(), draft.body(), done.clone(), draft.clone());
            task.run(
                async move { api.post::<Link>("/v1/payment_links", &body).await },
                move |link| {
                    reset.dispatch(Edit::Reset);
                    done.emit(link);
                },
            );
        })
    };
    let error = task.error.clone();
    let claimed = fields(&draft)
        .iter()
        .any(|f| names_field(error.as_ref(), f));
    let form_error = error.clone().filter(|_| !claimed);
    let pick = |pricing: Pricing| {
        let draft = draft.clone();
        Callback::from(move |_: Event| draft.dispatch(Edit::Pricing(pricing)))
    };
    html! {
        <form class="panel" aria-label="Create a payment link" novalidate=true {onsubmit}>
            <h2>{ "Create a payment link" }</h2>
            <fieldset>
                <legend>{ "Price" }</legend>
                <label class="check">
                    <input type="radio" name="link-pricing" checked={draft.pricing == Pricing::Amount}
                        onchange={pick(Pricing::Amount)} />{ " One amount" }
                </label>
                <label class="check">
                    <input type="radio" name="link-pricing" checked={draft.pricing == Pricing::LineItems}
                        onchange={pick(Pricing::LineItems)} />{ " Line items" }
                </label>
            </fieldset>
            if draft.pricing == Pricing::Amount {
                <div class="fields">
                    { text_field("link-amount", "Amount (USD)", "amount", &draft.amount, "49.99", &error,
                        edit(&draft, Edit::Amount)) }
                </div>
            } else {
                { for draft.lines.iter().enumerate().map(|(i, _)| line(&draft, i, &error)) }
                <div class="actions">
                    <button type="button" class="secondary" onclick={dispatch(&draft, Edit::AddLine)}>
                        { "Add line item" }
                    </button>
                </div>
            }
            { for draft.discounts.iter().enumerate().map(|(i, _)| discount(&draft, i, &error)) }
            <div class="actions">
                <button type="button" class="secondary" onclick={dispatch(&draft, Edit::AddDiscount)}>
                    { "Add discount" }
                </button>
            </div>
            <div class="fields">
                { text_field("link-description", "Description (optional)", "description", &draft.description,
                    "", &error, edit(&draft, Edit::Description)) }
                { text_field("link-success-url", "After payment, go to (optional URL)", "success_url",
                    &draft.success_url, "https://shop.example/thanks", &error, edit(&draft, Edit::SuccessUrl)) }
            </div>
            <Alert error={form_error} />
            <div class="actions">
                <button type="submit">{ "Create payment link" }</button>
                <span class="muted" role="status">{ if task.busy { "Creating…" } else { "" } }</span>
            </div>
        </form>
    }
}

/// The parameters the form's fields edit, to tell a refusal about one of them from one about
/// the whole order.
fn fields(draft: &Draft) -> Vec<String> {
    let mut out = vec!["description".to_owned(), "success_url".to_owned()];
    match draft.pricing {
        Pricing::Amount => out.push("amount".to_owned()),
        Pricing::LineItems => {
            for i in 0..draft.lines.len() {
                for field in ["name", "quantity", "unit_amount"] {
                    out.push(format!("line_items[{i}].{field}"));
                }
            }
        }
    }
    for (i, d) in draft.discounts.iter().enumerate() {
        out.push(format!("discounts[{i}].name"));
        out.push(format!("discounts[{i}].{}", d.off.param()));
    }
    out
}

fn line(draft: &UseReducerHandle<Draft>, i: usize, error: &Option<ApiError>) -> Html {
    let line = &draft.lines[i];
    let n = i + 1;
    let at = |field: &str| format!("line_items[{i}].{field}");
    let on = |field: LineField| {
        let draft = draft.clone();
        Callback::from(move |text: String| draft.dispatch(Edit::Line(i, field, text)))
    };
    html! {
        <fieldset class="row-fields" key={format!("line-{i}")}>
            <legend>{ format!("Line item {n}") }</legend>
            <div class="fields">
                { text_field(&format!("link-line-{i}-name"), "Name", &at("name"), &line.name, "Notebook", error,
                    on(LineField::Name)) }
                { text_field(&format!("link-line-{i}-quantity"), "Quantity", &at("quantity"), &line.quantity, "1",
                    error, on(LineField::Quantity)) }
                { text_field(&format!("link-line-{i}-unit"), "Unit amount (USD)", &at("unit_amount"), &line.unit_amount,
                    "8.00", error, on(LineField::UnitAmount)) }
                if draft.lines.len() > 1 {
                    <div class="field">
                        <button type="button" class="secondary" aria-label={format!("Remove line item {n}")}
                            onclick={dispatch(draft, Edit::RemoveLine(i))}>{ "Remove" }</button>
                    </div>
                }
            </div>
        </fieldset>
    }
}

fn discount(draft: &UseReducerHandle<Draft>, i: usize, error: &Option<ApiError>) -> Html {
    let discount = &draft.discounts[i];
    let n = i + 1;
    let on = |field: DiscountField| {
        let draft = draft.clone();
        Callback::from(move |text: String| draft.dispatch(Edit::Discount(i, field, text)))
    };
    let onchange = {
        let draft = draft.clone();
        Callback::from(move |e: Event| {
            let value = e
                .target_unchecked_into::<web_sys::HtmlSelectElement>()
                .value();
            let off = if value == "amount" {
                Off::Amount
            } else {
                Off::Percent
            };
            draft.dispatch(Edit::DiscountOff(i, off));
        })
    };
    let (value_label, placeholder) = match discount.off {
        Off::Percent => ("Percent off", "10"),
        Off::Amount => ("Amount off (USD)", "5.00"),
    };
    let kind_id = format!("link-discount-{i}-kind");
    html! {
        <fieldset class="row-fields" key={format!("discount-{i}")}>
            <legend>{ format!("Discount {n}") }</legend>
            <div class="fields">
                { text_field(&format!("link-discount-{i}-name"), "Name", &format!("discounts[{i}].name"), &discount.name,
                    "SPRING", error, on(DiscountField::Name)) }
                <div class="field">
                    <label for={kind_id.clone()}>{ "Kind" }</label>
                    <select id={kind_id} {onchange}>
                        <option value="percent" selected={discount.off == Off::Percent}>{ "Percent off" }</option>
                        <option value="amount" selected={discount.off == Off::Amount}>{ "Amount off" }</option>
                    </select>
                </div>
                { text_field(&format!("link-discount-{i}-value"), value_label,
                    &format!("discounts[{i}].{}", discount.off.param()), &discount.value, placeholder, error,
                    on(DiscountField::Value)) }
                <div class="field">
                    <button type="button" class="secondary" aria-label={format!("Remove discount {n}")}
                        onclick={dispatch(draft, Edit::RemoveDiscount(i))}>{ "Remove" }</button>
                </div>
            </div>
        </fieldset>
    }
}

/// A labelled text input for the parameter `param`, with the API's refusal of it beneath.
fn text_field(
    id: &str,
    label: &str,
    param: &str,
    value: &str,
    placeholder: &str,
    error: &Option<ApiError>,
    on_text: Callback<String>,
) -> Html {
    let invalid = names_field(error.as_ref(), param);
    let error_id = format!("{id}-error");
    let oninput = on_text.reform(|e: InputEvent| {
        e.target_unchecked_into::<web_sys::HtmlInputElement>()
            .value()
    });
    let inputmode = if param.ends_with("quantity") {
        Some("numeric")
    } else if param == "amount" || param.ends_with("amount") || param.ends_with("_off") {
        Some("decimal")
    } else {
        None
    };
    html! {
        <div class="field">
            <label for={id.to_owned()}>{ label.to_owned() }</label>
            <input id={id.to_owned()} type="text" autocomplete="off" value={value.to_owned()}
                placeholder={(!placeholder.is_empty()).then(|| placeholder.to_owned())} {inputmode}
                aria-invalid={invalid.then_some("true")} aria-describedby={invalid.then(|| error_id.clone())}
                {oninput} />
            <FieldError id={error_id} field={param.to_owned()} error={error.clone()} />
        </div>
    }
}

fn edit(draft: &UseReducerHandle<Draft>, to: fn(String) -> Edit) -> Callback<String> {
    let draft = draft.clone();
    Callback::from(move |text: String| draft.dispatch(to(text)))
}

fn dispatch(draft: &UseReducerHandle<Draft>, edit: Edit) -> Callback<MouseEvent> {
    let draft = draft.clone();
    Callback::from(move |_: MouseEvent| draft.dispatch(edit.clone()))
}

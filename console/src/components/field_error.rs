//! The API's refusal next to the form field it names (`param`): a `role="alert"` paragraph
//! with an id for the field's `aria-describedby`, absent when the refusal is about another
//! field.

use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::api::ApiError;

/// Whether `error` is about `field`: its `param` is the field itself or a part of it
/// (`allowed_origins[2]`, `branding.logo_url`, `amount.value`).
pub fn names_field(error: Option<&ApiError>, field: &str) -> bool {
    error
        .and_then(|e| e.param.as_deref())
        .and_then(|param| param.strip_prefix(field))
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['[', '.']))
}

/// Moves the focus to the first field inside `scope` (a CSS selector) marked
/// `aria-invalid`, so the keyboard is where the message is.
pub fn focus_first_invalid(scope: &str) {
    let field = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| {
            d.query_selector(&format!("{scope} [aria-invalid=\"true\"]"))
                .ok()
                .flatten()
        })
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(field) = field {
        let _ = field.focus();
    }
}

#[derive(Properties, PartialEq)]
pub struct FieldErrorProps {
    /// The paragraph's id, which the field names in `aria-describedby`.
    pub id: AttrValue,
    /// The parameter the field edits.
    pub field: AttrValue,
    pub error: Option<ApiError>,
}

#[function_component(FieldError)]
pub fn field_error(props: &FieldErrorProps) -> Html {
    match &props.error {
        Some(error) if names_field(Some(error), &props.field) => html! {
            <p class="alert" role="alert" id={props.id.clone()} data-param={error.param.clone()}>
                { error.message.clone() }
            </p>
        },
        _ => Html::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(param: Option<&str>) -> ApiError {
        ApiError {
            param: param.map(str::to_owned),
            ..ApiError::local("no")
        }
    }

    #[test]
    fn a_refusal_names_its_field_and_the_fields_parts_only() {
        let named = |param, field| names_field(Some(&refused(param)), field);
        assert!(named(Some("session_ttl_secs"), "session_ttl_secs"));
        assert!(named(Some("allowed_origins[1]"), "allowed_origins"));
        assert!(named(Some("branding.logo_url"), "branding.logo_url"));
        assert!(named(Some("amount.value"), "amount"));
        assert!(named(
            Some("line_items[0].quantity"),
            "line_items[0].quantity"
        ));
        assert!(!named(Some("line_items[0].quantity"), "line_items[0].name"));
        assert!(!named(Some("line_items[10].name"), "line_items[1].name"));
        assert!(!named(Some("late_grace_secs"), "late_grace"));
        assert!(!named(Some("branding"), "branding.logo_url"));
        assert!(!named(None, "url"));
        assert!(!names_field(None, "url"));
    }
}

//! What went wrong, in the API's own words: a `role="alert"` paragraph, absent when there is
//! nothing to say.

use yew::prelude::*;

use crate::api::ApiError;

#[derive(Properties, PartialEq)]
pub struct AlertProps {
    /// A refusal from the API: its message is shown.
    #[prop_or_default]
    pub error: Option<ApiError>,
    /// A message of the console's own (shown when there is no `error`).
    #[prop_or_default]
    pub message: Option<AttrValue>,
}

#[function_component(Alert)]
pub fn alert(props: &AlertProps) -> Html {
    let text = props
        .error
        .as_ref()
        .map(|e| AttrValue::from(e.message.clone()))
        .or_else(|| props.message.clone());
    let code = props.error.as_ref().map(|e| e.code.clone());
    match text {
        Some(text) => html! { <p class="alert" role="alert" data-code={code}>{ text }</p> },
        None => Html::default(),
    }
}

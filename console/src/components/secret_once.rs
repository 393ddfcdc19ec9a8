//! A secret the API shows once (a new key, a webhook secret): in full, with a copy button,
//! and a plain warning that it will not be shown again.

use yew::prelude::*;

use super::CopyButton;

#[derive(Properties, PartialEq)]
pub struct SecretOnceProps {
    /// What it is: "New secret key", "Signing secret", …
    pub label: AttrValue,
    pub secret: AttrValue,
}

#[function_component(SecretOnce)]
pub fn secret_once(props: &SecretOnceProps) -> Html {
    html! {
        <div class="secret-once" data-testid="secret-once">
            <p><strong>{ props.label.clone() }</strong>{ " — shown once: copy it now and keep it safe." }</p>
            <code class="secret">{ props.secret.clone() }</code>
            <CopyButton text={props.secret.clone()} />
        </div>
    }
}

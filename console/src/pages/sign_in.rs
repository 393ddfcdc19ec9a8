//! The sign-in form: paste a secret key, get a console session for the key's mode. The key
//! is sent once and dropped from the page; nothing of any account shows before it works.

use yew::prelude::*;

use crate::api::Api;
use crate::components::Alert;
use crate::hooks::{read_account, use_task};
use crate::model::{Account, Mode};

#[derive(Properties, PartialEq)]
pub struct SignInProps {
    /// The mode the merchant is looking at (a key of the other mode signs in to that one).
    pub mode: Mode,
    /// Why the last console session of this mode ended, when it did.
    #[prop_or_default]
    pub message: Option<String>,
    pub on_signed_in: Callback<(Mode, Account)>,
}

#[function_component(SignInPage)]
pub fn sign_in_page(props: &SignInProps) -> Html {
    let key_input = use_node_ref();
    let task = use_task();
    let onsubmit = {
        let (key_input, task, mode) = (key_input.clone(), task.clone(), props.mode);
        let done = props.on_signed_in.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let Some(input) = key_input.cast::<web_sys::HtmlInputElement>() else {
                return;
            };
            let key = input.value().trim().to_owned();
            let done = done.clone();
            task.run(
                async move {
                    let session = Api::new(mode, Callback::noop()).sign_in(&key).await?;
                    let mode = Mode::from_livemode(session.livemode);
                    let api = Api::new(mode, Callback::noop());
                    // The name is only for the header: the account id will do without it.
                    let account = read_account(&api).await.unwrap_or(Account {
                        name: session.account_id.clone(),
                        id: session.account_id,
                    });
                    Ok((mode, account))
                },
                move |signed_in| {
                    input.set_value("");
                    done.emit(signed_in);
                },
            );
        })
    };
    let placeholder = match props.mode {
        Mode::Test => "sk_test_…",
        Mode::Live => "sk_live_…",
    };
    // The last attempt's refusal, else why the last session ended.
    let message = if task.error.is_some() {
        None
    } else {
        props.message.clone().map(AttrValue::from)
    };
    html! {
        <section class="page sign-in" data-page="sign-in">
            <h1>{ format!("Sign in to {} mode", props.mode.as_str()) }</h1>
            <p class="muted">
                { "Paste a secret key of your Kasse account. The key is sent once to start a console session \
                   (a cookie this browser keeps for 12 hours of inactivity); it is not stored in the browser." }
            </p>
            <form aria-label="Sign in" {onsubmit}>
                <label for="api-key">{ "Secret key" }</label>
                <input id="api-key" type="password" autocomplete="off" spellcheck="false"
                    placeholder={placeholder} ref={key_input} />
                <button type="submit" disabled={task.busy}>{ "Sign in" }</button>
            </form>
            <Alert error={task.error.clone()} {message} />
        </section>
    }
}

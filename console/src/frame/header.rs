//! The header: who is signed in, the mode (with a badge while in test), the mode switch and
//! signing out. Signed out, it shows nothing of the account.

use yew::prelude::*;

use super::ModeSwitch;
use crate::api::Api;
use crate::components::Alert;
use crate::hooks::use_task;
use crate::model::{Account, Mode};

#[derive(Properties, PartialEq)]
pub struct HeaderProps {
    pub mode: Mode,
    /// The shown mode's account, when it is signed in.
    pub account: Option<Account>,
    pub api: Api,
    pub on_show: Callback<Mode>,
    pub on_signed_out: Callback<Mode>,
}

#[function_component(Header)]
pub fn header(props: &HeaderProps) -> Html {
    let task = use_task();
    let sign_out = {
        let (task, api, done) = (task.clone(), props.api.clone(), props.on_signed_out.clone());
        Callback::from(move |_: MouseEvent| {
            let (api, done) = (api.clone(), done.clone());
            let mode = api.mode;
            task.run(async move { api.sign_out().await }, move |()| {
                done.emit(mode)
            });
        })
    };
    html! {
        <header class="top">
            <div class="brand">
                <span class="logo">{ "Kasse" }</span>
                if let Some(account) = &props.account {
                    <span class="account" title={account.id.clone()} data-account-id={account.id.clone()}>
                        { account.name.clone() }
                    </span>
                }
                if props.mode == Mode::Test {
                    <span class="test-badge">{ "TEST MODE" }</span>
                }
            </div>
            <div class="controls">
                <ModeSwitch mode={props.mode} on_show={props.on_show.clone()} />
                if props.account.is_some() {
                    <button type="button" class="secondary" onclick={sign_out} disabled={task.busy}>
                        { "Sign out" }
                    </button>
                }
            </div>
            <Alert error={task.error.clone()} />
        </header>
    }
}

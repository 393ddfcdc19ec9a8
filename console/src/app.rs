//! The root: the frame's state ([`Shell`]), the fragment it follows, the sign-in gate, and
//! the page of the route inside the signed-in context.

use yew::prelude::*;

use crate::api::Api;
use crate::frame::{Header, Nav};
use crate::hooks::{Console, use_hash_route, use_probe};
use crate::model::{Action, Shell, SignIn};
use crate::pages::{self, SignInPage};
use crate::route::Route;

/// The route of the address bar now.
fn current_route() -> Route {
    let hash = web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default();
    Route::parse(&hash)
}

#[function_component(App)]
pub fn app() -> Html {
    let shell = use_reducer(|| Shell::new(current_route()));
    use_hash_route(&shell);
    let ended = {
        let shell = shell.clone();
        Callback::from(move |(mode, message)| shell.dispatch(Action::Ended { mode, message }))
    };
    use_probe(&shell);
    let mode = shell.mode;
    let api = Api::new(mode, ended);
    let on_show = {
        let shell = shell.clone();
        Callback::from(move |mode| shell.dispatch(Action::Show(mode)))
    };
    let on_signed_out = {
        let shell = shell.clone();
        Callback::from(move |mode| shell.dispatch(Action::SignedOut(mode)))
    };
    let account = match shell.current() {
        SignIn::SignedIn(account) => Some(account.clone()),
        _ => None,
    };
    let body = match shell.current() {
        SignIn::Asking => html! {
            <main id="main" class="main"><p class="muted" role="status">{ "Loading…" }</p></main>
        },
        SignIn::SignedOut { message } => {
            let on_signed_in = {
                let shell = shell.clone();
                Callback::from(move |(mode, account)| {
                    shell.dispatch(Action::SignedIn { mode, account });
                })
            };
            html! {
                <main id="main" class="main">
                    <SignInPage {mode} message={message.clone()} {on_signed_in} />
                </main>
            }
        }
        SignIn::SignedIn(account) => {
            let on_account = {
                let shell = shell.clone();
                Callback::from(move |account| {
                    shell.dispatch(Action::AccountChanged { mode, account })
                })
            };
            let console = Console {
                api: api.clone(),
                mode,
                account: account.clone(),
                on_account,
            };
            // Keyed by mode: switching mode starts every page afresh, nothing carries over.
            html! {
                <ContextProvider<Console> context={console}>
                    <Nav route={shell.route.clone()} />
                    <main id="main" class="main" key={mode.as_str()}>{ pages::view(&shell.route) }</main>
                </ContextProvider<Console>>
            }
        }
    };
    html! {
        <>
            <a class="skip" href="#main" onclick={skip_to_main()}>{ "Skip to content" }</a>
            <Header {mode} {account} {api} {on_show} {on_signed_out} />
            { body }
        </>
    }
}

/// The skip link moves focus without touching the fragment (the fragment is the route).
fn skip_to_main() -> Callback<MouseEvent> {
    Callback::from(|event: MouseEvent| {
        event.prevent_default();
        let main = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id("main"));
        if let Some(main) =
            main.and_then(|m| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(m).ok())
        {
            let _ = main.set_attribute("tabindex", "-1");
            let _ = main.focus();
        }
    })
}

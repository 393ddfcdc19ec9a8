//! What became of the session once the shopper's part is done: a payment detected and
//! confirming, paid, or closed without a payment (expired, canceled, failed).

use kasse_shared::shopper::{Confirmations, ShopperView};
use yew::prelude::*;

use crate::model::Screen;
use crate::strings as s;

/// The screen for `screen`; `redirecting` when the page goes on to `success_url` by itself
/// (the hosted page).
pub fn screen(screen: Screen, view: &ShopperView, redirecting: bool) -> Html {
    match screen {
        Screen::Detected => detected(view.confirmations.as_ref()),
        Screen::Paid => paid(s::SUCCESS_BODY, view, redirecting),
        Screen::PaidLate => paid(s::PAID_LATE_BODY, view, redirecting),
        Screen::Overpaid => paid(s::OVERPAID_BODY, view, redirecting),
        Screen::Expired => html! {
            <>
                <h2>{ s::EXPIRED_TITLE }</h2>
                <p>{ s::EXPIRED_BODY }</p>
                if let Some(url) = &view.restart_url {
                    <a class="kasse-button" href={url.clone()}>{ s::START_AGAIN }</a>
                }
            </>
        },
        Screen::Canceled => html! {
            <><h2>{ s::CANCELED_TITLE }</h2><p>{ s::CANCELED_BODY }</p></>
        },
        Screen::Failed => html! {
            <><h2>{ s::FAILED_TITLE }</h2><p>{ s::FAILED_BODY }</p></>
        },
        Screen::Loading | Screen::Error | Screen::Choose | Screen::Pay | Screen::Underpaid => {
            html! {}
        }
    }
}

fn detected(confirmations: Option<&Confirmations>) -> Html {
    html! {
        <>
            <h2>{ s::DETECTED_TITLE }</h2>
            <p>{ s::DETECTED_BODY }</p>
            if let Some(c) = confirmations {
                <p>{ format!("{}: {} / {}", s::CONFIRMATIONS, c.current.min(u64::from(c.required)), c.required) }</p>
                <progress max={c.required.to_string()} value={c.current.min(u64::from(c.required)).to_string()} aria-label={s::CONFIRMATIONS}></progress>
            }
        </>
    }
}

fn paid(body: &'static str, view: &ShopperView, redirecting: bool) -> Html {
    html! {
        <>
            <h2>{ s::SUCCESS_TITLE }</h2>
            <p>{ body }</p>
            if let Some(url) = &view.success_url {
                <a class="kasse-button" href={url.clone()}>{ s::CONTINUE }</a>
                if redirecting { <p class="kasse-muted">{ s::REDIRECTING }</p> }
            }
        </>
    }
}

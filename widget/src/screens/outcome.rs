//! What became of the session once the shopper's part is done: a payment detected and
//! confirming, paid (with its receipt), or closed without a payment (expired, canceled,
//! failed).

use kasse_shared::shopper::{Confirmations, ShopperView};
use yew::prelude::*;

use super::receipt;
use crate::model::{Model, Screen};
use crate::strings::{self as s, Key};

/// The screen for `screen`; `redirecting` when the page goes on to `success_url` by itself
/// (the hosted page).
pub fn screen(screen: Screen, view: &ShopperView, model: &Model, redirecting: bool) -> Html {
    let locale = model.catalogue.locale;
    match screen {
        Screen::Detected => detected(view.confirmations.as_ref()),
        Screen::Paid => paid(s::SUCCESS_BODY, view, locale, redirecting),
        Screen::PaidLate => paid(s::PAID_LATE_BODY, view, locale, redirecting),
        Screen::Overpaid => paid(s::OVERPAID_BODY, view, locale, redirecting),
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
    // The network may report more than the required depth before the status moves on.
    let counts = confirmations.map(|c| {
        let required = u64::from(c.required);
        (c.current.min(required), required)
    });
    html! {
        <>
            <h2>{ s::DETECTED_TITLE }</h2>
            <p>{ s::DETECTED_BODY }</p>
            if let Some((current, required)) = counts {
                <p>{ s::label_value(s::CONFIRMATIONS, &format!("{current} / {required}")) }</p>
                <progress max={required.to_string()} value={current.to_string()} aria-label={s::CONFIRMATIONS}></progress>
            }
        </>
    }
}

/// A success: the receipt, with its time as `locale` writes times.
fn paid(body: Key, view: &ShopperView, locale: &str, redirecting: bool) -> Html {
    html! {
        <>
            <h2>{ s::SUCCESS_TITLE }</h2>
            <p>{ body }</p>
            { for view.receipt.as_ref().map(|r| receipt::section(r, locale)) }
            if let Some(url) = &view.success_url {
                <a class="kasse-button" href={url.clone()}>{ s::CONTINUE }</a>
                if redirecting { <p class="kasse-muted">{ s::REDIRECTING }</p> }
            }
        </>
    }
}

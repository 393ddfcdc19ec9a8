//! Components. They render the [`Model`] and dispatch actions; the I/O (polling the public
//! view, the clock) lives in the root's effects.

use std::cell::Cell;
use std::rc::Rc;

use gloo_timers::callback::Interval;
use gloo_timers::future::TimeoutFuture;
use kasse_shared::shopper::ShopperView;
use yew::prelude::*;

use crate::model::{Action, Model, Screen, countdown};
use crate::strings as s;

/// Seconds between refreshes of the public view (spec §8).
const POLL_SECS: u32 = 10;

#[derive(Properties, PartialEq, Clone)]
pub struct CheckoutProps {
    pub session: AttrValue,
    pub client_secret: AttrValue,
    /// Origin of the Kasse deployment, e.g. `https://pay.example` (no trailing slash).
    pub api_base: AttrValue,
}

fn local_now() -> u64 {
    // Date.now() is an integral number of milliseconds, far below 2^53.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let ms = js_sys::Date::now() as u64;
    ms / 1000
}

async fn fetch_view(props: &CheckoutProps) -> Result<ShopperView, String> {
    let url = format!(
        "{}/v1/public/checkout_sessions/{}",
        props.api_base, props.session
    );
    let response = gloo_net::http::Request::get(&url)
        .header("Kasse-Client-Secret", &props.client_secret)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !response.ok() {
        return Err(format!("HTTP {}", response.status()));
    }
    response
        .json::<ShopperView>()
        .await
        .map_err(|e| e.to_string())
}

#[function_component(Checkout)]
pub fn checkout(props: &CheckoutProps) -> Html {
    let model = use_reducer(Model::default);

    {
        let model = model.clone();
        let props = props.clone();
        use_effect_with((), move |()| {
            let alive = Rc::new(Cell::new(true));
            let running = alive.clone();
            wasm_bindgen_futures::spawn_local(async move {
                while running.get() {
                    match fetch_view(&props).await {
                        Ok(view) => {
                            let done = view.status.is_final();
                            model.dispatch(Action::Loaded {
                                view: Box::new(view),
                                local_now: local_now(),
                            });
                            if done {
                                break;
                            }
                        }
                        Err(e) => model.dispatch(Action::Failed(e)),
                    }
                    TimeoutFuture::new(POLL_SECS * 1000).await;
                }
            });
            move || alive.set(false)
        });
    }
    {
        let model = model.clone();
        use_effect_with((), move |()| {
            let tick = Interval::new(1000, move || model.dispatch(Action::Tick(local_now())));
            move || drop(tick)
        });
    }

    let screen = model.screen();
    let body = match (screen, model.view.as_ref()) {
        (Screen::Pay, Some(view)) => pay_screen(view, &model),
        (Screen::Underpaid, Some(view)) => html! {
            <>
                <h2>{ s::UNDERPAID_TITLE }</h2>
                <p>{ format!("{}: {} {}", s::REMAINING, view.amount_remaining.clone().unwrap_or_default(),
                    view.payment_amount.as_ref().map(|a| a.token.as_str()).unwrap_or("")) }</p>
                { pay_screen(view, &model) }
            </>
        },
        (Screen::Detected, Some(view)) => html! {
            <>
                <h2>{ s::DETECTED_TITLE }</h2>
                if let Some(c) = &view.confirmations {
                    <p>{ format!("{}: {} / {}", s::CONFIRMATIONS, c.current, c.required) }</p>
                    <progress max={c.required.to_string()} value={c.current.to_string()} aria-label={s::CONFIRMATIONS}></progress>
                }
            </>
        },
        (Screen::Success, Some(view)) => html! {
            <>
                <h2>{ s::SUCCESS_TITLE }</h2>
                <p>{ s::SUCCESS_BODY }</p>
                if let Some(url) = &view.success_url {
                    <a class="kasse-button" href={url.clone()}>{ s::CONTINUE }</a>
                }
            </>
        },
        (Screen::Expired, Some(_)) => {
            html! { <><h2>{ s::EXPIRED_TITLE }</h2><p>{ s::EXPIRED_BODY }</p></> }
        }
        (Screen::Closed, Some(_)) => html! { <h2>{ s::CLOSED_TITLE }</h2> },
        _ if model.error.is_some() => {
            html! { <p class="kasse-error" role="alert">{ s::LOAD_FAILED }</p> }
        }
        _ => html! { <p class="kasse-muted">{ s::LOADING }</p> },
    };

    let links = model.view.as_ref().map(|view| {
        html! {
            <nav class="kasse-links">
                if let Some(url) = &view.return_url { <a href={url.clone()}>{ s::BACK_TO_SHOP }</a> }
                if let (Some(url), false) = (&view.cancel_url, view.status.is_final()) { <a href={url.clone()}>{ s::CANCEL }</a> }
            </nav>
        }
    });

    html! {
        <section class="kasse" aria-label="Crypto checkout" data-kasse-ready="true" data-kasse-status={model.view.as_ref().map(|v| v.status.as_str())}>
            <style>{ STYLE }</style>
            if let Some(view) = &model.view {
                <header class="kasse-head">
                    <span>{ &view.branding.display_name }</span>
                    <strong>{ format!("{} {} {}", s::TOTAL, view.amount_total, view.currency) }</strong>
                </header>
            }
            <div aria-live="polite">{ body }</div>
            { for links }
        </section>
    }
}

fn pay_screen(view: &ShopperView, model: &Model) -> Html {
    let (Some(uri), Some(option)) = (&view.payment_uri, &view.selected) else {
        return html! {};
    };
    let amount = view
        .amount_remaining
        .clone()
        .unwrap_or_else(|| option.amount_formatted.clone());
    html! {
        <div class="kasse-pay">
            <h2 class="kasse-sr">{ s::PAY_TITLE }</h2>
            <div class="kasse-qr" role="img" aria-label={format!("QR code: {uri}")} data-payment-uri={uri.clone()}>
                { Html::from_html_unchecked(AttrValue::from(qr_svg(uri))) }
            </div>
            <p class="kasse-warning">{ format!("{} {}. {}", s::ONLY_ON, option.chain, s::ONLY_ON_WARNING) }</p>
            <Copyable label={s::SEND_EXACTLY} value={amount.clone()} display={format!("{amount} {}", option.token)} />
            <Copyable label={s::TO_ADDRESS} value={view.address.clone()} display={view.address.clone()} />
            <p class="kasse-countdown">{ format!("{} {}", s::EXPIRES_IN, countdown(model.seconds_left().unwrap_or(0))) }</p>
            <a class="kasse-button" href={uri.clone()}>{ s::OPEN_WALLET }</a>
        </div>
    }
}

fn qr_svg(uri: &str) -> String {
    match qrcode::QrCode::new(uri.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(220, 220)
            .quiet_zone(true)
            .build(),
        Err(_) => String::new(),
    }
}

#[derive(Properties, PartialEq)]
struct CopyableProps {
    label: AttrValue,
    value: AttrValue,
    display: AttrValue,
}

#[function_component(Copyable)]
fn copyable(props: &CopyableProps) -> Html {
    let copied = use_state(|| false);
    let onclick = {
        let value = props.value.clone();
        let copied = copied.clone();
        Callback::from(move |_| {
            if let Some(window) = web_sys::window() {
                let _ = window.navigator().clipboard().write_text(&value);
                copied.set(true);
            }
        })
    };
    html! {
        <div class="kasse-copy">
            <span class="kasse-label">{ &props.label }</span>
            <code>{ &props.display }</code>
            <button type="button" {onclick} aria-label={format!("{} {}", s::COPY, props.label)}>
                { if *copied { s::COPIED } else { s::COPY } }
            </button>
        </div>
    }
}

const STYLE: &str = "
.kasse{font:15px/1.4 system-ui,sans-serif;color:#14213d;background:#fff;border:1px solid #d6dce5;border-radius:12px;padding:16px;max-width:420px}
.kasse h2{font-size:18px;margin:8px 0}
.kasse-head{display:flex;justify-content:space-between;gap:8px;border-bottom:1px solid #e6e9ef;padding-bottom:8px}
.kasse-qr svg{display:block;margin:8px auto;width:220px;height:220px}
.kasse-copy{display:flex;flex-wrap:wrap;align-items:center;gap:6px;margin:8px 0}
.kasse-copy code{word-break:break-all;flex:1 1 12em}
.kasse-label{width:100%;font-size:13px;color:#4a5568}
.kasse-warning{background:#fff7e0;border-radius:6px;padding:6px 8px;font-size:13px}
.kasse-button{display:inline-block;background:#1f3a5f;color:#fff;border-radius:8px;padding:8px 14px;text-decoration:none}
.kasse button{font:inherit;padding:4px 10px;border-radius:6px;border:1px solid #1f3a5f;background:#fff;color:#1f3a5f}
.kasse-links{display:flex;gap:12px;margin-top:12px}
.kasse-error{color:#9b1c1c}
.kasse-sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
";

//! Components. They render the [`Model`] and dispatch actions; the I/O (polling the public
//! view, checks, selecting, the clock) lives in the root's effects and callbacks.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_timers::callback::Interval;
use gloo_timers::future::TimeoutFuture;
use kasse_shared::shopper::{ShopperOption, ShopperView, WalletTransaction};
use kasse_shared::status::Status;
use yew::prelude::*;

use crate::model::{Action, Model, Screen, Wallet, countdown};
use crate::strings as s;

/// Polling cadence of spec §8, in seconds.
const POLL_SECS: u64 = 10;
const POLL_HIDDEN_SECS: u64 = 60;
const POLL_FAST_SECS: u64 = 3;
/// While the pay screen is open, a public check at most this often, so QR payers see
/// detection in seconds rather than at the next cron run.
const CHECK_SECS: u64 = 15;
/// The hosted page goes on to `success_url` this long after the success screen shows.
const REDIRECT_MS: u32 = 2_500;

#[derive(Properties, Clone)]
pub struct CheckoutProps {
    pub session: AttrValue,
    pub client_secret: AttrValue,
    /// Origin of the Kasse deployment, e.g. `https://pay.example` (no trailing slash).
    pub api_base: AttrValue,
    /// Told every status the widget shows (the loader turns it into `kasse:status`).
    pub on_status: Callback<String>,
    /// The hosted page follows `success_url` after a payment; an embedded widget does not.
    pub redirect_on_success: bool,
}

impl PartialEq for CheckoutProps {
    fn eq(&self, other: &Self) -> bool {
        self.session == other.session
            && self.client_secret == other.client_secret
            && self.api_base == other.api_base
            && self.redirect_on_success == other.redirect_on_success
    }
}

fn local_now() -> u64 {
    // Date.now() is an integral number of milliseconds, far below 2^53.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let ms = js_sys::Date::now() as u64;
    ms / 1000
}

fn tab_hidden() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| d.hidden())
}

/// What the poller shares with the callbacks: it lives as long as the component.
#[derive(Default)]
struct Live {
    alive: Cell<bool>,
    /// Fetch now instead of at the next tick (the retry button, a selection).
    wake: Cell<bool>,
    etag: RefCell<Option<String>>,
    /// Poll every 3 s until then (after a wallet send).
    fast_until: Cell<u64>,
    last_check: Cell<u64>,
    last_status: RefCell<Option<Status>>,
    /// The last view had an option selected (so there is something to check for).
    selected: Cell<bool>,
}

enum Fetched {
    View(Box<ShopperView>),
    NotModified,
}

async fn fetch_view(props: &CheckoutProps, live: &Live) -> Result<Fetched, String> {
    let url = format!(
        "{}/v1/public/checkout_sessions/{}",
        props.api_base, props.session
    );
    let mut request =
        gloo_net::http::Request::get(&url).header("Kasse-Client-Secret", &props.client_secret);
    if let Some(tag) = live.etag.borrow().as_deref() {
        request = request.header("If-None-Match", tag);
    }
    let response = request.send().await.map_err(|e| e.to_string())?;
    if response.status() == 304 {
        return Ok(Fetched::NotModified);
    }
    if !response.ok() {
        return Err(format!("HTTP {}", response.status()));
    }
    let etag = response.headers().get("etag");
    let view = read_json::<ShopperView>(response).await?;
    // Only a view that arrived whole may be the base of later 304s.
    *live.etag.borrow_mut() = etag;
    Ok(Fetched::View(Box::new(view)))
}

/// Parses a JSON body with the browser's parser, then maps it with serde.
async fn read_json<T: serde::de::DeserializeOwned>(
    response: gloo_net::http::Response,
) -> Result<T, String> {
    let promise = web_sys::Response::from(response)
        .json()
        .map_err(|_| "the body is not JSON".to_owned())?;
    let value = wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(|_| "the body is not JSON".to_owned())?;
    serde_wasm_bindgen::from_value(value).map_err(|e| e.to_string())
}

/// The bodies the widget sends, typed (no `serde_json::Value` in the bundle).
#[derive(serde::Serialize)]
#[serde(untagged)]
enum Body<'a> {
    Select { chain_id: u64, token: &'a str },
    Check { tx_hash: Option<&'a str> },
}

/// `{"error": {"code": …}}`: all the widget reads of an error.
#[derive(serde::Deserialize)]
struct ErrorBody {
    error: ErrorCode,
}

#[derive(serde::Deserialize)]
struct ErrorCode {
    code: String,
}

/// A public POST (`select`, `check`) that answers with the shopper view.
async fn post_view(
    props: &CheckoutProps,
    action: &str,
    body: &Body<'_>,
) -> Result<ShopperView, (u16, String)> {
    let url = format!(
        "{}/v1/public/checkout_sessions/{}/{action}",
        props.api_base, props.session
    );
    let json = serde_wasm_bindgen::to_value(body)
        .ok()
        .and_then(|v| js_sys::JSON::stringify(&v).ok())
        .and_then(|s| s.as_string())
        .ok_or((0, "the body could not be written".to_owned()))?;
    let response = gloo_net::http::Request::post(&url)
        .header("Kasse-Client-Secret", &props.client_secret)
        .header("Content-Type", "application/json")
        .body(json)
        .map_err(|e| (0, e.to_string()))?
        .send()
        .await
        .map_err(|e| (0, e.to_string()))?;
    if !response.ok() {
        let status = response.status();
        let code = read_json::<ErrorBody>(response)
            .await
            .map(|e| e.error.code)
            .unwrap_or_default();
        return Err((status, code));
    }
    read_json::<ShopperView>(response).await.map_err(|e| (0, e))
}

/// Hands a view to the model, and tells the page when the status changed.
fn deliver(
    view: Box<ShopperView>,
    model: &UseReducerHandle<Model>,
    live: &Live,
    on_status: &Callback<String>,
) {
    let status = view.status;
    let changed = live.last_status.borrow().as_ref() != Some(&status);
    *live.last_status.borrow_mut() = Some(status);
    live.selected.set(view.selected.is_some());
    model.dispatch(Action::Loaded {
        view,
        local_now: local_now(),
    });
    if changed {
        on_status.emit(status.as_str().to_owned());
    }
}

/// The poller: the public view at the cadence of spec §8 (with its ETag), and the public
/// check every 15 s while the shopper is on the pay screen. Stops at a final status or
/// when the component goes away.
async fn poll(props: CheckoutProps, model: UseReducerHandle<Model>, live: Rc<Live>) {
    // The first check comes one interval after the pay screen opens.
    live.last_check.set(local_now());
    while live.alive.get() {
        live.wake.set(false);
        let status = *live.last_status.borrow();
        let paying =
            matches!(status, Some(Status::Pending | Status::Underpaid)) && live.selected.get();
        let now = local_now();
        let result = if paying && now >= live.last_check.get() + CHECK_SECS {
            live.last_check.set(now);
            match post_view(&props, "check", &Body::Check { tx_hash: None }).await {
                Ok(view) => Ok(Fetched::View(Box::new(view))),
                // Rate-limited or briefly unavailable: the plain view still answers.
                Err(_) => fetch_view(&props, &live).await,
            }
        } else {
            fetch_view(&props, &live).await
        };
        if !live.alive.get() {
            return;
        }
        match result {
            Ok(Fetched::View(view)) => {
                let done = view.status.is_final();
                deliver(view, &model, &live, &props.on_status);
                if done {
                    return;
                }
            }
            Ok(Fetched::NotModified) => model.dispatch(Action::Unchanged(local_now())),
            Err(e) => model.dispatch(Action::Failed(e)),
        }
        let now = local_now();
        let mut secs = if tab_hidden() {
            POLL_HIDDEN_SECS
        } else if now < live.fast_until.get() {
            POLL_FAST_SECS
        } else {
            POLL_SECS
        };
        if paying && !tab_hidden() {
            // Wake for the next check rather than rounding it up to the next poll.
            let check_due = (live.last_check.get() + CHECK_SECS).saturating_sub(now);
            secs = secs.min(check_due.max(1));
        }
        // Sleep in short slices so that unmounting or a retry takes effect at once.
        let mut slept = 0;
        while slept < secs * 1000 && live.alive.get() && !live.wake.get() {
            TimeoutFuture::new(250).await;
            slept += 250;
        }
    }
}

#[function_component(Checkout)]
pub fn checkout(props: &CheckoutProps) -> Html {
    let model = use_reducer(Model::default);
    let live = use_memo((), |()| Live::default());

    {
        let model = model.clone();
        let props = props.clone();
        let live = live.clone();
        use_effect_with((), move |()| {
            live.alive.set(true);
            wasm_bindgen_futures::spawn_local(poll(props, model, live.clone()));
            // Coming back to the tab refreshes at once (the hidden cadence is 60 s).
            let visible = web_sys::window()
                .and_then(|w| w.document())
                .map(|document| {
                    let live = live.clone();
                    gloo_events::EventListener::new(&document, "visibilitychange", move |_| {
                        if !tab_hidden() {
                            live.wake.set(true);
                        }
                    })
                });
            move || {
                live.alive.set(false);
                drop(visible);
            }
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
    {
        let success_url = model.view.as_ref().and_then(|v| v.success_url.clone());
        let redirect = props.redirect_on_success && screen.is_success();
        use_effect_with((redirect, success_url), move |(redirect, url)| {
            let timer = match (redirect, url) {
                (true, Some(url)) => {
                    let url = url.clone();
                    Some(gloo_timers::callback::Timeout::new(
                        REDIRECT_MS,
                        move || {
                            if let Some(w) = web_sys::window() {
                                let _ = w.location().set_href(&url);
                            }
                        },
                    ))
                }
                _ => None,
            };
            move || drop(timer)
        });
    }

    let select = {
        let model = model.clone();
        let props = props.clone();
        let live = live.clone();
        Callback::from(move |option: ShopperOption| {
            let model = model.clone();
            let props = props.clone();
            let live = live.clone();
            model.dispatch(Action::Selecting);
            wasm_bindgen_futures::spawn_local(async move {
                let body = Body::Select {
                    chain_id: option.chain_id,
                    token: &option.token,
                };
                match post_view(&props, "select", &body).await {
                    Ok(view) => {
                        live.selected.set(view.selected.is_some());
                        *live.last_status.borrow_mut() = Some(view.status);
                        model.dispatch(Action::Selected {
                            view: Box::new(view),
                            local_now: local_now(),
                        });
                    }
                    Err((_, code)) => model.dispatch(Action::SelectFailed(match code.as_str() {
                        "selection_locked" => s::SELECT_LOCKED,
                        "option_unavailable" => s::SELECT_UNAVAILABLE,
                        "session_closed" => s::SELECT_CLOSED,
                        _ => s::SELECT_FAILED,
                    })),
                }
                live.wake.set(true);
            });
        })
    };
    let retry = {
        let live = live.clone();
        Callback::from(move |_| live.wake.set(true))
    };
    let pay_wallet = {
        let model = model.clone();
        let props = props.clone();
        let live = live.clone();
        Callback::from(move |tx: WalletTransaction| {
            let model = model.clone();
            let props = props.clone();
            let live = live.clone();
            model.dispatch(Action::Wallet(Wallet::Asking));
            wasm_bindgen_futures::spawn_local(async move {
                match crate::wallet::pay(&tx).await {
                    Ok(hash) => {
                        model.dispatch(Action::Wallet(Wallet::Sent(hash.clone())));
                        // Poll fast for a minute, and tell the server where to look.
                        live.fast_until.set(local_now() + 60);
                        live.last_check.set(local_now());
                        let body = Body::Check {
                            tx_hash: Some(&hash),
                        };
                        let mut checked = post_view(&props, "check", &body).await;
                        if matches!(checked, Err((429, _))) {
                            // Checks are limited to one per 2 s per session: once more.
                            TimeoutFuture::new(2_100).await;
                            checked = post_view(&props, "check", &body).await;
                        }
                        if let Ok(view) = checked {
                            deliver(Box::new(view), &model, &live, &props.on_status);
                        }
                        live.wake.set(true);
                    }
                    Err(message) => model.dispatch(Action::Wallet(Wallet::Failed(message))),
                }
            });
        })
    };
    let choose = {
        let model = model.clone();
        Callback::from(move |_| model.dispatch(Action::Choose))
    };
    let keep = {
        let model = model.clone();
        Callback::from(move |_| model.dispatch(Action::KeepChoice))
    };

    let body = match (screen, model.view.as_ref()) {
        (Screen::Choose, Some(view)) => choose_screen(view, &model, &select, &keep),
        (Screen::Pay, Some(view)) => pay_screen(view, &model, s::PAY_TITLE, &choose, &pay_wallet),
        (Screen::Underpaid, Some(view)) => html! {
            <>
                <h2>{ s::UNDERPAID_TITLE }</h2>
                <p>{ s::UNDERPAID_BODY }</p>
                { pay_screen(view, &model, s::PAY_REST_TITLE, &choose, &pay_wallet) }
            </>
        },
        (Screen::Detected, Some(view)) => html! {
            <>
                <h2>{ s::DETECTED_TITLE }</h2>
                <p>{ s::DETECTED_BODY }</p>
                if let Some(c) = &view.confirmations {
                    <p>{ format!("{}: {} / {}", s::CONFIRMATIONS, c.current.min(u64::from(c.required)), c.required) }</p>
                    <progress max={c.required.to_string()} value={c.current.min(u64::from(c.required)).to_string()} aria-label={s::CONFIRMATIONS}></progress>
                }
            </>
        },
        (Screen::Paid | Screen::PaidLate | Screen::Overpaid, Some(view)) => html! {
            <>
                <h2>{ s::SUCCESS_TITLE }</h2>
                <p>{ match screen {
                    Screen::PaidLate => s::PAID_LATE_BODY,
                    Screen::Overpaid => s::OVERPAID_BODY,
                    _ => s::SUCCESS_BODY,
                } }</p>
                if let Some(url) = &view.success_url {
                    <a class="kasse-button" href={url.clone()}>{ s::CONTINUE }</a>
                    if props.redirect_on_success { <p class="kasse-muted">{ s::REDIRECTING }</p> }
                }
            </>
        },
        (Screen::Expired, Some(view)) => html! {
            <>
                <h2>{ s::EXPIRED_TITLE }</h2>
                <p>{ s::EXPIRED_BODY }</p>
                if let Some(url) = &view.restart_url {
                    <a class="kasse-button" href={url.clone()}>{ s::START_AGAIN }</a>
                }
            </>
        },
        (Screen::Canceled, Some(_)) => html! {
            <><h2>{ s::CANCELED_TITLE }</h2><p>{ s::CANCELED_BODY }</p></>
        },
        (Screen::Failed, Some(_)) => html! {
            <><h2>{ s::FAILED_TITLE }</h2><p>{ s::FAILED_BODY }</p></>
        },
        _ if model.error.is_some() => html! {
            <div class="kasse-error" role="alert">
                <p>{ s::LOAD_FAILED }</p>
                <button type="button" onclick={retry.clone()}>{ s::RETRY }</button>
            </div>
        },
        _ => html! { <p class="kasse-muted">{ s::LOADING }</p> },
    };
    // A refresh that failed while a view is shown: say so, keep the view.
    let stale = (model.error.is_some() && model.view.is_some()).then(|| {
        html! {
            <p class="kasse-stale" role="status">
                { s::OFFLINE }{ " " }
                <button type="button" onclick={retry}>{ s::RETRY }</button>
            </p>
        }
    });

    let links = model.view.as_ref().map(|view| {
        let open = !view.status.is_final();
        html! {
            <nav class="kasse-links" aria-label={s::LINKS_LABEL}>
                if let Some(url) = &view.return_url { <a href={url.clone()}>{ s::BACK_TO_SHOP }</a> }
                if let (Some(url), true) = (&view.cancel_url, open) { <a href={url.clone()}>{ s::CANCEL }</a> }
            </nav>
        }
    });

    let status = model.view.as_ref().map(|v| v.status.as_str());
    html! {
        <section class="kasse" aria-label={s::WIDGET_LABEL} data-kasse-ready="true"
            data-kasse-status={status} data-kasse-screen={screen_name(screen)}>
            if let Some(view) = &model.view {
                <header class="kasse-head">
                    <span class="kasse-merchant">{ &view.branding.display_name }</span>
                    <strong>{ format!("{} {} {}", s::TOTAL, view.amount_total, view.currency) }</strong>
                </header>
                if !view.livemode { <p class="kasse-test">{ s::TEST_MODE }</p> }
            }
            <div class="kasse-body" aria-live="polite">{ body }</div>
            { for stale }
            { for links }
        </section>
    }
}

fn screen_name(screen: Screen) -> &'static str {
    match screen {
        Screen::Loading => "loading",
        Screen::Error => "error",
        Screen::Choose => "choose",
        Screen::Pay => "pay",
        Screen::Detected => "detected",
        Screen::Underpaid => "underpaid",
        Screen::Paid => "paid",
        Screen::PaidLate => "paid_late",
        Screen::Overpaid => "overpaid",
        Screen::Expired => "expired",
        Screen::Canceled => "canceled",
        Screen::Failed => "failed",
    }
}

fn choose_screen(
    view: &ShopperView,
    model: &Model,
    select: &Callback<ShopperOption>,
    keep: &Callback<MouseEvent>,
) -> Html {
    html! {
        <div class="kasse-choose">
            <h2>{ s::CHOOSE_TITLE }</h2>
            <ul class="kasse-options">
                { for view.options.iter().map(|option| {
                    let current = view.selected.as_ref() == Some(option);
                    let onclick = {
                        let select = select.clone();
                        let option = option.clone();
                        Callback::from(move |_| select.emit(option.clone()))
                    };
                    html! {
                        <li>
                            <button type="button" class="kasse-option" {onclick} disabled={model.selecting}
                                aria-pressed={current.to_string()}
                                data-chain-id={option.chain_id.to_string()} data-token={option.token.clone()}>
                                <span class="kasse-option-token">{ format!("{} {}", option.amount_formatted, option.token) }</span>
                                <span class="kasse-option-chain">{ format!("{} {}", s::ON_NETWORK, option.chain) }</span>
                            </button>
                        </li>
                    }
                }) }
            </ul>
            if let Some(notice) = model.notice { <p class="kasse-error" role="alert">{ notice }</p> }
            if view.selected.is_some() {
                <button type="button" class="kasse-link" onclick={keep.clone()}>{ s::KEEP_CHOICE }</button>
            }
        </div>
    }
}

fn pay_screen(
    view: &ShopperView,
    model: &Model,
    title: &'static str,
    choose: &Callback<MouseEvent>,
    pay_wallet: &Callback<WalletTransaction>,
) -> Html {
    let (Some(uri), Some(option)) = (&view.payment_uri, &view.selected) else {
        return html! {};
    };
    let amount = view
        .amount_remaining
        .clone()
        .filter(|r| r != "0")
        .unwrap_or_else(|| option.amount_formatted.clone());
    let left = model.seconds_left().unwrap_or(0);
    html! {
        <div class="kasse-pay">
            <h2 class="kasse-title">{ title }</h2>
            <div class="kasse-qr" role="img" aria-label={s::QR_LABEL} data-payment-uri={uri.clone()}>
                { Html::from_html_unchecked(AttrValue::from(qr_svg(uri))) }
            </div>
            <p class="kasse-warning">{ format!("{} {}. {}", s::ONLY_ON, option.chain, s::ONLY_ON_WARNING) }</p>
            <Copyable label={s::SEND_EXACTLY} value={amount.clone()} display={format!("{amount} {}", option.token)} />
            <Copyable label={s::TO_ADDRESS} value={view.address.clone()} display={view.address.clone()} />
            <p class="kasse-countdown" role="timer" aria-live="off">
                { format!("{} ", s::EXPIRES_IN) }<span class={if left < 120 { "kasse-urgent" } else { "" }}>{ countdown(left) }</span>
            </p>
            <div class="kasse-actions">
                <a class="kasse-button" href={uri.clone()}>{ s::OPEN_WALLET }</a>
                if let (Some(tx), true, false) = (&view.wallet_transaction, crate::wallet::available(), matches!(model.wallet, Wallet::Sent(_))) {
                    <button type="button" class="kasse-wallet" disabled={model.wallet == Wallet::Asking}
                        onclick={let tx = tx.clone(); let pay = pay_wallet.clone(); Callback::from(move |_| pay.emit(tx.clone()))}>
                        { s::PAY_WITH_WALLET }
                    </button>
                }
                if model.can_change() {
                    <button type="button" class="kasse-link" onclick={choose.clone()}>{ s::CHANGE }</button>
                }
            </div>
            { match &model.wallet {
                Wallet::Idle => html! {},
                Wallet::Asking => html! { <p class="kasse-muted" role="status">{ s::WALLET_ASKING }</p> },
                Wallet::Sent(hash) => html! { <p class="kasse-muted" role="status" data-tx-hash={hash.clone()}>{ s::WALLET_SENT }</p> },
                Wallet::Failed(message) => html! { <p class="kasse-error" role="alert">{ *message }</p> },
            } }
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
            <span class="kasse-sr" role="status">{ if *copied { s::COPIED } else { "" } }</span>
        </div>
    }
}

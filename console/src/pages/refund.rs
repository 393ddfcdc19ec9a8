//! One refund: what goes back, to whom, on which chain, and where it stands. While it waits
//! for the shopper's address its claim link can be copied; while it is pending, "Send
//! refund" pays it from the merchant's browser wallet and reports the transaction. The page
//! reads the refund again every few seconds until its status is final.

mod sending;

use gloo_timers::callback::Timeout;
use serde::Serialize;
use yew::prelude::*;

use crate::api::{Api, ApiError};
use crate::components::{
    Alert, CopyButton, HashLink, Page, StatusBadge, Time, address_url, tx_url,
};
use crate::hooks::{use_console, use_load, use_task};
use crate::objects::{ChainObject, List, RefundObject, explorer};
use crate::route::{Route, encode};
use crate::wallet::{self, Payout};

use super::refunds::requested_by;
use sending::{Sending, Step};

/// How often a refund that can still change is read again.
const FOLLOW_MS: u32 = 2_000;

struct Found {
    refund: RefundObject,
    chains: Vec<ChainObject>,
}

impl Found {
    fn explorer(&self) -> Option<&str> {
        explorer(&self.chains, self.refund.chain_id)
    }
}

async fn load(api: Api, id: AttrValue) -> Result<Found, ApiError> {
    let refund = api.get(&format!("/v1/refunds/{}", encode(&id))).await?;
    let chains = api.get::<List<ChainObject>>("/v1/chains").await?.data;
    Ok(Found { refund, chains })
}

#[derive(Serialize)]
struct SubmitBody<'a> {
    tx_hash: &'a str,
}

/// Tells Kasse the transaction that paid the refund, then reads the page again.
fn report(
    api: Api,
    id: &str,
    hash: String,
    sending: UseReducerHandle<Sending>,
    reload: Callback<()>,
) {
    let path = format!("/v1/refunds/{}/submit", encode(id));
    wasm_bindgen_futures::spawn_local(async move {
        let body = SubmitBody { tx_hash: &hash };
        match api.post::<RefundObject>(&path, &body).await {
            Ok(_) => sending.dispatch(Step::Reported),
            Err(refused) => sending.dispatch(Step::ReportFailed(refused.message)),
        }
        reload.emit(());
    });
}

#[derive(Properties, PartialEq)]
pub struct RefundProps {
    pub id: AttrValue,
}

#[function_component(RefundPage)]
pub fn refund_page(props: &RefundProps) -> Html {
    let api = use_console().api;
    let page = {
        let api = api.clone();
        use_load(props.id.clone(), move |id| load(api, id))
    };
    // Follows the refund: each answer that is not final asks again a little later.
    {
        let reload = page.reload.clone();
        use_effect_with(page.state.clone(), move |state| {
            let follow = state
                .ready()
                .filter(|f| !f.refund.is_final())
                .map(|_| Timeout::new(FOLLOW_MS, move || reload.emit(())));
            move || drop(follow)
        });
    }
    let sending = use_reducer(Sending::default);
    let cancel_task = use_task();
    let notice = use_state(|| None::<&'static str>);
    let cancel = {
        let (api, task, reload, notice) = (
            api.clone(),
            cancel_task.clone(),
            page.reload.clone(),
            notice.clone(),
        );
        let path = format!("/v1/refunds/{}/cancel", encode(&props.id));
        Callback::from(move |_: MouseEvent| {
            let (api, path, reload, notice) =
                (api.clone(), path.clone(), reload.clone(), notice.clone());
            task.run(
                async move { api.post_empty::<RefundObject>(&path).await },
                move |_| {
                    notice.set(Some(
                        "The refund was canceled: its amount can be refunded again.",
                    ));
                    reload.emit(());
                },
            );
        })
    };
    // Set at the click, before any render: a double click never asks the wallet twice, and
    // once the wallet has sent, nothing here asks it again.
    let asking = use_mut_ref(|| false);
    let send = page.state.ready().map(|found| {
        let (api, sending, reload) = (api.clone(), sending.clone(), page.reload.clone());
        let refund = found.refund.clone();
        Callback::from(move |_: MouseEvent| {
            if !sending.can_start() || asking.replace(true) {
                return;
            }
            sending.dispatch(Step::Start);
            let Some(payout) = Payout::of(&refund) else {
                asking.replace(false);
                return sending.dispatch(Step::Refused(
                    "This refund's token, address or amount cannot make a transaction here; \
                     pay it with kasse refund --execute."
                        .to_owned(),
                ));
            };
            let (api, sending, reload, refund, asking) = (
                api.clone(),
                sending.clone(),
                reload.clone(),
                refund.clone(),
                asking.clone(),
            );
            wasm_bindgen_futures::spawn_local(async move {
                match wallet::send(&payout).await {
                    Ok(hash) => {
                        sending.dispatch(Step::Sent(hash.clone()));
                        report(api, &refund.id, hash, sending, reload);
                    }
                    Err(refused) => {
                        asking.replace(false);
                        sending.dispatch(Step::Refused(
                            refused.message(&refund.chain, refund.chain_id),
                        ));
                    }
                }
            });
        })
    });
    let retry = {
        let (api, sending, reload, id) = (
            api,
            sending.clone(),
            page.reload.clone(),
            props.id.to_string(),
        );
        Callback::from(move |_: MouseEvent| {
            if let Sending::Unreported { hash, .. } = &*sending {
                let hash = hash.clone();
                sending.dispatch(Step::Retry);
                report(api.clone(), &id, hash, sending.clone(), reload.clone());
            }
        })
    };
    let busy = cancel_task.busy || sending.busy();
    html! {
        <Page name="refund" title={format!("Refund {}", props.id)} loaded={page.state.is_done()}>
            <Alert error={page.state.error().cloned()} />
            if let Some(found) = page.state.ready() {
                { facts(found) }
                { claim_link(&found.refund) }
                <div class="actions">
                    if found.refund.sendable() && sending.hash().is_none() {
                        <button type="button" disabled={busy} onclick={send.unwrap_or_default()}>
                            { format!("Send refund ({} {})", found.refund.amount_formatted, found.refund.token) }
                        </button>
                    }
                    if found.refund.cancelable() {
                        <button type="button" class="danger" disabled={busy} onclick={cancel}>{ "Cancel refund" }</button>
                    }
                </div>
                { sending_view(&sending, retry) }
                <Alert error={cancel_task.error} />
                if let Some(said) = *notice { <p class="muted" role="status">{ said }</p> }
            }
        </Page>
    }
}

/// What the wallet and the report are doing, in words.
fn sending_view(sending: &Sending, retry: Callback<MouseEvent>) -> Html {
    match sending {
        Sending::Idle => Html::default(),
        Sending::InWallet => html! {
            <p class="muted" role="status" data-sending="wallet">{ "Confirm the transaction in your wallet…" }</p>
        },
        Sending::Reporting(hash) => html! {
            <p class="muted" role="status" data-sending="reporting" data-tx-hash={hash.clone()}>
                { "Sent in " }<code class="hash">{ hash.clone() }</code>{ "; telling Kasse…" }
            </p>
        },
        Sending::Reported(hash) => html! {
            <p role="status" data-sending="reported" data-tx-hash={hash.clone()}>
                { "Sent in " }<code class="hash">{ hash.clone() }</code>
                { ". Kasse checks it on-chain; this page follows it." }
            </p>
        },
        Sending::Refused(said) => html! {
            <p class="alert" role="alert" data-sending="refused">{ said.clone() }</p>
        },
        Sending::Unreported { hash, message } => html! {
            <div class="alert" role="alert" data-sending="unreported" data-tx-hash={hash.clone()}>
                <p>
                    { "The refund was sent in " }<code class="hash">{ hash.clone() }</code>
                    { format!(", but Kasse could not be told: {message} The watcher finds a token transfer \
                        by itself; report it again to have it checked now.") }
                </p>
                <button type="button" class="secondary" onclick={retry}>{ "Report again" }</button>
            </div>
        },
    }
}

fn fact(label: &str, value: Html) -> Html {
    html! { <><dt>{ label.to_owned() }</dt><dd>{ value }</dd></> }
}

fn none() -> Html {
    html! { <span class="muted">{ "—" }</span> }
}

fn time(at: &Option<String>) -> Html {
    at.as_ref()
        .map_or_else(none, |at| html! { <Time at={at.clone()} /> })
}

fn facts(found: &Found) -> Html {
    let r = &found.refund;
    let explorer = found.explorer();
    let token = match &r.contract_address {
        Some(contract) => html! {
            <>{ format!("{} · ", r.token) }<HashLink value={contract.clone()} href={address_url(explorer, contract)} /></>
        },
        None => html! { format!("{} (the chain's own coin)", r.token) },
    };
    let to = match &r.address {
        Some(address) => html! {
            <span data-testid="refund-address"><HashLink value={address.clone()} href={address_url(explorer, address)} /></span>
        },
        None => {
            html! { <span class="muted">{ "Waiting for the shopper's address (send them the claim link)" }</span> }
        }
    };
    let transaction = match &r.transaction {
        Some(t) => html! {
            <span data-testid="refund-tx" data-tx-hash={t.tx_hash.clone()} data-confirmations={t.confirmations.to_string()}>
                <HashLink value={t.tx_hash.clone()} href={tx_url(explorer, &t.tx_hash)} />
                { format!(" · block {} · {} confirmation{}", t.block_number, t.confirmations,
                    if t.confirmations == 1 { "" } else { "s" }) }
            </span>
        },
        None => html! { <span class="muted">{ "No matching transfer yet" }</span> },
    };
    html! {
        <section class="panel" aria-labelledby="refund-facts">
            <h2 id="refund-facts">{ "Summary" }</h2>
            <dl class="facts">
                { fact("Status", html! { <><StatusBadge status={r.status.clone()} />{ " " }{ requested_by(r) }</> }) }
                { fact("Amount", html! {
                    <span data-testid="refund-amount" data-base-units={r.amount.clone()}>
                        { format!("{} {}", r.amount_formatted, r.token) }
                    </span>
                }) }
                { fact("Token", token) }
                { fact("Chain", html! { format!("{} ({})", r.chain, r.chain_id) }) }
                { fact("To", to) }
                { fact("Requested by", html! { { if r.by_shopper() { "the shopper" } else { "you" } } }) }
                { fact("Reason", r.reason.clone().filter(|s| !s.is_empty()).map_or_else(none, |s| html! { s })) }
                { fact("Session", html! {
                    <a href={Route::Session(r.session.clone()).to_hash()}><code>{ r.session.clone() }</code></a>
                }) }
                { fact("Payment", r.payment.clone().map_or_else(none, |p| html! { <code>{ p }</code> })) }
                { fact("Transaction", transaction) }
                { fact("Reported hash", r.submitted_hash.clone().map_or_else(none, |h| html! {
                    <HashLink value={h.clone()} href={tx_url(explorer, &h)} />
                })) }
                if let Some(why) = &r.failure_message { { fact("Failure", html! { why.clone() }) } }
                { fact("Created", time(&Some(r.created_at.clone()))) }
                { fact("Succeeded", time(&r.succeeded_at)) }
                { fact("Canceled", time(&r.canceled_at)) }
            </dl>
        </section>
    }
}

/// The shopper's claim link, while the refund waits for their address.
fn claim_link(refund: &RefundObject) -> Html {
    let Some(url) = refund.claim_url.clone() else {
        return Html::default();
    };
    html! {
        <section class="panel" aria-labelledby="claim-title">
            <h2 id="claim-title">{ "Claim link" }</h2>
            <p class="muted">
                { format!("Send this link to the shopper: they give their address on {} there, and the refund \
                    becomes pending. It opens this refund only.", refund.chain) }
            </p>
            <p><code class="secret" data-testid="claim-url">{ url.clone() }</code></p>
            <CopyButton text={url} label="Copy claim link" />
        </section>
    }
}

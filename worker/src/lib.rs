//! Kasse's Cloudflare Worker: the imperative shell around `kasse-shared`.
//!
//! `fetch` serves the REST API and the hosted pages; `scheduled` runs the chain watcher.
//! Handlers are thin: they parse, call the domain in `kasse-shared`, and go through
//! [`store`] for every D1 access.

mod auth;
mod chain;
mod checkout;
mod config;
mod cors;
mod entropy;
mod error;
mod fetch;
mod http;
mod idempotency;
mod outbox;
mod routes;
mod store;
mod watch;
mod webhooks;

use worker::{Context, Env, Request, Response, ScheduleContext, ScheduledEvent, event};

#[event(fetch)]
pub async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    let response = routes::dispatch(req, &env).await;
    let written = outbox::take_written();
    if !written.is_empty() {
        ctx.wait_until(webhooks::send_soon(env, written));
    }
    Ok(response)
}

#[event(scheduled)]
pub async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    watch::run(&env).await;
}

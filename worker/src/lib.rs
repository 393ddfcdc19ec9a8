//! Kasse's Cloudflare Worker: the imperative shell around `kasse-shared`.
//!
//! `fetch` serves the REST API and the hosted pages (`routes::dispatch`, over the `http`
//! layer); `scheduled` runs the chain watcher. Handlers are thin: they authenticate, parse
//! with `kasse-shared`, call a service (`checkout`, `accounts`) or the [`store`], answer.

mod accounts;
mod chain;
mod checkout;
mod config;
mod entropy;
mod error;
mod fetch;
mod http;
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

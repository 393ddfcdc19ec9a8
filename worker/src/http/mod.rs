//! The HTTP layer below the routes: the per-request context ([`Cx`]), who is calling
//! ([`auth`]), CORS for the public routes, `Idempotency-Key` around POSTs, and the request
//! and response helpers. It never imports the routes (they sit above it) nor the services.

pub(crate) mod auth;
pub(crate) mod context;
pub(crate) mod cors;
pub(crate) mod idempotency;
pub(crate) mod request;
pub(crate) mod response;
#[cfg(test)]
mod testing;

pub(crate) use context::{Cx, checked_cursor, owned, session_cursor};
pub(crate) use response::{json_response, list_response};

//! The HTTP layer below the routes: the per-request context ([`Cx`]), who is calling
//! ([`auth`]), CORS for the public routes, `Idempotency-Key` around POSTs, and the request
//! and response helpers. It never imports the routes (they sit above it) nor the services.

pub mod auth;
pub mod context;
pub mod cors;
pub mod idempotency;
pub mod request;
pub mod response;

pub use context::{Cx, checked_cursor, owned};
pub use response::{json_response, list_response};

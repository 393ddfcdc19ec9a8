//! `fetch` with a deadline: the platform has no timeout of its own, so a request that does
//! not answer in time is aborted and reported as such.

use std::time::Duration;

use futures_util::future::{Either, select};
use worker::{AbortController, Delay, Fetch, Request, Response};

/// Why a request got no response.
pub(crate) enum FetchError {
    /// The request failed (refused connection, DNS, TLS, …).
    Failed(worker::Error),
    /// No response within the timeout; the request was aborted.
    TimedOut,
}

/// Sends `request` and waits at most `timeout` for the response's head.
pub(crate) async fn fetch_with_timeout(
    request: Request,
    timeout: Duration,
) -> Result<Response, FetchError> {
    let controller = AbortController::default();
    let signal = controller.signal();
    let fetch = Fetch::Request(request);
    let sent = Box::pin(fetch.send_with_signal(&signal));
    match select(sent, Box::pin(Delay::from(timeout))).await {
        Either::Left((response, _)) => response.map_err(FetchError::Failed),
        Either::Right(((), _)) => {
            controller.abort();
            Err(FetchError::TimedOut)
        }
    }
}

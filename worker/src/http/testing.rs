//! What the http layer's unit tests share.

use std::future::Future;
use std::task::{Context, Poll, Waker};

/// Runs a future whose every step is ready at once: the tests' reads and streams never
/// wait, so one poll finishes it.
pub(crate) fn ready<T>(future: impl Future<Output = T>) -> T {
    let mut future = std::pin::pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(value) => value,
        Poll::Pending => panic!("the test future waited"),
    }
}

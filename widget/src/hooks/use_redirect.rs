//! Going on to the merchant's `success_url` after a payment (the hosted page only).

use gloo_timers::callback::Timeout;
use yew::prelude::*;

/// The hosted page goes on to `success_url` this long after the success screen shows.
const REDIRECT_MS: u32 = 2_500;

/// Follows `url` [`REDIRECT_MS`] after `redirect` turns true; a change of either in the
/// meantime cancels the pending redirect.
#[hook]
pub fn use_redirect(redirect: bool, url: Option<String>) {
    use_effect_with((redirect, url), move |(redirect, url)| {
        let timer = match (redirect, url) {
            (true, Some(url)) => {
                let url = url.clone();
                Some(Timeout::new(REDIRECT_MS, move || {
                    if let Some(w) = web_sys::window() {
                        let _ = w.location().set_href(&url);
                    }
                }))
            }
            _ => None,
        };
        move || drop(timer)
    });
}

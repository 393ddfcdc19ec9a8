//! What every signed-in page may ask of the frame: the API of the shown mode, the account
//! and the page's way to move to another route.

use yew::prelude::*;

use crate::api::Api;
use crate::model::{Account, Mode};
use crate::route::Route;

/// Given by the frame to every page while a mode is signed in.
#[derive(Clone, PartialEq)]
pub struct Console {
    pub api: Api,
    pub mode: Mode,
    pub account: Account,
    /// Tells the frame the account changed (its display name after a settings save).
    pub on_account: Callback<Account>,
}

impl Console {
    /// Opens `route` (as a link would: the fragment changes, the frame follows).
    pub fn go(&self, route: &Route) {
        if let Some(window) = web_sys::window() {
            let _ = window.location().set_hash(&route.to_hash());
        }
    }
}

/// The signed-in context. Pages are only rendered inside it.
#[hook]
pub fn use_console() -> Console {
    use_context::<Console>().expect("pages render inside the signed-in frame")
}

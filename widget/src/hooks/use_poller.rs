//! The poller keeps the model in step with the server. It reads the public view at a steady
//! cadence (with its ETag) and, while the shopper is on the pay screen, asks for a public
//! check now and then, so that QR payers see detection in seconds rather than at the next
//! cron run. It stops at a final status (once the shopper's refund, if any, is no longer
//! pending) or when the widget goes away.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_timers::future::TimeoutFuture;
use kasse_shared::shopper::ShopperView;
use kasse_shared::status::Status;
use yew::prelude::*;

use super::local_now;
use crate::api::{Api, Body, Fetched};
use crate::model::{Action, Model, refund_pending};

/// Seconds between reads of the view.
const POLL_SECS: u64 = 10;
/// A hidden tab is read less often; showing it again reads at once.
const POLL_HIDDEN_SECS: u64 = 60;
/// For a minute after a wallet payment, so the shopper sees it arrive.
const POLL_FAST_SECS: u64 = 3;
const POLL_FAST_FOR_SECS: u64 = 60;
/// While the pay screen is open, a public check at most this often.
const CHECK_SECS: u64 = 15;
/// After a final status, only the shopper's refund can change: it is sent by hand, later.
const POLL_REFUND_SECS: u64 = 30;

/// What the poller shares with the shopper's actions: it lives as long as the widget.
#[derive(Default)]
struct Live {
    alive: Cell<bool>,
    /// The loop runs (it ends at a final status).
    running: Cell<bool>,
    /// Fetch now instead of at the next tick (the retry button, a selection).
    wake: Cell<bool>,
    etag: RefCell<Option<String>>,
    /// Poll fast until then (after a wallet send).
    fast_until: Cell<u64>,
    last_check: Cell<u64>,
    last_status: Cell<Option<Status>>,
    /// The last view had an option selected (so there is something to check for).
    selected: Cell<bool>,
}

/// The poller and what it talks to: the server, the model and the page.
#[derive(Clone)]
pub struct Poller {
    pub api: Api,
    pub model: UseReducerHandle<Model>,
    /// Told every status the widget shows.
    on_status: Callback<String>,
    live: Rc<Live>,
}

impl Poller {
    /// Fetch now rather than at the next tick.
    pub fn wake(&self) {
        self.live.wake.set(true);
    }

    /// Remembers what the poller needs of a view the model is about to show.
    pub fn note(&self, view: &ShopperView) {
        self.live.selected.set(view.selected.is_some());
        self.live.last_status.set(Some(view.status));
    }

    /// Hands a view to the model, and tells the page when the status changed.
    pub fn deliver(&self, view: Box<ShopperView>) {
        let status = view.status;
        let changed = self.live.last_status.get() != Some(status);
        self.note(&view);
        self.model.dispatch(Action::Loaded {
            view,
            local_now: local_now(),
        });
        if changed {
            self.on_status.emit(status.as_str().to_owned());
        }
    }

    /// A payment is on its way: poll fast for a while. The caller checks at once, so the
    /// next check is a full interval away.
    pub fn expect_payment(&self) {
        self.live.fast_until.set(local_now() + POLL_FAST_FOR_SECS);
        self.live.last_check.set(local_now());
    }

    /// A refund was requested: its progress is worth following, even after a final status.
    pub fn follow_refund(&self) {
        if self.live.running.get() {
            self.wake();
        } else if self.live.alive.get() {
            wasm_bindgen_futures::spawn_local(self.clone().run());
        }
    }

    /// The shopper is on the pay screen, so a check could find a payment.
    fn paying(&self) -> bool {
        matches!(
            self.live.last_status.get(),
            Some(Status::Pending | Status::Underpaid)
        ) && self.live.selected.get()
    }

    /// The view, or `None` when it has not changed since the last one read whole.
    async fn read_view(&self) -> Result<Option<Box<ShopperView>>, String> {
        let etag = self.live.etag.borrow().clone();
        match self.api.fetch_view(etag.as_deref()).await? {
            Fetched::NotModified => Ok(None),
            Fetched::View { view, etag } => {
                // Only a view that arrived whole may be the base of later 304s.
                *self.live.etag.borrow_mut() = etag;
                Ok(Some(view))
            }
        }
    }

    /// A public check when one is due, else a read of the view.
    async fn look(&self, paying: bool) -> Result<Option<Box<ShopperView>>, String> {
        let now = local_now();
        if paying && now >= self.live.last_check.get() + CHECK_SECS {
            self.live.last_check.set(now);
            // Rate-limited or briefly unavailable: the plain view still answers.
            if let Ok(view) = self.api.post(&Body::Check { tx_hash: None }).await {
                return Ok(Some(Box::new(view)));
            }
        }
        self.read_view().await
    }

    /// Seconds until the next look.
    fn pause(&self, paying: bool) -> u64 {
        let now = local_now();
        let secs = if tab_hidden() {
            POLL_HIDDEN_SECS
        } else if self.live.last_status.get().is_some_and(Status::is_final) {
            POLL_REFUND_SECS
        } else if now < self.live.fast_until.get() {
            POLL_FAST_SECS
        } else {
            POLL_SECS
        };
        if paying && !tab_hidden() {
            // Wake for the next check rather than rounding it up to the next poll.
            let check_due = (self.live.last_check.get() + CHECK_SECS).saturating_sub(now);
            secs.min(check_due.max(1))
        } else {
            secs
        }
    }

    /// Sleeps in short slices, so that unmounting or a wake takes effect at once.
    async fn sleep(&self, secs: u64) {
        let mut slept = 0;
        while slept < secs * 1000 && self.live.alive.get() && !self.live.wake.get() {
            TimeoutFuture::new(250).await;
            slept += 250;
        }
    }

    async fn run(self) {
        self.live.running.set(true);
        self.follow().await;
        self.live.running.set(false);
    }

    async fn follow(&self) {
        // The first check comes one interval after the pay screen opens.
        self.live.last_check.set(local_now());
        while self.live.alive.get() {
            self.live.wake.set(false);
            let paying = self.paying();
            let looked = self.look(paying).await;
            if !self.live.alive.get() {
                return;
            }
            match looked {
                Ok(Some(view)) => {
                    let done = view.status.is_final() && !refund_pending(&view);
                    self.deliver(view);
                    if done {
                        return;
                    }
                }
                Ok(None) => self.model.dispatch(Action::Unchanged(local_now())),
                Err(e) => self.model.dispatch(Action::Failed(e)),
            }
            self.sleep(self.pause(paying)).await;
        }
    }
}

fn tab_hidden() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| d.hidden())
}

/// Starts the poller when the widget mounts and stops it when it unmounts; the handle lets
/// the shopper's actions share its state.
#[hook]
pub fn use_poller(
    api: Api,
    model: &UseReducerHandle<Model>,
    on_status: &Callback<String>,
) -> Poller {
    let live = use_memo((), |()| Live::default());
    let poller = Poller {
        api,
        model: model.clone(),
        on_status: on_status.clone(),
        live,
    };
    {
        let poller = poller.clone();
        use_effect_with((), move |()| {
            poller.live.alive.set(true);
            wasm_bindgen_futures::spawn_local(poller.clone().run());
            // Coming back to the tab refreshes at once (the hidden cadence is slow).
            let visible = web_sys::window()
                .and_then(|w| w.document())
                .map(|document| {
                    let poller = poller.clone();
                    gloo_events::EventListener::new(&document, "visibilitychange", move |_| {
                        if !tab_hidden() {
                            poller.wake();
                        }
                    })
                });
            move || {
                poller.live.alive.set(false);
                drop(visible);
            }
        });
    }
    poller
}

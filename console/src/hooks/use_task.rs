//! A merchant's action (a button, a form): busy while its call runs, its error shown until
//! the next try.

use std::cell::Cell;
use std::future::Future;
use std::rc::Rc;

use yew::prelude::*;

use crate::api::ApiError;

/// One action of a page. `run` starts it; `busy` disables its button; `error` is what the
/// API refused, for the page's alert.
#[derive(Clone)]
pub struct Task {
    pub busy: bool,
    pub error: Option<ApiError>,
    /// Set at once (not at the next render), so a double click runs the call once.
    running: Rc<Cell<bool>>,
    busy_handle: UseStateHandle<bool>,
    error_handle: UseStateHandle<Option<ApiError>>,
}

impl PartialEq for Task {
    fn eq(&self, other: &Self) -> bool {
        self.busy == other.busy && self.error == other.error
    }
}

impl Task {
    /// Runs `call` unless one is running; on success `done` gets its answer.
    pub fn run<T, Fut>(&self, call: Fut, done: impl FnOnce(T) + 'static)
    where
        T: 'static,
        Fut: Future<Output = Result<T, ApiError>> + 'static,
    {
        if self.running.replace(true) {
            return;
        }
        let running = Rc::clone(&self.running);
        let (busy, error) = (self.busy_handle.clone(), self.error_handle.clone());
        busy.set(true);
        error.set(None);
        wasm_bindgen_futures::spawn_local(async move {
            let answer = call.await;
            running.set(false);
            busy.set(false);
            match answer {
                Ok(value) => done(value),
                Err(refused) => error.set(Some(refused)),
            }
        });
    }
}

#[hook]
pub fn use_task() -> Task {
    let busy = use_state(|| false);
    let error = use_state(|| None::<ApiError>);
    let running = use_memo((), |()| Cell::new(false));
    Task {
        busy: *busy,
        error: (*error).clone(),
        running,
        busy_handle: busy,
        error_handle: error,
    }
}

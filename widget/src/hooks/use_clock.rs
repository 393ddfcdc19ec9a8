//! The local clock: read it, and tick the model with it every second.

use gloo_timers::callback::Interval;
use yew::prelude::*;

use crate::model::{Action, Model};

/// The local time, Unix seconds.
pub fn local_now() -> u64 {
    #[expect(
        clippy::cast_possible_truncation,
        reason = "a whole number of milliseconds below 2^53"
    )]
    let ms = js_sys::Date::now() as u64;
    ms / 1000
}

/// Sends the model the local time every second (the countdown follows it).
#[hook]
pub fn use_clock(model: &UseReducerHandle<Model>) {
    let model = model.clone();
    use_effect_with((), move |()| {
        let tick = Interval::new(1000, move || model.dispatch(Action::Tick(local_now())));
        move || drop(tick)
    });
}

//! The browser's clock and calendar: now, and local days as Unix seconds (the overview's
//! "today" and the date inputs of the sessions page are the merchant's local days).

/// Now, in Unix seconds.
pub fn now() -> u64 {
    #[expect(
        clippy::cast_possible_truncation,
        reason = "a whole number of milliseconds below 2^53"
    )]
    let ms = js_sys::Date::now() as u64;
    ms / 1000
}

/// The start of today, local time, in Unix seconds.
pub fn local_midnight() -> u64 {
    let date = js_sys::Date::new_0();
    date.set_hours(0);
    date.set_minutes(0);
    date.set_seconds(0);
    date.set_milliseconds(0);
    millis_to_secs(date.get_time())
}

/// The first second of the local day `YYYY-MM-DD` (a date input's value), or of the day
/// after it with `next`.
pub fn local_day_start(day: &str, next: bool) -> Option<u64> {
    let mut parts = day.splitn(3, '-').map(str::parse::<u32>);
    let (year, month, date) = (
        parts.next()?.ok()?,
        parts.next()?.ok()?,
        parts.next()?.ok()?,
    );
    if !(1..=12).contains(&month) || !(1..=31).contains(&date) {
        return None;
    }
    let start = js_sys::Date::new_with_year_month_day(
        year,
        i32::try_from(month).ok()? - 1,
        i32::try_from(date + u32::from(next)).ok()?,
    );
    let ms = start.get_time();
    (!ms.is_nan() && ms >= 0.0).then(|| millis_to_secs(ms))
}

/// The last second of the local day `YYYY-MM-DD`.
pub fn local_day_end(day: &str) -> Option<u64> {
    local_day_start(day, true).map(|next| next.saturating_sub(1))
}

fn millis_to_secs(ms: f64) -> u64 {
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a time from the browser's Date, whole milliseconds since 1970"
    )]
    let ms = ms as u64;
    ms / 1000
}

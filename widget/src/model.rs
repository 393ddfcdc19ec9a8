//! The widget's state as a pure reducer: components only dispatch [`Action`]s, and every
//! screen is a function of [`Model`]. Tested as plain Rust.

use std::rc::Rc;

use kasse_shared::shopper::ShopperView;
use kasse_shared::status::Status;
use kasse_shared::time::Timestamp;
use yew::Reducible;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Model {
    pub view: Option<ShopperView>,
    pub error: Option<String>,
    /// Local clock, Unix seconds, as of the last tick.
    pub now: u64,
    /// Server time minus local time at the last load: the countdown follows the server.
    pub skew: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Loaded {
        view: Box<ShopperView>,
        local_now: u64,
    },
    Failed(String),
    Tick(u64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Loading,
    Error,
    Pay,
    Detected,
    Underpaid,
    Success,
    Expired,
    Closed,
}

impl Reducible for Model {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Loaded { view, local_now } => {
                next.skew = i64::try_from(view.server_time.0).unwrap_or(0)
                    - i64::try_from(local_now).unwrap_or(0);
                next.now = local_now;
                next.view = Some(*view);
                next.error = None;
            }
            Action::Failed(message) => next.error = Some(message),
            Action::Tick(now) => next.now = now,
        }
        Rc::new(next)
    }
}

impl Model {
    pub fn server_now(&self) -> Timestamp {
        Timestamp(u64::try_from(i64::try_from(self.now).unwrap_or(0) + self.skew).unwrap_or(0))
    }

    /// Seconds until the session expires, by the server's clock.
    pub fn seconds_left(&self) -> Option<u64> {
        let view = self.view.as_ref()?;
        Some(view.expires_at.0.saturating_sub(self.server_now().0))
    }

    pub fn screen(&self) -> Screen {
        let Some(view) = &self.view else {
            return if self.error.is_some() {
                Screen::Error
            } else {
                Screen::Loading
            };
        };
        match view.status {
            Status::Paid | Status::PaidLate | Status::Overpaid => Screen::Success,
            Status::Detected => Screen::Detected,
            Status::Underpaid => Screen::Underpaid,
            Status::Expired => Screen::Expired,
            Status::Canceled | Status::Failed => Screen::Closed,
            Status::Pending if self.seconds_left() == Some(0) => Screen::Expired,
            Status::Pending => Screen::Pay,
        }
    }
}

/// `mm:ss`, or `h:mm:ss` from an hour.
pub fn countdown(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m:02}:{s:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kasse_shared::shopper::Branding;

    fn view(status: Status, server_time: u64, expires_at: u64) -> ShopperView {
        ShopperView {
            id: "cs_test_x".into(),
            object: "checkout_session.shopper_view".into(),
            status,
            livemode: false,
            currency: "USD".into(),
            amount_total: "49.99".into(),
            description: None,
            options: vec![],
            selected: None,
            address: "0x9858EfFD232B4033E47d90003D41EC34EcaEda94".into(),
            payment_amount: None,
            payment_uri: None,
            wallet_transaction: None,
            amount_received: None,
            amount_pending: None,
            amount_remaining: None,
            confirmations: None,
            expires_at: Timestamp(expires_at),
            late_until: Timestamp(expires_at + 86_400),
            server_time: Timestamp(server_time),
            success_url: None,
            cancel_url: None,
            return_url: None,
            restart_url: None,
            branding: Branding::default(),
        }
    }

    fn loaded(status: Status, server_time: u64, expires_at: u64, local_now: u64) -> Rc<Model> {
        Rc::new(Model::default()).reduce(Action::Loaded {
            view: Box::new(view(status, server_time, expires_at)),
            local_now,
        })
    }

    #[test]
    fn loading_error_and_screens_by_status() {
        assert_eq!(Model::default().screen(), Screen::Loading);
        let failed = Rc::new(Model::default()).reduce(Action::Failed("offline".into()));
        assert_eq!(failed.screen(), Screen::Error);
        for (status, screen) in [
            (Status::Pending, Screen::Pay),
            (Status::Detected, Screen::Detected),
            (Status::Underpaid, Screen::Underpaid),
            (Status::Paid, Screen::Success),
            (Status::PaidLate, Screen::Success),
            (Status::Overpaid, Screen::Success),
            (Status::Expired, Screen::Expired),
            (Status::Canceled, Screen::Closed),
        ] {
            assert_eq!(
                loaded(status, 1000, 2000, 1000).screen(),
                screen,
                "{status:?}"
            );
        }
    }

    #[test]
    fn countdown_follows_the_server_clock() {
        // Local clock 100 s behind the server.
        let m = loaded(Status::Pending, 1000, 1600, 900);
        assert_eq!(m.seconds_left(), Some(600));
        let later = m.reduce(Action::Tick(1400));
        assert_eq!(later.seconds_left(), Some(100));
        let past = later.reduce(Action::Tick(1600));
        assert_eq!(past.seconds_left(), Some(0));
        assert_eq!(past.screen(), Screen::Expired);
    }

    #[test]
    fn a_failed_refresh_keeps_the_last_view() {
        let m = loaded(Status::Detected, 1000, 2000, 1000).reduce(Action::Failed("network".into()));
        assert_eq!(m.screen(), Screen::Detected);
        assert!(m.error.is_some());
    }

    #[test]
    fn countdown_format() {
        assert_eq!(countdown(0), "00:00");
        assert_eq!(countdown(61), "01:01");
        assert_eq!(countdown(3600 + 5), "1:00:05");
    }
}

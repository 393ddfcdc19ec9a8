//! The console's frame as a pure reducer: which mode is shown, whether each mode is signed
//! in, and the page. Components dispatch [`Action`]s; tested as plain Rust.

use std::rc::Rc;

use yew::Reducible;

use crate::route::Route;

/// Test or live: the console signs in to each separately and shows one at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    Test,
    Live,
}

impl Mode {
    /// The value of the `Kasse-Mode` header.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Test => "test",
            Self::Live => "live",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Test => "Test",
            Self::Live => "Live",
        }
    }

    pub fn from_livemode(livemode: bool) -> Self {
        if livemode { Self::Live } else { Self::Test }
    }

    fn other(self) -> Self {
        match self {
            Self::Test => Self::Live,
            Self::Live => Self::Test,
        }
    }
}

/// The account a mode is signed in to, as the header shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    /// The branding's display name; the id when it has none.
    pub name: String,
}

/// Whether one mode has a console session.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SignIn {
    /// Not known yet: the first request of the page is on its way.
    #[default]
    Asking,
    /// The sign-in form, with why the last session ended when it did.
    SignedOut {
        message: Option<String>,
    },
    SignedIn(Account),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shell {
    pub mode: Mode,
    pub test: SignIn,
    pub live: SignIn,
    pub route: Route,
    /// The merchant picked the mode (a click or a sign-in): the console no longer moves to
    /// the mode that turns out to be signed in.
    pub chosen: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Navigate(Route),
    /// The mode switch.
    Show(Mode),
    /// What the first request of a mode found: its account, or no session.
    Probed {
        mode: Mode,
        account: Option<Account>,
    },
    /// A sign-in succeeded: the key's mode is shown.
    SignedIn {
        mode: Mode,
        account: Account,
    },
    /// The API answered `console_session_ended`: the form, with its message.
    Ended {
        mode: Mode,
        message: String,
    },
    /// The merchant signed out.
    SignedOut(Mode),
    /// The settings were saved: the header shows the account as it is now.
    AccountChanged {
        mode: Mode,
        account: Account,
    },
}

impl Shell {
    pub fn new(route: Route) -> Self {
        Self {
            mode: Mode::Test,
            test: SignIn::Asking,
            live: SignIn::Asking,
            route,
            chosen: false,
        }
    }

    pub fn sign_in(&self, mode: Mode) -> &SignIn {
        match mode {
            Mode::Test => &self.test,
            Mode::Live => &self.live,
        }
    }

    fn sign_in_mut(&mut self, mode: Mode) -> &mut SignIn {
        match mode {
            Mode::Test => &mut self.test,
            Mode::Live => &mut self.live,
        }
    }

    /// The shown mode's state.
    pub fn current(&self) -> &SignIn {
        self.sign_in(self.mode)
    }
}

impl Reducible for Shell {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Navigate(route) => next.route = route,
            Action::AccountChanged { mode, account } => {
                // Only a mode still signed in is renamed; a sign-out meanwhile stands.
                if let SignIn::SignedIn(shown) = next.sign_in_mut(mode) {
                    *shown = account;
                }
            }
            Action::Show(mode) => {
                next.mode = mode;
                next.chosen = true;
            }
            Action::Probed { mode, account } => {
                // A later answer never undoes a sign-in or sign-out made meanwhile.
                if *next.sign_in(mode) == SignIn::Asking {
                    *next.sign_in_mut(mode) = match account {
                        Some(account) => SignIn::SignedIn(account),
                        None => SignIn::SignedOut { message: None },
                    };
                }
                // Opening the console signed in to live only shows live.
                let other = next.mode.other();
                if !next.chosen
                    && matches!(next.current(), SignIn::SignedOut { .. })
                    && matches!(next.sign_in(other), SignIn::SignedIn(_))
                {
                    next.mode = other;
                }
            }
            Action::SignedIn { mode, account } => {
                *next.sign_in_mut(mode) = SignIn::SignedIn(account);
                next.mode = mode;
                next.chosen = true;
            }
            Action::Ended { mode, message } => {
                *next.sign_in_mut(mode) = SignIn::SignedOut {
                    message: Some(message),
                };
            }
            Action::SignedOut(mode) => {
                *next.sign_in_mut(mode) = SignIn::SignedOut { message: None };
            }
        }
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(id: &str) -> Account {
        Account {
            id: id.into(),
            name: "Shop".into(),
        }
    }

    fn run(actions: impl IntoIterator<Item = Action>) -> Shell {
        actions
            .into_iter()
            .fold(Rc::new(Shell::new(Route::Overview)), |shell, action| {
                shell.reduce(action)
            })
            .as_ref()
            .clone()
    }

    #[test]
    fn it_opens_in_test_mode_asking() {
        let shell = Shell::new(Route::Overview);
        assert_eq!(shell.mode, Mode::Test);
        assert_eq!(shell.current(), &SignIn::Asking);
    }

    #[test]
    fn a_console_signed_in_to_live_only_opens_on_live() {
        let shell = run([
            Action::Probed {
                mode: Mode::Test,
                account: None,
            },
            Action::Probed {
                mode: Mode::Live,
                account: Some(account("acct_1")),
            },
        ]);
        assert_eq!(shell.mode, Mode::Live);
        assert_eq!(shell.current(), &SignIn::SignedIn(account("acct_1")));
        // The other order of answers lands on the same page.
        let shell = run([
            Action::Probed {
                mode: Mode::Live,
                account: Some(account("acct_1")),
            },
            Action::Probed {
                mode: Mode::Test,
                account: None,
            },
        ]);
        assert_eq!(shell.mode, Mode::Live);
    }

    #[test]
    fn test_mode_stays_when_both_are_signed_in_or_the_merchant_chose() {
        let both = run([
            Action::Probed {
                mode: Mode::Live,
                account: Some(account("acct_1")),
            },
            Action::Probed {
                mode: Mode::Test,
                account: Some(account("acct_1")),
            },
        ]);
        assert_eq!(both.mode, Mode::Test);
        let chosen = run([
            Action::Show(Mode::Test),
            Action::Probed {
                mode: Mode::Test,
                account: None,
            },
            Action::Probed {
                mode: Mode::Live,
                account: Some(account("acct_1")),
            },
        ]);
        assert_eq!(chosen.mode, Mode::Test);
        assert_eq!(chosen.current(), &SignIn::SignedOut { message: None });
    }

    #[test]
    fn a_late_probe_does_not_undo_a_sign_in() {
        let shell = run([
            Action::SignedIn {
                mode: Mode::Test,
                account: account("acct_1"),
            },
            Action::Probed {
                mode: Mode::Test,
                account: None,
            },
        ]);
        assert_eq!(shell.current(), &SignIn::SignedIn(account("acct_1")));
    }

    #[test]
    fn signing_in_shows_the_keys_mode() {
        let shell = run([
            Action::Probed {
                mode: Mode::Test,
                account: None,
            },
            Action::SignedIn {
                mode: Mode::Live,
                account: account("acct_2"),
            },
        ]);
        assert_eq!(shell.mode, Mode::Live);
        assert!(shell.chosen);
        assert_eq!(shell.test, SignIn::SignedOut { message: None });
    }

    #[test]
    fn an_ended_session_shows_the_form_with_its_message_in_that_mode_only() {
        let shell = run([
            Action::SignedIn {
                mode: Mode::Live,
                account: account("acct_1"),
            },
            Action::SignedIn {
                mode: Mode::Test,
                account: account("acct_1"),
            },
            Action::Ended {
                mode: Mode::Test,
                message: "Your console session has ended.".into(),
            },
        ]);
        assert_eq!(
            shell.test,
            SignIn::SignedOut {
                message: Some("Your console session has ended.".into())
            }
        );
        assert_eq!(shell.live, SignIn::SignedIn(account("acct_1")));
        let shell = shell_after(shell, Action::SignedOut(Mode::Live));
        assert_eq!(shell.live, SignIn::SignedOut { message: None });
    }

    fn shell_after(shell: Shell, action: Action) -> Shell {
        Rc::new(shell).reduce(action).as_ref().clone()
    }

    #[test]
    fn navigation_changes_only_the_route() {
        let shell = run([
            Action::Probed {
                mode: Mode::Test,
                account: Some(account("acct_1")),
            },
            Action::Navigate(Route::Sweeps),
        ]);
        assert_eq!(shell.route, Route::Sweeps);
        assert_eq!(shell.current(), &SignIn::SignedIn(account("acct_1")));
    }

    #[test]
    fn a_saved_display_name_renames_only_a_mode_still_signed_in() {
        let renamed = Account {
            id: "acct_1".to_owned(),
            name: "Fern & Fig".to_owned(),
        };
        let shell = run([
            Action::SignedIn {
                mode: Mode::Test,
                account: account("acct_1"),
            },
            Action::AccountChanged {
                mode: Mode::Test,
                account: renamed.clone(),
            },
            Action::AccountChanged {
                mode: Mode::Live,
                account: renamed.clone(),
            },
        ]);
        assert_eq!(shell.current(), &SignIn::SignedIn(renamed));
        assert_eq!(shell.sign_in(Mode::Live), &SignIn::Asking);
    }
}

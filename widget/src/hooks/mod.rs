//! The widget's custom hooks: the effects of the root component, one per file.

mod use_catalogue;
mod use_clock;
mod use_poller;
mod use_redirect;
mod use_wallets;

pub use use_catalogue::use_catalogue;
pub use use_clock::{local_now, use_clock};
pub use use_poller::{Poller, use_poller};
pub use use_redirect::use_redirect;
pub use use_wallets::use_wallets;

//! The frame around every page: the header (account, mode, sign-out) and the navigation.

mod header;
mod mode_switch;
mod nav;

pub use header::Header;
pub use mode_switch::ModeSwitch;
pub use nav::Nav;

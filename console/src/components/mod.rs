//! The console's building blocks, one component per file: every page is made of these.

mod alert;
mod copy_button;
mod cursor_pager;
mod data_table;
mod field_error;
mod hash_link;
mod money_cell;
mod page;
mod secret_once;
mod status_badge;
mod time;

pub use alert::Alert;
pub use copy_button::CopyButton;
pub use cursor_pager::CursorPager;
pub use data_table::DataTable;
pub use field_error::{FieldError, focus_first_invalid, names_field};
pub use hash_link::{HashLink, address_url, tx_url};
pub use money_cell::MoneyCell;
pub use page::Page;
pub use secret_once::SecretOnce;
pub use status_badge::StatusBadge;
pub use time::Time;

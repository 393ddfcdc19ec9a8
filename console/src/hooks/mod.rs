//! The console's custom hooks, one per file: following the fragment, finding out which mode
//! is signed in, the signed-in context, loading a page's data, and running an action.

mod use_console;
mod use_hash_route;
mod use_load;
mod use_probe;
mod use_task;

pub use use_console::{Console, use_console};
pub use use_hash_route::use_hash_route;
pub use use_load::{Load, use_load};
pub use use_probe::{read_account, use_probe};
pub use use_task::use_task;

//! Pieces the screens are built from.

mod copyable;

pub use copyable::Copyable;

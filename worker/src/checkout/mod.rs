//! The checkout services between the routes and the store: what a route asks of a
//! session, done with the store, the chains and the watcher's steps.

pub mod check;

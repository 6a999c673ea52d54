//! The inbound formats monitors speak, each read into [`Signal`](super::Signal)s. Parsing is pure:
//! the server authenticates the key, checks signatures and sizes, and answers in each format's own
//! reply shape.

pub mod generic;
pub mod opsgenie;
pub mod pagerduty;
mod read;
pub mod webhook;

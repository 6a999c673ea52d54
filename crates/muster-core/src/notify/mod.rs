//! Notifications: how a person is reached (`contact`: contact methods and the rules that say which
//! one after how long), what is sent (`message`), and the outbox record of one message on its way
//! with its retry schedule (`outbox`). The server's notifier adapters speak the channels'
//! protocols; everything here is a pure function of its inputs.

pub mod contact;
pub mod message;
pub mod outbox;

pub use contact::{
    ContactKind, ContactMethod, NewContactMethod, NewNotificationRule, NotificationRule, Planned, Reachable,
    plan_notifications,
};
pub use message::{Notice, PageNotice};
pub use outbox::{Backoff, Notification, NotificationStatus, Purpose};

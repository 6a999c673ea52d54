//! Signed single-use links that acknowledge or resolve a page's alert without signing in.
//!
//! A link names one notification and one action and carries an HMAC-SHA256 of both under a key
//! kept in the database (made on first use, shared by every instance). The signature proves the
//! link came from Muster; the notification's `responded_at`, set in the transaction that acts,
//! makes it single-use. Opening a link shows a confirmation page and only its form acts, so mail
//! scanners that fetch every link act on nothing.

use hmac::{Hmac, KeyInit, Mac};
use muster_core::ids::NotificationId;
use sha2::Sha256;

use crate::secrets::constant_time_eq;

/// What a link does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkAction {
    Acknowledge,
    Resolve,
}

impl LinkAction {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkAction::Acknowledge => "acknowledge",
            LinkAction::Resolve => "resolve",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [LinkAction::Acknowledge, LinkAction::Resolve].into_iter().find(|a| a.as_str() == text)
    }
}

/// The acknowledge and resolve links of one notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Links {
    pub acknowledge: String,
    pub resolve: String,
}

/// Signs and checks links with the key.
#[derive(Debug, Clone)]
pub struct LinkSigner {
    key: Vec<u8>,
}

impl LinkSigner {
    pub fn new(key: &str) -> Self {
        LinkSigner { key: key.as_bytes().to_vec() }
    }

    fn signature(&self, notification: &NotificationId, action: LinkAction) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        mac.update(notification.as_str().as_bytes());
        mac.update(b":");
        mac.update(action.as_str().as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// The path of a link (`/respond/{id}/{action}?sig=…`), to put after the public URL.
    pub fn path(&self, notification: &NotificationId, action: LinkAction) -> String {
        format!("/respond/{notification}/{}?sig={}", action.as_str(), self.signature(notification, action))
    }

    pub fn links(&self, public_url: &str, notification: &NotificationId) -> Links {
        Links {
            acknowledge: format!("{public_url}{}", self.path(notification, LinkAction::Acknowledge)),
            resolve: format!("{public_url}{}", self.path(notification, LinkAction::Resolve)),
        }
    }

    pub fn verify(&self, notification: &NotificationId, action: LinkAction, signature: &str) -> bool {
        constant_time_eq(&self.signature(notification, action), signature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_works_only_for_its_notification_and_action() {
        let signer = LinkSigner::new("key");
        let id = NotificationId("n1".into());
        let path = signer.path(&id, LinkAction::Acknowledge);
        let signature = path.split("sig=").nth(1).unwrap();
        assert!(signer.verify(&id, LinkAction::Acknowledge, signature));
        assert!(!signer.verify(&id, LinkAction::Resolve, signature), "an acknowledge link does not resolve");
        assert!(!signer.verify(&NotificationId("n2".into()), LinkAction::Acknowledge, signature));
        assert!(!LinkSigner::new("other").verify(&id, LinkAction::Acknowledge, signature));
    }
}

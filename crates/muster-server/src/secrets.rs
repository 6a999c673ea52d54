//! Secrets: random tokens, their stored hashes, and password hashing.
//!
//! Session and API tokens carry 256 random bits, so a fast SHA-256 hash is enough to store them
//! safely; passwords are low-entropy and get argon2id, run off the async threads.

use argon2::{
    Argon2,
    password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash},
};
use sha2::{Digest, Sha256};

/// Prefix of API tokens, so that secret scanners and people can recognise them.
pub const API_TOKEN_PREFIX: &str = "mst_";

/// `bytes` random bytes as lower-case hex.
pub fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer).expect("the operating system's random source works");
    hex::encode(buffer)
}

pub fn new_api_token() -> String {
    format!("{API_TOKEN_PREFIX}{}", random_hex(32))
}

pub fn new_session_token() -> String {
    random_hex(32)
}

/// A 32-character integration key, the shape monitors know from PagerDuty routing keys.
pub fn new_integration_key() -> String {
    random_hex(16)
}

/// The form in which a high-entropy token is stored and looked up.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Hashes a password with argon2id and a random salt (a PHC string).
pub async fn hash_password(password: String) -> String {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .expect("argon2 hashes any password with its default parameters")
            .to_string()
    })
    .await
    .expect("the hashing task does not panic")
}

/// Whether the password matches the stored PHC hash; a malformed hash never matches.
pub async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
    })
    .await
    .unwrap_or(false)
}

/// A hash that no password matches, checked when the e-mail is unknown so that a sign-in takes as
/// long for unknown users as for known ones.
pub const DUMMY_PASSWORD_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2m0cEH4b0n6nF0xkUq7H1RZkDqv6JHbvxH6m6iQ2bPc";

/// Compares two secrets in time independent of where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn passwords_verify_only_against_their_own_hash() {
        let hash = hash_password("correct horse battery".to_owned()).await;
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery".to_owned(), hash.clone()).await);
        assert!(!verify_password("Correct horse battery".to_owned(), hash).await);
        assert!(!verify_password("anything".to_owned(), DUMMY_PASSWORD_HASH.to_owned()).await);
        assert!(!verify_password("anything".to_owned(), "not a hash".to_owned()).await);
    }

    #[test]
    fn tokens_are_random_and_stored_hashed() {
        let (a, b) = (new_api_token(), new_api_token());
        assert_ne!(a, b);
        assert!(a.starts_with("mst_") && a.len() == 68);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_ne!(token_hash(&a), a);
        assert_eq!(new_integration_key().len(), 32);
    }

    #[test]
    fn constant_time_comparison_is_still_equality() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
    }
}

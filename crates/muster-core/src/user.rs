//! Users: the people Muster pages and the people who read its reports.

use std::{fmt, str::FromStr};

use jiff::{Timestamp, tz::TimeZone};
use serde::{Deserialize, Serialize};

use crate::{
    ids::UserId,
    validate::{Checker, FieldError, Invalid, MAX_NAME_CHARS, required_line},
};

/// What a user may do. Admins manage people; responders run services, teams and incidents;
/// stakeholders read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Responder,
    Stakeholder,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Responder, Role::Stakeholder];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Responder => "responder",
            Role::Stakeholder => "stakeholder",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = FieldError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == value.trim())
            .ok_or_else(|| FieldError::new("role", "must be one of admin, responder, stakeholder"))
    }
}

/// A user as stored. A deactivated user keeps their history but cannot sign in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub id: UserId,
    pub name: String,
    /// Lower-cased; unique among users.
    pub email: String,
    /// IANA time-zone name, used to show times to this user.
    pub time_zone: String,
    pub role: Role,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub deactivated_at: Option<Timestamp>,
}

impl User {
    pub fn is_active(&self) -> bool {
        self.deactivated_at.is_none()
    }
}

/// A validated new user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub name: String,
    pub email: String,
    pub time_zone: String,
    pub role: Role,
}

/// The time zone a user gets when none is given.
pub const DEFAULT_TIME_ZONE: &str = "UTC";

impl NewUser {
    /// Validates every field, reporting all problems at once.
    pub fn parse(name: &str, email: &str, time_zone: Option<&str>, role: Role) -> Result<Self, Invalid> {
        let mut checker = Checker::new();
        let name = checker.check(required_line("name", name, MAX_NAME_CHARS));
        let email = checker.check(parse_email("email", email));
        let time_zone = checker.check(parse_time_zone("time_zone", time_zone.unwrap_or(DEFAULT_TIME_ZONE)));
        checker.finish(|| Some(NewUser { name: name?, email: email?, time_zone: time_zone?, role }))
    }
}

/// A validated partial update of a user; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserChanges {
    pub name: Option<String>,
    pub time_zone: Option<String>,
    pub role: Option<Role>,
}

impl UserChanges {
    pub fn parse(name: Option<&str>, time_zone: Option<&str>, role: Option<Role>) -> Result<Self, Invalid> {
        let mut checker = Checker::new();
        let name = checker.check_optional(name.map(|n| required_line("name", n, MAX_NAME_CHARS)));
        let time_zone = checker.check_optional(time_zone.map(|tz| parse_time_zone("time_zone", tz)));
        checker.finish(|| Some(UserChanges { name: name?, time_zone: time_zone?, role }))
    }
}

/// Longest e-mail address accepted (RFC 5321's path limit).
pub const MAX_EMAIL_CHARS: usize = 254;

/// A plausible e-mail address, lower-cased so that uniqueness ignores case.
///
/// Only the shape is checked (one `@`, a non-empty local part and a domain with no spaces); whether
/// mail arrives is proven later by verifying the contact method.
pub fn parse_email(field: &str, value: &str) -> Result<String, FieldError> {
    let email = value.trim().to_lowercase();
    if email.is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    if email.chars().count() > MAX_EMAIL_CHARS {
        return Err(FieldError::new(field, format!("must be at most {MAX_EMAIL_CHARS} characters")));
    }
    let well_formed = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    };
    if !well_formed {
        return Err(FieldError::new(field, "must be an e-mail address such as ada@example.com"));
    }
    Ok(email)
}

/// An IANA time-zone name known to the bundled time-zone database, such as `Europe/London`.
pub fn parse_time_zone(field: &str, value: &str) -> Result<String, FieldError> {
    let name = value.trim();
    if name.is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    match TimeZone::get(name) {
        Ok(_) => Ok(name.to_owned()),
        Err(_) => Err(FieldError::new(
            field,
            format!("'{name}' is not an IANA time zone such as Europe/London or America/New_York"),
        )),
    }
}

/// Shortest and longest password accepted. Length is what makes a password strong; no other
/// composition rule is imposed (NIST SP 800-63B).
pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 256;

pub fn check_password(field: &str, password: &str) -> Result<(), FieldError> {
    let length = password.chars().count();
    if length < MIN_PASSWORD_CHARS {
        return Err(FieldError::new(field, format!("must be at least {MIN_PASSWORD_CHARS} characters")));
    }
    if length > MAX_PASSWORD_CHARS {
        return Err(FieldError::new(field, format!("must be at most {MAX_PASSWORD_CHARS} characters")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_need_length_only() {
        assert!(check_password("password", "correct horse").is_ok());
        assert_eq!(check_password("password", "short").unwrap_err().field, "password");
        assert!(check_password("password", &"x".repeat(257)).is_err());
    }

    #[test]
    fn emails_are_lower_cased_and_shape_checked() {
        let cases = [
            ("Ada@Example.COM", Some("ada@example.com")),
            ("  ops@localhost ", Some("ops@localhost")),
            ("no-at-sign", None),
            ("@example.com", None),
            ("ada@", None),
            ("a@b@c", None),
            ("ada lovelace@example.com", None),
            ("ada@.example.com", None),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_email("email", input).ok().as_deref(), expected, "input {input:?}");
        }
    }

    #[test]
    fn time_zones_must_be_iana_names() {
        for good in ["UTC", "Europe/London", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"] {
            assert_eq!(parse_time_zone("time_zone", good).as_deref(), Ok(good));
        }
        for bad in ["", "Mars/Olympus_Mons", "GMT+25", "Europe/Londn"] {
            let error = parse_time_zone("time_zone", bad).unwrap_err();
            assert_eq!(error.field, "time_zone", "input {bad:?}");
        }
    }

    #[test]
    fn new_user_names_every_bad_field() {
        let invalid = NewUser::parse("", "nope", Some("Nowhere/Place"), Role::Responder).unwrap_err();
        let fields: Vec<_> = invalid.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "email", "time_zone"]);
    }

    #[test]
    fn new_user_defaults_to_utc() {
        let user = NewUser::parse("Ada", "ada@example.com", None, Role::Admin).unwrap();
        assert_eq!(user.time_zone, "UTC");
    }

    #[test]
    fn roles_round_trip_through_text() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert_eq!("owner".parse::<Role>().unwrap_err().field, "role");
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Parsing an accepted address again changes nothing, so stored e-mails are canonical and
        /// uniqueness is decided on the same text whatever case was typed.
        #[test]
        fn emails_are_canonical(local in "[A-Za-z0-9._%+-]{1,30}", domain in "[A-Za-z0-9-]{1,20}(\\.[A-Za-z]{2,6}){0,2}") {
            let typed = format!("  {local}@{domain} ");
            let email = parse_email("email", &typed).expect("a well-formed address");
            prop_assert_eq!(parse_email("email", &email), Ok(email.clone()));
            prop_assert_eq!(parse_email("email", &email.to_uppercase()), Ok(email.clone()));
        }
    }
}

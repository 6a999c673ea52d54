//! Field-level validation: every problem names the field it is about, so the API can say exactly
//! what to fix and nothing partial is ever written.

use std::fmt;

/// One problem with one input field.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// The field's name as the caller spelled it (`name`, `email`, `team_id`, …).
    pub field: String,
    /// What is wrong, in words a person can act on.
    pub problem: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, problem: impl Into<String>) -> Self {
        Self { field: field.into(), problem: problem.into() }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.problem)
    }
}

impl std::error::Error for FieldError {}

/// All the problems found in one input; never empty.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Invalid(pub Vec<FieldError>);

impl Invalid {
    pub fn one(field: impl Into<String>, problem: impl Into<String>) -> Self {
        Self(vec![FieldError::new(field, problem)])
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&parts.join("; "))
    }
}

impl From<FieldError> for Invalid {
    fn from(error: FieldError) -> Self {
        Self(vec![error])
    }
}

/// Collects field errors while a whole input is checked, so one reply lists every problem.
#[derive(Debug, Default)]
pub struct Checker {
    errors: Vec<FieldError>,
}

impl Checker {
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps the value when it is valid, records the error otherwise.
    pub fn check<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.errors.push(error);
                None
            }
        }
    }

    /// Checks an optional input: an absent one stays absent (`Some(None)`), a valid one is kept
    /// (`Some(Some(value))`), an invalid one records its error (`None`).
    pub fn check_optional<T>(&mut self, result: Option<Result<T, FieldError>>) -> Option<Option<T>> {
        match result {
            None => Some(None),
            Some(result) => self.check(result).map(Some),
        }
    }

    /// Returns the value built from the checked parts, or every error found.
    pub fn finish<T>(self, build: impl FnOnce() -> Option<T>) -> Result<T, Invalid> {
        if self.errors.is_empty() {
            // A check that failed has recorded an error, so `build` sees only `Some` parts.
            build().ok_or_else(|| Invalid::one("input", "is incomplete"))
        } else {
            Err(Invalid(self.errors))
        }
    }
}

/// Longest name accepted for users, teams, services, keys and tokens.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest free-text description accepted.
pub const MAX_DESCRIPTION_CHARS: usize = 2000;

/// A required single-line text: trimmed, not empty, at most `max_chars`, no control characters.
pub fn required_line(field: &str, value: &str, max_chars: usize) -> Result<String, FieldError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    if trimmed.chars().count() > max_chars {
        return Err(FieldError::new(field, format!("must be at most {max_chars} characters")));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(FieldError::new(field, "must be a single line without control characters"));
    }
    Ok(trimmed.to_owned())
}

/// An optional multi-line text: trimmed, at most `max_chars`; newlines and tabs are allowed.
pub fn optional_text(field: &str, value: &str, max_chars: usize) -> Result<String, FieldError> {
    let trimmed = value.trim();
    if trimmed.chars().count() > max_chars {
        return Err(FieldError::new(field, format!("must be at most {max_chars} characters")));
    }
    if trimmed.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Err(FieldError::new(field, "must not contain control characters"));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_line_trims_and_rejects_what_a_name_cannot_be() {
        let cases: &[(&str, Result<&str, &str>)] = &[
            ("  Payments  ", Ok("Payments")),
            ("", Err("must not be empty")),
            ("   ", Err("must not be empty")),
            ("a\nb", Err("must be a single line without control characters")),
            (&"x".repeat(101), Err("must be at most 100 characters")),
        ];
        for (input, expected) in cases {
            let got = required_line("name", input, MAX_NAME_CHARS);
            match expected {
                Ok(value) => assert_eq!(got.as_deref(), Ok(*value), "input {input:?}"),
                Err(problem) => {
                    assert_eq!(got, Err(FieldError::new("name", *problem)), "input {input:?}")
                }
            }
        }
    }

    #[test]
    fn limits_count_characters_not_bytes() {
        let hundred_umlauts = "ü".repeat(100);
        assert!(required_line("name", &hundred_umlauts, MAX_NAME_CHARS).is_ok());
    }

    #[test]
    fn checker_reports_every_problem_at_once() {
        let mut checker = Checker::new();
        let name = checker.check(required_line("name", "", 10));
        let email = checker.check(required_line("email", "", 10));
        let result = checker.finish(|| Some((name?, email?)));
        let fields: Vec<_> = result.unwrap_err().0.into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["name", "email"]);
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Whatever is typed, an accepted name is trimmed, one line, and within the limit.
        #[test]
        fn accepted_names_are_clean(input in "\\PC{0,120}|[ \\t\\n]{0,3}\\PC{0,10}[ \\t\\n]{0,3}|\\PC{0,5}[\\x00-\\x1f\\x7f]\\PC{0,5}") {
            if let Ok(name) = required_line("name", &input, MAX_NAME_CHARS) {
                prop_assert_eq!(name.trim(), name.as_str());
                prop_assert!(!name.is_empty());
                prop_assert!(name.chars().count() <= MAX_NAME_CHARS);
                prop_assert!(!name.chars().any(char::is_control));
                prop_assert_eq!(required_line("name", &name, MAX_NAME_CHARS), Ok(name.clone()), "stable when re-checked");
            }
        }

        /// A rejection always names the field it was asked about.
        #[test]
        fn rejections_name_the_field(input in "\\PC{0,3}|\\PC{99,110}|[\\x00-\\x1f]{1,3}") {
            if let Err(error) = required_line("team name", &input, MAX_NAME_CHARS) {
                prop_assert_eq!(error.field, "team name");
            }
        }
    }
}

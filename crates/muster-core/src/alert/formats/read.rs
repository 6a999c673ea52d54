//! Reading untyped JSON field by field, so that one reply lists every problem with its full path
//! (`payload.summary`, `alerts[2].fingerprint`) instead of stopping at the first.

use jiff::Timestamp;
use serde_json::{Map, Value};

use crate::{
    FieldError, Invalid,
    alert::signal::{Image, Link, MAX_LINKS, clip},
};

/// The problems found so far in one body.
#[derive(Debug, Default)]
pub(crate) struct Problems(Vec<FieldError>);

impl Problems {
    pub(crate) fn add(&mut self, field: impl Into<String>, problem: impl Into<String>) {
        self.0.push(FieldError::new(field, problem));
    }

    pub(crate) fn push(&mut self, error: FieldError) {
        self.0.push(error);
    }

    pub(crate) fn finish<T>(self, value: T) -> Result<T, Invalid> {
        if self.0.is_empty() { Ok(value) } else { Err(Invalid(self.0)) }
    }
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() { name.to_owned() } else { format!("{prefix}.{name}") }
}

/// One JSON object and the path it was found at.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Object<'a> {
    pub(crate) map: &'a Map<String, Value>,
    pub(crate) path: &'a str,
}

impl<'a> Object<'a> {
    /// The whole body, which must be an object.
    pub(crate) fn root(body: &'a Value) -> Result<Object<'a>, Invalid> {
        match body {
            Value::Object(map) => Ok(Object { map, path: "" }),
            _ => Err(Invalid::one("body", "must be a JSON object")),
        }
    }

    pub(crate) fn field(&self, name: &str) -> String {
        join(self.path, name)
    }

    pub(crate) fn get(&self, name: &str) -> Option<&'a Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    /// An optional string; a value of another type is a problem.
    pub(crate) fn text(&self, name: &str, problems: &mut Problems) -> Option<&'a str> {
        match self.get(name) {
            None => None,
            Some(Value::String(text)) => Some(text.as_str()),
            Some(_) => {
                problems.add(self.field(name), "must be a string");
                None
            }
        }
    }

    /// A string that must be present and not blank.
    pub(crate) fn required_text(&self, name: &str, problems: &mut Problems) -> Option<&'a str> {
        match self.text(name, problems) {
            Some(text) if !text.trim().is_empty() => Some(text),
            Some(_) => {
                problems.add(self.field(name), "must not be blank");
                None
            }
            None if self.get(name).is_none() => {
                problems.add(self.field(name), "is missing");
                None
            }
            None => None,
        }
    }

    /// An optional string kept to `max_chars`, where a longer one is refused.
    pub(crate) fn bounded_text(
        &self,
        name: &str,
        max_chars: usize,
        problems: &mut Problems,
    ) -> Option<String> {
        let text = self.text(name, problems)?.trim();
        if text.chars().count() > max_chars {
            problems.add(self.field(name), format!("must be at most {max_chars} characters"));
            return None;
        }
        (!text.is_empty()).then(|| text.to_owned())
    }

    /// A string that must be present, not blank and at most `max_chars` long; trimmed.
    pub(crate) fn required_bounded(
        &self,
        name: &str,
        max_chars: usize,
        problems: &mut Problems,
    ) -> Option<String> {
        let text = self.required_text(name, problems)?.trim();
        if text.chars().count() > max_chars {
            problems.add(self.field(name), format!("must be at most {max_chars} characters"));
            return None;
        }
        Some(text.to_owned())
    }

    /// An optional string kept to `max_chars`, clipped when longer (for senders that cannot be told).
    pub(crate) fn clipped_text(
        &self,
        name: &str,
        max_chars: usize,
        problems: &mut Problems,
    ) -> Option<String> {
        self.text(name, problems).map(|t| clip(t, max_chars)).filter(|t| !t.is_empty())
    }

    /// An optional nested object.
    pub(crate) fn object(&self, name: &str, path: &'a str, problems: &mut Problems) -> Option<Object<'a>> {
        match self.get(name) {
            None => None,
            Some(Value::Object(map)) => Some(Object { map, path }),
            Some(_) => {
                problems.add(self.field(name), "must be an object");
                None
            }
        }
    }

    /// An optional array.
    pub(crate) fn array(&self, name: &str, problems: &mut Problems) -> Option<&'a Vec<Value>> {
        match self.get(name) {
            None => None,
            Some(Value::Array(items)) => Some(items),
            Some(_) => {
                problems.add(self.field(name), "must be an array");
                None
            }
        }
    }

    /// An optional RFC 3339 time.
    pub(crate) fn time(&self, name: &str, problems: &mut Problems) -> Option<Timestamp> {
        let text = self.text(name, problems)?;
        match text.parse::<Timestamp>() {
            Ok(at) => Some(at),
            Err(_) => {
                problems.add(self.field(name), "must be an RFC 3339 time such as 2026-11-23T09:00:00Z");
                None
            }
        }
    }

    /// An optional object of string values (labels, annotations, Opsgenie details).
    pub(crate) fn labels(&self, name: &str, problems: &mut Problems) -> Map<String, Value> {
        let Some(value) = self.get(name) else { return Map::new() };
        match value {
            Value::Object(map) if map.values().all(Value::is_string) => map.clone(),
            _ => {
                problems.add(self.field(name), "must be an object of strings");
                Map::new()
            }
        }
    }

    /// Links as `[{href, text}]`, keeping at most [`MAX_LINKS`].
    pub(crate) fn links(&self, name: &str, problems: &mut Problems) -> Vec<Link> {
        let Some(items) = self.array(name, problems) else { return Vec::new() };
        let mut links = Vec::new();
        for (i, item) in items.iter().take(MAX_LINKS).enumerate() {
            let path = format!("{}[{i}]", self.field(name));
            let Value::Object(map) = item else {
                problems.add(path, "must be an object with href");
                continue;
            };
            let link = Object { map, path: &path };
            let href = link.required_text("href", problems);
            let text = link.text("text", problems).unwrap_or("");
            if let Some(href) = href {
                links.push(Link { href: clip(href, 2048), text: clip(text, 255) });
            }
        }
        links
    }

    /// Images as `[{src, href, alt}]`, keeping at most [`MAX_LINKS`].
    pub(crate) fn images(&self, name: &str, problems: &mut Problems) -> Vec<Image> {
        let Some(items) = self.array(name, problems) else { return Vec::new() };
        let mut images = Vec::new();
        for (i, item) in items.iter().take(MAX_LINKS).enumerate() {
            let path = format!("{}[{i}]", self.field(name));
            let Value::Object(map) = item else {
                problems.add(path, "must be an object with src");
                continue;
            };
            let image = Object { map, path: &path };
            let src = image.required_text("src", problems);
            let href = image.text("href", problems).unwrap_or("");
            let alt = image.text("alt", problems).unwrap_or("");
            if let Some(src) = src {
                images.push(Image { src: clip(src, 2048), href: clip(href, 2048), alt: clip(alt, 255) });
            }
        }
        images
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_problem_is_reported_with_its_path() {
        let body = json!({"a": 5, "b": " ", "links": [{"text": "no href"}, 7], "when": "yesterday"});
        let root = Object::root(&body).unwrap();
        let mut problems = Problems::default();
        assert_eq!(root.text("a", &mut problems), None);
        assert_eq!(root.required_text("b", &mut problems), None);
        assert_eq!(root.required_text("c", &mut problems), None);
        assert!(root.links("links", &mut problems).is_empty());
        assert_eq!(root.time("when", &mut problems), None);
        let errors = problems.finish(()).unwrap_err().0;
        let got: Vec<_> = errors.iter().map(|e| (e.field.as_str(), e.problem.as_str())).collect();
        assert_eq!(
            got,
            [
                ("a", "must be a string"),
                ("b", "must not be blank"),
                ("c", "is missing"),
                ("links[0].href", "is missing"),
                ("links[1]", "must be an object with href"),
                ("when", "must be an RFC 3339 time such as 2026-11-23T09:00:00Z"),
            ]
        );
    }

    #[test]
    fn a_body_that_is_not_an_object_is_refused() {
        assert_eq!(Object::root(&json!([1])).unwrap_err().0[0].field, "body");
    }
}

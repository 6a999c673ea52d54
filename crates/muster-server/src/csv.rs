//! CSV downloads of the report tables, for spreadsheets (RFC 4180). Every table a report shows
//! can be had as CSV: `format=csv` with `table=` naming it, the report's main table by default.

use std::fmt::Display;

use axum::{
    http::header,
    response::{IntoResponse, Response},
};

use crate::error::{ApiError, ApiResult};

/// A CSV document, built row by row.
pub struct Csv {
    out: String,
}

impl Csv {
    pub fn new(header: &[&str]) -> Csv {
        let mut csv = Csv { out: String::new() };
        csv.row(header);
        csv
    }

    pub fn row<T: Display>(&mut self, fields: impl IntoIterator<Item = T>) {
        let fields: Vec<String> = fields.into_iter().map(|f| field(&f.to_string())).collect();
        self.out.push_str(&fields.join(","));
        self.out.push('\n');
    }

    pub fn finish(self) -> String {
        self.out
    }
}

/// A field, quoted when it must be.
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// The table asked for among a report's `tables` (the first when none is named).
pub fn table<'a>(asked: Option<&str>, tables: &[&'a str]) -> ApiResult<&'a str> {
    match asked.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(tables[0]),
        Some(name) => tables
            .iter()
            .copied()
            .find(|t| *t == name)
            .ok_or_else(|| ApiError::field("table", format!("must be one of {}", tables.join(", ")))),
    }
}

/// A CSV download named `{name}.csv`.
pub fn download(name: &str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}.csv\"")),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_with_commas_quotes_or_newlines_are_quoted() {
        let mut csv = Csv::new(&["name", "note"]);
        csv.row(["Ada, Countess", "said \"hi\"\nthen left"]);
        csv.row(["plain", "text"]);
        assert_eq!(csv.finish(), "name,note\n\"Ada, Countess\",\"said \"\"hi\"\"\nthen left\"\nplain,text\n");
    }

    #[test]
    fn an_unknown_table_names_the_choices() {
        assert_eq!(table(None, &["shifts", "people"]).ok(), Some("shifts"));
        assert_eq!(table(Some("people"), &["shifts", "people"]).ok(), Some("people"));
        let refused = table(Some("nope"), &["shifts", "people"]).err().map(|e| format!("{e:?}"));
        assert!(refused.is_some_and(|e| e.contains("shifts, people")));
    }
}

//! Building statements whose shape depends on the input (IN lists, optional filters, batches).
//! sqlx's `QueryBuilder` writes `?` placeholders for the `any` driver, which PostgreSQL refuses;
//! this builder writes each backend's own: `$1, $2, …` for PostgreSQL and plain `?` for SQLite,
//! where numbered names would cost a linear name lookup per bound value.
//!
//! Batches of rows travel as one JSON document bound to one placeholder, which the database unpacks
//! itself (SQLite's `jsonb_each`, PostgreSQL's `jsonb_array_elements`). Whatever the batch size, that
//! is one statement, one round trip and one bound value, and the statement text never changes, so
//! it is prepared once per connection. Binding rows cell by cell through the `any` driver cost
//! about a microsecond per value and a round trip per chunk of rows.

use std::fmt::Write;

use crate::Backend;
use sqlx::{
    Any, Arguments, Encode, FromRow, Type,
    any::{AnyArguments, AnyRow},
    query::{Query, QueryAs},
};

pub(crate) struct Sql {
    backend: Backend,
    text: String,
    arguments: AnyArguments,
    count: usize,
}

impl Sql {
    pub(crate) fn new(backend: Backend, text: impl Into<String>) -> Sql {
        Sql { backend, text: text.into(), arguments: AnyArguments::default(), count: 0 }
    }

    pub(crate) fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    /// Appends the next placeholder and binds `value` to it.
    pub(crate) fn bind<T>(&mut self, value: T) -> &mut Sql
    where
        T: for<'q> Encode<'q, Any> + Type<Any>,
    {
        self.count += 1;
        match self.backend {
            Backend::Postgres => {
                let _ = write!(self.text, "${}", self.count);
            }
            Backend::Sqlite => self.text.push('?'),
        }
        // Encoding into the `any` buffer only copies the value; it cannot fail for the types used.
        let _ = self.arguments.add(value);
        self
    }

    /// Appends `(v1, v2, …)` with one placeholder per value, separated by commas.
    pub(crate) fn list<T>(&mut self, values: impl IntoIterator<Item = T>) -> &mut Sql
    where
        T: for<'q> Encode<'q, Any> + Type<Any>,
    {
        self.push("(");
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(value);
        }
        self.push(")")
    }

    /// Appends `SELECT <columns> FROM <rows>`, the rows being the elements of `document`, a JSON
    /// array of rows, each an array of its values in `columns` order (see [`batch_row!`]). Each
    /// column is named after its field, so the rows can also be joined (`UPDATE … FROM`).
    pub(crate) fn rows_from_json(&mut self, columns: &[Column], document: String) -> &mut Sql {
        self.push("SELECT ");
        for (i, column) in columns.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            let _ = match column {
                Column::Text(name) => write!(self.text, "value ->> {i} AS {name}"),
                Column::Integer(name) => write!(self.text, "CAST(value ->> {i} AS BIGINT) AS {name}"),
            };
        }
        self.push(" FROM ").json_elements(document)
    }

    /// Appends ` IN <the strings of document>`, a JSON array of strings, after a column. On
    /// PostgreSQL the strings become an array for `= ANY`, which the planner matches with an index
    /// scan whatever number of strings it guesses a function returns.
    pub(crate) fn in_json_strings(&mut self, document: String) -> &mut Sql {
        match self.backend {
            Backend::Sqlite => self.push(" IN (SELECT value FROM ").json_elements(document).push(")"),
            Backend::Postgres => self
                .push(" = ANY (ARRAY(SELECT jsonb_array_elements_text(CAST(")
                .bind(document)
                .push(" AS jsonb))))"),
        }
    }

    /// The table of a JSON array's elements, one row per element in a column named `value`, with
    /// its position in a column named `key` (for `ORDER BY key`).
    fn json_elements(&mut self, document: String) -> &mut Sql {
        match self.backend {
            // `jsonb_each` (SQLite 3.51) hands each row over in SQLite's binary JSON, which `->>`
            // reads directly; `json_each` renders each row as text that every `->>` parses again,
            // four times the cost per row.
            Backend::Sqlite => self.push("jsonb_each(").bind(document).push(")"),
            Backend::Postgres => self
                .push("jsonb_array_elements(CAST(")
                .bind(document)
                .push(" AS jsonb)) WITH ORDINALITY AS batch (value, key)"),
        }
    }

    pub(crate) fn query(self) -> Query<'static, Any, AnyArguments> {
        sqlx::query_with(sqlx::AssertSqlSafe(self.text), self.arguments)
    }

    pub(crate) fn query_as<T>(self) -> QueryAs<'static, Any, T, AnyArguments>
    where
        T: for<'r> FromRow<'r, AnyRow>,
    {
        sqlx::query_as_with(sqlx::AssertSqlSafe(self.text), self.arguments)
    }
}

/// Write statements that travel to the database in one round trip. On SQLite they are one query
/// string of statements separated by `;`, which its driver runs one after the other on its worker
/// thread; PostgreSQL prepares a single statement at a time, so there they become the
/// data-modifying `WITH` clauses of one statement. Either way they run in order inside the
/// caller's transaction, and none of them may read what another writes (PostgreSQL runs the
/// clauses on one snapshot).
///
/// Multiple statements in one prepared query are deprecated in sqlx
/// (<https://github.com/launchbadge/sqlx/issues/3108>) but still run by its SQLite driver; the
/// ingest conformance tests fail if they stop running.
pub(crate) struct Writes {
    sql: Sql,
    statements: usize,
}

impl Writes {
    pub(crate) fn new(backend: Backend) -> Writes {
        Writes { sql: Sql::new(backend, String::new()), statements: 0 }
    }

    /// Adds the statement that `write` appends (an `INSERT` or `UPDATE` without `RETURNING`).
    pub(crate) fn add(&mut self, write: impl FnOnce(&mut Sql)) -> &mut Writes {
        match self.sql.backend {
            Backend::Sqlite => {
                if self.statements > 0 {
                    self.sql.push(";\n");
                }
                write(&mut self.sql);
            }
            Backend::Postgres => {
                let _ = write!(
                    self.sql.text,
                    "{} write_{} AS (",
                    if self.statements == 0 { "WITH" } else { "," },
                    self.statements
                );
                write(&mut self.sql);
                self.sql.push(")\n");
            }
        }
        self.statements += 1;
        self
    }

    /// The statements as one query.
    pub(crate) fn into_sql(mut self) -> Sql {
        if self.sql.backend == Backend::Postgres {
            self.sql.push("SELECT 1");
        }
        self.sql
    }
}

/// A column filled from a JSON batch, with the type it is read back as.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Column {
    Text(&'static str),
    Integer(&'static str),
}

impl Column {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Column::Text(name) | Column::Integer(name) => name,
        }
    }
}

/// Declares a row of a batch document: the struct, its columns (named after its fields, in their
/// order) and a `Serialize` that writes the values as a JSON array in that order. The database
/// reads them by position, which costs SQLite about half of reading them by name.
macro_rules! batch_row {
    ($(#[$doc:meta])* struct $name:ident<$lt:lifetime> { $($field:ident: $kind:ident $ty:ty),* $(,)? }) => {
        $(#[$doc])*
        struct $name<$lt> {
            $($field: $ty),*
        }

        impl $name<'_> {
            const COLUMNS: &'static [$crate::sql::Column] =
                &[$($crate::sql::Column::$kind(stringify!($field))),*];
        }

        impl serde::Serialize for $name<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeTuple;
                let mut row = serializer.serialize_tuple(Self::COLUMNS.len())?;
                $(row.serialize_element(&self.$field)?;)*
                row.end()
            }
        }
    };
}
pub(crate) use batch_row;

/// The JSON document for [`Sql::rows_from_json`] or [`Sql::in_json_strings`]: a JSON array of
/// `rows`, each serialized with serde (a [`batch_row!`], or a string).
pub(crate) fn rows_document<T: serde::Serialize>(rows: &[T]) -> String {
    // Serializing plain structs of strings and numbers into a String cannot fail.
    serde_json::to_string(rows).unwrap_or_else(|_| "[]".to_owned())
}

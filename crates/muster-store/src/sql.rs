//! Building statements whose shape depends on the input (IN lists, multi-row VALUES, optional
//! filters). sqlx's `QueryBuilder` writes `?` placeholders for the `any` driver, which PostgreSQL
//! refuses; this builder writes each backend's own: `$1, $2, …` for PostgreSQL and plain `?` for
//! SQLite, where numbered names would cost a linear name lookup per bound value (quadratic in a
//! statement with two thousand values).

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

/// Splits rows into statements of a few fixed sizes (powers of two up to 64 rows), so that however a
/// batch is made up, only seven distinct statements exist and each connection's prepared-statement
/// cache keeps them all instead of parsing a new thousand-placeholder statement for every batch,
/// while a batch still needs at most one statement per set bit of its size.
pub(crate) fn fixed_chunks<T>(mut rows: &[T]) -> impl Iterator<Item = &[T]> {
    std::iter::from_fn(move || {
        let size = [64, 32, 16, 8, 4, 2, 1].into_iter().find(|size| rows.len() >= *size)?;
        let (chunk, rest) = rows.split_at(size);
        rows = rest;
        Some(chunk)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_use_few_sizes_and_cover_every_row_once() {
        let rows: Vec<u32> = (0..150).collect();
        let sizes: Vec<usize> = fixed_chunks(&rows).map(<[u32]>::len).collect();
        assert_eq!(sizes, [64, 64, 16, 4, 2]);
        let again: Vec<u32> = fixed_chunks(&rows).flatten().copied().collect();
        assert_eq!(again, rows);
        assert_eq!(fixed_chunks::<u32>(&[]).count(), 0);
    }
}

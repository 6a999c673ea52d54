//! Building statements whose shape depends on the input (IN lists, multi-row VALUES, optional
//! filters). sqlx's `QueryBuilder` writes `?` placeholders for the `any` driver, which PostgreSQL
//! refuses; this builder numbers them (`$1`, `$2`, …), which both backends accept.

use std::fmt::Write;

use sqlx::{
    Any, Arguments, Encode, FromRow, Type,
    any::{AnyArguments, AnyRow},
    query::{Query, QueryAs},
};

#[derive(Default)]
pub(crate) struct Sql {
    text: String,
    arguments: AnyArguments,
    count: usize,
}

impl Sql {
    pub(crate) fn new(text: impl Into<String>) -> Sql {
        Sql { text: text.into(), ..Sql::default() }
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
        let _ = write!(self.text, "${}", self.count);
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

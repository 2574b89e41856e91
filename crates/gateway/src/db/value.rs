//! What a batch's statements bind and what a write reads back: owned
//! values, so a batch can wait in a queue and be run on either database
//! (through sqlx, or on SQLite's batches' connection, `group::direct`).

use sqlx::Arguments;
use sqlx::any::AnyArguments;

/// A statement's argument, owned so a batch can wait in a queue; a NULL
/// keeps its type (PostgreSQL will not put a text NULL in an integer).
#[derive(Debug, Clone)]
pub enum Arg {
    Int(Option<i64>),
    Text(Option<String>),
    Bytes(Option<Vec<u8>>),
}

/// A value a write reads back (`RETURNING`, [`super::write_returning`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
}

/// A row a write reads back.
pub type Row = Vec<Value>;

impl Value {
    pub fn int(&self) -> Option<i64> {
        match self {
            Self::Int(v) => Some(*v),
            _ => None,
        }
    }

    pub fn into_text(self) -> Option<String> {
        match self {
            Self::Text(v) => Some(v),
            _ => None,
        }
    }
}

/// A row's columns as [`Value`]s.
pub(super) fn values(row: &sqlx::any::AnyRow) -> Result<Row, sqlx::Error> {
    use sqlx::any::AnyTypeInfoKind as Kind;
    use sqlx::{Column, Row as _};
    row.columns()
        .iter()
        .enumerate()
        .map(|(i, column)| {
            let value = match column.type_info().kind() {
                Kind::Null => None,
                Kind::Bool => row
                    .try_get::<Option<bool>, _>(i)?
                    .map(|b| Value::Int(b.into())),
                Kind::SmallInt => row
                    .try_get::<Option<i16>, _>(i)?
                    .map(|v| Value::Int(v.into())),
                Kind::Integer => row
                    .try_get::<Option<i32>, _>(i)?
                    .map(|v| Value::Int(v.into())),
                Kind::BigInt => row.try_get::<Option<i64>, _>(i)?.map(Value::Int),
                Kind::Text => row.try_get::<Option<String>, _>(i)?.map(Value::Text),
                Kind::Blob => row.try_get::<Option<Vec<u8>>, _>(i)?.map(Value::Bytes),
                // Money is kept in integers, never in floating point.
                Kind::Real | Kind::Double => {
                    return Err(sqlx::Error::ColumnDecode {
                        index: column.name().to_owned(),
                        source: "a write read back a floating-point value".into(),
                    });
                }
            };
            Ok(value.unwrap_or(Value::Null))
        })
        .collect()
}

pub(super) fn arguments(args: Vec<Arg>) -> Result<AnyArguments, sqlx::Error> {
    let mut out = AnyArguments::default();
    for arg in args {
        match arg {
            Arg::Int(v) => out.add(v),
            Arg::Text(v) => out.add(v),
            Arg::Bytes(v) => out.add(v),
        }
        .map_err(sqlx::Error::Encode)?;
    }
    Ok(out)
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Self::Int(Some(v))
    }
}

impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        Self::Int(v)
    }
}

impl From<String> for Arg {
    fn from(v: String) -> Self {
        Self::Text(Some(v))
    }
}

impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Self {
        Self::Text(v)
    }
}

impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Self::Text(Some(v.to_owned()))
    }
}

impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Self {
        Self::Text(v.map(str::to_owned))
    }
}

impl From<&String> for Arg {
    fn from(v: &String) -> Self {
        Self::Text(Some(v.clone()))
    }
}

impl From<&[u8]> for Arg {
    fn from(v: &[u8]) -> Self {
        Self::Bytes(Some(v.to_vec()))
    }
}

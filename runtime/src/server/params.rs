//! Typed parameters from raw request text.
//!
//! A path, query, header or cookie value arrives as text; the generated handler names the Rust
//! type. [`from_raw`] turns the text into that type through serde: a scalar is tried first as a
//! JSON string (strings, enums, dates, UUIDs), then as a JSON literal (numbers, booleans); array
//! styles are split first (`a,b`, `a|b`, `a b`, or repeated `name=a&name=b`). Anything that does
//! not fit is 400 `invaliddata` naming the parameter, never a panic.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::catalogue::{ParamLocation, ParamStyle};
use crate::imsx::ImsError;

/// Longest value excerpt quoted back in an error description.
const EXCERPT_CHARS: usize = 40;

fn excerpt(raw: &str) -> String {
    let mut out: String = raw
        .chars()
        .filter(|c| !c.is_control())
        .take(EXCERPT_CHARS)
        .collect();
    if raw.chars().count() > EXCERPT_CHARS {
        out.push('…');
    }
    out
}

fn location_name(location: ParamLocation) -> &'static str {
    match location {
        ParamLocation::Path => "path",
        ParamLocation::Query => "query",
        ParamLocation::Header => "header",
        ParamLocation::Cookie => "cookie",
    }
}

fn invalid(location: ParamLocation, name: &str, why: impl std::fmt::Display) -> ImsError {
    ImsError::invalid_data(format!(
        "the {} parameter '{name}' is invalid: {why}",
        location_name(location)
    ))
}

/// A text value as a JSON literal when it is one (number, boolean, null), else as a JSON string.
fn literal_or_string(raw: &str) -> Value {
    match serde_json::from_str::<Value>(raw) {
        Ok(v @ (Value::Number(_) | Value::Bool(_))) => v,
        _ => Value::String(raw.to_owned()),
    }
}

fn scalar<T: DeserializeOwned>(raw: &str) -> Result<T, serde_json::Error> {
    match T::deserialize(Value::String(raw.to_owned())) {
        Ok(v) => Ok(v),
        Err(first) => match literal_or_string(raw) {
            Value::String(_) => Err(first),
            literal => T::deserialize(literal),
        },
    }
}

fn array<T: DeserializeOwned>(items: &[&str]) -> Result<T, serde_json::Error> {
    let strings = Value::Array(
        items
            .iter()
            .map(|s| Value::String((*s).to_owned()))
            .collect(),
    );
    match T::deserialize(strings) {
        Ok(v) => Ok(v),
        Err(first) => {
            let literals = Value::Array(items.iter().map(|s| literal_or_string(s)).collect());
            T::deserialize(literals).map_err(|_| first)
        }
    }
}

/// Converts the raw values of one parameter (several only for a repeated query parameter) into
/// `T` following `style`.
///
/// ```
/// use ims_runtime::catalogue::{ParamLocation, ParamStyle};
/// use ims_runtime::server::params::from_raw;
///
/// let n: i32 = from_raw(ParamLocation::Query, "limit", &["5"], ParamStyle::Scalar).unwrap();
/// assert_eq!(n, 5);
/// let ids: Vec<String> = from_raw(ParamLocation::Query, "ids", &["a|7"], ParamStyle::PipeDelimited).unwrap();
/// assert_eq!(ids, ["a", "7"]);
/// let err = from_raw::<i32>(ParamLocation::Path, "id", &["x"], ParamStyle::Scalar).unwrap_err();
/// assert_eq!(err.code_minor(), "invaliddata");
/// assert!(err.description().contains("'id'"));
/// ```
///
/// # Errors
/// 400 `invaliddata` naming the parameter when there is no value, a single-valued parameter is
/// repeated, or the text does not convert to `T`.
pub fn from_raw<T: DeserializeOwned>(
    location: ParamLocation,
    name: &str,
    values: &[&str],
    style: ParamStyle,
) -> Result<T, ImsError> {
    let single = || match values {
        [one] => Ok(*one),
        [] => Err(invalid(location, name, "no value")),
        _ => Err(invalid(location, name, "given more than once")),
    };
    let result = match style {
        ParamStyle::Scalar => scalar(single()?),
        ParamStyle::Json => serde_json::from_str(single()?),
        ParamStyle::FormExploded => array(values),
        ParamStyle::CommaSeparated => array(&single()?.split(',').collect::<Vec<_>>()),
        ParamStyle::SpaceDelimited => array(&single()?.split(' ').collect::<Vec<_>>()),
        ParamStyle::PipeDelimited => array(&single()?.split('|').collect::<Vec<_>>()),
    };
    result.map_err(|e| {
        let shown = values.first().map(|v| excerpt(v)).unwrap_or_default();
        invalid(location, name, format!("'{shown}' does not fit ({e})"))
    })
}

/// The error for a required parameter that is absent: 400 `invaliddata` naming it.
pub fn missing(location: ParamLocation, name: &str) -> ImsError {
    invalid(location, name, "it is required")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Deserialize)]
    #[serde(rename_all = "lowercase")]
    enum Role {
        Student,
        Teacher,
    }

    #[test]
    fn scalars_try_string_then_literal() {
        let q = ParamLocation::Query;
        assert_eq!(
            from_raw::<String>(q, "a", &["12"], ParamStyle::Scalar).unwrap(),
            "12"
        );
        assert_eq!(
            from_raw::<i64>(q, "a", &["12"], ParamStyle::Scalar).unwrap(),
            12
        );
        assert!(from_raw::<bool>(q, "a", &["true"], ParamStyle::Scalar).unwrap());
        assert_eq!(
            from_raw::<Role>(q, "a", &["teacher"], ParamStyle::Scalar).unwrap(),
            Role::Teacher
        );
        assert!(from_raw::<Role>(q, "a", &["admin"], ParamStyle::Scalar).is_err());
        assert!(from_raw::<u8>(q, "a", &["300"], ParamStyle::Scalar).is_err());
    }

    #[test]
    fn arrays_follow_their_style() {
        let q = ParamLocation::Query;
        let v: Vec<i32> = from_raw(q, "a", &["1", "2"], ParamStyle::FormExploded).unwrap();
        assert_eq!(v, [1, 2]);
        let v: Vec<String> = from_raw(q, "a", &["x,1"], ParamStyle::CommaSeparated).unwrap();
        assert_eq!(v, ["x", "1"]);
        let v: Vec<Role> =
            from_raw(q, "a", &["student teacher"], ParamStyle::SpaceDelimited).unwrap();
        assert_eq!(v, [Role::Student, Role::Teacher]);
        let v: Value = from_raw(q, "a", &[r#"{"k":1}"#], ParamStyle::Json).unwrap();
        assert_eq!(v["k"], 1);
    }

    #[test]
    fn repeated_single_values_and_bad_text_are_invaliddata() {
        let e = from_raw::<String>(ParamLocation::Query, "x", &["a", "b"], ParamStyle::Scalar)
            .unwrap_err();
        assert_eq!(e.status().as_u16(), 400);
        assert!(e.description().contains("more than once"));
        let e =
            from_raw::<Value>(ParamLocation::Header, "h", &["{"], ParamStyle::Json).unwrap_err();
        assert!(e.description().contains("header parameter 'h'"));
    }
}

//! Scalar types and serde helpers used by generated `models`.
//!
//! The format newtypes ([`DateTime`], [`Date`], [`Uri`], [`Uuid`]) validate their text when parsed
//! or deserialized, but keep the original text, so a payload re-serializes byte for byte (a
//! `2024-01-01T00:00:00.000Z` does not come back as `2024-01-01T00:00:00Z`). Typed views are one
//! call away (`to_offset_date_time()`, `to_date()`, `to_url()`, `to_uuid()`).
//!
//! Generated enums get their `FromStr`/`Display`/serde impls from
//! [`string_enum!`](crate::string_enum) (in `types/string_enum.rs`), which parse through
//! [`EnumValueError`]-returning `FromStr` impls and [`deserialize_from_str`]; IMS extensible enumerations check their `ext:` values with
//! [`parse_ext_value`]. Optional nullable fields use [`deserialize_some`] to keep "absent" (`None`)
//! apart from "null" (`Some(None)`).

mod string_enum;

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A value that does not have the format a field requires.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {format} `{value}`: {reason}")]
pub struct FormatError {
    /// The format, e.g. `date-time (RFC 3339)`.
    pub format: &'static str,
    /// The rejected text.
    pub value: String,
    /// Why it was rejected.
    pub reason: String,
}

impl FormatError {
    fn new(format: &'static str, value: &str, reason: impl fmt::Display) -> Self {
        Self {
            format,
            value: value.to_owned(),
            reason: reason.to_string(),
        }
    }
}

/// Serializes as the original text and deserializes through `FromStr` (which validates).
macro_rules! text_serde {
    ($ty:ident) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.text)
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserialize_from_str(deserializer)
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.text)
            }
        }

        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                &self.text
            }
        }

        impl $ty {
            /// The text exactly as received or given.
            pub fn as_str(&self) -> &str {
                &self.text
            }

            /// The text, consumed.
            pub fn into_string(self) -> String {
                self.text
            }
        }

        impl TryFrom<String> for $ty {
            type Error = FormatError;
            fn try_from(value: String) -> Result<Self, FormatError> {
                value.parse()
            }
        }

        impl TryFrom<&str> for $ty {
            type Error = FormatError;
            fn try_from(value: &str) -> Result<Self, FormatError> {
                value.parse()
            }
        }
    };
}

/// An RFC 3339 date-time (`format: date-time`), e.g. `2024-03-01T12:00:00.000Z`.
///
/// ```
/// use ims_runtime::types::DateTime;
/// let t: DateTime = "2024-03-01T12:00:00.000Z".parse().unwrap();
/// assert_eq!(t.as_str(), "2024-03-01T12:00:00.000Z");
/// assert_eq!(t.to_offset_date_time().year(), 2024);
/// assert!("2024-03-01".parse::<DateTime>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DateTime {
    text: String,
    value: time::OffsetDateTime,
}

impl DateTime {
    /// The value as a `time::OffsetDateTime`.
    pub fn to_offset_date_time(&self) -> time::OffsetDateTime {
        self.value
    }

    /// Formats `value` as RFC 3339.
    pub fn from_offset_date_time(value: time::OffsetDateTime) -> Result<Self, FormatError> {
        value
            .format(&time::format_description::well_known::Rfc3339)
            .map(|text| Self { text, value })
            .map_err(|e| FormatError::new("date-time (RFC 3339)", &value.to_string(), e))
    }
}

impl FromStr for DateTime {
    type Err = FormatError;
    fn from_str(s: &str) -> Result<Self, FormatError> {
        time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
            .map(|value| Self {
                text: s.to_owned(),
                value,
            })
            .map_err(|e| {
                FormatError::new("date-time (RFC 3339, e.g. `2024-03-01T12:00:00Z`)", s, e)
            })
    }
}

text_serde!(DateTime);

const DATE_FORMAT: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

/// An RFC 3339 full-date (`format: date`), e.g. `2024-03-01`.
///
/// ```
/// use ims_runtime::types::Date;
/// let d: Date = "2024-02-29".parse().unwrap();
/// assert_eq!(d.to_date().day(), 29);
/// assert!("2023-02-29".parse::<Date>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    text: String,
    value: time::Date,
}

impl Date {
    /// The value as a `time::Date`.
    pub fn to_date(&self) -> time::Date {
        self.value
    }

    /// Formats `value` as `YYYY-MM-DD`.
    pub fn from_date(value: time::Date) -> Result<Self, FormatError> {
        value
            .format(DATE_FORMAT)
            .map(|text| Self { text, value })
            .map_err(|e| FormatError::new("date (YYYY-MM-DD)", &value.to_string(), e))
    }
}

impl FromStr for Date {
    type Err = FormatError;
    fn from_str(s: &str) -> Result<Self, FormatError> {
        time::Date::parse(s, DATE_FORMAT)
            .map(|value| Self {
                text: s.to_owned(),
                value,
            })
            .map_err(|e| FormatError::new("date (YYYY-MM-DD)", s, e))
    }
}

text_serde!(Date);

/// An absolute URI (`format: uri`), e.g. `https://example.org/orgs/1`.
///
/// ```
/// use ims_runtime::types::Uri;
/// let u: Uri = "https://example.org/a%20b".parse().unwrap();
/// assert_eq!(u.as_str(), "https://example.org/a%20b");
/// assert!("not a uri".parse::<Uri>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uri {
    text: String,
    value: url::Url,
}

impl Uri {
    /// The value as a `url::Url` (normalized by the `url` crate).
    pub fn to_url(&self) -> &url::Url {
        &self.value
    }
}

impl From<url::Url> for Uri {
    fn from(value: url::Url) -> Self {
        Self {
            text: value.as_str().to_owned(),
            value,
        }
    }
}

impl FromStr for Uri {
    type Err = FormatError;
    fn from_str(s: &str) -> Result<Self, FormatError> {
        url::Url::parse(s)
            .map(|value| Self {
                text: s.to_owned(),
                value,
            })
            .map_err(|e| FormatError::new("uri (absolute URI)", s, e))
    }
}

text_serde!(Uri);

/// A UUID (`format: uuid`), e.g. `67e55044-10b1-426f-9247-bb680e5fe0c8`.
///
/// ```
/// use ims_runtime::types::Uuid;
/// let u: Uuid = "67E55044-10B1-426F-9247-BB680E5FE0C8".parse().unwrap();
/// assert_eq!(u.as_str(), "67E55044-10B1-426F-9247-BB680E5FE0C8");
/// assert_eq!(u.to_uuid().to_string(), "67e55044-10b1-426f-9247-bb680e5fe0c8");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uuid {
    text: String,
    value: uuid::Uuid,
}

impl Uuid {
    /// The value as a `uuid::Uuid`.
    pub fn to_uuid(&self) -> uuid::Uuid {
        self.value
    }
}

impl From<uuid::Uuid> for Uuid {
    fn from(value: uuid::Uuid) -> Self {
        Self {
            text: value.hyphenated().to_string(),
            value,
        }
    }
}

impl FromStr for Uuid {
    type Err = FormatError;
    fn from_str(s: &str) -> Result<Self, FormatError> {
        uuid::Uuid::parse_str(s)
            .map(|value| Self {
                text: s.to_owned(),
                value,
            })
            .map_err(|e| FormatError::new("uuid", s, e))
    }
}

text_serde!(Uuid);

/// A string that is not one of an enumeration's values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumValueError {
    /// The rejected text.
    pub value: String,
    /// The values the enumeration lists.
    pub allowed: &'static [&'static str],
    /// Whether `ext:`-prefixed extension values are also accepted.
    pub extensible: bool,
}

impl fmt::Display for EnumValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown value `{}`: expected one of ", self.value)?;
        for (i, v) in self.allowed.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "`{v}`")?;
        }
        if self.extensible {
            f.write_str(
                " or an extension value `ext:<name>` (name made of ASCII letters, digits, `.`, `-`, `_`)",
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for EnumValueError {}

/// Checks an extension value of an IMS extensible enumeration: `ext:` followed by one or more of
/// `[a-zA-Z0-9.\-_]` (the IMS pattern `(ext:)[a-zA-Z0-9\.\-_]+`, read as a whole-value match).
///
/// Returns the value unchanged, so it round-trips exactly.
///
/// ```
/// use ims_runtime::types::parse_ext_value;
/// assert_eq!(parse_ext_value("ext:campus", &["school"]).unwrap(), "ext:campus");
/// assert!(parse_ext_value("bogus", &["school"]).is_err());
/// assert!(parse_ext_value("ext:", &["school"]).is_err());
/// ```
pub fn parse_ext_value(
    value: &str,
    allowed: &'static [&'static str],
) -> Result<String, EnumValueError> {
    let valid = value.strip_prefix("ext:").is_some_and(|name| {
        !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
    });
    if valid {
        Ok(value.to_owned())
    } else {
        Err(EnumValueError {
            value: value.to_owned(),
            allowed,
            extensible: true,
        })
    }
}

/// Deserializes a string through `T: FromStr`, reporting `T::Err` as the serde error.
///
/// Generated enums and the format newtypes use it so every rejected value says what was expected.
pub fn deserialize_from_str<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: fmt::Display,
{
    struct FromStrVisitor<T>(PhantomData<T>);

    impl<T> Visitor<'_> for FromStrVisitor<T>
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        type Value = T;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
            v.parse().map_err(E::custom)
        }
    }

    deserializer.deserialize_str(FromStrVisitor(PhantomData))
}

/// `deserialize_with` for optional nullable fields (`Option<Option<T>>`): a present value,
/// including `null`, becomes `Some(..)`; together with `#[serde(default)]` an absent field stays
/// `None`, so `{}` and `{"x": null}` remain different after a round trip.
///
/// ```
/// #[derive(serde::Deserialize, serde::Serialize, Debug, PartialEq)]
/// struct S {
///     #[serde(default, skip_serializing_if = "Option::is_none",
///             deserialize_with = "ims_runtime::types::deserialize_some")]
///     x: Option<Option<u8>>,
/// }
/// let absent: S = serde_json::from_str("{}").unwrap();
/// let null: S = serde_json::from_str(r#"{"x":null}"#).unwrap();
/// assert_eq!(absent.x, None);
/// assert_eq!(null.x, Some(None));
/// assert_eq!(serde_json::to_string(&null).unwrap(), r#"{"x":null}"#);
/// assert_eq!(serde_json::to_string(&absent).unwrap(), "{}");
/// ```
pub fn deserialize_some<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// `deserialize_with` for optional fields that are not nullable (`Option<T>`): a missing member
/// is `None` (with `#[serde(default)]`), a present one must be a `T`. What `null` means depends
/// on who reads: a generated server decoding a request body refuses it ("null is not allowed"),
/// because the SDD does not allow it and invalid input must not reach the implementation; a
/// client reading a response takes it as absent, because real providers send `null` for members
/// they leave out and a client should not fail on it. The server says which through
/// [`StrictNulls`], around one synchronous decode.
pub fn deserialize_optional<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    let value = Option::<T>::deserialize(deserializer)?;
    if value.is_none() && STRICT_NULLS.with(std::cell::Cell::get) {
        return Err(serde::de::Error::custom(
            "null is not allowed here: the member is optional, leave it out instead",
        ));
    }
    Ok(value)
}

thread_local! {
    static STRICT_NULLS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// While alive, [`deserialize_optional`] on this thread refuses `null`. Held by a server around
/// the (synchronous) decode of a request body; dropping it restores what was there before.
#[derive(Debug)]
pub struct StrictNulls {
    before: bool,
}

impl StrictNulls {
    /// Refuses `null` for optional, non-nullable members on this thread until dropped.
    pub fn enter() -> Self {
        Self {
            before: STRICT_NULLS.with(|s| s.replace(true)),
        }
    }
}

impl Drop for StrictNulls {
    fn drop(&mut self) {
        let before = self.before;
        STRICT_NULLS.with(|s| s.set(before));
    }
}

/// `deserialize_with` for required nullable fields (`Option<T>`): like `Option::deserialize`,
/// but because it is a `deserialize_with` function serde no longer treats a missing field as
/// `None`, so `{}` is rejected with "missing field" while `{"x": null}` is accepted.
pub fn deserialize_nullable<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer)
}

/// `deserialize_with` for optional fields whose type admits `null` itself (any JSON value): a
/// present member, including `null`, becomes `Some(..)`, so `{"x": null}` re-serializes with the
/// member instead of dropping it.
pub fn deserialize_present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_time_keeps_original_text_on_round_trip() {
        for text in [
            "2024-03-01T12:00:00.000Z",
            "2024-03-01T12:00:00Z",
            "2024-03-01T12:00:00.123456+02:00",
        ] {
            let json = format!("\"{text}\"");
            let v: DateTime = serde_json::from_str(&json).unwrap();
            assert_eq!(serde_json::to_string(&v).unwrap(), json);
        }
    }

    #[test]
    fn date_time_rejects_non_rfc3339_with_clear_error() {
        let err = serde_json::from_str::<DateTime>("\"2024-03-01 12:00\"").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("invalid date-time"), "{msg}");
        assert!(msg.contains("2024-03-01 12:00"), "{msg}");
        assert!(serde_json::from_str::<DateTime>("\"2024-03-01\"").is_err());
        assert!(serde_json::from_str::<DateTime>("17").is_err());
    }

    #[test]
    fn date_validates_calendar() {
        assert!("2024-02-29".parse::<Date>().is_ok());
        assert!("2023-02-29".parse::<Date>().is_err());
        assert!("2024-2-1".parse::<Date>().is_err());
        let d: Date = serde_json::from_str("\"2024-12-31\"").unwrap();
        assert_eq!(d.to_date().month(), time::Month::December);
        assert_eq!(serde_json::to_string(&d).unwrap(), "\"2024-12-31\"");
    }

    #[test]
    fn uri_requires_absolute_uri_and_keeps_text() {
        let u: Uri = serde_json::from_str("\"HTTPS://Example.org/x\"").unwrap();
        assert_eq!(
            serde_json::to_string(&u).unwrap(),
            "\"HTTPS://Example.org/x\""
        );
        assert_eq!(u.to_url().host_str(), Some("example.org"));
        assert!("/relative/path".parse::<Uri>().is_err());
        assert!("".parse::<Uri>().is_err());
    }

    #[test]
    fn uuid_validates_and_keeps_case() {
        let u: Uuid = serde_json::from_str("\"67E55044-10B1-426F-9247-BB680E5FE0C8\"").unwrap();
        assert_eq!(
            serde_json::to_string(&u).unwrap(),
            "\"67E55044-10B1-426F-9247-BB680E5FE0C8\""
        );
        assert!("not-a-uuid".parse::<Uuid>().is_err());
        let fresh = Uuid::from(uuid::Uuid::nil());
        assert_eq!(fresh.as_str(), "00000000-0000-0000-0000-000000000000");
    }

    #[test]
    fn ext_values_need_prefix_and_allowed_characters() {
        const KNOWN: &[&str] = &["school", "district"];
        assert_eq!(parse_ext_value("ext:campus", KNOWN).unwrap(), "ext:campus");
        assert_eq!(
            parse_ext_value("ext:a.b-c_D9", KNOWN).unwrap(),
            "ext:a.b-c_D9"
        );
        for bad in [
            "bogus",
            "ext:",
            "ext:has space",
            "xext:campus",
            "EXT:campus",
            "ext:ü",
        ] {
            assert!(parse_ext_value(bad, KNOWN).is_err(), "{bad} accepted");
        }
        let msg = parse_ext_value("bogus", KNOWN).unwrap_err().to_string();
        assert_eq!(
            msg,
            "unknown value `bogus`: expected one of `school`, `district` or an extension value \
             `ext:<name>` (name made of ASCII letters, digits, `.`, `-`, `_`)"
        );
    }

    #[test]
    fn closed_enum_error_lists_allowed_values() {
        let e = EnumValueError {
            value: "x".into(),
            allowed: &["active", "tobedeleted"],
            extensible: false,
        };
        assert_eq!(
            e.to_string(),
            "unknown value `x`: expected one of `active`, `tobedeleted`"
        );
    }

    #[test]
    fn required_nullable_rejects_missing_and_accepts_null() {
        #[derive(Deserialize, Serialize, Debug, PartialEq)]
        struct S {
            #[serde(deserialize_with = "deserialize_nullable")]
            x: Option<u8>,
        }
        assert!(
            serde_json::from_str::<S>("{}")
                .unwrap_err()
                .to_string()
                .contains("missing field `x`")
        );
        let s: S = serde_json::from_str(r#"{"x":null}"#).unwrap();
        assert_eq!(serde_json::to_string(&s).unwrap(), r#"{"x":null}"#);
    }

    #[test]
    fn optional_any_value_keeps_explicit_null() {
        #[derive(Deserialize, Serialize, Debug, PartialEq)]
        struct S {
            #[serde(
                default,
                skip_serializing_if = "Option::is_none",
                deserialize_with = "deserialize_present"
            )]
            x: Option<serde_json::Value>,
        }
        for json in ["{}", r#"{"x":null}"#, r#"{"x":[1]}"#] {
            let s: S = serde_json::from_str(json).unwrap();
            assert_eq!(serde_json::to_string(&s).unwrap(), json);
        }
    }

    #[test]
    fn optional_members_refuse_null_only_under_strict_nulls() {
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct S {
            #[serde(default, deserialize_with = "deserialize_optional")]
            x: Option<String>,
        }
        let read = |json: &str| serde_json::from_str::<S>(json);
        assert_eq!(read("{}").unwrap().x, None);
        assert_eq!(read(r#"{"x":"a"}"#).unwrap().x.as_deref(), Some("a"));
        assert_eq!(read(r#"{"x":null}"#).unwrap().x, None, "lenient by default");
        {
            let _strict = StrictNulls::enter();
            let err = read(r#"{"x":null}"#).unwrap_err().to_string();
            assert!(err.contains("null is not allowed"), "{err}");
            assert_eq!(read("{}").unwrap().x, None);
            assert!(read(r#"{"x":1}"#).is_err());
            {
                let _nested = StrictNulls::enter();
            }
            assert!(
                read(r#"{"x":null}"#).is_err(),
                "a nested guard restores strictness"
            );
        }
        assert_eq!(
            read(r#"{"x":null}"#).unwrap().x,
            None,
            "the guard's drop restores leniency"
        );
    }

    #[test]
    fn deserialize_some_keeps_absent_and_null_apart() {
        #[derive(Deserialize, Serialize, Debug, PartialEq)]
        struct S {
            #[serde(
                default,
                skip_serializing_if = "Option::is_none",
                deserialize_with = "deserialize_some"
            )]
            x: Option<Option<String>>,
        }
        let cases = [
            ("{}", None),
            (r#"{"x":null}"#, Some(None)),
            (r#"{"x":"a"}"#, Some(Some("a".to_owned()))),
        ];
        for (json, expected) in cases {
            let s: S = serde_json::from_str(json).unwrap();
            assert_eq!(s.x, expected);
            assert_eq!(serde_json::to_string(&s).unwrap(), json);
        }
    }
}

//! [`string_enum!`](crate::string_enum): the wire side of a generated string enumeration.
//!
//! Generated modules declare each enumeration as a plain, documented `enum` (so rustdoc and IDEs
//! show it as written) and then hand its variants with their wire values to this macro, which
//! writes `VALUES`, `as_str`, `FromStr`, `Display`, `Serialize` and `Deserialize` once, here,
//! instead of ~55 lines per enumeration in every generated file.

/// Implements `VALUES`, `as_str`, `FromStr`, `Display` and serde for a string enumeration.
///
/// Two forms:
/// - `closed Name { Variant("wire"), … }`: only the listed values; anything else is an
///   [`EnumValueError`](crate::types::EnumValueError).
/// - `extensible Name(Ext) { Variant("wire"), … }`: an IMS extensible enumeration whose
///   `Ext(String)` variant holds `ext:`-prefixed values exactly as received
///   ([`parse_ext_value`](crate::types::parse_ext_value)).
///
/// `Variant("wire")` rather than `Variant = "wire"`: formatters may break a line at a space, and
/// this way a variant never ends up on a line apart from its wire value.
///
/// Every variant of the enum must be listed (the generated `as_str` match is exhaustive, so a
/// forgotten one does not compile).
///
/// ```
/// /// Lifecycle state.
/// #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
/// pub enum Status {
///     /// `active`
///     Active,
///     /// `tobedeleted`
///     ToBeDeleted,
/// }
/// ims_runtime::string_enum!(closed Status { Active("active"), ToBeDeleted("tobedeleted") });
///
/// /// Kind of org, or an `ext:` term.
/// #[derive(Debug, Clone, PartialEq, Eq, Hash)]
/// pub enum OrgType {
///     /// `school`
///     School,
///     /// An extension value.
///     Ext(String),
/// }
/// ims_runtime::string_enum!(extensible OrgType(Ext) { School("school") });
///
/// assert_eq!(Status::VALUES, ["active", "tobedeleted"]);
/// assert_eq!("tobedeleted".parse::<Status>().unwrap(), Status::ToBeDeleted);
/// assert_eq!(serde_json::to_string(&Status::Active).unwrap(), r#""active""#);
/// let err = serde_json::from_str::<Status>(r#""gone""#).unwrap_err().to_string();
/// assert!(err.contains("`active`, `tobedeleted`"), "{err}");
///
/// let campus: OrgType = serde_json::from_str(r#""ext:campus""#).unwrap();
/// assert_eq!(campus, OrgType::Ext("ext:campus".into()));
/// assert_eq!(campus.to_string(), "ext:campus");
/// assert!("campus".parse::<OrgType>().is_err());
/// ```
#[macro_export]
macro_rules! string_enum {
    (closed $name:ident { $($variant:ident($wire:literal)),* $(,)? }) => {
        impl $name {
            /// The values the enumeration lists, in SDD order.
            pub const VALUES: &'static [&'static str] = &[$($wire),*];

            /// The value as it appears on the wire.
            #[must_use]
            pub fn as_str(&self) -> &str {
                // `*self`: an enumeration without values has no variant to match.
                match *self {
                    $(Self::$variant => $wire,)*
                }
            }
        }

        impl ::core::str::FromStr for $name {
            type Err = $crate::types::EnumValueError;

            fn from_str(value: &str) -> ::core::result::Result<Self, Self::Err> {
                match value {
                    $($wire => ::core::result::Result::Ok(Self::$variant),)*
                    _ => ::core::result::Result::Err($crate::types::EnumValueError {
                        value: ::std::string::String::from(value),
                        allowed: Self::VALUES,
                        extensible: false,
                    }),
                }
            }
        }

        $crate::string_enum!(@text $name);
    };
    (extensible $name:ident($ext:ident) { $($variant:ident($wire:literal)),* $(,)? }) => {
        impl $name {
            /// The values the enumeration lists, in SDD order (extension values aside).
            pub const VALUES: &'static [&'static str] = &[$($wire),*];

            /// The value as it appears on the wire.
            #[must_use]
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $wire,)*
                    Self::$ext(value) => value.as_str(),
                }
            }
        }

        impl ::core::str::FromStr for $name {
            type Err = $crate::types::EnumValueError;

            fn from_str(value: &str) -> ::core::result::Result<Self, Self::Err> {
                match value {
                    $($wire => ::core::result::Result::Ok(Self::$variant),)*
                    _ => $crate::types::parse_ext_value(value, Self::VALUES).map(Self::$ext),
                }
            }
        }

        $crate::string_enum!(@text $name);
    };
    // What both forms share: the wire text is `as_str`, read back through `FromStr`.
    (@text $name:ident) => {
        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl $crate::__private::serde::Serialize for $name {
            fn serialize<S>(&self, serializer: S) -> ::core::result::Result<S::Ok, S::Error>
            where
                S: $crate::__private::serde::Serializer,
            {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> $crate::__private::serde::Deserialize<'de> for $name {
            fn deserialize<D>(deserializer: D) -> ::core::result::Result<Self, D::Error>
            where
                D: $crate::__private::serde::Deserializer<'de>,
            {
                $crate::types::deserialize_from_str(deserializer)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    /// No listed values at all (an SDD `enum: [null]`): nothing parses, and it still compiles.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    enum Nothing {}
    crate::string_enum!(closed Nothing {});

    /// Extension values only.
    #[derive(Debug, Clone, PartialEq, Eq, Hash)]
    enum OnlyExt {
        Ext(String),
    }
    crate::string_enum!(extensible OnlyExt(Ext) {});

    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    enum Odd {
        Empty,
        Spaced,
    }
    crate::string_enum!(closed Odd { Empty(""), Spaced("a b") });

    #[test]
    fn an_enumeration_without_values_rejects_everything() {
        assert!(Nothing::VALUES.is_empty());
        let err = "x".parse::<Nothing>().unwrap_err();
        assert!(!err.extensible);
        assert_eq!(err.value, "x");
    }

    #[test]
    fn extension_only_enumerations_take_ext_values_and_nothing_else() {
        let v: OnlyExt = serde_json::from_str(r#""ext:a.b-c_d""#).unwrap();
        assert_eq!(v.as_str(), "ext:a.b-c_d");
        assert_eq!(serde_json::to_string(&v).unwrap(), r#""ext:a.b-c_d""#);
        let err = "ext:".parse::<OnlyExt>().unwrap_err();
        assert!(err.extensible);
    }

    #[test]
    fn odd_wire_values_round_trip() {
        for v in [Odd::Empty, Odd::Spaced] {
            let text = serde_json::to_string(&v).unwrap();
            assert_eq!(serde_json::from_str::<Odd>(&text).unwrap(), v);
        }
        assert_eq!(Odd::Empty.to_string(), "");
        assert!(serde_json::from_str::<Odd>("1").is_err());
    }
}

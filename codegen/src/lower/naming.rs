//! Rust-safe identifiers for everything the generator names.
//!
//! Every name that reaches the IR goes through this module, so generated code never contains a
//! keyword, an identifier starting with a digit, an empty name or a name that differs between runs.
//! The rules:
//!
//! - words are split at non-alphanumeric characters and at case changes (`sourcedId` →
//!   `sourced`, `Id`; `HTTPServer` → `HTTP`, `Server`); digits stay with their word (`v1p2`);
//! - a non-ASCII letter or digit becomes its own word `u{hex}` (`ö` → `u00f6`), keeping names ASCII
//!   (rustc lints non-ASCII identifiers) and distinct;
//! - a name that would start with a digit gets a prefix (`T` for types, `V` for variants, `_` for
//!   snake and screaming case);
//! - keywords become raw identifiers (`r#type`), except those that cannot be raw (`self`, `Self`,
//!   `crate`, `super`), which get a trailing `_`;
//! - [`NameTable`] makes names unique in one scope by appending `2`, `3`, … in insertion order.
//!
//! ```
//! use ims_codegen::lower::naming::{field_name, type_name, variant_name, NameTable};
//! assert_eq!(type_name("imsx_StatusInfo"), "ImsxStatusInfo");
//! assert_eq!(field_name("sourcedId"), "sourced_id");
//! assert_eq!(field_name("type"), "r#type");
//! assert_eq!(variant_name("ext:campus"), "ExtCampus");
//! let mut table = NameTable::new();
//! assert_eq!(table.insert(&field_name("type")), "r#type");
//! assert_eq!(table.insert(&field_name("Type")), "type2");
//! ```

use std::collections::BTreeSet;

/// Strict and reserved keywords of Rust 2024 (plus weak keywords that break as identifiers).
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "try", "type",
    "typeof", "union", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Keywords that cannot be written as raw identifiers.
const NOT_RAW: &[&str] = &["self", "Self", "crate", "super", "_"];

/// Names for symbol-only inputs such as an enum value `"*"` or `"+"`.
fn symbol_word(c: char) -> Option<&'static str> {
    Some(match c {
        '*' => "star",
        '+' => "plus",
        '-' => "minus",
        '/' => "slash",
        '.' => "dot",
        '#' => "hash",
        '@' => "at",
        '&' => "and",
        '%' => "percent",
        '=' => "equals",
        '<' => "less",
        '>' => "greater",
        '!' => "bang",
        '?' => "question",
        '$' => "dollar",
        ':' => "colon",
        '~' => "tilde",
        _ => return None,
    })
}

/// Splits `input` into lower-case-insensitive words (see the module docs).
fn words(input: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    let chars: Vec<char> = input.chars().collect();
    let flush = |current: &mut String, out: &mut Vec<String>| {
        if !current.is_empty() {
            out.push(std::mem::take(current));
        }
    };
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase() && !current.is_empty() {
                let prev = chars[i - 1];
                let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
                // `sourcedId` splits before `I`; `HTTPServer` splits before the `S` of `Server`.
                if prev.is_ascii_lowercase()
                    || prev.is_ascii_digit() && !current.chars().all(|c| c.is_ascii_digit())
                    || prev.is_ascii_uppercase() && next_lower
                {
                    flush(&mut current, &mut out);
                }
            }
            current.push(c);
        } else if c.is_alphanumeric() {
            flush(&mut current, &mut out);
            out.push(format!("u{:04x}", u32::from(c)));
        } else {
            flush(&mut current, &mut out);
        }
    }
    flush(&mut current, &mut out);
    if out.is_empty() {
        // Symbol-only input: name the symbols so `"+"` and `"-"` stay apart.
        out = input
            .chars()
            .filter_map(symbol_word)
            .map(str::to_owned)
            .collect();
    }
    out
}

fn capitalize(word: &str) -> String {
    let lower = word.to_ascii_lowercase();
    let mut chars = lower.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// Joins words in UpperCamelCase; `_` separates a digit from a following digit (`1.0` → `1_0`).
fn camel(words: &[String]) -> String {
    let mut out = String::new();
    for w in words {
        if out.ends_with(|c: char| c.is_ascii_digit())
            && w.starts_with(|c: char| c.is_ascii_digit())
        {
            out.push('_');
        }
        out.push_str(&capitalize(w));
    }
    out
}

fn snake(words: &[String]) -> String {
    words
        .iter()
        .map(|w| w.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join("_")
}

/// Escapes keywords: raw identifier where allowed, trailing `_` otherwise.
fn escape_keyword(name: String) -> String {
    if NOT_RAW.contains(&name.as_str()) {
        format!("{name}_")
    } else if KEYWORDS.contains(&name.as_str()) {
        format!("r#{name}")
    } else {
        name
    }
}

fn camel_ident(input: &str, digit_prefix: &str, empty: &str) -> String {
    let mut name = camel(&words(input));
    if name.is_empty() {
        name = empty.to_owned();
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name = format!("{digit_prefix}{name}");
    }
    escape_keyword(name)
}

fn snake_ident(input: &str, empty: &str) -> String {
    let mut name = snake(&words(input));
    if name.is_empty() {
        name = empty.to_owned();
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name = format!("_{name}");
    }
    escape_keyword(name)
}

/// An UpperCamelCase type name, e.g. `imsx_StatusInfo` → `ImsxStatusInfo`, `2fa` → `T2fa`.
pub fn type_name(input: &str) -> String {
    camel_ident(input, "T", "Unnamed")
}

/// A snake_case field name, e.g. `sourcedId` → `sourced_id`, `type` → `r#type`, `self` → `self_`.
pub fn field_name(input: &str) -> String {
    snake_ident(input, "field")
}

/// A snake_case function name, e.g. `getAllOrgs` → `get_all_orgs`.
pub fn fn_name(input: &str) -> String {
    snake_ident(input, "operation")
}

/// A SCREAMING_SNAKE_CASE constant name, e.g. `roster-core.readonly` → `ROSTER_CORE_READONLY`.
pub fn const_name(input: &str) -> String {
    let mut name = snake(&words(input)).to_ascii_uppercase();
    if name.is_empty() {
        name = "VALUE".to_owned();
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name = format!("_{name}");
    }
    name
}

/// An UpperCamelCase enum variant name, e.g. `tobedeleted` → `Tobedeleted`, `1.0` → `V1_0`,
/// `""` → `Empty`, `"*"` → `Star`.
pub fn variant_name(input: &str) -> String {
    if input.is_empty() {
        return "Empty".to_owned();
    }
    camel_ident(input, "V", "Value")
}

/// Removes a raw-identifier prefix: `r#type` → `type`.
fn bare(name: &str) -> &str {
    name.strip_prefix("r#").unwrap_or(name)
}

/// Unique names within one scope (a module, a struct, an enum), assigned in insertion order.
///
/// The first holder of a name keeps it; later ones get `2`, `3`, … appended (then re-escaped, so
/// `r#type` + 2 is `type2`). The same sequence of inserts always gives the same names.
#[derive(Debug, Clone, Default)]
pub struct NameTable {
    taken: BTreeSet<String>,
}

impl NameTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Marks `name` as used without returning anything (e.g. a field the generator adds itself).
    pub fn reserve(&mut self, name: &str) {
        self.taken.insert(bare(name).to_owned());
    }

    /// Whether `name` is already used.
    pub fn contains(&self, name: &str) -> bool {
        self.taken.contains(bare(name))
    }

    /// Claims `name` (an identifier from this module's functions), or the first free `name2`,
    /// `name3`, … Returns the identifier to use.
    pub fn insert(&mut self, name: &str) -> String {
        let base = bare(name);
        if self.taken.insert(base.to_owned()) {
            return name.to_owned();
        }
        // `self_` + 2 → `self_2`, but `Self_` + 2 → `Self2` (an underscore before a digit is not
        // UpperCamelCase); after a digit, `_` keeps the suffix readable (`V1` → `V1_2`).
        let camel = base.starts_with(|c: char| c.is_ascii_uppercase());
        let (base, sep) = if camel && base.ends_with('_') {
            (base.trim_end_matches('_'), "")
        } else if base.ends_with(|c: char| c.is_ascii_digit()) {
            (base, "_")
        } else {
            (base, "")
        };
        let mut n = 2usize;
        loop {
            let candidate = format!("{base}{sep}{n}");
            if self.taken.insert(candidate.clone()) {
                return escape_keyword(candidate);
            }
            n += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_are_upper_camel_case() {
        assert_eq!(type_name("OrgDType"), "OrgDType");
        assert_eq!(type_name("imsx_StatusInfo"), "ImsxStatusInfo");
        assert_eq!(type_name("HTTPServer"), "HttpServer");
        assert_eq!(type_name("single-org.response"), "SingleOrgResponse");
        assert_eq!(type_name("v1p2"), "V1p2");
        assert_eq!(type_name("GetOrgs200Response"), "GetOrgs200Response");
    }

    #[test]
    fn field_names_are_snake_case() {
        assert_eq!(field_name("sourcedId"), "sourced_id");
        assert_eq!(field_name("dateLastModified"), "date_last_modified");
        assert_eq!(field_name("@context"), "context");
        assert_eq!(field_name("imsx_codeMajor"), "imsx_code_major");
        assert_eq!(field_name("GUIDRef"), "guid_ref");
        assert_eq!(field_name("grade10"), "grade10");
    }

    #[test]
    fn keywords_become_raw_identifiers_or_get_an_underscore() {
        assert_eq!(field_name("type"), "r#type");
        assert_eq!(field_name("match"), "r#match");
        assert_eq!(field_name("async"), "r#async");
        assert_eq!(field_name("gen"), "r#gen");
        assert_eq!(field_name("self"), "self_");
        assert_eq!(field_name("crate"), "crate_");
        assert_eq!(field_name("super"), "super_");
        assert_eq!(type_name("self"), "Self_");
        assert_eq!(variant_name("Self"), "Self_");
        assert_eq!(fn_name("use"), "r#use");
    }

    #[test]
    fn leading_digits_get_a_prefix() {
        assert_eq!(type_name("2fa"), "T2fa");
        assert_eq!(variant_name("1.0"), "V1_0");
        assert_eq!(variant_name("10"), "V10");
        assert_eq!(field_name("3rdParty"), "_3rd_party");
        assert_eq!(const_name("1st"), "_1ST");
    }

    #[test]
    fn empty_and_symbol_only_names_are_never_empty() {
        assert_eq!(type_name(""), "Unnamed");
        assert_eq!(field_name(""), "field");
        assert_eq!(field_name("$$$"), "dollar_dollar_dollar");
        assert_eq!(variant_name(""), "Empty");
        assert_eq!(variant_name("*"), "Star");
        assert_eq!(variant_name("+"), "Plus");
        assert_eq!(variant_name("-"), "Minus");
        assert_eq!(variant_name("()"), "Value");
        assert_eq!(const_name("***"), "STAR_STAR_STAR");
        assert_eq!(fn_name("   "), "operation");
    }

    #[test]
    fn non_ascii_letters_become_ascii_words() {
        assert_eq!(type_name("Größe"), "GrU00f6U00dfE");
        assert_eq!(field_name("café"), "caf_u00e9");
        assert_ne!(field_name("cafè"), field_name("café"));
        assert!(field_name("日本").is_ascii());
    }

    #[test]
    fn constants_are_screaming_snake_case() {
        assert_eq!(const_name("roster-core.readonly"), "ROSTER_CORE_READONLY");
        assert_eq!(
            const_name("https://purl.imsglobal.org/spec/or/v1p2/scope/roster.readonly"),
            "HTTPS_PURL_IMSGLOBAL_ORG_SPEC_OR_V1P2_SCOPE_ROSTER_READONLY"
        );
    }

    #[test]
    fn every_generated_identifier_parses_as_rust() {
        let inputs = [
            "type",
            "self",
            "Self",
            "crate",
            "super",
            "",
            "*",
            "1.0",
            "ext:campus",
            "Größe",
            "_",
            "__",
            "r#type",
            "fn",
            "dyn",
            "a-b",
            "A_B",
            "xxx",
            "😀",
        ]
        .map(str::to_owned);
        for input in &inputs {
            for ident in [
                type_name(input),
                field_name(input),
                fn_name(input),
                const_name(input),
                variant_name(input),
            ] {
                assert!(
                    syn::parse_str::<syn::Ident>(&ident).is_ok(),
                    "`{ident}` (from {input:?}) is not a Rust identifier"
                );
            }
        }
    }

    #[test]
    fn name_table_suffixes_duplicates_deterministically() {
        let mut t = NameTable::new();
        assert_eq!(t.insert("Org"), "Org");
        assert_eq!(t.insert("Org"), "Org2");
        assert_eq!(t.insert("Org"), "Org3");
        assert_eq!(t.insert("Org2"), "Org2_2");
        let mut f = NameTable::new();
        assert_eq!(f.insert("r#type"), "r#type");
        assert_eq!(f.insert("r#type"), "type2");
        f.reserve("extensions");
        assert!(f.contains("extensions"));
        assert_eq!(f.insert("extensions"), "extensions2");
        let mut s = NameTable::new();
        assert_eq!(s.insert("self_"), "self_");
        assert_eq!(s.insert("self_"), "self_2");
        assert_eq!(s.insert("Self_"), "Self_");
        assert_eq!(s.insert("Self_"), "Self2");
        let mut v = NameTable::new();
        assert_eq!(v.insert("V1"), "V1");
        assert_eq!(v.insert("V1"), "V1_2");
    }
}

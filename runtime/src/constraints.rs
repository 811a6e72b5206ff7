//! Declared schema constraints, checked where values cross the boundary.
//!
//! The generator turns every `minimum`/`maximum` (exclusive or not), integer format range,
//! `pattern`, `minLength`/`maxLength` and `minItems`/`maxItems` of a parameter or a body member
//! into plain Rust: a [`Validate`] impl per generated type and one checker expression per
//! parameter, built from the small typed checkers here ([`Text`], [`Int`], [`Float`], [`Items`],
//! [`Entries`], [`Optional`], [`Boxed`], [`Nested`]). Nothing reads a schema at run time; each
//! pattern is compiled once, on first use ([`Pattern`], made by [`pattern!`](crate::pattern)).
//!
//! Formats (`date`, `date-time`, `uuid`, `uri`) need no checker: their values are the
//! [`types`](crate::types) newtypes, which only hold valid text. An `int32` value is an `i32`;
//! only values read wider than their format (the IMS `limit`/`offset`, which the runtime parses
//! as `u64`) carry an [`Int::format`] range.
//!
//! A broken rule is a [`Violation`]: where ([`At`]: a JSON pointer into a body, or a parameter)
//! and which rule ("must be at most 2147483647 (int32)"). A server turns it into 400
//! `invaliddata` (`From<Violation> for ImsError`); a client returns it as
//! `ApiError::Constraint` without sending anything.
//!
//! ```
//! use ims_runtime::constraints::{At, Check, Int, Items, Text};
//!
//! let name = Text::new().min_length(1).max_length(5);
//! assert!(name.check("Ann", &At::body()).is_ok());
//! let err = name.check("Annabel", &At::body().key("givenName")).unwrap_err();
//! assert_eq!(err.pointer(), "/givenName");
//! assert_eq!(err.rule(), "must be at most 5 characters long");
//!
//! let offset = Int::new().minimum(0).format(-2147483648, 2147483647, "int32");
//! let err = offset.check(&2147483648_i64, &At::query("offset")).unwrap_err();
//! assert_eq!(err.to_string(), "the query parameter 'offset' is invalid: must be at most 2147483647 (int32)");
//!
//! let tags = Items::new(Text::new().max_length(2)).max_items(2);
//! let err = tags.check(&vec!["ab".to_owned(), "abc".to_owned()], &At::body().key("tags")).unwrap_err();
//! assert_eq!(err.pointer(), "/tags/1");
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::sync::OnceLock;

use regex::Regex;

use crate::imsx::{ImsError, code_minor};

/// Where a value is: a parameter, or a place in a body given as a chain of steps from its root.
///
/// Steps borrow their parent, so walking a body allocates nothing; the pointer text is only
/// built for a [`Violation`].
#[derive(Debug, Clone, Copy)]
pub struct At<'a> {
    parent: Option<&'a At<'a>>,
    step: Step<'a>,
}

#[derive(Debug, Clone, Copy)]
enum Step<'a> {
    Body,
    Param {
        location: &'static str,
        name: &'a str,
    },
    Key(&'a str),
    Index(usize),
}

impl<'a> At<'a> {
    /// The root of a request body (pointer `""`).
    pub const fn body() -> Self {
        At {
            parent: None,
            step: Step::Body,
        }
    }

    /// A parameter in `location` (`path`, `query`, `header` or `cookie`).
    pub const fn param(location: &'static str, name: &'a str) -> Self {
        At {
            parent: None,
            step: Step::Param { location, name },
        }
    }

    /// A query parameter.
    pub const fn query(name: &'a str) -> Self {
        Self::param("query", name)
    }

    /// A path parameter.
    pub const fn path(name: &'a str) -> Self {
        Self::param("path", name)
    }

    /// A header parameter.
    pub const fn header(name: &'a str) -> Self {
        Self::param("header", name)
    }

    /// A cookie parameter.
    pub const fn cookie(name: &'a str) -> Self {
        Self::param("cookie", name)
    }

    /// The member `name` of the object here.
    pub fn key<'b>(&'b self, name: &'b str) -> At<'b> {
        At {
            parent: Some(self),
            step: Step::Key(name),
        }
    }

    /// The item `index` of the array here.
    pub fn index(&self, index: usize) -> At<'_> {
        At {
            parent: Some(self),
            step: Step::Index(index),
        }
    }

    /// The JSON pointer (RFC 6901) of this place below its root; `""` for the root itself.
    pub fn pointer(&self) -> String {
        let mut out = String::new();
        self.write_pointer(&mut out);
        out
    }

    fn write_pointer(&self, out: &mut String) {
        if let Some(parent) = self.parent {
            parent.write_pointer(out);
        }
        match self.step {
            Step::Body | Step::Param { .. } => {}
            Step::Key(name) => {
                out.push('/');
                out.push_str(&name.replace('~', "~0").replace('/', "~1"));
            }
            Step::Index(i) => {
                out.push('/');
                out.push_str(&i.to_string());
            }
        }
    }

    fn root(&self) -> Step<'a> {
        match self.parent {
            Some(parent) => parent.root(),
            None => self.step,
        }
    }

    /// A violation of `rule` here.
    pub fn violation(&self, rule: impl Into<String>) -> Violation {
        let place = match self.root() {
            Step::Param { location, name } => Place::Param {
                location,
                name: name.to_owned(),
            },
            Step::Body | Step::Key(_) | Step::Index(_) => Place::Body,
        };
        Violation {
            place,
            pointer: self.pointer(),
            rule: rule.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Place {
    Body,
    Param {
        location: &'static str,
        name: String,
    },
}

/// A value that breaks a declared constraint: where, and the rule it broke.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Violation {
    place: Place,
    pointer: String,
    rule: String,
}

impl Violation {
    /// The JSON pointer of the value below the body or parameter it is in (`""` for the body
    /// or the parameter itself), e.g. `/user/email` or `/2` (the third item of an array
    /// parameter).
    pub fn pointer(&self) -> &str {
        &self.pointer
    }

    /// The parameter's name, when the value is (in) a parameter.
    pub fn parameter(&self) -> Option<&str> {
        match &self.place {
            Place::Param { name, .. } => Some(name),
            Place::Body => None,
        }
    }

    /// The rule, e.g. `must be at least 1`.
    pub fn rule(&self) -> &str {
        &self.rule
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.place, self.pointer.as_str()) {
            (Place::Param { location, name }, "") => {
                write!(f, "the {location} parameter '{name}' is invalid: ")?
            }
            (Place::Param { location, name }, pointer) => write!(
                f,
                "the {location} parameter '{name}' is invalid at `{pointer}`: "
            )?,
            (Place::Body, "") => f.write_str("the request body is invalid: ")?,
            (Place::Body, pointer) => {
                write!(f, "the request body member `{pointer}` is invalid: ")?
            }
        }
        f.write_str(&self.rule)
    }
}

/// 400 `invaliddata` whose description names the member (JSON pointer) or parameter and the
/// rule, e.g. "the request body member `/user/email` is invalid: must be at most 255 characters
/// long".
impl From<Violation> for ImsError {
    fn from(v: Violation) -> Self {
        ImsError::new(
            http::StatusCode::BAD_REQUEST,
            code_minor::INVALID_DATA,
            v.to_string(),
        )
    }
}

/// Checks one value of type `T` against the rules the checker holds.
pub trait Check<T: ?Sized> {
    /// `Ok` when `value` keeps every rule; else the first rule it breaks, at `at`.
    ///
    /// # Errors
    /// The [`Violation`] naming `at` and the rule.
    fn check(&self, value: &T, at: &At<'_>) -> Result<(), Violation>;
}

/// A generated type whose values can break declared constraints (every generated model type
/// implements it; those without constraints keep the default, which accepts everything).
pub trait Validate {
    /// Checks the value at `at` and everything in it.
    ///
    /// # Errors
    /// The first [`Violation`] found.
    fn validate_at(&self, at: &At<'_>) -> Result<(), Violation> {
        let _ = at;
        Ok(())
    }

    /// Checks the value as a request body.
    ///
    /// # Errors
    /// The first [`Violation`] found.
    fn validate(&self) -> Result<(), Violation> {
        self.validate_at(&At::body())
    }
}

impl<T: Validate + ?Sized> Validate for &T {
    fn validate_at(&self, at: &At<'_>) -> Result<(), Violation> {
        (**self).validate_at(at)
    }
}

/// A regular expression compiled once, on first use. `pattern` is an ECMA-262 pattern the
/// generator has already compiled with the same `regex` crate, so it compiles here too; if it
/// ever does not, every value is refused (a pattern is never silently skipped).
#[derive(Debug)]
pub struct Pattern {
    source: &'static str,
    regex: OnceLock<Option<Regex>>,
}

impl Pattern {
    /// A pattern, compiled on first use. Prefer [`pattern!`](crate::pattern), which makes the
    /// `static` that keeps the compiled form.
    pub const fn new(source: &'static str) -> Self {
        Pattern {
            source,
            regex: OnceLock::new(),
        }
    }

    /// The pattern as written in the SDD.
    pub fn source(&self) -> &'static str {
        self.source
    }

    /// Whether `text` contains a match (JSON Schema patterns are not anchored), `None` when the
    /// pattern does not compile.
    fn is_match(&self, text: &str) -> Option<bool> {
        let regex = self.regex.get_or_init(|| match Regex::new(self.source) {
            Ok(r) => Some(r),
            Err(e) => {
                tracing::error!(pattern = self.source, error = %e, "a generated pattern does not compile; values are refused");
                None
            }
        });
        regex.as_ref().map(|r| r.is_match(text))
    }
}

/// A `&'static` [`Pattern`] held in a `static` of its own, compiled on first use:
/// `pattern!("^[a-z]+$")`.
#[macro_export]
macro_rules! pattern {
    ($source:literal) => {{
        static PATTERN: $crate::constraints::Pattern = $crate::constraints::Pattern::new($source);
        &PATTERN
    }};
}

/// Rules on text: length in characters (Unicode scalar values, as JSON Schema counts) and a
/// pattern. Checks anything that is `AsRef<str>`: `String`, `&str` and the format newtypes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Text {
    min_length: Option<usize>,
    max_length: Option<usize>,
    pattern: Option<&'static Pattern>,
}

impl Text {
    /// No rules yet.
    pub const fn new() -> Self {
        Text {
            min_length: None,
            max_length: None,
            pattern: None,
        }
    }

    /// `minLength`.
    pub const fn min_length(mut self, n: usize) -> Self {
        self.min_length = Some(n);
        self
    }

    /// `maxLength`.
    pub const fn max_length(mut self, n: usize) -> Self {
        self.max_length = Some(n);
        self
    }

    /// `pattern`.
    pub const fn pattern(mut self, pattern: &'static Pattern) -> Self {
        self.pattern = Some(pattern);
        self
    }
}

impl<T: AsRef<str> + ?Sized> Check<T> for Text {
    fn check(&self, value: &T, at: &At<'_>) -> Result<(), Violation> {
        let text = value.as_ref();
        if self.min_length.is_some() || self.max_length.is_some() {
            let length = text.chars().count();
            if let Some(min) = self.min_length
                && length < min
            {
                return Err(at.violation(format!(
                    "must be at least {min} character{} long",
                    plural(min)
                )));
            }
            if let Some(max) = self.max_length
                && length > max
            {
                return Err(at.violation(format!(
                    "must be at most {max} character{} long",
                    plural(max)
                )));
            }
        }
        if let Some(pattern) = self.pattern
            && pattern.is_match(text) != Some(true)
        {
            return Err(at.violation(format!("must match the pattern `{}`", pattern.source())));
        }
        Ok(())
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Rules on an integer of any width: bounds (inclusive; the generator folds exclusive bounds
/// into them) and the range of its declared format.
#[derive(Debug, Clone, Copy, Default)]
pub struct Int {
    minimum: Option<i128>,
    maximum: Option<i128>,
    format: Option<(i128, i128, &'static str)>,
}

impl Int {
    /// No rules yet.
    pub const fn new() -> Self {
        Int {
            minimum: None,
            maximum: None,
            format: None,
        }
    }

    /// `minimum` (inclusive).
    pub const fn minimum(mut self, n: i128) -> Self {
        self.minimum = Some(n);
        self
    }

    /// `maximum` (inclusive).
    pub const fn maximum(mut self, n: i128) -> Self {
        self.maximum = Some(n);
        self
    }

    /// The range of the integer format `name` (e.g. `int32`), for a value read wider.
    pub const fn format(mut self, min: i128, max: i128, name: &'static str) -> Self {
        self.format = Some((min, max, name));
        self
    }
}

impl<T: Copy + Into<i128>> Check<T> for Int {
    fn check(&self, value: &T, at: &At<'_>) -> Result<(), Violation> {
        let n: i128 = (*value).into();
        if let Some((min, max, name)) = self.format {
            if n < min {
                return Err(at.violation(format!("must be at least {min} ({name})")));
            }
            if n > max {
                return Err(at.violation(format!("must be at most {max} ({name})")));
            }
        }
        if let Some(min) = self.minimum
            && n < min
        {
            return Err(at.violation(format!("must be at least {min}")));
        }
        if let Some(max) = self.maximum
            && n > max
        {
            return Err(at.violation(format!("must be at most {max}")));
        }
        Ok(())
    }
}

/// Rules on a number (`f32` or `f64`): bounds, each inclusive or exclusive.
#[derive(Debug, Clone, Copy, Default)]
pub struct Float {
    minimum: Option<(f64, bool)>,
    maximum: Option<(f64, bool)>,
}

impl Float {
    /// No rules yet.
    pub const fn new() -> Self {
        Float {
            minimum: None,
            maximum: None,
        }
    }

    /// `minimum`; `exclusive` for `exclusiveMinimum: true`.
    pub const fn minimum(mut self, n: f64, exclusive: bool) -> Self {
        self.minimum = Some((n, exclusive));
        self
    }

    /// `maximum`; `exclusive` for `exclusiveMaximum: true`.
    pub const fn maximum(mut self, n: f64, exclusive: bool) -> Self {
        self.maximum = Some((n, exclusive));
        self
    }
}

impl<T: Copy + Into<f64>> Check<T> for Float {
    fn check(&self, value: &T, at: &At<'_>) -> Result<(), Violation> {
        let x: f64 = (*value).into();
        if let Some((min, exclusive)) = self.minimum {
            if exclusive && x <= min {
                return Err(at.violation(format!("must be greater than {min}")));
            }
            if !exclusive && x < min {
                return Err(at.violation(format!("must be at least {min}")));
            }
        }
        if let Some((max, exclusive)) = self.maximum {
            if exclusive && x >= max {
                return Err(at.violation(format!("must be less than {max}")));
            }
            if !exclusive && x > max {
                return Err(at.violation(format!("must be at most {max}")));
            }
        }
        Ok(())
    }
}

/// Rules on an array: `minItems`/`maxItems`, then `item` on each item.
#[derive(Debug, Clone, Copy)]
pub struct Items<C> {
    item: C,
    min_items: Option<usize>,
    max_items: Option<usize>,
}

impl<C> Items<C> {
    /// Each item checked with `item`.
    pub const fn new(item: C) -> Self {
        Items {
            item,
            min_items: None,
            max_items: None,
        }
    }

    /// `minItems`.
    pub const fn min_items(mut self, n: usize) -> Self {
        self.min_items = Some(n);
        self
    }

    /// `maxItems`.
    pub const fn max_items(mut self, n: usize) -> Self {
        self.max_items = Some(n);
        self
    }

    fn check_slice<T>(&self, items: &[T], at: &At<'_>) -> Result<(), Violation>
    where
        C: Check<T>,
    {
        if let Some(min) = self.min_items
            && items.len() < min
        {
            return Err(at.violation(format!("must have at least {min} item{}", plural(min))));
        }
        if let Some(max) = self.max_items
            && items.len() > max
        {
            return Err(at.violation(format!("must have at most {max} item{}", plural(max))));
        }
        for (i, item) in items.iter().enumerate() {
            self.item.check(item, &at.index(i))?;
        }
        Ok(())
    }
}

impl<T, C: Check<T>> Check<[T]> for Items<C> {
    fn check(&self, value: &[T], at: &At<'_>) -> Result<(), Violation> {
        self.check_slice(value, at)
    }
}

impl<T, C: Check<T>> Check<Vec<T>> for Items<C> {
    fn check(&self, value: &Vec<T>, at: &At<'_>) -> Result<(), Violation> {
        self.check_slice(value, at)
    }
}

impl<T, C: Check<T>> Check<&[T]> for Items<C> {
    fn check(&self, value: &&[T], at: &At<'_>) -> Result<(), Violation> {
        self.check_slice(value, at)
    }
}

/// `value` on each value of a map (`additionalProperties: {schema}`), at its key.
#[derive(Debug, Clone, Copy)]
pub struct Entries<C>(pub C);

impl<T, C: Check<T>> Check<BTreeMap<String, T>> for Entries<C> {
    fn check(&self, value: &BTreeMap<String, T>, at: &At<'_>) -> Result<(), Violation> {
        for (key, v) in value {
            self.0.check(v, &at.key(key))?;
        }
        Ok(())
    }
}

/// The inner checker on `Some`; `None` (absent or `null`) keeps every rule.
#[derive(Debug, Clone, Copy)]
pub struct Optional<C>(pub C);

impl<T, C: Check<T>> Check<Option<T>> for Optional<C> {
    fn check(&self, value: &Option<T>, at: &At<'_>) -> Result<(), Violation> {
        match value {
            Some(v) => self.0.check(v, at),
            None => Ok(()),
        }
    }
}

/// The inner checker through a `Box` (recursive types).
#[derive(Debug, Clone, Copy)]
pub struct Boxed<C>(pub C);

impl<T: ?Sized, C: Check<T>> Check<Box<T>> for Boxed<C> {
    fn check(&self, value: &Box<T>, at: &At<'_>) -> Result<(), Violation> {
        self.0.check(value, at)
    }
}

/// A generated type's own [`Validate`] impl.
#[derive(Debug, Clone, Copy, Default)]
pub struct Nested;

impl<T: Validate + ?Sized> Check<T> for Nested {
    fn check(&self, value: &T, at: &At<'_>) -> Result<(), Violation> {
        value.validate_at(at)
    }
}

/// No rule (the items of an array that only has `minItems`/`maxItems`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Pass;

impl<T: ?Sized> Check<T> for Pass {
    fn check(&self, _: &T, _: &At<'_>) -> Result<(), Violation> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_escape_and_index() {
        let root = At::body();
        let user = root.key("a/b~c");
        let item = user.index(3);
        assert_eq!(item.pointer(), "/a~1b~0c/3");
        let v = item.violation("must be x");
        assert_eq!(
            v.to_string(),
            "the request body member `/a~1b~0c/3` is invalid: must be x"
        );
        assert_eq!(v.parameter(), None);
        let p = At::path("id");
        assert_eq!(
            p.violation("r").to_string(),
            "the path parameter 'id' is invalid: r"
        );
    }

    #[test]
    fn text_counts_characters_not_bytes() {
        let t = Text::new().max_length(2);
        assert!(t.check("éé", &At::body()).is_ok());
        assert!(t.check("ééé", &At::body()).is_err());
        assert!(Text::new().min_length(1).check("", &At::body()).is_err());
    }

    #[test]
    fn patterns_are_unanchored_and_bad_ones_refuse() {
        let digits = Text::new().pattern(crate::pattern!("[0-9]+"));
        assert!(digits.check("ab12", &At::body()).is_ok());
        assert!(digits.check("ab", &At::body()).is_err());
        let broken = Text::new().pattern(crate::pattern!("(?<=a)b"));
        assert!(broken.check("ab", &At::body()).is_err());
    }

    #[test]
    fn numbers_respect_exclusive_bounds() {
        let f = Float::new().minimum(0.0, true).maximum(1.0, false);
        assert!(f.check(&0.0_f64, &At::body()).is_err());
        assert!(f.check(&1.0_f32, &At::body()).is_ok());
        assert!(f.check(&1.5_f64, &At::body()).is_err());
        let i = Int::new().minimum(1).maximum(3);
        assert!(i.check(&0_i32, &At::body()).is_err());
        assert!(i.check(&3_u64, &At::body()).is_ok());
        assert_eq!(
            i.check(&4_i64, &At::query("n")).unwrap_err().rule(),
            "must be at most 3"
        );
    }

    #[test]
    fn containers_pass_rules_inward() {
        let c = Optional(Items::new(Optional(Text::new().min_length(2))).min_items(1));
        assert!(c.check(&None::<Vec<Option<String>>>, &At::body()).is_ok());
        assert!(
            c.check(&Some(Vec::<Option<String>>::new()), &At::body())
                .is_err()
        );
        let e = c
            .check(
                &Some(vec![None, Some("x".to_owned())]),
                &At::body().key("k"),
            )
            .unwrap_err();
        assert_eq!(e.pointer(), "/k/1");
        let m = Entries(Int::new().maximum(1));
        let map: BTreeMap<String, i64> = [("a".to_owned(), 2)].into();
        assert_eq!(m.check(&map, &At::body()).unwrap_err().pointer(), "/a");
        let b = Boxed(Int::new().maximum(1));
        assert!(b.check(&Box::new(2_i32), &At::body()).is_err());
        let slice: &[&str] = &["a", "bbb"];
        let e = Items::new(Text::new().max_length(2))
            .check(&slice, &At::query("ids"))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "the query parameter 'ids' is invalid at `/1`: must be at most 2 characters long"
        );
    }

    #[test]
    fn violations_become_400_invaliddata() {
        let e: ImsError = At::query("offset").violation("must be at least 0").into();
        assert_eq!(e.status().as_u16(), 400);
        assert_eq!(e.code_minor(), "invaliddata");
        assert!(e.description().contains("'offset'"));
    }
}

//! The IMS collection `filter` parameter (OneRoster 1.x, CASE, Edu-API) as a typed AST.
//!
//! Grammar (input is the already URL-decoded parameter value; no leading/trailing blanks):
//!
//! ```text
//! filter    = predicate [ (" AND " | " OR ") predicate ]
//! predicate = field op "'" value "'"
//! field     = segment *( "." segment )        ; segment = 1*( ALPHA / DIGIT / "_" / "-" )
//! op        = "=" / "!=" / ">" / ">=" / "<" / "<=" / "~"
//! value     = *( any character except "'" / "''" )   ; "''" stands for one quote
//! ```
//!
//! Matching semantics (our reading of OneRoster 1.2 §3.3):
//! - values compare case-insensitively; numerically when the record holds a JSON number (a string
//!   such as `"007"` stays text), as date-times / dates when both sides parse so, otherwise as
//!   strings; `~` is "contains" on the text;
//! - a missing or `null` field only matches `!=`;
//! - array fields: the filter value is split on `,` into wanted items. `=` is AND (every wanted
//!   item equals some element), `~` is OR (some element contains some wanted item), `!=` means no
//!   element equals any wanted item, and `>`/`>=`/`<`/`<=` hold when some element satisfies them.

use std::cmp::Ordering;
use std::fmt;

use serde_json::Value;

use super::value::{compare_scalar, lookup, scalar_text};
use crate::imsx::ImsError;

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `~` (contains)
    Contains,
}

impl Op {
    /// The operator as written in a filter.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Contains => "~",
        }
    }
}

/// `field<op>'value'`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Predicate {
    /// The (possibly dotted) field name.
    pub field: String,
    /// The operator.
    pub op: Op,
    /// The value with `''` already unescaped to `'`.
    pub value: String,
}

/// How two predicates are joined.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Joiner {
    /// ` AND `
    And,
    /// ` OR `
    Or,
}

/// A parsed filter: one predicate, or two joined by one ` AND ` / ` OR `.
///
/// ```
/// use ims_runtime::query::filter::{Filter, Op};
/// use serde_json::json;
///
/// let filter = Filter::parse("role='student' AND metadata.credits>='9'").unwrap();
/// assert_eq!(filter.predicates()[0].op, Op::Eq);
/// // A JSON number compares by value (10 >= 9); the string "10" would compare as text.
/// assert!(filter.matches_json(&json!({"role": "Student", "metadata": {"credits": 10}})));
/// assert!(filter.validate_fields(&["role"]).is_err()); // metadata.credits is not allowed
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Filter {
    /// A single predicate.
    Single(Predicate),
    /// Two predicates and their joiner.
    Pair(Predicate, Joiner, Predicate),
}

/// A filter syntax error: the byte offset in the decoded value and what was expected there.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid filter at byte {position}: expected {expected}")]
pub struct FilterError {
    /// Byte offset into the decoded filter value.
    pub position: usize,
    /// What the parser expected at that position.
    pub expected: String,
}

impl From<FilterError> for ImsError {
    fn from(error: FilterError) -> Self {
        ImsError::invalid_filter_field(error.to_string())
    }
}

impl Filter {
    /// Parses a decoded `filter` value.
    pub fn parse(input: &str) -> Result<Self, FilterError> {
        let mut parser = Parser { input, pos: 0 };
        let first = parser.predicate()?;
        if parser.at_end() {
            return Ok(Filter::Single(first));
        }
        let joiner = parser.joiner()?;
        let second = parser.predicate()?;
        if parser.at_end() {
            return Ok(Filter::Pair(first, joiner, second));
        }
        let expected = if parser.peek_joiner().is_some() {
            "end of filter (only one AND/OR joiner is allowed)"
        } else {
            "end of filter"
        };
        Err(parser.error(expected))
    }

    /// The predicates in order (one or two).
    pub fn predicates(&self) -> Vec<&Predicate> {
        match self {
            Filter::Single(p) => vec![p],
            Filter::Pair(a, _, b) => vec![a, b],
        }
    }

    /// Checks every field against `allowed`; a dotted field passes when it or one of its dotted
    /// prefixes is allowed (so allowing `metadata` allows `metadata.x`).
    ///
    /// The error is 400 `invalid_filter_field` naming the first unknown field.
    pub fn validate_fields(&self, allowed: &[&str]) -> Result<(), ImsError> {
        for predicate in self.predicates() {
            let field = predicate.field.as_str();
            let known = allowed.iter().any(|a| {
                field == *a
                    || (field.starts_with(a) && field.as_bytes().get(a.len()) == Some(&b'.'))
            });
            if !known {
                return Err(ImsError::invalid_filter_field(format!(
                    "unknown filter field '{field}'; allowed fields: {}",
                    allowed.join(", ")
                )));
            }
        }
        Ok(())
    }

    /// Evaluates the filter, reading each field's value through `get` (a dotted name in,
    /// `None` when absent).
    pub fn matches(&self, get: impl Fn(&str) -> Option<Value>) -> bool {
        let eval = |p: &Predicate| predicate_matches(p, get(&p.field).as_ref());
        match self {
            Filter::Single(p) => eval(p),
            Filter::Pair(a, Joiner::And, b) => eval(a) && eval(b),
            Filter::Pair(a, Joiner::Or, b) => eval(a) || eval(b),
        }
    }

    /// Evaluates the filter against a JSON record, resolving dotted fields inside it.
    pub fn matches_json(&self, record: &Value) -> bool {
        self.matches(|path| lookup(record, path).cloned())
    }
}

impl fmt::Display for Filter {
    /// Writes the filter back in canonical form (quotes doubled inside values).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let write = |f: &mut fmt::Formatter<'_>, p: &Predicate| {
            write!(
                f,
                "{}{}'{}'",
                p.field,
                p.op.as_str(),
                p.value.replace('\'', "''")
            )
        };
        match self {
            Filter::Single(p) => write(f, p),
            Filter::Pair(a, joiner, b) => {
                write(f, a)?;
                f.write_str(match joiner {
                    Joiner::And => " AND ",
                    Joiner::Or => " OR ",
                })?;
                write(f, b)
            }
        }
    }
}

fn predicate_matches(predicate: &Predicate, actual: Option<&Value>) -> bool {
    let wanted = predicate.value.as_str();
    match actual {
        None | Some(Value::Null) | Some(Value::Object(_)) => predicate.op == Op::Ne,
        Some(Value::Array(elements)) => {
            let items: Vec<&str> = wanted.split(',').map(str::trim).collect();
            let any_element =
                |op: Op, item: &str| elements.iter().any(|e| scalar_matches(op, e, item));
            match predicate.op {
                Op::Eq => items.iter().all(|item| any_element(Op::Eq, item)),
                Op::Ne => !items.iter().any(|item| any_element(Op::Eq, item)),
                Op::Contains => items.iter().any(|item| any_element(Op::Contains, item)),
                op => any_element(op, wanted),
            }
        }
        Some(scalar) => scalar_matches(predicate.op, scalar, wanted),
    }
}

/// One scalar (or array element) against one wanted value; non-scalars never match.
fn scalar_matches(op: Op, actual: &Value, wanted: &str) -> bool {
    if op == Op::Contains {
        return scalar_text(actual)
            .is_some_and(|t| t.to_lowercase().contains(&wanted.to_lowercase()));
    }
    let Some(ordering) = compare_scalar(actual, wanted) else {
        return false;
    };
    match op {
        Op::Eq => ordering == Ordering::Equal,
        Op::Ne => ordering != Ordering::Equal,
        Op::Gt => ordering == Ordering::Greater,
        Op::Ge => ordering != Ordering::Less,
        Op::Lt => ordering == Ordering::Less,
        Op::Le => ordering != Ordering::Greater,
        Op::Contains => false,
    }
}

struct Parser<'a> {
    input: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        self.input.get(self.pos..).unwrap_or("")
    }

    fn at_end(&self) -> bool {
        self.pos >= self.input.len()
    }

    fn error(&self, expected: &str) -> FilterError {
        FilterError {
            position: self.pos,
            expected: expected.to_owned(),
        }
    }

    fn predicate(&mut self) -> Result<Predicate, FilterError> {
        let field = self.field()?;
        let op = self.op()?;
        let value = self.value()?;
        Ok(Predicate { field, op, value })
    }

    fn field(&mut self) -> Result<String, FilterError> {
        let start = self.pos;
        loop {
            let segment_len = self
                .rest()
                .bytes()
                .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-')
                .count();
            if segment_len == 0 {
                return Err(self.error(if self.pos == start {
                    "a field name (letters, digits, '_', '-', dotted for nested fields)"
                } else {
                    "a field name segment after '.'"
                }));
            }
            self.pos += segment_len;
            if self.rest().starts_with('.') {
                self.pos += 1;
            } else {
                return Ok(self.input[start..self.pos].to_owned());
            }
        }
    }

    fn op(&mut self) -> Result<Op, FilterError> {
        // Two-character operators first so `>=` is not read as `>` followed by `=`.
        const OPS: [(&str, Op); 7] = [
            ("!=", Op::Ne),
            (">=", Op::Ge),
            ("<=", Op::Le),
            ("=", Op::Eq),
            (">", Op::Gt),
            ("<", Op::Lt),
            ("~", Op::Contains),
        ];
        for (text, op) in OPS {
            if self.rest().starts_with(text) {
                self.pos += text.len();
                return Ok(op);
            }
        }
        Err(self.error("an operator: =, !=, >, >=, <, <= or ~"))
    }

    fn value(&mut self) -> Result<String, FilterError> {
        if !self.rest().starts_with('\'') {
            return Err(self.error("a value in single quotes, e.g. 'student'"));
        }
        let open = self.pos;
        self.pos += 1;
        let mut value = String::new();
        loop {
            let Some(c) = self.rest().chars().next() else {
                return Err(FilterError {
                    position: self.input.len(),
                    expected: format!(
                        "a closing quote for the value opened at byte {open} (write '' for a quote inside a value)"
                    ),
                });
            };
            self.pos += c.len_utf8();
            if c == '\'' {
                if self.rest().starts_with('\'') {
                    self.pos += 1;
                    value.push('\'');
                } else {
                    return Ok(value);
                }
            } else {
                value.push(c);
            }
        }
    }

    fn peek_joiner(&self) -> Option<(Joiner, usize)> {
        let rest = self.rest();
        if rest.starts_with(" AND ") {
            Some((Joiner::And, 5))
        } else if rest.starts_with(" OR ") {
            Some((Joiner::Or, 4))
        } else {
            None
        }
    }

    fn joiner(&mut self) -> Result<Joiner, FilterError> {
        let (joiner, len) = self.peek_joiner().ok_or_else(|| {
            self.error(
                "end of filter or a joiner ' AND ' / ' OR ' (upper case, one space each side)",
            )
        })?;
        self.pos += len;
        Ok(joiner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};
    use serde_json::json;

    fn parse(s: &str) -> Filter {
        Filter::parse(s).unwrap()
    }

    #[test]
    fn single_predicate_parses_every_operator() {
        for (text, op) in [
            ("=", Op::Eq),
            ("!=", Op::Ne),
            (">", Op::Gt),
            (">=", Op::Ge),
            ("<", Op::Lt),
            ("<=", Op::Le),
            ("~", Op::Contains),
        ] {
            let filter = parse(&format!("a{text}'v'"));
            assert_eq!(
                filter,
                Filter::Single(Predicate {
                    field: "a".into(),
                    op,
                    value: "v".into()
                })
            );
        }
    }

    #[test]
    fn and_or_join_two_predicates() {
        let f = parse("a='1' AND b.c!='2'");
        assert!(
            matches!(f, Filter::Pair(_, Joiner::And, ref p) if p.field == "b.c" && p.op == Op::Ne)
        );
        assert!(matches!(
            parse("a='1' OR b='2'"),
            Filter::Pair(_, Joiner::Or, _)
        ));
    }

    #[test]
    fn filter_with_two_joiners_is_rejected() {
        let err = Filter::parse("a='1' AND b='2' OR c='3'").unwrap_err();
        assert_eq!(err.position, 15);
        assert!(err.expected.contains("only one AND/OR"), "{err}");
    }

    #[test]
    fn doubled_quote_is_a_quote_inside_a_value() {
        let f = parse("familyName='O''Brien'");
        assert_eq!(f.predicates()[0].value, "O'Brien");
        assert_eq!(f.to_string(), "familyName='O''Brien'");
        assert_eq!(parse("a=''").predicates()[0].value, "");
    }

    #[test]
    fn syntax_errors_name_position_and_expectation() {
        let cases = [
            ("", 0, "a field name"),
            ("a", 1, "an operator"),
            ("a=b", 2, "single quotes"),
            ("a='b", 4, "closing quote"),
            ("a.='b'", 2, "segment after '.'"),
            ("a='b' and c='d'", 5, "joiner"),
            ("a='b'  AND c='d'", 5, "joiner"),
            ("a='b' AND ", 10, "a field name"),
            (" a='b'", 0, "a field name"),
            ("a='b' ", 5, "joiner"),
        ];
        for (input, position, expected) in cases {
            let err = Filter::parse(input).unwrap_err();
            assert_eq!(err.position, position, "{input:?}: {err}");
            assert!(err.expected.contains(expected), "{input:?}: {err}");
        }
    }

    #[test]
    fn syntax_error_maps_to_invalid_filter_field() {
        let err: ImsError = Filter::parse("a").unwrap_err().into();
        assert_eq!(err.code_minor(), "invalid_filter_field");
        assert_eq!(err.status().as_u16(), 400);
    }

    #[test]
    fn parser_never_panics_on_random_input() {
        let alphabet: Vec<char> = "ab.='!<>~ ANDOR_,é\u{1F600}\\\"%-0".chars().collect();
        let mut rng = StdRng::seed_from_u64(0x1ED7EC);
        let mut accepted = 0;
        for _ in 0..20_000 {
            let len = rng.random_range(0..24);
            let s: String = (0..len)
                .map(|_| alphabet[rng.random_range(0..alphabet.len())])
                .collect();
            match Filter::parse(&s) {
                // Whatever parses must print back to something that parses to the same AST.
                Ok(f) => {
                    accepted += 1;
                    assert_eq!(Filter::parse(&f.to_string()).as_ref(), Ok(&f), "{s:?}");
                }
                Err(e) => assert!(e.position <= s.len(), "{s:?}: {e}"),
            }
        }
        // Random bytes from this alphabet must sometimes be valid, or the test proves little.
        assert!(accepted > 0);
    }

    #[test]
    fn unknown_filter_field_is_named_in_error() {
        let f = parse("role='x' AND bogus='y'");
        let err = f.validate_fields(&["role", "metadata"]).unwrap_err();
        assert_eq!(err.code_minor(), "invalid_filter_field");
        assert!(err.description().contains("'bogus'"));
        assert!(
            parse("metadata.x='1'")
                .validate_fields(&["metadata"])
                .is_ok()
        );
        assert!(
            parse("metadataX='1'")
                .validate_fields(&["metadata"])
                .is_err()
        );
    }

    #[test]
    fn values_compare_case_insensitively_and_contains_is_substring() {
        let r = json!({"role": "Teacher", "name": "Ada Lovelace"});
        assert!(parse("role='teacher'").matches_json(&r));
        assert!(!parse("role!='TEACHER'").matches_json(&r));
        assert!(parse("name~'LOVE'").matches_json(&r));
        assert!(!parse("name~'byron'").matches_json(&r));
    }

    #[test]
    fn numbers_and_dates_compare_by_value() {
        let r = json!({"n": 10, "d": "2024-03-01T00:00:00Z", "s": "b", "id": "007"});
        assert!(!parse("id='7'").matches_json(&r));
        assert!(parse("id='007'").matches_json(&r));
        assert!(parse("n>'9'").matches_json(&r));
        assert!(parse("n>='10.0'").matches_json(&r));
        assert!(parse("d<'2024-12-01T00:00:00Z'").matches_json(&r));
        assert!(parse("s<'C'").matches_json(&r));
    }

    #[test]
    fn missing_or_null_field_only_matches_not_equal() {
        let r = json!({"a": null});
        assert!(parse("a!='x'").matches_json(&r));
        assert!(parse("b!='x'").matches_json(&r));
        assert!(!parse("a='x'").matches_json(&r));
        assert!(!parse("b~''").matches_json(&r));
    }

    #[test]
    fn array_equals_is_and_and_contains_is_or() {
        let r = json!({"grades": ["09", "10"]});
        assert!(parse("grades='09'").matches_json(&r));
        assert!(parse("grades='09,10'").matches_json(&r));
        assert!(!parse("grades='09,11'").matches_json(&r));
        assert!(parse("grades~'11,1'").matches_json(&r));
        assert!(!parse("grades~'11,12'").matches_json(&r));
        assert!(parse("grades!='11'").matches_json(&r));
        assert!(!parse("grades!='10'").matches_json(&r));
    }

    #[test]
    fn and_or_combine_predicate_results() {
        let r = json!({"a": "1", "b": "2"});
        assert!(parse("a='1' AND b='2'").matches_json(&r));
        assert!(!parse("a='1' AND b='3'").matches_json(&r));
        assert!(parse("a='9' OR b='2'").matches_json(&r));
        assert!(parse("a='1'").matches(|f| (f == "a").then(|| json!("1"))));
    }
}

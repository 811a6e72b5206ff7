//! Checker expressions: the constraints lower found on a value ([`Constraints`]), spelled as the
//! `ims_runtime::constraints` checkers its generated code calls, e.g.
//! `rt::check::Optional(rt::check::Text::new().max_length(255))`. Models use them in their
//! `Validate` impls, the server on parameters and bodies, the client before it sends.
//!
//! The expression follows the value's Rust type: `Option` (optional or nullable), `Box`, `Vec`
//! and maps wrap the checker of what they hold; a generated type that validates is checked by
//! its own impl (`Nested`). `None`: nothing to check.

use std::collections::BTreeSet;

use crate::emit::literal::str_lit;
use crate::ir::{Constraints, Primitive, Rule, Service, TypeRef};

/// The names of the generated types whose values can break a constraint
/// ([`crate::ir::TypeDef::validates`]).
#[derive(Debug, Clone, Default)]
pub struct Validating(BTreeSet<String>);

impl Validating {
    /// The validating types of `service`.
    pub fn of(service: &Service) -> Self {
        Self::of_types(&service.types)
    }

    /// The validating types among `types`.
    pub fn of_types(types: &[crate::ir::TypeDef]) -> Self {
        Validating(
            types
                .iter()
                .filter(|t| t.validates)
                .map(|t| t.name.clone())
                .collect(),
        )
    }

    fn contains(&self, name: &str) -> bool {
        self.0.contains(name)
    }
}

/// The checker for a value of type `ty` declared with `constraints`.
pub fn checker(ty: &TypeRef, constraints: &Constraints, validating: &Validating) -> Option<String> {
    match ty {
        TypeRef::Nullable(inner) => checker(inner, constraints, validating).map(optional),
        TypeRef::Boxed(inner) => {
            checker(inner, constraints, validating).map(|c| format!("rt::check::Boxed({c})"))
        }
        TypeRef::Vec(inner) => {
            let empty = Constraints::default();
            let item = checker(
                inner,
                constraints.items.as_deref().unwrap_or(&empty),
                validating,
            );
            let mut counts = String::new();
            for rule in &constraints.rules {
                match rule {
                    Rule::MinItems(n) => counts.push_str(&format!(".min_items({n})")),
                    Rule::MaxItems(n) => counts.push_str(&format!(".max_items({n})")),
                    _ => {}
                }
            }
            if item.is_none() && counts.is_empty() {
                return None;
            }
            let item = item.unwrap_or_else(|| "rt::check::Pass".to_owned());
            Some(format!("rt::check::Items::new({item}){counts}"))
        }
        TypeRef::Map(inner) => {
            let empty = Constraints::default();
            checker(
                inner,
                constraints.items.as_deref().unwrap_or(&empty),
                validating,
            )
            .map(|c| format!("rt::check::Entries({c})"))
        }
        TypeRef::Named(name) => validating
            .contains(name)
            .then(|| "rt::check::Nested".to_owned()),
        TypeRef::Primitive(p) => primitive_checker(*p, &constraints.rules),
        TypeRef::Any => None,
    }
}

/// The checker of an optional value (`Option<T>`) whose present value `checker` checks.
pub fn optional(checker: String) -> String {
    format!("rt::check::Optional({checker})")
}

fn primitive_checker(p: Primitive, rules: &[Rule]) -> Option<String> {
    let mut calls = String::new();
    let base = match p {
        Primitive::String
        | Primitive::Byte
        | Primitive::DateTime
        | Primitive::Date
        | Primitive::Uri
        | Primitive::Uuid => {
            for rule in rules {
                match rule {
                    Rule::MinLength(n) => calls.push_str(&format!(".min_length({n})")),
                    Rule::MaxLength(n) => calls.push_str(&format!(".max_length({n})")),
                    Rule::Pattern(source) => {
                        calls.push_str(&format!(".pattern(rt::pattern!({}))", str_lit(source)))
                    }
                    _ => {}
                }
            }
            "rt::check::Text::new()"
        }
        Primitive::I32 | Primitive::I64 => {
            for rule in rules {
                match rule {
                    Rule::IntegerFormat { format, min, max } => {
                        calls.push_str(&format!(".format({min}, {max}, {})", str_lit(format)))
                    }
                    Rule::IntegerMinimum(n) => calls.push_str(&format!(".minimum({n})")),
                    Rule::IntegerMaximum(n) => calls.push_str(&format!(".maximum({n})")),
                    _ => {}
                }
            }
            "rt::check::Int::new()"
        }
        Primitive::F32 | Primitive::F64 => {
            for rule in rules {
                match rule {
                    Rule::NumberMinimum { value, exclusive } => {
                        calls.push_str(&format!(".minimum({value:?}, {exclusive})"))
                    }
                    Rule::NumberMaximum { value, exclusive } => {
                        calls.push_str(&format!(".maximum({value:?}, {exclusive})"))
                    }
                    _ => {}
                }
            }
            "rt::check::Float::new()"
        }
        Primitive::Bool | Primitive::Binary => "",
    };
    (!calls.is_empty()).then(|| format!("{base}{calls}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkers_follow_the_type() {
        let v = Validating(["User".to_owned()].into());
        let text = Constraints {
            rules: vec![Rule::MaxLength(3), Rule::Pattern("^a".into())],
            items: None,
        };
        assert_eq!(
            checker(&TypeRef::Primitive(Primitive::String), &text, &v).as_deref(),
            Some("rt::check::Text::new().max_length(3).pattern(rt::pattern!(\"^a\"))")
        );
        let list = Constraints {
            rules: vec![Rule::MinItems(1)],
            items: Some(Box::new(text)),
        };
        let ty = TypeRef::Nullable(Box::new(TypeRef::Vec(Box::new(TypeRef::Primitive(
            Primitive::String,
        )))));
        assert_eq!(
            checker(&ty, &list, &v).as_deref(),
            Some(
                "rt::check::Optional(rt::check::Items::new(rt::check::Text::new().max_length(3).pattern(rt::pattern!(\"^a\"))).min_items(1))"
            )
        );
        let users = TypeRef::Vec(Box::new(TypeRef::Named("User".into())));
        assert_eq!(
            checker(&users, &Constraints::default(), &v).as_deref(),
            Some("rt::check::Items::new(rt::check::Nested)")
        );
        let orgs = TypeRef::Vec(Box::new(TypeRef::Named("Org".into())));
        assert_eq!(checker(&orgs, &Constraints::default(), &v), None);
        let f = Constraints {
            rules: vec![Rule::NumberMinimum {
                value: 0.0,
                exclusive: true,
            }],
            items: None,
        };
        assert_eq!(
            checker(&TypeRef::Primitive(Primitive::F64), &f, &v).as_deref(),
            Some("rt::check::Float::new().minimum(0.0, true)")
        );
    }
}

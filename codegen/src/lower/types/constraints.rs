//! The declared constraints of a schema ([`Constraints`]), and which generated types can break
//! one ([`TypeDef::validates`]).
//!
//! Decisions made here:
//!
//! - an integer's exclusive bound is folded into an inclusive one (`exclusiveMinimum` with
//!   `minimum: 0` is `>= 1`); a number's stays exclusive;
//! - a bound the Rust type already guarantees is dropped (`minimum: -2147483648` on an `int32`);
//! - a `pattern` is enforced only when the `regex` crate compiles it (else a warning, see
//!   `check_pattern`); it is matched anywhere in the value, as JSON Schema says;
//! - string rules are not applied to string enumerations (the enum admits its values only), and
//!   formats carry no rule (their runtime newtypes only hold valid text);
//! - a `$ref`'d schema has no constraints here: its generated type checks its own.

use std::collections::BTreeSet;

use openapiv3::{IntegerFormat, ReferenceOr, Schema, SchemaKind, Type, VariantOrUnknownOrEmpty};

use super::TypeLowerer;
use crate::diagnostics::Diagnostics;
use crate::ir::{AdditionalProperties, Constraints, Rule, TypeDef, TypeDefKind, TypeRef};

impl TypeLowerer<'_> {
    /// The constraints of a parameter's or body's schema: a `$ref` has none here (its generated
    /// type checks its own), an inline schema has its own.
    pub fn constraints(
        &mut self,
        schema: &ReferenceOr<Schema>,
        pointer: &str,
        diags: &mut Diagnostics,
    ) -> Constraints {
        match schema {
            ReferenceOr::Item(item) => self.schema_constraints(item, pointer, diags),
            ReferenceOr::Reference { .. } => Constraints::default(),
        }
    }

    /// The constraints an inline schema declares on its value (and on its items).
    pub(super) fn schema_constraints(
        &mut self,
        schema: &Schema,
        pointer: &str,
        diags: &mut Diagnostics,
    ) -> Constraints {
        let mut rules = Vec::new();
        let mut items = None;
        match &schema.schema_kind {
            SchemaKind::Type(Type::String(s)) if s.enumeration.is_empty() => {
                self.text_rules(
                    s.min_length,
                    s.max_length,
                    s.pattern.as_deref(),
                    pointer,
                    &mut rules,
                    diags,
                );
            }
            SchemaKind::Type(Type::Integer(i)) => {
                let int32 = matches!(
                    i.format,
                    VariantOrUnknownOrEmpty::Item(IntegerFormat::Int32)
                );
                integer_rules(
                    i.minimum.map(|m| (m as f64, i.exclusive_minimum)),
                    i.maximum.map(|m| (m as f64, i.exclusive_maximum)),
                    int32,
                    &mut rules,
                );
            }
            SchemaKind::Type(Type::Number(n)) => {
                number_rules(
                    n.minimum.map(|m| (m, n.exclusive_minimum)),
                    n.maximum.map(|m| (m, n.exclusive_maximum)),
                    &mut rules,
                );
            }
            SchemaKind::Type(Type::Array(a)) => {
                item_count_rules(a.min_items, a.max_items, &mut rules);
                items = self.items_constraints(a.items.as_ref(), pointer, diags);
            }
            SchemaKind::Any(any)
                if any.all_of.is_empty() && any.one_of.is_empty() && any.any_of.is_empty() =>
            {
                match any.typ.as_deref() {
                    Some("string") if any.enumeration.is_empty() => self.text_rules(
                        any.min_length,
                        any.max_length,
                        any.pattern.as_deref(),
                        pointer,
                        &mut rules,
                        diags,
                    ),
                    Some("integer") => integer_rules(
                        any.minimum
                            .map(|m| (m, any.exclusive_minimum.unwrap_or(false))),
                        any.maximum
                            .map(|m| (m, any.exclusive_maximum.unwrap_or(false))),
                        any.format.as_deref() == Some("int32"),
                        &mut rules,
                    ),
                    Some("number") => number_rules(
                        any.minimum
                            .map(|m| (m, any.exclusive_minimum.unwrap_or(false))),
                        any.maximum
                            .map(|m| (m, any.exclusive_maximum.unwrap_or(false))),
                        &mut rules,
                    ),
                    Some("array") | None if any.items.is_some() || any.typ.is_some() => {
                        item_count_rules(any.min_items, any.max_items, &mut rules);
                        items = self.items_constraints(any.items.as_ref(), pointer, diags);
                    }
                    _ => {}
                }
            }
            _ => {}
        }
        Constraints {
            rules,
            items: items.map(Box::new),
        }
    }

    fn items_constraints(
        &mut self,
        items: Option<&ReferenceOr<Box<Schema>>>,
        pointer: &str,
        diags: &mut Diagnostics,
    ) -> Option<Constraints> {
        match items {
            Some(ReferenceOr::Item(item)) => {
                let c = self.schema_constraints(item, &format!("{pointer}/items"), diags);
                (!c.is_empty()).then_some(c)
            }
            Some(ReferenceOr::Reference { .. }) | None => None,
        }
    }

    fn text_rules(
        &mut self,
        min_length: Option<usize>,
        max_length: Option<usize>,
        pattern: Option<&str>,
        pointer: &str,
        rules: &mut Vec<Rule>,
        diags: &mut Diagnostics,
    ) {
        if let Some(n) = min_length.filter(|n| *n > 0) {
            rules.push(Rule::MinLength(n as u64));
        }
        if let Some(n) = max_length {
            rules.push(Rule::MaxLength(n as u64));
        }
        if let Some(pattern) = pattern {
            // Usually reported already while lowering the type; this covers schemas reached
            // only here.
            self.check_pattern(Some(pattern), pointer, diags);
            if self.patterns_compile.get(pattern).copied().unwrap_or(false) {
                rules.push(Rule::Pattern(pattern.to_owned()));
            }
        }
    }
}

fn item_count_rules(min: Option<usize>, max: Option<usize>, rules: &mut Vec<Rule>) {
    if let Some(n) = min.filter(|n| *n > 0) {
        rules.push(Rule::MinItems(n as u64));
    }
    if let Some(n) = max {
        rules.push(Rule::MaxItems(n as u64));
    }
}

/// Integer bounds, inclusive, without those the Rust type (`i32` for `int32`, else `i64`)
/// already guarantees.
fn integer_rules(
    minimum: Option<(f64, bool)>,
    maximum: Option<(f64, bool)>,
    int32: bool,
    rules: &mut Vec<Rule>,
) {
    let (type_min, type_max) = if int32 {
        (f64::from(i32::MIN), f64::from(i32::MAX))
    } else {
        (i64::MIN as f64, i64::MAX as f64)
    };
    if let Some((m, exclusive)) = minimum {
        // The smallest integer allowed: `> 2.5` and `>= 2.5` are both `>= 3`, `> 2` is `>= 3`.
        let least = if exclusive { m.floor() + 1.0 } else { m.ceil() };
        if least > type_min {
            rules.push(Rule::IntegerMinimum(saturating_i64(least)));
        }
    }
    if let Some((m, exclusive)) = maximum {
        let most = if exclusive { m.ceil() - 1.0 } else { m.floor() };
        if most < type_max {
            rules.push(Rule::IntegerMaximum(saturating_i64(most)));
        }
    }
}

fn saturating_i64(x: f64) -> i64 {
    // `as` saturates at the i64 range, which is what a bound beyond it means.
    x as i64
}

fn number_rules(minimum: Option<(f64, bool)>, maximum: Option<(f64, bool)>, rules: &mut Vec<Rule>) {
    if let Some((value, exclusive)) = minimum.filter(|(m, _)| m.is_finite()) {
        rules.push(Rule::NumberMinimum { value, exclusive });
    }
    if let Some((value, exclusive)) = maximum.filter(|(m, _)| m.is_finite()) {
        rules.push(Rule::NumberMaximum { value, exclusive });
    }
}

/// Sets [`TypeDef::validates`]: a type validates when it has constraints of its own or holds a
/// type that validates (a fixed point, since types refer to each other and to themselves).
pub(super) fn mark_validating(defs: &mut [TypeDef]) {
    let mut validating: BTreeSet<String> = BTreeSet::new();
    loop {
        let before = validating.len();
        for def in defs.iter() {
            if !validating.contains(&def.name) && def_validates(def, &validating) {
                validating.insert(def.name.clone());
            }
        }
        if validating.len() == before {
            break;
        }
    }
    for def in defs {
        def.validates = validating.contains(&def.name);
    }
}

fn def_validates(def: &TypeDef, validating: &BTreeSet<String>) -> bool {
    match &def.kind {
        TypeDefKind::Struct(s) => {
            s.fields
                .iter()
                .any(|f| !f.constraints.is_empty() || reaches(&f.ty, validating))
                || matches!(&s.additional, AdditionalProperties::Typed(t) if reaches(t, validating))
        }
        TypeDefKind::Newtype(inner) => !def.constraints.is_empty() || reaches(inner, validating),
        TypeDefKind::Union(u) => u.variants.iter().any(|v| reaches(&v.ty, validating)),
        TypeDefKind::Enum(_) | TypeDefKind::ExtensibleEnum(_) => false,
    }
}

/// Whether a value of type `t` holds a value of a validating type.
pub fn reaches(t: &TypeRef, validating: &BTreeSet<String>) -> bool {
    match t {
        TypeRef::Named(n) => validating.contains(n),
        TypeRef::Vec(inner)
        | TypeRef::Map(inner)
        | TypeRef::Boxed(inner)
        | TypeRef::Nullable(inner) => reaches(inner, validating),
        TypeRef::Primitive(_) | TypeRef::Any => false,
    }
}

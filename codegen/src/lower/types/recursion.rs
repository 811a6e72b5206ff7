//! Breaking recursive types with `Box`.
//!
//! A type that contains itself by value (directly or through other types, through fields that are
//! not collections, including optional ones: `Option<T>` stores `T` inline) has infinite size. Every
//! such by-value reference that lies on a cycle is wrapped in [`TypeRef::Boxed`]. References
//! through `Vec` and maps are already behind a pointer and stay as they are.

use std::collections::{BTreeMap, BTreeSet};

use crate::ir::{TypeDef, TypeDefKind, TypeRef};

/// Names stored by value in `t` (not behind `Vec`, a map or a `Box`).
fn inline_names<'t>(t: &'t TypeRef, out: &mut BTreeSet<&'t str>) {
    match t {
        TypeRef::Named(n) => {
            out.insert(n.as_str());
        }
        TypeRef::Nullable(inner) => inline_names(inner, out),
        TypeRef::Vec(_)
        | TypeRef::Map(_)
        | TypeRef::Boxed(_)
        | TypeRef::Primitive(_)
        | TypeRef::Any => {}
    }
}

/// Every type reference held by value in a definition.
fn held_types(kind: &TypeDefKind) -> Vec<&TypeRef> {
    match kind {
        // A typed extension map stores its values on the heap: not a by-value reference.
        TypeDefKind::Struct(s) => s.fields.iter().map(|f| &f.ty).collect(),
        TypeDefKind::Union(u) => u.variants.iter().map(|v| &v.ty).collect(),
        TypeDefKind::Newtype(t) => vec![t],
        TypeDefKind::Enum(_) | TypeDefKind::ExtensibleEnum(_) => Vec::new(),
    }
}

fn held_types_mut(kind: &mut TypeDefKind) -> Vec<&mut TypeRef> {
    match kind {
        TypeDefKind::Struct(s) => s.fields.iter_mut().map(|f| &mut f.ty).collect(),
        TypeDefKind::Union(u) => u.variants.iter_mut().map(|v| &mut v.ty).collect(),
        TypeDefKind::Newtype(t) => vec![t],
        TypeDefKind::Enum(_) | TypeDefKind::ExtensibleEnum(_) => Vec::new(),
    }
}

/// Whether `to` is reachable from `from` through by-value references (`from == to` counts).
fn reaches(graph: &BTreeMap<String, BTreeSet<String>>, from: &str, to: &str) -> bool {
    let mut stack = vec![from];
    let mut seen = BTreeSet::new();
    while let Some(n) = stack.pop() {
        if n == to {
            return true;
        }
        if !seen.insert(n) {
            continue;
        }
        if let Some(next) = graph.get(n) {
            stack.extend(next.iter().map(String::as_str));
        }
    }
    false
}

fn box_on_cycle(t: &mut TypeRef, owner: &str, graph: &BTreeMap<String, BTreeSet<String>>) {
    match t {
        TypeRef::Named(n) => {
            if reaches(graph, n, owner) {
                let inner = std::mem::replace(t, TypeRef::Any);
                *t = TypeRef::Boxed(Box::new(inner));
            }
        }
        TypeRef::Nullable(inner) => box_on_cycle(inner, owner, graph),
        TypeRef::Vec(_)
        | TypeRef::Map(_)
        | TypeRef::Boxed(_)
        | TypeRef::Primitive(_)
        | TypeRef::Any => {}
    }
}

/// Wraps every by-value reference that closes a cycle in `Box`.
pub(super) fn box_recursive_fields(defs: &mut [TypeDef]) {
    let graph: BTreeMap<String, BTreeSet<String>> = defs
        .iter()
        .map(|d| {
            let mut names = BTreeSet::new();
            for t in held_types(&d.kind) {
                inline_names(t, &mut names);
            }
            (
                d.name.clone(),
                names.into_iter().map(str::to_owned).collect(),
            )
        })
        .collect();
    for def in defs.iter_mut() {
        let owner = def.name.clone();
        for t in held_types_mut(&mut def.kind) {
            box_on_cycle(t, &owner, &graph);
        }
    }
}

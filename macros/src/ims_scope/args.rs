//! Parses `#[ims_scope(...)]` arguments into alternatives of scope groups.
//!
//! Grammar: `arg ("," arg)* ","?` where `arg` is a string literal, a path to a `&str` constant, or
//! `all(scope ("," scope)*)`. Every problem is collected so one compile shows them all.

use proc_macro2::{Span, TokenStream};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Lit, Token};

use super::scope_uri;

/// One scope as written.
#[derive(Debug, Clone)]
pub(crate) enum ScopeArg {
    /// `"https://…"`.
    Literal(syn::LitStr),
    /// `scopes::ROSTER_CORE_READONLY`.
    Path(syn::Path),
}

impl ScopeArg {
    /// A key that is equal for the same literal value or the same path text.
    fn identity(&self) -> String {
        match self {
            ScopeArg::Literal(lit) => format!("lit:{}", lit.value()),
            ScopeArg::Path(path) => {
                let text = quote::quote!(#path).to_string();
                format!("path:{}", text.replace(' ', ""))
            }
        }
    }

    fn describe(&self) -> String {
        match self {
            ScopeArg::Literal(lit) => format!("\"{}\"", lit.value()),
            ScopeArg::Path(path) => quote::quote!(#path).to_string().replace(' ', ""),
        }
    }

    fn span(&self) -> Span {
        match self {
            ScopeArg::Literal(lit) => lit.span(),
            ScopeArg::Path(path) => path.span(),
        }
    }
}

/// Any one group suffices; every scope of a group is needed.
#[derive(Debug, Clone, Default)]
pub(crate) struct Requirement {
    pub(crate) any_of: Vec<Vec<ScopeArg>>,
}

const WRONG_KIND: &str = "expected a scope string literal (\"https://…/scope/x\"), a path to a scope \
                          constant (scopes::X), or all(...) of those";

fn scope(expr: &Expr, errors: &mut Vec<syn::Error>) -> Option<ScopeArg> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) => {
            if let Some(problem) = scope_uri::problem(&lit.value()) {
                errors.push(syn::Error::new(lit.span(), problem));
                return None;
            }
            Some(ScopeArg::Literal(lit.clone()))
        }
        Expr::Path(path) if path.qself.is_none() && path.attrs.is_empty() => {
            Some(ScopeArg::Path(path.path.clone()))
        }
        other => {
            errors.push(syn::Error::new_spanned(other, WRONG_KIND));
            None
        }
    }
}

fn is_all_call(expr: &Expr) -> Option<&syn::ExprCall> {
    let Expr::Call(call) = expr else { return None };
    let Expr::Path(func) = call.func.as_ref() else {
        return None;
    };
    func.path.is_ident("all").then_some(call)
}

/// Parses the attribute arguments, pushing every problem into `errors`.
pub(crate) fn parse(attr: TokenStream, errors: &mut Vec<syn::Error>) -> Requirement {
    let mut requirement = Requirement::default();
    let args = match Punctuated::<Expr, Token![,]>::parse_terminated.parse2(attr) {
        Ok(args) => args,
        Err(error) => {
            errors.push(error);
            return requirement;
        }
    };
    if args.is_empty() {
        errors.push(syn::Error::new(
            Span::call_site(),
            "#[ims_scope] needs at least one scope, e.g. \
             #[ims_scope(\"https://purl.imsglobal.org/spec/or/v1p2/scope/roster.readonly\")]",
        ));
        return requirement;
    }
    let mut seen_groups: Vec<Vec<String>> = Vec::new();
    for arg in &args {
        let group: Vec<ScopeArg> = if let Some(call) = is_all_call(arg) {
            if call.args.is_empty() {
                errors.push(syn::Error::new_spanned(
                    call,
                    "all() needs at least one scope: all(scopes::A, scopes::B)",
                ));
                continue;
            }
            let mut group = Vec::new();
            for inner in &call.args {
                if is_all_call(inner).is_some() {
                    errors.push(syn::Error::new_spanned(
                        inner,
                        "all(...) cannot be nested; list the scopes in one all(...)",
                    ));
                    continue;
                }
                if let Some(s) = scope(inner, errors) {
                    group.push(s);
                }
            }
            group
        } else {
            match scope(arg, errors) {
                Some(s) => vec![s],
                None => continue,
            }
        };
        // A scope twice in one group, or the same group twice, is a mistake worth stopping for.
        let mut keys: Vec<String> = Vec::new();
        let mut deduped = Vec::new();
        for s in group {
            let key = s.identity();
            if keys.contains(&key) {
                errors.push(syn::Error::new(
                    s.span(),
                    format!(
                        "duplicate scope {} in the same all(...) group",
                        s.describe()
                    ),
                ));
                continue;
            }
            keys.push(key);
            deduped.push(s);
        }
        if deduped.is_empty() {
            continue;
        }
        let mut sorted = keys.clone();
        sorted.sort();
        if seen_groups.contains(&sorted) {
            let first = &deduped[0];
            errors.push(syn::Error::new(
                arg.span(),
                format!("duplicate scope {} (already listed)", first.describe()),
            ));
            continue;
        }
        seen_groups.push(sorted);
        requirement.any_of.push(deduped);
    }
    requirement
}

//! The doc text every emitter writes about an operation: the `METHOD path (id)` heading, the
//! SDD's summary and description, who may call it, and the deprecation note; and how those docs
//! name the service.
//!
//! The module's `OPERATIONS` entries, the server trait methods and the client methods describe
//! the same operation, so they share these lines.

use std::collections::BTreeMap;

use crate::emit::doc::{DocBuilder, code_span};
use crate::ir::{Operation, Service};

/// `` `OneRoster` `Rostering` `1.2` ``: spec, service and version, as the docs of every emitter
/// name the service.
pub fn service_label(service: &Service) -> String {
    format!(
        "{} {} {}",
        code_span(&service.spec),
        code_span(&service.service),
        code_span(&service.version)
    )
}

/// `` `GET /users/{id}` ``: the operation's method and path template as a code span.
pub fn call_span(op: &Operation) -> String {
    code_span(&format!("{} {}", op.method.as_str(), op.api.path.text()))
}

/// `` `GET /users/{id}` (`getUser`) ``.
pub fn heading(op: &Operation) -> String {
    format!("{} ({})", call_span(op), code_span(&op.id))
}

/// The heading, the SDD's summary and description, then `scopes_line`.
pub fn operation_doc(op: &Operation, scopes_line: String) -> DocBuilder {
    DocBuilder::new()
        .trusted(heading(op))
        .prose(op.summary.as_deref())
        .prose(op.description.as_deref())
        .trusted(scopes_line)
}

/// "Deprecated in the SDD." for a deprecated operation, else empty (no line).
pub fn deprecated_line(op: &Operation) -> String {
    if op.deprecated {
        "Deprecated in the SDD.".to_owned()
    } else {
        String::new()
    }
}

/// The scope alternatives as prose: `` `a` and `b`, or any valid token ``, each scope named by
/// `name` (its URI in, its shown name out).
pub fn scope_alternatives(op: &Operation, name: impl Fn(&str) -> String) -> String {
    let groups: Vec<String> = op
        .scopes
        .any_of
        .iter()
        .map(|g| {
            if g.is_empty() {
                "any valid token".to_owned()
            } else {
                g.iter()
                    .map(|s| code_span(&name(s)))
                    .collect::<Vec<_>>()
                    .join(" and ")
            }
        })
        .collect();
    groups.join(", or ")
}

/// Who may call the operation, naming scopes by their constant (`consts`: URI → constant name;
/// the URI itself where there is none).
pub fn scopes_line(op: &Operation, consts: &BTreeMap<&str, &str>) -> String {
    if op.is_discovery {
        return "Public: the discovery endpoint needs no token.".to_owned();
    }
    if op.scopes.is_public() {
        return match &op.public_reason {
            Some(reason) => format!(
                "Public: needs no token. The SDD also allows a token; the spec model serves this operation without one: {}",
                sentence(reason)
            ),
            None => "Public: needs no token.".to_owned(),
        };
    }
    let alternatives = scope_alternatives(op, |uri| {
        consts
            .get(uri)
            .map_or_else(|| uri.to_owned(), |c| (*c).to_owned())
    });
    format!("Scopes: {alternatives}.")
}

/// `text` as a sentence: with a final full stop.
pub fn sentence(text: &str) -> String {
    let text = text.trim();
    if text.ends_with(['.', '!', '?']) {
        text.to_owned()
    } else {
        format!("{text}.")
    }
}

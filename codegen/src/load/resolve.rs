//! Local `$ref` resolution over a parsed SDD.
//!
//! Only local references (`#/components/<kind>/<name>`) are supported; anything else, a dangling
//! reference or a cycle of references that never reaches an item is a diagnostic pointing at the
//! JSON pointer of the `$ref`. Recursive *schemas* (a schema whose properties refer back to it) are
//! fine here: only chains of bare references are followed.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use openapiv3::{
    Header, OpenAPI, Parameter, ReferenceOr, RequestBody, Response, Schema, SecurityScheme,
};

use crate::diagnostics::{Diagnostic, Location, codes};

/// Most reference hops followed before a chain is reported as too long.
const MAX_HOPS: usize = 64;

/// An item found behind zero or more references.
#[derive(Debug, Clone, Copy)]
pub struct Resolved<'a, T> {
    /// The item.
    pub item: &'a T,
    /// The component name of the last reference followed (`None` for an inline item).
    pub name: Option<&'a str>,
}

/// Resolves local references of one SDD.
#[derive(Debug, Clone, Copy)]
pub struct Resolver<'a> {
    openapi: &'a OpenAPI,
    path: &'a Path,
}

/// Escapes one JSON-pointer token (RFC 6901).
pub fn escape_pointer_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

fn unescape_pointer_token(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// Splits `#/components/<kind>/<name>` into its unescaped name, if the reference has that form.
pub fn component_ref_name(reference: &str, kind: &str) -> Option<String> {
    let rest = reference.strip_prefix("#/components/")?;
    let rest = rest.strip_prefix(kind)?;
    let name = rest.strip_prefix('/')?;
    if name.is_empty() || name.contains('/') {
        return None;
    }
    Some(unescape_pointer_token(name))
}

impl<'a> Resolver<'a> {
    /// A resolver for `openapi`, read from `path` (used in diagnostics).
    pub fn new(openapi: &'a OpenAPI, path: &'a Path) -> Self {
        Self { openapi, path }
    }

    /// The parsed document.
    pub fn openapi(&self) -> &'a OpenAPI {
        self.openapi
    }

    /// The SDD's path.
    pub fn path(&self) -> PathBuf {
        self.path.to_path_buf()
    }

    fn follow<T>(
        &self,
        start: &'a ReferenceOr<T>,
        pointer: &str,
        kind: &str,
        table: impl Fn(&'a openapiv3::Components) -> &'a IndexMap<String, ReferenceOr<T>>,
    ) -> Result<Resolved<'a, T>, Diagnostic> {
        let mut current = start;
        let mut name: Option<&'a str> = None;
        let mut seen: Vec<&'a str> = Vec::new();
        for _ in 0..MAX_HOPS {
            match current {
                ReferenceOr::Item(item) => return Ok(Resolved { item, name }),
                ReferenceOr::Reference { reference } => {
                    let location = Location::pointer(self.path, pointer);
                    let Some(wanted) = component_ref_name(reference, kind) else {
                        return Err(Diagnostic::new(
                            codes::REF_UNSUPPORTED,
                            format!("unsupported $ref `{reference}`: expected `#/components/{kind}/<name>`"),
                            location,
                        )
                        .with_help("only local references into `components` are supported; inline the target or move it under `components`"));
                    };
                    if seen.contains(&reference.as_str()) {
                        return Err(Diagnostic::new(
                            codes::REF_CYCLE,
                            format!("$ref cycle: `{reference}` refers back to itself through {} reference(s)", seen.len()),
                            location,
                        )
                        .with_help("make one of the components in the cycle a real definition"));
                    }
                    seen.push(reference.as_str());
                    let entry = self
                        .openapi
                        .components
                        .as_ref()
                        .and_then(|c| table(c).get_key_value(wanted.as_str()));
                    let Some((key, next)) = entry else {
                        return Err(Diagnostic::new(
                            codes::REF_DANGLING,
                            format!(
                                "dangling $ref `{reference}`: no `{wanted}` in `components.{kind}`"
                            ),
                            location,
                        )
                        .with_help(format!(
                            "define `components.{kind}.{wanted}` or correct the reference"
                        )));
                    };
                    name = Some(key.as_str());
                    current = next;
                }
            }
        }
        Err(Diagnostic::new(
            codes::REF_CYCLE,
            format!("$ref chain longer than {MAX_HOPS} hops"),
            Location::pointer(self.path, pointer),
        ))
    }

    /// Resolves a schema reference. `pointer` is where `r` sits in the SDD.
    pub fn schema(
        &self,
        r: &'a ReferenceOr<Schema>,
        pointer: &str,
    ) -> Result<Resolved<'a, Schema>, Diagnostic> {
        self.follow(r, pointer, "schemas", |c| &c.schemas)
    }

    /// Resolves a boxed schema reference (as found in properties and `items`).
    ///
    /// `name` is the component the chain ends at, so recursive and shared schemas keep their names.
    pub fn boxed_schema(
        &self,
        r: &'a ReferenceOr<Box<Schema>>,
        pointer: &str,
    ) -> Result<Resolved<'a, Schema>, Diagnostic> {
        let reference = match r {
            ReferenceOr::Item(item) => return Ok(Resolved { item, name: None }),
            ReferenceOr::Reference { reference } => reference,
        };
        let location = Location::pointer(self.path, pointer);
        let Some(wanted) = component_ref_name(reference, "schemas") else {
            return Err(Diagnostic::new(
                codes::REF_UNSUPPORTED,
                format!("unsupported $ref `{reference}`: expected `#/components/schemas/<name>`"),
                location,
            )
            .with_help("only local references into `components` are supported; inline the target or move it under `components`"));
        };
        let entry = self
            .openapi
            .components
            .as_ref()
            .and_then(|c| c.schemas.get_key_value(wanted.as_str()));
        match entry {
            Some((key, ReferenceOr::Item(item))) => Ok(Resolved {
                item,
                name: Some(key.as_str()),
            }),
            // The component is itself a reference: follow the chain from there.
            Some((_, next)) => self.schema(next, pointer),
            None => Err(Diagnostic::new(
                codes::REF_DANGLING,
                format!("dangling $ref `{reference}`: no `{wanted}` in `components.schemas`"),
                location,
            )
            .with_help(format!(
                "define `components.schemas.{wanted}` or correct the reference"
            ))),
        }
    }

    /// Resolves a parameter reference.
    pub fn parameter(
        &self,
        r: &'a ReferenceOr<Parameter>,
        pointer: &str,
    ) -> Result<Resolved<'a, Parameter>, Diagnostic> {
        self.follow(r, pointer, "parameters", |c| &c.parameters)
    }

    /// Resolves a response reference.
    pub fn response(
        &self,
        r: &'a ReferenceOr<Response>,
        pointer: &str,
    ) -> Result<Resolved<'a, Response>, Diagnostic> {
        self.follow(r, pointer, "responses", |c| &c.responses)
    }

    /// Resolves a request-body reference.
    pub fn request_body(
        &self,
        r: &'a ReferenceOr<RequestBody>,
        pointer: &str,
    ) -> Result<Resolved<'a, RequestBody>, Diagnostic> {
        self.follow(r, pointer, "requestBodies", |c| &c.request_bodies)
    }

    /// Resolves a header reference.
    pub fn header(
        &self,
        r: &'a ReferenceOr<Header>,
        pointer: &str,
    ) -> Result<Resolved<'a, Header>, Diagnostic> {
        self.follow(r, pointer, "headers", |c| &c.headers)
    }

    /// Resolves a security-scheme reference.
    pub fn security_scheme(
        &self,
        r: &'a ReferenceOr<SecurityScheme>,
        pointer: &str,
    ) -> Result<Resolved<'a, SecurityScheme>, Diagnostic> {
        self.follow(r, pointer, "securitySchemes", |c| &c.security_schemes)
    }
}

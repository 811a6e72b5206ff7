//! Paths and operations → [`Operation`]s, and the discovery endpoint.
//!
//! - ids: `operationId`, else derived from method and path (`get /orgs/{id}` → `getOrgsById`);
//!   duplicates are errors; Rust names are unique per service (in sorted order, so stable);
//! - paths are checked: leading `/`, balanced `{}`, unique variables, and no two paths that differ
//!   only in variable names for the same method (a router could not tell them apart);
//! - the discovery endpoint is the model's `discovery` path, else a `GET /discovery[/…]` of the SDD;
//!   it is always public;
//! - operations are sorted by (path, method).

use std::collections::{BTreeMap, BTreeSet};

use openapiv3::{Operation as OasOperation, PathItem, ReferenceOr};

use crate::diagnostics::{Diagnostic, Diagnostics, Location, codes};
use crate::ir::{Discovery, HttpMethod, Operation, OperationApi, ScopeRequirement};
use crate::load::LoadedSpec;
use crate::load::resolve::{Resolver, escape_pointer_token};
use crate::lower::base_path::normalize_base_path;
use crate::lower::bodies::lower_request_body;
use crate::lower::naming::{NameTable, const_name, fn_name, type_name};
use crate::lower::params::lower_params;
use crate::lower::path_template;
use crate::lower::requirements::RequirementLowering;
use crate::lower::responses::lower_responses;
use crate::lower::types::TypeLowerer;

/// State shared by the lowering of all operations of one service.
pub struct OpLowering<'a> {
    /// The input.
    pub loaded: &'a LoadedSpec,
    /// `$ref` resolution.
    pub resolver: Resolver<'a>,
    /// Schema lowering (inline parameter, body and header schemas become model types).
    pub types: TypeLowerer<'a>,
    /// Pointers of `fields` parameters whose declared style was replaced by the convention.
    pub fields_forced: Vec<String>,
    /// Pointers of responses that declare OpenAPI `links`.
    pub links_seen: Vec<String>,
}

/// Operations and discovery of one service.
#[derive(Debug)]
pub struct LoweredOperations {
    /// Operations sorted by (path, method).
    pub operations: Vec<Operation>,
    /// The discovery endpoint.
    pub discovery: Option<Discovery>,
}

/// An id for an operation without `operationId`: `get /orgs/{sourcedId}` → `getOrgsBySourcedId`.
pub fn derive_operation_id(method: HttpMethod, path: &str) -> String {
    let mut id = method.as_str().to_ascii_lowercase();
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        if let Some(var) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            id.push_str("By");
            id.push_str(&type_name(var));
        } else {
            id.push_str(&type_name(segment));
        }
    }
    id
}

fn method_of(name: &str) -> Option<HttpMethod> {
    Some(match name {
        "get" => HttpMethod::Get,
        "put" => HttpMethod::Put,
        "post" => HttpMethod::Post,
        "delete" => HttpMethod::Delete,
        "options" => HttpMethod::Options,
        "head" => HttpMethod::Head,
        "patch" => HttpMethod::Patch,
        "trace" => HttpMethod::Trace,
        _ => return None,
    })
}

/// Lowers every operation of the SDD. Scope requirements go through `requirements`.
pub fn lower_operations<'a>(
    cx: &mut OpLowering<'a>,
    requirements: &mut RequirementLowering<'_>,
    base_path: &str,
    diags: &mut Diagnostics,
) -> LoweredOperations {
    let loaded = cx.loaded;
    let sdd = &loaded.sdd_path;
    let mut operations: Vec<Operation> = Vec::new();
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    let mut shapes: BTreeMap<(String, HttpMethod), String> = BTreeMap::new();

    for (path, item) in loaded.openapi.paths.paths.iter() {
        let path_pointer = format!("/paths/{}", escape_pointer_token(path));
        let item: &'a PathItem = match item {
            ReferenceOr::Item(item) => item,
            ReferenceOr::Reference { reference } => {
                diags.push(
                    Diagnostic::new(
                        codes::PATH_ITEM_REF,
                        format!("path item `$ref: {reference}` is not supported"),
                        Location::pointer(sdd, &path_pointer),
                    )
                    .with_help("write the path item inline"),
                );
                continue;
            }
        };
        let pieces = match path_template::parse(path) {
            Ok(p) => p,
            Err(why) => {
                diags.push(
                    Diagnostic::new(
                        codes::PATH_TEMPLATE_INVALID,
                        format!("invalid path template `{path}`: {why}"),
                        Location::pointer(sdd, &path_pointer),
                    )
                    .with_help("paths look like `/orgs/{sourcedId}`"),
                );
                continue;
            }
        };
        if !item.servers.is_empty() {
            diags.push(servers_warning(sdd, &format!("{path_pointer}/servers")));
        }
        let vars = path_template::vars(&pieces);
        if let Some(why) = path_template::route_problem(&pieces) {
            diags.push(
                Diagnostic::new(
                    codes::PATH_NOT_MOUNTABLE,
                    format!(
                        "the generated server cannot mount `{path}` ({why}); its operations are left out of the `server` module"
                    ),
                    Location::pointer(sdd, &path_pointer),
                )
                .with_help("make every path variable a whole segment, e.g. `/files/{name}`"),
            );
        }
        for (method_name, op) in item.iter() {
            let Some(method) = method_of(method_name) else {
                continue;
            };
            let op_pointer = format!("{path_pointer}/{method_name}");
            let shape_key = (path_template::shape(&pieces), method);
            if let Some(other) = shapes.get(&shape_key) {
                diags.push(
                    Diagnostic::new(
                        codes::PATHS_DIFFER_IN_VARIABLES,
                        format!(
                            "`{} {path}` and `{} {other}` differ only in path variable names; a router cannot tell them apart",
                            method.as_str(),
                            method.as_str()
                        ),
                        Location::pointer(sdd, &op_pointer),
                    )
                    .with_help("merge the two paths"),
                );
                continue;
            }
            shapes.insert(shape_key, path.clone());
            let operation = lower_operation(
                cx,
                requirements,
                path,
                item,
                &path_pointer,
                &vars,
                method,
                op,
                diags,
            );
            if let Some(first) = ids.insert(operation.id.clone(), op_pointer.clone()) {
                diags.push(
                    Diagnostic::new(
                        codes::OPERATION_ID_DUPLICATE,
                        format!(
                            "operationId `{}` is used twice (first at {first})",
                            operation.id
                        ),
                        Location::pointer(sdd, format!("{op_pointer}/operationId")),
                    )
                    .with_help("operationIds must be unique in the SDD"),
                );
                continue;
            }
            operations.push(operation);
        }
    }

    operations.sort_by(|a, b| (&a.path, a.method).cmp(&(&b.path, b.method)));
    assign_names(&mut operations, sdd, diags);
    let discovery = mark_discovery(loaded, &mut operations, base_path, diags);
    report_conventions(cx, diags);
    LoweredOperations {
        operations,
        discovery,
    }
}

#[allow(clippy::too_many_arguments)]
fn lower_operation<'a>(
    cx: &mut OpLowering<'a>,
    requirements: &mut RequirementLowering<'_>,
    path: &str,
    item: &'a PathItem,
    path_pointer: &str,
    vars: &[String],
    method: HttpMethod,
    op: &'a OasOperation,
    diags: &mut Diagnostics,
) -> Operation {
    let sdd = &cx.loaded.sdd_path;
    let op_pointer = format!("{path_pointer}/{}", method.as_str().to_ascii_lowercase());
    let id = match &op.operation_id {
        Some(id) if !id.trim().is_empty() => id.clone(),
        _ => {
            let id = derive_operation_id(method, path);
            diags.push(
                Diagnostic::new(
                    codes::OPERATION_ID_DERIVED,
                    format!(
                        "operation has no `operationId`; `{id}` is derived from its method and path"
                    ),
                    Location::pointer(sdd, &op_pointer),
                )
                .with_help("add an `operationId` to choose the name"),
            );
            id
        }
    };
    let hint = type_name(&id);
    if !op.callbacks.is_empty() {
        diags.push(
            Diagnostic::new(
                codes::CALLBACKS_IGNORED,
                "callbacks are not generated; the operation is generated without them",
                Location::pointer(sdd, format!("{op_pointer}/callbacks")),
            )
            .with_help("implement the callback requests by hand"),
        );
    }
    if !op.servers.is_empty() {
        diags.push(servers_warning(sdd, &format!("{op_pointer}/servers")));
    }
    let params = lower_params(
        cx,
        &item.parameters,
        path_pointer,
        &op.parameters,
        &op_pointer,
        vars,
        &hint,
        diags,
    );
    let request_body = op.request_body.as_ref().and_then(|body| {
        lower_request_body(
            cx,
            body,
            &format!("{op_pointer}/requestBody"),
            &format!("{hint}Request"),
            diags,
        )
    });
    let responses = lower_responses(cx, &op.responses, &op_pointer, &hint, diags);
    let security = requirements.lower(op.security.as_ref(), &id, &op_pointer, diags);
    let mut description = op.description.clone().or_else(|| item.description.clone());
    if let Some(docs) = &op.external_docs {
        let line = match &docs.description {
            Some(d) => format!("{d}: <{}>", docs.url),
            None => format!("See <{}>.", docs.url),
        };
        description = Some(match description {
            Some(d) => format!("{d}\n\n{line}"),
            None => line,
        });
    }
    Operation {
        id,
        fn_name: String::new(),
        type_name: String::new(),
        const_name: String::new(),
        method,
        path: path.to_owned(),
        pointer: op_pointer,
        summary: op.summary.clone().or_else(|| item.summary.clone()),
        description,
        deprecated: op.deprecated,
        tags: op.tags.clone(),
        params,
        request_body,
        responses,
        scopes: security.scopes,
        public_reason: security.public_reason,
        is_discovery: false,
        // Decided for all operations together, once the model types are known.
        api: OperationApi::default(),
    }
}

fn servers_warning(sdd: &std::path::Path, pointer: &str) -> Diagnostic {
    Diagnostic::new(
        codes::SERVERS_IGNORED,
        "per-path and per-operation `servers` are ignored: every operation is mounted under the service base path",
        Location::pointer(sdd, pointer),
    )
    .with_help("move the server to the top-level `servers`, or set `base_path` in the model")
}

/// Unique snake_case and UpperCamelCase names, in sorted operation order.
fn assign_names(operations: &mut [Operation], sdd: &std::path::Path, diags: &mut Diagnostics) {
    let mut fns = NameTable::new();
    let mut types = NameTable::new();
    let mut consts = NameTable::new();
    consts.reserve("ALL");
    for op in operations.iter_mut() {
        let wanted = fn_name(&op.id);
        op.fn_name = fns.insert(&wanted);
        op.type_name = types.insert(&type_name(&op.id));
        // `r#type` → `TYPE`, not `R_TYPE`.
        op.const_name = consts.insert(&const_name(op.fn_name.trim_start_matches("r#")));
        if op.fn_name != wanted {
            diags.push(Diagnostic::new(
                codes::OPERATION_NAME_TAKEN,
                format!(
                    "operation `{}` maps to the Rust name `{wanted}`, already taken by another operation; it is named `{}`",
                    op.id, op.fn_name
                ),
                Location::pointer(sdd, &op.pointer),
            )
            .with_help("choose operationIds that differ in more than case and punctuation"));
        }
    }
}

/// Finds the discovery endpoint, marks its operation and makes it public.
fn mark_discovery(
    loaded: &LoadedSpec,
    operations: &mut [Operation],
    base_path: &str,
    diags: &mut Diagnostics,
) -> Option<Discovery> {
    let sdd = &loaded.sdd_path;
    let wanted = match &loaded.model.discovery {
        Some(p) => {
            let mut p = normalize_base_path(p);
            // A discovery path written with the base path in front is accepted, with a warning.
            if !base_path.is_empty()
                && let Some(rest) = p.strip_prefix(base_path).filter(|r| r.starts_with('/'))
            {
                let rest = rest.to_owned();
                let location = match &loaded.model_path {
                    Some(m) => Location::pointer(m, "/discovery"),
                    None => Location::None,
                };
                diags.push(
                    Diagnostic::new(
                        codes::DISCOVERY_PATH_UNDER_BASE,
                        format!("the model's discovery path `{p}` starts with the base path; `{rest}` is used"),
                        location,
                    )
                    .with_help("write the discovery path relative to `base_path`"),
                );
                p = rest;
            }
            Some(p)
        }
        None => operations
            .iter()
            .find(|op| {
                op.method == HttpMethod::Get
                    && (op.path == "/discovery"
                        || (op.path.starts_with("/discovery/") && !op.path.contains('{')))
            })
            .map(|op| op.path.clone()),
    }?;
    let mut operation_id = None;
    for op in operations.iter_mut() {
        if op.path == wanted && op.method == HttpMethod::Get {
            if !op.scopes.is_public() {
                diags.push(Diagnostic::new(
                    codes::DISCOVERY_SECURITY_IGNORED,
                    "the discovery endpoint requires scopes in the SDD; discovery is always public, so its `security` is ignored",
                    Location::pointer(sdd, &op.pointer),
                )
                .with_help("add `security: []` to the discovery operation"));
            }
            op.scopes = ScopeRequirement::default();
            op.public_reason = None;
            op.is_discovery = true;
            operation_id = Some(op.id.clone());
        }
    }
    let used: BTreeSet<&str> = operations.iter().map(|o| o.path.as_str()).collect();
    if operation_id.is_none() && used.contains(wanted.as_str()) {
        diags.push(
            Diagnostic::new(
                codes::DISCOVERY_PATH_WITHOUT_GET,
                format!("the discovery path `{wanted}` is an SDD path without a GET operation"),
                Location::pointer(sdd, format!("/paths/{}", escape_pointer_token(&wanted))),
            )
            .with_help("add a GET operation, or choose another discovery path in the model"),
        );
    }
    Some(Discovery {
        path: wanted,
        operation_id,
    })
}

/// Once-per-service reports of conventions applied while lowering.
fn report_conventions(cx: &mut OpLowering<'_>, diags: &mut Diagnostics) {
    let sdd = &cx.loaded.sdd_path;
    let forced: BTreeSet<&String> = cx.fields_forced.iter().collect();
    if let Some(first) = forced.iter().next() {
        diags.push(
            Diagnostic::new(
                codes::FIELDS_FORCED_COMMA_SEPARATED,
                format!(
                    "{} `fields` parameter(s) are declared as exploded arrays (`fields=a&fields=b`); the binding means a comma-separated list, so they are sent and parsed as `fields=a,b`",
                    forced.len()
                ),
                Location::pointer(sdd, *first),
            )
            .with_help("declare `explode: false` on `fields` to silence this, or set `conventions.fields: as-declared` in the model"),
        );
    }
    let links: BTreeSet<&String> = cx.links_seen.iter().collect();
    if let Some(first) = links.iter().next() {
        diags.push(Diagnostic::new(
            codes::LINKS_IGNORED,
            format!(
                "{} response(s) declare OpenAPI `links`; they are documentation only and are not generated (paging uses the `Link` header)",
                links.len()
            ),
            Location::pointer(sdd, *first),
        ));
    }
}

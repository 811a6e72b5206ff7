//! What the generated `server` and `client` modules make of each operation, decided once:
//!
//! - the parsed [`PathTemplate`](crate::ir::PathTemplate) (the router mounts it, the client
//!   fills it, the docs show it) and whether the server can mount it
//!   ([`route_problem`](super::path_template::route_problem));
//! - the success shape ([`SuccessShape`]): per 2xx status the payload, the wrapper member and the
//!   record type, the `<Op>Success` enum and its variants, and what the client returns;
//! - every name the two modules declare: the service trait and client struct, handlers, client
//!   methods and `_stream` methods, success enums and the record member constants.

use std::collections::BTreeMap;

use crate::ir::{
    BodyAlternatives, BodyVariant, HttpMethod, JsonPayload, MediaKind, NextLinkPaging, Operation,
    OperationApi, ParamLocation, Payload, PerCallUrl, RecordArm, RecordEnum, RecordMembers,
    Records, RecordsAccess, Response, ResponseStatus, ServiceApi, Serving, SuccessResponse,
    SuccessShape, TypeDef, TypeDefKind, TypeRef,
};
use crate::lower::bodies::is_vendor_json;
use crate::lower::naming::{NameTable, const_name, type_name};
use crate::lower::path_template::{self, template_of};

/// Names the client struct declares besides one method per operation.
const CLIENT_RESERVED: [&str; 4] = ["new", "with_policy", "from_api", "api"];

/// The model's choices about lists and URLs that [`decide`] applies.
#[derive(Debug, Clone, Copy, Default)]
pub struct Listing {
    /// The `limit-page` paging convention: a GET with a `page` query parameter is a list paged
    /// by `Link: rel="next"` ([`NextLinkPaging`]).
    pub next_link_paging: bool,
    /// The client takes each operation's URL per call ([`PerCallUrl`]).
    pub per_call_urls: bool,
}

/// Decides the server and client shape of every operation of a service named `service` (e.g.
/// `Rostering`) whose model types are `types`, filling each [`Operation::api`].
pub fn decide(
    service: &str,
    operations: &mut [Operation],
    types: &[TypeDef],
    listing: &Listing,
) -> ServiceApi {
    let types: BTreeMap<&str, &TypeDef> = types.iter().map(|t| (t.name.as_str(), t)).collect();
    let trait_name = format!("{}Service", type_name(service));
    let client_name = format!("{}Client", type_name(service));
    let mut server_types = NameTable::new();
    server_types.reserve(&trait_name);
    let mut client_fns = NameTable::new();
    for reserved in CLIENT_RESERVED {
        client_fns.reserve(reserved);
    }
    // Operation names first, so a `<fn>_stream` never takes an operation's own name.
    let client_names: Vec<String> = operations
        .iter()
        .map(|op| client_fns.insert(&op.fn_name))
        .collect();
    let mut members = MemberConsts::default();
    // The body and record enums live in `models` beside the schema types.
    let mut model_names = NameTable::new();
    for name in types.keys() {
        model_names.reserve(name);
    }
    let per_call_urls: Vec<Option<PerCallUrl>> = operations
        .iter()
        .map(|op| listing.per_call_urls.then(|| per_call_url(op, operations)))
        .collect();
    for ((op, client_fn), per_call_url) in
        operations.iter_mut().zip(client_names).zip(per_call_urls)
    {
        if let Some(body) = op.request_body.as_mut() {
            body.alternatives = body_alternatives(&op.type_name, body, &mut model_names);
        }
        let path = template_of(op);
        let problem = path_template::parse(&op.path)
            .map_or_else(Some, |pieces| path_template::route_problem(&pieces));
        let serving = if op.is_discovery {
            Serving::Discovery
        } else if let Some(why) = problem {
            Serving::NotServed(why)
        } else {
            Serving::Handler(format!("handle_{}", op.fn_name.trim_start_matches("r#")))
        };
        let mut success = success_shape(op, &types, &mut members);
        if op.is_collection() && !op.is_discovery {
            several_member_records(&op.type_name, &mut success, &types, &mut model_names);
        }
        if success.responses.len() > 1 && matches!(serving, Serving::Handler(_)) {
            success.enum_name =
                Some(server_types.insert(&type_name(&format!("{}Success", op.type_name))));
        }
        let next_link = if listing.next_link_paging {
            next_link_paging(op, &success, &types)
        } else {
            None
        };
        let streams = (op.is_collection()
            && !op.is_discovery
            && matches!(&success.client_payload, Some(Payload::Json(j)) if j.records.is_some()))
            || next_link.is_some();
        let stream_fn = streams
            .then(|| client_fns.insert(&format!("{}_stream", client_fn.trim_start_matches("r#"))));
        op.api = OperationApi {
            path,
            serving,
            client_fn,
            stream_fn,
            success,
            next_link,
            per_call_url,
        };
    }
    ServiceApi {
        trait_name,
        client_name,
        record_members: members.finish(),
    }
}

/// The enum of a required body with several media types: one variant per media type, named by
/// its kind (`Json`, `Form`, `Text`, `Bytes`) unless two share a kind, then by the media type.
fn body_alternatives(
    op_type_name: &str,
    body: &crate::ir::RequestBody,
    model_names: &mut NameTable,
) -> Option<BodyAlternatives> {
    if !body.required || body.contents.len() < 2 {
        return None;
    }
    let kind_name = |kind: MediaKind| match kind {
        MediaKind::Json => "Json",
        MediaKind::Form => "Form",
        MediaKind::Text => "Text",
        MediaKind::Binary => "Bytes",
    };
    let mut variant_names = NameTable::new();
    let variants = body
        .contents
        .iter()
        .map(|content| {
            let shared = body
                .contents
                .iter()
                .filter(|c| c.kind == content.kind)
                .count()
                > 1;
            let name = if shared {
                type_name(&content.media_type)
            } else {
                kind_name(content.kind).to_owned()
            };
            BodyVariant {
                name: variant_names.insert(&name),
                content: content.clone(),
            }
        })
        .collect();
    Some(BodyAlternatives {
        enum_name: model_names.insert(&type_name(&format!("{op_type_name}Body"))),
        variants,
    })
}

/// A GET with a `page` query parameter (and no `offset`) whose one success response is JSON
/// holding records: the array itself, or the one array member of a struct (NRPS
/// `MembershipContainer`: `members` beside `id` and `context`).
fn next_link_paging(
    op: &Operation,
    success: &SuccessShape,
    types: &BTreeMap<&str, &TypeDef>,
) -> Option<NextLinkPaging> {
    let has = |name: &str| {
        op.params
            .iter()
            .any(|p| p.location == ParamLocation::Query && p.name == name)
    };
    if op.method != HttpMethod::Get || op.is_discovery || !has("page") || has("offset") {
        return None;
    }
    let ty = success.collection_page()?.ty.as_ref()?;
    let records = records_of(types, ty).or_else(|| {
        let def = struct_of(types, ty)?;
        let TypeDefKind::Struct(s) = &def.kind else {
            return None;
        };
        let mut arrays = s
            .fields
            .iter()
            .filter(|f| matches!(unwrap_optional(&f.ty), TypeRef::Vec(_)));
        let (Some(f), None) = (arrays.next(), arrays.next()) else {
            return None;
        };
        let member = f.rust_name.clone();
        match (&f.ty, f.required) {
            (TypeRef::Vec(inner), true) => Some(Records {
                record: inner.as_ref().clone(),
                access: RecordsAccess::Member(member),
            }),
            (TypeRef::Vec(inner), false) => Some(Records {
                record: inner.as_ref().clone(),
                access: RecordsAccess::OptionalMember(member),
            }),
            _ => None,
        }
    })?;
    Some(NextLinkPaging {
        page_param: "page".to_owned(),
        records,
    })
}

/// The URL `op`'s client method takes (see [`PerCallUrl`]): the shortest operation path of the
/// service that `op`'s path starts with and continues with literal segments only (AGS: the
/// line item's path for `…/{lineItemId}/results`; a path ending in a parameter is its own).
fn per_call_url(op: &Operation, all: &[Operation]) -> PerCallUrl {
    let segments = |path: &str| -> Vec<String> {
        path.split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let own = segments(&op.path);
    let is_literal = |s: &String| !s.contains('{');
    let resource_len = all
        .iter()
        .map(|other| segments(&other.path))
        .filter(|other| {
            other.len() <= own.len()
                && own.starts_with(other)
                && own[other.len()..].iter().all(is_literal)
        })
        .map(|other| other.len())
        .min()
        .unwrap_or(own.len());
    let suffix: String = own[resource_len..]
        .iter()
        .map(|s| format!("/{s}"))
        .collect();
    let mut arg = "url".to_owned();
    while op.params.iter().any(|p| p.rust_name == arg) {
        arg.insert_str(0, "resource_");
    }
    PerCallUrl {
        resource_path: format!("/{}", own[..resource_len].join("/")),
        suffix,
        arg,
    }
}

/// A collection page that is a struct of two or more array members and nothing else (OB 3.0
/// `GetOpenBadgeCredentialsResponse`: `credential` and `compactJwsString`) streams an enum of
/// their records, `<Op>Record`. Paging is unchanged (`X-Total-Count`, `Link`, limit/offset count
/// the records of all members together), so one stream over both keeps the page arithmetic
/// right where two streams would each see short pages.
fn several_member_records(
    op_type_name: &str,
    success: &mut SuccessShape,
    types: &BTreeMap<&str, &TypeDef>,
    model_names: &mut NameTable,
) {
    let Some(Payload::Json(page)) = &success.client_payload else {
        return;
    };
    if page.records.is_some() {
        return;
    }
    let Some(TypeDefKind::Struct(s)) = page
        .ty
        .as_ref()
        .and_then(|t| struct_of(types, t))
        .map(|d| &d.kind)
    else {
        return;
    };
    if s.fields.len() < 2 || s.extensions_field.is_some() {
        return;
    }
    let mut variant_names = NameTable::new();
    let mut arms = Vec::with_capacity(s.fields.len());
    for f in &s.fields {
        let (record, optional, nullable) = match (&f.ty, f.required) {
            (TypeRef::Vec(inner), required) => (inner.as_ref(), !required, false),
            (TypeRef::Nullable(n), required) => match n.as_ref() {
                TypeRef::Vec(inner) => (inner.as_ref(), true, !required),
                _ => return,
            },
            _ => return,
        };
        arms.push(RecordArm {
            variant: variant_names.insert(&type_name(&f.wire_name)),
            member: f.rust_name.clone(),
            wire_name: f.wire_name.clone(),
            record: record.clone(),
            optional,
            nullable,
        });
    }
    let enum_name = model_names.insert(&type_name(&format!("{op_type_name}Record")));
    let records = Records {
        record: TypeRef::Named(enum_name.clone()),
        access: RecordsAccess::Members(RecordEnum { enum_name, arms }),
    };
    for payload in success
        .responses
        .iter_mut()
        .map(|r| &mut r.payload)
        .chain(success.client_payload.as_mut())
    {
        if let Payload::Json(json) = payload {
            json.records = Some(records.clone());
        }
    }
}

/// Member-name constants, one per record type.
#[derive(Default)]
struct MemberConsts {
    by_type: BTreeMap<String, RecordMembers>,
    names: NameTable,
}

impl MemberConsts {
    fn for_record(&mut self, def: &TypeDef) -> Option<String> {
        let TypeDefKind::Struct(s) = &def.kind else {
            return None;
        };
        if let Some(known) = self.by_type.get(&def.name) {
            return Some(known.const_name.clone());
        }
        let const_name = self
            .names
            .insert(&const_name(&format!("{}Members", def.name)));
        self.by_type.insert(
            def.name.clone(),
            RecordMembers {
                const_name: const_name.clone(),
                members: s.fields.iter().map(|f| f.wire_name.clone()).collect(),
            },
        );
        Some(const_name)
    }

    fn finish(self) -> Vec<RecordMembers> {
        let mut out: Vec<RecordMembers> = self.by_type.into_values().collect();
        out.sort_by(|a, b| a.const_name.cmp(&b.const_name));
        out
    }
}

fn success_status(status: ResponseStatus) -> Option<u16> {
    match status {
        ResponseStatus::Code(c) if (200..300).contains(&c) => Some(c),
        ResponseStatus::Range(2) => Some(200),
        _ => None,
    }
}

fn success_shape(
    op: &Operation,
    types: &BTreeMap<&str, &TypeDef>,
    members: &mut MemberConsts,
) -> SuccessShape {
    let mut responses: Vec<SuccessResponse> = Vec::new();
    for response in &op.responses {
        let Some(status) = success_status(response.status) else {
            continue;
        };
        if responses.iter().any(|s| s.status == status) {
            continue;
        }
        responses.push(SuccessResponse {
            status,
            variant: format!("Status{status}"),
            payload: payload(response, types, members),
        });
    }
    let (client_payload, client_loose) = if op.is_discovery {
        (Some(any_json()), None)
    } else {
        match responses.as_slice() {
            [] => (None, None),
            [first, rest @ ..] => {
                let key = client_key(&first.payload);
                if rest.iter().all(|r| client_key(&r.payload) == key) {
                    (Some(first.payload.clone()), None)
                } else {
                    (
                        None,
                        Some(format!(
                            "the client method `{}` returns `serde_json::Value`: the 2xx responses of `{}` carry different payloads",
                            op.fn_name, op.id
                        )),
                    )
                }
            }
        }
    };
    SuccessShape {
        responses,
        enum_name: None,
        client_payload,
        client_loose,
    }
}

fn any_json() -> Payload {
    Payload::Json(any_json_payload())
}

fn any_json_payload() -> JsonPayload {
    JsonPayload {
        ty: None,
        wrapper: None,
        members: None,
        records: None,
        media_type: None,
    }
}

/// What the client makes of a payload: two responses with the same key decode the same way.
#[derive(PartialEq)]
enum ClientKey<'a> {
    Json(Option<&'a TypeRef>),
    Text,
    Bytes,
    Empty,
}

fn client_key(payload: &Payload) -> ClientKey<'_> {
    match payload {
        Payload::Json(json) => ClientKey::Json(json.ty.as_ref()),
        Payload::Raw {
            kind: MediaKind::Form | MediaKind::Json,
            ..
        } => ClientKey::Json(None),
        Payload::Raw {
            kind: MediaKind::Text,
            ..
        } => ClientKey::Text,
        Payload::Raw {
            kind: MediaKind::Binary,
            ..
        } => ClientKey::Bytes,
        Payload::Empty => ClientKey::Empty,
    }
}

/// The payload of a response: its JSON content if any (contents are sorted JSON first), else
/// its first media type, else nothing.
fn payload(
    response: &Response,
    types: &BTreeMap<&str, &TypeDef>,
    members: &mut MemberConsts,
) -> Payload {
    let Some(content) = response.contents.first() else {
        return Payload::Empty;
    };
    if content.kind != MediaKind::Json {
        return Payload::Raw {
            media_type: content.media_type.clone(),
            kind: content.kind,
        };
    }
    let ty = content.ty.clone().filter(|t| *t != TypeRef::Any);
    let Some(t) = &ty else {
        return Payload::Json(JsonPayload {
            media_type: is_vendor_json(&content.media_type).then(|| content.media_type.clone()),
            ..any_json_payload()
        });
    };
    let (wrapper, record) = wrapper_of(types, t);
    Payload::Json(JsonPayload {
        wrapper,
        members: record.and_then(|def| members.for_record(def)),
        records: records_of(types, t),
        ty,
        media_type: is_vendor_json(&content.media_type).then(|| content.media_type.clone()),
    })
}

fn struct_of<'a>(types: &BTreeMap<&str, &'a TypeDef>, t: &TypeRef) -> Option<&'a TypeDef> {
    match t {
        TypeRef::Named(n) => types.get(n.as_str()).copied(),
        TypeRef::Boxed(inner) | TypeRef::Nullable(inner) => struct_of(types, inner),
        _ => None,
    }
}

fn unwrap_optional(t: &TypeRef) -> &TypeRef {
    match t {
        TypeRef::Boxed(inner) | TypeRef::Nullable(inner) => unwrap_optional(inner),
        other => other,
    }
}

/// The wrapper member and the record type of a JSON success type: a struct with one member
/// holding an array of record structs (collections) or one record struct (single objects);
/// otherwise no wrapper and the type itself is the record.
fn wrapper_of<'a>(
    types: &BTreeMap<&str, &'a TypeDef>,
    t: &TypeRef,
) -> (Option<String>, Option<&'a TypeDef>) {
    let Some(def) = struct_of(types, t) else {
        return (None, None);
    };
    if let TypeDefKind::Struct(s) = &def.kind
        && let [only] = s.fields.as_slice()
    {
        let record = match unwrap_optional(&only.ty) {
            TypeRef::Vec(inner) => struct_of(types, inner),
            other => struct_of(types, other),
        };
        if let Some(record) = record
            && matches!(record.kind, TypeDefKind::Struct(_))
        {
            return (Some(only.wire_name.clone()), Some(record));
        }
    }
    (None, Some(def))
}

/// Where the records of a collection page of type `t` are: the array itself, a newtype around
/// it, or the one array member of a wrapper struct.
fn records_of(types: &BTreeMap<&str, &TypeDef>, t: &TypeRef) -> Option<Records> {
    let records = |inner: &TypeRef, access| {
        Some(Records {
            record: inner.clone(),
            access,
        })
    };
    match t {
        TypeRef::Vec(inner) => records(inner, RecordsAccess::Whole),
        TypeRef::Named(name) => match &types.get(name.as_str())?.kind {
            TypeDefKind::Struct(s) => {
                let [f] = s.fields.as_slice() else {
                    return None;
                };
                let member = f.rust_name.clone();
                match (&f.ty, f.required) {
                    (TypeRef::Vec(inner), true) => records(inner, RecordsAccess::Member(member)),
                    (TypeRef::Vec(inner), false) => {
                        records(inner, RecordsAccess::OptionalMember(member))
                    }
                    (TypeRef::Nullable(n), required) => match n.as_ref() {
                        TypeRef::Vec(inner) if required => {
                            records(inner, RecordsAccess::OptionalMember(member))
                        }
                        TypeRef::Vec(inner) => {
                            records(inner, RecordsAccess::OptionalNullableMember(member))
                        }
                        _ => None,
                    },
                    _ => None,
                }
            }
            TypeDefKind::Newtype(TypeRef::Vec(inner)) => records(inner, RecordsAccess::Newtype),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::ir::{Payload, RecordsAccess, Service, Serving};
    use crate::pipeline::{Input, run};

    fn oneroster() -> Service {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../spec-models/oneroster_v1p2_rostering/model.yaml");
        let out = run(&[Input::Model(path)]);
        assert!(out.is_ok(), "{}", out.diagnostics);
        out.services.into_iter().next().expect("one service")
    }

    #[test]
    fn names_and_success_shapes_are_decided_once() {
        let svc = oneroster();
        assert_eq!(svc.api.trait_name, "RosteringService");
        assert_eq!(svc.api.client_name, "RosteringClient");
        let op = |id: &str| {
            svc.operations
                .iter()
                .find(|o| o.id == id)
                .expect("operation")
        };

        let list = op("getAllUsers");
        assert_eq!(
            list.api.serving,
            Serving::Handler("handle_get_all_users".into())
        );
        assert_eq!(list.api.client_fn, "get_all_users");
        assert_eq!(list.api.stream_fn.as_deref(), Some("get_all_users_stream"));
        let page = list.api.success.collection_page().expect("one JSON page");
        assert_eq!(page.wrapper.as_deref(), Some("users"));
        assert_eq!(page.members.as_deref(), Some("USER_D_TYPE_MEMBERS"));
        let records = page.records.as_ref().expect("records");
        assert_eq!(
            records.access,
            RecordsAccess::OptionalMember("users".into())
        );

        let one = op("getUser");
        assert_eq!(one.api.path.text(), "/users/{sourcedId}");
        match &one.api.success.responses[0].payload {
            Payload::Json(json) => {
                assert_eq!(json.wrapper.as_deref(), Some("user"));
                assert_eq!(json.members.as_deref(), Some("USER_D_TYPE_MEMBERS"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            one.api.success.client_payload,
            Some(one.api.success.responses[0].payload.clone())
        );
        assert_eq!(one.api.stream_fn, None);

        let users = svc
            .api
            .record_members
            .iter()
            .find(|m| m.const_name == "USER_D_TYPE_MEMBERS")
            .expect("one constant per record type");
        assert!(users.members.iter().any(|m| m == "givenName"));

        let discovery = svc
            .operations
            .iter()
            .find(|o| o.is_discovery)
            .expect("discovery");
        assert_eq!(discovery.api.serving, Serving::Discovery);
        assert!(
            matches!(discovery.api.success.client_payload, Some(Payload::Json(ref j)) if j.ty.is_none())
        );
    }
}

//! The `server` module of a generated service: the `<Service>Service` trait, its success enums,
//! one handler per served operation and `router(svc)`.
//!
//! Lowering decided everything (names, path templates, success shapes, which operations are
//! served, see [`crate::ir::OperationApi`]); this module turns the IR into typed views and
//! `templates/service/server.rs.askama` shows the code:
//!
//! - [`trait_def`]: the trait methods (`ctx`, path parameters, the collection `query`, other
//!   parameters, `body`) and the `<Op>Success` enums;
//! - [`handlers`]: per operation, the `#[ims_scope(...)]` handler reading its parameters through
//!   the `operations` catalogue entry and answering through `ims_runtime::server`;
//! - the router: one `serve(&operations::X, &svc, handle_x)` per handler, so method, path and
//!   protection come from the catalogue.

pub mod handlers;
pub mod trait_def;

use askama::Template;

use crate::diagnostics::{Diagnostic, Location, codes};
use crate::emit::doc::{DocBuilder, code_span};
use crate::emit::literal::str_slice_lit;
use crate::emit::operation_docs::{heading, service_label};
use crate::ir::{Operation, Service, Serving};

use handlers::{HandlerView, handler_view};
use trait_def::{EnumView, MethodView, enum_view, method_view};

/// One record member constant.
struct MembersView {
    doc: String,
    name: String,
    list: String,
}

/// One `serve(...)` call of `router`.
struct RouteView {
    op_const: String,
    handler: String,
}

#[derive(Template)]
#[template(path = "service/server.rs.askama", escape = "none")]
struct ServerTemplate {
    module_doc: String,
    trait_doc: String,
    trait_name: String,
    enums: Vec<EnumView>,
    methods: Vec<MethodView>,
    members: Vec<MembersView>,
    handlers: Vec<HandlerView>,
    router_doc: String,
    routes: Vec<RouteView>,
}

/// Operations the server leaves out, with the reason (in IR order).
pub fn skipped_operations(service: &Service) -> Vec<(&Operation, &str)> {
    service
        .operations
        .iter()
        .filter_map(|op| match &op.api.serving {
            Serving::NotServed(why) => Some((op, why.as_str())),
            _ => None,
        })
        .collect()
}

/// Renders `pub mod server { … }` (unformatted).
pub fn render_server(service: &Service) -> Result<String, Diagnostic> {
    let trait_name = &service.api.trait_name;
    let mut methods = Vec::new();
    let mut handlers = Vec::new();
    let mut enums = Vec::new();
    let mut routes = Vec::new();
    for op in &service.operations {
        let Serving::Handler(handler) = &op.api.serving else {
            continue;
        };
        methods.push(method_view(service, op));
        enums.extend(enum_view(op));
        handlers.push(handler_view(service, op, handler)?);
        routes.push(RouteView {
            op_const: op.const_name.clone(),
            handler: handler.clone(),
        });
    }
    // Only the record member lists some handler names (an unused constant would be a warning).
    let members = service
        .api
        .record_members
        .iter()
        .filter(|m| handlers.iter().any(|h| h.names_members(&m.const_name)))
        .map(|m| MembersView {
            doc: DocBuilder::new()
                .trusted("The JSON members of a record: the fields `filter` may name and `fields` selects.")
                .attrs(),
            name: m.const_name.clone(),
            list: str_slice_lit(m.members.iter().map(String::as_str)),
        })
        .collect();
    let names = service_label(service);
    let mut module_doc = DocBuilder::new().trusted(format!(
        "The server side of {names}: implement {} and mount `router(svc)`.",
        code_span(trait_name)
    ));
    for (op, why) in skipped_operations(service) {
        module_doc = module_doc.trusted(format!("Not served: {}: {why}.", heading(op)));
    }
    let template = ServerTemplate {
        module_doc: module_doc.attrs(),
        trait_doc: DocBuilder::new()
            .trusted(format!(
                "The operations of {names}, one method per operation (the discovery endpoint is served by the router). Errors are `imsx_StatusInfo` responses."
            ))
            .trusted("Every method has a default body answering 501 with `imsx_codeMajor` `unsupported` and a description naming the operation (`ImsError::unsupported`): implement the operations you serve and leave the others out (an `async fn` in the impl is fine). The router still mounts every operation and the discovery document lists them all unless you say otherwise with `ServiceRouter::not_implemented` or `ServiceRouter::implemented_only`.")
            .prose(Some(&service.title))
            .attrs(),
        trait_name: trait_name.clone(),
        enums,
        methods,
        members,
        handlers,
        router_doc: DocBuilder::new()
            .trusted("Mounts every operation under `BASE_PATH` as its `operations` entry describes; protected operations check their scopes with `#[ims_scope]`. Add authentication with `with_auth` and the discovery endpoint with `with_discovery`, then call `into_router`.")
            .attrs(),
        routes,
    };
    template.render().map_err(|e| {
        Diagnostic::new(
            codes::MODULE_TEMPLATE_FAILED,
            format!("internal error: rendering the server module template failed: {e}"),
            Location::None,
        )
        .with_help("this is a bug in ims-codegen's templates; please report it")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{Input, run};

    fn service(model: &str) -> Service {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(model);
        let out = run(&[Input::Model(path)]);
        assert!(out.is_ok(), "{}", out.diagnostics);
        out.services.into_iter().next().expect("one service")
    }

    #[test]
    fn oneroster_server_has_one_scoped_handler_per_operation_and_no_discovery() {
        let svc = service("spec-models/oneroster_v1p2_rostering/model.yaml");
        let src = render_server(&svc).expect("renders");
        let file: syn::File = syn::parse_str(&src).expect("parses");
        assert_eq!(file.items.len(), 1);
        let served = svc.operations.iter().filter(|o| !o.is_discovery).count();
        assert_eq!(src.matches("async fn handle_").count(), served);
        assert_eq!(src.matches(".serve(").count(), served);
        assert_eq!(src.matches("#[rt::ims_scope(").count(), served);
        assert!(src.contains("pub trait RosteringService"));
        assert!(src.contains("rt::Listed<super::models::UserSetDType>"));
        assert!(
            src.contains(
                r#"rt::server::collection(&input, rt::Some("users"), USER_D_TYPE_MEMBERS,"#
            )
        );
        assert!(src.contains(r#"rt::Some("user")"#));
        assert!(src.contains(r#"input.required(op, "userSourcedId")?"#));
        assert!(src.contains(".serve(&ops::GET_ALL_USERS, &svc, handle_get_all_users::<S>)"));
        assert!(
            !src.contains("\"/discovery/"),
            "the discovery operation is not a handler"
        );
        assert_eq!(render_server(&svc).expect("renders"), src, "deterministic");
    }

    #[test]
    fn multi_scope_groups_become_all_and_empty_groups_need_a_principal() {
        let mut svc = service("tests/fixtures/operations/scopes_any_of/model.yaml");
        let uris: Vec<String> = svc.scopes.iter().map(|s| s.uri.clone()).collect();
        assert!(uris.len() >= 2);
        let first = svc
            .operations
            .iter()
            .position(|o| matches!(o.api.serving, Serving::Handler(_)))
            .expect("an operation");
        svc.operations[first].scopes.any_of = vec![vec![uris[0].clone(), uris[1].clone()]];
        let src = render_server(&svc).expect("renders");
        let c0 = &svc.scopes[0].const_name;
        let c1 = &svc.scopes[1].const_name;
        assert!(
            src.contains(&format!("all(super::scopes::{c0}, super::scopes::{c1})")),
            "{src}"
        );
        svc.operations[first].scopes.any_of = vec![Vec::new()];
        let src = render_server(&svc).expect("renders");
        assert!(src.contains("_principal: rt::Principal"), "{src}");
        assert!(syn::parse_str::<syn::File>(&src).is_ok());
    }

    #[test]
    fn a_wire_name_in_two_locations_is_looked_up_with_its_location() {
        let mut svc = service("spec-models/oneroster_v1p2_rostering/model.yaml");
        let op = svc
            .operations
            .iter_mut()
            .find(|o| o.id == "getUser")
            .expect("getUser");
        let mut header = op.params[0].clone();
        header.location = crate::ir::ParamLocation::Header;
        header.rust_name = "sourced_id2".to_owned();
        header.required = false;
        op.params.push(header);
        let server = render_server(&svc).expect("renders");
        assert!(
            server.contains(
                r#"input.required_at(op, rt::catalogue::ParamLocation::Path, "sourcedId")?"#
            ),
            "{server}"
        );
        assert!(server.contains(
            r#"input.optional_at(op, rt::catalogue::ParamLocation::Header, "sourcedId")?"#
        ));
        let client = crate::emit::client::render_client(&svc).expect("renders");
        assert!(
            client.contains(
                r#".arg_at(rt::catalogue::ParamLocation::Header, "sourcedId", &sourced_id2)"#
            ),
            "{client}"
        );
    }
}

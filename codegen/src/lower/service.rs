//! One loaded spec → one [`Service`]: the order in which the lowering rooms run.
//!
//! Diagnostic codes of operation, security and scope lowering (types use their own range):
//!
//! | code | severity | what |
//! |---|---|---|
//! | IMS0401 | error | parameter declared twice in one list |
//! | IMS0402 | warning | `Accept`/`Content-Type`/`Authorization` header parameter ignored |
//! | IMS0403 / IMS0404 | error | path template variable without parameter / path parameter not in template |
//! | IMS0405 | error | parameter encoding not supported (object, deepObject, matrix, label, non-JSON content) |
//! | IMS0406 / IMS0407 | warning | `allowReserved` / `allowEmptyValue` not supported |
//! | IMS0408 | warning | array style on a scalar parameter |
//! | IMS0409 | warning | path parameter not marked required (treated as required) |
//! | IMS0420 / IMS0421 | warning | multipart passed as bytes / `encoding` ignored |
//! | IMS0422 | error | request body without media type |
//! | IMS0430 | error | response key is not an HTTP status |
//! | IMS0431 | warning | operation declares no response |
//! | IMS0432 | warning | `Content-Type` response header definition ignored |
//! | IMS0433 | error | response header `content` with other than one media type |
//! | IMS0440 / IMS0441 | error | path item `$ref` / invalid path template |
//! | IMS0442 | error | paths differ only in variable names |
//! | IMS0443 | error | duplicate `operationId` |
//! | IMS0444 | note | `operationId` derived from method and path |
//! | IMS0445 / IMS0446 | warning | callbacks / per-path or per-operation servers ignored |
//! | IMS0447 | warning | Rust name of an operation taken; suffixed |
//! | IMS0448 | warning | model discovery path starts with the base path |
//! | IMS0449 | warning | discovery secured in the SDD; served public |
//! | IMS0450 / IMS0451 | warning | no servers and no model base path / undefined server variable |
//! | IMS0452 | error | discovery path has no GET operation |
//! | IMS0460 | warning | `fields` forced to comma-separated (once per service) |
//! | IMS0461 | note | OpenAPI `links` not generated (once per service) |
//! | IMS0470 | error | SDD cannot be serialized as JSON |
//! | IMS0501 | warning | model pattern needs a flow the SDD lacks |
//! | IMS0502 | warning | `x-imssf-registrationUrl` not a string |
//! | IMS0503 / IMS0504 / IMS0505 | warning | implicit/password flow, no flow, conflicting refresh URLs |
//! | IMS0510 | error | requirement expands to too many alternatives |
//! | IMS0511 | warning | `{}` requirement: operation generated public |
//! | IMS0512 | error | unknown security scheme in a requirement |
//! | IMS0513 | warning | scope not declared by the scheme's flows |
//! | IMS0514 | warning | scopes listed for a non-OAuth scheme |
//! | IMS0515 | note | same-object scopes made alternatives (once per service) |
//! | IMS0520 / IMS0521 | warning | model-only scope / scope implies itself |
//! | IMS0522 | error | unknown or ambiguous `implies` entry |
//! | IMS0601–IMS0604 | error | internal: generated module does not parse, has inner attributes, template failed, scope missing |

use crate::diagnostics::{Diagnostic, Diagnostics, Location};
use crate::ir::{Conventions, ErrorConvention, PagingConvention, Service};
use crate::load::LoadedSpec;
use crate::load::resolve::Resolver;
use crate::lower::base_path::base_path;
use crate::lower::operations::{OpLowering, lower_operations};
use crate::lower::requirements::RequirementLowering;
use crate::lower::scopes::build_catalogue;
use crate::lower::security::lower_security_profile;
use crate::lower::types::TypeLowerer;
use crate::spec_model::{ErrorsModel, FieldsModel, PagingModel};

/// Lowers a loaded spec to the IR. Returns `None` exactly when this call pushed an error.
pub fn lower_service(loaded: &LoadedSpec, diags: &mut Diagnostics) -> Option<Service> {
    let errors_before = diags.error_count();
    let resolver = Resolver::new(&loaded.openapi, &loaded.sdd_path);

    let mut types = TypeLowerer::new(resolver);
    types.lower_components(diags);
    let security = lower_security_profile(loaded, resolver, diags);
    let base_path = base_path(loaded, diags);

    let mut requirements = RequirementLowering::new(loaded, &security);
    let mut cx = OpLowering {
        loaded,
        resolver,
        types,
        fields_forced: Vec::new(),
        links_seen: Vec::new(),
    };
    let lowered = lower_operations(&mut cx, &mut requirements, &base_path, diags);
    let used = requirements.finish(diags);
    let scopes = build_catalogue(loaded, &security, &used, diags);
    let types = cx.types.finish();
    let mut operations = lowered.operations;
    let api = crate::lower::api::decide(&loaded.model.service, &mut operations, &types);

    let sdd_json = match serde_json::to_string(&loaded.sdd) {
        Ok(json) => json,
        Err(e) => {
            diags.push(Diagnostic::error(
                "IMS0470",
                format!("the SDD cannot be serialized as JSON for the discovery endpoint: {e}"),
                Location::file(&loaded.sdd_path),
            ));
            String::new()
        }
    };
    let model = &loaded.model;
    let service = Service {
        module: model.module.clone(),
        spec: model.spec.clone(),
        service: model.service.clone(),
        version: model.version.clone(),
        title: loaded.openapi.info.title.clone(),
        description: loaded.openapi.info.description.clone(),
        base_path,
        sdd_json,
        sdd_sha256: loaded.sdd_sha256.clone(),
        sdd_file_name: loaded
            .sdd_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        security,
        scopes,
        types,
        operations,
        discovery: lowered.discovery,
        conventions: Conventions {
            errors: match model.conventions.errors {
                ErrorsModel::Imsx => ErrorConvention::Imsx,
                ErrorsModel::Plain => ErrorConvention::Plain,
            },
            paging: match model.conventions.paging {
                PagingModel::LimitOffset => PagingConvention::LimitOffset,
                PagingModel::LimitPage => PagingConvention::LimitPage,
                PagingModel::None => PagingConvention::None,
            },
            fields_comma_separated: model.conventions.fields == FieldsModel::CommaSeparated,
        },
        api,
    };
    (diags.error_count() == errors_before).then_some(service)
}

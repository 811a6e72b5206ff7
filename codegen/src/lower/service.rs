//! One loaded spec → one [`Service`]: the order in which the lowering rooms run.
//!
//! The diagnostic codes lowering reports (`IMS03xx`–`IMS05xx`) are in the registry,
//! [`crate::diagnostics::codes`].

use crate::diagnostics::{Diagnostic, Diagnostics, Location, codes};
use crate::ir::{Conventions, ErrorConvention, PagingConvention, Service};
use crate::load::LoadedSpec;
use crate::load::resolve::Resolver;
use crate::lower::base_path::base_path;
use crate::lower::operations::{OpLowering, lower_operations};
use crate::lower::requirements::RequirementLowering;
use crate::lower::scopes::build_catalogue;
use crate::lower::security::lower_security_profile;
use crate::lower::types::TypeLowerer;
use crate::spec_model::{ErrorsModel, FieldsModel, PagingModel, UrlsModel};

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
    let requirements = requirements.finish(diags);
    let scopes = build_catalogue(loaded, &security, &requirements.used, diags);
    let types = cx.types.finish();
    let mut operations = lowered.operations;
    let api = crate::lower::api::decide(
        &loaded.model.service,
        &mut operations,
        &types,
        &crate::lower::api::Listing {
            next_link_paging: loaded.model.conventions.paging == PagingModel::LimitPage,
            per_call_urls: loaded.model.conventions.urls == UrlsModel::PerCall,
        },
    );

    let sdd_json = match serde_json::to_string(&served_sdd(loaded, &requirements.served_security)) {
        Ok(json) => json,
        Err(e) => {
            diags.push(Diagnostic::new(
                codes::SDD_NOT_SERIALIZABLE,
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
            per_call_urls: model.conventions.urls == UrlsModel::PerCall,
        },
        api,
    };
    (diags.error_count() == errors_before).then_some(service)
}

/// The SDD as the discovery endpoint serves it: the loaded document, with the `security` of each
/// operation whose security the model's choice changed (`[]` for one the model made public; the
/// secured alternatives alone for one whose anonymous alternative `{}` the model did not take).
fn served_sdd<'a>(
    loaded: &'a LoadedSpec,
    served_security: &std::collections::BTreeMap<String, serde_json::Value>,
) -> std::borrow::Cow<'a, serde_json::Value> {
    if served_security.is_empty() {
        return std::borrow::Cow::Borrowed(&loaded.sdd);
    }
    let mut sdd = loaded.sdd.clone();
    for (op_pointer, security) in served_security {
        if let Some(serde_json::Value::Object(op)) = sdd.pointer_mut(op_pointer) {
            op.insert("security".to_owned(), security.clone());
        }
    }
    std::borrow::Cow::Owned(sdd)
}

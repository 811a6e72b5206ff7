use axum::Json;
use axum::extract::Path;
use ims_runtime::ims_scope;

mod scopes {
    pub const ROSTER_CORE_READONLY: &str =
        "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly";
    pub const ROSTER_READONLY: &str =
        "https://purl.imsglobal.org/spec/or/v1p2/scope/roster.readonly";
}

#[ims_scope(scopes::ROSTER_CORE_READONLY, scopes::ROSTER_READONLY)]
async fn get_org(Path(id): Path<String>) -> String {
    id
}

#[ims_scope(all(scopes::ROSTER_READONLY, "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-demographics.readonly"))]
pub async fn put_note(Path(id): Path<String>, Json(body): Json<serde_json::Value>) -> String {
    format!("{id}: {body}")
}

fn main() {
    // Both handlers are still axum handlers (body extractor last).
    let _router: axum::Router = axum::Router::new()
        .route("/orgs/{id}", axum::routing::get(get_org))
        .route("/notes/{id}", axum::routing::put(put_note));
}

use ims_runtime::ims_scope;

#[ims_scope("https://purl.imsglobal.org/spec/or/v1p2/scope/roster.readonly")]
fn handler() -> &'static str {
    "axum handlers checked by ims_scope must be async"
}

fn main() {}

use ims_runtime::ims_scope;

#[ims_scope("roster.readonly", "https://purl.imsglobal.org/spec/or/v1p2/scope/roster readonly")]
async fn handler() -> &'static str {
    "scopes are absolute URIs without spaces"
}

fn main() {}

use ims_runtime::ims_scope;

const CORE: &str = "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly";

#[ims_scope(
    "https://purl.imsglobal.org/spec/or/v1p2/scope/roster.readonly",
    "https://purl.imsglobal.org/spec/or/v1p2/scope/roster.readonly",
    all(CORE, CORE),
)]
async fn handler() -> &'static str {
    "each scope once"
}

fn main() {}

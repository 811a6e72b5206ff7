use ims_runtime::ims_scope;

#[ims_scope(42, any("https://purl.imsglobal.org/spec/or/v1p2/scope/roster.readonly"), all(all("https://a.example/s")), all())]
async fn handler() -> &'static str {
    "only literals, const paths and all(...)"
}

fn main() {}

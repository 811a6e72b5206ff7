use ims_runtime::ims_scope;

#[ims_scope("https://purl.imsglobal.org/spec/or/v1p2/scope/roster.readonly")]
struct NotAHandler;

fn main() {}

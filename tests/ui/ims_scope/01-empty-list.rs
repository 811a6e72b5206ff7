use ims_runtime::ims_scope;

#[ims_scope()]
async fn handler() -> &'static str {
    "unreachable without a scope list"
}

fn main() {}

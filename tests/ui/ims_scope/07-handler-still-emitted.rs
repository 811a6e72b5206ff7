// The handler is re-emitted despite the macro error, so callers of it still type-check and the
// only error reported is the macro's own.
use ims_runtime::ims_scope;

#[ims_scope()]
async fn handler() -> u32 {
    7
}

async fn caller() -> u32 {
    handler().await + 1
}

fn main() {
    let _ = caller;
}

::core::compile_error! {
    "expected a scope string literal (\"https://…/scope/x\"), a path to a scope constant (scopes::X), or all(...) of those"
}
::core::compile_error! {
    "scope `roster.readonly` is not an absolute URI; IMS scopes look like `https://purl.imsglobal.org/spec/or/v1p2/scope/roster.readonly`"
}
::core::compile_error! {
    "#[ims_scope] goes on an `async fn` axum handler; add `async`"
}
fn not_async() -> u32 {
    1
}

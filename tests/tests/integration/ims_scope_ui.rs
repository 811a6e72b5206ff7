//! Compile-time behaviour of `#[ims_scope]`: every misuse is a precise, span-located error
//! (checked-in `.stderr` files), and correct uses compile into axum handlers.
//!
//! Bless changed diagnostics with `TRYBUILD=overwrite cargo test -p ims-tests --test integration ims_scope_ui`.

#[test]
fn ims_scope_misuse_is_a_span_located_compile_error() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("ui/ims_scope/0*.rs");
}

#[test]
fn ims_scope_on_axum_handlers_compiles() {
    let cases = trybuild::TestCases::new();
    cases.pass("ui/ims_scope/1*.rs");
}

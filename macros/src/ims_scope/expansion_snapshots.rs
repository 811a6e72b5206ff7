//! Expansion snapshots: what `#[ims_scope]` turns a handler into, checked in under
//! `macros/tests/expand/`. Bless with `IMS_BLESS=1 cargo test -p ims-macros`.

use std::path::PathBuf;

use quote::quote;

fn check(name: &str, attr: proc_macro2::TokenStream, item: proc_macro2::TokenStream) {
    let expanded = super::expand(attr, item);
    let file = syn::parse2::<syn::File>(expanded).expect("expansion parses as a file");
    let actual = prettyplease::unparse(&file);
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/expand")
        .join(format!("{name}.expanded.rs"));
    if std::env::var_os("IMS_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().expect("has parent")).expect("mkdir");
        std::fs::write(&path, &actual).expect("write snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "missing snapshot {}: {e}; run with IMS_BLESS=1",
            path.display()
        )
    });
    assert_eq!(
        expected, actual,
        "expansion of {name} changed; review and bless with IMS_BLESS=1"
    );
}

#[test]
fn single_literal_scope_expands_to_leading_scoped_extractor() {
    check(
        "single_literal",
        quote!("https://purl.imsglobal.org/spec/or/v1p2/scope/roster.readonly"),
        quote! {
            pub async fn get_classes(Path(id): Path<String>) -> String { id }
        },
    );
}

#[test]
fn alternatives_and_all_groups_expand_to_any_of_all_of() {
    check(
        "alternatives_and_groups",
        quote!(
            scopes::ROSTER_CORE_READONLY,
            all(scopes::ROSTER_READONLY, "urn:example:audit")
        ),
        quote! {
            async fn put_note(Path(id): Path<String>, Json(body): Json<Note>) -> StatusCode {
                StatusCode::NO_CONTENT
            }
        },
    );
}

#[test]
fn errors_keep_the_handler_and_report_every_problem() {
    check(
        "errors_reemit_handler",
        quote!(42, "roster.readonly"),
        quote! {
            fn not_async() -> u32 { 1 }
        },
    );
}

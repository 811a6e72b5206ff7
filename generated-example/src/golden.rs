//! Golden snapshots: the generator's output for the small fixture SDDs in `tests/fixtures/`,
//! one per construct family (types; `oas31_constructs` is OpenAPI 3.1 input) and per operation
//! family (scopes, parameters, media types, responses, security schemes), each module named after
//! its fixture (`enums` is `tests/fixtures/constructs/enums.yaml`, `scopes_any_of` is
//! `tests/fixtures/operations/scopes_any_of/`).
//! Compiling this module is part of the golden test; `tests/tests/integration/golden.rs` checks
//! the bytes. Regenerate with `scripts/generate-examples.sh`.

/// Golden output for `tests/fixtures/constructs/additional_properties.yaml`.
pub mod additional_properties {
    include!("golden/additional_properties.rs");
}

/// Golden output for `tests/fixtures/constructs/enums.yaml`.
pub mod enums {
    include!("golden/enums.rs");
}

/// Golden output for `tests/fixtures/constructs/extensible_enums.yaml`.
pub mod extensible_enums {
    include!("golden/extensible_enums.rs");
}

/// Golden output for `tests/fixtures/constructs/formats.yaml`.
pub mod formats {
    include!("golden/formats.rs");
}

/// Golden output for `tests/fixtures/operations/constraints/`.
pub mod constraints {
    include!("golden/constraints.rs");
}

/// Golden output for `tests/fixtures/operations/credential_collections/`.
pub mod credential_collections {
    include!("golden/credential_collections.rs");
}

/// Golden output for `tests/fixtures/operations/linked_lists/`.
pub mod linked_lists {
    include!("golden/linked_lists.rs");
}

/// Golden output for `tests/fixtures/operations/media_and_responses/`.
pub mod media_and_responses {
    include!("golden/media_and_responses.rs");
}

/// Golden output for `tests/fixtures/constructs/naming.yaml`.
pub mod naming {
    include!("golden/naming.rs");
}

/// Golden output for `tests/fixtures/constructs/objects.yaml`.
pub mod objects {
    include!("golden/objects.rs");
}

/// Golden output for `tests/fixtures/oas31/oas31_constructs.yaml` (OpenAPI 3.1, read as its 3.0
/// equivalent).
pub mod oas31_constructs {
    include!("golden/oas31_constructs.rs");
}

/// Golden output for `tests/fixtures/operations/params_and_fields/`.
pub mod params_and_fields {
    include!("golden/params_and_fields.rs");
}

/// Golden output for `tests/fixtures/operations/public_operations/`.
pub mod public_operations {
    include!("golden/public_operations.rs");
}

/// Golden output for `tests/fixtures/constructs/recursion.yaml`.
pub mod recursion {
    include!("golden/recursion.rs");
}

/// Golden output for `tests/fixtures/operations/scopes_any_of/`.
pub mod scopes_any_of {
    include!("golden/scopes_any_of.rs");
}

/// Golden output for `tests/fixtures/operations/security_schemes/`.
pub mod security_schemes {
    include!("golden/security_schemes.rs");
}

/// Golden output for `tests/fixtures/constructs/unions.yaml`.
pub mod unions {
    include!("golden/unions.rs");
}

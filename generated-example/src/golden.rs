//! Golden snapshots: the generator's output for the small fixture SDDs in `tests/fixtures/`,
//! one per construct family (types) and per operation family (scopes, parameters, media types,
//! responses, security schemes). Compiling this module is part of the golden test;
//! `tests/tests/integration/golden.rs` checks the bytes. Regenerate with `scripts/generate-examples.sh`.

/// Golden output for the fixture that generates module `additional_properties_absent_true_false_v1p0`.
pub mod additional_properties_absent_true_false_v1p0 {
    include!("golden/additional_properties_absent_true_false_v1p0.rs");
}

/// Golden output for the fixture that generates module `enums_closed_string_enums_odd_values_booleans_as_strings_v1p0`.
pub mod enums_closed_string_enums_odd_values_booleans_as_strings_v1p0 {
    include!("golden/enums_closed_string_enums_odd_values_booleans_as_strings_v1p0.rs");
}

/// Golden output for the fixture that generates module `extensible_enums_ims_any_of_enum_ext_pattern_v1p0`.
pub mod extensible_enums_ims_any_of_enum_ext_pattern_v1p0 {
    include!("golden/extensible_enums_ims_any_of_enum_ext_pattern_v1p0.rs");
}

/// Golden output for the fixture that generates module `fixture_media`.
pub mod fixture_media {
    include!("golden/fixture_media.rs");
}

/// Golden output for the fixture that generates module `fixture_params`.
pub mod fixture_params {
    include!("golden/fixture_params.rs");
}

/// Golden output for the fixture that generates module `fixture_schemes`.
pub mod fixture_schemes {
    include!("golden/fixture_schemes.rs");
}

/// Golden output for the fixture that generates module `fixture_scopes_any_of`.
pub mod fixture_scopes_any_of {
    include!("golden/fixture_scopes_any_of.rs");
}

/// Golden output for the fixture that generates module `formats_and_nullable_v1p0`.
pub mod formats_and_nullable_v1p0 {
    include!("golden/formats_and_nullable_v1p0.rs");
}

/// Golden output for the fixture that generates module `naming_keywords_collisions_odd_names_v1p0`.
pub mod naming_keywords_collisions_odd_names_v1p0 {
    include!("golden/naming_keywords_collisions_odd_names_v1p0.rs");
}

/// Golden output for the fixture that generates module `objects_required_optional_nested_inline_objects_arrays_v1p0`.
pub mod objects_required_optional_nested_inline_objects_arrays_v1p0 {
    include!("golden/objects_required_optional_nested_inline_objects_arrays_v1p0.rs");
}

/// Golden output for the fixture that generates module `recursion_self_and_mutual_references_v1p0`.
pub mod recursion_self_and_mutual_references_v1p0 {
    include!("golden/recursion_self_and_mutual_references_v1p0.rs");
}

/// Golden output for the fixture that generates module `unions_one_of_any_of_all_of_merge_v1p0`.
pub mod unions_one_of_any_of_all_of_merge_v1p0 {
    include!("golden/unions_one_of_any_of_all_of_merge_v1p0.rs");
}

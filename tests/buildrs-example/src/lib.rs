//! A crate that generates its 1EdTech bindings from `build.rs` (see `build.rs`) and includes them:
//! models, the scope catalogue, a server trait with its router, and a typed client per service.

#![deny(missing_docs)]

/// OneRoster 1.2 Rostering, generated at build time from `spec-models/oneroster_v1p2_rostering`.
pub mod oneroster {
    ims_runtime::include_spec!("oneroster_v1p2_rostering");
}

/// OneRoster 1.1 Resources, generated at build time from `spec-models/oneroster_v1p1_resources`.
pub mod resources {
    ims_runtime::include_spec!("oneroster_v1p1_resources");
}

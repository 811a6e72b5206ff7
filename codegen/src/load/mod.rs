//! Loading: the spec model, the SDD (JSON or YAML), version gate, quirk normalization, `$ref` checks.

pub mod resolve;

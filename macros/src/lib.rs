//! Procedural macros re-exported by `ims-runtime`.

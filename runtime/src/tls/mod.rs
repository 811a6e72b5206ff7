//! The `tls` room (see DESIGN.md).

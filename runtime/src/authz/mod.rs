//! The `authz` room (see DESIGN.md).

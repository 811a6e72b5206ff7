//! The `client` room (see DESIGN.md).

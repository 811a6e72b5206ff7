//! Checked-in output of `ims-codegen` for every bundled spec model.

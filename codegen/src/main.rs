//! The `ims-codegen` command-line interface.

fn main() {
    std::process::exit(0);
}

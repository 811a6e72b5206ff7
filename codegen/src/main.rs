//! The `ims-codegen` command-line interface (see `ims_codegen::cli`).

fn main() -> std::process::ExitCode {
    ims_codegen::cli::main()
}

//! `badges-demo`: the Open Badges 3.0 / CLR 2.0 host and consumer (scenario 2: discovery,
//! dynamic registration, authorization code + PKCE).
//!
//! ```text
//! badges-demo host     --addr 127.0.0.1:8443 --data-dir DIR
//! badges-demo consumer --discovery URL --ca FILE --data-dir DIR2 [--login USER:PASSWORD | --logout]
//! ```
//!
//! Everything lives in `ims_generated_example::badges`, so tests start the same thing in-process.

fn main() -> std::process::ExitCode {
    ims_generated_example::badges::cli::main()
}

//! `oneroster-demo`: the OneRoster 1.2 Rostering demo provider and client.
//!
//! ```text
//! oneroster-demo serve   --addr 127.0.0.1:8443 --data-dir DIR [--database URL] [--public-url URL]
//! oneroster-demo migrate --database URL
//! oneroster-demo client  --data-dir DIR [--addr 127.0.0.1:8443] [--client full|core]
//! ```
//!
//! Everything lives in `ims_generated_example::demo`, so tests start the same thing in-process.

fn main() -> std::process::ExitCode {
    ims_generated_example::demo::cli::main()
}

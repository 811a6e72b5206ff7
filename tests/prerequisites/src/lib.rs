//! What the workspace's tests need outside Rust, found in one place for the three test binaries:
//! the official 1EdTech SDDs (`../shared/ims/real-sdd/`), the Python peers of the interop tests,
//! a PostgreSQL server and, with the feature `browser`, Chromium and its WebDriver ([`browser`]:
//! the real-browser harness of the runtime's and the demo's browser tests).
//!
//! A test that cannot run what it exists to run must FAIL, locally as under CI, with a message that
//! names the fix; it never prints "skipped" and passes. So every `require_*` function panics
//! (at the caller's line) with a [`Missing`] message, and the `locate_*` functions return it for
//! the callers that may carry on without (benchmarks, which say what they left out).
//!
//! `scripts/test.sh` provides all three: it installs the Python peers into `.venv/` and exports
//! [`PYTHON_VAR`], starts a throwaway PostgreSQL cluster and exports [`POSTGRES_URL_VAR`], and says
//! where `../shared` comes from when it is missing.
#![deny(missing_docs)]

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

#[cfg(feature = "browser")]
pub mod browser;

/// The folder of the official 1EdTech SDDs, when it is not `../shared/ims/real-sdd/`.
pub const REAL_SDD_DIR_VAR: &str = "IMS_REAL_SDD_DIR";
/// The Python interpreter the tests run (`scripts/test.sh` sets it to `.venv/bin/python`);
/// `python3` when unset.
pub const PYTHON_VAR: &str = "IMS_PYTHON";
/// The PostgreSQL server of the PostgreSQL tests, e.g. `postgres://postgres@127.0.0.1:5432/postgres`.
pub const POSTGRES_URL_VAR: &str = "IMS_TEST_POSTGRES_URL";

/// A prerequisite that is missing: what, and the command or setting that fixes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    /// What is missing, and where it was looked for.
    pub what: String,
    /// How to provide it.
    pub fix: String,
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "missing test prerequisite: {}\n  fix: {}",
            self.what, self.fix
        )
    }
}

impl std::error::Error for Missing {}

impl Missing {
    /// Fails the running test with this message.
    #[track_caller]
    pub fn fail(&self) -> ! {
        panic!("{self}")
    }
}

/// The workspace root (this crate sits in `<root>/tests/prerequisites`).
pub fn workspace_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    // Canonical so that messages show a plain path; the joined one still works if that fails.
    root.canonicalize().unwrap_or(root)
}

/// Where the official SDDs are looked for when [`REAL_SDD_DIR_VAR`] is unset: the team's shared
/// folder beside the clone.
pub fn default_real_sdd_dir() -> PathBuf {
    let root = workspace_root();
    root.parent()
        .unwrap_or(&root)
        .join("shared")
        .join("ims")
        .join("real-sdd")
}

/// The folder of the official 1EdTech SDDs, or why it is missing.
pub fn locate_real_sdd_dir() -> Result<PathBuf, Missing> {
    let fix_shared = format!(
        "`../shared` is the team's shared folder beside the clone ({}); its `ims/real-sdd/` holds the \
         official 1EdTech OpenAPI files, listed with their provenance in SOURCES.md. Put it there, or \
         set {REAL_SDD_DIR_VAR} to a folder holding those files. `scripts/test.sh` checks for it.",
        default_real_sdd_dir()
            .parent()
            .and_then(Path::parent)
            .unwrap_or(Path::new("../shared"))
            .display()
    );
    match std::env::var_os(REAL_SDD_DIR_VAR) {
        Some(dir) if Path::new(&dir).is_dir() => Ok(PathBuf::from(dir)),
        Some(dir) => Err(Missing {
            what: format!(
                "{REAL_SDD_DIR_VAR}={} is not a folder (it should hold the official 1EdTech SDDs)",
                Path::new(&dir).display()
            ),
            fix: fix_shared,
        }),
        None => {
            let dir = default_real_sdd_dir();
            if dir.is_dir() {
                Ok(dir)
            } else {
                Err(Missing {
                    what: format!(
                        "the official 1EdTech SDDs: {} does not exist",
                        dir.display()
                    ),
                    fix: fix_shared,
                })
            }
        }
    }
}

/// The folder of the official 1EdTech SDDs; fails the test when it is missing.
#[track_caller]
pub fn real_sdd_dir() -> PathBuf {
    match locate_real_sdd_dir() {
        Ok(found) => found,
        // Not a closure: `#[track_caller]` then names the test's line.
        Err(missing) => missing.fail(),
    }
}

/// The Python interpreter to run: [`PYTHON_VAR`], else `python3`.
pub fn python() -> OsString {
    std::env::var_os(PYTHON_VAR).unwrap_or_else(|| "python3".into())
}

/// The Python interpreter, once it has shown it can import every one of `modules`; or why not.
pub fn locate_python_with(modules: &[&str]) -> Result<OsString, Missing> {
    let python = python();
    let import = format!("import {}", modules.join(", "));
    let why = match Command::new(&python).args(["-c", &import]).output() {
        Ok(out) if out.status.success() => return Ok(python),
        Ok(out) => String::from_utf8_lossy(&out.stderr)
            .lines()
            .last()
            .unwrap_or("no error text")
            .to_string(),
        Err(e) => format!("cannot run it: {e}"),
    };
    Err(Missing {
        what: format!(
            "Python with {}: `{} -c '{import}'` failed ({why})",
            modules.join(", "),
            Path::new(&python).display()
        ),
        fix: format!(
            "run the tests with `scripts/test.sh` (it installs the pinned packages of \
             scripts/python-requirements.txt into .venv/ and sets {PYTHON_VAR}), or set {PYTHON_VAR} \
             to an interpreter that has them"
        ),
    })
}

/// The Python interpreter, able to import every one of `modules`; fails the test otherwise.
#[track_caller]
pub fn python_with(modules: &[&str]) -> OsString {
    match locate_python_with(modules) {
        Ok(found) => found,
        // Not a closure: `#[track_caller]` then names the test's line.
        Err(missing) => missing.fail(),
    }
}

/// The URL of the PostgreSQL server for the tests ([`POSTGRES_URL_VAR`]), or why there is none.
pub fn locate_postgres_url() -> Result<String, Missing> {
    match std::env::var(POSTGRES_URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Ok(url),
        _ => Err(Missing {
            what: format!("a PostgreSQL server: {POSTGRES_URL_VAR} is not set"),
            fix: format!(
                "run the tests with `scripts/test.sh` (it starts a throwaway cluster from Debian's \
                 server binaries: `apt-get install postgresql`), or set \
                 {POSTGRES_URL_VAR}=postgres://USER@HOST:PORT/DATABASE"
            ),
        }),
    }
}

/// The URL of the PostgreSQL server for the tests; fails the test when there is none.
#[track_caller]
pub fn postgres_url() -> String {
    match locate_postgres_url() {
        Ok(found) => found,
        // Not a closure: `#[track_caller]` then names the test's line.
        Err(missing) => missing.fail(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_names_what_and_the_fix() {
        let m = Missing {
            what: "a thing".into(),
            fix: "run `make thing`".into(),
        };
        assert_eq!(
            m.to_string(),
            "missing test prerequisite: a thing\n  fix: run `make thing`"
        );
    }
}

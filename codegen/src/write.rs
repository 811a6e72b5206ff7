//! Writing generated files: only when the bytes changed (no mtime churn for build scripts),
//! atomically (temporary file + rename), and a check mode that writes nothing.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::pipeline::GeneratedFile;

/// What happened to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOutcome {
    /// The file did not exist and was created.
    Created,
    /// The file existed with other bytes and was replaced.
    Updated,
    /// The file already had these bytes; it was not touched.
    Unchanged,
}

/// Why a file is out of date (check mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Staleness {
    /// The file does not exist.
    Missing,
    /// The file exists with other bytes.
    Differs,
}

/// An out-of-date file found by [`check_files`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleFile {
    /// The file.
    pub path: PathBuf,
    /// Why.
    pub staleness: Staleness,
}

/// Why writing (or comparing) the output failed.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// An I/O failure on a file or folder.
    #[error("cannot write `{}`: {source}", path.display())]
    Io {
        /// The file (or folder) concerned.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The output folder names something that exists and is not a folder (e.g. `--out` a file).
    #[error(
        "the output folder `{}` is not a directory (something else of that name exists): name a folder, or remove it",
        path.display()
    )]
    NotADirectory {
        /// The output folder asked for.
        path: PathBuf,
    },
}

/// Fails with [`WriteError::NotADirectory`] when `dir` exists and is not a folder; the OS would
/// only say "File exists" (create) or "Not a directory" about a file inside it.
fn ensure_not_a_file(dir: &Path) -> Result<(), WriteError> {
    match std::fs::metadata(dir) {
        Ok(m) if !m.is_dir() => Err(WriteError::NotADirectory {
            path: dir.to_path_buf(),
        }),
        _ => Ok(()),
    }
}

/// Writes `contents` to `path` unless it already holds exactly these bytes.
///
/// The new text goes to a temporary file in the same folder, then is renamed over `path`, so a
/// reader (or an interrupted run) never sees half a file.
pub fn write_if_changed(path: &Path, contents: &[u8]) -> Result<WriteOutcome, WriteError> {
    let err = |source| WriteError::Io {
        path: path.to_path_buf(),
        source,
    };
    let outcome = match std::fs::read(path) {
        Ok(existing) if existing == contents => return Ok(WriteOutcome::Unchanged),
        Ok(_) => WriteOutcome::Updated,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => WriteOutcome::Created,
        Err(e) => return Err(err(e)),
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(err)?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let tmp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(contents)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        // Best effort: do not leave the temporary file behind.
        let _ = std::fs::remove_file(&tmp);
        return Err(err(e));
    }
    tracing::debug!(path = %path.display(), ?outcome, "wrote");
    Ok(outcome)
}

/// Writes every file into `dir` (creating it), each only if changed.
pub fn write_files(
    dir: &Path,
    files: &[GeneratedFile],
) -> Result<Vec<(PathBuf, WriteOutcome)>, WriteError> {
    ensure_not_a_file(dir)?;
    std::fs::create_dir_all(dir).map_err(|source| WriteError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    files
        .iter()
        .map(|f| {
            let path = dir.join(&f.file_name);
            write_if_changed(&path, f.contents.as_bytes()).map(|o| (path, o))
        })
        .collect()
}

/// Reports which files in `dir` are missing or differ from `files`, writing nothing.
pub fn check_files(dir: &Path, files: &[GeneratedFile]) -> Result<Vec<StaleFile>, WriteError> {
    ensure_not_a_file(dir)?;
    let mut stale = Vec::new();
    for f in files {
        let path = dir.join(&f.file_name);
        match std::fs::read(&path) {
            Ok(existing) if existing == f.contents.as_bytes() => {}
            Ok(_) => stale.push(StaleFile {
                path,
                staleness: Staleness::Differs,
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => stale.push(StaleFile {
                path,
                staleness: Staleness::Missing,
            }),
            Err(source) => return Err(WriteError::Io { path, source }),
        }
    }
    Ok(stale)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(contents: &str) -> GeneratedFile {
        GeneratedFile {
            module: "m".into(),
            file_name: "m.rs".into(),
            contents: contents.into(),
        }
    }

    #[test]
    fn unchanged_file_keeps_its_mtime() {
        let dir = tempfile::tempdir().unwrap();
        let out = write_files(dir.path(), &[file("a")]).unwrap();
        assert_eq!(out[0].1, WriteOutcome::Created);
        let path = dir.path().join("m.rs");
        let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(old)
            .unwrap();
        let out = write_files(dir.path(), &[file("a")]).unwrap();
        assert_eq!(out[0].1, WriteOutcome::Unchanged);
        assert_eq!(std::fs::metadata(&path).unwrap().modified().unwrap(), old);
        let out = write_files(dir.path(), &[file("b")]).unwrap();
        assert_eq!(out[0].1, WriteOutcome::Updated);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "b");
    }

    #[test]
    fn no_temporary_files_are_left_behind() {
        let dir = tempfile::tempdir().unwrap();
        write_files(dir.path(), &[file("a")]).unwrap();
        write_files(dir.path(), &[file("b")]).unwrap();
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("m.rs")]);
    }

    #[test]
    fn an_output_folder_that_is_a_file_is_not_a_directory() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.rs");
        std::fs::write(&out, "keep me").unwrap();
        for err in [
            write_files(&out, &[file("a")]).unwrap_err(),
            check_files(&out, &[file("a")]).unwrap_err(),
        ] {
            assert!(
                matches!(&err, WriteError::NotADirectory { path } if *path == out),
                "{err:?}"
            );
            assert_eq!(
                err.to_string(),
                format!(
                    "the output folder `{}` is not a directory (something else of that name exists): name a folder, or remove it",
                    out.display()
                )
            );
        }
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "keep me");
    }

    #[test]
    fn check_reports_missing_and_differing_files_without_writing() {
        let dir = tempfile::tempdir().unwrap();
        let stale = check_files(dir.path(), &[file("a")]).unwrap();
        assert_eq!(stale[0].staleness, Staleness::Missing);
        assert!(!dir.path().join("m.rs").exists());
        std::fs::write(dir.path().join("m.rs"), "old").unwrap();
        let stale = check_files(dir.path(), &[file("a")]).unwrap();
        assert_eq!(stale[0].staleness, Staleness::Differs);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("m.rs")).unwrap(),
            "old"
        );
        std::fs::write(dir.path().join("m.rs"), "a").unwrap();
        assert!(check_files(dir.path(), &[file("a")]).unwrap().is_empty());
    }
}

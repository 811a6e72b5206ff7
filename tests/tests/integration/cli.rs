//! The `ims-codegen` command line, driven in-process through `ims_codegen::cli::run_args` (exactly
//! what `main` calls), on the bundled OneRoster 1.2 Rostering model.
// Tests fail loudly on broken fixtures.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use ims_codegen::cli::{EXIT_INPUT, EXIT_IO, EXIT_OK, EXIT_STALE, EXIT_USAGE, run_args};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

fn model() -> PathBuf {
    workspace().join("spec-models/oneroster_v1p2_rostering/model.yaml")
}

/// Runs the CLI; returns (exit code, stdout, stderr).
fn cli(args: &[&str]) -> (u8, String, String) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = run_args(
        std::iter::once("ims-codegen").chain(args.iter().copied()),
        &mut out,
        &mut err,
    );
    (
        code,
        String::from_utf8_lossy(&out).into_owned(),
        String::from_utf8_lossy(&err).into_owned(),
    )
}

fn read_dir_bytes(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn generating_twice_gives_identical_bytes() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let m = model();
    let m = m.to_str().unwrap();
    let (code, _, err) = cli(&["generate", m, "--out", a.path().to_str().unwrap()]);
    assert_eq!(code, EXIT_OK, "{err}");
    let (code, _, err) = cli(&["generate", m, "--out", b.path().to_str().unwrap()]);
    assert_eq!(code, EXIT_OK, "{err}");
    let first = read_dir_bytes(a.path());
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].0, "oneroster_v1p2_rostering.rs");
    assert_eq!(first, read_dir_bytes(b.path()));
    // A second run into the same folder touches nothing.
    let (code, _, err) = cli(&["generate", m, "--out", a.path().to_str().unwrap()]);
    assert_eq!(code, EXIT_OK);
    assert!(err.contains("unchanged:"), "{err}");
}

#[test]
fn check_flag_detects_stale_and_missing_files_and_passes_on_fresh_ones() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let m = model();
    let m = m.to_str().unwrap();
    let (code, _, err) = cli(&["generate", m, "--out", out, "--check"]);
    assert_eq!(code, EXIT_STALE, "missing file must be reported: {err}");
    assert!(err.contains("missing:"), "{err}");
    assert!(
        !dir.path().join("oneroster_v1p2_rostering.rs").exists(),
        "--check must not write"
    );

    assert_eq!(cli(&["generate", m, "--out", out]).0, EXIT_OK);
    let (code, _, err) = cli(&["generate", m, "--out", out, "--check"]);
    assert_eq!(code, EXIT_OK, "{err}");

    let file = dir.path().join("oneroster_v1p2_rostering.rs");
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str("\n// edited by hand\n");
    std::fs::write(&file, &text).unwrap();
    let (code, _, err) = cli(&["generate", m, "--out", out, "--check"]);
    assert_eq!(code, EXIT_STALE, "{err}");
    assert!(err.contains("stale:"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        text,
        "--check must not write"
    );
}

/// Writes a copy of the bundled model with one line replaced, pointing at the bundled SDD.
fn bad_model(dir: &Path, from: &str, to: &str) -> PathBuf {
    let text = std::fs::read_to_string(model()).unwrap();
    assert!(
        text.contains(from),
        "fixture line `{from}` not in the model"
    );
    let sdd = workspace().join("spec-models/oneroster_v1p2_rostering/sdd.yaml");
    let text = text
        .replace(from, to)
        .replace("sdd: sdd.yaml", &format!("sdd: {}", sdd.display()));
    let path = dir.join("model.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

fn line_of(path: &Path, needle: &str) -> usize {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .position(|l| l.contains(needle))
        .unwrap()
        + 1
}

#[test]
fn bad_module_name_is_an_error_with_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = bad_model(
        dir.path(),
        "module: oneroster_v1p2_rostering",
        "module: one-roster",
    );
    let (code, _, err) = cli(&["check", path.to_str().unwrap()]);
    assert_eq!(code, EXIT_INPUT, "{err}");
    let line = line_of(&path, "module: one-roster");
    assert!(err.contains("error[IMS0011]"), "{err}");
    assert!(err.contains(&format!("model.yaml:{line}:1")), "{err}");
    assert!(
        err.contains("^"),
        "the source line is quoted with a caret: {err}"
    );
}

#[test]
fn unknown_security_pattern_is_an_error_with_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = bad_model(dir.path(), "pattern: client-credentials", "pattern: magic");
    let (code, _, err) = cli(&["check", path.to_str().unwrap()]);
    assert_eq!(code, EXIT_INPUT, "{err}");
    let line = line_of(&path, "pattern: magic");
    assert!(err.contains("error[IMS0010]"), "{err}");
    assert!(err.contains(&format!("model.yaml:{line}:")), "{err}");
    assert!(err.contains("magic"), "{err}");
}

#[test]
fn implies_naming_an_unknown_scope_is_an_error_with_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = bad_model(
        dir.path(),
        "      - https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly",
        "      - roster-nonexistent.readonly",
    );
    let (code, _, err) = cli(&["check", path.to_str().unwrap()]);
    assert_eq!(code, EXIT_INPUT, "{err}");
    let line = line_of(&path, "- roster-nonexistent.readonly");
    assert!(err.contains("error[IMS0013]"), "{err}");
    assert!(err.contains(&format!("model.yaml:{line}:9")), "{err}");
}

#[test]
fn missing_sdd_file_is_an_error_with_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(model())
        .unwrap()
        .replace("sdd: sdd.yaml", "sdd: nowhere.json");
    let path = dir.path().join("model.yaml");
    std::fs::write(&path, text).unwrap();
    let (code, _, err) = cli(&["check", path.to_str().unwrap()]);
    assert_eq!(code, EXIT_INPUT, "{err}");
    let line = line_of(&path, "sdd: nowhere.json");
    assert!(err.contains("error[IMS0012]"), "{err}");
    assert!(err.contains(&format!("model.yaml:{line}:1")), "{err}");
}

#[test]
fn input_errors_write_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let good = model();
    let bad = bad_model(
        dir.path(),
        "module: oneroster_v1p2_rostering",
        "module: 9lives",
    );
    let out = dir.path().join("out");
    let (code, _, err) = cli(&[
        "generate",
        good.to_str().unwrap(),
        bad.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, EXIT_INPUT, "{err}");
    assert!(
        !out.exists(),
        "nothing may be written when any input has errors"
    );
}

#[test]
fn usage_errors_exit_with_2() {
    assert_eq!(
        cli(&["generate", "x.yaml"]).0,
        EXIT_USAGE,
        "--out is required"
    );
    assert_eq!(cli(&["frobnicate"]).0, EXIT_USAGE);
    assert_eq!(cli(&["check"]).0, EXIT_USAGE, "no input at all");
    assert_eq!(cli(&["--help"]).0, EXIT_OK);
}

#[test]
fn unwritable_output_folder_exits_with_4() {
    let dir = tempfile::tempdir().unwrap();
    // A regular file where the output folder should be.
    let blocker = dir.path().join("out");
    std::fs::write(&blocker, "not a folder").unwrap();
    let m = model();
    let (code, _, err) = cli(&[
        "generate",
        m.to_str().unwrap(),
        "--out",
        blocker.to_str().unwrap(),
    ]);
    assert_eq!(code, EXIT_IO, "{err}");
    // Said as it is, not as the OS's `File exists`; with --check too.
    let said = format!("`{}` is not a directory", blocker.display());
    assert!(err.contains(&said) && !err.contains("File exists"), "{err}");
    let (code, _, err) = cli(&[
        "generate",
        m.to_str().unwrap(),
        "--out",
        blocker.to_str().unwrap(),
        "--check",
    ]);
    assert_eq!(code, EXIT_IO, "{err}");
    assert!(err.contains(&said), "{err}");
}

#[test]
fn list_shows_operations_with_method_path_and_scopes() {
    let m = model();
    let (code, out, err) = cli(&["list", m.to_str().unwrap()]);
    assert_eq!(code, EXIT_OK, "{err}");
    assert!(out.contains("service oneroster_v1p2_rostering"), "{out}");
    let orgs = out
        .lines()
        .find(|l| l.trim_start().starts_with("GET") && l.contains("/orgs "))
        .unwrap_or_else(|| panic!("no GET /orgs line in:\n{out}"));
    assert!(orgs.contains("roster-core.readonly"), "{orgs}");
    assert!(out.contains("scopes:"), "{out}");
    assert!(out.contains("ROSTER_DEMOGRAPHICS_READONLY"), "{out}");
}

/// Where each whitespace-separated token of `line` starts (in characters).
fn token_starts(line: &str) -> Vec<usize> {
    let chars: Vec<char> = line.chars().collect();
    (0..chars.len())
        .filter(|&i| !chars[i].is_whitespace() && (i == 0 || chars[i - 1].is_whitespace()))
        .collect()
}

#[test]
fn list_aligns_its_columns_and_shows_discovery_once_in_the_header() {
    let m = model();
    let (code, out, err) = cli(&["list", m.to_str().unwrap()]);
    assert_eq!(code, EXIT_OK, "{err}");
    let header = out.lines().next().unwrap();
    let (_, discovery) = header
        .split_once(", discovery: ")
        .unwrap_or_else(|| panic!("no discovery endpoint in the header: {header}"));
    let (method, path) = discovery.split_once(' ').unwrap();
    assert_eq!(method, "GET", "{header}");
    let rows: Vec<&str> = out
        .lines()
        .skip_while(|l| l.trim() != "operations:")
        .skip(1)
        .take_while(|l| l.trim() != "scopes:")
        .collect();
    assert!(rows.len() > 30, "{out}");
    // The discovery operation is no trait method: it is not an operation row.
    assert!(
        rows.iter()
            .all(|r| r.split_whitespace().nth(1) != Some(path)),
        "{out}"
    );
    // Method, path, Rust name and scopes start in the same column on every row, however long
    // the paths (OneRoster 1.2 has paths of more than 48 characters).
    let longest = rows
        .iter()
        .map(|r| r.split_whitespace().nth(1).unwrap().len())
        .max()
        .unwrap();
    assert!(longest > 48, "{out}");
    let columns: Vec<Vec<usize>> = rows.iter().map(|r| token_starts(r)[..4].to_vec()).collect();
    assert!(
        columns.iter().all(|c| c == &columns[0]),
        "misaligned columns:\n{out}"
    );
    assert!(
        rows.iter().all(|r| !r.ends_with(' ')),
        "trailing spaces:\n{out}"
    );
}

#[test]
fn swagger_2_sdd_is_refused_naming_the_version() {
    let dir = tempfile::tempdir().unwrap();
    let sdd = dir.path().join("old.json");
    std::fs::write(
        &sdd,
        r#"{"swagger": "2.0", "info": {"title": "t", "version": "1"}, "paths": {}}"#,
    )
    .unwrap();
    let (code, _, err) = cli(&["check", "--sdd", sdd.to_str().unwrap()]);
    assert_eq!(code, EXIT_INPUT, "{err}");
    assert!(err.contains("Swagger 2.0"), "{err}");
}

#[test]
fn module_option_names_the_sdd_before_it_and_the_others_keep_their_inferred_names() {
    let dir = tempfile::tempdir().unwrap();
    let constructs = workspace().join("tests/fixtures/constructs");
    let enums = constructs.join("enums.yaml");
    let formats = constructs.join("formats.yaml");
    let (code, _, err) = cli(&[
        "generate",
        "--sdd",
        enums.to_str().unwrap(),
        "--module",
        "enums",
        "--sdd",
        formats.to_str().unwrap(),
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(code, EXIT_OK, "{err}");
    let names: Vec<String> = read_dir_bytes(dir.path())
        .into_iter()
        .map(|f| f.0)
        .collect();
    assert_eq!(names, ["enums.rs", "formats_and_nullable_v1p0.rs"]);
}

#[test]
fn module_option_must_be_an_identifier_after_an_sdd_and_one_per_sdd() {
    let sdd = workspace().join("tests/fixtures/constructs/enums.yaml");
    let sdd = sdd.to_str().unwrap();
    let m = model();
    let cases: [(&[&str], &str); 3] = [
        (
            &["--sdd", sdd, "--module", "Bad-Name"],
            "not a snake_case Rust identifier",
        ),
        (
            &[m.to_str().unwrap(), "--module", "x"],
            "must follow the `--sdd FILE` it names",
        ),
        (
            &["--sdd", sdd, "--module", "a", "--module", "b"],
            "two module names, `a` and `b`",
        ),
    ];
    for (args, expected) in cases {
        let args: Vec<&str> = ["check"].iter().chain(args).copied().collect();
        let (code, _, err) = cli(&args);
        assert_eq!(code, EXIT_USAGE, "{args:?}: {err}");
        assert!(err.contains(expected), "{args:?}: {err}");
    }
}

#[test]
fn bundled_models_check_without_notes_or_warnings() {
    // They state `same_requirement_scopes: any`, so IMS0515 has nothing to tell them.
    let mut models: Vec<String> = std::fs::read_dir(workspace().join("spec-models"))
        .unwrap()
        .map(|e| e.unwrap().path().join("model.yaml"))
        .filter(|p| p.is_file())
        .map(|p| p.to_str().unwrap().to_owned())
        .collect();
    models.sort();
    let args: Vec<&str> = ["check"]
        .into_iter()
        .chain(models.iter().map(String::as_str))
        .collect();
    let (code, _, err) = cli(&args);
    assert_eq!(code, EXIT_OK, "{err}");
    assert!(!err.contains("note[") && !err.contains("warning["), "{err}");
    assert!(
        err.contains(&format!("ok: {} service(s) checked", models.len())),
        "{err}"
    );
}

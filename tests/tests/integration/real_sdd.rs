//! Acceptance over the official 1EdTech files in `../shared/ims/real-sdd/` (or `IMS_REAL_SDD_DIR`;
//! test inputs only, never copied into the repository); without them these tests fail, saying where
//! the files come from:
//!
//! - every positive file generates from the SDD alone, and all generated modules COMPILE together
//!   in a scratch crate that depends on `ims-runtime`; in that crate every `example` attached to a
//!   `components.schemas` entry (directly, or through a media type whose schema refers to it)
//!   round-trips through its generated type;
//! - every negative file is refused with a diagnostic naming the problem, without a panic.
//!
//! The scratch crate is built by a nested `cargo test` with its OWN target folder
//! (`<target>/real-sdd-check/target`): the outer `cargo test` holds the lock of the workspace target
//! folder while tests run, so a nested cargo using the same folder would wait for it forever.
//! The workspace `Cargo.lock` is copied in so the nested build uses the same crate versions (and
//! needs no registry look-up).
// Tests fail loudly on broken fixtures.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use ims_codegen::cli::{EXIT_INPUT, run_args};
use ims_codegen::pipeline::{self, Input};
use ims_test_prerequisites::real_sdd_dir;
use serde_json::Value;

const POSITIVE: &[&str] = &[
    "or_v1p2_rostering_oas3.json",
    "ob_v3p0_oas.json",
    "case_v1p1_oas3.json",
    "lti_ags_v2p0_oas3.yaml",
];

/// Negative files and the words their diagnostic must contain.
const NEGATIVE: &[(&str, &[&str])] = &[
    ("case_v1p1_oas2.json", &["Swagger 2.0", "IMS0102"]),
    // A 3.1 header over a Swagger 2.0 body: refused as that, pointing at the 3.0 file.
    (
        "case_v1p1_oas3p1.json",
        &[
            "`openapi: 3.1.0`",
            "Swagger 2.0",
            "IMS0105",
            "case_v1p1_oas3.json",
        ],
    ),
];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

fn run_cli(args: &[&str]) -> (u8, String) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = run_args(
        std::iter::once("ims-codegen").chain(args.iter().copied()),
        &mut out,
        &mut err,
    );
    (code, String::from_utf8_lossy(&err).into_owned())
}

#[test]
fn negative_files_are_refused_with_a_diagnostic_naming_the_problem() {
    let dir = real_sdd_dir();
    for (file, words) in NEGATIVE {
        let path = dir.join(file);
        let (code, err) = run_cli(&["check", "--sdd", path.to_str().unwrap()]);
        assert_eq!(code, EXIT_INPUT, "{file} must be refused:\n{err}");
        for w in *words {
            assert!(err.contains(w), "{file}: diagnostic lacks `{w}`:\n{err}");
        }
        let out = pipeline::run(&[Input::Sdd(path)]);
        assert!(out.files.is_empty(), "{file}: no file may be produced");
    }
}

/// One example to round-trip: the Rust type (`module::models::Name`), where it came from, and the JSON.
#[derive(Debug)]
struct Example {
    rust_type: String,
    origin: String,
    json: Value,
}

fn schema_ref_name(schema: &Value) -> Option<&str> {
    schema
        .get("$ref")?
        .as_str()?
        .strip_prefix("#/components/schemas/")
}

/// Collects the examples of `sdd` that belong to a `components.schemas` entry: the schema's own
/// `example`, and `example` / `examples.*.value` of media types whose schema refers to it.
fn collect_examples(sdd: &Value, file: &str) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    if let Some(schemas) = sdd
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    {
        for (name, schema) in schemas {
            if let Some(ex) = schema.get("example") {
                out.push((
                    name.clone(),
                    format!("{file}#/components/schemas/{name}/example"),
                    ex.clone(),
                ));
            }
        }
    }
    fn walk(v: &Value, ptr: &str, file: &str, out: &mut Vec<(String, String, Value)>) {
        match v {
            Value::Object(map) => {
                if let Some(name) = map.get("schema").and_then(schema_ref_name) {
                    if let Some(ex) = map.get("example") {
                        out.push((
                            name.to_string(),
                            format!("{file}#{ptr}/example"),
                            ex.clone(),
                        ));
                    }
                    for (k, e) in map
                        .get("examples")
                        .and_then(Value::as_object)
                        .into_iter()
                        .flatten()
                    {
                        if let Some(ex) = e.get("value") {
                            out.push((
                                name.to_string(),
                                format!("{file}#{ptr}/examples/{k}/value"),
                                ex.clone(),
                            ));
                        }
                    }
                }
                for (k, child) in map {
                    if k != "example" && k != "examples" {
                        walk(
                            child,
                            &format!("{ptr}/{}", k.replace('~', "~0").replace('/', "~1")),
                            file,
                            out,
                        );
                    }
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    walk(child, &format!("{ptr}/{i}"), file, out);
                }
            }
            _ => {}
        }
    }
    for section in ["paths", "components"] {
        if let Some(v) = sdd.get(section) {
            walk(v, &format!("/{section}"), file, &mut out);
        }
    }
    out
}

#[test]
fn example_collection_finds_schema_and_media_type_examples() {
    let sdd = serde_json::json!({
        "paths": {"/a": {"get": {"responses": {"200": {"content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Org"},
            "example": {"x": 1},
            "examples": {"one": {"value": {"x": 2}}}
        }}}}}}},
        "components": {"schemas": {"Org": {"type": "object", "example": {"x": 0}}}}
    });
    let found = collect_examples(&sdd, "f.json");
    let values: Vec<_> = found
        .iter()
        .map(|(n, _, v)| (n.as_str(), v["x"].as_i64().unwrap()))
        .collect();
    assert_eq!(values, vec![("Org", 0), ("Org", 1), ("Org", 2)]);
}

fn target_dir() -> PathBuf {
    // <target>/<profile>/deps/<test-binary>
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.ancestors().nth(3).map(Path::to_path_buf))
        .unwrap_or_else(|| workspace().join("target"))
}

fn write(path: &Path, text: &str) {
    ims_codegen::write::write_if_changed(path, text.as_bytes()).unwrap();
}

fn rust_string(s: &str) -> String {
    let mut hashes = String::from("#");
    while s.contains(&format!("\"{hashes}")) {
        hashes.push('#');
    }
    format!("r{hashes}\"{s}\"{hashes}")
}

/// The bundled spec models: their SDDs carry our own examples, so the round-trip check below is
/// never vacuous (the official positive files happen to contain no `example` at all).
fn bundled_models() -> Vec<(String, Input)> {
    let mut models: Vec<PathBuf> = std::fs::read_dir(workspace().join("spec-models"))
        .expect("spec-models/ exists")
        .map(|e| e.expect("directory entry").path().join("model.yaml"))
        .filter(|p| p.is_file())
        .collect();
    models.sort();
    models
        .into_iter()
        .map(|p| {
            let label = p
                .strip_prefix(workspace())
                .unwrap_or(&p)
                .display()
                .to_string();
            (label, Input::Model(p))
        })
        .collect()
}

#[test]
fn positive_files_generate_compile_and_round_trip_their_examples() {
    // The official positive files plus the bundled models.
    let dir = real_sdd_dir();
    let mut inputs: Vec<(String, Input)> = POSITIVE
        .iter()
        .map(|file| (file.to_string(), Input::Sdd(dir.join(file))))
        .collect();
    inputs.extend(bundled_models());
    let mut modules = Vec::new();
    let mut examples = Vec::new();
    let mut unmapped = Vec::new();
    for (file, input) in &inputs {
        let out = pipeline::run(std::slice::from_ref(input));
        assert!(out.is_ok(), "{file} must generate:\n{}", out.diagnostics);
        assert_eq!(out.files.len(), 1, "{file}");
        let service = &out.services[0];
        let mut diags = ims_codegen::Diagnostics::new();
        let loaded = match input {
            Input::Sdd(path) | Input::NamedSdd { sdd: path, .. } => {
                ims_codegen::load::load_sdd(path, &mut diags)
            }
            Input::Model(path) => ims_codegen::load::load_model(path, &mut diags),
        }
        .unwrap();
        for (schema, origin, json) in collect_examples(&loaded.sdd, file) {
            match service
                .types
                .iter()
                .find(|t| t.schema_name.as_deref() == Some(schema.as_str()))
            {
                Some(t) => examples.push(Example {
                    rust_type: format!("{}::models::{}", service.module, t.name),
                    origin,
                    json,
                }),
                None => unmapped.push(format!("{origin} (schema `{schema}`)")),
            }
        }
        modules.push(out.files.into_iter().next().unwrap());
    }
    assert!(
        unmapped.is_empty(),
        "examples whose schema has no generated type: {unmapped:#?}"
    );
    eprintln!(
        "{} module(s) generated; {} example(s) to round-trip",
        modules.len(),
        examples.len()
    );
    assert!(
        examples.len() >= 40,
        "expected the bundled models' examples (47 when written), found {}",
        examples.len()
    );

    let root = target_dir().join("real-sdd-check");
    let krate = root.join("crate");
    let runtime = workspace().join("runtime");
    write(
        &krate.join("Cargo.toml"),
        &format!(
            "[package]\nname = \"ims-real-sdd-check\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
             [dependencies]\nims-runtime = {{ path = {:?} }}\n\n\
             # Not part of the outer workspace.\n[workspace]\n",
            runtime.display().to_string()
        ),
    );
    if let Ok(lock) = std::fs::read_to_string(workspace().join("Cargo.lock")) {
        write(&krate.join("Cargo.lock"), &lock);
    }
    let mut lib = String::from(
        "//! Every module generated from the official 1EdTech SDDs and the bundled spec models.\n\n",
    );
    for m in &modules {
        write(&krate.join("src").join(&m.file_name), &m.contents);
        lib.push_str(&format!("pub mod {};\n", m.module));
    }
    write(&krate.join("src/lib.rs"), &lib);

    let mut tests = String::from(
        "//! Generated by tests/tests/integration/real_sdd.rs: SDD_JSON of every module and every schema example round-trips.\n\n\
         use ims_runtime::__private::serde_json::{self, Value};\n\n\
         /// JSON equality with numbers compared numerically (1 == 1.0).\n\
         fn same(a: &Value, b: &Value) -> bool {\n\
             match (a, b) {\n\
                 (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),\n\
                 (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b)),\n\
                 (Value::Object(x), Value::Object(y)) => x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w))),\n\
                 _ => a == b,\n\
             }\n\
         }\n\n",
    );
    for m in &modules {
        tests.push_str(&format!(
            "#[test]\nfn sdd_json_of_{0}_is_json() {{\n    let v: Value = serde_json::from_str(ims_real_sdd_check::{0}::SDD_JSON).unwrap();\n    assert!(v.get(\"openapi\").is_some());\n}}\n\n",
            m.module
        ));
    }
    for (i, ex) in examples.iter().enumerate() {
        let json = serde_json::to_string(&ex.json).unwrap();
        tests.push_str(&format!(
            "/// {origin}\n#[test]\nfn example_{i}_round_trips() {{\n    let v: Value = serde_json::from_str({json}).unwrap();\n    \
             let typed: ims_real_sdd_check::{ty} = serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!(\"{origin}: {{e}}\"));\n    \
             let back = serde_json::to_value(&typed).unwrap();\n    \
             assert!(same(&v, &back), \"{origin}: {{v}} != {{back}}\");\n}}\n\n",
            origin = ex.origin.replace('"', "'"),
            json = rust_string(&json),
            ty = ex.rust_type,
        ));
    }
    write(&krate.join("tests/round_trip.rs"), &tests);

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args(["test", "--quiet", "--manifest-path"])
        .arg(krate.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", root.join("target"))
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the generated modules must compile and their tests pass (crate at {}):\n{stdout}\n{stderr}",
        krate.display()
    );
}

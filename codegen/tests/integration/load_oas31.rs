//! OpenAPI 3.1 input (`codegen/src/load/oas31.rs`), over the fixtures in `tests/fixtures/oas31/`:
//!
//! - `oneroster_v1p2_rostering/sdd.yaml` is the 3.1 rendition of the bundled OneRoster 1.2
//!   Rostering SDD made by [`to_oas31`] (the test checks the file IS that transformation of the
//!   current source; `IMS_BLESS=1` rewrites it) and gives the same IR and byte for byte the same
//!   generated module as its 3.0 source (the header's SHA-256 is of the document, which a 3.1
//!   document has in its 3.0 form);
//! - `oas31_constructs.yaml` (3.1-only constructs: type arrays with `null`, `const`, `$ref` with
//!   siblings, `examples`, numeric exclusive bounds) generates what its hand-written 3.0 twin
//!   `equivalents/oas31_constructs.yaml` generates (its golden module is compiled in
//!   generated-example);
//! - the documents in `refused/` are refused with the diagnostic that names their problem.

use std::path::{Path, PathBuf};

use ims_codegen::load::oas31::{Visitor, walk};
use ims_codegen::pipeline::{self, Input, Output};
use serde_json::{Map, Value};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn fixtures() -> PathBuf {
    workspace().join("tests/fixtures/oas31")
}

/// Replaces member `key` by `with`, at its position (as the loader's own rewrites do).
fn replace_member(map: &mut Map<String, Value>, key: &str, with: Vec<(String, Value)>) {
    let mut with = Some(with);
    for (k, v) in std::mem::take(map) {
        if k == key
            && let Some(members) = with.take()
        {
            map.extend(members);
        } else {
            map.insert(k, v);
        }
    }
}

/// The mechanical 3.0 → 3.1 transformation, schema by schema (found by position, as the loader
/// finds them): `nullable: true` beside `type: T` → `type: [T, "null"]`; `example: x` →
/// `examples: [x]`; a one-value `enum: [v]` → `const: v`; `minimum: n` with
/// `exclusiveMinimum: true` → `exclusiveMinimum: n` (and `…Maximum` alike); every member keeps
/// its place. Then `openapi: 3.1.0`.
struct ToOas31;

impl Visitor for ToOas31 {
    fn schema(&mut self, schema: &mut Value, _pointer: &str) {
        let Some(map) = schema.as_object_mut() else {
            return;
        };
        if map.get("nullable") == Some(&Value::Bool(true))
            && let Some(Value::String(t)) = map.get("type").cloned()
        {
            map.shift_remove("nullable");
            map.insert("type".into(), serde_json::json!([t, "null"]));
        }
        if let Some(example) = map.get("example").cloned() {
            replace_member(
                map,
                "example",
                vec![("examples".into(), Value::Array(vec![example]))],
            );
        }
        if let Some(Value::Array(values)) = map.get("enum").cloned()
            && let [only] = values.as_slice()
        {
            replace_member(map, "enum", vec![("const".into(), only.clone())]);
        }
        for (exclusive, bound) in [
            ("exclusiveMinimum", "minimum"),
            ("exclusiveMaximum", "maximum"),
        ] {
            if map.get(exclusive) == Some(&Value::Bool(true))
                && let Some(n) = map.shift_remove(bound)
            {
                map.insert(exclusive.into(), n);
            }
        }
    }
}

fn to_oas31(mut doc: Value) -> Value {
    walk(&mut doc, &mut ToOas31);
    doc["openapi"] = Value::String("3.1.0".into());
    doc
}

const RENDITION_HEADER: &str = "\
# OneRoster 1.2 Rostering as OpenAPI 3.1: spec-models/oneroster_v1p2_rostering/sdd.yaml run through
# the 3.0 -> 3.1 transformation `to_oas31` of codegen/tests/integration/load_oas31.rs (see
# tests/fixtures/oas31/README.md). Do not edit: `IMS_BLESS=1 cargo test -p ims-codegen --test
# integration load_oas31::` rewrites it from the source.
";

fn read_yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_yaml::from_str(&text).unwrap()
}

#[test]
fn the_rendition_is_the_mechanical_transformation_of_its_source() {
    let source = read_yaml(&workspace().join("spec-models/oneroster_v1p2_rostering/sdd.yaml"));
    let expected = format!(
        "{RENDITION_HEADER}{}",
        serde_yaml::to_string(&to_oas31(source)).unwrap()
    );
    let path = fixtures().join("oneroster_v1p2_rostering/sdd.yaml");
    if std::env::var_os("IMS_BLESS").is_some() {
        std::fs::write(&path, &expected).unwrap();
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == expected,
        "{} is not the 3.1 transformation of its source; rewrite it with \
         `IMS_BLESS=1 cargo test -p ims-codegen --test integration load_oas31::`",
        path.display()
    );
    // The transformation did something of each kind the source has.
    for construct in ["examples:", "const:", "openapi: 3.1.0"] {
        assert!(
            expected.contains(construct),
            "no `{construct}` in the rendition"
        );
    }
    assert!(!expected.contains("\n  example:") && !expected.contains("openapi: 3.0"));
}

fn generate(input: Input) -> Output {
    let out = pipeline::run(&[input]);
    assert!(out.is_ok(), "{}", out.diagnostics);
    assert_eq!(out.files.len(), 1);
    out
}

/// Same IR and the same bytes, header line included.
fn assert_same_output(from_3_0: &Output, from_3_1: &Output) {
    let (a, b) = (&from_3_0.services[0], &from_3_1.services[0]);
    assert!(
        a == b,
        "the 3.1 document lowers to another IR than its 3.0 source"
    );
    let (a, b) = (&from_3_0.files[0].contents, &from_3_1.files[0].contents);
    if a != b {
        let line = a
            .lines()
            .zip(b.lines())
            .position(|(x, y)| x != y)
            .map_or(0, |i| i + 1);
        panic!("the generated module differs from line {line} on");
    }
}

#[test]
fn the_3_1_rendition_of_oneroster_rostering_generates_the_same_module() {
    let source_model = workspace().join("spec-models/oneroster_v1p2_rostering/model.yaml");
    let rendition_model = fixtures().join("oneroster_v1p2_rostering/model.yaml");
    assert_eq!(
        std::fs::read_to_string(&source_model).unwrap(),
        std::fs::read_to_string(&rendition_model).unwrap(),
        "the rendition's model.yaml is a copy of the spec model's (both name `sdd.yaml`)"
    );
    let from_3_0 = generate(Input::Model(source_model));
    let from_3_1 = generate(Input::Model(rendition_model));
    let notes: Vec<_> = from_3_1
        .diagnostics
        .iter()
        .filter(|d| d.code == "IMS0101")
        .collect();
    assert_eq!(notes.len(), 1, "{}", from_3_1.diagnostics);
    assert_eq!(
        from_3_0.diagnostics.iter().count() + 1,
        from_3_1.diagnostics.iter().count(),
        "only the 3.1 note differs:\n{}",
        from_3_1.diagnostics
    );
    assert_same_output(&from_3_0, &from_3_1);
}

#[test]
fn the_3_1_construct_fixture_generates_what_its_3_0_twin_generates() {
    let named = |sdd: PathBuf| Input::NamedSdd {
        sdd,
        module: "oas31_constructs".into(),
    };
    let from_3_1 = generate(named(fixtures().join("oas31_constructs.yaml")));
    let from_3_0 = generate(named(fixtures().join("equivalents/oas31_constructs.yaml")));
    assert_same_output(&from_3_0, &from_3_1);
    let warnings: Vec<_> = from_3_1.diagnostics.iter().map(|d| d.code.id()).collect();
    assert!(
        warnings.contains(&"IMS0130"),
        "the webhook is reported: {warnings:?}"
    );
}

/// `refused/<name>.yaml` fails with `code`, and the message says `words`.
#[test]
fn documents_without_a_3_0_equivalent_are_refused_naming_the_problem() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "type_union.yaml",
            "IMS0131",
            &["`type: [string, integer]`", "oneOf"],
        ),
        (
            "dialect.yaml",
            "IMS0106",
            &["jsonSchemaDialect", "default dialect"],
        ),
        ("const_outside_enum.yaml", "IMS0134", &["`const: \"b\"`"]),
        (
            "swagger2_body.yaml",
            "IMS0105",
            &[
                "`openapi: 3.1.0`",
                "Swagger 2.0",
                "`definitions`",
                "`basePath`",
            ],
        ),
    ];
    for (file, code, words) in cases {
        let out = pipeline::run(&[Input::Sdd(fixtures().join("refused").join(file))]);
        assert!(out.files.is_empty(), "{file}: nothing may be generated");
        let error = out
            .diagnostics
            .iter()
            .find(|d| d.is_error())
            .unwrap_or_else(|| panic!("{file}: no error"));
        assert_eq!(error.code, *code, "{file}: {error}");
        let text = error.to_string();
        for w in *words {
            assert!(text.contains(w), "{file}: `{w}` missing from:\n{text}");
        }
    }
}

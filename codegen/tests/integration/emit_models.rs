//! Emission tests of `models`: emitted models parse, are hygienic and deterministic, and (in one
//! compile test) build against `ims-runtime` and round-trip payloads. Types come from lowering
//! each fixture's components, so this is a test of lower and emit together (hence here, not in
//! `emit`, which knows only the IR).

// In a test a failed expectation is a failed test, not a crash reachable from input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use ims_codegen::diagnostics::Diagnostics;
use ims_codegen::emit::models::render_types;
use ims_codegen::ir::TypeDef;
use ims_codegen::load::resolve::Resolver;
use ims_codegen::lower::types::TypeLowerer;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn fixtures() -> Vec<(String, PathBuf)> {
    let dir = workspace().join("tests/fixtures/constructs");
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(&dir)
        .expect("fixture folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| {
            (
                p.file_stem().expect("stem").to_string_lossy().into_owned(),
                p,
            )
        })
        .collect();
    out.sort();
    assert!(
        out.len() >= 8,
        "expected the construct fixtures in {}",
        dir.display()
    );
    out
}

fn lower_file(path: &Path) -> (Vec<TypeDef>, Diagnostics) {
    let text = std::fs::read_to_string(path).expect("readable");
    let api: openapiv3::OpenAPI = if path.extension().is_some_and(|e| e == "json") {
        serde_json::from_str(&text).expect("OpenAPI JSON")
    } else {
        serde_yaml::from_str(&text).expect("OpenAPI YAML")
    };
    let mut diags = Diagnostics::new();
    let mut lowerer = TypeLowerer::new(Resolver::new(&api, path));
    lowerer.lower_components(&mut diags);
    (lowerer.finish(), diags)
}

fn render_file(path: &Path) -> String {
    let (defs, diags) = lower_file(path);
    assert!(!diags.has_errors(), "{}:\n{diags}", path.display());
    render_types("Test", "Fixture", &defs).expect("renders")
}

/// Every `::a::b` path in the source starts with `std` or `ims_runtime`.
fn foreign_paths(src: &str) -> Vec<String> {
    let mut bad = Vec::new();
    let mut rest = src;
    while let Some(i) = rest.find("::") {
        let before = rest[..i].chars().last();
        let after = &rest[i + 2..];
        // A leading `::` (not `a::b`) starts an absolute path.
        if !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '>') {
            let head: String = after
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if head != "std" && head != "ims_runtime" {
                bad.push(head);
            }
        }
        rest = after;
    }
    bad
}

#[test]
fn emitted_models_parse_and_name_only_the_runtime_prelude() {
    for (name, path) in fixtures() {
        let src = render_file(&path);
        let file = syn::parse_file(&src).unwrap_or_else(|e| panic!("{name}: {e}\n{src}"));
        assert!(file.attrs.is_empty(), "{name}: no inner attributes");
        assert_eq!(file.items.len(), 1, "{name}: one `models` module");
        assert!(!src.contains("#!["), "{name}: no inner attributes");
        let syn::Item::Mod(models) = &file.items[0] else {
            panic!("{name}: a module")
        };
        let uses: Vec<String> = models
            .content
            .iter()
            .flat_map(|(_, items)| items)
            .filter_map(|i| match i {
                syn::Item::Use(u) => Some(quote_use(u)),
                _ => None,
            })
            .collect();
        assert_eq!(
            uses,
            ["::ims_runtime::codegen as rt"],
            "{name}: only the prelude"
        );
        assert_eq!(foreign_paths(&src), Vec::<String>::new(), "{name}");
        assert!(
            !src.contains("::std::"),
            "{name}: std is reached through rt"
        );
    }
}

/// `use ::a::b as c;` → `::a::b as c`.
fn quote_use(u: &syn::ItemUse) -> String {
    fn tree(t: &syn::UseTree, out: &mut String) {
        match t {
            syn::UseTree::Path(p) => {
                out.push_str(&format!("{}::", p.ident));
                tree(&p.tree, out);
            }
            syn::UseTree::Rename(r) => out.push_str(&format!("{} as {}", r.ident, r.rename)),
            syn::UseTree::Name(n) => out.push_str(&n.ident.to_string()),
            syn::UseTree::Glob(_) => out.push('*'),
            syn::UseTree::Group(_) => out.push_str("{…}"),
        }
    }
    let mut out = String::new();
    if u.leading_colon.is_some() {
        out.push_str("::");
    }
    tree(&u.tree, &mut out);
    out
}

#[test]
fn emission_is_deterministic() {
    for (_, path) in fixtures() {
        assert_eq!(render_file(&path), render_file(&path));
    }
}

#[test]
fn field_encoding_follows_required_and_nullable() {
    let src = render_file(&workspace().join("tests/fixtures/constructs/formats.yaml"));
    let norm: String = src.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(norm.contains(
        "#[serde(deserialize_with = \"rt::types::deserialize_nullable\")] pub required_nullable: rt::Option<rt::String>,"
    ), "{norm}");
    assert!(norm.contains(
        "#[serde(default, skip_serializing_if = \"rt::Option::is_none\", deserialize_with = \"rt::types::deserialize_some\")] pub optional_nullable: rt::Option<rt::Option<rt::DateTime>>,"
    ), "{norm}");
    assert!(norm.contains("pub when: rt::DateTime,"), "{norm}");
    assert!(norm.contains("pub count: i32,"));
    assert!(norm.contains("pub ratio: f32,"));
}

#[test]
fn closed_objects_deny_unknown_fields_and_open_ones_keep_an_extension_map() {
    let src =
        render_file(&workspace().join("tests/fixtures/constructs/additional_properties.yaml"));
    let file = syn::parse_file(&src).expect("parses");
    let syn::Item::Mod(models) = &file.items[0] else {
        panic!("a module")
    };
    let items = &models.content.as_ref().expect("inline module").1;
    let find = |n: &str| {
        items
            .iter()
            .find_map(|i| match i {
                syn::Item::Struct(s) if s.ident == n => Some(s),
                _ => None,
            })
            .unwrap_or_else(|| panic!("struct {n}"))
    };
    let norm: String = src.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        norm.contains("#[serde(crate = \"rt::serde\", deny_unknown_fields)] pub struct Closed {"),
        "{norm}"
    );
    assert!(norm.contains("#[serde(crate = \"rt::serde\")] pub struct Open {"));
    let open_fields: Vec<String> = find("Open")
        .fields
        .iter()
        .map(|f| f.ident.as_ref().expect("named").to_string())
        .collect();
    assert_eq!(open_fields, ["a", "extensions"]);
    assert_eq!(find("Closed").fields.len(), 1);
}

#[test]
fn a_property_named_like_the_extension_map_keeps_its_name() {
    let src = render_file(&workspace().join("tests/fixtures/constructs/naming.yaml"));
    let norm: String = src.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        norm.contains("pub extensions: rt::Option<rt::String>"),
        "{norm}"
    );
    assert!(
        norm.contains("#[serde(flatten)] pub extensions2:"),
        "{norm}"
    );
}

#[test]
fn doc_text_cannot_break_the_code() {
    let src = render_file(&workspace().join("tests/fixtures/constructs/objects.yaml"));
    syn::parse_file(&src).expect("parses");
    assert!(
        src.contains("\\\"quotes\\\""),
        "quotes escaped inside the doc literal"
    );
}

/// Builds the emitted models of every fixture and of the official JSON SDDs in a scratch crate
/// that depends on `ims-runtime`, then runs round-trip checks against them.
#[test]
fn emitted_models_compile_and_round_trip() {
    let root = workspace();
    let mut modules = String::new();
    for (name, path) in fixtures() {
        modules.push_str(&format!("pub mod {name} {{\n{}\n}}\n", render_file(&path)));
    }
    let real = ims_test_prerequisites::real_sdd_dir();
    for (name, file) in [
        ("oneroster", "or_v1p2_rostering_oas3.json"),
        ("open_badges", "ob_v3p0_oas.json"),
        ("case", "case_v1p1_oas3.json"),
    ] {
        modules.push_str(&format!(
            "pub mod {name} {{\n{}\n}}\n",
            render_file(&real.join(file))
        ));
    }
    let dir = tempfile::tempdir().expect("tempdir");
    // Set IMS_KEEP_MODELS_CHECK=1 to keep the scratch crate for inspection (e.g. clippy).
    let dir_path = if std::env::var_os("IMS_KEEP_MODELS_CHECK").is_some() {
        dir.keep()
    } else {
        dir.path().to_path_buf()
    };
    let dir = ScratchDir(dir_path);
    let runtime = root.join("runtime").canonicalize().expect("runtime crate");
    std::fs::write(
        dir.path().join("Cargo.toml"),
        format!(
            "[package]\nname = \"models-compile-check\"\nversion = \"0.0.0\"\nedition = \"2024\"\n\
             [dependencies]\nims-runtime = {{ path = {:?}, default-features = false }}\n\
             serde_json = \"1\"\n[workspace]\n",
            runtime.display().to_string()
        ),
    )
    .expect("manifest");
    std::fs::copy(root.join("Cargo.lock"), dir.path().join("Cargo.lock")).expect("lock file");
    std::fs::create_dir(dir.path().join("src")).expect("src");
    let lib = format!(
        "#![deny(warnings)]\n#![allow(missing_docs)]\n{modules}\n#[cfg(test)]\nmod checks {{\n{CHECKS}\n{REAL_CHECKS}\n}}\n"
    );
    std::fs::write(dir.path().join("src/lib.rs"), lib).expect("lib.rs");
    // A target folder of its own: the outer `cargo test` may still hold the shared one's lock.
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("models-compile-check");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args(["test", "--quiet", "--offline"])
        .current_dir(dir.path())
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo runs");
    if std::env::var_os("IMS_KEEP_MODELS_CHECK").is_some() {
        eprintln!("scratch crate kept at {}", dir.path().display());
    }
    assert!(
        out.status.success(),
        "emitted models failed to build or test:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The scratch crate's folder (`.path()` mirrors `TempDir`).
struct ScratchDir(PathBuf);

impl ScratchDir {
    fn path(&self) -> &Path {
        &self.0
    }
}

/// Round-trip checks run inside the scratch crate.
const CHECKS: &str = r##"
use ::serde_json::{from_str, to_string, json};

fn round_trip<T: ::ims_runtime::__private::serde::de::DeserializeOwned + ::ims_runtime::__private::serde::Serialize>(text: &str) {
    let v: T = from_str(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    assert_eq!(to_string(&v).unwrap(), text);
}

#[test]
fn extensible_enum_round_trips_known_and_ext_values_exactly() {
    use super::extensible_enums::models::{OrgDType, OrgDTypeType};
    round_trip::<OrgDType>(r#"{"sourcedId":"1","type":"school"}"#);
    round_trip::<OrgDType>(r#"{"sourcedId":"1","type":"ext:campus"}"#);
    let org: OrgDType = from_str(r#"{"sourcedId":"1","type":"ext:campus"}"#).unwrap();
    assert_eq!(org.r#type, OrgDTypeType::Ext("ext:campus".into()));
    let err = from_str::<OrgDType>(r#"{"sourcedId":"1","type":"bogus"}"#).unwrap_err().to_string();
    assert!(err.contains("unknown value `bogus`") && err.contains("`school`") && err.contains("ext:"), "{err}");
    assert!(from_str::<OrgDType>(r#"{"sourcedId":"1","type":"ext:"}"#).is_err());
    assert!(from_str::<OrgDType>(r#"{"sourcedId":"1","type":"school","x":1}"#).is_err(), "additionalProperties: false");
    assert_eq!("district".parse::<OrgDTypeType>().unwrap(), OrgDTypeType::District);
    assert_eq!(OrgDTypeType::School.to_string(), "school");
}

#[test]
fn closed_enums_reject_unknown_values_with_the_allowed_list() {
    use super::enums::models::{Status, Flags};
    assert_eq!(from_str::<Status>(r#""active""#).unwrap(), Status::Active);
    let err = from_str::<Status>(r#""inactive""#).unwrap_err().to_string();
    assert!(err.contains("`active`, `tobedeleted`"), "{err}");
    round_trip::<Flags>(r#"{"enabledUser":"true","status":"tobedeleted"}"#);
}

#[test]
fn optional_and_nullable_fields_keep_absent_and_null_apart() {
    use super::formats::models::Formats;
    let base = r#""when":"2024-01-01T00:00:00.000Z","day":"2024-02-29","href":"https://x.example/a","id":"67E55044-10B1-426F-9247-BB680E5FE0C8","count":1,"big":2,"ratio":0.5,"precise":1.25"#;
    round_trip::<Formats>(&format!("{{{base},\"required_nullable\":null}}"));
    round_trip::<Formats>(&format!("{{{base},\"required_nullable\":\"a\",\"optional_nullable\":null}}"));
    round_trip::<Formats>(&format!("{{{base},\"required_nullable\":\"a\",\"optional_nullable\":\"2024-01-01T00:00:00+01:00\",\"anything\":null}}"));
    let missing = from_str::<Formats>(&format!("{{{base}}}")).unwrap_err().to_string();
    assert!(missing.contains("required_nullable"), "{missing}");
    assert!(from_str::<Formats>(&format!("{{{base},\"required_nullable\":null,\"day\":\"2023-02-29\"}}")).is_err());
}

#[test]
fn unions_try_the_most_specific_shape_first() {
    use super::unions::models::{Credential, CredentialIssuer, LineItem};
    let c: Credential = from_str(r#"{"issuer":{"id":"https://x.example/p","type":"Profile"}}"#).unwrap();
    assert!(matches!(c.issuer, CredentialIssuer::Profile(_)));
    let c: Credential = from_str(r#"{"issuer":"https://x.example/p"}"#).unwrap();
    assert!(matches!(c.issuer, CredentialIssuer::Uri(_)));
    round_trip::<Credential>(r#"{"issuer":"https://x.example/p","context":["a",{"b":1}],"score":3}"#);
    round_trip::<LineItem>(r#"{"id":"1","label":"L","scoreMaximum":10.0}"#);
    assert!(from_str::<LineItem>(r#"{"id":"1","label":"L"}"#).is_err());
}

#[test]
fn edge_shapes_compile_and_behave() {
    use super::additional_properties::models::{EmptyClosed, Bare};
    use super::enums::models::{Documented, Level, OnlyNull};
    round_trip::<EmptyClosed>("{}");
    assert!(from_str::<EmptyClosed>(r#"{"a":1}"#).is_err());
    round_trip::<Bare>(r#"{"x":{"y":1}}"#);
    assert!(OnlyNull::VALUES.is_empty());
    round_trip::<Documented>(r#"{"old":"o","new":"n","level":2,"nothing":null}"#);
    let _: Level = from_str("3").unwrap();
}

#[test]
fn extension_members_are_preserved() {
    use super::additional_properties::models::{Open, Typed, Holder};
    round_trip::<Open>(r#"{"a":"x","zzz":{"deep":[1,2]},"b":null}"#);
    round_trip::<Typed>(r#"{"a":"x","n":1}"#);
    assert!(from_str::<Typed>(r#"{"a":"x","n":"text"}"#).is_err());
    round_trip::<Holder>(r#"{"metadata":{"k":"v"},"counts":{"a":1}}"#);
}

#[test]
fn recursive_types_are_boxed_and_work() {
    use super::recursion::models::Node;
    round_trip::<Node>(r#"{"value":"a","next":{"value":"b"},"children":[{"value":"c"}]}"#);
}

#[test]
fn odd_names_still_map_to_their_wire_names() {
    use super::naming::models::Self_;
    let text = r#"{"type":"a","self":"b","Type":"c","2fa":"d","@id":"e","id":"f","extensions":"g","match":"h","Größe":"i","other":1}"#;
    round_trip::<Self_>(text);
    let v: Self_ = from_str(text).unwrap();
    assert_eq!(v.r#type.as_deref(), Some("a"));
    assert_eq!(v.self_.as_deref(), Some("b"));
    assert_eq!(v.extensions2["other"], json!(1));
}
"##;

/// Checks on the official files.
const REAL_CHECKS: &str = r##"
#[test]
fn oneroster_org_type_round_trips_school_and_ext_campus() {
    use super::oneroster::models::{OrgDType, OrgDTypeType};
    for ty in ["school", "ext:campus"] {
        let text = format!(r#"{{"sourcedId":"o1","status":"active","dateLastModified":"2024-01-01T00:00:00.000Z","name":"N","type":"{ty}","identifier":"X1"}}"#);
        round_trip::<OrgDType>(&text);
    }
    let err = from_str::<OrgDType>(r#"{"sourcedId":"o1","status":"active","dateLastModified":"2024-01-01T00:00:00.000Z","name":"N","type":"campus","identifier":"X1"}"#).unwrap_err().to_string();
    assert!(err.contains("unknown value `campus`"), "{err}");
    assert_eq!("ext:campus".parse::<OrgDTypeType>().unwrap(), OrgDTypeType::Ext("ext:campus".into()));
    assert!("bogus".parse::<OrgDTypeType>().is_err());
}
"##;

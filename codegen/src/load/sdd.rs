//! Reading an SDD: JSON or YAML → JSON value → version gate (3.0.x, or 3.1.x; a Swagger 2.0 body
//! under a 3.x header is refused) → `$ref` check → a 3.1 document rewritten as its 3.0 equivalent
//! (`oas31.rs`) → quirk normalization → typed `openapiv3::OpenAPI`.
//!
//! Every step reports into [`Diagnostics`]; a step that finds errors stops the chain, so the user
//! sees every dangling reference at once but never a typed-parsing error caused by an earlier one.

use std::path::Path;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::resolve::escape_pointer_token;
use super::{oas31, quirks, swagger2_body};
use crate::diagnostics::{Diagnostic, Diagnostics, Location, codes};

/// An SDD read from disk, normalized and parsed.
#[derive(Debug, Clone)]
pub struct ParsedSdd {
    /// Hex SHA-256 of the document read (its compact JSON; a 3.1 document in its 3.0 form).
    pub sha256: String,
    /// The normalized JSON value.
    pub value: Value,
    /// The typed document.
    pub openapi: openapiv3::OpenAPI,
}

/// Reads, checks, normalizes and parses the SDD at `path`. `None` when an error was reported.
pub fn read_sdd(path: &Path, diags: &mut Diagnostics) -> Option<ParsedSdd> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            diags.push(
                Diagnostic::new(
                    codes::INPUT_UNREADABLE,
                    format!("cannot read SDD `{}`: {e}", path.display()),
                    Location::file(path),
                )
                .with_help(
                    "check the path (relative paths in a model are relative to the model file)",
                ),
            );
            return None;
        }
    };
    parse_sdd(path, &bytes, diags)
}

/// Like [`read_sdd`] on bytes already read from `path` (`path` picks JSON or YAML by its
/// extension and names the file in diagnostics). What the `sdd_json`/`sdd_yaml` fuzz targets call.
pub fn parse_sdd(path: &Path, bytes: &[u8], diags: &mut Diagnostics) -> Option<ParsedSdd> {
    let mut value = {
        let _s = tracing::debug_span!("parse_document").entered();
        parse_document(path, bytes, diags)?
    };
    let version = check_version(path, &value, diags)?;
    {
        let _s = tracing::debug_span!("check_refs").entered();
        if !check_refs(path, &value, diags) {
            return None;
        }
    }
    if version == OpenApiVersion::V3_1 {
        let _s = tracing::debug_span!("read_3_1_as_3_0").entered();
        if !oas31::normalize(path, &mut value, diags) {
            return None;
        }
    }
    // The document, not its spelling: JSON or YAML, comments, layout, and a 3.1 document in its
    // 3.0 form all hash alike, so only a change of meaning changes the generated header (a
    // reformatted SDD leaves `generate --check` clean; a 3.1 rendition generates the very bytes
    // of its 3.0 source). Taken before the quirk fixes, which are ours, not the SDD's.
    let sha256 = document_sha256(&value);
    {
        let _s = tracing::debug_span!("normalize_quirks").entered();
        quirks::normalize(path, &mut value, diags);
    }
    let openapi = {
        let _s = tracing::debug_span!("parse_openapi").entered();
        parse_typed(path, &value, diags)?
    };
    Some(ParsedSdd {
        sha256,
        value,
        openapi,
    })
}

/// Hex SHA-256 of the document's compact JSON (members in document order).
fn document_sha256(value: &Value) -> String {
    let mut hasher = Sha256::new();
    // Writing a `Value` to a hasher cannot fail: it has no non-string keys and no I/O.
    if serde_json::to_writer(HashWriter(&mut hasher), value).is_err() {
        tracing::warn!("the SDD could not be serialized for its hash");
    }
    hex::encode(hasher.finalize())
}

/// `io::Write` into a SHA-256 state, so the document is hashed without a copy.
struct HashWriter<'a>(&'a mut Sha256);

impl std::io::Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn looks_like_json(path: &Path, bytes: &[u8]) -> bool {
    match path.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("json") => true,
        Some(e) if e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml") => false,
        _ => {
            let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            text.iter()
                .find(|b| !b.is_ascii_whitespace())
                .is_some_and(|b| *b == b'{')
        }
    }
}

/// Parses JSON or YAML into a JSON value (YAML quirks such as integer keys are fixed here, with warnings).
pub fn parse_document(path: &Path, bytes: &[u8], diags: &mut Diagnostics) -> Option<Value> {
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if looks_like_json(path, text) {
        match serde_json::from_slice::<Value>(text) {
            Ok(v) => Some(v),
            Err(e) => {
                diags.push(
                    Diagnostic::new(
                        codes::SDD_SYNTAX,
                        format!("the SDD is not valid JSON: {e}"),
                        Location::line_col(path, e.line(), e.column()),
                    )
                    .with_help(
                        "fix the JSON syntax (or give the file a .yaml extension if it is YAML)",
                    ),
                );
                None
            }
        }
    } else {
        let yaml: serde_yaml::Value = match serde_yaml::from_slice(text) {
            Ok(v) => v,
            Err(e) => {
                let location = match e.location() {
                    Some(l) => Location::line_col(path, l.line(), l.column()),
                    None => Location::file(path),
                };
                diags.push(
                    Diagnostic::new(
                        codes::SDD_SYNTAX,
                        format!("the SDD is not valid YAML: {e}"),
                        location,
                    )
                    .with_help("fix the YAML syntax"),
                );
                return None;
            }
        };
        let mut errors = 0;
        let value = yaml_to_json(path, yaml, &mut String::new(), diags, &mut errors);
        (errors == 0).then_some(value)
    }
}

/// Converts a YAML value to JSON. Non-string mapping keys (YAML reads `200:` as an integer) become
/// strings with a warning; values JSON cannot hold (NaN, infinities) are errors.
fn yaml_to_json(
    path: &Path,
    yaml: serde_yaml::Value,
    pointer: &mut String,
    diags: &mut Diagnostics,
    errors: &mut usize,
) -> Value {
    use serde_yaml::Value as Y;
    match yaml {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                match serde_json::Number::from_f64(f) {
                    Some(num) => Value::Number(num),
                    None => {
                        *errors += 1;
                        diags.push(
                            Diagnostic::new(
                                codes::SDD_SYNTAX,
                                format!("number `{n}` cannot be represented in JSON"),
                                Location::pointer(path, pointer.clone()),
                            )
                            .with_help("quote the value or use a finite number"),
                        );
                        Value::Null
                    }
                }
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(i, item)| {
                    let len = pointer.len();
                    pointer.push_str(&format!("/{i}"));
                    let v = yaml_to_json(path, item, pointer, diags, errors);
                    pointer.truncate(len);
                    v
                })
                .collect(),
        ),
        Y::Mapping(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                let key = match k {
                    Y::String(s) => s,
                    Y::Number(n) => {
                        let key = n.to_string();
                        diags.push(
                            Diagnostic::new(
                                codes::YAML_NUMBER_KEY,
                                format!("YAML mapping key `{key}` is a number, not a string"),
                                Location::pointer(path, format!("{pointer}/{key}")),
                            )
                            .with_help(format!(
                                "tolerated: the key is read as the string \"{key}\"; quote it (`'{key}':`) to silence this warning"
                            )),
                        );
                        key
                    }
                    Y::Bool(b) => {
                        let key = b.to_string();
                        diags.push(
                            Diagnostic::new(
                                codes::YAML_NUMBER_KEY,
                                format!("YAML mapping key `{key}` is a boolean, not a string"),
                                Location::pointer(path, format!("{pointer}/{key}")),
                            )
                            .with_help(format!(
                                "tolerated: the key is read as the string \"{key}\"; quote it to silence this warning"
                            )),
                        );
                        key
                    }
                    other => {
                        *errors += 1;
                        diags.push(
                            Diagnostic::new(
                                codes::SDD_SYNTAX,
                                format!(
                                    "unsupported YAML mapping key `{other:?}`: keys must be strings"
                                ),
                                Location::pointer(path, pointer.clone()),
                            )
                            .with_help("use plain string keys"),
                        );
                        continue;
                    }
                };
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&escape_pointer_token(&key));
                let v = yaml_to_json(path, v, pointer, diags, errors);
                pointer.truncate(len);
                out.insert(key, v);
            }
            Value::Object(out)
        }
        Y::Tagged(tagged) => yaml_to_json(path, tagged.value, pointer, diags, errors),
    }
}

/// The OpenAPI versions read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenApiVersion {
    /// `openapi: 3.0.x`, read as is.
    V3_0,
    /// `openapi: 3.1.x`, rewritten into its 3.0 equivalent first (`oas31.rs`).
    V3_1,
}

/// The OpenAPI version gate: 3.0.x and 3.1.x pass; Swagger 2.0 (also a Swagger 2.0 body under a
/// 3.x header) and anything else are refused.
pub fn check_version(
    path: &Path,
    value: &Value,
    diags: &mut Diagnostics,
) -> Option<OpenApiVersion> {
    let Some(root) = value.as_object() else {
        diags.push(
            Diagnostic::new(
                codes::SDD_NOT_A_MAPPING,
                "the SDD is not an OpenAPI document: its top level is not a mapping",
                Location::pointer(path, ""),
            )
            .with_help("point at an OpenAPI 3.0 JSON or YAML file"),
        );
        return None;
    };
    let as_text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if let Some(v) = root.get("swagger") {
        let found = as_text(v);
        diags.push(
            Diagnostic::new(
                codes::SWAGGER_2,
                format!("unsupported OpenAPI version: this is a Swagger {found} document (`swagger: {found}`); ims-codegen reads OpenAPI 3.0.x and 3.1.x"),
                Location::pointer(path, "/swagger"),
            )
            .with_help("convert it to OpenAPI 3.0 first (for example with swagger2openapi or the Swagger Editor's converter), or use the spec's published OpenAPI 3.0 file"),
        );
        return None;
    }
    let Some(v) = root.get("openapi") else {
        diags.push(
            Diagnostic::new(
                codes::OPENAPI_VERSION_UNSUPPORTED,
                "the SDD has no `openapi` version field",
                Location::pointer(path, ""),
            )
            .with_help("an OpenAPI document starts with `openapi: 3.0.x` or `openapi: 3.1.x`"),
        );
        return None;
    };
    let found = as_text(v);
    let mut parts = found.split('.');
    let version = match (parts.next(), parts.next()) {
        (Some("3"), Some("0")) => OpenApiVersion::V3_0,
        (Some("3"), Some("1")) => OpenApiVersion::V3_1,
        _ => {
            diags.push(
                Diagnostic::new(
                    codes::OPENAPI_VERSION_UNSUPPORTED,
                    format!(
                        "unsupported OpenAPI version `{found}`; ims-codegen reads OpenAPI 3.0.x and 3.1.x"
                    ),
                    Location::pointer(path, "/openapi"),
                )
                .with_help("use an OpenAPI 3.0 or 3.1 document"),
            );
            return None;
        }
    };
    if !v.is_string() {
        diags.push(
            Diagnostic::new(
                codes::YAML_NUMBER_KEY,
                format!("`openapi: {found}` is a number, not a string"),
                Location::pointer(path, "/openapi"),
            )
            .with_help("tolerated: read as the string; quote the version"),
        );
    }
    swagger2_body::check(path, value, &found, diags)?;
    Some(version)
}

/// Checks every `$ref` of the document before typed parsing; reports all dangling or non-local
/// references at once. Returns whether all are fine.
pub fn check_refs(path: &Path, value: &Value, diags: &mut Diagnostics) -> bool {
    let mut bad = Vec::new();
    walk_refs(value, &mut String::new(), &mut |pointer, reference| {
        if let Some(target) = reference.strip_prefix('#') {
            let decoded = percent_decode(target);
            if value.pointer(&decoded).is_none() {
                bad.push(
                    Diagnostic::new(
                        codes::REF_DANGLING,
                        format!("dangling $ref `{reference}`: nothing at `{decoded}` in this document"),
                        Location::pointer(path, pointer),
                    )
                    .with_help(if decoded.starts_with("/definitions/") {
                        "`#/definitions/` is Swagger 2.0 syntax: OpenAPI 3.0 keeps schemas under `#/components/schemas/`".to_string()
                    } else {
                        "define the target or correct the reference".to_string()
                    }),
                );
            }
        } else {
            bad.push(
                Diagnostic::new(
                    codes::REF_UNSUPPORTED,
                    format!("unsupported $ref `{reference}`: only references inside the same document (`#/…`) are supported"),
                    Location::pointer(path, pointer),
                )
                .with_help("bundle the external file into `components` (for example with `redocly bundle`)"),
            );
        }
    });
    let ok = bad.is_empty();
    diags.extend(bad);
    ok
}

fn walk_refs(value: &Value, pointer: &mut String, f: &mut impl FnMut(&str, &str)) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                f(pointer, r);
            }
            for (k, v) in map {
                // Examples and constants are data, not schema: a `$ref` key inside one is just a
                // property name. An `examples` array is the 3.1 schema keyword (data); an
                // `examples` map (media types, parameters) holds Example objects, which may be
                // references.
                if k == "example" || k == "const" || (k == "examples" && v.is_array()) {
                    continue;
                }
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&escape_pointer_token(k));
                walk_refs(v, pointer, f);
                pointer.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push_str(&format!("/{i}"));
                walk_refs(v, pointer, f);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Deserializes the normalized value into `openapiv3::OpenAPI`, reporting the JSON pointer of a failure.
fn parse_typed(path: &Path, value: &Value, diags: &mut Diagnostics) -> Option<openapiv3::OpenAPI> {
    match serde_path_to_error::deserialize::<_, openapiv3::OpenAPI>(value) {
        Ok(o) => Some(o),
        Err(e) => {
            // openapiv3 uses untagged enums and flattening, which hide the inner path from
            // serde_path_to_error; re-parse the parts one by one to find the deepest failing node.
            let (pointer, message) =
                narrow(value).unwrap_or_else(|| (path_to_pointer(e.path()), e.inner().to_string()));
            diags.push(
                Diagnostic::new(
                    codes::OPENAPI_SCHEMA_MISMATCH,
                    format!("the SDD does not match the OpenAPI 3.0 schema: {message}"),
                    Location::pointer(path, pointer),
                )
                .with_help("fix this node so it follows the OpenAPI 3.0 specification"),
            );
            None
        }
    }
}

type Failure = (String, String);

fn try_as<T: serde::de::DeserializeOwned>(value: &Value, pointer: &str) -> Option<Failure> {
    match serde_path_to_error::deserialize::<_, T>(value) {
        Ok(_) => None,
        Err(e) => Some((
            format!("{pointer}{}", path_to_pointer(e.path())),
            e.inner().to_string(),
        )),
    }
}

/// Like [`try_as`] for a `ReferenceOr<T>` position: an inline item is parsed as `T` itself, so the
/// untagged `ReferenceOr` does not hide the inner path.
fn try_ref<T: serde::de::DeserializeOwned>(value: &Value, pointer: &str) -> Option<Failure> {
    if value.get("$ref").is_some() {
        try_as::<openapiv3::ReferenceOr<T>>(value, pointer)
    } else {
        try_as::<T>(value, pointer)
    }
}

fn child(pointer: &str, token: &str) -> String {
    format!("{pointer}/{}", escape_pointer_token(token))
}

/// Finds the deepest known node (path item, operation, parameter, response, request body,
/// component) that fails to parse on its own.
fn narrow(doc: &Value) -> Option<Failure> {
    use openapiv3::{
        Header, Operation, Parameter, PathItem, RequestBody, Response, Schema, SecurityScheme,
    };
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (template, item) in paths {
            let item_ptr = child("/paths", template);
            let Some(found) = try_as::<PathItem>(item, &item_ptr) else {
                continue;
            };
            let Some(item) = item.as_object() else {
                return Some(found);
            };
            for (key, op) in item {
                let op_ptr = child(&item_ptr, key);
                if key == "parameters" {
                    for (i, p) in op.as_array().into_iter().flatten().enumerate() {
                        if let Some(f) = try_ref::<Parameter>(p, &format!("{op_ptr}/{i}")) {
                            return Some(f);
                        }
                    }
                    continue;
                }
                let Some(op_found) = try_as::<Operation>(op, &op_ptr) else {
                    continue;
                };
                for (i, p) in op
                    .get("parameters")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    if let Some(f) = try_ref::<Parameter>(p, &format!("{op_ptr}/parameters/{i}")) {
                        return Some(f);
                    }
                }
                if let Some(body) = op.get("requestBody")
                    && let Some(f) = try_ref::<RequestBody>(body, &child(&op_ptr, "requestBody"))
                {
                    return Some(f);
                }
                for (status, r) in op
                    .get("responses")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                {
                    let r_ptr = child(&child(&op_ptr, "responses"), status);
                    if let Some(f) = try_ref::<Response>(r, &r_ptr) {
                        return Some(f);
                    }
                }
                return Some(op_found);
            }
            return Some(found);
        }
    }
    let components = doc.get("components")?;
    let section = |name: &'static str| {
        components
            .get(name)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(move |(k, v)| (child(&child("/components", name), k), v))
    };
    for (ptr, v) in section("schemas") {
        if let Some(f) = try_ref::<Schema>(v, &ptr) {
            return Some(f);
        }
    }
    for (ptr, v) in section("parameters") {
        if let Some(f) = try_ref::<Parameter>(v, &ptr) {
            return Some(f);
        }
    }
    for (ptr, v) in section("responses") {
        if let Some(f) = try_ref::<Response>(v, &ptr) {
            return Some(f);
        }
    }
    for (ptr, v) in section("requestBodies") {
        if let Some(f) = try_ref::<RequestBody>(v, &ptr) {
            return Some(f);
        }
    }
    for (ptr, v) in section("headers") {
        if let Some(f) = try_ref::<Header>(v, &ptr) {
            return Some(f);
        }
    }
    for (ptr, v) in section("securitySchemes") {
        if let Some(f) = try_ref::<SecurityScheme>(v, &ptr) {
            return Some(f);
        }
    }
    None
}

fn path_to_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => out.push_str(&format!("/{index}")),
            Segment::Map { key } => {
                out.push('/');
                out.push_str(&escape_pointer_token(key));
            }
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diags_of(text: &str, name: &str) -> (Option<Value>, Diagnostics) {
        let mut d = Diagnostics::new();
        let path = Path::new(name);
        let v = parse_document(path, text.as_bytes(), &mut d);
        (v, d)
    }

    #[test]
    fn yaml_integer_response_codes_become_strings_with_a_warning() {
        let (v, d) = diags_of("responses:\n  200:\n    description: ok\n", "x.yaml");
        let v = v.unwrap();
        assert!(v.pointer("/responses/200/description").is_some());
        assert_eq!(d.warning_count(), 1);
        assert_eq!(d.iter().next().unwrap().code, "IMS0110");
    }

    #[test]
    fn swagger_2_is_refused_naming_the_version() {
        let mut d = Diagnostics::new();
        let v = serde_json::json!({"swagger": "2.0"});
        assert!(check_version(Path::new("a.json"), &v, &mut d).is_none());
        let msg = d.iter().next().unwrap().to_string();
        assert!(msg.contains("Swagger 2.0"), "{msg}");
        assert!(msg.contains("convert"), "{msg}");
    }

    #[test]
    fn openapi_3_2_is_refused_naming_the_version() {
        let mut d = Diagnostics::new();
        let v = serde_json::json!({"openapi": "3.2.0"});
        assert!(check_version(Path::new("a.json"), &v, &mut d).is_none());
        let msg = d.iter().next().unwrap().to_string();
        assert!(msg.contains("3.2.0") && msg.contains("IMS0103"), "{msg}");
    }

    #[test]
    fn openapi_3_0_and_3_1_pass_the_gate() {
        let mut d = Diagnostics::new();
        for (declared, version) in [
            ("3.0.3", OpenApiVersion::V3_0),
            ("3.1.0", OpenApiVersion::V3_1),
            ("3.1.1", OpenApiVersion::V3_1),
        ] {
            let v = serde_json::json!({ "openapi": declared });
            assert_eq!(
                check_version(Path::new("a.json"), &v, &mut d),
                Some(version)
            );
        }
        assert!(d.is_empty());
    }

    #[test]
    fn all_dangling_refs_are_reported_at_once_with_pointers() {
        let mut d = Diagnostics::new();
        let v = serde_json::json!({
            "components": {"schemas": {"A": {"type": "string"}}},
            "x": {"$ref": "#/components/schemas/A"},
            "y": [{"$ref": "#/definitions/B"}, {"$ref": "#/components/schemas/C"}],
            "z": {"$ref": "other.json#/A"}
        });
        assert!(!check_refs(Path::new("a.json"), &v, &mut d));
        let all: Vec<_> = d.iter().collect();
        assert_eq!(all.len(), 3);
        assert_eq!(all[0].location, Location::pointer("a.json", "/y/0"));
        assert!(all[0].help.as_deref().unwrap().contains("Swagger 2.0"));
        assert_eq!(all[2].code, "IMS0201");
    }

    #[test]
    fn refs_inside_examples_and_const_are_data() {
        let mut d = Diagnostics::new();
        let v = serde_json::json!({
            "a": {"examples": [{"$ref": "#/nowhere"}], "const": {"$ref": "#/nowhere"}},
            "b": {"examples": {"one": {"$ref": "#/nowhere"}}}
        });
        assert!(!check_refs(Path::new("a.json"), &v, &mut d));
        let all: Vec<_> = d.iter().collect();
        assert_eq!(all.len(), 1, "{d}");
        assert_eq!(
            all[0].location,
            Location::pointer("a.json", "/b/examples/one")
        );
    }

    #[test]
    fn typed_parse_failure_names_the_pointer() {
        let mut d = Diagnostics::new();
        let v = serde_json::json!({
            "openapi": "3.0.0", "info": {"title": "t", "version": "1"},
            "paths": {"/a": {"get": {"responses": {"200": {"description": 5}}}}}
        });
        assert!(parse_typed(Path::new("a.json"), &v, &mut d).is_none());
        let loc = &d.iter().next().unwrap().location;
        assert_eq!(
            loc,
            &Location::pointer("a.json", "/paths/~1a/get/responses/200/description")
        );
    }

    #[test]
    fn invalid_json_reports_line_and_column() {
        let (v, d) = diags_of("{\n  \"a\": ,\n}", "x.json");
        assert!(v.is_none());
        assert!(matches!(
            d.iter().next().unwrap().location,
            Location::LineCol { line: 2, .. }
        ));
    }
}

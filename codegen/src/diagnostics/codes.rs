//! The registry of diagnostic codes: every code the generator can report, with its severity and
//! what it means.
//!
//! A call site names a constant of this module (`Diagnostic::new(codes::SERVERS_IGNORED, …)`), so
//! the severity comes from here and cannot differ between two uses of one code. The table in
//! `codegen/README.md` ("Diagnostic codes") is this registry written out; a unit test keeps the two
//! equal.
//!
//! Ranges: `IMS00xx` spec model, `IMS01xx` reading the SDD (syntax, version gate, tolerated quirks,
//! OpenAPI schema), `IMS02xx` `$ref`s, `IMS03xx` schemas → types, `IMS04xx` operations, parameters,
//! bodies, responses, `IMS05xx` security and scopes, `IMS06xx` emission (internal errors), `IMS07xx`
//! what the typed client can only express loosely, `IMS09xx` the run as a whole.

use std::fmt;

use super::Severity;

/// One diagnostic code: its stable id, the severity of every diagnostic that carries it, and what
/// it means. Only this module makes them, so every code is in [`ALL`]. A reference to its registry
/// entry, so a [`super::Diagnostic`] stays small.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Code(&'static Entry);

/// What the registry says about one code.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Entry {
    id: &'static str,
    severity: Severity,
    meaning: &'static str,
}

impl Code {
    /// The stable id printed in brackets, e.g. `IMS0446`.
    pub fn id(&self) -> &'static str {
        self.0.id
    }

    /// How serious every diagnostic with this code is.
    pub fn severity(&self) -> Severity {
        self.0.severity
    }

    /// What the code means, in one line (the wording of the README table).
    pub fn meaning(&self) -> &'static str {
        self.0.meaning
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A code equals its id, so tests and tools can match diagnostics against `"IMS0446"`.
impl PartialEq<str> for Code {
    fn eq(&self, other: &str) -> bool {
        self.id() == other
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.id() == *other
    }
}

/// Declares each code as a constant documented by its meaning, and [`ALL`] listing them in order.
macro_rules! registry {
    ($($name:ident = $id:literal, $severity:ident, $meaning:literal;)*) => {
        $(
            #[doc = concat!("`", $id, "` (", stringify!($severity), "): ", $meaning)]
            pub const $name: Code = Code(&Entry {
                id: $id,
                severity: Severity::$severity,
                meaning: $meaning,
            });
        )*

        /// Every code, in id order.
        pub const ALL: &[Code] = &[$($name),*];
    };
}

registry! {
    // IMS00xx: the spec model (`model.yaml`).
    INPUT_UNREADABLE = "IMS0001", Error, "an input file (model or SDD) cannot be read";
    MODEL_INVALID = "IMS0010", Error, "the model does not match the model schema (spec-models/README.md)";
    MODULE_NAME_INVALID = "IMS0011", Error, "the module name is not a snake_case Rust identifier";
    MODEL_SDD_NOT_FOUND = "IMS0012", Error, "the SDD file the model names does not exist";
    MODEL_IMPLIES_UNKNOWN = "IMS0013", Error, "an `implies` entry names a scope the SDD does not mention";
    MODEL_IMPLIES_AMBIGUOUS = "IMS0014", Error, "an `implies` short name matches several scopes";
    MODEL_PATH_NOT_ABSOLUTE = "IMS0015", Error, "`base_path` or `discovery` is not an absolute URL path";
    // IMS01xx: reading the SDD.
    SDD_SYNTAX = "IMS0100", Error, "the SDD is not valid JSON or YAML";
    OPENAPI_3_1 = "IMS0101", Note, "an OpenAPI 3.1 document is read as its OpenAPI 3.0 equivalent, which discovery serves";
    SWAGGER_2 = "IMS0102", Error, "the SDD is a Swagger 2.0 document; ims-codegen reads OpenAPI 3.0.x and 3.1.x";
    OPENAPI_VERSION_UNSUPPORTED = "IMS0103", Error, "the SDD's `openapi` version is missing or neither 3.0.x nor 3.1.x";
    SDD_NOT_A_MAPPING = "IMS0104", Error, "the SDD's top level is not a mapping";
    SWAGGER_2_BODY = "IMS0105", Error, "the SDD declares OpenAPI 3.x but its body is Swagger 2.0 (`definitions`, response `schema`, …)";
    JSON_SCHEMA_DIALECT_UNSUPPORTED = "IMS0106", Error, "`jsonSchemaDialect` names a dialect other than the OpenAPI 3.1 default";
    YAML_NUMBER_KEY = "IMS0110", Warning, "a YAML mapping key is a number (e.g. `200:`); it is read as a string";
    STRING_ENUM_NON_STRING = "IMS0111", Warning, "non-string values in the `enum` of a `type: string` schema are read as strings";
    SWAGGER_2_STYLE_SCHEMA = "IMS0112", Warning, "a header or parameter has `type`/`format` directly on it; moved into `schema`";
    NO_SCHEMA_NOR_CONTENT = "IMS0113", Warning, "a header or parameter has neither `schema` nor `content`; treated as a string";
    NUMERIC_EXCLUSIVE_BOUND = "IMS0114", Warning, "a numeric `exclusiveMinimum`/`exclusiveMaximum` (OpenAPI 3.1 style) is read as the 3.0 form";
    OPENAPI_SCHEMA_MISMATCH = "IMS0120", Error, "the SDD does not match the OpenAPI 3.0 schema";
    WEBHOOKS_IGNORED = "IMS0130", Warning, "an OpenAPI 3.1 webhook is not generated (kept as `x-webhooks` in the served SDD)";
    TYPE_ARRAY_UNSUPPORTED = "IMS0131", Error, "a `type` array with several non-null types, or only `null`, has no OpenAPI 3.0 form";
    JSON_SCHEMA_KEYWORD_IGNORED = "IMS0132", Warning, "a JSON Schema 2020-12 keyword with no OpenAPI 3.0 equivalent is not generated";
    REF_SIBLINGS_IGNORED = "IMS0133", Warning, "`summary`/`description` beside a `$ref` to a non-schema component are not used in generated docs";
    CONST_OUTSIDE_ENUM = "IMS0134", Error, "a `const` that its schema's `enum` does not allow";
    OPENAPI_3_0_KEYWORD_IN_3_1 = "IMS0135", Warning, "an OpenAPI 3.1 schema uses a 3.0-only form (`nullable`, a boolean `exclusiveMinimum`); read with its 3.0 meaning";
    // IMS02xx: `$ref`s.
    REF_UNSUPPORTED = "IMS0201", Error, "a `$ref` that is not `#/components/<kind>/<name>`";
    REF_DANGLING = "IMS0202", Error, "a `$ref` to a component that does not exist";
    REF_CYCLE = "IMS0203", Error, "a `$ref` that refers back to itself through other references";
    // IMS03xx: schemas → types.
    SCHEMA_NOT = "IMS0301", Error, "a `not` schema, which has no Rust type";
    ALL_OF_UNMERGEABLE = "IMS0302", Error, "an `allOf` whose parts cannot be merged into one struct";
    TYPE_NAME_COLLISION = "IMS0303", Warning, "two schemas map to the same Rust name; the later one gets a suffix";
    ENUM_VALUE_NOT_STRING = "IMS0304", Error, "an enum value that is not a string";
    PATTERN_UNSUPPORTED = "IMS0305", Warning, "a `pattern` the `regex` crate cannot compile; kept as documentation, not enforced";
    SCHEMA_TYPE_UNKNOWN = "IMS0306", Error, "an unknown schema `type`";
    EXT_PATTERN_NOT_IMS = "IMS0307", Warning, "an extensible enumeration whose `ext:` pattern differs from the IMS one";
    // IMS04xx: operations, parameters, bodies, responses.
    PARAM_DUPLICATE = "IMS0401", Error, "a parameter declared twice in one parameter list";
    HEADER_PARAM_IGNORED = "IMS0402", Warning, "an `Accept`, `Content-Type` or `Authorization` header parameter is ignored";
    PATH_VARIABLE_WITHOUT_PARAM = "IMS0403", Error, "a path template variable without a path parameter";
    PATH_PARAM_NOT_IN_TEMPLATE = "IMS0404", Error, "a path parameter that does not appear in the path template";
    PARAM_ENCODING_UNSUPPORTED = "IMS0405", Error, "a parameter encoding that is not supported (object, deepObject, matrix, label, non-JSON content)";
    ALLOW_RESERVED_IGNORED = "IMS0406", Warning, "`allowReserved` is not supported: reserved characters are percent-encoded";
    ALLOW_EMPTY_VALUE_IGNORED = "IMS0407", Warning, "`allowEmptyValue` is not supported: an empty value is an empty string";
    ARRAY_STYLE_ON_SCALAR = "IMS0408", Warning, "an array `style` on a scalar parameter; the value is sent as is";
    PATH_PARAM_NOT_REQUIRED = "IMS0409", Warning, "a path parameter not marked `required: true`; treated as required";
    MULTIPART_AS_BYTES = "IMS0420", Warning, "a multipart payload is passed as raw bytes";
    ENCODING_IGNORED = "IMS0421", Warning, "the `encoding` of a media type is not supported and is ignored";
    BODY_WITHOUT_MEDIA_TYPE = "IMS0422", Error, "a request body that declares no media type";
    STATUS_INVALID = "IMS0430", Error, "a response key that is not an HTTP status or status range";
    NO_RESPONSES = "IMS0431", Warning, "an operation declares no response; any status is accepted without a typed body";
    CONTENT_TYPE_HEADER_IGNORED = "IMS0432", Warning, "a `Content-Type` response header definition is ignored";
    HEADER_CONTENT_NOT_ONE = "IMS0433", Error, "a response header whose `content` has other than one media type";
    PATH_ITEM_REF = "IMS0440", Error, "a path item `$ref`, which is not supported";
    PATH_TEMPLATE_INVALID = "IMS0441", Error, "an invalid path template";
    PATHS_DIFFER_IN_VARIABLES = "IMS0442", Error, "two paths differ only in path variable names; a router cannot tell them apart";
    OPERATION_ID_DUPLICATE = "IMS0443", Error, "an `operationId` used twice";
    OPERATION_ID_DERIVED = "IMS0444", Note, "an operation without `operationId`; its name is derived from method and path";
    CALLBACKS_IGNORED = "IMS0445", Warning, "callbacks are not generated";
    SERVERS_IGNORED = "IMS0446", Warning, "per-path and per-operation `servers` are ignored";
    OPERATION_NAME_TAKEN = "IMS0447", Warning, "an operation's Rust name is taken by another operation; it gets a suffix";
    DISCOVERY_PATH_UNDER_BASE = "IMS0448", Warning, "the model's discovery path starts with the base path, which is stripped";
    DISCOVERY_SECURITY_IGNORED = "IMS0449", Warning, "the discovery endpoint requires scopes in the SDD; discovery is always public";
    NO_BASE_PATH = "IMS0450", Warning, "neither SDD `servers` nor model `base_path`: operations are mounted at the root";
    SERVER_VARIABLE_UNDEFINED = "IMS0451", Warning, "a server URL variable that is not defined; left out of the base path";
    DISCOVERY_PATH_WITHOUT_GET = "IMS0452", Error, "the discovery path is an SDD path without a GET operation";
    FIELDS_FORCED_COMMA_SEPARATED = "IMS0460", Warning, "exploded `fields` parameters are sent and parsed comma-separated, as the binding means";
    LINKS_IGNORED = "IMS0461", Note, "OpenAPI response `links` are documentation only and are not generated";
    SDD_NOT_SERIALIZABLE = "IMS0470", Error, "the SDD cannot be serialized as JSON for the discovery endpoint";
    PATH_NOT_MOUNTABLE = "IMS0480", Warning, "the generated server cannot mount a path; its operations are left out of `server`";
    // IMS05xx: security and scopes.
    PATTERN_WITHOUT_FLOW = "IMS0501", Warning, "the model's security pattern needs an OAuth 2 flow the SDD does not declare";
    REGISTRATION_URL_NOT_STRING = "IMS0502", Warning, "`x-imssf-registrationUrl` is not a string URL; it is ignored";
    FLOW_NOT_IN_FRAMEWORK = "IMS0503", Warning, "an OAuth 2 flow outside the IMS Security Framework (implicit, password) is not generated";
    SCHEME_WITHOUT_FLOW = "IMS0504", Warning, "an OAuth 2 scheme declares no flow: no token URL for it";
    REFRESH_URLS_DIFFER = "IMS0505", Warning, "flows declare different refresh URLs; the first one is used";
    REQUIREMENT_TOO_LARGE = "IMS0510", Error, "a security requirement expands to too many scope alternatives";
    EMPTY_REQUIREMENT = "IMS0511", Warning, "the SDD allows anonymous calls (`{}`) but the model does not make the operation public; it is generated secured";
    REQUIREMENT_SCHEME_UNKNOWN = "IMS0512", Error, "a security requirement names an unknown security scheme";
    SCOPE_NOT_DECLARED = "IMS0513", Warning, "a required scope is not declared by the flows of its security scheme";
    SCOPES_ON_NON_OAUTH_SCHEME = "IMS0514", Warning, "scopes listed for a scheme that is not OAuth 2 or OpenID Connect are ignored";
    REQUIREMENT_SCOPES_AS_ALTERNATIVES = "IMS0515", Note, "several scopes of one requirement object are alternatives by default (`same_requirement_scopes` not set)";
    PUBLIC_OPERATION_SECURED = "IMS0516", Error, "the model makes public an operation whose SDD security does not allow anonymous calls";
    PUBLIC_OPERATION_UNKNOWN = "IMS0517", Error, "`security.public.operations` names no operation of the SDD, or is a keyword other than `all`";
    PUBLIC_REASON_MISSING = "IMS0518", Error, "the model makes operations public without saying why (`security.public.reason`)";
    MODEL_SCOPE_UNUSED = "IMS0520", Warning, "a model scope neither declared nor required by the SDD; kept in the catalogue";
    SCOPE_IMPLIES_ITSELF = "IMS0521", Warning, "a scope lists itself in `implies`; ignored";
    IMPLIES_UNRESOLVED = "IMS0522", Error, "an `implies` entry matches no scope, or several, of the service's catalogue";
    // IMS06xx: emission; each is a bug in ims-codegen.
    GENERATED_NOT_RUST = "IMS0601", Error, "internal error: the generated code is not valid Rust";
    GENERATED_INNER_ATTRIBUTES = "IMS0602", Error, "internal error: the generated code has inner attributes, which `include!` cannot take";
    MODULE_TEMPLATE_FAILED = "IMS0603", Error, "internal error: rendering a service module template failed";
    SCOPE_NOT_IN_CATALOGUE = "IMS0604", Error, "internal error: a scope is used but missing from the scope catalogue";
    SERVICE_PART_FAILED = "IMS0605", Error, "internal error: rendering the server or client part of a module failed";
    MODELS_TEMPLATE_FAILED = "IMS0610", Error, "internal error: rendering the models template failed";
    // IMS07xx: what the typed client can only express loosely.
    CLIENT_RETURNS_JSON = "IMS0701", Warning, "a client method returns `serde_json::Value`: the 2xx responses carry different payloads";
    CLIENT_NO_RECORD_STREAM = "IMS0702", Warning, "a collection whose body is neither a one-array wrapper nor a struct of arrays gets no `_stream` client method";
    // IMS09xx: the run as a whole.
    MODULE_GENERATED_TWICE = "IMS0900", Error, "two inputs generate the same module";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_well_formed_and_in_order() {
        for pair in ALL.windows(2) {
            assert!(
                pair[0].id() < pair[1].id(),
                "{} before {}",
                pair[0],
                pair[1]
            );
        }
        for code in ALL {
            let digits = code.id().strip_prefix("IMS").unwrap_or_default();
            assert!(
                digits.len() == 4 && digits.bytes().all(|b| b.is_ascii_digit()),
                "{code}"
            );
            assert!(
                !code.meaning().is_empty() && !code.meaning().contains('\n'),
                "{code}"
            );
            assert!(
                !code.meaning().contains('|'),
                "{code}: `|` breaks the README table"
            );
        }
    }

    #[test]
    fn a_code_equals_its_id_and_prints_as_it() {
        assert!(SERVERS_IGNORED == "IMS0446");
        assert!(SERVERS_IGNORED != "IMS0445");
        assert_eq!(SERVERS_IGNORED.to_string(), "IMS0446");
        assert_eq!(SERVERS_IGNORED.severity(), Severity::Warning);
    }

    /// The README's table, row by row: `| IMS0446 | warning | meaning |`.
    fn readme_rows() -> Vec<String> {
        include_str!("../../README.md")
            .lines()
            .filter(|line| line.starts_with("| IMS"))
            .map(str::to_owned)
            .collect()
    }

    fn registry_rows() -> Vec<String> {
        ALL.iter()
            .map(|c| format!("| {} | {} | {} |", c.id(), c.severity(), c.meaning()))
            .collect()
    }

    #[test]
    fn readme_table_equals_the_registry() {
        let (readme, registry) = (readme_rows(), registry_rows());
        assert!(
            readme == registry,
            "codegen/README.md's diagnostic table differs from codegen/src/diagnostics/codes.rs; \
             replace its rows with:\n\n{}\n",
            registry.join("\n")
        );
    }
}

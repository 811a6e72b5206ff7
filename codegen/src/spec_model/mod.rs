//! The spec model (`spec-models/<id>/model.yaml`): what the SDD does not say.
//!
//! The schema is documented in `spec-models/README.md`. [`SpecModel::infer`] builds a model from an
//! SDD alone for `ims-codegen generate --sdd FILE`.

mod infer;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

/// Rust keywords (strict and reserved, all editions): not usable as a module name.
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "static", "struct", "super", "trait", "true", "try", "type", "typeof",
    "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Whether `name` can be a generated module (and file) name: a lower-case snake_case Rust
/// identifier (`[a-z_][a-z0-9_]*`, not `_` alone, not a keyword).
///
/// ```
/// use ims_codegen::spec_model::is_valid_module_name;
/// assert!(is_valid_module_name("oneroster_v1p2_rostering"));
/// assert!(!is_valid_module_name("one-roster"));
/// assert!(!is_valid_module_name("type"));
/// ```
pub fn is_valid_module_name(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    (first.is_ascii_lowercase() || first == '_')
        && name != "_"
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !KEYWORDS.contains(&name)
}

/// A parsed and validated `model.yaml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecModel {
    /// Spec family, e.g. `OneRoster`.
    pub spec: String,
    /// Service name, e.g. `Rostering`.
    pub service: String,
    /// Spec version, e.g. `"1.2"`.
    pub version: String,
    /// Rust module (and output file) name, e.g. `oneroster_v1p2_rostering`.
    pub module: String,
    /// Path of the SDD, relative to the model file (resolved to an absolute path after loading).
    pub sdd: PathBuf,
    /// Base path of the service; defaults to the path of the SDD's first `servers` URL.
    #[serde(default)]
    pub base_path: Option<String>,
    /// Discovery path relative to the base path.
    #[serde(default)]
    pub discovery: Option<String>,
    /// Security settings.
    #[serde(default)]
    pub security: SecurityModel,
    /// Scope catalogue: descriptions and implications, keyed by scope URI.
    #[serde(default)]
    pub scopes: BTreeMap<String, ScopeModel>,
    /// Conventions.
    #[serde(default)]
    pub conventions: ConventionsModel,
}

/// Security settings of a model.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SecurityModel {
    /// The pattern; inferred from the SDD's security schemes when absent.
    #[serde(default)]
    pub pattern: Option<SecurityPatternModel>,
    /// How several scopes inside one security-requirement object combine; `None` when the model
    /// does not say, which means [`SameRequirementScopes::Any`] (with a note where it matters).
    #[serde(default)]
    pub same_requirement_scopes: Option<SameRequirementScopes>,
    /// Operations served without a token although the SDD also describes a secured way to call
    /// them; `None`: every operation the SDD secures stays secured (the default).
    #[serde(default)]
    pub public: Option<PublicModel>,
}

/// `security.public`: which operations the generated server serves without a token, and why.
///
/// Only operations whose SDD security allows anonymous calls (an empty requirement `{}` among the
/// alternatives, the OpenAPI way of saying "authentication optional") can be made public; naming
/// one the SDD secures outright is an error, so a model never silently drops a scope.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicModel {
    /// `all`, or a list of `operationId`s (`[]`: the model chose to keep every one secured).
    pub operations: PublicOperations,
    /// Why the standard lets these operations be called without a token; written into the
    /// generated documentation of each of them. Required as soon as one operation is made public
    /// (IMS0518).
    #[serde(default)]
    pub reason: Option<String>,
}

/// Which operations `security.public` covers.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum PublicOperations {
    /// These `operationId`s.
    Listed(Vec<String>),
    /// A keyword; only `all` (every operation the SDD allows anonymous calls to) is valid, checked
    /// when the model is lowered against its SDD.
    Keyword(String),
}

/// The keyword of [`PublicOperations::Keyword`] that covers every operation.
pub const PUBLIC_ALL: &str = "all";

/// Security pattern names accepted in `model.yaml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SecurityPatternModel {
    /// OAuth 2 client credentials.
    ClientCredentials,
    /// Authorization code + PKCE.
    AuthorizationCode,
    /// LTI.
    Lti,
    /// None.
    None,
}

/// How several scopes in one requirement object combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum SameRequirementScopes {
    /// Any one suffices (the intent of the IMS bindings, e.g. OneRoster core vs full).
    #[default]
    Any,
    /// All are needed (plain OpenAPI semantics).
    All,
}

/// One scope entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ScopeModel {
    /// Our description (overrides the SDD's).
    #[serde(default)]
    pub description: Option<String>,
    /// Scopes implied by this one: full URIs, or names resolved against the service's scopes.
    #[serde(default)]
    pub implies: Vec<String>,
}

/// Conventions of a model.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConventionsModel {
    /// Error payloads.
    #[serde(default = "default_errors")]
    pub errors: ErrorsModel,
    /// Paging.
    #[serde(default = "default_paging")]
    pub paging: PagingModel,
    /// `fields` serialization.
    #[serde(default = "default_fields")]
    pub fields: FieldsModel,
    /// Where the generated client's URLs come from.
    #[serde(default)]
    pub urls: UrlsModel,
}

impl Default for ConventionsModel {
    fn default() -> Self {
        Self {
            errors: default_errors(),
            paging: default_paging(),
            fields: default_fields(),
            urls: UrlsModel::default(),
        }
    }
}

fn default_errors() -> ErrorsModel {
    ErrorsModel::Imsx
}
fn default_paging() -> PagingModel {
    PagingModel::LimitOffset
}
fn default_fields() -> FieldsModel {
    FieldsModel::CommaSeparated
}

/// Error convention names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorsModel {
    /// imsx_StatusInfo.
    Imsx,
    /// No error body.
    Plain,
}

/// Paging convention names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PagingModel {
    /// limit/offset.
    LimitOffset,
    /// limit/page (LTI).
    LimitPage,
    /// None.
    None,
}

/// Where the generated client's request URLs come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum UrlsModel {
    /// A base URL given once, plus `base_path` and each operation's path template.
    #[default]
    BaseUrl,
    /// Each call takes the full URL of its resource (LTI AGS/NRPS, whose URLs come in the
    /// launch claims and follow no template the tool knows).
    PerCall,
}

/// `fields` serialization names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FieldsModel {
    /// Always `fields=a,b`.
    CommaSeparated,
    /// As the SDD declares.
    AsDeclared,
}

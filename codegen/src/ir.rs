//! The intermediate representation between lowering and emission.
//!
//! Plain data: no `openapiv3` or `syn` types. Every name in here is already a valid, unique Rust
//! identifier and every list is in a deterministic order, so the templates stay free of logic.

use std::collections::BTreeMap;

/// One spec service (one OpenAPI file + its model): becomes one generated module.
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    /// Rust module name, e.g. `oneroster_v1p2_rostering` (also the output file stem).
    pub module: String,
    /// Spec family, e.g. `OneRoster`.
    pub spec: String,
    /// Service name, e.g. `Rostering`.
    pub service: String,
    /// Spec version, e.g. `1.2`.
    pub version: String,
    /// `info.title` of the SDD.
    pub title: String,
    /// `info.description` of the SDD, if any.
    pub description: Option<String>,
    /// Base path the operations are mounted under, e.g. `/ims/oneroster/rostering/v1p2`.
    pub base_path: String,
    /// The SDD as served by the discovery endpoint (compact JSON, normalized).
    pub sdd_json: String,
    /// Hex SHA-256 of the SDD file's bytes as read.
    pub sdd_sha256: String,
    /// File name of the SDD (no directories, so output does not depend on where the repository
    /// lives), e.g. `sdd.yaml`; named in the `@generated` header.
    pub sdd_file_name: String,
    /// Security schemes and the pattern.
    pub security: SecurityProfile,
    /// Scope catalogue, sorted by URI.
    pub scopes: Vec<ScopeDef>,
    /// All model types, sorted by Rust name.
    pub types: Vec<TypeDef>,
    /// All operations, sorted by (path, method).
    pub operations: Vec<Operation>,
    /// The discovery endpoint, if the service has one.
    pub discovery: Option<Discovery>,
    /// IMS conventions that shape servers and clients.
    pub conventions: Conventions,
    /// Names the server and client modules declare, decided in lower.
    pub api: ServiceApi,
}

/// The IMS conventions a service follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conventions {
    /// How errors are reported.
    pub errors: ErrorConvention,
    /// How collections are paged.
    pub paging: PagingConvention,
    /// Whether `fields` is a comma-separated list regardless of what the SDD declares.
    pub fields_comma_separated: bool,
    /// Whether the generated client takes each operation's full URL per call instead of a base
    /// URL (LTI AGS/NRPS: the URLs come from the launch claims; see [`OperationApi::per_call_url`]).
    pub per_call_urls: bool,
}

/// How errors are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorConvention {
    /// `imsx_StatusInfo` payloads.
    Imsx,
    /// No body schema for errors.
    Plain,
}

/// How collections are paged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PagingConvention {
    /// `limit` + `offset`, `X-Total-Count`, RFC 8288 `Link`.
    LimitOffset,
    /// `limit` + opaque `page`, `Link: rel="next"` (LTI AGS/NRPS).
    LimitPage,
    /// No paging.
    None,
}

/// The security pattern of the service (IMS Security Framework 1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecurityPattern {
    /// OAuth 2 client credentials.
    ClientCredentials,
    /// OAuth 2 authorization code + PKCE (+ dynamic registration).
    AuthorizationCode,
    /// LTI: OIDC launch + client credentials with a JWT client assertion.
    Lti,
    /// No OAuth security (TLS only).
    None,
}

/// Security schemes declared by the SDD and the pattern from the model.
#[derive(Debug, Clone, PartialEq)]
pub struct SecurityProfile {
    /// The pattern.
    pub pattern: SecurityPattern,
    /// Declared schemes, sorted by name.
    pub schemes: Vec<SecurityScheme>,
}

/// One `components.securitySchemes` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct SecurityScheme {
    /// The scheme's key in the SDD.
    pub name: String,
    /// What it is.
    pub kind: SecuritySchemeKind,
    /// Its description.
    pub description: Option<String>,
}

/// Kind of a security scheme.
#[derive(Debug, Clone, PartialEq)]
pub enum SecuritySchemeKind {
    /// OAuth 2 with its flows.
    OAuth2 {
        /// `flows.clientCredentials.tokenUrl`.
        client_credentials_token_url: Option<String>,
        /// `flows.authorizationCode.authorizationUrl`.
        authorization_url: Option<String>,
        /// `flows.authorizationCode.tokenUrl`.
        authorization_code_token_url: Option<String>,
        /// `refreshUrl` of any flow.
        refresh_url: Option<String>,
        /// `x-imssf-registrationUrl`.
        registration_url: Option<String>,
        /// Scopes declared by the flows, with their descriptions.
        scopes: BTreeMap<String, String>,
    },
    /// HTTP authentication (`bearer`, `basic`, ...).
    Http {
        /// The scheme.
        scheme: String,
        /// `bearerFormat`.
        bearer_format: Option<String>,
    },
    /// An API key.
    ApiKey {
        /// Header/query/cookie.
        location: String,
        /// Parameter name.
        name: String,
    },
    /// OpenID Connect discovery.
    OpenIdConnect {
        /// The discovery URL.
        url: String,
    },
}

/// One scope of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeDef {
    /// The scope URI as it appears in tokens.
    pub uri: String,
    /// Constant name, e.g. `ROSTER_CORE_READONLY`.
    pub const_name: String,
    /// Description.
    pub description: Option<String>,
    /// URIs of the scopes this one implies (a token with this scope also satisfies those).
    pub implies: Vec<String>,
}

/// A scope requirement: any one of the groups, where every scope inside a group is needed.
///
/// `any_of` empty means the operation needs no authorization.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScopeRequirement {
    /// OR across groups, AND inside a group. Sorted, deduplicated.
    pub any_of: Vec<Vec<String>>,
}

impl ScopeRequirement {
    /// Whether the operation is unauthenticated.
    pub fn is_public(&self) -> bool {
        self.any_of.is_empty()
    }
}

/// The discovery endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovery {
    /// Path relative to the base path (e.g. `/discovery/onerosterv1p2rostersservice_openapi3_v1p0.json`).
    pub path: String,
    /// The operation id in the SDD, if the SDD declares it as an operation.
    pub operation_id: Option<String>,
}

/// HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HttpMethod {
    /// GET
    Get,
    /// PUT
    Put,
    /// POST
    Post,
    /// DELETE
    Delete,
    /// OPTIONS
    Options,
    /// HEAD
    Head,
    /// PATCH
    Patch,
    /// TRACE
    Trace,
}

impl HttpMethod {
    /// Upper-case wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Put => "PUT",
            HttpMethod::Post => "POST",
            HttpMethod::Delete => "DELETE",
            HttpMethod::Options => "OPTIONS",
            HttpMethod::Head => "HEAD",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Trace => "TRACE",
        }
    }
}

/// One operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    /// `operationId` (or a derived id when the SDD has none).
    pub id: String,
    /// snake_case Rust function name.
    pub fn_name: String,
    /// UpperCamelCase name for per-operation types.
    pub type_name: String,
    /// SCREAMING_SNAKE_CASE name of the operation's constant in the generated `operations`
    /// catalogue, e.g. `GET_ALL_USERS` (unique; `ALL` is reserved for the list of every operation).
    pub const_name: String,
    /// Method.
    pub method: HttpMethod,
    /// Path template relative to the base path, e.g. `/orgs/{sourcedId}`.
    pub path: String,
    /// JSON pointer of the operation in the SDD.
    pub pointer: String,
    /// Summary.
    pub summary: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Deprecated.
    pub deprecated: bool,
    /// Tags.
    pub tags: Vec<String>,
    /// Parameters: path (in template order), then query, header, cookie (each sorted by wire name).
    pub params: Vec<Param>,
    /// Request body.
    pub request_body: Option<RequestBody>,
    /// Responses sorted by status (codes, then ranges, then `default`).
    pub responses: Vec<Response>,
    /// Scopes required.
    pub scopes: ScopeRequirement,
    /// Why the operation is public although its SDD also describes a secured way to call it: the
    /// model's `security.public.reason`, written into its generated docs. `None` when it is
    /// secured or the SDD itself leaves it public.
    pub public_reason: Option<String>,
    /// Whether this is the discovery operation (always unauthenticated).
    pub is_discovery: bool,
    /// What the server and client emitters render for this operation, decided in lower.
    pub api: OperationApi,
}

/// The IMS collection query parameters (OneRoster/CASE/Edu-API) that servers parse together
/// into `ims_runtime::query::CollectionQuery` and clients send from a `ListQuery`.
pub const COLLECTION_QUERY_PARAMS: [&str; 6] =
    ["filter", "sort", "orderBy", "fields", "limit", "offset"];

impl Operation {
    /// Whether this is an IMS collection operation: its query has both `limit` and `offset`.
    pub fn is_collection(&self) -> bool {
        let has = |name: &str| {
            self.params
                .iter()
                .any(|p| p.location == ParamLocation::Query && p.name == name)
        };
        has("limit") && has("offset")
    }

    /// Whether another parameter of the operation has `param`'s wire name (in another location),
    /// so generated code names the location too when it looks the parameter up in the catalogue.
    pub fn shares_wire_name(&self, param: &Param) -> bool {
        self.params.iter().filter(|p| p.name == param.name).count() > 1
    }

    /// Whether `param` is one of the IMS collection parameters of a collection operation
    /// (and so travels inside the `CollectionQuery` / `ListQuery`, not as its own argument).
    pub fn is_collection_param(&self, param: &Param) -> bool {
        param.location == ParamLocation::Query
            && COLLECTION_QUERY_PARAMS.contains(&param.name.as_str())
            && self.is_collection()
    }
}

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ParamLocation {
    /// Path template.
    Path,
    /// Query string.
    Query,
    /// Header.
    Header,
    /// Cookie.
    Cookie,
}

/// How a parameter value is serialized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamStyle {
    /// One scalar value.
    Scalar,
    /// An array as repeated `name=a&name=b` (form, explode).
    FormExploded,
    /// An array as `name=a,b` (form without explode, simple) — also forced for OneRoster `fields`.
    CommaSeparated,
    /// An array as `name=a b` (spaceDelimited).
    SpaceDelimited,
    /// An array as `name=a|b` (pipeDelimited).
    PipeDelimited,
    /// A JSON-encoded value (`content` with `application/json`).
    Json,
}

/// One parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// Name on the wire.
    pub name: String,
    /// snake_case Rust name (keyword-escaped, unique within the operation, never `ctx`, `query`
    /// or `body`): the argument name in the server trait and the client methods.
    pub rust_name: String,
    /// Where.
    pub location: ParamLocation,
    /// Whether required.
    pub required: bool,
    /// The value type (without the `Option` for optional parameters).
    pub ty: TypeRef,
    /// Serialization.
    pub style: ParamStyle,
    /// Description.
    pub description: Option<String>,
    /// Deprecated.
    pub deprecated: bool,
    /// Declared default.
    pub default: Option<serde_json::Value>,
    /// JSON pointer in the SDD.
    pub pointer: String,
    /// The declared constraints the generated server and client check.
    pub constraints: Constraints,
}

/// What kind of payload a media type carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    /// `application/json`, `application/ld+json`, `application/*+json`.
    Json,
    /// `text/plain` and other `text/*`.
    Text,
    /// `application/x-www-form-urlencoded`.
    Form,
    /// Anything else: raw bytes.
    Binary,
}

/// A payload with one media type.
#[derive(Debug, Clone, PartialEq)]
pub struct Content {
    /// The media type as written in the SDD.
    pub media_type: String,
    /// Its kind.
    pub kind: MediaKind,
    /// The body type, `None` when the SDD gives no schema.
    pub ty: Option<TypeRef>,
}

/// A request body.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestBody {
    /// Whether required.
    pub required: bool,
    /// Description.
    pub description: Option<String>,
    /// Accepted media types (sorted, JSON kinds first).
    pub contents: Vec<Content>,
    /// The typed enum both the server trait and the client take when a required body accepts
    /// several media types (e.g. an OB 3.0 credential as `application/json` or a compact JWS as
    /// `text/plain`): decided in lower, emitted in `models`. `None`: one media type is used.
    pub alternatives: Option<BodyAlternatives>,
    /// The one media type a required JSON body must be sent as, when it is a vendor type rather
    /// than `application/json` (LTI AGS `application/vnd.ims.lis.v1.score+json`): the server
    /// answers any other `Content-Type` with 415. `None`: any JSON media type is read.
    pub exact_media_type: Option<String>,
}

/// A request body offered in several media types: one enum variant per media type.
#[derive(Debug, Clone, PartialEq)]
pub struct BodyAlternatives {
    /// The enum's name in `models`, e.g. `UpsertCredentialBody` (unique among the model types).
    pub enum_name: String,
    /// One variant per media type, in the body's content order (JSON first).
    pub variants: Vec<BodyVariant>,
}

/// One media type of a [`BodyAlternatives`] enum.
#[derive(Debug, Clone, PartialEq)]
pub struct BodyVariant {
    /// The variant name, e.g. `Json` or `Text` (the media type's name when two share a kind).
    pub name: String,
    /// The media type, its kind and schema type. JSON and form variants hold the schema type,
    /// text variants a `String`, binary ones the bytes.
    pub content: Content,
}

/// A response status key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ResponseStatus {
    /// An exact code.
    Code(u16),
    /// A range such as `4XX` (holds the first digit).
    Range(u8),
    /// `default`.
    Default,
}

/// One response.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// Status key.
    pub status: ResponseStatus,
    /// Description.
    pub description: String,
    /// Payloads by media type.
    pub contents: Vec<Content>,
    /// Declared headers, sorted by name.
    pub headers: Vec<ResponseHeader>,
}

/// A declared response header (e.g. `X-Total-Count`, `Link`).
#[derive(Debug, Clone, PartialEq)]
pub struct ResponseHeader {
    /// Header name as written.
    pub name: String,
    /// snake_case Rust name.
    pub rust_name: String,
    /// Type.
    pub ty: TypeRef,
    /// Required.
    pub required: bool,
    /// Description.
    pub description: Option<String>,
}

/// A reference to a type, as used by fields, parameters and bodies.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TypeRef {
    /// A generated type in `models`, by Rust name.
    Named(String),
    /// A primitive.
    Primitive(Primitive),
    /// `Vec<T>`.
    Vec(Box<TypeRef>),
    /// `BTreeMap<String, T>` (from `additionalProperties: schema` on a property-less object).
    Map(Box<TypeRef>),
    /// `Box<T>` (breaks recursion).
    Boxed(Box<TypeRef>),
    /// `Option<T>` for `nullable` values inside required positions.
    Nullable(Box<TypeRef>),
    /// Any JSON value.
    Any,
}

/// Primitive types (formats map onto runtime newtypes that keep the original text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Primitive {
    /// `String`.
    String,
    /// `bool`.
    Bool,
    /// `i32` (`format: int32`).
    I32,
    /// `i64` (`integer` or `format: int64`).
    I64,
    /// `f32` (`format: float`).
    F32,
    /// `f64` (`number` or `format: double`).
    F64,
    /// RFC 3339 date-time, `::ims_runtime::types::DateTime`.
    DateTime,
    /// RFC 3339 full-date, `::ims_runtime::types::Date`.
    Date,
    /// URI, `::ims_runtime::types::Uri`.
    Uri,
    /// UUID, `::ims_runtime::types::Uuid`.
    Uuid,
    /// `format: byte` (base64 text) kept as `String`.
    Byte,
    /// `format: binary`, `::ims_runtime::__private::bytes::Bytes`-like raw data (`Vec<u8>`).
    Binary,
}

/// A generated type.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeDef {
    /// Rust name (UpperCamelCase, unique in `models`).
    pub name: String,
    /// The schema's name in `components.schemas`, when it has one.
    pub schema_name: Option<String>,
    /// JSON pointer of the schema in the SDD.
    pub pointer: String,
    /// Doc comment (from `title`/`description`).
    pub doc: Option<String>,
    /// Deprecated.
    pub deprecated: bool,
    /// The shape.
    pub kind: TypeDefKind,
    /// The constraints of a [`TypeDefKind::Newtype`]'s value (empty for other shapes, whose
    /// members carry their own).
    pub constraints: Constraints,
    /// Whether a value of this type can break a declared constraint (its own, a member's, or one
    /// of a type it holds): its `Validate` impl checks something, and holders call it.
    pub validates: bool,
}

/// Shape of a generated type.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeDefKind {
    /// A struct with named fields.
    Struct(StructDef),
    /// A closed string enum.
    Enum(EnumDef),
    /// An IMS extensible enum: known variants plus `Ext(String)` accepting only `ext:`-prefixed values.
    ExtensibleEnum(EnumDef),
    /// `oneOf` / `anyOf` of distinct shapes, as an untagged enum.
    Union(UnionDef),
    /// A newtype around another type (e.g. a constrained string or a named array).
    Newtype(TypeRef),
}

/// What happens with properties not declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdditionalProperties {
    /// `additionalProperties: false`: unknown fields are rejected.
    Forbidden,
    /// Unspecified or `true`: unknown fields are preserved in an extension map.
    Preserve,
    /// `additionalProperties: {schema}`: unknown fields are kept in a typed map.
    Typed(TypeRef),
}

/// A struct.
#[derive(Debug, Clone, PartialEq)]
pub struct StructDef {
    /// Fields in SDD order.
    pub fields: Vec<Field>,
    /// Extra properties.
    pub additional: AdditionalProperties,
    /// Rust name of the `#[serde(flatten)]` map that keeps undeclared members (`extensions`, or
    /// `extensions2`, … when a property already has that name); `None` when `additional` is
    /// [`AdditionalProperties::Forbidden`].
    pub extensions_field: Option<String>,
}

/// A struct field.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// snake_case Rust name (keyword-escaped, unique in the struct).
    pub rust_name: String,
    /// JSON property name.
    pub wire_name: String,
    /// Type, without the `Option` of optional fields.
    pub ty: TypeRef,
    /// Whether the property is in `required`.
    pub required: bool,
    /// Doc comment.
    pub doc: Option<String>,
    /// Deprecated.
    pub deprecated: bool,
    /// The declared constraints of the member's value.
    pub constraints: Constraints,
}

/// The declared constraints of one value (a parameter, a struct member, a newtype, an array
/// item), checked by generated code where values cross the boundary: a generated server
/// answers 400 when a request breaks one, a generated client refuses to send. Formats need no
/// rule: `date`, `date-time`, `uuid` and `uri` values are runtime newtypes holding valid text
/// only, and an `int32` value is an `i32`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Constraints {
    /// Rules on the value itself, in checking order.
    pub rules: Vec<Rule>,
    /// The constraints of each item of an array value, or of each value of a map.
    pub items: Option<Box<Constraints>>,
}

impl Constraints {
    /// Whether nothing is declared.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty() && self.items.as_ref().is_none_or(|i| i.is_empty())
    }
}

/// One declared rule.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// An integer's smallest value (`minimum`, with `exclusiveMinimum` folded in: `> 0` is
    /// `>= 1`).
    IntegerMinimum(i64),
    /// An integer's largest value (`maximum`, `exclusiveMaximum` folded in).
    IntegerMaximum(i64),
    /// The range of an integer format, for a value the runtime reads wider than its format
    /// (the IMS `limit` and `offset`).
    IntegerFormat {
        /// `int32` or `int64`.
        format: String,
        /// The format's smallest value.
        min: i64,
        /// The format's largest value.
        max: i64,
    },
    /// A number's lower bound.
    NumberMinimum {
        /// The bound.
        value: f64,
        /// `exclusiveMinimum: true`.
        exclusive: bool,
    },
    /// A number's upper bound.
    NumberMaximum {
        /// The bound.
        value: f64,
        /// `exclusiveMaximum: true`.
        exclusive: bool,
    },
    /// `minLength`, in characters.
    MinLength(u64),
    /// `maxLength`, in characters.
    MaxLength(u64),
    /// `pattern`: an ECMA-262 regular expression the `regex` crate compiles, matched anywhere in
    /// the value (not anchored).
    Pattern(String),
    /// `minItems`.
    MinItems(u64),
    /// `maxItems`.
    MaxItems(u64),
}

/// A string enum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumDef {
    /// Variants in SDD order.
    pub variants: Vec<EnumVariant>,
    /// Rust name of the catch-all variant holding `ext:` values (`Ext`) of an
    /// [`TypeDefKind::ExtensibleEnum`]; `None` for a closed enum.
    pub ext_variant: Option<String>,
}

/// One enum variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumVariant {
    /// UpperCamelCase Rust name (unique in the enum).
    pub rust_name: String,
    /// The value on the wire.
    pub wire: String,
    /// Doc comment.
    pub doc: Option<String>,
}

/// An untagged union.
#[derive(Debug, Clone, PartialEq)]
pub struct UnionDef {
    /// Variants in the order they are tried when deserializing.
    pub variants: Vec<UnionVariant>,
}

/// One union variant.
#[derive(Debug, Clone, PartialEq)]
pub struct UnionVariant {
    /// UpperCamelCase Rust name.
    pub rust_name: String,
    /// Its payload type.
    pub ty: TypeRef,
}

/// The names a service's `server` and `client` modules declare.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceApi {
    /// The server trait, e.g. `RosteringService`.
    pub trait_name: String,
    /// The client struct, e.g. `RosteringClient`.
    pub client_name: String,
    /// The JSON member names of the records the server's operations answer with, one constant
    /// per record type (shared by every operation answering with it), sorted by constant name.
    pub record_members: Vec<RecordMembers>,
}

/// The JSON member names of one record type, as the server's `filter` check and `fields`
/// projection need them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordMembers {
    /// SCREAMING_SNAKE_CASE constant name in the `server` module, e.g. `USER_D_TYPE_MEMBERS`.
    pub const_name: String,
    /// Member wire names in SDD order.
    pub members: Vec<String>,
}

/// A path template, parsed once in lower: the router mounts it, the client fills it and the docs
/// show it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PathTemplate {
    /// Literal text and parameters in order, e.g. `/users/`, `{sourcedId}`, `/classes`.
    pub segments: Vec<PathSegment>,
}

/// One piece of a path template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSegment {
    /// Text sent as written.
    Literal(String),
    /// A `{name}` placeholder.
    Param {
        /// The name inside the braces (the parameter's wire name).
        wire: String,
        /// The Rust argument that fills it.
        arg: String,
    },
}

impl PathTemplate {
    /// The template as written in the SDD, e.g. `/users/{sourcedId}`.
    pub fn text(&self) -> String {
        self.segments
            .iter()
            .map(|s| match s {
                PathSegment::Literal(text) => text.clone(),
                PathSegment::Param { wire, .. } => format!("{{{wire}}}"),
            })
            .collect()
    }
}

/// Whether and how the generated server serves an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Serving {
    /// Mounted by `router(svc)` through the handler of this name.
    Handler(String),
    /// Served by `ServiceRouter::with_discovery` (the discovery operation).
    Discovery,
    /// Left out, with the reason (shown in the module docs).
    NotServed(String),
}

/// The server and client decisions of one operation.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OperationApi {
    /// The parsed path template.
    pub path: PathTemplate,
    /// How the server serves it.
    pub serving: Serving,
    /// The client method's name (unique among the client's methods).
    pub client_fn: String,
    /// The client's `<fn>_stream` method, for collections whose records it can stream.
    pub stream_fn: Option<String>,
    /// The success responses.
    pub success: SuccessShape,
    /// Paging by an opaque page token and `Link: rel="next"` (the `limit-page` convention),
    /// when this operation is such a list.
    pub next_link: Option<NextLinkPaging>,
    /// What URL the client method takes, when the service's client takes URLs per call.
    pub per_call_url: Option<PerCallUrl>,
}

/// A list paged by an opaque token in a query parameter, the next page's URL in
/// `Link: <…>; rel="next"` (LTI AGS and NRPS). The server method returns the page and the next
/// token; the client follows the link only.
#[derive(Debug, Clone, PartialEq)]
pub struct NextLinkPaging {
    /// The token's query parameter, e.g. `page`.
    pub page_param: String,
    /// Where the records of a page are (for the client's `_stream`).
    pub records: Records,
}

/// The URL a client method takes when URLs come per call: the URL of the operation whose path
/// is the shortest one of the service that prefixes this operation's path with only literal
/// segments after it (the operation's own path at least), and those literal segments, appended
/// to the URL's path (keeping its query). AGS: `getResults` takes the line item URL and appends
/// `/results`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PerCallUrl {
    /// The path template (as in the SDD) of the resource whose URL the caller passes.
    pub resource_path: String,
    /// The literal path appended to it, e.g. `/results`; empty for the resource itself.
    pub suffix: String,
    /// The client method's argument holding the URL (`url`, unless a parameter has that name).
    pub arg: String,
}

impl Default for Serving {
    fn default() -> Self {
        Serving::NotServed(String::new())
    }
}

/// The success (2xx) responses of an operation, worked out once for both emitters.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SuccessShape {
    /// One per distinct status (a `2XX` range counts as 200), in status order.
    pub responses: Vec<SuccessResponse>,
    /// `<Op>Success`, the server's return enum when there are several responses.
    pub enum_name: Option<String>,
    /// What the client returns: the one payload every success response shares, or `None` for
    /// `serde_json::Value` (then [`SuccessShape::client_loose`] says why).
    pub client_payload: Option<Payload>,
    /// Why the client returns JSON `Value` although the SDD declares success responses (a
    /// warning), when it does.
    pub client_loose: Option<String>,
}

impl SuccessShape {
    /// The payload of a collection page: the one JSON success response.
    pub fn collection_page(&self) -> Option<&JsonPayload> {
        match self.responses.as_slice() {
            [
                SuccessResponse {
                    payload: Payload::Json(json),
                    ..
                },
            ] => Some(json),
            _ => None,
        }
    }
}

/// One success response.
#[derive(Debug, Clone, PartialEq)]
pub struct SuccessResponse {
    /// The status code.
    pub status: u16,
    /// The variant of the success enum, e.g. `Status201`.
    pub variant: String,
    /// What it carries.
    pub payload: Payload,
}

/// What a success response carries.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    /// JSON.
    Json(JsonPayload),
    /// Another media type: text, a form or bytes.
    Raw {
        /// The media type as written in the SDD.
        media_type: String,
        /// Its kind.
        kind: MediaKind,
    },
    /// No body.
    Empty,
}

/// A JSON success payload and how its records are found.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonPayload {
    /// The type; `None` when the SDD gives no schema (any JSON value).
    pub ty: Option<TypeRef>,
    /// The wrapper member holding the record(s), e.g. `users` or `user`, when the type is a
    /// struct with one member holding a record struct or an array of them.
    pub wrapper: Option<String>,
    /// The [`RecordMembers::const_name`] of the record (the wrapped one, else the type itself);
    /// `None` when the record shape is unknown.
    pub members: Option<String>,
    /// Where a collection page's records are, for the client's record stream.
    pub records: Option<Records>,
    /// The declared media type when it is not `application/json` (e.g.
    /// `application/vnd.ims.lis.v2.lineitem+json`): the server answers with it as Content-Type
    /// and the client sends it as `Accept`.
    pub media_type: Option<String>,
}

/// The records of a collection page.
#[derive(Debug, Clone, PartialEq)]
pub struct Records {
    /// The record type.
    pub record: TypeRef,
    /// How to take them out of a page.
    pub access: RecordsAccess,
}

/// How the records are taken out of a page value `page`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordsAccess {
    /// The page is the array: `page`.
    Whole,
    /// The page is a newtype around the array: `page.0`.
    Newtype,
    /// A required array member: `page.users`.
    Member(String),
    /// An optional (or nullable) array member: `page.users.unwrap_or_default()`.
    OptionalMember(String),
    /// An optional and nullable array member: `page.users.flatten().unwrap_or_default()`.
    OptionalNullableMember(String),
    /// Several array members (OB 3.0 `credential` and `compactJwsString`): paging counts them
    /// together, and the stream yields the record enum ([`Records::record`] names it) with one
    /// variant per member, the members' records in member order within each page.
    Members(RecordEnum),
}

/// The record enum of a page with several array members, emitted in `models`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordEnum {
    /// The enum's name, e.g. `GetCredentialsRecord` (unique among the model types).
    pub enum_name: String,
    /// One arm per array member, in member order.
    pub arms: Vec<RecordArm>,
}

/// One array member of a page and the enum variant its records become.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordArm {
    /// The variant, e.g. `Credential`.
    pub variant: String,
    /// The struct field (Rust name), e.g. `compact_jws_string`.
    pub member: String,
    /// The member's JSON name, e.g. `compactJwsString` (for docs).
    pub wire_name: String,
    /// The element type.
    pub record: TypeRef,
    /// Whether the member is optional (`Option<Vec<_>>`): read with `unwrap_or_default()`.
    pub optional: bool,
    /// Whether it is also nullable (`Option<Option<Vec<_>>>`): read with `flatten()` first.
    pub nullable: bool,
}

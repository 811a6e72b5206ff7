//! [`ApiClient`] and [`ApiRequest`]: typed calls to an IMS service, used by generated clients.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use super::ClientError;
use super::api_error::ApiError;
use super::authorized_client::{AuthorizedClient, SendError};
use super::http::{HttpPolicy, read_capped};
use super::list_query::ListQuery;
use super::page::{Page, parse_link_header};
use super::retry::{RetryPolicy, parse_retry_after};
use super::token::TokenSource;
use crate::catalogue::{OperationInfo, ParamLocation, ParamStyle};

/// Everything but RFC 3986 unreserved characters is percent-encoded in a path segment, so a
/// `/`, `?`, `#` or `%` in an identifier stays inside its segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Default bound on the pages one stream fetches.
pub const DEFAULT_MAX_PAGES: usize = 10_000;

/// Scope alternatives of an operation: any one group, every scope inside it (`&[]`: public).
pub type ScopeAlternatives = &'static [&'static [&'static str]];

/// One request to an operation, built by generated code (or by hand): method, path with encoded
/// parameters, typed query parameters, headers, body and the scope alternatives.
///
/// Arguments are serialised with serde: strings go as they are, numbers and booleans as their
/// JSON text, `None` is left out, arrays follow the parameter's [`ParamStyle`]. A value that
/// cannot be sent is reported by the call as [`ApiError::InvalidArgument`].
#[derive(Clone, Debug)]
pub struct ApiRequest {
    method: http::Method,
    path: String,
    url: Option<Url>,
    /// A full URL given per call and the literal path appended to it (see
    /// [`ApiRequest::operation_at`]); used instead of the client's base URL and `path`.
    endpoint: Option<(String, String)>,
    /// The `Accept` media type (`application/json` when `None`).
    accept: Option<String>,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    cookies: Vec<String>,
    body: Option<(String, Bytes)>,
    scopes: ScopeAlternatives,
    error: Option<String>,
    /// The catalogued operation this request calls, and where its path template starts in
    /// `path` (see [`ApiRequest::operation`]).
    operation: Option<(&'static OperationInfo, usize)>,
}

impl ApiRequest {
    /// A request for `method` to `base_path` (the service's `BASE_PATH`, sent as written).
    pub fn new(method: http::Method, base_path: &str) -> Self {
        Self {
            method,
            path: base_path.to_owned(),
            url: None,
            endpoint: None,
            accept: None,
            query: Vec::new(),
            headers: Vec::new(),
            cookies: Vec::new(),
            body: None,
            scopes: &[],
            error: None,
            operation: None,
        }
    }

    /// A request for the catalogued operation `op` (e.g. a generated `operations::GET_USER`)
    /// under `base_path`: method, scopes and path template from the catalogue. Fill it with
    /// [`ApiRequest::arg`], one call per argument; a template parameter left unfilled makes the
    /// call fail with [`ApiError::InvalidArgument`]. This is what generated clients call.
    pub fn operation(base_path: &str, op: &'static OperationInfo) -> Self {
        let mut request =
            Self::new(http::Method::from(op.method), base_path).scopes(op.scopes.any_of);
        request.operation = Some((op, request.path.len()));
        request.path.push_str(op.path);
        request
    }

    /// A request for the catalogued operation `op` sent to a full URL given per call rather than
    /// to base URL + path template: `url` with `suffix` (literal path, e.g. `/scores`) appended
    /// to its path, its own query kept and the query arguments added after it. This is what the
    /// generated clients of LTI AGS and NRPS call: their URLs come from the launch claims (a
    /// line item URL may carry a query, and `/scores` goes before it). Path parameters of the
    /// template are not filled (the URL already names the resource); query, header and cookie
    /// arguments are given with [`ApiRequest::arg`] as usual.
    ///
    /// The URL must satisfy the client's [`HttpPolicy`] (https) like any other; pass only URLs
    /// from a source the caller trusts (a validated launch), as the token goes with them.
    pub fn operation_at(url: &str, suffix: &str, op: &'static OperationInfo) -> Self {
        let mut request = Self::new(http::Method::from(op.method), "").scopes(op.scopes.any_of);
        request.operation = Some((op, 0));
        request.endpoint = Some((url.to_owned(), suffix.to_owned()));
        request
    }

    /// Asks for `media_type` in `Accept` instead of `application/json` (a vendor media type such
    /// as `application/vnd.ims.lis.v2.lineitemcontainer+json`).
    pub fn accept(mut self, media_type: &str) -> Self {
        self.accept = Some(media_type.to_owned());
        self
    }

    /// Adds the argument for `op`'s parameter `name` (see [`ApiRequest::operation`]) where the
    /// catalogue says it goes: a path parameter fills its `{name}` as one percent-encoded
    /// segment (as [`ApiRequest::path_param`]), a query parameter is sent in its declared style,
    /// a header or cookie as [`ApiRequest::header`] / [`ApiRequest::cookie`]; `None` adds nothing.
    /// The first parameter of that name counts (path, then query, header and cookie).
    pub fn arg<T: Serialize + ?Sized>(self, name: &str, value: &T) -> Self {
        self.arg_in(None, name, value)
    }

    /// Like [`ApiRequest::arg`] for the parameter `name` at `location`, when the operation
    /// declares that name in more than one location.
    pub fn arg_at<T: Serialize + ?Sized>(
        self,
        location: ParamLocation,
        name: &str,
        value: &T,
    ) -> Self {
        self.arg_in(Some(location), name, value)
    }

    fn arg_in<T: Serialize + ?Sized>(
        mut self,
        location: Option<ParamLocation>,
        name: &str,
        value: &T,
    ) -> Self {
        let Some((op, start)) = self.operation else {
            return self.fail(format!(
                "argument `{name}` given to a request without an operation"
            ));
        };
        if self.endpoint.is_some()
            && location.unwrap_or(ParamLocation::Query) == ParamLocation::Path
        {
            // The per-call URL already names the resource; a path argument has nowhere to go.
            let is_path = op
                .params
                .iter()
                .any(|p| p.name == name && p.location == ParamLocation::Path);
            if is_path {
                return self.fail(format!(
                    "`{}` takes its URL per call: the path parameter `{name}` is part of that URL",
                    op.id
                ));
            }
        }
        let found = op
            .params
            .iter()
            .find(|p| p.name == name && location.is_none_or(|l| l == p.location));
        let Some(info) = found else {
            return self.fail(format!("`{}` has no parameter `{name}` there", op.id));
        };
        match info.location {
            ParamLocation::Path => {
                let placeholder = format!("{{{name}}}");
                let Some(at) = self.path[start..].find(&placeholder).map(|i| start + i) else {
                    return self.fail(format!("`{}` has no `{placeholder}` in its path", op.id));
                };
                let filled = match segment(name, value) {
                    Ok(s) => s,
                    Err(e) => return self.fail(e),
                };
                self.path.replace_range(at..at + placeholder.len(), &filled);
                self
            }
            ParamLocation::Query => self.query(name, value, info.style),
            ParamLocation::Header => self.header(name, value),
            ParamLocation::Cookie => self.cookie(name, value),
        }
    }

    /// The method.
    pub fn method(&self) -> &http::Method {
        &self.method
    }

    /// A request for a catalogued operation (e.g. `operations::GET_ALL_USERS` of a generated
    /// module): method, scopes and path from `op`, each `{name}` of its path template filled from
    /// `path_params` as one percent-encoded segment. This is how to call an operation with a body
    /// type of your own choice, e.g. `serde_json::Value` for a `fields` projection that leaves out
    /// members the generated type requires:
    ///
    /// ```no_run
    /// # async fn f(api: &ims_runtime::client::ApiClient, op: &'static ims_runtime::catalogue::OperationInfo)
    /// # -> Result<(), ims_runtime::client::ApiError> {
    /// use ims_runtime::client::{ApiRequest, ListQuery};
    /// let query = ListQuery::new().fields(["sourcedId", "givenName"]);
    /// let page = api
    ///     .call_page::<serde_json::Value>(
    ///         ApiRequest::for_operation("/ims/oneroster/rostering/v1p2", op, &[]).list_query(&query),
    ///     )
    ///     .await?;
    /// # Ok(()) }
    /// ```
    ///
    /// A template parameter missing from `path_params`, or a name `op` does not declare, makes
    /// the call fail with [`ApiError::InvalidArgument`].
    pub fn for_operation(
        base_path: &str,
        op: &'static OperationInfo,
        path_params: &[(&str, &str)],
    ) -> Self {
        path_params
            .iter()
            .fold(Self::operation(base_path, op), |request, (name, value)| {
                request.arg(name, value)
            })
    }

    /// The operation id of a catalogued request (e.g. `getAllUsers`), else `METHOD /path`.
    pub(crate) fn operation_name(&self) -> String {
        match self.operation {
            Some((op, _)) => op.id.to_owned(),
            None => format!("{} {}", self.method, self.path),
        }
    }

    fn fail(mut self, message: String) -> Self {
        if self.error.is_none() {
            self.error = Some(message);
        }
        self
    }

    /// Appends literal path text from the operation's path template (sent as written).
    pub fn path(mut self, literal: &str) -> Self {
        self.path.push_str(literal);
        self
    }

    /// Appends a path parameter as ONE percent-encoded segment: a `/` or `..` inside the value
    /// cannot change the path. Empty, `.` and `..` values cannot be carried by any URL (they
    /// are normalised away) and are refused.
    pub fn path_param<T: Serialize + ?Sized>(self, name: &str, value: &T) -> Self {
        match segment(name, value) {
            Ok(s) => self.path(&s),
            Err(e) => self.fail(e),
        }
    }

    /// Adds a query parameter in `style`; a `None`/null value adds nothing.
    pub fn query<T: Serialize + ?Sized>(
        mut self,
        name: &str,
        value: &T,
        style: ParamStyle,
    ) -> Self {
        if style == ParamStyle::Json {
            return match serde_json::to_value(value) {
                Ok(Value::Null) => self,
                Ok(v) => {
                    self.query.push((name.to_owned(), v.to_string()));
                    self
                }
                Err(e) => self.fail(format!("query parameter `{name}`: {e}")),
            };
        }
        let values = match param_values(value) {
            Ok(Some(values)) => values,
            Ok(None) => return self,
            Err(e) => return self.fail(format!("query parameter `{name}`: {e}")),
        };
        let sep = match style {
            ParamStyle::FormExploded => {
                for v in values {
                    self.query.push((name.to_owned(), v));
                }
                return self;
            }
            ParamStyle::SpaceDelimited => " ",
            ParamStyle::PipeDelimited => "|",
            ParamStyle::Scalar | ParamStyle::CommaSeparated | ParamStyle::Json => ",",
        };
        if !values.is_empty() {
            self.query.push((name.to_owned(), values.join(sep)));
        }
        self
    }

    /// Adds the IMS collection parameters.
    pub fn list_query(mut self, query: &ListQuery) -> Self {
        // A later list query replaces an earlier one (paging re-issues the request).
        let names = ["filter", "sort", "orderBy", "fields", "limit", "offset"];
        self.query.retain(|(k, _)| !names.contains(&k.as_str()));
        self.query.extend(query.pairs());
        self
    }

    /// Adds a header parameter (arrays comma-separated); `None` adds nothing.
    pub fn header<T: Serialize + ?Sized>(mut self, name: &str, value: &T) -> Self {
        match param_values(value) {
            Ok(Some(values)) => {
                self.headers.push((name.to_owned(), values.join(",")));
                self
            }
            Ok(None) => self,
            Err(e) => self.fail(format!("header parameter `{name}`: {e}")),
        }
    }

    /// Adds a cookie parameter (percent-encoded value); `None` adds nothing.
    pub fn cookie<T: Serialize + ?Sized>(mut self, name: &str, value: &T) -> Self {
        match param_values(value) {
            Ok(Some(values)) => {
                let v = utf8_percent_encode(&values.join(","), SEGMENT).to_string();
                self.cookies.push(format!("{name}={v}"));
                self
            }
            Ok(None) => self,
            Err(e) => self.fail(format!("cookie parameter `{name}`: {e}")),
        }
    }

    /// A JSON body (`media_type` as the SDD declares it, e.g. `application/json`).
    pub fn json_body<T: Serialize + ?Sized>(mut self, media_type: &str, body: &T) -> Self {
        match serde_json::to_vec(body) {
            Ok(bytes) => {
                self.body = Some((media_type.to_owned(), Bytes::from(bytes)));
                self
            }
            Err(e) => self.fail(format!("request body: {e}")),
        }
    }

    /// [`Self::json_body`] when `body` is `Some`.
    pub fn optional_json_body<T: Serialize + ?Sized>(
        self,
        media_type: &str,
        body: Option<&T>,
    ) -> Self {
        match body {
            Some(b) => self.json_body(media_type, b),
            None => self,
        }
    }

    /// [`Self::form_body`] when `body` is `Some`.
    pub fn optional_form_body<T: Serialize + ?Sized>(
        self,
        media_type: &str,
        body: Option<&T>,
    ) -> Self {
        match body {
            Some(b) => self.form_body(media_type, b),
            None => self,
        }
    }

    /// [`Self::raw_body`] when `body` is `Some`.
    pub fn optional_raw_body(self, media_type: &str, body: Option<impl Into<Bytes>>) -> Self {
        match body {
            Some(b) => self.raw_body(media_type, b),
            None => self,
        }
    }

    /// A form-encoded body (`application/x-www-form-urlencoded`).
    pub fn form_body<T: Serialize + ?Sized>(mut self, media_type: &str, body: &T) -> Self {
        match serde_urlencoded::to_string(body) {
            Ok(text) => {
                self.body = Some((media_type.to_owned(), Bytes::from(text)));
                self
            }
            Err(e) => self.fail(format!("request body: {e}")),
        }
    }

    /// A raw body (text or binary) with its media type.
    pub fn raw_body(mut self, media_type: &str, body: impl Into<Bytes>) -> Self {
        self.body = Some((media_type.to_owned(), body.into()));
        self
    }

    /// The operation's scope alternatives (`&[]` for a public operation: no token is sent).
    pub fn scopes(mut self, any_of: ScopeAlternatives) -> Self {
        self.scopes = any_of;
        self
    }

    /// What is missing from the path template of a catalogued request, if anything.
    fn unfilled(&self) -> Option<String> {
        if self.endpoint.is_some() {
            return None;
        }
        let (op, start) = self.operation?;
        // Filled values are percent-encoded, so a `{` left in the template is a placeholder.
        self.path[start..]
            .contains('{')
            .then(|| format!("a path parameter of `{}` ({}) has no value", op.id, op.path))
    }

    /// Sends to `url` instead of base URL + path + query (a `Link: rel="next"` target).
    pub(crate) fn with_url(mut self, url: Url) -> Self {
        self.url = Some(url);
        self
    }
}

/// A path parameter as one percent-encoded segment, or why it cannot be one.
fn segment<T: Serialize + ?Sized>(name: &str, value: &T) -> Result<String, String> {
    let text = match param_values(value) {
        Ok(Some(values)) => values.join(","),
        Ok(None) => String::new(),
        Err(e) => return Err(format!("path parameter `{name}`: {e}")),
    };
    if text.is_empty() || text == "." || text == ".." {
        return Err(format!(
            "path parameter `{name}` is `{text}`, which cannot be sent as a path segment"
        ));
    }
    Ok(utf8_percent_encode(&text, SEGMENT).to_string())
}

/// The text values of a parameter: `None` for null, one value for a scalar, the elements of an
/// array. Strings are sent raw, anything else as its JSON text.
fn param_values<T: Serialize + ?Sized>(value: &T) -> Result<Option<Vec<String>>, String> {
    let value = serde_json::to_value(value).map_err(|e| e.to_string())?;
    let text = |v: Value| match v {
        Value::String(s) => s,
        other => other.to_string(),
    };
    Ok(match value {
        Value::Null => None,
        Value::Array(items) => Some(items.into_iter().map(text).collect()),
        other => Some(vec![text(other)]),
    })
}

/// A success response as read: headers, capped body, and the URL it came from.
pub(crate) struct RawResponse {
    pub(crate) url: Url,
    pub(crate) headers: http::HeaderMap,
    pub(crate) body: Bytes,
}

/// Calls one IMS service: base URL + `BASE_PATH` + operation path, tokens per operation scope
/// alternatives, bounded retries, no redirects, capped responses, typed decoding.
///
/// Scopes: a call asks the token source for the operation's first scope alternative; when the
/// token endpoint answers `invalid_scope` it tries the next, and remembers which alternative
/// worked for later calls of the same operation. A 401 is retried once with a fresh token.
pub struct ApiClient {
    inner: AuthorizedClient,
    base: String,
    policy: HttpPolicy,
    retry: RetryPolicy,
    max_pages: usize,
    /// Index of the scope alternative that last worked, per alternatives list.
    scope_choice: Mutex<HashMap<usize, usize>>,
}

impl std::fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiClient")
            .field("base", &self.base)
            .field("policy", &self.policy)
            .field("retry", &self.retry)
            .field("max_pages", &self.max_pages)
            .finish_non_exhaustive()
    }
}

impl ApiClient {
    /// The policy generated clients use by default: [`HttpPolicy::default`] (https only, no
    /// redirects) with room for collection pages: 30 s timeout, 16 MiB response cap.
    pub fn default_policy() -> HttpPolicy {
        HttpPolicy {
            timeout: Duration::from_secs(30),
            max_response_bytes: 16 * 1024 * 1024,
            ..HttpPolicy::default()
        }
    }

    /// A client for the service mounted at `base_url` (an https origin plus any prefix, without
    /// the service's `BASE_PATH`). Plain http is refused unless `policy` allows loopback http.
    pub fn new(
        base_url: &str,
        source: Arc<dyn TokenSource>,
        policy: HttpPolicy,
    ) -> Result<Self, ClientError> {
        let parsed = policy.check_url(base_url)?;
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(ClientError::Config(format!(
                "base URL `{base_url}` must not have a query or fragment"
            )));
        }
        Ok(Self {
            inner: AuthorizedClient::new(source, policy.clone())?,
            base: parsed.as_str().trim_end_matches('/').to_owned(),
            policy,
            retry: RetryPolicy::default(),
            max_pages: DEFAULT_MAX_PAGES,
            scope_choice: Mutex::new(HashMap::new()),
        })
    }

    /// A client whose requests each carry their full URL ([`ApiRequest::operation_at`]): the
    /// generated clients of services whose URLs come per call (LTI AGS and NRPS, from the launch
    /// claims). A request without such a URL fails with [`ApiError::InvalidArgument`].
    pub fn per_call(source: Arc<dyn TokenSource>, policy: HttpPolicy) -> Result<Self, ClientError> {
        Ok(Self {
            inner: AuthorizedClient::new(source, policy.clone())?,
            base: String::new(),
            policy,
            retry: RetryPolicy::default(),
            max_pages: DEFAULT_MAX_PAGES,
            scope_choice: Mutex::new(HashMap::new()),
        })
    }

    /// Replaces the retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Bounds how many pages one stream fetches (default [`DEFAULT_MAX_PAGES`]).
    pub fn with_max_pages(mut self, max_pages: usize) -> Self {
        self.max_pages = max_pages.max(1);
        self
    }

    /// The base URL (without a trailing `/`).
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The page bound of streams.
    pub fn max_pages(&self) -> usize {
        self.max_pages
    }

    /// The URL `request` goes to.
    pub fn url_for(&self, request: &ApiRequest) -> Result<Url, ApiError> {
        if let Some(e) = &request.error {
            return Err(ApiError::InvalidArgument(e.clone()));
        }
        if let Some(e) = request.unfilled() {
            return Err(ApiError::InvalidArgument(e));
        }
        let mut url = match (&request.url, &request.endpoint) {
            (Some(u), _) => u.clone(),
            (None, Some((endpoint, suffix))) => {
                let mut url = Url::parse(endpoint).map_err(|e| {
                    ApiError::InvalidArgument(format!("request URL `{endpoint}`: {e}"))
                })?;
                if !suffix.is_empty() {
                    let path = format!("{}{suffix}", url.path().trim_end_matches('/'));
                    url.set_path(&path);
                }
                if !request.query.is_empty() {
                    url.query_pairs_mut().extend_pairs(request.query.iter());
                }
                url
            }
            (None, None) if self.base.is_empty() => {
                return Err(ApiError::InvalidArgument(format!(
                    "`{}`: this client takes the URL of each call (it has no base URL)",
                    request.operation_name()
                )));
            }
            (None, None) => {
                let mut url = Url::parse(&format!("{}{}", self.base, request.path))
                    .map_err(|e| ApiError::InvalidArgument(format!("request URL: {e}")))?;
                if !request.query.is_empty() {
                    url.query_pairs_mut().extend_pairs(request.query.iter());
                }
                url
            }
        };
        url.set_fragment(None);
        self.policy.check_url(url.as_str())?;
        Ok(url)
    }

    /// Sends `request` and decodes a success body as `T` (errors say where the body is wrong).
    pub async fn call_json<T: DeserializeOwned>(&self, request: ApiRequest) -> Result<T, ApiError> {
        let raw = self.send(request).await?;
        decode(&raw.body)
    }

    /// Sends `request` and returns one page: the decoded body, `X-Total-Count` and `Link`.
    pub async fn call_page<T: DeserializeOwned>(
        &self,
        request: ApiRequest,
    ) -> Result<Page<T>, ApiError> {
        let raw = self.send(request).await?;
        page_of(&raw)
    }

    /// Sends `request`; any success is `Ok(())` (the body, if any, is not read further).
    pub async fn call_empty(&self, request: ApiRequest) -> Result<(), ApiError> {
        self.send(request).await.map(|_| ())
    }

    /// Sends `request` and returns a success body as text.
    pub async fn call_text(&self, request: ApiRequest) -> Result<String, ApiError> {
        let raw = self.send(request).await?;
        String::from_utf8(raw.body.to_vec()).map_err(|e| ApiError::Decode {
            type_name: "String",
            path: ".".to_owned(),
            message: e.to_string(),
        })
    }

    /// Sends `request` and returns a success body as bytes.
    pub async fn call_bytes(&self, request: ApiRequest) -> Result<Vec<u8>, ApiError> {
        Ok(self.send(request).await?.body.to_vec())
    }

    /// Sends `request` and returns a success body as any JSON value (`null` when empty).
    pub async fn call_value(&self, request: ApiRequest) -> Result<Value, ApiError> {
        let raw = self.send(request).await?;
        if raw.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        decode(&raw.body)
    }

    /// Picks the scope alternative to request a token for (see the type docs). `None`: public.
    async fn choose_scopes(
        &self,
        any_of: ScopeAlternatives,
    ) -> Result<Option<&'static [&'static str]>, ClientError> {
        if any_of.is_empty() {
            return Ok(None);
        }
        // The list is a `'static` constant of the generated code: its address identifies it.
        let key = any_of.as_ptr() as usize;
        let start = self
            .scope_choice
            .lock()
            .map(|m| m.get(&key).copied().unwrap_or(0))
            .unwrap_or(0)
            .min(any_of.len() - 1);
        let order = (start..any_of.len()).chain(0..start);
        let mut last_error = None;
        for i in order {
            let scopes = any_of[i];
            match self.inner.source().token(scopes).await {
                Ok(_) => {
                    if let Ok(mut m) = self.scope_choice.lock() {
                        m.insert(key, i);
                    }
                    return Ok(Some(scopes));
                }
                Err(ClientError::TokenEndpoint { error, status }) if error == "invalid_scope" => {
                    tracing::debug!(scopes = ?scopes, "token endpoint refused scope alternative; trying the next");
                    last_error = Some(ClientError::TokenEndpoint { error, status });
                }
                Err(e) => return Err(e),
            }
        }
        Err(last_error.unwrap_or_else(|| ClientError::Config("no scope alternative".into())))
    }

    fn build(&self, request: &ApiRequest, url: &Url) -> Result<reqwest::Request, ApiError> {
        let mut builder = self
            .inner
            .http()
            .request(request.method.clone(), url.clone())
            .header(
                http::header::ACCEPT,
                request.accept.as_deref().unwrap_or("application/json"),
            );
        for (name, value) in &request.headers {
            let name = http::HeaderName::from_bytes(name.as_bytes())
                .map_err(|e| ApiError::InvalidArgument(format!("header `{name}`: {e}")))?;
            let value = http::HeaderValue::from_str(value)
                .map_err(|e| ApiError::InvalidArgument(format!("header `{name}`: {e}")))?;
            builder = builder.header(name, value);
        }
        if !request.cookies.is_empty() {
            builder = builder.header(http::header::COOKIE, request.cookies.join("; "));
        }
        if let Some((media_type, bytes)) = &request.body {
            builder = builder
                .header(http::header::CONTENT_TYPE, media_type.as_str())
                .body(bytes.clone());
        }
        builder
            .build()
            .map_err(|e| ApiError::Client(ClientError::from_reqwest(e)))
    }

    /// Sends with retries; a non-success status becomes [`ApiError::Status`].
    pub(crate) async fn send(&self, request: ApiRequest) -> Result<RawResponse, ApiError> {
        let url = self.url_for(&request)?;
        let scopes = self.choose_scopes(request.scopes).await?;
        let retryable = RetryPolicy::is_idempotent(&request.method);
        let max_attempts = self.retry.max_attempts.max(1);
        let mut attempt = 1u32;
        loop {
            let outgoing = self.build(&request, &url)?;
            let may_retry = retryable && attempt < max_attempts;
            match self.inner.execute_classified(outgoing, scopes).await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    if may_retry && RetryPolicy::is_retryable_status(status) {
                        let retry_after = response
                            .headers()
                            .get(http::header::RETRY_AFTER)
                            .and_then(|v| v.to_str().ok())
                            .and_then(|v| parse_retry_after(v, SystemTime::now()));
                        let delay = self.retry.delay(attempt, retry_after);
                        tracing::debug!(status, attempt, ?delay, "retrying");
                        drop(response);
                        tokio::time::sleep(delay).await;
                        attempt += 1;
                        continue;
                    }
                    let headers = response.headers().clone();
                    let body = read_capped(response, self.policy.max_response_bytes).await?;
                    if !(200..300).contains(&status) {
                        let www = headers
                            .get(http::header::WWW_AUTHENTICATE)
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_owned);
                        let operation = || request.operation_name();
                        return Err(ApiError::from_status(operation, status, &body, www));
                    }
                    return Ok(RawResponse { url, headers, body });
                }
                Err(SendError::Connect(e)) if may_retry && self.retry.retry_connect_errors => {
                    let delay = self.retry.delay(attempt, None);
                    tracing::debug!(error = %e, attempt, ?delay, "connect failed; retrying");
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                Err(e) => return Err(ApiError::Client(e.into_client_error())),
            }
        }
    }
}

/// Decodes JSON as `T`, naming the path of the first mismatch.
pub(crate) fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| ApiError::Decode {
        type_name: std::any::type_name::<T>(),
        path: e.path().to_string(),
        message: e.inner().to_string(),
    })?;
    de.end().map_err(|e| ApiError::Decode {
        type_name: std::any::type_name::<T>(),
        path: ".".to_owned(),
        message: e.to_string(),
    })?;
    Ok(value)
}

pub(crate) fn page_of<T: DeserializeOwned>(raw: &RawResponse) -> Result<Page<T>, ApiError> {
    let body = decode(&raw.body)?;
    let total = raw
        .headers
        .get("x-total-count")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let mut links = Vec::new();
    for value in raw.headers.get_all(http::header::LINK) {
        if let Ok(text) = value.to_str() {
            links.extend(parse_link_header(text, &raw.url));
        }
    }
    let next = links
        .iter()
        .find(|(rel, _)| rel == "next")
        .map(|(_, u)| u.clone());
    Ok(Page {
        body,
        total,
        next,
        links,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::{Method, ParamInfo, ScopeRequirement};

    const fn param(name: &'static str, location: ParamLocation, style: ParamStyle) -> ParamInfo {
        ParamInfo {
            name,
            location,
            required: false,
            style,
        }
    }

    static OP: OperationInfo = OperationInfo {
        id: "getClass",
        fn_name: "get_class",
        method: Method::Put,
        path: "/schools/{schoolId}/classes/{id}",
        summary: None,
        params: &[
            param("schoolId", ParamLocation::Path, ParamStyle::Scalar),
            param("id", ParamLocation::Path, ParamStyle::Scalar),
            param("fields", ParamLocation::Query, ParamStyle::CommaSeparated),
            param("X-Trace", ParamLocation::Header, ParamStyle::Scalar),
        ],
        request_media_types: &[],
        response_statuses: &["200"],
        scopes: ScopeRequirement {
            any_of: &[&["core"], &["full"]],
        },
        is_discovery: false,
    };

    #[test]
    fn catalogued_requests_take_method_path_scopes_and_argument_places_from_the_entry() {
        let request = ApiRequest::operation("/base", &OP)
            .arg("schoolId", "s/1")
            .arg("id", &7)
            .arg("fields", &Some(["a", "b"]))
            .arg("X-Trace", &Option::<&str>::None);
        assert_eq!(request.error, None);
        assert_eq!(request.method, http::Method::PUT);
        assert_eq!(request.path, "/base/schools/s%2F1/classes/7");
        assert_eq!(request.query, [("fields".to_owned(), "a,b".to_owned())]);
        assert!(request.headers.is_empty(), "None adds nothing");
        assert_eq!(request.scopes, OP.scopes.any_of);
        assert_eq!(request.unfilled(), None);
    }

    #[test]
    fn per_call_urls_take_the_suffix_before_their_query_and_the_arguments_after_it() {
        let request =
            ApiRequest::operation_at("https://lms.example/li/7?via=claim", "/scores", &OP)
                .arg("fields", &["a"])
                .accept("application/vnd.ims.lis.v2.lineitem+json");
        assert_eq!(request.unfilled(), None, "the URL names the resource");
        assert_eq!(
            request.accept.as_deref(),
            Some("application/vnd.ims.lis.v2.lineitem+json")
        );
        let source: Arc<dyn TokenSource> = Arc::new(NoTokens);
        let api = ApiClient::per_call(source.clone(), HttpPolicy::default()).unwrap();
        let url = api.url_for(&request).unwrap();
        assert_eq!(
            url.as_str(),
            "https://lms.example/li/7/scores?via=claim&fields=a"
        );
        let trailing = ApiRequest::operation_at("https://lms.example/li/7/", "/results", &OP);
        assert_eq!(
            api.url_for(&trailing).unwrap().as_str(),
            "https://lms.example/li/7/results"
        );
        // A path argument has nowhere to go; plain http and non-URLs are refused.
        let path_arg = ApiRequest::operation_at("https://lms.example/li/7", "", &OP).arg("id", "x");
        assert!(matches!(
            api.url_for(&path_arg),
            Err(ApiError::InvalidArgument(_))
        ));
        for bad in ["http://lms.example/li/7", "li/7"] {
            let request = ApiRequest::operation_at(bad, "", &OP);
            assert!(api.url_for(&request).is_err(), "{bad}");
        }
        // A per-call client has no base URL to fall back on.
        let templated = ApiRequest::operation("", &OP)
            .arg("schoolId", "s")
            .arg("id", "c");
        let err = api.url_for(&templated).unwrap_err();
        assert!(err.to_string().contains("URL of each call"), "{err}");
        // And a base-URL client still takes per-call URLs.
        let based = ApiClient::new("https://other.example", source, HttpPolicy::default()).unwrap();
        assert_eq!(
            based.url_for(&request).unwrap().as_str(),
            "https://lms.example/li/7/scores?via=claim&fields=a"
        );
    }

    /// A token source that is never asked (only URLs are built).
    struct NoTokens;

    impl TokenSource for NoTokens {
        fn token<'a>(
            &'a self,
            _scopes: &'a [&'a str],
        ) -> futures_util::future::BoxFuture<'a, Result<super::super::AccessToken, ClientError>>
        {
            Box::pin(async { Err(ClientError::Config("no tokens in this test".into())) })
        }

        fn invalidate(&self, _scopes: &[&str], _rejected: &super::super::AccessToken) {}
    }

    #[test]
    fn unknown_and_missing_arguments_fail_the_call() {
        let unknown = ApiRequest::operation("", &OP).arg("nope", "x");
        assert!(unknown.error.as_deref().is_some_and(|e| e.contains("nope")));
        let missing = ApiRequest::operation("", &OP).arg("schoolId", "s");
        assert!(missing.unfilled().is_some_and(|e| e.contains("getClass")));
        let dot = ApiRequest::operation("", &OP).arg("id", "..");
        assert!(dot.error.is_some(), "`..` cannot be a path segment");
        let header = ApiRequest::operation("", &OP).arg_at(ParamLocation::Header, "X-Trace", "t");
        assert_eq!(header.headers, [("X-Trace".to_owned(), "t".to_owned())]);
        let wrong = ApiRequest::operation("", &OP).arg_at(ParamLocation::Query, "id", "t");
        assert!(wrong.error.is_some(), "`id` is a path parameter");
        let legacy = ApiRequest::for_operation("", &OP, &[("schoolId", "s"), ("id", "c")]);
        assert_eq!(legacy.path, "/schools/s/classes/c");
    }
}

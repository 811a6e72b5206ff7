//! Client-credentials token sources with per-scope-set caching and single-flight renewal.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::Value;

use super::ClientError;
use super::http::{HttpPolicy, read_capped};
use super::secret::{ClientSecret, basic_authorization};

/// Largest access token accepted from a token endpoint (it must fit in a header).
const MAX_ACCESS_TOKEN_BYTES: usize = 8 * 1024;
/// Lifetime of a `private_key_jwt` assertion (RFC 7523; CL-15 requires ≤ 5 min).
const ASSERTION_LIFETIME_SECS: i64 = 60;

/// An access token with what the server said about it. `Debug` redacts the token.
#[derive(Clone)]
pub struct AccessToken {
    secret: ClientSecret,
    scopes: Vec<String>,
    expires_at: Instant,
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessToken")
            .field("token", &"[redacted]")
            .field("scopes", &self.scopes)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl AccessToken {
    /// A token from its parts (the authorization-code source rebuilds stored tokens).
    pub(crate) fn from_parts(
        secret: ClientSecret,
        scopes: Vec<String>,
        expires_at: Instant,
    ) -> Self {
        Self {
            secret,
            scopes,
            expires_at,
        }
    }

    /// The token value, for `Authorization: Bearer …`.
    pub fn secret(&self) -> &str {
        self.secret.expose()
    }
    /// Granted scopes: the response's `scope` split on spaces (an empty string grants nothing),
    /// or the requested scopes when the response has no `scope` (RFC 6749 §5.1; CL-06).
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }
    /// When the token expires (from `expires_in`, bounded; CL-07).
    pub fn expires_at(&self) -> Instant {
        self.expires_at
    }
    /// The `Authorization` header value.
    pub fn authorization(&self) -> String {
        format!("Bearer {}", self.secret.expose())
    }
}

/// Something that hands out access tokens for scope sets.
pub trait TokenSource: Send + Sync + 'static {
    /// A valid token for `scopes` (cached, renewed before expiry).
    fn token<'a>(
        &'a self,
        scopes: &'a [&'a str],
    ) -> BoxFuture<'a, Result<AccessToken, ClientError>>;
    /// Forgets the cached token for `scopes` if it is still `rejected` (e.g. after the resource
    /// server answered 401 `invalid_token`). A token renewed meanwhile is kept, so many callers
    /// reporting the same rejected token cause one renewal, not many.
    fn invalidate(&self, scopes: &[&str], rejected: &AccessToken);
}

/// A private key for `private_key_jwt` (RFC 7523) client authentication.
#[derive(Clone)]
pub struct JwtAssertionKey {
    /// The signing key.
    pub key: EncodingKey,
    /// Its algorithm (RS256 or ES256 in IMS deployments).
    pub alg: Algorithm,
    /// The `kid` the authorization server knows the public key by.
    pub kid: String,
}

impl std::fmt::Debug for JwtAssertionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtAssertionKey")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// How the client authenticates at the token endpoint.
#[derive(Clone, Debug)]
pub enum ClientAuth {
    /// HTTP Basic with form-urlencoded id and secret (RFC 6749 §2.3.1).
    ClientSecretBasic(ClientSecret),
    /// A signed JWT assertion (RFC 7523 §2.2): iss = sub = client_id, aud = the token endpoint as
    /// one string, fresh `jti`, `exp` one minute ahead, `kid` header.
    PrivateKeyJwt(JwtAssertionKey),
}

/// Tunables for [`ClientCredentialsSource`].
#[derive(Clone, Debug)]
pub struct TokenSourceOptions {
    /// Renew this long before expiry (default 30 s, at most half the lifetime).
    pub refresh_skew: Duration,
    /// Lifetime assumed when `expires_in` is absent (default 5 min).
    pub default_lifetime: Duration,
    /// Longest lifetime believed (default 24 h).
    pub max_lifetime: Duration,
    /// The outgoing HTTP policy.
    pub http: HttpPolicy,
}

impl Default for TokenSourceOptions {
    fn default() -> Self {
        Self {
            refresh_skew: Duration::from_secs(30),
            default_lifetime: Duration::from_secs(300),
            max_lifetime: Duration::from_secs(86_400),
            http: HttpPolicy::default(),
        }
    }
}

/// One cached token per scope set; the async lock is the single-flight.
#[derive(Default)]
struct SlotInner {
    token: tokio::sync::Mutex<Option<AccessToken>>,
    rejected: std::sync::Mutex<Option<ClientSecret>>,
}

type Slot = Arc<SlotInner>;

/// OAuth 2 client credentials grant (RFC 6749 §4.4), as the IMS Security Framework uses it.
///
/// Tokens are cached per sorted, deduplicated scope set and renewed `refresh_skew` before expiry.
/// Concurrent callers for the same scope set share one request (single-flight): the first caller
/// fetches while the others wait for its result.
///
/// ```no_run
/// # async fn f() -> Result<(), ims_runtime::client::ClientError> {
/// use ims_runtime::client::*;
/// let source = ClientCredentialsSource::new(
///     "https://as.example.edu/token",
///     "my-client",
///     ClientAuth::ClientSecretBasic(ClientSecret::new("s3cret")),
///     TokenSourceOptions::default(),
/// )?;
/// let token = source.token(&["https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly"]).await?;
/// # let _ = token; Ok(()) }
/// ```
pub struct ClientCredentialsSource {
    token_url: url::Url,
    client_id: String,
    auth: ClientAuth,
    options: TokenSourceOptions,
    http: reqwest::Client,
    slots: std::sync::Mutex<HashMap<String, Slot>>,
}

impl std::fmt::Debug for ClientCredentialsSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCredentialsSource")
            .field("token_url", &self.token_url.as_str())
            .field("client_id", &self.client_id)
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

/// The cache key: scopes sorted and deduplicated, joined by spaces.
fn scope_key(scopes: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
    v.sort();
    v.dedup();
    v
}

impl ClientCredentialsSource {
    /// A source for `client_id` at `token_url` (https only unless loopback http is allowed).
    pub fn new(
        token_url: &str,
        client_id: impl Into<String>,
        auth: ClientAuth,
        options: TokenSourceOptions,
    ) -> Result<Self, ClientError> {
        let token_url = options.http.check_url(token_url)?;
        let client_id = client_id.into();
        if client_id.is_empty() {
            return Err(ClientError::Config("client_id is empty".into()));
        }
        Ok(Self {
            token_url,
            client_id,
            auth,
            http: options.http.build_client()?,
            options,
            slots: std::sync::Mutex::new(HashMap::new()),
        })
    }

    fn slot(&self, key: &str) -> Slot {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        Arc::clone(slots.entry(key.to_owned()).or_default())
    }

    /// Builds the RFC 7523 client assertion (public for inspection in tests and tooling).
    pub fn client_assertion(&self, key: &JwtAssertionKey) -> Result<String, ClientError> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let mut header = Header::new(key.alg);
        header.kid = Some(key.kid.clone());
        header.typ = Some("JWT".into());
        let claims = serde_json::json!({
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": self.token_url.as_str(),
            "jti": uuid::Uuid::new_v4().to_string(),
            "iat": now,
            "exp": now + ASSERTION_LIFETIME_SECS,
        });
        jsonwebtoken::encode(&header, &claims, &key.key)
            .map_err(|e| ClientError::Config(format!("signing the client assertion: {e}")))
    }

    async fn fetch(&self, scopes: &[String]) -> Result<AccessToken, ClientError> {
        let scope = scopes.join(" ");
        let mut form: Vec<(&str, String)> = vec![("grant_type", "client_credentials".into())];
        if !scope.is_empty() {
            form.push(("scope", scope));
        }
        let mut request = self
            .http
            .post(self.token_url.clone())
            .header(::http::header::ACCEPT, "application/json");
        match &self.auth {
            ClientAuth::ClientSecretBasic(secret) => {
                request = request.header(
                    ::http::header::AUTHORIZATION,
                    basic_authorization(&self.client_id, secret),
                );
            }
            ClientAuth::PrivateKeyJwt(key) => {
                form.push((
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into(),
                ));
                form.push(("client_assertion", self.client_assertion(key)?));
                form.push(("client_id", self.client_id.clone()));
            }
        }
        let response = request
            .form(&form)
            .send()
            .await
            .map_err(ClientError::from_reqwest)?;
        let status = response.status();
        let body = read_capped(response, self.options.http.max_response_bytes).await?;
        if !status.is_success() {
            let error = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| v.get("error").and_then(Value::as_str).map(sanitize_code))
                .unwrap_or_default();
            if error.is_empty() {
                return Err(ClientError::UnexpectedStatus(status.as_u16()));
            }
            return Err(ClientError::TokenEndpoint {
                status: status.as_u16(),
                error,
            });
        }
        parse_token_response(&body, scopes, &self.options)
    }
}

/// Keeps an OAuth error code to its allowed characters so it cannot smuggle text into logs.
fn sanitize_code(code: &str) -> String {
    code.chars()
        .filter(|c| matches!(c, '\x20'..='\x21' | '\x23'..='\x5b' | '\x5d'..='\x7e'))
        .take(64)
        .collect()
}

/// Validates a token response (RFC 6749 §5.1; CL-05, CL-06, CL-07).
pub(crate) fn parse_token_response(
    body: &[u8],
    requested: &[String],
    options: &TokenSourceOptions,
) -> Result<AccessToken, ClientError> {
    let invalid = |m: &str| ClientError::InvalidResponse(m.to_owned());
    let value: Value =
        serde_json::from_slice(body).map_err(|_| invalid("token response is not JSON"))?;
    let obj = value
        .as_object()
        .ok_or_else(|| invalid("token response is not a JSON object"))?;
    if let Some(error) = obj.get("error") {
        let code = error.as_str().map(sanitize_code).unwrap_or_default();
        return Err(ClientError::TokenEndpoint {
            status: 200,
            error: code,
        });
    }
    let token = match obj.get("access_token") {
        Some(Value::String(t)) if !t.is_empty() => t,
        _ => return Err(invalid("missing access_token")),
    };
    if token.len() > MAX_ACCESS_TOKEN_BYTES || !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(invalid("access_token is too large or not header-safe"));
    }
    match obj.get("token_type") {
        Some(Value::String(t)) if t.eq_ignore_ascii_case("bearer") => {}
        Some(Value::String(_)) => return Err(invalid("token_type is not Bearer")),
        _ => return Err(invalid("missing token_type")),
    }
    let scopes = match obj.get("scope") {
        None => requested.to_vec(),
        Some(Value::String(s)) => s
            .split(' ')
            .filter(|x| !x.is_empty())
            .map(str::to_owned)
            .collect(),
        Some(_) => return Err(invalid("scope is not a string")),
    };
    let lifetime = match obj.get("expires_in") {
        None | Some(Value::Null) => options.default_lifetime,
        Some(v) => {
            let secs = match v {
                Value::Number(n) => n
                    .as_i64()
                    .or_else(|| n.as_f64().map(|f| f.min(i64::MAX as f64) as i64)),
                Value::String(s) => s.trim().parse::<i64>().ok(),
                _ => None,
            }
            .ok_or_else(|| invalid("expires_in is not a number"))?;
            if secs <= 0 {
                Duration::ZERO // usable once, never cached
            } else {
                Duration::from_secs(u64::try_from(secs).unwrap_or(u64::MAX))
                    .min(options.max_lifetime)
            }
        }
    };
    Ok(AccessToken {
        secret: ClientSecret::new(token.clone()),
        scopes,
        expires_at: Instant::now() + lifetime,
    })
}

impl ClientCredentialsSource {
    fn fresh(&self, token: &AccessToken) -> bool {
        let now = Instant::now();
        let remaining = token.expires_at.saturating_duration_since(now);
        // Renew at expiry minus skew, the skew capped at half the remaining lifetime bound.
        remaining > self.options.refresh_skew.min(self.options.max_lifetime / 2)
            && !remaining.is_zero()
    }
}

impl TokenSource for ClientCredentialsSource {
    fn token<'a>(
        &'a self,
        scopes: &'a [&'a str],
    ) -> BoxFuture<'a, Result<AccessToken, ClientError>> {
        Box::pin(async move {
            let scopes = scope_key(scopes);
            let slot = self.slot(&scopes.join(" "));
            // Holding the slot's lock across the request is the single-flight: every other caller
            // for this scope set waits here and then finds the fresh token.
            let mut guard = slot.token.lock().await;
            let rejected = slot
                .rejected
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take();
            if let (Some(rejected), Some(token)) = (rejected, guard.as_ref())
                && token.secret == rejected
            {
                *guard = None;
            }
            if let Some(token) = guard.as_ref()
                && self.fresh(token)
            {
                return Ok(token.clone());
            }
            *guard = None;
            let token = self.fetch(&scopes).await?;
            if !token
                .expires_at
                .saturating_duration_since(Instant::now())
                .is_zero()
            {
                *guard = Some(token.clone());
            }
            Ok(token)
        })
    }

    fn invalidate(&self, scopes: &[&str], rejected: &AccessToken) {
        let key = scope_key(scopes).join(" ");
        let slot = self
            .slots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .cloned();
        if let Some(slot) = slot {
            *slot.rejected.lock().unwrap_or_else(|p| p.into_inner()) =
                Some(rejected.secret.clone());
        }
    }
}

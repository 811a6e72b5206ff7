//! RFC 7662 token introspection as a [`TokenVerifier`], failing closed (RS-11).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::jwt::check_audience;
use super::principal::{Clock, Principal, SystemClock, split_scope};
use super::verifier::{TokenVerifier, VerifyError};
use crate::client::{ClientError, ClientSecret, HttpPolicy, basic_authorization, read_capped};

/// An introspection answer (`None` = inactive) and when it stops being trusted.
type CachedAnswer = (Option<Principal>, Instant);

/// Asks the authorization server's introspection endpoint about each token (client
/// authenticated with `client_secret_basic`), caching answers.
///
/// - Active answers are cached by SHA-256 of the token until min(`exp`, cache TTL); inactive
///   answers are cached for the negative TTL. Cache size is bounded.
/// - Endpoint errors, timeouts, non-200 answers or malformed JSON → [`VerifyError::Unavailable`]
///   (503), never acceptance.
/// - `iss` (when present) must equal the expected issuer exactly; `aud` (when present) must
///   contain our audience; `exp` (when present) must be in the future; `token_type` (when
///   present) must not be `refresh_token`.
pub struct IntrospectionVerifier {
    endpoint: url::Url,
    http: reqwest::Client,
    policy: HttpPolicy,
    authorization: String,
    issuer: Option<String>,
    audience: String,
    clock: Arc<dyn Clock>,
    ttl: Duration,
    negative_ttl: Duration,
    max_entries: usize,
    cache: std::sync::Mutex<HashMap<[u8; 32], CachedAnswer>>,
}

impl std::fmt::Debug for IntrospectionVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntrospectionVerifier")
            .field("endpoint", &self.endpoint.as_str())
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

impl IntrospectionVerifier {
    /// A verifier calling `endpoint` as `client_id`/`client_secret`, for tokens meant for
    /// `audience`. Cache TTL 30 s, negative TTL 5 s, 10 000 entries.
    pub fn new(
        endpoint: &str,
        client_id: &str,
        client_secret: ClientSecret,
        audience: impl Into<String>,
        policy: HttpPolicy,
    ) -> Result<Self, ClientError> {
        Ok(Self {
            endpoint: policy.check_url(endpoint)?,
            http: policy.build_client()?,
            policy,
            authorization: basic_authorization(client_id, &client_secret),
            issuer: None,
            audience: audience.into(),
            clock: Arc::new(SystemClock),
            ttl: Duration::from_secs(30),
            negative_ttl: Duration::from_secs(5),
            max_entries: 10_000,
            cache: std::sync::Mutex::new(HashMap::new()),
        })
    }

    /// Requires `iss` in introspection answers to equal `issuer` exactly.
    pub fn with_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Sets the positive cache TTL (the revocation visibility bound for this verifier).
    pub fn with_cache_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Replaces the clock used for `exp` checks.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    fn cached(&self, key: &[u8; 32]) -> Option<Result<Principal, VerifyError>> {
        let cache = self.cache.lock().ok()?;
        let (answer, until) = cache.get(key)?;
        if Instant::now() >= *until {
            return None;
        }
        Some(match answer {
            Some(p) if p.exp > self.clock.now_unix() => Ok(p.clone()),
            Some(_) => Err(VerifyError::Expired),
            None => Err(VerifyError::InvalidToken("inactive")),
        })
    }

    fn store(&self, key: [u8; 32], answer: Option<Principal>) {
        let now_unix = self.clock.now_unix();
        let ttl = match &answer {
            Some(p) => {
                let remaining = u64::try_from(p.exp.saturating_sub(now_unix)).unwrap_or(0);
                self.ttl.min(Duration::from_secs(remaining))
            }
            None => self.negative_ttl,
        };
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= self.max_entries {
                let now = Instant::now();
                cache.retain(|_, (_, until)| *until > now);
                if cache.len() >= self.max_entries {
                    return;
                }
            }
            cache.insert(key, (answer, Instant::now() + ttl));
        }
    }

    async fn introspect(&self, token: &str) -> Result<Option<Principal>, VerifyError> {
        let unavailable = |e: String| {
            tracing::warn!(endpoint = %self.endpoint, error = %e, "introspection failed");
            VerifyError::Unavailable("introspection endpoint unavailable".into())
        };
        let response = self
            .http
            .post(self.endpoint.clone())
            .header(http::header::AUTHORIZATION, &self.authorization)
            .header(http::header::ACCEPT, "application/json")
            .form(&[("token", token), ("token_type_hint", "access_token")])
            .send()
            .await
            .map_err(|e| unavailable(e.to_string()))?;
        if response.status() != http::StatusCode::OK {
            return Err(unavailable(format!("status {}", response.status())));
        }
        let body = read_capped(response, self.policy.max_response_bytes)
            .await
            .map_err(|e| unavailable(e.to_string()))?;
        let claims: serde_json::Map<String, Value> =
            serde_json::from_slice(&body).map_err(|e| unavailable(e.to_string()))?;
        if claims.get("active") != Some(&Value::Bool(true)) {
            return Ok(None);
        }
        if let Some(iss) = &self.issuer
            && claims.get("iss").is_some_and(|v| v.as_str() != Some(iss))
        {
            return Ok(None);
        }
        if claims.contains_key("aud") && check_audience(&claims, &self.audience).is_err() {
            return Ok(None);
        }
        if claims.get("token_type").and_then(Value::as_str) == Some("refresh_token") {
            return Ok(None);
        }
        let now = self.clock.now_unix();
        let exp = match claims.get("exp") {
            Some(v) => match v.as_i64() {
                Some(e) => e,
                None => return Ok(None),
            },
            // No exp: trust the answer only for the cache TTL.
            None => now.saturating_add(i64::try_from(self.ttl.as_secs()).unwrap_or(30)),
        };
        if exp <= now {
            return Ok(None);
        }
        let s = |k: &str| claims.get(k).and_then(Value::as_str).map(str::to_owned);
        Ok(Some(Principal {
            sub: s("sub").or_else(|| s("client_id")).unwrap_or_default(),
            client_id: s("client_id").unwrap_or_default(),
            scopes: s("scope").map(|v| split_scope(&v)).unwrap_or_default(),
            jti: s("jti"),
            exp,
            claims: Arc::new(claims),
        }))
    }
}

impl TokenVerifier for IntrospectionVerifier {
    fn verify<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<Principal, VerifyError>> {
        Box::pin(async move {
            let key: [u8; 32] = Sha256::digest(token.as_bytes()).into();
            if let Some(answer) = self.cached(&key) {
                return answer;
            }
            let answer = self.introspect(token).await?;
            self.store(key, answer.clone());
            answer.ok_or(VerifyError::InvalidToken("inactive"))
        })
    }
}

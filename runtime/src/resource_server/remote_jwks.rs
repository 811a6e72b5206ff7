//! JWT verification with keys fetched from the issuer's configured `jwks_uri` (JW-05, JW-18, JW-19).

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use tokio::sync::{Mutex, RwLock};

use super::jwt::{JwtRules, parse_jwt, verify_parsed};
use super::keys::{KeyLookup, KeySet};
use super::principal::Principal;
use super::verifier::{TokenVerifier, VerifyError};
use crate::client::{ClientError, HttpPolicy, read_capped};

/// Verifies JWT access tokens with the key set at a fixed `jwks_uri`.
///
/// - The URL is the only key source: token headers (`jku`, `x5u`, `x5c`, `jwk`) are never
///   fetched or trusted.
/// - https only, no redirects, 64 KiB / 50 keys cap, 10 s timeout ([`HttpPolicy`]).
/// - The set is fetched on first use. A token with an unknown `kid` triggers a refresh at most
///   once per `min_refresh_interval` (default 60 s); other unknown-`kid` tokens in that window
///   fail fast, so a `kid` flood cannot make us hammer the issuer (JW-19).
/// - If the JWKS endpoint is down and no keys are known yet, verification fails closed (503).
pub struct RemoteJwksVerifier {
    url: url::Url,
    http: reqwest::Client,
    policy: HttpPolicy,
    rules: JwtRules,
    keys: RwLock<Option<Arc<KeySet>>>,
    last_fetch: Mutex<Option<Instant>>,
    min_refresh_interval: Duration,
}

impl std::fmt::Debug for RemoteJwksVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteJwksVerifier")
            .field("url", &self.url.as_str())
            .field("rules", &self.rules)
            .finish_non_exhaustive()
    }
}

impl RemoteJwksVerifier {
    /// A verifier for tokens checked by `rules` with keys from `jwks_uri`.
    pub fn new(jwks_uri: &str, rules: JwtRules, policy: HttpPolicy) -> Result<Self, ClientError> {
        let url = policy.check_url(jwks_uri)?;
        Ok(Self {
            url,
            http: policy.build_client()?,
            policy,
            rules,
            keys: RwLock::new(None),
            last_fetch: Mutex::new(None),
            min_refresh_interval: Duration::from_secs(60),
        })
    }

    /// Changes how often an unknown `kid` may trigger a refresh.
    pub fn with_min_refresh_interval(mut self, interval: Duration) -> Self {
        self.min_refresh_interval = interval;
        self
    }

    async fn fetch(&self) -> Result<KeySet, ClientError> {
        let response = self
            .http
            .get(self.url.clone())
            .header(
                http::header::ACCEPT,
                "application/json, application/jwk-set+json",
            )
            .send()
            .await
            .map_err(ClientError::from_reqwest)?;
        if !response.status().is_success() {
            return Err(ClientError::UnexpectedStatus(response.status().as_u16()));
        }
        let body = read_capped(response, self.policy.max_response_bytes).await?;
        KeySet::from_jwks_json(&body).map_err(|e| ClientError::InvalidResponse(e.to_string()))
    }

    /// Fetches the set again unless that happened less than the interval ago (single-flight).
    /// Returns whether a fetch happened and succeeded.
    async fn refresh(&self, force_first: bool) -> Result<bool, VerifyError> {
        let mut last = self.last_fetch.lock().await;
        let due = match *last {
            None => true,
            Some(t) => t.elapsed() >= self.min_refresh_interval,
        };
        if !due && !force_first {
            return Ok(false);
        }
        *last = Some(Instant::now());
        match self.fetch().await {
            Ok(set) => {
                *self.keys.write().await = Some(Arc::new(set));
                Ok(true)
            }
            Err(e) => {
                tracing::warn!(url = %self.url, error = %e, "JWKS fetch failed");
                if self.keys.read().await.is_none() {
                    return Err(VerifyError::Unavailable("JWKS endpoint unavailable".into()));
                }
                Ok(false)
            }
        }
    }

    async fn current(&self) -> Result<Arc<KeySet>, VerifyError> {
        if let Some(k) = self.keys.read().await.as_ref() {
            return Ok(Arc::clone(k));
        }
        self.refresh(false).await?;
        self.keys
            .read()
            .await
            .as_ref()
            .map(Arc::clone)
            .ok_or_else(|| VerifyError::Unavailable("JWKS not available".into()))
    }
}

impl TokenVerifier for RemoteJwksVerifier {
    fn verify<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<Principal, VerifyError>> {
        Box::pin(async move {
            let parsed = parse_jwt(token, &self.rules)?;
            let keys = self.current().await?;
            if matches!(
                keys.select(parsed.kid.as_deref(), parsed.alg),
                KeyLookup::UnknownKid
            ) && self.refresh(false).await?
            {
                let keys = self.current().await?;
                return verify_parsed(&parsed, &keys, &self.rules);
            }
            verify_parsed(&parsed, &keys, &self.rules)
        })
    }
}

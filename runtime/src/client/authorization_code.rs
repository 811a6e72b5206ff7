//! The client side of the OAuth 2 authorization code grant as OB 3.0 / CLR 2.0 use it (FACTS
//! §1.3, §1.4): PKCE S256 and a fresh `state` per request, the callback checks (CL-01 state,
//! CL-02 error responses, CL-03 RFC 9207 `iss`), the code exchange with `client_secret_basic`,
//! refresh with rotation and single-flight (CL-09), and RFC 7009 revocation at logout.
//! [`AuthorizationCodeSource`] is a [`TokenSource`], so generated clients take it exactly as
//! they take a [`ClientCredentialsSource`](super::ClientCredentialsSource).
//!
//! What comes from the `oauth2` crate and what does not, and why:
//! - the PKCE pair ([`oauth2::PkceCodeChallenge::new_random_sha256`]), the `state`
//!   ([`oauth2::CsrfToken::new_random`]) and the authorization URL (`authorize_url`): the crate
//!   does exactly what RFC 7636 / RFC 6749 §4.1.1 ask and its secret types redact `Debug`;
//! - not the code exchange, refresh or revocation requests: the crate's reqwest adapter is for
//!   reqwest 0.12 (the workspace uses 0.13), its token-response parsing lacks the checks the
//!   client-credentials source already makes (CL-05/06/07: an `error` member in a 200, an empty
//!   `scope`, `expires_in` bounds, a size cap before parsing), and each of those requests is one
//!   form POST on the shared capped client. They reuse that parser here, so both grants validate
//!   token responses identically.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, ClientId, CsrfToken, EndpointNotSet, EndpointSet, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, Scope,
};
use serde_json::Value;
use url::Url;

use super::ClientError;
use super::discovery_client::{Discovered, issuer_of};
use super::http::{HttpPolicy, read_capped};
use super::registration_client::{Registration, sanitize_code};
use super::secret::{ClientSecret, basic_authorization};
use super::token::{AccessToken, TokenSource, TokenSourceOptions, parse_token_response};
use super::user_token_store::{UserTokenStore, UserTokenStoreError, UserTokens};

/// How long an authorization request waits for its callback (a person logs in meanwhile).
const PENDING_LIFETIME: Duration = Duration::from_secs(600);
/// At most this many authorization requests wait at once (older ones are dropped).
const MAX_PENDING: usize = 64;
/// Longest `error_description` kept from a callback (CL-02).
const MAX_ERROR_DESCRIPTION: usize = 200;

/// The authorization server endpoints the grant uses, as discovery found them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationCodeEndpoints {
    /// Where the person is sent.
    pub authorization_url: Url,
    /// Where codes are exchanged.
    pub token_url: Url,
    /// Where refresh tokens are used (`tokenUrl` when the SDD has no `refreshUrl`).
    pub refresh_url: Url,
    /// RFC 7009 revocation endpoint, if the server has one.
    pub revocation_url: Option<Url>,
    /// The issuer expected in `iss` (RFC 9207).
    pub issuer: String,
    /// The server says it sends `iss` in every authorization response: a missing `iss` is
    /// then refused (CL-03).
    pub iss_parameter_supported: bool,
}

impl AuthorizationCodeEndpoints {
    /// From a discovery result: the SDD's URLs, the metadata's revocation endpoint and `iss`
    /// support (without metadata: no revocation, `iss` checked only when present).
    pub fn from_discovered(discovered: &Discovered) -> Self {
        let scheme = &discovered.service.authorization_code;
        let metadata = discovered.metadata.as_ref();
        Self {
            authorization_url: scheme.authorization_url.clone(),
            token_url: scheme.token_url.clone(),
            refresh_url: scheme
                .refresh_url
                .clone()
                .unwrap_or_else(|| scheme.token_url.clone()),
            revocation_url: metadata.and_then(|m| m.revocation_endpoint.clone()),
            issuer: metadata
                .map(|m| m.issuer.clone())
                .unwrap_or_else(|| issuer_of(&scheme.authorization_url)),
            iss_parameter_supported: metadata.is_some_and(|m| m.iss_parameter_supported),
        }
    }
}

/// Why an authorization step failed. Nothing here carries a secret.
#[derive(Debug, thiserror::Error)]
pub enum AuthorizationCodeError {
    /// The callback has no `state` (CL-01): aborted, no token request made.
    #[error("the authorization response has no `state`: refused (possible login CSRF)")]
    MissingState,
    /// The callback's `state` matches no pending request of this client (CL-01).
    #[error(
        "the authorization response's `state` matches no pending request (unknown, reused or expired): refused"
    )]
    UnknownState,
    /// The authorization server answered with an error (CL-02). The description is plain
    /// text, length-bounded and stripped of control characters; never render it as HTML.
    #[error("authorization failed: `{error}`{}", description.as_deref().map(|d| format!(" ({d:?})")).unwrap_or_default())]
    Denied {
        /// The RFC 6749 `error` code (e.g. `access_denied`), sanitised.
        error: String,
        /// `error_description`, as text.
        description: Option<String>,
    },
    /// `iss` differs from the expected issuer, or is missing while the server advertises it
    /// (RFC 9207; CL-03 mix-up).
    #[error(
        "the authorization response's `iss` is {found:?}, expected `{expected}`: refused (mix-up defence)"
    )]
    IssuerMismatch {
        /// The issuer expected.
        expected: String,
        /// What arrived (`None`: missing).
        found: Option<String>,
    },
    /// The callback URL is malformed, duplicates a parameter, has no code, or is not our
    /// redirect URI.
    #[error("invalid authorization response: {0}")]
    InvalidCallback(String),
    /// Configuration: e.g. the redirect URI is not registered, or a scope is not granted to
    /// the client.
    #[error("authorization code client configuration: {0}")]
    Config(String),
    /// The token endpoint or transport failed.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The token store failed.
    #[error(transparent)]
    Store(#[from] UserTokenStoreError),
}

/// An authorization request to send the person to.
#[derive(Debug, Clone)]
pub struct AuthorizationRequest {
    /// The URL to open in the person's browser.
    pub url: Url,
    /// Its `state` (also the key of the pending request).
    pub state: String,
}

/// What logout achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogoutOutcome {
    /// Both tokens were revoked at the server (RFC 7009) and forgotten locally.
    Revoked,
    /// There were no tokens.
    NothingToRevoke,
    /// The server has no revocation endpoint: the tokens were only forgotten locally.
    ForgottenLocally,
}

struct Pending {
    verifier: PkceCodeVerifier,
    scopes: Vec<String>,
    created: Instant,
}

enum Loaded {
    NotYet,
    Tokens(Option<UserTokens>),
}

type AuthorizeClient =
    BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointNotSet>;

/// User tokens from the authorization code grant, kept in a [`UserTokenStore`] under one
/// account key, refreshed with rotation, one refresh at a time.
///
/// ```no_run
/// # async fn f(registration: ims_runtime::client::Registration) -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use ims_runtime::client::*;
/// let policy = HttpPolicy::default();
/// let found = DiscoveryClient::new(policy.clone())?
///     .discover("https://badges.example.edu/ims/ob/v3p0/discovery").await?;
/// let store = Arc::new(SqliteUserTokenStore::open(std::path::Path::new("consumer.sqlite"))?);
/// let source = AuthorizationCodeSource::new(
///     AuthorizationCodeEndpoints::from_discovered(&found),
///     &registration,
///     "https://app.example.com/callback",
///     store,
///     "alice@badges.example.edu",
///     TokenSourceOptions { http: policy, ..Default::default() },
/// )?;
/// let request = source.authorization_request(&["https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.readonly"])?;
/// println!("open {}", request.url);
/// // … the browser comes back to the redirect URI:
/// # let callback = String::new();
/// source.complete(&callback).await?;
/// let token = source.token(&["https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.readonly"]).await?;
/// # let _ = token; Ok(()) }
/// ```
pub struct AuthorizationCodeSource {
    endpoints: AuthorizationCodeEndpoints,
    client_id: String,
    client_secret: ClientSecret,
    redirect_uri: Url,
    store: Arc<dyn UserTokenStore>,
    account: String,
    options: TokenSourceOptions,
    http: reqwest::Client,
    authorize: AuthorizeClient,
    pending: std::sync::Mutex<HashMap<String, Pending>>,
    /// The async lock is the single-flight: whoever refreshes holds it, the others wait and
    /// then find the new token.
    current: tokio::sync::Mutex<Loaded>,
    rejected: std::sync::Mutex<Option<ClientSecret>>,
}

impl std::fmt::Debug for AuthorizationCodeSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthorizationCodeSource")
            .field("endpoints", &self.endpoints)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("redirect_uri", &self.redirect_uri.as_str())
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Keeps `error_description` printable: the RFC 6749 charset (no control characters, no `"`
/// or `\`), at most [`MAX_ERROR_DESCRIPTION`] characters (CL-02).
fn sanitize_description(d: &str) -> String {
    d.chars()
        .filter(|c| matches!(c, '\x20'..='\x21' | '\x23'..='\x5b' | '\x5d'..='\x7e'))
        .take(MAX_ERROR_DESCRIPTION)
        .collect()
}

impl AuthorizationCodeSource {
    /// A source for the client `registration`, sending the person back to `redirect_uri` (one
    /// of the registered ones), keeping tokens in `store` under `account`.
    pub fn new(
        endpoints: AuthorizationCodeEndpoints,
        registration: &Registration,
        redirect_uri: &str,
        store: Arc<dyn UserTokenStore>,
        account: impl Into<String>,
        options: TokenSourceOptions,
    ) -> Result<Self, AuthorizationCodeError> {
        let policy: &HttpPolicy = &options.http;
        for url in [
            &endpoints.authorization_url,
            &endpoints.token_url,
            &endpoints.refresh_url,
        ]
        .into_iter()
        .chain(endpoints.revocation_url.as_ref())
        {
            policy.check_url(url.as_str())?;
        }
        if !registration.redirect_uris.iter().any(|r| r == redirect_uri) {
            return Err(AuthorizationCodeError::Config(format!(
                "redirect URI `{redirect_uri}` is not one of the registration's {:?}",
                registration.redirect_uris
            )));
        }
        let redirect = Url::parse(redirect_uri).map_err(|e| {
            AuthorizationCodeError::Config(format!("redirect URI `{redirect_uri}`: {e}"))
        })?;
        let authorize = BasicClient::new(ClientId::new(registration.client_id.clone()))
            .set_auth_uri(AuthUrl::from_url(endpoints.authorization_url.clone()));
        Ok(Self {
            http: policy.build_client()?,
            endpoints,
            client_id: registration.client_id.clone(),
            client_secret: registration.client_secret.clone(),
            redirect_uri: redirect,
            store,
            account: account.into(),
            options,
            authorize,
            pending: std::sync::Mutex::new(HashMap::new()),
            current: tokio::sync::Mutex::new(Loaded::NotYet),
            rejected: std::sync::Mutex::new(None),
        })
    }

    /// The account key tokens are stored under.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The endpoints in use.
    pub fn endpoints(&self) -> &AuthorizationCodeEndpoints {
        &self.endpoints
    }

    /// A new authorization request for `scopes`: a fresh PKCE S256 pair and a fresh `state`
    /// (CL-01), remembered until [`Self::complete`] sees its callback (or 10 minutes pass).
    pub fn authorization_request(
        &self,
        scopes: &[&str],
    ) -> Result<AuthorizationRequest, AuthorizationCodeError> {
        if scopes.is_empty() {
            return Err(AuthorizationCodeError::Config(
                "ask for at least one scope".into(),
            ));
        }
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state) = self
            .authorize
            .authorize_url(CsrfToken::new_random)
            .set_redirect_uri(std::borrow::Cow::Owned(RedirectUrl::from_url(
                self.redirect_uri.clone(),
            )))
            .add_scopes(scopes.iter().map(|s| Scope::new((*s).to_owned())))
            .set_pkce_challenge(challenge)
            .url();
        let state = state.secret().clone();
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        pending.retain(|_, p| p.created.elapsed() < PENDING_LIFETIME);
        if pending.len() >= MAX_PENDING
            && let Some(oldest) = pending
                .iter()
                .min_by_key(|(_, p)| p.created)
                .map(|(k, _)| k.clone())
        {
            pending.remove(&oldest);
        }
        pending.insert(
            state.clone(),
            Pending {
                verifier,
                scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
                created: Instant::now(),
            },
        );
        Ok(AuthorizationRequest { url, state })
    }

    /// Handles the redirect back (`callback`: the full URL the browser was sent to): checks
    /// `state` (CL-01), surfaces an `error` safely (CL-02), checks `iss` (CL-03), exchanges the
    /// code with the PKCE verifier and `client_secret_basic`, and stores the tokens. Returns
    /// the scopes the person granted (possibly fewer than asked).
    pub async fn complete(&self, callback: &str) -> Result<Vec<String>, AuthorizationCodeError> {
        let url = Url::parse(callback)
            .map_err(|e| AuthorizationCodeError::InvalidCallback(format!("not a URL: {e}")))?;
        if url.scheme() != self.redirect_uri.scheme()
            || url.host_str() != self.redirect_uri.host_str()
            || url.port_or_known_default() != self.redirect_uri.port_or_known_default()
            || url.path() != self.redirect_uri.path()
        {
            return Err(AuthorizationCodeError::InvalidCallback(
                "the callback is not this client's redirect URI".into(),
            ));
        }
        let mut params: HashMap<String, String> = HashMap::new();
        for (k, v) in url.query_pairs() {
            if params.insert(k.to_string(), v.to_string()).is_some() {
                return Err(AuthorizationCodeError::InvalidCallback(format!(
                    "parameter `{}` appears twice",
                    sanitize_code(&k)
                )));
            }
        }
        let state = params
            .get("state")
            .ok_or(AuthorizationCodeError::MissingState)?;
        // One use: whatever happens next, this state cannot be replayed.
        let pending = self
            .pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(state)
            .filter(|p| p.created.elapsed() < PENDING_LIFETIME)
            .ok_or(AuthorizationCodeError::UnknownState)?;
        if let Some(error) = params.get("error") {
            return Err(AuthorizationCodeError::Denied {
                error: sanitize_code(error),
                description: params
                    .get("error_description")
                    .map(|d| sanitize_description(d)),
            });
        }
        match params.get("iss") {
            Some(iss) if *iss == self.endpoints.issuer => {}
            None if !self.endpoints.iss_parameter_supported => {}
            found => {
                return Err(AuthorizationCodeError::IssuerMismatch {
                    expected: self.endpoints.issuer.clone(),
                    found: found.map(|f| f.chars().take(200).collect()),
                });
            }
        }
        let code = params
            .get("code")
            .filter(|c| !c.is_empty())
            .ok_or_else(|| AuthorizationCodeError::InvalidCallback("no `code`".into()))?;
        let form = vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code.clone()),
            ("redirect_uri", self.redirect_uri.to_string()),
            ("code_verifier", pending.verifier.secret().clone()),
            ("scope", pending.scopes.join(" ")),
        ];
        let tokens = self
            .token_request(&self.endpoints.token_url, &form, &pending.scopes, None)
            .await?;
        let scopes = tokens.scopes.clone();
        let mut current = self.current.lock().await;
        self.store.save_tokens(&self.account, &tokens)?;
        *current = Loaded::Tokens(Some(tokens));
        tracing::info!(account = %self.account, scopes = ?scopes, "user authorized the client");
        Ok(scopes)
    }

    /// True when tokens are stored for the account (they may still need a refresh).
    pub async fn is_authorized(&self) -> Result<bool, AuthorizationCodeError> {
        let mut current = self.current.lock().await;
        Ok(self.loaded(&mut current)?.is_some())
    }

    /// The scopes the user granted (empty when not authorized).
    pub async fn granted_scopes(&self) -> Result<Vec<String>, AuthorizationCodeError> {
        let mut current = self.current.lock().await;
        Ok(self
            .loaded(&mut current)?
            .map(|t| t.scopes.clone())
            .unwrap_or_default())
    }

    /// Refreshes now (rotation), unless another caller refreshed since `seen` was handed out:
    /// then that result is returned (single-flight for forced refreshes too).
    pub async fn refresh(&self, seen: Option<&AccessToken>) -> Result<AccessToken, ClientError> {
        let mut current = self.current.lock().await;
        let tokens = self
            .loaded(&mut current)
            .map_err(store_error)?
            .cloned()
            .ok_or_else(|| ClientError::AuthorizationRequired("no tokens stored".into()))?;
        if let Some(seen) = seen
            && seen.secret() != tokens.access_token.expose()
        {
            return Ok(self.access_token(&tokens));
        }
        let refreshed = self.refresh_locked(&mut current, &tokens).await?;
        Ok(self.access_token(&refreshed))
    }

    /// Logs out: revokes the refresh token and the access token (RFC 7009, with
    /// `token_type_hint`) and forgets them. The registration is kept.
    pub async fn logout(&self) -> Result<LogoutOutcome, AuthorizationCodeError> {
        let mut current = self.current.lock().await;
        let Some(tokens) = self.loaded(&mut current)?.cloned() else {
            return Ok(LogoutOutcome::NothingToRevoke);
        };
        // Forget first: a failed revocation must not leave usable tokens behind locally.
        self.store.delete_tokens(&self.account)?;
        *current = Loaded::Tokens(None);
        let Some(revocation_url) = &self.endpoints.revocation_url else {
            tracing::warn!(account = %self.account, "no revocation endpoint: tokens forgotten locally only");
            return Ok(LogoutOutcome::ForgottenLocally);
        };
        // The refresh token first: revoking it ends the whole grant.
        if let Some(refresh) = &tokens.refresh_token {
            self.revoke(revocation_url, refresh, "refresh_token")
                .await?;
        }
        self.revoke(revocation_url, &tokens.access_token, "access_token")
            .await?;
        tracing::info!(account = %self.account, "tokens revoked");
        Ok(LogoutOutcome::Revoked)
    }

    async fn revoke(&self, url: &Url, token: &ClientSecret, hint: &str) -> Result<(), ClientError> {
        let response = self
            .http
            .post(url.clone())
            .header(
                ::http::header::AUTHORIZATION,
                basic_authorization(&self.client_id, &self.client_secret),
            )
            .form(&[("token", token.expose()), ("token_type_hint", hint)])
            .send()
            .await
            .map_err(ClientError::from_reqwest)?;
        let status = response.status();
        let body = read_capped(response, self.options.http.max_response_bytes).await?;
        if status.is_success() {
            return Ok(());
        }
        Err(endpoint_error(status.as_u16(), &body))
    }

    fn loaded<'g>(
        &self,
        current: &'g mut Loaded,
    ) -> Result<Option<&'g UserTokens>, UserTokenStoreError> {
        if let Loaded::NotYet = current {
            *current = Loaded::Tokens(self.store.tokens(&self.account)?);
        }
        match current {
            Loaded::Tokens(t) => Ok(t.as_ref()),
            Loaded::NotYet => Ok(None),
        }
    }

    fn access_token(&self, t: &UserTokens) -> AccessToken {
        let remaining = u64::try_from(t.expires_at.saturating_sub(unix_now())).unwrap_or(0);
        AccessToken::from_parts(
            t.access_token.clone(),
            t.scopes.clone(),
            Instant::now() + Duration::from_secs(remaining),
        )
    }

    fn fresh(&self, t: &UserTokens) -> bool {
        let remaining = t.expires_at.saturating_sub(unix_now());
        let skew = i64::try_from(self.options.refresh_skew.as_secs()).unwrap_or(i64::MAX);
        remaining > skew && remaining > 0
    }

    async fn refresh_locked(
        &self,
        current: &mut Loaded,
        tokens: &UserTokens,
    ) -> Result<UserTokens, ClientError> {
        let Some(refresh) = &tokens.refresh_token else {
            self.drop_tokens(current);
            return Err(ClientError::AuthorizationRequired(
                "the access token expired and the server issued no refresh token".into(),
            ));
        };
        // The scope must not exceed the grant (FACTS §1.3): ask for exactly what was granted.
        let form = vec![
            ("grant_type", "refresh_token".to_owned()),
            ("refresh_token", refresh.expose().to_owned()),
            ("scope", tokens.scopes.join(" ")),
        ];
        match self
            .token_request(
                &self.endpoints.refresh_url,
                &form,
                &tokens.scopes,
                Some(refresh),
            )
            .await
        {
            Ok(next) => {
                self.store
                    .save_tokens(&self.account, &next)
                    .map_err(store_error)?;
                *current = Loaded::Tokens(Some(next.clone()));
                tracing::debug!(account = %self.account, "user token refreshed");
                Ok(next)
            }
            Err(AuthorizationCodeError::Client(ClientError::TokenEndpoint { error, .. }))
                if error == "invalid_grant" =>
            {
                // Revoked, expired, or reuse detected (the family is gone): retrying cannot
                // help, and keeping the tokens would only repeat the failure (CL-09).
                self.drop_tokens(current);
                tracing::warn!(account = %self.account, "refresh refused (invalid_grant); tokens dropped, the user must authorize again");
                Err(ClientError::AuthorizationRequired(
                    "the refresh token was refused (invalid_grant); the tokens were dropped".into(),
                ))
            }
            Err(AuthorizationCodeError::Client(e)) => Err(e),
            Err(e) => Err(ClientError::InvalidResponse(e.to_string())),
        }
    }

    fn drop_tokens(&self, current: &mut Loaded) {
        if let Err(e) = self.store.delete_tokens(&self.account) {
            tracing::error!(account = %self.account, error = %e, "could not delete refused tokens");
        }
        *current = Loaded::Tokens(None);
    }

    /// POSTs a token request with `client_secret_basic` and validates the response like the
    /// client-credentials source; keeps `previous_refresh` when the server does not rotate.
    async fn token_request(
        &self,
        url: &Url,
        form: &[(&str, String)],
        requested: &[String],
        previous_refresh: Option<&ClientSecret>,
    ) -> Result<UserTokens, AuthorizationCodeError> {
        let response = self
            .http
            .post(url.clone())
            .header(::http::header::ACCEPT, "application/json")
            .header(
                ::http::header::AUTHORIZATION,
                basic_authorization(&self.client_id, &self.client_secret),
            )
            .form(form)
            .send()
            .await
            .map_err(ClientError::from_reqwest)?;
        let status = response.status();
        let body = read_capped(response, self.options.http.max_response_bytes).await?;
        if !status.is_success() {
            return Err(endpoint_error(status.as_u16(), &body).into());
        }
        let access = parse_token_response(&body, requested, &self.options)?;
        let refresh = match serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v.get("refresh_token").cloned())
        {
            Some(Value::String(r)) if !r.is_empty() => Some(ClientSecret::new(r)),
            None | Some(Value::Null) => previous_refresh.cloned(),
            Some(_) => {
                return Err(ClientError::InvalidResponse(
                    "refresh_token is not a non-empty string".into(),
                )
                .into());
            }
        };
        let lifetime = access
            .expires_at()
            .saturating_duration_since(Instant::now());
        Ok(UserTokens {
            access_token: ClientSecret::new(access.secret()),
            refresh_token: refresh,
            scopes: access.scopes().to_vec(),
            expires_at: unix_now() + i64::try_from(lifetime.as_secs()).unwrap_or(0),
        })
    }
}

fn store_error(e: UserTokenStoreError) -> ClientError {
    ClientError::Config(e.to_string())
}

fn endpoint_error(status: u16, body: &[u8]) -> ClientError {
    let error = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("error")?.as_str().map(sanitize_code))
        .unwrap_or_default();
    if error.is_empty() {
        ClientError::UnexpectedStatus(status)
    } else {
        ClientError::TokenEndpoint { status, error }
    }
}

impl TokenSource for AuthorizationCodeSource {
    /// The user's access token, refreshed when it is about to expire (one refresh for any
    /// number of concurrent callers). `scopes` must be granted by the user: otherwise the
    /// answer is `TokenEndpoint { status: 400, error: "invalid_scope" }`, what the server
    /// would answer to a refresh asking for more than the grant (RFC 6749 §6), so an
    /// [`ApiClient`](super::ApiClient) tries the operation's next scope alternative. With no
    /// tokens, or after `invalid_grant`: [`ClientError::AuthorizationRequired`].
    fn token<'a>(
        &'a self,
        scopes: &'a [&'a str],
    ) -> BoxFuture<'a, Result<AccessToken, ClientError>> {
        Box::pin(async move {
            let mut current = self.current.lock().await;
            let tokens = self
                .loaded(&mut current)
                .map_err(store_error)?
                .cloned()
                .ok_or_else(|| {
                    ClientError::AuthorizationRequired(
                        "no tokens stored for this account: run the authorization request".into(),
                    )
                })?;
            let missing: Vec<&str> = scopes
                .iter()
                .copied()
                .filter(|s| !tokens.scopes.iter().any(|g| g == s))
                .collect();
            if !missing.is_empty() {
                tracing::warn!(missing = ?missing, granted = ?tokens.scopes, "scopes requested that the user did not grant");
                return Err(ClientError::TokenEndpoint {
                    status: 400,
                    error: "invalid_scope".into(),
                });
            }
            let rejected = self
                .rejected
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take();
            let rejected = rejected.is_some_and(|r| r == tokens.access_token);
            if !rejected && self.fresh(&tokens) {
                return Ok(self.access_token(&tokens));
            }
            let next = self.refresh_locked(&mut current, &tokens).await?;
            Ok(self.access_token(&next))
        })
    }

    fn invalidate(&self, _scopes: &[&str], rejected: &AccessToken) {
        *self.rejected.lock().unwrap_or_else(|p| p.into_inner()) =
            Some(ClientSecret::new(rejected.secret()));
    }
}

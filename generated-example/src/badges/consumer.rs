//! The consumer: discovery → dynamic registration → authorization code + PKCE → the API, with
//! the runtime's client side of scenario 2 (`DiscoveryClient`, `RegistrationClient`,
//! `AuthorizationCodeSource`, `SqliteUserTokenStore`).
//!
//! Its data directory keeps the registration and the user's tokens (`consumer.sqlite`), so a
//! second run goes straight to the API (refreshing the token) without a login.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use ims_runtime::client::{
    ApiError, AuthorizationCodeEndpoints, AuthorizationCodeError, AuthorizationCodeSource,
    ClientError, ClientMetadata, DiscoveryClient, DiscoveryClientError, HttpPolicy, ListQuery,
    LogoutOutcome, Registration, RegistrationClient, RegistrationError, SqliteUserTokenStore,
    TokenSourceOptions, UserTokenStore, UserTokenStoreError,
};
use serde_json::{Value, json};

use super::vc_jwt::{JwsError, VcJwtSigner};
use crate::clr_v2p0::client::ClrClient;
use crate::openbadges_v3p0::client::OpenBadgesClient;
use crate::{clr_v2p0, openbadges_v3p0};

/// The consumer's state file, inside its data directory.
pub const CONSUMER_DB: &str = "consumer.sqlite";
/// The consumer's redirect URI. Nothing listens there: with `--login` the consumer reads the
/// redirect itself; a person copies the URL the browser was sent to from its address bar.
pub const REDIRECT_URI: &str = "https://badges-consumer.example/callback";
/// The consumer's home page (all its registered URIs share this host, as the IMS profile asks).
pub const CLIENT_URI: &str = "https://badges-consumer.example/";
/// Page size of the listing (small, so two credentials already take two pages).
pub const PAGE_SIZE: u64 = 1;
/// Largest response the consumer reads.
const MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;

/// Arguments of `consumer`.
#[derive(Debug, Clone, Args)]
pub struct ConsumerArgs {
    /// The host's discovery URL (`https://ADDR/ims/ob/v3p0/discovery` or `…/ims/clr/v2p0/discovery`).
    #[arg(long)]
    pub discovery: String,
    /// The CA certificate to trust (the host's `DIR/ca.pem`).
    #[arg(long)]
    pub ca: PathBuf,
    /// Folder for the registration and the tokens (created if missing).
    #[arg(long)]
    pub data_dir: PathBuf,
    /// Complete the login form as USER:PASSWORD instead of waiting for a person.
    #[arg(long, value_name = "USER:PASSWORD")]
    pub login: Option<String>,
    /// Revoke the stored tokens (RFC 7009) and forget them.
    #[arg(long, conflicts_with = "login")]
    pub logout: bool,
}

/// Why the consumer failed.
#[derive(Debug, thiserror::Error)]
pub enum ConsumerError {
    /// A file could not be read or created.
    #[error("{what} `{path}`: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The discovery URL is not an OB 3.0 or CLR 2.0 one.
    #[error(
        "`{0}` is not an Open Badges 3.0 (…/ims/ob/v3p0/discovery) or CLR 2.0 (…/ims/clr/v2p0/discovery) discovery URL"
    )]
    DiscoveryUrl(String),
    /// `--login` is not `USER:PASSWORD`.
    #[error("--login must be USER:PASSWORD")]
    LoginArgument,
    /// The login form did not lead back to the redirect URI.
    #[error("login: {0}")]
    Login(String),
    /// Discovery failed.
    #[error(transparent)]
    Discovery(#[from] DiscoveryClientError),
    /// Registration failed.
    #[error(transparent)]
    Registration(#[from] RegistrationError),
    /// Authorization failed.
    #[error(transparent)]
    Authorization(#[from] AuthorizationCodeError),
    /// The local store failed.
    #[error(transparent)]
    Store(#[from] UserTokenStoreError),
    /// A token or transport failure.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// An API call failed.
    #[error("API call failed: {0}")]
    Api(#[from] ApiError),
    /// The sample VC-JWT could not be signed.
    #[error(transparent)]
    Jws(#[from] JwsError),
    /// The sample credential does not fit the generated model (a bug of this demo).
    #[error("sample credential: {0}")]
    Sample(#[from] serde_json::Error),
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConsumerSummary {
    /// The discovery URL.
    pub discovery: String,
    /// The client id used.
    pub client_id: String,
    /// A registration was made in this run (not reused).
    pub registered: bool,
    /// The user logged in during this run (no usable stored tokens).
    pub logged_in: bool,
    /// `--logout`: what logging out achieved.
    pub logout: Option<String>,
    /// Credentials read as JSON (`credential`).
    pub credentials: usize,
    /// Credentials read as compact JWS (`compactJwsString`).
    pub compact_jws: usize,
    /// Pages the listing took.
    pub pages: usize,
    /// `X-Total-Count` of the first page.
    pub total: Option<u64>,
    /// The profile's id.
    pub profile_id: Option<String>,
    /// The token was refreshed (rotation).
    pub refreshed: bool,
    /// The scopes granted.
    pub scopes: Vec<String>,
}

impl std::fmt::Display for ConsumerSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "discovery: {}", self.discovery)?;
        writeln!(
            f,
            "client: {} ({})",
            self.client_id,
            if self.registered {
                "registered now"
            } else {
                "stored registration"
            }
        )?;
        if let Some(outcome) = &self.logout {
            return write!(f, "logout: {outcome}");
        }
        writeln!(
            f,
            "authorization: {}",
            if self.logged_in {
                "logged in now"
            } else {
                "stored tokens"
            }
        )?;
        writeln!(f, "scopes: {}", self.scopes.join(" "))?;
        writeln!(
            f,
            "credentials: {} JSON + {} compact JWS in {} pages (X-Total-Count {})",
            self.credentials,
            self.compact_jws,
            self.pages,
            self.total.map_or("-".into(), |t| t.to_string())
        )?;
        writeln!(f, "profile: {}", self.profile_id.as_deref().unwrap_or("-"))?;
        write!(
            f,
            "refreshed: {}",
            if self.refreshed { "yes" } else { "no" }
        )
    }
}

/// Which spec the discovery URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Api {
    OpenBadges,
    Clr,
}

impl Api {
    fn base_path(self) -> &'static str {
        match self {
            Api::OpenBadges => openbadges_v3p0::BASE_PATH,
            Api::Clr => clr_v2p0::BASE_PATH,
        }
    }
}

/// `(spec, origin)` of a discovery URL.
fn split_discovery(url: &str) -> Result<(Api, String), ConsumerError> {
    for api in [Api::OpenBadges, Api::Clr] {
        let tail = format!("{}/discovery", api.base_path());
        if let Some(origin) = url.strip_suffix(&tail) {
            return Ok((api, origin.to_owned()));
        }
    }
    Err(ConsumerError::DiscoveryUrl(url.to_owned()))
}

/// A sample OB 3.0 AchievementCredential (`id` suffix keeps the JSON and the JWS one apart).
pub fn sample_achievement_credential(suffix: &str) -> Value {
    json!({
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
        ],
        "id": format!("https://badges-consumer.example/credentials/demo-{suffix}"),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Badges demo credential",
        "issuer": {
            "id": "https://badges-consumer.example/issuers/1",
            "type": ["Profile"],
            "name": "Badges demo issuer"
        },
        "validFrom": "2024-01-01T00:00:00Z",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://badges-consumer.example/achievements/demo",
                "type": ["Achievement"],
                "name": "Ran the badges demo",
                "description": "Completed scenario 2 end to end.",
                "criteria": {"narrative": "Run `badges-demo consumer`."}
            }
        }
    })
}

/// A sample CLR 2.0 ClrCredential holding one sample AchievementCredential.
pub fn sample_clr_credential(suffix: &str) -> Value {
    json!({
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
        ],
        "id": format!("https://badges-consumer.example/clrs/demo-{suffix}"),
        "type": ["VerifiableCredential", "ClrCredential"],
        "name": "Badges demo record",
        "issuer": {
            "id": "https://badges-consumer.example/issuers/1",
            "type": ["Profile"],
            "name": "Badges demo issuer"
        },
        "validFrom": "2024-01-01T00:00:00Z",
        "credentialSubject": {
            "type": ["ClrSubject"],
            "verifiableCredential": [sample_achievement_credential(suffix)]
        }
    })
}

/// The sample credential of `api`.
fn sample(api: Api, suffix: &str) -> Value {
    match api {
        Api::OpenBadges => sample_achievement_credential(suffix),
        Api::Clr => sample_clr_credential(suffix),
    }
}

/// Logs `user` in on the consent page at `authorization_url` and approves, as a browser without
/// JavaScript would: GET the page (keeping its cookies), POST the form, read the redirect.
pub async fn login_with_form(
    authorization_url: &str,
    user: &str,
    password: &str,
    ca_pem: &[u8],
) -> Result<String, ConsumerError> {
    let login = |m: String| ConsumerError::Login(m);
    let tls = ims_runtime::tls::client_config(Some(ca_pem))
        .map_err(|e| login(format!("TLS configuration: {e}")))?;
    let browser = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| login(e.to_string()))?;
    let page = browser
        .get(authorization_url)
        .send()
        .await
        .map_err(|e| login(format!("GET the login page: {e}")))?;
    if page.status().is_redirection() {
        // Consent remembered and a sign-in session: the server answers at once.
        return location(&page);
    }
    if !page.status().is_success() {
        return Err(login(format!("the login page answered {}", page.status())));
    }
    let page_url = page.url().clone();
    let cookies: Vec<String> = page
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .map(str::to_owned)
        .collect();
    let html = page.text().await.map_err(|e| login(e.to_string()))?;
    let action = form_action(&html).unwrap_or("authorize");
    let action = page_url
        .join(action)
        .map_err(|e| login(format!("form action: {e}")))?;
    let mut fields: Vec<(String, String)> = hidden_inputs(&html);
    fields.push(("username".into(), user.into()));
    fields.push(("password".into(), password.into()));
    fields.push(("decision".into(), "approve".into()));
    let body = serde_urlencoded::to_string(&fields).map_err(|e| login(e.to_string()))?;
    let mut post = browser
        .post(action)
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(body);
    if !cookies.is_empty() {
        post = post.header(reqwest::header::COOKIE, cookies.join("; "));
    }
    let answer = post
        .send()
        .await
        .map_err(|e| login(format!("POST the login form: {e}")))?;
    if !answer.status().is_redirection() {
        return Err(login(format!(
            "the login form answered {} (wrong user or password?)",
            answer.status()
        )));
    }
    location(&answer)
}

fn location(response: &reqwest::Response) -> Result<String, ConsumerError> {
    response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .ok_or_else(|| ConsumerError::Login("a redirect without Location".into()))
}

/// `action="…"` of the first form.
fn form_action(html: &str) -> Option<&str> {
    let form = &html[html.find("<form")?..];
    let start = form.find("action=\"")? + "action=\"".len();
    let end = form[start..].find('"')?;
    Some(&form[start..start + end])
}

/// `(name, value)` of every `<input type="hidden" …>` (the page escapes attribute values; ours
/// are opaque tokens, so no entity decoding is needed beyond `&amp;`).
fn hidden_inputs(html: &str) -> Vec<(String, String)> {
    let attr = |tag: &str, name: &str| -> Option<String> {
        let marker = format!("{name}=\"");
        let start = tag.find(&marker)? + marker.len();
        let end = tag[start..].find('"')?;
        Some(tag[start..start + end].replace("&amp;", "&"))
    };
    html.split("<input")
        .skip(1)
        .filter_map(|rest| rest.split('>').next())
        .filter(|tag| tag.contains("type=\"hidden\""))
        .filter_map(|tag| Some((attr(tag, "name")?, attr(tag, "value").unwrap_or_default())))
        .collect()
}

/// Reads the callback URL a person pastes (the address the browser was sent to).
async fn read_callback() -> Result<String, ConsumerError> {
    let line = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map(|_| line)
    })
    .await
    .map_err(|e| ConsumerError::Login(format!("reading stdin: {e}")))?
    .map_err(|source| ConsumerError::Io {
        what: "cannot read the callback URL from",
        path: PathBuf::from("stdin"),
        source,
    })?;
    Ok(line.trim().to_owned())
}

/// Runs the consumer once.
pub async fn run(args: &ConsumerArgs) -> Result<ConsumerSummary, ConsumerError> {
    let (api, origin) = split_discovery(&args.discovery)?;
    let ca_pem = std::fs::read(&args.ca).map_err(|source| ConsumerError::Io {
        what: "cannot read CA certificate",
        path: args.ca.clone(),
        source,
    })?;
    std::fs::create_dir_all(&args.data_dir).map_err(|source| ConsumerError::Io {
        what: "cannot create data directory",
        path: args.data_dir.clone(),
        source,
    })?;
    let mut policy = HttpPolicy::default().with_ca_pem(ca_pem.clone());
    policy.max_response_bytes = MAX_RESPONSE_BYTES;

    let found = DiscoveryClient::new(policy.clone())?
        .discover(&args.discovery)
        .await?;
    let store = Arc::new(SqliteUserTokenStore::open(
        &args.data_dir.join(CONSUMER_DB),
    )?);
    let registration_url = found.registration_url().cloned().ok_or_else(|| {
        ConsumerError::Registration(RegistrationError::InvalidResponse(
            "the SDD names no registration URL".into(),
        ))
    })?;
    let scopes = found.service.authorization_code.scope_names();
    let key = registration_url.to_string();
    let mut summary = ConsumerSummary {
        discovery: args.discovery.clone(),
        ..ConsumerSummary::default()
    };
    let registration: Registration = match store.registration(&key)? {
        Some(r) if !r.secret_expired() => r,
        _ => {
            let client_uri = url::Url::parse(CLIENT_URI).map_err(|e| {
                ConsumerError::Registration(RegistrationError::InvalidMetadata(e.to_string()))
            })?;
            let mut metadata = ClientMetadata::new(
                "Badges demo consumer",
                &client_uri,
                REDIRECT_URI,
                scopes.clone(),
            );
            metadata.software_id = "ims-badges-demo-consumer".into();
            let r = RegistrationClient::new(policy.clone())?
                .register(&registration_url, &metadata)
                .await?;
            store.save_registration(&key, &r)?;
            summary.registered = true;
            r
        }
    };
    summary.client_id = registration.client_id.clone();
    let source = Arc::new(AuthorizationCodeSource::new(
        AuthorizationCodeEndpoints::from_discovered(&found),
        &registration,
        REDIRECT_URI,
        store.clone() as Arc<dyn UserTokenStore>,
        args.discovery.clone(),
        TokenSourceOptions {
            http: policy.clone(),
            ..TokenSourceOptions::default()
        },
    )?);

    if args.logout {
        let outcome = source.logout().await?;
        summary.logout = Some(
            match outcome {
                LogoutOutcome::Revoked => "tokens revoked",
                LogoutOutcome::NothingToRevoke => "no tokens stored",
                LogoutOutcome::ForgottenLocally => "no revocation endpoint: tokens forgotten",
            }
            .into(),
        );
        return Ok(summary);
    }

    if !source.is_authorized().await? {
        // Ask for every scope the registration got (offline_access included when offered).
        let wanted: Vec<&str> = registration.scopes.iter().map(String::as_str).collect();
        let request = source.authorization_request(&wanted)?;
        println!(
            "Open this URL in a browser, sign in and approve:\n{}",
            request.url
        );
        let callback = match &args.login {
            Some(login) => {
                let (user, password) = login.split_once(':').ok_or(ConsumerError::LoginArgument)?;
                login_with_form(request.url.as_str(), user, password, &ca_pem).await?
            }
            None => {
                println!("Then paste the address the browser was sent to ({REDIRECT_URI}?…):");
                read_callback().await?
            }
        };
        source.complete(&callback).await?;
        summary.logged_in = true;
    }
    summary.scopes = source.granted_scopes().await?;

    // One credential as JSON, one as a VC-JWT (text/plain): both arrays of the listing fill.
    let signer = VcJwtSigner::generate()?;
    let jws = signer.sign(&sample(api, "jwt"))?;
    match api {
        Api::OpenBadges => {
            let client = OpenBadgesClient::with_policy(&origin, source.clone(), policy.clone())?;
            use openbadges_v3p0::models::UpsertCredentialBody;
            let json = UpsertCredentialBody::Json(serde_json::from_value(sample(api, "json"))?);
            client.upsert_credential(&json).await?;
            client
                .upsert_credential(&UpsertCredentialBody::Text(jws))
                .await?;
            let mut offset = 0;
            loop {
                let page = client
                    .get_credentials(None, ListQuery::new().limit(PAGE_SIZE).offset(offset))
                    .await?;
                summary.pages += 1;
                if summary.total.is_none() {
                    summary.total = page.total;
                }
                let n = page.body.credential.as_ref().map_or(0, Vec::len);
                let m = page.body.compact_jws_string.as_ref().map_or(0, Vec::len);
                summary.credentials += n;
                summary.compact_jws += m;
                offset += (n + m) as u64;
                if page.next.is_none() || n + m == 0 {
                    break;
                }
            }
            summary.profile_id = Some(client.get_profile().await?.id.to_string());
        }
        Api::Clr => {
            let client = ClrClient::with_policy(&origin, source.clone(), policy.clone())?;
            use clr_v2p0::models::UpsertCredentialBody;
            let json = UpsertCredentialBody::Json(serde_json::from_value(sample(api, "json"))?);
            client.upsert_credential(&json).await?;
            client
                .upsert_credential(&UpsertCredentialBody::Text(jws))
                .await?;
            let mut offset = 0;
            loop {
                let page = client
                    .get_credentials(None, ListQuery::new().limit(PAGE_SIZE).offset(offset))
                    .await?;
                summary.pages += 1;
                if summary.total.is_none() {
                    summary.total = page.total;
                }
                let n = page.body.credential.as_ref().map_or(0, Vec::len);
                let m = page.body.compact_jws_string.as_ref().map_or(0, Vec::len);
                summary.credentials += n;
                summary.compact_jws += m;
                offset += (n + m) as u64;
                if page.next.is_none() || n + m == 0 {
                    break;
                }
            }
            summary.profile_id = Some(client.get_profile().await?.id.to_string());
        }
    }
    source.refresh(None).await?;
    summary.refreshed = true;
    Ok(summary)
}

//! Dynamic client registration as a client: RFC 7591 as profiled by OB 3.0 / CLR 2.0 (FACTS
//! §1.5), and RFC 7592 read/update/delete when the server returns a `registration_client_uri`.
//!
//! Written on the shared capped reqwest client rather than a crate: the `oauth2` crate has no
//! registration support, and the request is one JSON POST whose response needs the IMS checks
//! below (201, the four required fields, echoed metadata).

use serde_json::{Map, Value};
use url::Url;

use super::ClientError;
use super::http::{HttpPolicy, read_capped};
use super::secret::ClientSecret;

/// The client metadata sent to the registration endpoint: every field OB 3.0 requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientMetadata {
    /// Shown to the person at consent.
    pub client_name: String,
    /// The client's home page.
    pub client_uri: String,
    /// Its logo (an image).
    pub logo_uri: String,
    /// Its terms of service.
    pub tos_uri: String,
    /// Its privacy policy.
    pub policy_uri: String,
    /// Stable across all instances of the client software.
    pub software_id: String,
    /// Changes with every release.
    pub software_version: String,
    /// Where the authorization server may send the person back.
    pub redirect_uris: Vec<String>,
    /// The scopes asked for (sent space-separated).
    pub scopes: Vec<String>,
    /// Contacts (e-mail addresses), optional.
    pub contacts: Vec<String>,
    /// Ask for `refresh_token` besides `authorization_code` (default true).
    pub refresh_tokens: bool,
}

impl ClientMetadata {
    /// Metadata whose URIs all live under `client_uri` (`/logo.png`, `/tos`, `/privacy`), with
    /// one redirect URI. Adjust the public fields afterwards if yours differ.
    pub fn new(
        client_name: impl Into<String>,
        client_uri: &Url,
        redirect_uri: impl Into<String>,
        scopes: Vec<String>,
    ) -> Self {
        let at = |p: &str| client_uri.join(p).map(String::from).unwrap_or_default();
        Self {
            client_name: client_name.into(),
            client_uri: client_uri.to_string(),
            logo_uri: at("/logo.png"),
            tos_uri: at("/tos"),
            policy_uri: at("/privacy"),
            software_id: "ims-runtime-client".into(),
            software_version: env!("CARGO_PKG_VERSION").into(),
            redirect_uris: vec![redirect_uri.into()],
            scopes,
            contacts: Vec::new(),
            refresh_tokens: true,
        }
    }

    fn grant_types(&self) -> Vec<&'static str> {
        if self.refresh_tokens {
            vec!["authorization_code", "refresh_token"]
        } else {
            vec!["authorization_code"]
        }
    }

    /// Checks the IMS rules before sending (FACTS §1.5): every URI https, all on one host,
    /// at least one redirect URI and one scope, no empty required string.
    pub fn validate(&self) -> Result<(), RegistrationError> {
        let required = [
            ("client_name", &self.client_name),
            ("software_id", &self.software_id),
            ("software_version", &self.software_version),
        ];
        if let Some((field, _)) = required.iter().find(|(_, v)| v.trim().is_empty()) {
            return Err(RegistrationError::InvalidMetadata(format!(
                "`{field}` is empty"
            )));
        }
        if self.redirect_uris.is_empty() {
            return Err(RegistrationError::InvalidMetadata(
                "`redirect_uris` is empty: give at least one https redirect URI".into(),
            ));
        }
        if self.scopes.is_empty() {
            return Err(RegistrationError::InvalidMetadata(
                "`scope` is empty: ask for the scopes from the SDD".into(),
            ));
        }
        let mut host: Option<String> = None;
        let uris = [
            ("client_uri", &self.client_uri),
            ("logo_uri", &self.logo_uri),
            ("tos_uri", &self.tos_uri),
            ("policy_uri", &self.policy_uri),
        ]
        .into_iter()
        .chain(self.redirect_uris.iter().map(|u| ("redirect_uris", u)));
        for (field, raw) in uris {
            let url = Url::parse(raw).ok().filter(|u| u.scheme() == "https");
            let Some(url) = url else {
                return Err(RegistrationError::InvalidMetadata(format!(
                    "`{field}` is `{raw}`: it must be an absolute https URI"
                )));
            };
            let h = url.host_str().unwrap_or_default().to_ascii_lowercase();
            match &host {
                Some(first) if *first != h => {
                    return Err(RegistrationError::InvalidMetadata(format!(
                        "`{field}` is on host `{h}`, the others on `{first}`: all URIs must share one host"
                    )));
                }
                Some(_) => {}
                None => host = Some(h),
            }
        }
        Ok(())
    }

    /// The RFC 7591 request body (arrays stay arrays, FACTS §1.5).
    pub fn to_json(&self) -> Value {
        let mut body = serde_json::json!({
            "client_name": self.client_name,
            "client_uri": self.client_uri,
            "logo_uri": self.logo_uri,
            "tos_uri": self.tos_uri,
            "policy_uri": self.policy_uri,
            "software_id": self.software_id,
            "software_version": self.software_version,
            "redirect_uris": self.redirect_uris,
            "scope": self.scopes.join(" "),
            "token_endpoint_auth_method": "client_secret_basic",
            "grant_types": self.grant_types(),
            "response_types": ["code"],
        });
        if !self.contacts.is_empty()
            && let Some(obj) = body.as_object_mut()
        {
            obj.insert("contacts".into(), self.contacts.clone().into());
        }
        body
    }
}

/// A client registration as the server issued it. `Debug` redacts the secrets (CL-16).
#[derive(Clone, PartialEq, Eq)]
pub struct Registration {
    /// The registration endpoint it came from.
    pub registration_url: String,
    /// `client_id`.
    pub client_id: String,
    /// `client_secret` (for `client_secret_basic`).
    pub client_secret: ClientSecret,
    /// `client_id_issued_at` (epoch seconds).
    pub client_id_issued_at: i64,
    /// `client_secret_expires_at` (epoch seconds; 0 = never).
    pub client_secret_expires_at: i64,
    /// RFC 7592 `registration_access_token`, when the server manages registrations.
    pub registration_access_token: Option<ClientSecret>,
    /// RFC 7592 `registration_client_uri`.
    pub registration_client_uri: Option<String>,
    /// The scopes granted to the client (may be narrower than asked).
    pub scopes: Vec<String>,
    /// The redirect URIs registered.
    pub redirect_uris: Vec<String>,
    /// The whole response as returned, secrets included (to store and to read other fields).
    pub response: Map<String, Value>,
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("registration_url", &self.registration_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("client_secret_expires_at", &self.client_secret_expires_at)
            .field("registration_access_token", &self.registration_access_token)
            .field("registration_client_uri", &self.registration_client_uri)
            .field("scopes", &self.scopes)
            .field("redirect_uris", &self.redirect_uris)
            .finish_non_exhaustive()
    }
}

impl Registration {
    /// True when the secret has an expiry that has passed.
    pub fn secret_expired(&self) -> bool {
        self.client_secret_expires_at != 0
            && self.client_secret_expires_at <= time::OffsetDateTime::now_utc().unix_timestamp()
    }

    /// Rebuilds a registration from a stored response (see [`Registration::response`]).
    pub fn from_stored(
        registration_url: &str,
        response: Map<String, Value>,
    ) -> Result<Self, RegistrationError> {
        parse_registration(registration_url, response, None)
    }
}

/// Why registration or its management failed.
#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    /// Our own metadata breaks the IMS rules (nothing was sent).
    #[error("client metadata: {0}")]
    InvalidMetadata(String),
    /// The server answered with an RFC 7591 error.
    #[error("registration refused: `{error}` (HTTP {status})")]
    Refused {
        /// HTTP status.
        status: u16,
        /// The `error` code (sanitised).
        error: String,
    },
    /// The response breaks RFC 7591 / the IMS profile.
    #[error("invalid registration response: {0}")]
    InvalidResponse(String),
    /// The server offers no RFC 7592 management for this registration.
    #[error(
        "the server returned no registration_client_uri and registration_access_token: RFC 7592 management is not offered"
    )]
    ManagementNotOffered,
    /// Transport, TLS, size or status failure.
    #[error(transparent)]
    Client(#[from] ClientError),
}

/// RFC 7591 / 7592 calls.
#[derive(Debug)]
pub struct RegistrationClient {
    policy: HttpPolicy,
    http: reqwest::Client,
}

impl RegistrationClient {
    /// A client following `policy`.
    pub fn new(policy: HttpPolicy) -> Result<Self, ClientError> {
        Ok(Self {
            http: policy.build_client()?,
            policy,
        })
    }

    /// Registers (RFC 7591): validates `metadata`, POSTs it without an initial access token
    /// (the IMS profile forbids needing one) and checks the 201 response.
    pub async fn register(
        &self,
        registration_url: &Url,
        metadata: &ClientMetadata,
    ) -> Result<Registration, RegistrationError> {
        metadata.validate()?;
        let url = self.policy.check_url(registration_url.as_str())?;
        let response = self
            .http
            .post(url)
            .header(::http::header::ACCEPT, "application/json")
            .json(&metadata.to_json())
            .send()
            .await
            .map_err(ClientError::from_reqwest)?;
        let (status, body) = self.read_body(response).await?;
        if status != 201 {
            return Err(refusal(status, &body));
        }
        parse_registration(
            registration_url.as_str(),
            json_object(&body)?,
            Some(metadata),
        )
    }

    /// RFC 7592 §2.1: reads the current registration.
    pub async fn read(
        &self,
        registration: &Registration,
    ) -> Result<Registration, RegistrationError> {
        let (uri, token) = management(registration)?;
        let response = self
            .http
            .get(self.policy.check_url(uri)?)
            .bearer_auth(token.expose())
            .send()
            .await
            .map_err(ClientError::from_reqwest)?;
        self.management_response(registration, response, None).await
    }

    /// RFC 7592 §2.2: replaces the metadata (the client_id and current secret are sent, as
    /// the RFC requires).
    pub async fn update(
        &self,
        registration: &Registration,
        metadata: &ClientMetadata,
    ) -> Result<Registration, RegistrationError> {
        metadata.validate()?;
        let (uri, token) = management(registration)?;
        let mut body = metadata.to_json();
        if let Some(obj) = body.as_object_mut() {
            obj.insert("client_id".into(), registration.client_id.clone().into());
            obj.insert(
                "client_secret".into(),
                registration.client_secret.expose().into(),
            );
        }
        let response = self
            .http
            .put(self.policy.check_url(uri)?)
            .bearer_auth(token.expose())
            .json(&body)
            .send()
            .await
            .map_err(ClientError::from_reqwest)?;
        self.management_response(registration, response, Some(metadata))
            .await
    }

    /// RFC 7592 §2.3: deletes the registration (204).
    pub async fn delete(&self, registration: &Registration) -> Result<(), RegistrationError> {
        let (uri, token) = management(registration)?;
        let response = self
            .http
            .delete(self.policy.check_url(uri)?)
            .bearer_auth(token.expose())
            .send()
            .await
            .map_err(ClientError::from_reqwest)?;
        let (status, body) = self.read_body(response).await?;
        if status == 204 {
            Ok(())
        } else {
            Err(refusal(status, &body))
        }
    }

    async fn read_body(
        &self,
        response: reqwest::Response,
    ) -> Result<(u16, bytes::Bytes), RegistrationError> {
        let status = response.status().as_u16();
        let body = read_capped(response, self.policy.max_response_bytes).await?;
        Ok((status, body))
    }

    async fn management_response(
        &self,
        previous: &Registration,
        response: reqwest::Response,
        sent: Option<&ClientMetadata>,
    ) -> Result<Registration, RegistrationError> {
        let (status, body) = self.read_body(response).await?;
        if status != 200 {
            return Err(refusal(status, &body));
        }
        let mut obj = json_object(&body)?;
        // RFC 7592 §3: a read or update may omit the secret and the registration token when
        // they did not change.
        if !obj.contains_key("client_secret") {
            obj.insert(
                "client_secret".into(),
                previous.client_secret.expose().into(),
            );
        }
        if !obj.contains_key("registration_access_token")
            && let Some(t) = &previous.registration_access_token
        {
            obj.insert("registration_access_token".into(), t.expose().into());
        }
        let next = parse_registration(&previous.registration_url, obj, sent)?;
        if next.client_id != previous.client_id {
            return Err(RegistrationError::InvalidResponse(
                "the management response names another client_id".into(),
            ));
        }
        Ok(next)
    }
}

fn management(registration: &Registration) -> Result<(&str, &ClientSecret), RegistrationError> {
    match (
        registration.registration_client_uri.as_deref(),
        registration.registration_access_token.as_ref(),
    ) {
        (Some(uri), Some(token)) => Ok((uri, token)),
        _ => Err(RegistrationError::ManagementNotOffered),
    }
}

fn json_object(body: &[u8]) -> Result<Map<String, Value>, RegistrationError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(RegistrationError::InvalidResponse(
            "the response is not a JSON object".into(),
        )),
    }
}

fn refusal(status: u16, body: &[u8]) -> RegistrationError {
    let error = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("error")?.as_str().map(sanitize_code));
    match error {
        Some(error) if !error.is_empty() => RegistrationError::Refused { status, error },
        _ => RegistrationError::Client(ClientError::UnexpectedStatus(status)),
    }
}

/// An OAuth error code limited to its charset and 64 characters (it reaches logs).
pub(crate) fn sanitize_code(code: &str) -> String {
    code.chars()
        .filter(|c| matches!(c, '\x20'..='\x21' | '\x23'..='\x5b' | '\x5d'..='\x7e'))
        .take(64)
        .collect()
}

fn string_array(obj: &Map<String, Value>, key: &str) -> Option<Vec<String>> {
    obj.get(key)?
        .as_array()?
        .iter()
        .map(|v| v.as_str().map(str::to_owned))
        .collect()
}

/// Checks a registration response (FACTS §1.5) against what was sent, if anything.
fn parse_registration(
    registration_url: &str,
    obj: Map<String, Value>,
    sent: Option<&ClientMetadata>,
) -> Result<Registration, RegistrationError> {
    let invalid = |m: String| RegistrationError::InvalidResponse(m);
    let string = |key: &str| -> Result<String, RegistrationError> {
        match obj.get(key) {
            Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
            _ => Err(invalid(format!(
                "`{key}` is missing or not a non-empty string"
            ))),
        }
    };
    let number = |key: &str| -> Result<i64, RegistrationError> {
        obj.get(key)
            .and_then(Value::as_i64)
            .ok_or_else(|| invalid(format!("`{key}` is missing or not an integer")))
    };
    let client_id = string("client_id")?;
    let client_secret = ClientSecret::new(string("client_secret")?);
    let client_id_issued_at = number("client_id_issued_at")?;
    let client_secret_expires_at = number("client_secret_expires_at")?;
    let registration_access_token = obj
        .get("registration_access_token")
        .and_then(Value::as_str)
        .map(ClientSecret::new);
    let registration_client_uri = obj
        .get("registration_client_uri")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if let Some(uri) = &registration_client_uri
        && !Url::parse(uri).is_ok_and(|u| u.scheme() == "https")
    {
        return Err(invalid(
            "`registration_client_uri` is not an https URL".into(),
        ));
    }
    let scopes: Vec<String> = match obj.get("scope") {
        Some(Value::String(s)) => s
            .split(' ')
            .filter(|x| !x.is_empty())
            .map(str::to_owned)
            .collect(),
        None => sent.map(|m| m.scopes.clone()).unwrap_or_default(),
        Some(_) => return Err(invalid("`scope` is not a string".into())),
    };
    if scopes.is_empty() {
        return Err(invalid(
            "the server granted no scope: the client could not call any operation".into(),
        ));
    }
    let redirect_uris = string_array(&obj, "redirect_uris")
        .or_else(|| sent.map(|m| m.redirect_uris.clone()))
        .unwrap_or_default();
    if let Some(sent) = sent {
        // Echoed metadata the flow depends on must be what was asked for.
        if redirect_uris != sent.redirect_uris {
            return Err(invalid(
                "`redirect_uris` echoed differ from those sent".into(),
            ));
        }
        if let Some(m) = obj.get("token_endpoint_auth_method")
            && m.as_str() != Some("client_secret_basic")
        {
            return Err(invalid(
                "`token_endpoint_auth_method` is not client_secret_basic".into(),
            ));
        }
        if let Some(grants) = string_array(&obj, "grant_types")
            && !grants.iter().any(|g| g == "authorization_code")
        {
            return Err(invalid(
                "`grant_types` does not include authorization_code".into(),
            ));
        }
        let narrowed: Vec<&String> = sent.scopes.iter().filter(|s| !scopes.contains(s)).collect();
        if !narrowed.is_empty() {
            tracing::info!(
                not_granted = ?narrowed,
                "registration granted a narrower scope than asked; keeping what was granted"
            );
        }
    }
    let registration = Registration {
        registration_url: registration_url.to_owned(),
        client_id,
        client_secret,
        client_id_issued_at,
        client_secret_expires_at,
        registration_access_token,
        registration_client_uri,
        scopes,
        redirect_uris,
        response: obj,
    };
    if registration.secret_expired() {
        return Err(invalid("`client_secret_expires_at` is in the past".into()));
    }
    Ok(registration)
}

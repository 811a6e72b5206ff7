//! The tools a platform knows: one [`ToolRegistration`] per `client_id`, stored as a client of
//! the platform's embedded authorization server.
//!
//! A tool is an OAuth client of the platform (it gets AGS and NRPS tokens by `private_key_jwt`
//! client assertion, LTI Advantage Security §4.1), so its record lives where every other client
//! lives and is as durable as that store. What only LTI needs (where to start a login, the
//! `target_link_uri`, the deployment) is kept in the client's metadata in the shape LTI Dynamic
//! Registration 1.0 §3.3 gives it: the `https://purl.imsglobal.org/spec/lti-tool-configuration`
//! object, with `initiate_login_uri` and `client_name` beside it. A tool registered by hand and
//! one registered dynamically therefore read back the same way.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::authorization_server::{GrantType, RegisteredClient, TokenEndpointAuthMethod};

use super::super::message_type;

/// The client-metadata member holding the LTI tool configuration (LTI-DR 1.0 §3.3).
pub const LTI_TOOL_CONFIGURATION: &str = "https://purl.imsglobal.org/spec/lti-tool-configuration";

/// Where a tool's public keys come from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ToolKeySource {
    /// The tool's JWKS URL (fetched over https and cached).
    #[serde(rename = "jwks_uri")]
    JwksUri(String),
    /// A JWKS document given inline (`{"keys": [...]}`).
    #[serde(rename = "jwks")]
    Jwks(Value),
}

/// One tool registered with this platform.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolRegistration {
    /// The client_id the platform gave the tool (the `aud` of its `id_token`s).
    pub client_id: String,
    /// The tool's name (`client_name`), as shown to people.
    pub name: String,
    /// The one deployment of this tool on this platform (`deployment_id` claim).
    pub deployment_id: String,
    /// Where the platform starts third-party-initiated login (LTI 1.3 Core §5.1.1).
    pub initiate_login_uri: String,
    /// The tool's launch URLs; an authentication request's `redirect_uri` must be one of them.
    pub redirect_uris: Vec<String>,
    /// The default `target_link_uri` of resource-link launches.
    pub target_link_uri: String,
    /// The `target_link_uri` of deep-linking launches, when the tool offers deep linking.
    pub deep_linking_uri: Option<String>,
    /// The tool's public keys (client assertions, deep-linking responses).
    #[serde(flatten)]
    pub keys: ToolKeySource,
    /// The LTI service scopes the tool may be granted (AGS, NRPS).
    pub scopes: Vec<String>,
    /// The tool's domain (LTI-DR `domain`), when it declared one.
    pub domain: Option<String>,
    /// Custom parameters sent with every launch (`custom` claim).
    pub custom_parameters: BTreeMap<String, String>,
}

/// A tool registration that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ToolRegistrationError {
    /// A member is missing, empty or malformed.
    #[error("tool registration '{name}': {detail}")]
    Invalid {
        /// The tool's name (or client_id when it has none).
        name: String,
        /// What is wrong and how to fix it.
        detail: String,
    },
}

fn https_url(value: &str) -> bool {
    url::Url::parse(value).is_ok_and(|u| u.scheme() == "https" && u.host().is_some())
}

impl ToolRegistration {
    /// Checks what a platform relies on: https URLs (LTI 1.3 Core §3.2: every message over
    /// TLS), at least one redirect URI, the `target_link_uri`s among nothing unexpected, and keys.
    pub fn validate(&self) -> Result<(), ToolRegistrationError> {
        let fail = |detail: String| ToolRegistrationError::Invalid {
            name: if self.name.is_empty() {
                self.client_id.clone()
            } else {
                self.name.clone()
            },
            detail,
        };
        if self.client_id.is_empty() {
            return Err(fail("client_id is empty".into()));
        }
        if self.deployment_id.is_empty() {
            return Err(fail("deployment_id is empty".into()));
        }
        let mut urls = vec![
            ("initiate_login_uri", self.initiate_login_uri.as_str()),
            ("target_link_uri", self.target_link_uri.as_str()),
        ];
        if let Some(dl) = &self.deep_linking_uri {
            urls.push(("deep_linking_uri", dl.as_str()));
        }
        if let ToolKeySource::JwksUri(u) = &self.keys {
            urls.push(("jwks_uri", u.as_str()));
        }
        for uri in &self.redirect_uris {
            urls.push(("redirect_uris[]", uri.as_str()));
        }
        for (member, value) in urls {
            if !https_url(value) {
                return Err(fail(format!(
                    "{member} '{value}' is not an absolute https URL (LTI messages travel over TLS only)"
                )));
            }
        }
        if self.redirect_uris.is_empty() {
            return Err(fail(
                "redirect_uris is empty: list the URLs the tool receives launches at".into(),
            ));
        }
        if let ToolKeySource::Jwks(jwks) = &self.keys
            && jwks
                .get("keys")
                .and_then(Value::as_array)
                .is_none_or(|k| k.is_empty())
        {
            return Err(fail(
                "jwks has no keys: give {\"keys\": [ ...public JWKs... ]} or a jwks_uri".into(),
            ));
        }
        if let Some(s) = self.scopes.iter().find(|s| s.is_empty() || s.contains(' ')) {
            return Err(fail(format!(
                "scope '{s}' is empty or holds a space: list one scope per entry"
            )));
        }
        Ok(())
    }

    /// The authorization-server client record for this tool: `private_key_jwt` with RS256,
    /// `client_credentials` for service tokens, and the LTI members in its metadata.
    pub fn to_client(&self, issued_at: u64) -> RegisteredClient {
        let mut messages = vec![json!({
            "type": message_type::RESOURCE_LINK_REQUEST,
            "target_link_uri": self.target_link_uri,
        })];
        if let Some(dl) = &self.deep_linking_uri {
            messages.push(json!({
                "type": message_type::DEEP_LINKING_REQUEST,
                "target_link_uri": dl,
            }));
        }
        let mut configuration = Map::new();
        if let Some(domain) = &self.domain {
            configuration.insert("domain".into(), json!(domain));
        }
        configuration.insert("target_link_uri".into(), json!(self.target_link_uri));
        configuration.insert("deployment_id".into(), json!(self.deployment_id));
        configuration.insert("custom_parameters".into(), json!(self.custom_parameters));
        configuration.insert("messages".into(), Value::Array(messages));
        let mut metadata = Map::new();
        metadata.insert("client_name".into(), json!(self.name));
        metadata.insert("initiate_login_uri".into(), json!(self.initiate_login_uri));
        metadata.insert(LTI_TOOL_CONFIGURATION.into(), Value::Object(configuration));
        let (jwks, jwks_uri) = match &self.keys {
            ToolKeySource::Jwks(j) => (Some(j.clone()), None),
            ToolKeySource::JwksUri(u) => (None, Some(u.clone())),
        };
        RegisteredClient {
            client_id: self.client_id.clone(),
            secret_hash: None,
            client_id_issued_at: issued_at,
            client_secret_expires_at: 0,
            auth_method: TokenEndpointAuthMethod::PrivateKeyJwt,
            assertion_alg: Some("RS256".into()),
            jwks,
            jwks_uri,
            grant_types: vec![GrantType::ClientCredentials],
            redirect_uris: self.redirect_uris.clone(),
            scopes: self.scopes.clone(),
            introspect_any: false,
            metadata,
            registration_token_hash: None,
            disabled: false,
        }
    }

    /// The tool a client record describes; `None` when the client is not an LTI tool (no LTI
    /// tool configuration, no `initiate_login_uri`, or no keys).
    pub fn from_client(client: &RegisteredClient) -> Option<Self> {
        let configuration = client.metadata.get(LTI_TOOL_CONFIGURATION)?.as_object()?;
        let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
        let keys = match (&client.jwks, &client.jwks_uri) {
            (Some(j), None) => ToolKeySource::Jwks(j.clone()),
            (None, Some(u)) => ToolKeySource::JwksUri(u.clone()),
            _ => return None,
        };
        let deep_linking_uri = configuration
            .get("messages")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|m| {
                m.get("type").and_then(Value::as_str) == Some(message_type::DEEP_LINKING_REQUEST)
            })
            .map(|m| {
                text(m.get("target_link_uri"))
                    .or_else(|| text(configuration.get("target_link_uri")))
            })
            .and_then(|u| u);
        let custom_parameters = configuration
            .get("custom_parameters")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                    .collect()
            })
            .unwrap_or_default();
        Some(Self {
            client_id: client.client_id.clone(),
            name: client
                .metadata_str("client_name")
                .unwrap_or_default()
                .into(),
            deployment_id: text(configuration.get("deployment_id"))?,
            initiate_login_uri: client.metadata_str("initiate_login_uri")?.into(),
            redirect_uris: client.redirect_uris.clone(),
            target_link_uri: text(configuration.get("target_link_uri"))?,
            deep_linking_uri,
            keys,
            scopes: client.scopes.clone(),
            domain: text(configuration.get("domain")),
            custom_parameters,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ToolRegistration {
        ToolRegistration {
            client_id: "tool-1".into(),
            name: "Quiz".into(),
            deployment_id: "dep-1".into(),
            initiate_login_uri: "https://tool.example/lti/login".into(),
            redirect_uris: vec!["https://tool.example/lti/launch".into()],
            target_link_uri: "https://tool.example/".into(),
            deep_linking_uri: Some("https://tool.example/deep-link".into()),
            keys: ToolKeySource::JwksUri("https://tool.example/lti/jwks".into()),
            scopes: vec!["https://purl.imsglobal.org/spec/lti-ags/scope/score".into()],
            domain: Some("tool.example".into()),
            custom_parameters: BTreeMap::from([("unit".into(), "3".into())]),
        }
    }

    #[test]
    fn a_registration_reads_back_from_its_client_record() {
        let tool = sample();
        assert_eq!(tool.validate(), Ok(()));
        let client = tool.to_client(1);
        assert_eq!(client.auth_method, TokenEndpointAuthMethod::PrivateKeyJwt);
        assert_eq!(ToolRegistration::from_client(&client), Some(tool));
    }

    #[test]
    fn a_client_without_lti_configuration_is_not_a_tool() {
        let mut client = sample().to_client(1);
        client.metadata.remove(LTI_TOOL_CONFIGURATION);
        assert_eq!(ToolRegistration::from_client(&client), None);
    }

    #[test]
    fn plain_http_urls_and_empty_redirects_are_refused() {
        let mut tool = sample();
        tool.initiate_login_uri = "http://tool.example/lti/login".into();
        let err = tool.validate().unwrap_err().to_string();
        assert!(err.contains("initiate_login_uri"), "{err}");
        let mut tool = sample();
        tool.redirect_uris.clear();
        assert!(
            tool.validate()
                .unwrap_err()
                .to_string()
                .contains("redirect_uris")
        );
    }
}

//! The platform's OpenID configuration (OpenID Connect Discovery 1.0 §3, as LTI Dynamic
//! Registration 1.0 §3.4 profiles it), with the LTI platform configuration it defines there.

use serde_json::{Value, json};

use crate::lti::message_type;

use super::lti_platform::LtiPlatform;

/// The member holding the LTI platform configuration (LTI-DR 1.0 §3.4).
pub const LTI_PLATFORM_CONFIGURATION: &str =
    "https://purl.imsglobal.org/spec/lti-platform-configuration";

/// Prefix of the LTI service scopes (AGS, NRPS, …) a tool may ask for.
const LTI_SCOPE_PREFIX: &str = "https://purl.imsglobal.org/spec/lti-";

impl LtiPlatform {
    /// The OpenID configuration document.
    pub fn openid_configuration(&self) -> Value {
        let config = &self.config;
        let mut scopes = vec!["openid".to_owned()];
        scopes.extend(
            self.authz
                .scopes()
                .iter()
                .filter(|s| s.starts_with(LTI_SCOPE_PREFIX))
                .cloned(),
        );
        let mut doc = json!({
            "issuer": config.issuer,
            "authorization_endpoint": config.url(&config.paths.authorize),
            // The authorization server's token endpoint: client assertions (LTI Advantage
            // Security §4.1; RFC 7523).
            "token_endpoint": config.url("/token"),
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
            "jwks_uri": config.url(&config.paths.jwks),
            "scopes_supported": scopes,
            "response_types_supported": ["id_token"],
            "response_modes_supported": ["form_post"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "claims_supported": [
                "iss", "sub", "aud", "azp", "exp", "iat", "nonce",
                "name", "given_name", "family_name", "email"
            ],
            (LTI_PLATFORM_CONFIGURATION): {
                "product_family_code": config.product_family_code,
                "version": config.version,
                "messages_supported": [
                    {"type": message_type::RESOURCE_LINK_REQUEST},
                    {"type": message_type::DEEP_LINKING_REQUEST},
                ],
                // No substitution variables are expanded in custom parameters.
                "variables": [],
            },
        });
        if let (Some(endpoint), Some(obj)) = (&config.registration_endpoint, doc.as_object_mut()) {
            obj.insert("registration_endpoint".into(), json!(endpoint));
        }
        doc
    }
}

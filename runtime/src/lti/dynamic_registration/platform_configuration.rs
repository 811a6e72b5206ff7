//! The platform's OpenID configuration as the tool checks it before registering (LTI-DR 1.0
//! §3.4 "Step 2: Discovery and openid Configuration": OpenID Connect Discovery 1.0 metadata plus
//! the LTI platform configuration).
//!
//! What is refused, and why:
//! - an `issuer` on another origin than the `openid_configuration` URL (LTI-DR §3.5.1 "Issuer and
//!   OpenID Configuration URL Match"; OIDC Discovery §4.3; DR-17, CL-14): otherwise a page that
//!   can make the administrator open the tool's registration URL could register the tool with a
//!   configuration naming somebody else's issuer;
//! - an `issuer` or endpoint that is not an absolute https URL (LTI 1.3 Core §3.2, Security
//!   Framework §4: every message over TLS; CL-14);
//! - no `registration_endpoint` (nowhere to register) and no
//!   `https://purl.imsglobal.org/spec/lti-platform-configuration` member (not an LTI platform);
//! - a platform that says it does not take `private_key_jwt` client assertions or signs
//!   `id_token`s with none of the algorithms the tool accepts (the registration could never be
//!   used).

use serde_json::Value;
use url::Url;

use super::registration_request::LTI_PLATFORM_CONFIGURATION;

/// What the tool keeps of a platform's OpenID configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlatformConfiguration {
    /// The platform's issuer (`iss` of its `id_token`s).
    pub issuer: String,
    /// Where login initiation sends the browser.
    pub authorization_endpoint: String,
    /// Where the tool gets AGS/NRPS tokens by client assertion.
    pub token_endpoint: String,
    /// The platform's JWKS.
    pub jwks_uri: String,
    /// Where the tool registers.
    pub registration_endpoint: String,
    /// `scopes_supported`, when the platform lists them.
    pub scopes_supported: Option<Vec<String>>,
    /// The LTI platform configuration object (`product_family_code`, `version`,
    /// `messages_supported`, …), as sent.
    pub lti_platform: Value,
}

/// The algorithms `LaunchRules` accepts by default; a platform signing with none of them could
/// never launch the tool.
const USABLE_ID_TOKEN_ALGS: [&str; 5] = ["RS256", "RS384", "RS512", "ES256", "ES384"];

fn https(value: &str) -> Option<Url> {
    Url::parse(value)
        .ok()
        .filter(|u| u.scheme() == "https" && u.host().is_some())
}

/// Checks `doc`, fetched from `fetched_from`; `Err` says what is wrong (fixed text plus member
/// names, never the document's values).
pub(crate) fn check_platform_configuration(
    fetched_from: &Url,
    doc: &Value,
) -> Result<PlatformConfiguration, String> {
    let Some(object) = doc.as_object() else {
        return Err("the OpenID configuration is not a JSON object".into());
    };
    let text = |member: &str| object.get(member).and_then(Value::as_str);
    let issuer = text("issuer").ok_or("the OpenID configuration has no issuer")?;
    let issuer_url = https(issuer).ok_or("the platform's issuer is not an absolute https URL")?;
    if issuer_url.origin() != fetched_from.origin() {
        return Err(
            "the platform's issuer is not on the origin the OpenID configuration was fetched \
             from (LTI-DR §3.5.1); registration aborted"
                .into(),
        );
    }
    let endpoint = |member: &'static str| -> Result<String, String> {
        match text(member) {
            None => Err(format!("the OpenID configuration has no {member}")),
            Some(v) if https(v).is_some() => Ok(v.to_owned()),
            Some(_) => Err(format!(
                "the platform's {member} is not an absolute https URL; registration aborted"
            )),
        }
    };
    let authorization_endpoint = endpoint("authorization_endpoint")?;
    let token_endpoint = endpoint("token_endpoint")?;
    let jwks_uri = endpoint("jwks_uri")?;
    let registration_endpoint = endpoint("registration_endpoint")?;
    let lti_platform = match object.get(LTI_PLATFORM_CONFIGURATION) {
        Some(v @ Value::Object(_)) => v.clone(),
        _ => {
            return Err(format!(
                "the OpenID configuration has no {LTI_PLATFORM_CONFIGURATION} object: not an LTI platform"
            ));
        }
    };
    let list = |member: &str| -> Option<Vec<String>> {
        object.get(member).and_then(Value::as_array).map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
    };
    if let Some(methods) = list("token_endpoint_auth_methods_supported")
        && !methods.iter().any(|m| m == "private_key_jwt")
    {
        return Err(
            "the platform does not accept private_key_jwt at its token endpoint \
             (token_endpoint_auth_methods_supported), which LTI Advantage requires"
                .into(),
        );
    }
    if let Some(algs) = list("id_token_signing_alg_values_supported")
        && !algs
            .iter()
            .any(|a| USABLE_ID_TOKEN_ALGS.contains(&a.as_str()))
    {
        return Err(
            "the platform signs id_tokens with none of RS256, RS384, RS512, ES256, ES384 \
             (id_token_signing_alg_values_supported)"
                .into(),
        );
    }
    Ok(PlatformConfiguration {
        issuer: issuer.to_owned(),
        authorization_endpoint,
        token_endpoint,
        jwks_uri,
        registration_endpoint,
        scopes_supported: list("scopes_supported"),
        lti_platform,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn doc() -> Value {
        json!({
            "issuer": "https://lms.example",
            "authorization_endpoint": "https://lms.example/authorize",
            "token_endpoint": "https://lms.example/token",
            "jwks_uri": "https://lms.example/jwks",
            "registration_endpoint": "https://lms.example/register",
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "id_token_signing_alg_values_supported": ["RS256"],
            LTI_PLATFORM_CONFIGURATION: {"product_family_code": "demo"}
        })
    }

    fn from() -> Url {
        Url::parse("https://lms.example/.well-known/openid-configuration").unwrap()
    }

    #[test]
    fn a_good_configuration_passes() {
        let c = check_platform_configuration(&from(), &doc()).unwrap();
        assert_eq!(c.issuer, "https://lms.example");
    }

    #[test]
    fn another_port_is_another_origin() {
        let mut d = doc();
        d["issuer"] = json!("https://lms.example:8443");
        let err = check_platform_configuration(&from(), &d).unwrap_err();
        assert!(err.contains("origin"), "{err}");
    }

    #[test]
    fn no_private_key_jwt_or_usable_algorithm_is_refused() {
        let mut d = doc();
        d["token_endpoint_auth_methods_supported"] = json!(["client_secret_basic"]);
        assert!(check_platform_configuration(&from(), &d).is_err());
        let mut d = doc();
        d["id_token_signing_alg_values_supported"] = json!(["HS256"]);
        assert!(check_platform_configuration(&from(), &d).is_err());
    }
}

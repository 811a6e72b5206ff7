//! The LTI-DR registration request (LTI-DR 1.0 §3.5.2 "Client Registration Request": an RFC 7591 /
//! OpenID Connect Registration client metadata document with the LTI tool configuration of the
//! "Tool Configuration" section), as the platform checks it, and the response it answers with
//! (§3.6.1 "Successful Registration").
//!
//! Every problem is collected before answering, so a tool's developer sees the whole list in one
//! `invalid_client_metadata` error rather than one member per attempt. Problems name members and
//! rules only, never echo the request's values (the error may be logged or shown).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::super::message_type;
use super::super::platform::LTI_TOOL_CONFIGURATION;

/// The OpenID configuration member describing an LTI platform (LTI-DR 1.0 "Platform
/// Configuration", in the OpenID configuration of §3.4).
pub const LTI_PLATFORM_CONFIGURATION: &str =
    "https://purl.imsglobal.org/spec/lti-platform-configuration";

/// What a checked registration request asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RegistrationRequest {
    /// The request as sent (echoed back, with what the platform decided, in the response).
    pub(crate) raw: Map<String, Value>,
    pub(crate) client_name: Option<String>,
    pub(crate) initiate_login_uri: String,
    pub(crate) redirect_uris: Vec<String>,
    pub(crate) jwks_uri: String,
    /// `scope`, split on spaces (RFC 7591 §2).
    pub(crate) scopes: Vec<String>,
    pub(crate) domain: String,
    pub(crate) target_link_uri: String,
    /// The `target_link_uri` of the `LtiDeepLinkingRequest` message, when the tool offers one
    /// (the configuration's `target_link_uri` when the message names none).
    pub(crate) deep_linking_uri: Option<String>,
    pub(crate) custom_parameters: BTreeMap<String, String>,
}

fn https_url(value: &str) -> bool {
    url::Url::parse(value).is_ok_and(|u| u.scheme() == "https" && u.host().is_some())
}

/// Collects what is wrong with one request.
struct Problems(Vec<String>);

impl Problems {
    fn missing(&mut self, member: &str) {
        self.0.push(format!("{member} is missing"));
    }

    fn wrong(&mut self, member: &str, rule: &str) {
        self.0.push(format!("{member} {rule}"));
    }

    /// A required string member that must be an https URL.
    fn https(&mut self, object: &Map<String, Value>, prefix: &str, member: &str) -> Option<String> {
        let name = format!("{prefix}{member}");
        match object.get(member) {
            None | Some(Value::Null) => {
                self.missing(&name);
                None
            }
            Some(Value::String(s)) if https_url(s) => Some(s.clone()),
            Some(_) => {
                self.wrong(&name, "must be an absolute https URL");
                None
            }
        }
    }

    /// A required array of strings.
    fn strings(
        &mut self,
        object: &Map<String, Value>,
        prefix: &str,
        member: &str,
    ) -> Option<Vec<String>> {
        let name = format!("{prefix}{member}");
        match object.get(member) {
            None | Some(Value::Null) => {
                self.missing(&name);
                None
            }
            Some(Value::Array(items)) => {
                let strings: Option<Vec<String>> = items
                    .iter()
                    .map(|v| v.as_str().map(str::to_owned))
                    .collect();
                if strings.is_none() {
                    self.wrong(&name, "must be an array of strings");
                }
                strings
            }
            Some(_) => {
                self.wrong(&name, "must be an array of strings");
                None
            }
        }
    }
}

/// Checks a registration request body against LTI-DR 1.0 §3.5.2 and the tool configuration; `Err` lists every problem.
pub(crate) fn check_registration_request(body: &Value) -> Result<RegistrationRequest, Vec<String>> {
    let Some(object) = body.as_object() else {
        return Err(vec![
            "the body must be a JSON object of client metadata".into(),
        ]);
    };
    let mut p = Problems(Vec::new());

    match object.get("application_type") {
        None => p.missing("application_type"),
        Some(v) if v.as_str() == Some("web") => {}
        Some(_) => p.wrong("application_type", "must be \"web\""),
    }
    if let Some(types) = p.strings(object, "", "response_types")
        && !types.iter().any(|t| t == "id_token")
    {
        p.wrong("response_types", "must contain \"id_token\"");
    }
    if let Some(grants) = p.strings(object, "", "grant_types") {
        for needed in ["implicit", "client_credentials"] {
            if !grants.iter().any(|g| g == needed) {
                p.wrong("grant_types", &format!("must contain \"{needed}\""));
            }
        }
    }
    let initiate_login_uri = p.https(object, "", "initiate_login_uri");
    let redirect_uris = p.strings(object, "", "redirect_uris");
    if let Some(uris) = &redirect_uris {
        if uris.is_empty() {
            p.wrong("redirect_uris", "must list at least one URL");
        } else if !uris.iter().all(|u| https_url(u)) {
            p.wrong("redirect_uris", "must hold absolute https URLs only");
        }
    }
    let jwks_uri = p.https(object, "", "jwks_uri");
    match object.get("token_endpoint_auth_method") {
        None => p.missing("token_endpoint_auth_method"),
        Some(v) if v.as_str() == Some("private_key_jwt") => {}
        Some(_) => p.wrong("token_endpoint_auth_method", "must be \"private_key_jwt\""),
    }
    let client_name = match object.get("client_name") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            p.wrong("client_name", "must be a string");
            None
        }
    };
    let scopes = match object.get("scope") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => s.split_whitespace().map(str::to_owned).collect(),
        Some(_) => {
            p.wrong("scope", "must be a space-separated string");
            Vec::new()
        }
    };

    let mut domain = None;
    let mut target_link_uri = None;
    let mut deep_linking_uri = None;
    let mut custom_parameters = BTreeMap::new();
    match object.get(LTI_TOOL_CONFIGURATION) {
        None | Some(Value::Null) => p.missing(LTI_TOOL_CONFIGURATION),
        Some(Value::Object(config)) => {
            let prefix = format!("{LTI_TOOL_CONFIGURATION}.");
            domain = match config.get("domain") {
                None | Some(Value::Null) => {
                    p.missing(&format!("{prefix}domain"));
                    None
                }
                Some(Value::String(d)) if !d.is_empty() && !d.contains('/') => Some(d.clone()),
                Some(_) => {
                    p.wrong(
                        &format!("{prefix}domain"),
                        "must be a host name (with an optional port)",
                    );
                    None
                }
            };
            target_link_uri = p.https(config, &prefix, "target_link_uri");
            p.strings(config, &prefix, "claims");
            match config.get("messages") {
                None | Some(Value::Null) => p.missing(&format!("{prefix}messages")),
                Some(Value::Array(messages)) => {
                    for (i, m) in messages.iter().enumerate() {
                        let at = format!("{prefix}messages[{i}]");
                        let Some(kind) = m.get("type").and_then(Value::as_str) else {
                            p.missing(&format!("{at}.type"));
                            continue;
                        };
                        let own_target = match m.get("target_link_uri") {
                            None | Some(Value::Null) => None,
                            Some(Value::String(u)) if https_url(u) => Some(u.clone()),
                            Some(_) => {
                                p.wrong(
                                    &format!("{at}.target_link_uri"),
                                    "must be an absolute https URL",
                                );
                                None
                            }
                        };
                        if kind == message_type::DEEP_LINKING_REQUEST && deep_linking_uri.is_none()
                        {
                            deep_linking_uri = Some(own_target.or_else(|| target_link_uri.clone()));
                        }
                    }
                }
                Some(_) => p.wrong(
                    &format!("{prefix}messages"),
                    "must be an array of message objects",
                ),
            }
            match config.get("custom_parameters") {
                None | Some(Value::Null) => {}
                Some(Value::Object(params)) => {
                    for (k, v) in params {
                        match v.as_str() {
                            Some(s) => {
                                custom_parameters.insert(k.clone(), s.to_owned());
                            }
                            None => p.wrong(
                                &format!("{prefix}custom_parameters"),
                                "must map names to strings",
                            ),
                        }
                    }
                }
                Some(_) => p.wrong(&format!("{prefix}custom_parameters"), "must be an object"),
            }
        }
        Some(_) => p.wrong(LTI_TOOL_CONFIGURATION, "must be an object"),
    }

    match (
        initiate_login_uri,
        redirect_uris,
        jwks_uri,
        domain,
        target_link_uri,
    ) {
        (
            Some(initiate_login_uri),
            Some(redirect_uris),
            Some(jwks_uri),
            Some(domain),
            Some(target_link_uri),
        ) if p.0.is_empty() => Ok(RegistrationRequest {
            raw: object.clone(),
            client_name,
            initiate_login_uri,
            redirect_uris,
            jwks_uri,
            scopes,
            domain,
            target_link_uri,
            deep_linking_uri: deep_linking_uri.flatten(),
            custom_parameters,
        }),
        _ => Err(p.0),
    }
}

/// The registration response (LTI-DR 1.0 §3.6.1, RFC 7591 §3.2.1): the request as registered,
/// with the `client_id`, the scopes actually granted and the tool configuration's
/// `deployment_id`.
pub(crate) fn registration_response(
    request: &RegistrationRequest,
    client_id: &str,
    issued_at: u64,
    granted_scopes: &[String],
    deployment_id: &str,
) -> Value {
    let mut out = request.raw.clone();
    out.insert("client_id".into(), json!(client_id));
    out.insert("client_id_issued_at".into(), json!(issued_at));
    // RFC 7591 §3.2.1: the server replaces what it changed; a scope it did not grant is dropped.
    if granted_scopes.is_empty() {
        out.remove("scope");
    } else {
        out.insert("scope".into(), json!(granted_scopes.join(" ")));
    }
    if let Some(Value::Object(config)) = out.get_mut(LTI_TOOL_CONFIGURATION) {
        config.insert("deployment_id".into(), json!(deployment_id));
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn valid() -> Value {
        json!({
            "application_type": "web",
            "response_types": ["id_token"],
            "grant_types": ["implicit", "client_credentials"],
            "initiate_login_uri": "https://tool.example/lti/login",
            "redirect_uris": ["https://tool.example/lti/launch"],
            "client_name": "Quiz",
            "jwks_uri": "https://tool.example/lti/jwks",
            "token_endpoint_auth_method": "private_key_jwt",
            "scope": "https://purl.imsglobal.org/spec/lti-ags/scope/score",
            LTI_TOOL_CONFIGURATION: {
                "domain": "tool.example",
                "target_link_uri": "https://tool.example/lti/resource",
                "claims": ["iss", "sub"],
                "messages": [{"type": "LtiDeepLinkingRequest", "target_link_uri": "https://tool.example/lti/deep-link"}]
            }
        })
    }

    #[test]
    fn a_complete_request_is_accepted() {
        let r = check_registration_request(&valid()).unwrap();
        assert_eq!(
            r.deep_linking_uri.as_deref(),
            Some("https://tool.example/lti/deep-link")
        );
        assert_eq!(
            r.scopes,
            ["https://purl.imsglobal.org/spec/lti-ags/scope/score"]
        );
    }

    #[test]
    fn every_problem_is_listed() {
        let mut body = valid();
        let o = body.as_object_mut().unwrap();
        o.remove("jwks_uri");
        o.insert("grant_types".into(), json!(["implicit"]));
        o.insert(
            "initiate_login_uri".into(),
            json!("http://tool.example/login"),
        );
        let problems = check_registration_request(&body).unwrap_err();
        assert_eq!(problems.len(), 3, "{problems:?}");
    }
}

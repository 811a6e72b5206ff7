//! The deep-linking response (Deep Linking 2.0 §4.5): the content items the user picked, in a
//! JWT signed by the tool, form-posted by the browser to the platform's `deep_link_return_url`.

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::authorization_server::secrets::random_token;

use super::claims::{claim, message_type};
use super::launch::DeepLinkingLaunch;
use super::tool_keys::{ToolKey, ToolKeyError};

/// Lifetime of the response JWT, seconds: the browser posts it at once.
const RESPONSE_LIFETIME_SECS: i64 = 300;

/// One content item (Deep Linking 2.0 §3): its `type` and members. The typed constructors
/// cover `ltiResourceLink` and `link`; other types and members go in `extra`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ContentItem {
    /// `ltiResourceLink`, `link`, `file`, `html`, `image`.
    #[serde(rename = "type")]
    pub item_type: String,
    /// Title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Plain-text description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The URL (an `ltiResourceLink`'s launch URL, a `link`'s target).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Other members (`custom`, `lineItem`, `iframe`, `window`, …), kept as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ContentItem {
    /// An `ltiResourceLink` item launching `url` (§3.1).
    pub fn lti_resource_link(title: impl Into<String>, url: impl Into<String>) -> Self {
        Self {
            item_type: "ltiResourceLink".into(),
            title: Some(title.into()),
            text: None,
            url: Some(url.into()),
            extra: Map::new(),
        }
    }

    /// A `link` item (§3.2).
    pub fn link(title: impl Into<String>, url: impl Into<String>) -> Self {
        Self {
            item_type: "link".into(),
            title: Some(title.into()),
            text: None,
            url: Some(url.into()),
            extra: Map::new(),
        }
    }
}

/// A response the platform would refuse, caught before signing.
#[derive(Debug, thiserror::Error)]
pub enum DeepLinkingResponseError {
    /// An item's type is not in the request's `accept_types`.
    #[error("content item type `{0}` is not among the platform's accept_types")]
    TypeNotAccepted(String),
    /// Several items while the platform accepts one.
    #[error("the platform accepts a single content item (accept_multiple is false)")]
    SeveralNotAccepted,
    /// Signing failed.
    #[error(transparent)]
    Signing(#[from] ToolKeyError),
}

/// A deep-linking response being built for one deep-linking launch.
#[derive(Clone, Debug)]
pub struct DeepLinkingResponse<'l> {
    launch: &'l DeepLinkingLaunch,
    items: Vec<ContentItem>,
    msg: Option<String>,
    log: Option<String>,
}

impl<'l> DeepLinkingResponse<'l> {
    /// A response to `launch` returning `items` (may be empty: the user picked nothing).
    pub fn new(launch: &'l DeepLinkingLaunch, items: Vec<ContentItem>) -> Self {
        Self {
            launch,
            items,
            msg: None,
            log: None,
        }
    }

    /// A message the platform shows the user.
    pub fn with_message(mut self, msg: impl Into<String>) -> Self {
        self.msg = Some(msg.into());
        self
    }

    /// A message the platform logs.
    pub fn with_log(mut self, log: impl Into<String>) -> Self {
        self.log = Some(log.into());
        self
    }

    /// Where the browser must post the JWT.
    pub fn return_url(&self) -> &str {
        &self.launch.settings.deep_link_return_url
    }

    /// The signed JWT (§4.5): `iss` = our client_id, `aud` = the platform's issuer, a fresh
    /// `nonce`, `iat`/`exp`, the deployment, message type, version, the items and `data`
    /// echoed unchanged.
    pub fn sign(&self, key: &ToolKey, now: i64) -> Result<String, DeepLinkingResponseError> {
        let settings = &self.launch.settings;
        if let Some(item) = self
            .items
            .iter()
            .find(|i| !settings.accept_types.contains(&i.item_type))
        {
            return Err(DeepLinkingResponseError::TypeNotAccepted(
                item.item_type.clone(),
            ));
        }
        if self.items.len() > 1 && settings.accept_multiple == Some(false) {
            return Err(DeepLinkingResponseError::SeveralNotAccepted);
        }
        let common = &self.launch.claims;
        let mut claims = json!({
            "iss": common.client_id,
            "aud": common.issuer,
            "iat": now,
            "exp": now + RESPONSE_LIFETIME_SECS,
            "nonce": random_token(),
            (claim::DEPLOYMENT_ID): common.deployment_id,
            (claim::MESSAGE_TYPE): message_type::DEEP_LINKING_RESPONSE,
            (claim::VERSION): message_type::LTI_VERSION,
            (claim::CONTENT_ITEMS): self.items,
        });
        if let Some(obj) = claims.as_object_mut() {
            if let Some(data) = &settings.data {
                obj.insert(claim::DEEP_LINKING_DATA.into(), json!(data));
            }
            if let Some(msg) = &self.msg {
                obj.insert(claim::DEEP_LINKING_MSG.into(), json!(msg));
            }
            if let Some(log) = &self.log {
                obj.insert(claim::DEEP_LINKING_LOG.into(), json!(log));
            }
        }
        Ok(key.sign(&claims)?)
    }
}

impl DeepLinkingResponse<'_> {
    /// The signed response as an auto-submitting form posting `JWT` to the return URL (with a
    /// `<noscript>` button), the page a deep-linking picker answers with.
    pub fn into_form(
        &self,
        key: &ToolKey,
        now: i64,
    ) -> Result<axum::response::Response, DeepLinkingResponseError> {
        let jwt = self.sign(key, now)?;
        Ok(super::pages::auto_submit_form(
            "Returning your selection to the platform",
            self.return_url(),
            &[("JWT", &jwt)],
        ))
    }
}

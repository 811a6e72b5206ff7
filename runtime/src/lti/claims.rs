//! The claims of LTI messages: their names and typed values.
//!
//! Names from LTI 1.3 Core §5 (message claims), LTI Assignment and Grade Services 2.0 §3.1
//! (endpoint claim), Names and Role Provisioning Services 2.0 §3.6.1 (service claim) and LTI
//! Deep Linking 2.0 §4.4 (settings) and §4.5 (response). Unknown members are kept by the launch
//! as raw claims (`LaunchClaims::claims`), so nothing the platform sent is lost.

use serde::{Deserialize, Serialize};

/// Claim names (full URIs; OIDC's own claims are plain names).
pub mod claim {
    /// `message_type` (LTI 1.3 Core §5.3.1).
    pub const MESSAGE_TYPE: &str = "https://purl.imsglobal.org/spec/lti/claim/message_type";
    /// `version`, always "1.3.0" (§5.3.2).
    pub const VERSION: &str = "https://purl.imsglobal.org/spec/lti/claim/version";
    /// `deployment_id` (§5.3.3).
    pub const DEPLOYMENT_ID: &str = "https://purl.imsglobal.org/spec/lti/claim/deployment_id";
    /// `target_link_uri` (§5.3.4).
    pub const TARGET_LINK_URI: &str = "https://purl.imsglobal.org/spec/lti/claim/target_link_uri";
    /// `resource_link` (§5.3.5).
    pub const RESOURCE_LINK: &str = "https://purl.imsglobal.org/spec/lti/claim/resource_link";
    /// `roles` (§5.3.7).
    pub const ROLES: &str = "https://purl.imsglobal.org/spec/lti/claim/roles";
    /// `context` (§5.4.1).
    pub const CONTEXT: &str = "https://purl.imsglobal.org/spec/lti/claim/context";
    /// `tool_platform` (§5.4.2).
    pub const TOOL_PLATFORM: &str = "https://purl.imsglobal.org/spec/lti/claim/tool_platform";
    /// `role_scope_mentor` (§5.4.3).
    pub const ROLE_SCOPE_MENTOR: &str =
        "https://purl.imsglobal.org/spec/lti/claim/role_scope_mentor";
    /// `launch_presentation` (§5.4.4).
    pub const LAUNCH_PRESENTATION: &str =
        "https://purl.imsglobal.org/spec/lti/claim/launch_presentation";
    /// `lis` (§5.4.5).
    pub const LIS: &str = "https://purl.imsglobal.org/spec/lti/claim/lis";
    /// `custom` (§5.4.6).
    pub const CUSTOM: &str = "https://purl.imsglobal.org/spec/lti/claim/custom";
    /// The AGS endpoint claim (AGS 2.0 §3.1).
    pub const AGS_ENDPOINT: &str = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint";
    /// The NRPS service claim (NRPS 2.0 §3.6.1).
    pub const NRPS: &str = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice";
    /// Deep-linking settings (Deep Linking 2.0 §4.4.1).
    pub const DEEP_LINKING_SETTINGS: &str =
        "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings";
    /// Content items of a deep-linking response (Deep Linking 2.0 §4.5.4).
    pub const CONTENT_ITEMS: &str = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items";
    /// The `data` echoed in a deep-linking response (§4.5.5).
    pub const DEEP_LINKING_DATA: &str = "https://purl.imsglobal.org/spec/lti-dl/claim/data";
    /// A message the platform shows after a deep-linking response (§4.5.6).
    pub const DEEP_LINKING_MSG: &str = "https://purl.imsglobal.org/spec/lti-dl/claim/msg";
    /// A log entry the platform records after a deep-linking response (§4.5.7).
    pub const DEEP_LINKING_LOG: &str = "https://purl.imsglobal.org/spec/lti-dl/claim/log";
}

/// Message types.
pub mod message_type {
    /// A resource-link launch (LTI 1.3 Core §5.1).
    pub const RESOURCE_LINK_REQUEST: &str = "LtiResourceLinkRequest";
    /// A deep-linking request (Deep Linking 2.0 §4.4).
    pub const DEEP_LINKING_REQUEST: &str = "LtiDeepLinkingRequest";
    /// A deep-linking response (Deep Linking 2.0 §4.5).
    pub const DEEP_LINKING_RESPONSE: &str = "LtiDeepLinkingResponse";
    /// The only LTI version this module speaks.
    pub const LTI_VERSION: &str = "1.3.0";
}

/// The resource link a resource-link launch is for (§5.3.5; `id` required).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceLink {
    /// The platform's stable id of the link.
    pub id: String,
    /// Its title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Its description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// The context (course, section, group) of a launch (§5.4.1; `id` required).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Context {
    /// The platform's stable id of the context.
    pub id: String,
    /// Short label, e.g. a course code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Full title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Context type URIs (e.g. `http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering`).
    #[serde(default, rename = "type", skip_serializing_if = "Vec::is_empty")]
    pub types: Vec<String>,
}

/// The platform instance that launched (§5.4.2; `guid` required).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolPlatform {
    /// Stable id of the platform instance.
    pub guid: String,
    /// Product family code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_family_code: Option<String>,
    /// Product version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Instance name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// How the platform shows the tool (§5.4.4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaunchPresentation {
    /// `frame`, `iframe` or `window`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_target: Option<String>,
    /// Where to send the user back to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_url: Option<String>,
    /// The user's locale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
}

/// Where the tool reaches the platform's Assignment and Grade Services (AGS 2.0 §3.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgsEndpoint {
    /// The AGS scopes the tool may request for this context.
    pub scope: Vec<String>,
    /// The line-item container URL of the context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lineitems: Option<String>,
    /// The line item of this resource link, when there is exactly one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lineitem: Option<String>,
}

/// Where the tool reaches the platform's Names and Role Provisioning Services (NRPS 2.0 §3.6.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NrpsService {
    /// The membership container URL of the context.
    pub context_memberships_url: String,
    /// The NRPS versions the platform offers (e.g. `["2.0"]`).
    pub service_versions: Vec<String>,
}

/// What a deep-linking request asks the tool to return (Deep Linking 2.0 §4.4.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeepLinkingSettings {
    /// Where the response JWT is posted (required).
    pub deep_link_return_url: String,
    /// Content item types the platform accepts, e.g. `ltiResourceLink`, `link` (required).
    pub accept_types: Vec<String>,
    /// Presentation targets the platform supports: `iframe`, `window`, `embed` (required).
    pub accept_presentation_document_targets: Vec<String>,
    /// Accepted media types (comma-separated MIME types).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accept_media_types: Option<String>,
    /// Whether several items may be returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accept_multiple: Option<bool>,
    /// Whether a line item may come with an `ltiResourceLink` item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accept_lineitem: Option<bool>,
    /// Whether the platform creates the items without asking the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_create: Option<bool>,
    /// Default title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Default text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Opaque value the response must echo unchanged (§4.4.1 `data`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
}

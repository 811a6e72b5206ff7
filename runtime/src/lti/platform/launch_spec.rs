//! What the platform's application asks for when it launches a tool: who, where, which kind of
//! message, and which services come with it. The platform keeps it behind the opaque
//! `lti_message_hint` until the tool's authentication request comes back.

use std::collections::BTreeMap;

use crate::lti::{AgsEndpoint, Context, NrpsService, ResourceLink};

/// The kind of LTI message a launch sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LaunchKind {
    /// `LtiResourceLinkRequest` (LTI 1.3 Core §5.1): opens a resource link.
    ResourceLink,
    /// `LtiDeepLinkingRequest` (Deep Linking 2.0 §4.4): asks the tool for content items.
    DeepLinking {
        /// Content item types accepted (`ltiResourceLink`, `link`, …); not empty.
        accept_types: Vec<String>,
        /// Presentation targets accepted (`iframe`, `window`, `embed`); not empty.
        accept_presentation_document_targets: Vec<String>,
        /// Whether several items may come back.
        accept_multiple: bool,
        /// Default title for the items.
        title: Option<String>,
        /// Default text for the items.
        text: Option<String>,
    },
}

/// One launch of a tool, as the platform's application describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LaunchSpec {
    /// The platform's id of the user (`login_hint`, then `sub`); must be the signed-in user
    /// when the authentication request comes back.
    pub user_id: String,
    /// Full LIS role URIs (`roles` claim).
    pub roles: Vec<String>,
    /// `name` claim.
    pub name: Option<String>,
    /// `given_name` claim.
    pub given_name: Option<String>,
    /// `family_name` claim.
    pub family_name: Option<String>,
    /// `email` claim.
    pub email: Option<String>,
    /// The context (course) of the launch.
    pub context: Context,
    /// The resource link; required for [`LaunchKind::ResourceLink`].
    pub resource_link: Option<ResourceLink>,
    /// Resource link or deep linking.
    pub kind: LaunchKind,
    /// The AGS endpoint claim; its scopes are cut down to those the tool may be granted.
    pub ags: Option<AgsEndpoint>,
    /// The NRPS claim; sent only to a tool that may be granted the NRPS scope.
    pub nrps: Option<NrpsService>,
    /// Custom parameters, over the tool's registered ones.
    pub custom: BTreeMap<String, String>,
    /// Where the launch lands; `None` for the tool's registered URL of this message type.
    pub target_link_uri: Option<String>,
}

//! The `id_token` of a launch (LTI 1.3 Core §5; OIDC Core §2): who, for which tool, and the LTI
//! message claims, signed RS256 with the authorization server's active key.

use serde_json::{Map, Value, json};

use crate::lti::{
    AgsEndpoint, DeepLinkingSettings, LaunchPresentation, ToolPlatform, claim, message_type,
};

use super::error::PlatformError;
use super::launch_spec::LaunchKind;
use super::lti_platform::{LtiPlatform, PendingLaunch};
use super::tool_registration::ToolRegistration;

/// Lifetime of an `id_token`, seconds: the browser posts it at once (the reference
/// implementation's `exp = iat + 300`, FACTS §1.6).
pub(crate) const ID_TOKEN_LIFETIME_SECS: i64 = 300;

/// The NRPS scope (NRPS 2.0 §3.6): the NRPS claim goes only to a tool that may be granted it.
pub(crate) const NRPS_SCOPE: &str =
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly";

fn put(claims: &mut Map<String, Value>, name: &str, value: Option<&String>) {
    if let Some(v) = value {
        claims.insert(name.into(), json!(v));
    }
}

impl LtiPlatform {
    /// The claims of `launch`'s `id_token` for `tool`, answering an authentication request with
    /// `nonce`.
    pub(crate) fn id_token_claims(
        &self,
        tool: &ToolRegistration,
        launch: &PendingLaunch,
        nonce: &str,
    ) -> Map<String, Value> {
        let spec = &launch.spec;
        let now = self.now();
        let mut c = Map::new();
        c.insert("iss".into(), json!(self.config.issuer));
        c.insert("sub".into(), json!(spec.user_id));
        // One audience, so `azp` is the same client (OIDC Core §2, §3.1.3.7).
        c.insert("aud".into(), json!(tool.client_id));
        c.insert("azp".into(), json!(tool.client_id));
        c.insert("iat".into(), json!(now));
        c.insert("exp".into(), json!(now + ID_TOKEN_LIFETIME_SECS));
        c.insert("nonce".into(), json!(nonce));
        put(&mut c, "name", spec.name.as_ref());
        put(&mut c, "given_name", spec.given_name.as_ref());
        put(&mut c, "family_name", spec.family_name.as_ref());
        put(&mut c, "email", spec.email.as_ref());
        let kind = match spec.kind {
            LaunchKind::ResourceLink => message_type::RESOURCE_LINK_REQUEST,
            LaunchKind::DeepLinking { .. } => message_type::DEEP_LINKING_REQUEST,
        };
        c.insert(claim::MESSAGE_TYPE.into(), json!(kind));
        c.insert(claim::VERSION.into(), json!(message_type::LTI_VERSION));
        c.insert(claim::DEPLOYMENT_ID.into(), json!(tool.deployment_id));
        c.insert(claim::TARGET_LINK_URI.into(), json!(launch.target_link_uri));
        c.insert(claim::ROLES.into(), json!(spec.roles));
        c.insert(claim::CONTEXT.into(), json!(spec.context));
        if let (LaunchKind::ResourceLink, Some(link)) = (&spec.kind, &spec.resource_link) {
            c.insert(claim::RESOURCE_LINK.into(), json!(link));
        }
        let platform = ToolPlatform {
            guid: self.config.platform_guid.clone(),
            product_family_code: Some(self.config.product_family_code.clone()),
            version: Some(self.config.version.clone()),
            name: Some(self.config.platform_name.clone()),
        };
        c.insert(claim::TOOL_PLATFORM.into(), json!(platform));
        let presentation = LaunchPresentation {
            document_target: Some("iframe".into()),
            return_url: None,
            locale: None,
        };
        c.insert(claim::LAUNCH_PRESENTATION.into(), json!(presentation));
        let mut custom = tool.custom_parameters.clone();
        custom.extend(spec.custom.clone());
        if !custom.is_empty() {
            c.insert(claim::CUSTOM.into(), json!(custom));
        }
        // AGS 2.0 §3.1: only the scopes the tool may be granted; none, no claim.
        if let Some(ags) = &spec.ags {
            let scope: Vec<String> = ags
                .scope
                .iter()
                .filter(|s| tool.scopes.contains(s))
                .cloned()
                .collect();
            if !scope.is_empty() {
                let ags = AgsEndpoint {
                    scope,
                    lineitems: ags.lineitems.clone(),
                    lineitem: ags.lineitem.clone(),
                };
                c.insert(claim::AGS_ENDPOINT.into(), json!(ags));
            }
        }
        if let Some(nrps) = &spec.nrps
            && tool.scopes.iter().any(|s| s == NRPS_SCOPE)
        {
            c.insert(claim::NRPS.into(), json!(nrps));
        }
        if let LaunchKind::DeepLinking {
            accept_types,
            accept_presentation_document_targets,
            accept_multiple,
            title,
            text,
        } = &spec.kind
        {
            let settings = DeepLinkingSettings {
                deep_link_return_url: self.config.url(&self.config.paths.deep_link_return),
                accept_types: accept_types.clone(),
                accept_presentation_document_targets: accept_presentation_document_targets.clone(),
                accept_media_types: None,
                accept_multiple: Some(*accept_multiple),
                accept_lineitem: None,
                auto_create: None,
                title: title.clone(),
                text: text.clone(),
                data: launch.deep_linking_data.clone(),
            };
            c.insert(claim::DEEP_LINKING_SETTINGS.into(), json!(settings));
        }
        c
    }

    /// The signed `id_token` of `launch` for `tool`.
    pub(crate) fn issue_id_token(
        &self,
        tool: &ToolRegistration,
        launch: &PendingLaunch,
        nonce: &str,
    ) -> Result<String, PlatformError> {
        let claims = self.id_token_claims(tool, launch, nonce);
        self.authz.sign_id_token(&claims).map_err(|e| {
            tracing::error!(error = %e, "signing an LTI id_token failed");
            PlatformError::Signing
        })
    }
}

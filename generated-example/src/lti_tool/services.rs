//! The platform's LTI Advantage services as the tool calls them: the generated AGS and NRPS
//! clients on a client-assertion token source (`LtiTool::service_token_source`: `private_key_jwt`
//! signed with the tool's current key, CL-15), one pair per platform registration, kept so that
//! tokens are cached between requests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures_util::TryStreamExt;
use ims_runtime::client::{ApiError, ClientError, HttpPolicy, TokenSourceOptions};
use ims_runtime::codegen::DateTime;
use ims_runtime::lti::{AgsEndpoint, LtiTool};

use crate::lti_ags_v2p0::client::AgsClient;
use crate::lti_ags_v2p0::models::{ActivityProgress, GradingProgress, LineItem, Score};
use crate::lti_nrps_v2p0::client::NrpsClient;
use crate::lti_nrps_v2p0::models::Member;

/// Members asked for per NRPS page (the platform may send fewer; `Link: rel="next"` is followed).
pub(crate) const MEMBERS_PAGE_SIZE: i32 = 50;

/// Why a service call could not be made or failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ServiceError {
    /// The launch's platform registration is gone (platforms.json changed).
    #[error("the platform of this launch is no longer registered with the tool")]
    UnknownPlatform,
    /// The AGS claim names neither a line item nor a line-item container.
    #[error(
        "the platform's AGS claim has neither `lineitem` nor `lineitems`: no line item to score"
    )]
    NoLineItems,
    /// The platform created a line item without an id.
    #[error("the platform created a line item but did not say its id (URL)")]
    LineItemWithoutId,
    /// The token source or client could not be built.
    #[error("cannot reach the platform's services: {0}")]
    Client(#[from] ClientError),
    /// The platform answered with an error.
    #[error("the platform's service answered: {0}")]
    Api(#[from] ApiError),
}

/// The AGS and NRPS clients of one platform registration.
struct PlatformClients {
    ags: AgsClient,
    nrps: NrpsClient,
}

/// The clients of every platform the tool has called.
pub(crate) struct Services {
    tool: Arc<LtiTool>,
    policy: HttpPolicy,
    /// By (issuer, client_id, token endpoint): a re-registration with another endpoint gets new
    /// clients.
    clients: Mutex<HashMap<(String, String, String), Arc<PlatformClients>>>,
}

impl Services {
    pub(crate) fn new(tool: Arc<LtiTool>, policy: HttpPolicy) -> Self {
        Self {
            tool,
            policy,
            clients: Mutex::default(),
        }
    }

    fn clients(&self, issuer: &str, client_id: &str) -> Result<Arc<PlatformClients>, ServiceError> {
        let registration = self
            .tool
            .registry()
            .find(issuer, client_id)
            .ok_or(ServiceError::UnknownPlatform)?;
        let key = (
            registration.issuer.clone(),
            registration.client_id.clone(),
            registration.token_endpoint.clone(),
        );
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = clients.get(&key) {
            return Ok(Arc::clone(c));
        }
        let source = Arc::new(self.tool.service_token_source(
            &registration,
            TokenSourceOptions {
                http: self.policy.clone(),
                ..TokenSourceOptions::default()
            },
        )?);
        let made = Arc::new(PlatformClients {
            ags: AgsClient::with_policy(source.clone(), self.policy.clone())?,
            nrps: NrpsClient::with_policy(source, self.policy.clone())?,
        });
        clients.insert(key, Arc::clone(&made));
        Ok(made)
    }

    /// The line item scores of `resource_link_id` go to: the claim's `lineitem`, else the first
    /// of the claim's container for this resource link, else one created there.
    pub(crate) async fn line_item(
        &self,
        issuer: &str,
        client_id: &str,
        ags: &AgsEndpoint,
        resource_link_id: &str,
        label: &str,
        score_maximum: f64,
    ) -> Result<String, ServiceError> {
        if let Some(item) = &ags.lineitem {
            return Ok(item.clone());
        }
        let container = ags.lineitems.as_deref().ok_or(ServiceError::NoLineItems)?;
        let clients = self.clients(issuer, client_id)?;
        let existing: Vec<LineItem> = clients
            .ags
            .get_line_items_stream(container, None, None, Some(resource_link_id), None)
            .try_collect()
            .await?;
        if let Some(id) = existing.into_iter().find_map(|i| i.id) {
            return Ok(id.to_string());
        }
        let created = clients
            .ags
            .add_line_item(
                container,
                &LineItem {
                    id: None,
                    label: label.to_owned(),
                    score_maximum,
                    resource_link_id: Some(resource_link_id.to_owned()),
                    resource_id: None,
                    tag: Some("lti-demo-tool".into()),
                    start_date_time: None,
                    end_date_time: None,
                    grades_released: None,
                    extensions: Default::default(),
                },
            )
            .await?;
        created
            .id
            .map(|id| id.to_string())
            .ok_or(ServiceError::LineItemWithoutId)
    }

    /// Posts a fully graded, completed score to `line_item` and reads its results back.
    #[allow(clippy::too_many_arguments)] // one call site; a struct would only rename them
    pub(crate) async fn post_score_and_read_results(
        &self,
        issuer: &str,
        client_id: &str,
        line_item: &str,
        user_id: &str,
        score_given: f64,
        score_maximum: f64,
        scoring_user_id: &str,
    ) -> Result<Vec<crate::lti_ags_v2p0::models::Result>, ServiceError> {
        let clients = self.clients(issuer, client_id)?;
        let timestamp = DateTime::from_offset_date_time(time::OffsetDateTime::now_utc())
            .map_err(|e| ClientError::Config(format!("score timestamp: {e}")))?;
        let score = Score {
            user_id: user_id.to_owned(),
            score_given: Some(score_given),
            score_maximum: Some(score_maximum),
            comment: None,
            timestamp,
            activity_progress: ActivityProgress::Completed,
            grading_progress: GradingProgress::FullyGraded,
            scoring_user_id: Some(scoring_user_id.to_owned()),
            submission: None,
            extensions: Default::default(),
        };
        clients.ags.post_score(line_item, &score).await?;
        Ok(clients
            .ags
            .get_results_stream(line_item, None, None)
            .try_collect()
            .await?)
    }

    /// Every member of the context at `memberships_url`, page after page.
    pub(crate) async fn members(
        &self,
        issuer: &str,
        client_id: &str,
        memberships_url: &str,
    ) -> Result<Vec<Member>, ServiceError> {
        let clients = self.clients(issuer, client_id)?;
        Ok(clients
            .nrps
            .get_memberships_stream(memberships_url, Some(MEMBERS_PAGE_SIZE), None, None)
            .try_collect()
            .await?)
    }
}

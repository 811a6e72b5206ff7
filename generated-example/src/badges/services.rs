//! The generated service traits over [`BadgeStore`]: [`OpenBadgesHost`] implements
//! `OpenBadgesService` (OB 3.0) and [`ClrHost`] implements `ClrService` (CLR 2.0).
//!
//! Every method takes the user from the verified token's `sub` (never from the request), so one
//! user's token never reads or writes another's credentials or profile.

use std::sync::Arc;

use axum::http::StatusCode;
use ims_runtime::codegen::{CollectionQuery, DateTime, Listed, RequestContext};
use ims_runtime::imsx::ImsError;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::store::{BadgeStore, NewCredential, Spec, StoredCredential};
use super::vc_jwt::verify_compact_jws;
use crate::clr_v2p0::models as clr;
use crate::clr_v2p0::server::{ClrService, UpsertCredentialSuccess as ClrUpsert};
use crate::openbadges_v3p0::models as ob;
use crate::openbadges_v3p0::server::{OpenBadgesService, UpsertCredentialSuccess as ObUpsert};

fn subject(ctx: &RequestContext) -> Result<String, ImsError> {
    ctx.principal
        .as_ref()
        .map(|p| p.sub.clone())
        .ok_or_else(|| ImsError::unauthorised_request("no access token"))
}

fn internal(e: impl std::fmt::Display) -> ImsError {
    tracing::error!(error = %e, "badge store failed");
    ImsError::internal_server_error("the credential store failed")
}

fn bad_request(description: impl Into<String>) -> ImsError {
    ImsError::new(StatusCode::BAD_REQUEST, "invalid_data", description)
}

/// The issuer id of a credential: `issuer` as a string, or its `id`.
fn issuer_id(credential: &Value) -> Option<String> {
    match credential.get("issuer")? {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("id").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
}

/// Shared upsert: the credential (already typed by the handler, so it is a valid credential of
/// the spec), stored for the token's user. Returns whether it was created and what was stored.
fn upsert(
    store: &BadgeStore,
    spec: Spec,
    ctx: &RequestContext,
    credential: Value,
    valid_from: &DateTime,
    compact_jws: Option<String>,
) -> Result<bool, ImsError> {
    let sub = subject(ctx)?;
    let issuer =
        issuer_id(&credential).ok_or_else(|| bad_request("the credential's issuer has no id"))?;
    let id = credential
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| bad_request("the credential has no id"))?
        .to_owned();
    let new = NewCredential {
        issuer: &issuer,
        id: &id,
        valid_from: valid_from.to_offset_date_time().unix_timestamp(),
        credential: &credential,
        compact_jws: compact_jws.as_deref(),
    };
    let created = store.upsert(spec, &sub, &new).map_err(internal)?;
    tracing::info!(spec = ?spec, sub = %sub, credential = %id, created, jws = compact_jws.is_some(), "credential upserted");
    Ok(created)
}

/// The credential a `text/plain` body carries: a compact JWS verified with the key in its
/// `jwk` header (400 when it does not verify), its payload read as the spec's credential.
fn from_compact_jws<C: DeserializeOwned>(jws: &str) -> Result<C, ImsError> {
    let value = verify_compact_jws(jws).map_err(|e| bad_request(e.to_string()))?;
    serde_json::from_value(value)
        .map_err(|e| bad_request(format!("the JWS payload is not a credential: {e}")))
}

/// Shared listing: one page split into the JSON credentials and the compact JWS strings.
fn list<C: DeserializeOwned>(
    store: &BadgeStore,
    spec: Spec,
    ctx: &RequestContext,
    query: &CollectionQuery,
    since: Option<&DateTime>,
) -> Result<(Vec<C>, Vec<String>, u64), ImsError> {
    let sub = subject(ctx)?;
    let since = since.map(|s| s.to_offset_date_time().unix_timestamp());
    let (rows, total) = store
        .list(spec, &sub, since, query.page.offset, query.page.limit)
        .map_err(internal)?;
    let mut credentials = Vec::new();
    let mut jws = Vec::new();
    for StoredCredential {
        credential,
        compact_jws,
    } in rows
    {
        match compact_jws {
            Some(s) => jws.push(s),
            None => credentials.push(serde_json::from_value(credential).map_err(internal)?),
        }
    }
    Ok((credentials, jws, total))
}

/// The profile stored for the token's user, or a minimal one naming the user.
fn profile<P: DeserializeOwned>(
    store: &BadgeStore,
    spec: Spec,
    ctx: &RequestContext,
) -> Result<P, ImsError> {
    let sub = subject(ctx)?;
    let value = match store.profile(spec, &sub).map_err(internal)? {
        Some(v) => v,
        None => serde_json::json!({
            "id": default_profile_id(&sub),
            "type": ["Profile"],
        }),
    };
    serde_json::from_value(value).map_err(internal)
}

/// `urn:badges-demo:user:<sub>`: the id of a profile the user never stored.
pub fn default_profile_id(sub: &str) -> String {
    let safe: String = url::form_urlencoded::byte_serialize(sub.as_bytes()).collect();
    format!("urn:badges-demo:user:{safe}")
}

fn put_profile<P: Serialize>(
    store: &BadgeStore,
    spec: Spec,
    ctx: &RequestContext,
    body: &P,
) -> Result<(), ImsError> {
    let sub = subject(ctx)?;
    let value = serde_json::to_value(body).map_err(internal)?;
    store.put_profile(spec, &sub, &value).map_err(internal)
}

/// Open Badges 3.0 over the shared store.
#[derive(Debug, Clone)]
pub struct OpenBadgesHost {
    store: Arc<BadgeStore>,
}

impl OpenBadgesHost {
    /// The service over `store`.
    pub fn new(store: Arc<BadgeStore>) -> Self {
        Self { store }
    }
}

impl OpenBadgesService for OpenBadgesHost {
    async fn get_credentials(
        &self,
        ctx: RequestContext,
        query: CollectionQuery,
        since: Option<DateTime>,
    ) -> Result<Listed<ob::GetOpenBadgeCredentialsResponse>, ImsError> {
        let (credential, jws, total) =
            list(&self.store, Spec::OpenBadges, &ctx, &query, since.as_ref())?;
        let body = ob::GetOpenBadgeCredentialsResponse {
            credential: Some(credential),
            compact_jws_string: Some(jws.into_iter().map(ob::CompactJws).collect()),
        };
        Ok(Listed::new(body, total))
    }

    async fn upsert_credential(
        &self,
        ctx: RequestContext,
        body: ob::UpsertCredentialBody,
    ) -> Result<ObUpsert, ImsError> {
        let (body, jws) = match body {
            ob::UpsertCredentialBody::Json(c) => (c, None),
            ob::UpsertCredentialBody::Text(jws) => {
                let jws = jws.trim().to_owned();
                (
                    from_compact_jws::<ob::AchievementCredential>(&jws)?,
                    Some(jws),
                )
            }
        };
        let value = serde_json::to_value(&body).map_err(internal)?;
        let created = upsert(
            &self.store,
            Spec::OpenBadges,
            &ctx,
            value,
            &body.valid_from,
            jws,
        )?;
        Ok(if created {
            ObUpsert::Status201(body)
        } else {
            ObUpsert::Status200(body)
        })
    }

    async fn get_profile(&self, ctx: RequestContext) -> Result<ob::Profile, ImsError> {
        profile(&self.store, Spec::OpenBadges, &ctx)
    }

    async fn put_profile(
        &self,
        ctx: RequestContext,
        body: ob::Profile,
    ) -> Result<ob::Profile, ImsError> {
        put_profile(&self.store, Spec::OpenBadges, &ctx, &body)?;
        Ok(body)
    }
}

/// CLR 2.0 over the shared store.
#[derive(Debug, Clone)]
pub struct ClrHost {
    store: Arc<BadgeStore>,
}

impl ClrHost {
    /// The service over `store`.
    pub fn new(store: Arc<BadgeStore>) -> Self {
        Self { store }
    }
}

impl ClrService for ClrHost {
    async fn get_credentials(
        &self,
        ctx: RequestContext,
        query: CollectionQuery,
        since: Option<DateTime>,
    ) -> Result<Listed<clr::GetClrCredentialsResponse>, ImsError> {
        let (credential, jws, total) = list(&self.store, Spec::Clr, &ctx, &query, since.as_ref())?;
        let body = clr::GetClrCredentialsResponse {
            credential: Some(credential),
            compact_jws_string: Some(jws.into_iter().map(clr::CompactJws).collect()),
        };
        Ok(Listed::new(body, total))
    }

    async fn upsert_credential(
        &self,
        ctx: RequestContext,
        body: clr::UpsertCredentialBody,
    ) -> Result<ClrUpsert, ImsError> {
        let (body, jws) = match body {
            clr::UpsertCredentialBody::Json(c) => (c, None),
            clr::UpsertCredentialBody::Text(jws) => {
                let jws = jws.trim().to_owned();
                (from_compact_jws::<clr::ClrCredential>(&jws)?, Some(jws))
            }
        };
        let value = serde_json::to_value(&body).map_err(internal)?;
        let created = upsert(&self.store, Spec::Clr, &ctx, value, &body.valid_from, jws)?;
        Ok(if created {
            ClrUpsert::Status201(body)
        } else {
            ClrUpsert::Status200(body)
        })
    }

    async fn get_profile(&self, ctx: RequestContext) -> Result<clr::Profile, ImsError> {
        profile(&self.store, Spec::Clr, &ctx)
    }

    async fn put_profile(
        &self,
        ctx: RequestContext,
        body: clr::Profile,
    ) -> Result<clr::Profile, ImsError> {
        put_profile(&self.store, Spec::Clr, &ctx, &body)?;
        Ok(body)
    }
}

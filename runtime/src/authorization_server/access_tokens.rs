//! Signing and verifying this server's RFC 9068 access tokens (`typ: at+jwt`).

use super::claims::AccessTokenClaims;
use super::error::OAuthError;
use super::key_rotation::SigningKeys;
use super::secrets;
use super::state::ServerState;
use super::store::views::GrantTokens;

/// Tokens longer than this are not ours (and are not parsed).
const MAX_ACCESS_TOKEN_LEN: usize = 8 * 1024;

/// Issues and verifies access tokens: the issuer, audience and lifetime they carry, the keys
/// that sign them, and the store that ties grant-bound tokens to their grant.
pub(crate) struct AccessTokenIssuer<'a> {
    issuer: &'a str,
    audience: &'a str,
    lifetime: u64,
    keys: &'a SigningKeys,
    grant_tokens: GrantTokens<'a>,
}

impl<'a> AccessTokenIssuer<'a> {
    pub(crate) fn from_state(state: &'a ServerState) -> Self {
        Self {
            issuer: &state.settings.issuer,
            audience: &state.settings.audience,
            lifetime: state.settings.access_token_lifetime,
            keys: &state.signing_keys,
            grant_tokens: GrantTokens(state.store.as_ref()),
        }
    }

    /// Signs an access token; for grant-bound tokens records the `jti` so revoking the grant
    /// revokes the token.
    pub(crate) async fn issue(
        &self,
        client_id: &str,
        subject: &str,
        scope: &str,
        grant_id: Option<&str>,
    ) -> Result<(String, AccessTokenClaims), OAuthError> {
        let now = secrets::now();
        let claims = AccessTokenClaims {
            iss: self.issuer.to_owned(),
            sub: subject.to_owned(),
            aud: self.audience.to_owned(),
            client_id: client_id.to_owned(),
            scope: scope.to_owned(),
            jti: secrets::random_id(),
            iat: now,
            exp: now + self.lifetime,
        };
        // Recorded before the token leaves, so revoking the grant always reaches it. If a
        // concurrent replay revoked the grant first, the token is born revoked (the request that
        // won the race still gets its answer; the token just never works).
        if let Some(grant) = grant_id
            && !self
                .grant_tokens
                .record(grant, &claims.jti, claims.exp)
                .await?
        {
            tracing::warn!(client_id, "token issued under a grant revoked concurrently");
        }
        let token = self.keys.current().active.sign(&claims).map_err(|e| {
            tracing::error!(error = %e, "access token signing failed");
            OAuthError::server_error()
        })?;
        Ok((token, claims))
    }

    /// Verifies a JWT access token issued by this server (signature with a published key, `typ`,
    /// `iss`, `exp`); `None` for anything else. Revocation is checked by the caller.
    pub(crate) fn verify(&self, token: &str) -> Option<AccessTokenClaims> {
        if token.len() > MAX_ACCESS_TOKEN_LEN {
            return None;
        }
        let header = jsonwebtoken::decode_header(token).ok()?;
        if header.typ.as_deref() != Some("at+jwt") {
            return None;
        }
        let ring = self.keys.current();
        let key = ring.find(header.kid.as_deref()?)?;
        if header.alg != key.jsonwebtoken_alg() {
            return None;
        }
        let mut validation = jsonwebtoken::Validation::new(key.jsonwebtoken_alg());
        validation.set_issuer(&[self.issuer]);
        validation.validate_aud = false;
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        jsonwebtoken::decode::<AccessTokenClaims>(token, &key.decoding, &validation)
            .ok()
            .map(|d| d.claims)
    }
}

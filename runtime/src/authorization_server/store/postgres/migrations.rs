//! The PostgreSQL schema as numbered migrations, kept in the binary and applied at start.
//!
//! `schema_version` holds one row per applied version. Migrations run in one transaction under
//! an advisory lock, so several instances starting at once migrate the database exactly once;
//! a database whose version is above [`SCHEMA_VERSION`] (written by a newer binary) is refused.

use tokio_postgres::Client;

use super::super::open::{SchemaMigration, StoreOpenError};

/// Version 1: the authorization server's tables (the same shape as the SQLite store's).
const V1: &str = "
CREATE TABLE clients (
    client_id TEXT PRIMARY KEY,
    rat_hash TEXT,
    body TEXT NOT NULL
);
CREATE INDEX clients_rat ON clients (rat_hash);
CREATE TABLE codes (
    code_hash TEXT PRIMARY KEY,
    grant_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    body TEXT NOT NULL,
    used BOOLEAN NOT NULL DEFAULT FALSE,
    expires_at BIGINT NOT NULL
);
CREATE INDEX codes_client ON codes (client_id);
CREATE INDEX codes_expiry ON codes (expires_at);
CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    grant_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    scope TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    used BOOLEAN NOT NULL DEFAULT FALSE,
    used_at BIGINT,
    revoked BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX refresh_grant ON refresh_tokens (grant_id);
CREATE INDEX refresh_client ON refresh_tokens (client_id);
CREATE INDEX refresh_expiry ON refresh_tokens (expires_at);
CREATE TABLE revoked_grants (
    grant_id TEXT PRIMARY KEY,
    revoked_at BIGINT NOT NULL
);
CREATE TABLE grant_tokens (
    jti TEXT PRIMARY KEY,
    grant_id TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX grant_tokens_grant ON grant_tokens (grant_id);
CREATE TABLE revoked_tokens (
    jti TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE TABLE assertion_jtis (
    client_id TEXT NOT NULL,
    jti TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (client_id, jti)
);
CREATE TABLE pending_authorizations (
    id_hash TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    body TEXT NOT NULL
);
";

/// Version 2: resource owners' remembered consents, and the subject of each code as a column
/// (filled from the stored record) so withdrawing a consent finds the grants it started.
const V2: &str = "
CREATE TABLE consents (
    subject TEXT NOT NULL,
    client_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (subject, client_id)
);
ALTER TABLE codes ADD COLUMN subject TEXT;
UPDATE codes SET subject = body::jsonb ->> 'subject';
CREATE INDEX codes_client_subject ON codes (client_id, subject);
CREATE INDEX refresh_client_subject ON refresh_tokens (client_id, subject);
";

/// The migrations, in order: version `i + 1` is `MIGRATIONS[i]`.
const MIGRATIONS: &[&str] = &[V1, V2];

/// The schema version this binary writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Serializes migrations of one database across instances (`pg_advisory_xact_lock` key).
const MIGRATION_LOCK: i64 = 0x696d_735f_6d69_6772; // "ims_migr"

/// Applies the missing migrations in one transaction, or refuses a newer database.
pub(super) async fn migrate(client: &mut Client) -> Result<SchemaMigration, StoreOpenError> {
    let fail = |e: tokio_postgres::Error| StoreOpenError::Migration(super::describe(&e));
    let tx = client.transaction().await.map_err(fail)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(fail)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_version (
            version BIGINT PRIMARY KEY,
            applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )",
    )
    .await
    .map_err(fail)?;
    let found: i64 = tx
        .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_version", &[])
        .await
        .map_err(fail)?
        .get(0);
    if found > SCHEMA_VERSION {
        return Err(StoreOpenError::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for (version, sql) in (1_i64..).zip(MIGRATIONS.iter()).skip(found.max(0) as usize) {
        tx.batch_execute(sql).await.map_err(|e| {
            StoreOpenError::Migration(format!(
                "schema version {version}: {} (use a database of its own for the \
                 authorization server)",
                super::describe(&e)
            ))
        })?;
        tx.execute(
            "INSERT INTO schema_version (version) VALUES ($1)",
            &[&version],
        )
        .await
        .map_err(fail)?;
    }
    tx.commit().await.map_err(fail)?;
    if found < SCHEMA_VERSION {
        tracing::info!(
            from = found,
            to = SCHEMA_VERSION,
            "PostgreSQL store schema migrated"
        );
    }
    Ok(SchemaMigration {
        from: found,
        to: SCHEMA_VERSION,
    })
}

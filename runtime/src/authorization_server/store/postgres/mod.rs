//! [`PostgresStore`]: one PostgreSQL database shared by several authorization-server
//! instances behind a load balancer.
//!
//! **Driver**: `tokio-postgres` with a `deadpool-postgres` pool. It is small, async, speaks the
//! protocol directly (no compile-time query checking that would need a database at build time,
//! as sqlx's macros do, and none of sqlx's runtime/TLS feature matrix), and exposes the
//! connection's message stream, which is what `LISTEN`/`NOTIFY` needs for the change feed.
//! Plain TCP or a Unix socket: `sslmode=disable`/`prefer` only (see [`PostgresStore::connect`]).
//!
//! **Atomicity without retry storms**: every operation runs at PostgreSQL's default READ
//! COMMITTED isolation as one statement or one short transaction, so concurrent callers queue on
//! a row lock instead of failing with serialization errors (ORY Hydra's concurrent-refresh
//! failure was SERIALIZABLE conflicts surfacing as 5xx):
//!
//! | operation | how |
//! |---|---|
//! | `consume_code` | `UPDATE … SET used = TRUE WHERE NOT used RETURNING`: the row lock lets exactly one through |
//! | `rotate_refresh` | one transaction under the grant's advisory lock: `UPDATE … WHERE NOT used AND NOT revoked`, then insert the successor; losers are classified (grace rule) |
//! | `use_jti` | `INSERT … ON CONFLICT DO NOTHING` |
//! | `take_pending` | `DELETE … RETURNING` |
//! | `revoke_grant`, `record_access_token`, `insert_refresh`, `delete_client` | one transaction each under the grant's advisory lock (`pg_advisory_xact_lock`), so a token recorded while its grant is being revoked is revoked too |
//! | `put_consent`, `withdraw_consent` | one transaction each under the (subject, client) advisory lock; the withdrawal then revokes each grant under its grant lock |
//!
//! **Change feed** (`change_feed`): `put_client`, `delete_client`, `revoke_grant`,
//! `withdraw_consent` (one `GrantRevoked` per grant), `revoke_access_token` and
//! `put_signing_key` `NOTIFY` in the same statement or transaction as
//! the change, so other instances hear of it only once it is committed.
//!
//! **Schema**: versioned migrations in the binary (`migrations`), applied when the store opens.

mod change_feed;
mod migrations;

use std::sync::Arc;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use futures_util::future::BoxFuture;
use tokio::sync::{broadcast, oneshot};
use tokio_postgres::config::SslMode;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Config, NoTls};

pub use migrations::SCHEMA_VERSION;

use self::change_feed::{CHANNEL, FEED_CAPACITY, encode};
use super::open::{SchemaMigration, StoreOpenError, StoreOptions};
use super::{REFRESH_ROTATION_GRACE, Store, StoreChange, StoreError, StoreResult, merge_scopes};
use crate::authorization_server::model::{
    CodeConsumption, CodeRecord, ConsentRecord, PendingAuthorization, RefreshRecord,
    RefreshRotation, RegisteredClient, StoredSigningKey,
};

/// Revoked-grant markers are kept this long (seconds) so late redemptions stay refused.
const REVOKED_GRANT_RETENTION: u64 = 400 * 24 * 3600;

/// [`REFRESH_ROTATION_GRACE`] in whole seconds.
const GRACE_SECS: i64 = REFRESH_ROTATION_GRACE.as_secs() as i64;

/// The store's clock in epoch seconds, as SQL (one clock for every instance).
const SQL_NOW: &str = "EXTRACT(EPOCH FROM now())::BIGINT";

/// Advisory-lock class of grant locks (`pg_advisory_xact_lock(GRANT_LOCK, hashtext(grant_id))`).
const GRANT_LOCK: i32 = 7301;

/// Advisory-lock class of consent locks (one per subject and client), taken by `put_consent`
/// and `withdraw_consent` so a widening and a withdrawal never interleave.
const CONSENT_LOCK: i32 = 7302;

/// PostgreSQL-backed [`Store`]. Cheap to clone; the change-feed listener stops when the last
/// clone is dropped.
#[derive(Clone)]
pub struct PostgresStore {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    feed: broadcast::Sender<StoreChange>,
    /// Dropped with the store, which ends the listener task.
    _stop_listener: oneshot::Sender<()>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // No URL: it may hold a password.
        f.debug_struct("PostgresStore").finish_non_exhaustive()
    }
}

/// A driver error as text, with the server's message when there is one (the `Display` of a
/// database error alone says only "db error").
fn describe(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!("{}: {}", db.code().code(), db.message());
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text = format!("{text}: {s}");
        source = s.source();
    }
    text
}

fn err(e: impl Into<PgError>) -> StoreError {
    match e.into() {
        PgError::Driver(e) => StoreError(describe(&e)),
        PgError::Pool(e) => StoreError(format!("PostgreSQL pool: {e}")),
        PgError::Json(e) => StoreError(format!("stored record unreadable: {e}")),
    }
}

/// Everything an operation can fail with.
enum PgError {
    Driver(tokio_postgres::Error),
    Pool(deadpool_postgres::PoolError),
    Json(serde_json::Error),
}

impl From<tokio_postgres::Error> for PgError {
    fn from(e: tokio_postgres::Error) -> Self {
        Self::Driver(e)
    }
}
impl From<deadpool_postgres::PoolError> for PgError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        Self::Pool(e)
    }
}
impl From<serde_json::Error> for PgError {
    fn from(e: serde_json::Error) -> Self {
        Self::Json(e)
    }
}

fn u(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn from_db(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// The driver configuration for `url` with `options` applied, or why the URL is refused.
fn config(url: &str, options: &StoreOptions) -> Result<Config, StoreOpenError> {
    // Checked before parsing: the driver does not know `verify-ca`/`verify-full` and would
    // answer with a less helpful parse error.
    if let Some((_, query)) = url.split_once('?') {
        for pair in query.split('&') {
            if let Some(("sslmode", mode)) = pair.split_once('=')
                && !matches!(mode, "disable" | "prefer")
            {
                return Err(StoreOpenError::InvalidUrl(format!(
                    "sslmode={mode} is not supported: this build connects over plain TCP or a \
                     Unix socket (sslmode=disable or prefer); keep the database on loopback or a \
                     private network, or put a TLS tunnel (e.g. stunnel) in front of it"
                )));
            }
        }
    }
    let mut config: Config = url
        .parse()
        .map_err(|e: tokio_postgres::Error| StoreOpenError::InvalidUrl(e.to_string()))?;
    if !matches!(config.get_ssl_mode(), SslMode::Disable | SslMode::Prefer) {
        return Err(StoreOpenError::InvalidUrl(
            "only sslmode=disable or prefer is supported".into(),
        ));
    }
    if config.get_application_name().is_none() {
        config.application_name("ims-runtime");
    }
    let timeout = format!(
        "-c statement_timeout={}",
        options.statement_timeout.as_millis()
    );
    let merged = match config.get_options() {
        Some(o) if !o.is_empty() => format!("{o} {timeout}"),
        _ => timeout,
    };
    config.options(merged);
    config.connect_timeout(options.connect_timeout);
    // Notice a dead peer within about a minute rather than the kernel's two hours.
    config.keepalives_idle(std::time::Duration::from_secs(30));
    Ok(config)
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://USER:PASSWORD@HOST:PORT/DATABASE`, or
    /// `postgresql://`; `sslmode=disable`/`prefer` only: TLS URLs are refused with an error
    /// saying so), applies the schema migrations, and starts the change-feed listener.
    ///
    /// Fails if the database is unreachable, its schema is newer than this binary's
    /// ([`StoreOpenError::SchemaTooNew`]), or a migration fails.
    pub async fn connect(url: &str, options: &StoreOptions) -> Result<Self, StoreOpenError> {
        let config = config(url, options)?;
        Self::run_migrations(&config).await?;
        let pool = Pool::builder(Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        ))
        .max_size(options.max_connections.max(1))
        .wait_timeout(Some(options.pool_wait_timeout))
        .create_timeout(Some(options.connect_timeout))
        .recycle_timeout(Some(options.connect_timeout))
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .build()
        .map_err(|e| StoreOpenError::Connect(e.to_string()))?;
        let (feed, _) = broadcast::channel(FEED_CAPACITY);
        let (stop, stopped) = oneshot::channel();
        change_feed::start(config, feed.clone(), stopped)
            .await
            .map_err(|e| StoreOpenError::Connect(describe(&e)))?;
        Ok(Self {
            inner: Arc::new(Inner {
                pool,
                feed,
                _stop_listener: stop,
            }),
        })
    }

    /// Brings the database at `url` to [`SCHEMA_VERSION`] and returns the versions before and
    /// after, without starting a pool or a listener (a deployment's `migrate` step).
    pub async fn migrate(
        url: &str,
        options: &StoreOptions,
    ) -> Result<SchemaMigration, StoreOpenError> {
        Self::run_migrations(&config(url, options)?).await
    }

    async fn run_migrations(config: &Config) -> Result<SchemaMigration, StoreOpenError> {
        let (mut client, connection) = config
            .connect(NoTls)
            .await
            .map_err(|e| StoreOpenError::Connect(describe(&e)))?;
        let driver = tokio::spawn(connection);
        let result = migrations::migrate(&mut client).await;
        drop(client);
        // The connection ends once the client is gone; its own error adds nothing here.
        let _ = driver.await;
        result
    }

    /// The database's schema version.
    pub async fn schema_version(&self) -> StoreResult<i64> {
        let c = self.inner.pool.get().await.map_err(err)?;
        let row = c
            .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_version", &[])
            .await
            .map_err(err)?;
        Ok(row.get(0))
    }

    async fn conn(&self) -> StoreResult<deadpool_postgres::Object> {
        self.inner.pool.get().await.map_err(err)
    }
}

/// The body of a [`Store`] method: `$body` runs on a pooled connection bound to `$c`
/// (`&mut Object`), may use `?` on driver, pool and JSON errors, and its failure becomes a
/// [`StoreError`].
macro_rules! op {
    ($self:ident, |$c:ident| $body:block) => {
        Box::pin(async move {
            let mut conn = $self.conn().await?;
            let $c = &mut conn;
            let result: Result<_, PgError> = async { $body }.await;
            result.map_err(err)
        })
    };
}

/// Takes the grant's transaction-scoped advisory lock: every transaction that reads or changes a
/// grant's revocation state holds it, so they apply one after another.
async fn lock_grant(
    tx: &deadpool_postgres::Transaction<'_>,
    grant_id: &str,
) -> Result<(), tokio_postgres::Error> {
    let st = tx
        .prepare_cached("SELECT pg_advisory_xact_lock($1, hashtext($2))")
        .await?;
    tx.execute(&st, &[&GRANT_LOCK, &grant_id]).await?;
    Ok(())
}

async fn notify(
    tx: &deadpool_postgres::Transaction<'_>,
    change: &StoreChange,
) -> Result<(), tokio_postgres::Error> {
    let st = tx.prepare_cached("SELECT pg_notify($1, $2)").await?;
    tx.execute(&st, &[&CHANNEL, &encode(change)]).await?;
    Ok(())
}

async fn revoke_grant_tx(
    tx: &deadpool_postgres::Transaction<'_>,
    grant_id: &str,
    now: u64,
) -> Result<(), tokio_postgres::Error> {
    let statements = [
        "INSERT INTO revoked_grants (grant_id, revoked_at) VALUES ($1, $2)
         ON CONFLICT (grant_id) DO NOTHING",
        "UPDATE refresh_tokens SET revoked = TRUE WHERE grant_id = $1 AND NOT revoked",
        "INSERT INTO revoked_tokens (jti, expires_at)
         SELECT jti, expires_at FROM grant_tokens WHERE grant_id = $1
         ON CONFLICT (jti) DO NOTHING",
    ];
    let now = u(now);
    for (i, sql) in statements.into_iter().enumerate() {
        let st = tx.prepare_cached(sql).await?;
        let params: &[&(dyn ToSql + Sync)] = if i == 0 {
            &[&grant_id, &now]
        } else {
            &[&grant_id]
        };
        tx.execute(&st, params).await?;
    }
    Ok(())
}

async fn lock_consent(
    tx: &deadpool_postgres::Transaction<'_>,
    subject: &str,
    client_id: &str,
) -> Result<(), tokio_postgres::Error> {
    // The unit separator cannot occur in a client id or subject we issue; a collision of two
    // other pairs only serializes them, it never breaks anything.
    let key = format!("{subject}\u{1f}{client_id}");
    let st = tx
        .prepare_cached("SELECT pg_advisory_xact_lock($1, hashtext($2))")
        .await?;
    tx.execute(&st, &[&CONSENT_LOCK, &key]).await?;
    Ok(())
}

fn consent_row(r: &tokio_postgres::Row) -> ConsentRecord {
    ConsentRecord {
        subject: r.get(0),
        client_id: r.get(1),
        scope: r.get(2),
        granted_at: from_db(r.get(3)),
    }
}

async fn one_shot(
    c: &deadpool_postgres::Object,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<u64, tokio_postgres::Error> {
    let st = c.prepare_cached(sql).await?;
    c.execute(&st, params).await
}

async fn one_row(
    c: &deadpool_postgres::Object,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Option<tokio_postgres::Row>, tokio_postgres::Error> {
    let st = c.prepare_cached(sql).await?;
    c.query_opt(&st, params).await
}

impl Store for PostgresStore {
    fn get_client(&self, client_id: &str) -> BoxFuture<'_, StoreResult<Option<RegisteredClient>>> {
        let id = client_id.to_owned();
        op!(self, |c| {
            let row = one_row(c, "SELECT body FROM clients WHERE client_id = $1", &[&id]).await?;
            Ok(row
                .map(|r| serde_json::from_str(r.get::<_, &str>(0)))
                .transpose()?)
        })
    }

    fn put_client(&self, client: RegisteredClient) -> BoxFuture<'_, StoreResult<()>> {
        op!(self, |c| {
            let body = serde_json::to_string(&client)?;
            let change = encode(&StoreChange::ClientChanged {
                client_id: client.client_id.clone(),
            });
            // One statement: the row and its notification commit together.
            one_shot(
                c,
                "WITH up AS (
                     INSERT INTO clients (client_id, rat_hash, body) VALUES ($1, $2, $3)
                     ON CONFLICT (client_id) DO UPDATE SET rat_hash = excluded.rat_hash,
                                                           body = excluded.body)
                 SELECT pg_notify($4, $5)",
                &[
                    &client.client_id,
                    &client.registration_token_hash,
                    &body,
                    &CHANNEL,
                    &change,
                ],
            )
            .await?;
            Ok(())
        })
    }

    fn delete_client(&self, client_id: &str, now: u64) -> BoxFuture<'_, StoreResult<bool>> {
        let id = client_id.to_owned();
        op!(self, |c| {
            let tx = c.transaction().await?;
            let st = tx
                .prepare_cached(
                    "SELECT grant_id FROM refresh_tokens WHERE client_id = $1
                     UNION SELECT grant_id FROM codes WHERE client_id = $1
                     ORDER BY 1",
                )
                .await?;
            let grants: Vec<String> = tx
                .query(&st, &[&id])
                .await?
                .iter()
                .map(|r| r.get(0))
                .collect();
            // Sorted order: two deletions never wait on each other's grant locks in a cycle.
            for g in &grants {
                lock_grant(&tx, g).await?;
                revoke_grant_tx(&tx, g, now).await?;
            }
            let st = tx
                .prepare_cached("DELETE FROM clients WHERE client_id = $1")
                .await?;
            let n = tx.execute(&st, &[&id]).await?;
            notify(&tx, &StoreChange::ClientDeleted { client_id: id }).await?;
            tx.commit().await?;
            Ok(n > 0)
        })
    }

    fn client_by_registration_token(
        &self,
        token_hash: &str,
    ) -> BoxFuture<'_, StoreResult<Option<RegisteredClient>>> {
        let h = token_hash.to_owned();
        op!(self, |c| {
            let row = one_row(c, "SELECT body FROM clients WHERE rat_hash = $1", &[&h]).await?;
            Ok(row
                .map(|r| serde_json::from_str(r.get::<_, &str>(0)))
                .transpose()?)
        })
    }

    fn count_clients(&self) -> BoxFuture<'_, StoreResult<u64>> {
        op!(self, |c| {
            let row = one_row(c, "SELECT COUNT(*) FROM clients", &[]).await?;
            Ok(row.map_or(0, |r| from_db(r.get(0))))
        })
    }

    fn insert_code(&self, code: CodeRecord) -> BoxFuture<'_, StoreResult<()>> {
        op!(self, |c| {
            let body = serde_json::to_string(&code)?;
            one_shot(
                c,
                "INSERT INTO codes (code_hash, grant_id, client_id, subject, body, used, expires_at)
                 VALUES ($1, $2, $3, $4, $5, FALSE, $6)",
                &[
                    &code.code_hash,
                    &code.grant_id,
                    &code.client_id,
                    &code.subject,
                    &body,
                    &u(code.expires_at),
                ],
            )
            .await?;
            Ok(())
        })
    }

    fn consume_code(&self, code_hash: &str) -> BoxFuture<'_, StoreResult<CodeConsumption>> {
        let h = code_hash.to_owned();
        op!(self, |c| {
            // Concurrent callers queue on the row lock; after the winner commits the others
            // re-check `NOT used` and update nothing.
            if let Some(row) = one_row(
                c,
                "UPDATE codes SET used = TRUE WHERE code_hash = $1 AND NOT used RETURNING body",
                &[&h],
            )
            .await?
            {
                return Ok(CodeConsumption::Consumed(serde_json::from_str(
                    row.get::<_, &str>(0),
                )?));
            }
            match one_row(c, "SELECT body FROM codes WHERE code_hash = $1", &[&h]).await? {
                Some(row) => Ok(CodeConsumption::AlreadyUsed(serde_json::from_str(
                    row.get::<_, &str>(0),
                )?)),
                None => Ok(CodeConsumption::NotFound),
            }
        })
    }

    fn insert_refresh(&self, t: RefreshRecord) -> BoxFuture<'_, StoreResult<()>> {
        op!(self, |c| {
            let tx = c.transaction().await?;
            lock_grant(&tx, &t.grant_id).await?;
            let st = tx
                .prepare_cached(
                    "INSERT INTO refresh_tokens
                     (token_hash, grant_id, client_id, subject, scope, expires_at, used, revoked)
                     VALUES ($1, $2, $3, $4, $5, $6, $7,
                             $8 OR EXISTS (SELECT 1 FROM revoked_grants WHERE grant_id = $2))",
                )
                .await?;
            tx.execute(
                &st,
                &[
                    &t.token_hash,
                    &t.grant_id,
                    &t.client_id,
                    &t.subject,
                    &t.scope,
                    &u(t.expires_at),
                    &t.used,
                    &t.revoked,
                ],
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    fn get_refresh(&self, token_hash: &str) -> BoxFuture<'_, StoreResult<Option<RefreshRecord>>> {
        let h = token_hash.to_owned();
        op!(self, |c| {
            let row = one_row(
                c,
                "SELECT token_hash, grant_id, client_id, subject, scope, expires_at, used, revoked
                 FROM refresh_tokens WHERE token_hash = $1",
                &[&h],
            )
            .await?;
            Ok(row.map(|r| RefreshRecord {
                token_hash: r.get(0),
                grant_id: r.get(1),
                client_id: r.get(2),
                subject: r.get(3),
                scope: r.get(4),
                expires_at: from_db(r.get(5)),
                used: r.get(6),
                revoked: r.get(7),
            }))
        })
    }

    fn rotate_refresh(
        &self,
        old_hash: &str,
        t: RefreshRecord,
    ) -> BoxFuture<'_, StoreResult<RefreshRotation>> {
        let h = old_hash.to_owned();
        op!(self, |c| {
            let tx = c.transaction().await?;
            // Same grant as the old token: serializes with a concurrent family revocation, so
            // the successor cannot be inserted live into a family being revoked.
            lock_grant(&tx, &t.grant_id).await?;
            let st = tx
                .prepare_cached(&format!(
                    "UPDATE refresh_tokens SET used = TRUE, used_at = {SQL_NOW}
                     WHERE token_hash = $1 AND NOT used AND NOT revoked"
                ))
                .await?;
            let result = if tx.execute(&st, &[&h]).await? == 1 {
                let st = tx
                    .prepare_cached(
                        "INSERT INTO refresh_tokens
                         (token_hash, grant_id, client_id, subject, scope, expires_at, used, revoked)
                         VALUES ($1, $2, $3, $4, $5, $6, FALSE, FALSE)",
                    )
                    .await?;
                tx.execute(
                    &st,
                    &[
                        &t.token_hash,
                        &t.grant_id,
                        &t.client_id,
                        &t.subject,
                        &t.scope,
                        &u(t.expires_at),
                    ],
                )
                .await?;
                RefreshRotation::Rotated
            } else {
                // Rotated by someone else within the grace window (and not revoked since): a
                // concurrent loser. Otherwise a replay.
                let st = tx
                    .prepare_cached(&format!(
                        "SELECT NOT revoked AND used_at IS NOT NULL AND used_at >= {SQL_NOW} - $2
                         FROM refresh_tokens WHERE token_hash = $1"
                    ))
                    .await?;
                match tx.query_opt(&st, &[&h, &GRACE_SECS]).await? {
                    Some(r) if r.get::<_, bool>(0) => RefreshRotation::ConcurrentlyRotated,
                    Some(_) => RefreshRotation::Replayed,
                    None => RefreshRotation::NotFound,
                }
            };
            tx.commit().await?;
            Ok(result)
        })
    }

    fn revoke_grant(&self, grant_id: &str, now: u64) -> BoxFuture<'_, StoreResult<()>> {
        let g = grant_id.to_owned();
        op!(self, |c| {
            let tx = c.transaction().await?;
            lock_grant(&tx, &g).await?;
            revoke_grant_tx(&tx, &g, now).await?;
            notify(&tx, &StoreChange::GrantRevoked { grant_id: g }).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    fn record_access_token(
        &self,
        grant_id: &str,
        jti: &str,
        expires_at: u64,
    ) -> BoxFuture<'_, StoreResult<bool>> {
        let (g, j) = (grant_id.to_owned(), jti.to_owned());
        op!(self, |c| {
            let tx = c.transaction().await?;
            lock_grant(&tx, &g).await?;
            let st = tx
                .prepare_cached("SELECT 1 FROM revoked_grants WHERE grant_id = $1")
                .await?;
            let revoked = tx.query_opt(&st, &[&g]).await?.is_some();
            let exp = u(expires_at);
            let st = tx
                .prepare_cached(
                    "INSERT INTO grant_tokens (jti, grant_id, expires_at) VALUES ($1, $2, $3)",
                )
                .await?;
            tx.execute(&st, &[&j, &g, &exp]).await?;
            if revoked {
                let st = tx
                    .prepare_cached(
                        "INSERT INTO revoked_tokens (jti, expires_at) VALUES ($1, $2)
                         ON CONFLICT (jti) DO NOTHING",
                    )
                    .await?;
                tx.execute(&st, &[&j, &exp]).await?;
            }
            tx.commit().await?;
            Ok(!revoked)
        })
    }

    fn revoke_access_token(&self, jti: &str, expires_at: u64) -> BoxFuture<'_, StoreResult<()>> {
        let j = jti.to_owned();
        op!(self, |c| {
            let change = encode(&StoreChange::AccessTokenRevoked { jti: j.clone() });
            one_shot(
                c,
                "WITH ins AS (
                     INSERT INTO revoked_tokens (jti, expires_at) VALUES ($1, $2)
                     ON CONFLICT (jti) DO NOTHING)
                 SELECT pg_notify($3, $4)",
                &[&j, &u(expires_at), &CHANNEL, &change],
            )
            .await?;
            Ok(())
        })
    }

    fn is_access_token_revoked(&self, jti: &str) -> BoxFuture<'_, StoreResult<bool>> {
        let j = jti.to_owned();
        op!(self, |c| {
            Ok(
                one_row(c, "SELECT 1 FROM revoked_tokens WHERE jti = $1", &[&j])
                    .await?
                    .is_some(),
            )
        })
    }

    fn use_jti(
        &self,
        client_id: &str,
        jti: &str,
        expires_at: u64,
    ) -> BoxFuture<'_, StoreResult<bool>> {
        let (ci, j) = (client_id.to_owned(), jti.to_owned());
        op!(self, |c| {
            let n = one_shot(
                c,
                "INSERT INTO assertion_jtis (client_id, jti, expires_at) VALUES ($1, $2, $3)
                 ON CONFLICT (client_id, jti) DO NOTHING",
                &[&ci, &j, &u(expires_at)],
            )
            .await?;
            Ok(n == 1)
        })
    }

    fn put_pending(&self, p: PendingAuthorization) -> BoxFuture<'_, StoreResult<()>> {
        op!(self, |c| {
            let body = serde_json::to_string(&p)?;
            one_shot(
                c,
                "INSERT INTO pending_authorizations (id_hash, body, expires_at) VALUES ($1, $2, $3)",
                &[&p.id_hash, &body, &u(p.expires_at)],
            )
            .await?;
            Ok(())
        })
    }

    fn take_pending(
        &self,
        id_hash: &str,
    ) -> BoxFuture<'_, StoreResult<Option<PendingAuthorization>>> {
        let h = id_hash.to_owned();
        op!(self, |c| {
            let row = one_row(
                c,
                "DELETE FROM pending_authorizations WHERE id_hash = $1 RETURNING body",
                &[&h],
            )
            .await?;
            Ok(row
                .map(|r| serde_json::from_str(r.get::<_, &str>(0)))
                .transpose()?)
        })
    }

    fn get_consent(
        &self,
        subject: &str,
        client_id: &str,
    ) -> BoxFuture<'_, StoreResult<Option<ConsentRecord>>> {
        let (sub, ci) = (subject.to_owned(), client_id.to_owned());
        op!(self, |c| {
            let row = one_row(
                c,
                "SELECT subject, client_id, scope, granted_at FROM consents
                 WHERE subject = $1 AND client_id = $2",
                &[&sub, &ci],
            )
            .await?;
            Ok(row.as_ref().map(consent_row))
        })
    }

    fn put_consent(&self, consent: ConsentRecord) -> BoxFuture<'_, StoreResult<()>> {
        op!(self, |c| {
            let tx = c.transaction().await?;
            lock_consent(&tx, &consent.subject, &consent.client_id).await?;
            let st = tx
                .prepare_cached("SELECT scope FROM consents WHERE subject = $1 AND client_id = $2")
                .await?;
            let stored: Option<String> = tx
                .query_opt(&st, &[&consent.subject, &consent.client_id])
                .await?
                .map(|r| r.get(0));
            let scope = merge_scopes(stored.as_deref().unwrap_or(""), &consent.scope);
            let st = tx
                .prepare_cached(
                    "INSERT INTO consents (subject, client_id, scope, granted_at)
                     VALUES ($1, $2, $3, $4)
                     ON CONFLICT (subject, client_id) DO UPDATE
                     SET scope = excluded.scope, granted_at = excluded.granted_at",
                )
                .await?;
            tx.execute(
                &st,
                &[
                    &consent.subject,
                    &consent.client_id,
                    &scope,
                    &u(consent.granted_at),
                ],
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    fn consents_of(&self, subject: &str) -> BoxFuture<'_, StoreResult<Vec<ConsentRecord>>> {
        let sub = subject.to_owned();
        op!(self, |c| {
            let st = c
                .prepare_cached(
                    "SELECT subject, client_id, scope, granted_at FROM consents
                     WHERE subject = $1 ORDER BY client_id",
                )
                .await?;
            Ok(c.query(&st, &[&sub])
                .await?
                .iter()
                .map(consent_row)
                .collect())
        })
    }

    fn withdraw_consent(
        &self,
        subject: &str,
        client_id: &str,
        now: u64,
    ) -> BoxFuture<'_, StoreResult<bool>> {
        let (sub, ci) = (subject.to_owned(), client_id.to_owned());
        op!(self, |c| {
            let tx = c.transaction().await?;
            lock_consent(&tx, &sub, &ci).await?;
            let st = tx
                .prepare_cached("DELETE FROM consents WHERE subject = $1 AND client_id = $2")
                .await?;
            let deleted = tx.execute(&st, &[&sub, &ci]).await?;
            let st = tx
                .prepare_cached(
                    "SELECT grant_id FROM refresh_tokens WHERE client_id = $1 AND subject = $2
                     UNION SELECT grant_id FROM codes WHERE client_id = $1 AND subject = $2
                     EXCEPT SELECT grant_id FROM revoked_grants
                     ORDER BY 1",
                )
                .await?;
            let grants: Vec<String> = tx
                .query(&st, &[&ci, &sub])
                .await?
                .iter()
                .map(|r| r.get(0))
                .collect();
            // Sorted order, as in `delete_client`: no lock cycles between two withdrawals.
            for g in &grants {
                lock_grant(&tx, g).await?;
                revoke_grant_tx(&tx, g, now).await?;
                notify(
                    &tx,
                    &StoreChange::GrantRevoked {
                        grant_id: g.clone(),
                    },
                )
                .await?;
            }
            tx.commit().await?;
            Ok(deleted > 0 || !grants.is_empty())
        })
    }

    fn signing_keys(&self) -> BoxFuture<'_, StoreResult<Vec<StoredSigningKey>>> {
        op!(self, |c| {
            let st = c.prepare_cached("SELECT body FROM signing_keys").await?;
            let rows = c.query(&st, &[]).await?;
            Ok(rows
                .iter()
                .map(|r| serde_json::from_str(r.get::<_, &str>(0)))
                .collect::<Result<_, _>>()?)
        })
    }

    fn put_signing_key(&self, key: StoredSigningKey) -> BoxFuture<'_, StoreResult<()>> {
        op!(self, |c| {
            let body = serde_json::to_string(&key)?;
            let change = encode(&StoreChange::SigningKeysChanged);
            one_shot(
                c,
                "WITH up AS (
                     INSERT INTO signing_keys (kid, body) VALUES ($1, $2)
                     ON CONFLICT (kid) DO UPDATE SET body = excluded.body)
                 SELECT pg_notify($3, $4)",
                &[&key.kid, &body, &CHANNEL, &change],
            )
            .await?;
            Ok(())
        })
    }

    fn purge_expired(&self, now: u64) -> BoxFuture<'_, StoreResult<()>> {
        op!(self, |c| {
            let n = u(now);
            let tx = c.transaction().await?;
            for table in [
                "codes",
                "refresh_tokens",
                "grant_tokens",
                "revoked_tokens",
                "assertion_jtis",
                "pending_authorizations",
            ] {
                tx.execute(&format!("DELETE FROM {table} WHERE expires_at < $1"), &[&n])
                    .await?;
            }
            tx.execute(
                "DELETE FROM revoked_grants WHERE revoked_at < $1",
                &[&u(now.saturating_sub(REVOKED_GRANT_RETENTION))],
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    fn health(&self) -> BoxFuture<'_, StoreResult<()>> {
        op!(self, |c| {
            one_row(c, "SELECT 1", &[]).await?;
            Ok(())
        })
    }

    fn changes(&self) -> Option<broadcast::Receiver<StoreChange>> {
        Some(self.inner.feed.subscribe())
    }
}

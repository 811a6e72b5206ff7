//! Serving a demo's app over TLS until it is told to stop: the server task, its stop signal
//! and the embedded authorization server's hourly purge, shared by every demo (OneRoster,
//! badges host, LTI platform and tool).

use std::future::Future;
use std::time::Duration;

use ims_runtime::authorization_server::AuthorizationServer;
use ims_runtime::tls::{ServeOptions, TlsConfig, TlsError, serve_tls_with};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::{JoinError, JoinHandle};

/// In-flight requests get this long to finish at shutdown.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);
/// Expired codes, refresh tokens, assertion ids and consents are purged this often.
const PURGE_INTERVAL: Duration = Duration::from_secs(3600);

/// How serving ended: the task's own failure (a panic) or the server's.
pub type ServeOutcome = Result<Result<(), TlsError>, JoinError>;

/// An app being served. Dropping it without [`Self::shutdown`] leaves the server running
/// until the runtime ends.
#[derive(Debug)]
pub struct ServedApp {
    stop: Option<oneshot::Sender<()>>,
    server_task: JoinHandle<Result<(), TlsError>>,
    purge_task: Option<JoinHandle<()>>,
}

impl ServedApp {
    /// Serves `app` on `listener`; with `authz`, also purges its expired rows every hour.
    pub fn start(
        listener: TcpListener,
        app: axum::Router,
        tls: TlsConfig,
        authz: Option<AuthorizationServer>,
    ) -> Self {
        let (stop, stopped) = oneshot::channel::<()>();
        let server_task = tokio::spawn(serve_tls_with(
            listener,
            app,
            tls,
            async move {
                let _ = stopped.await;
            },
            ServeOptions::default().drain_timeout(DRAIN_TIMEOUT),
        ));
        let purge_task = authz.map(|purger| {
            tokio::spawn(async move {
                let mut every = tokio::time::interval(PURGE_INTERVAL);
                loop {
                    every.tick().await;
                    if let Err(e) = purger.purge_expired().await {
                        tracing::warn!(error = %e, "purging expired authorization rows failed");
                    }
                }
            })
        });
        Self {
            stop: Some(stop),
            server_task,
            purge_task,
        }
    }

    /// Serves until `signal` resolves (then shuts down gracefully) or the server ends.
    pub async fn run_until(&mut self, signal: impl Future<Output = ()>) -> ServeOutcome {
        tokio::select! {
            () = signal => self.shutdown().await,
            finished = &mut self.server_task => {
                self.stop_purging();
                finished
            }
        }
    }

    /// Stops accepting connections, lets in-flight requests finish (up to 5 s) and waits for
    /// the server to stop.
    pub async fn shutdown(&mut self) -> ServeOutcome {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.stop_purging();
        (&mut self.server_task).await
    }

    fn stop_purging(&mut self) {
        if let Some(purge) = self.purge_task.take() {
            purge.abort();
        }
    }
}

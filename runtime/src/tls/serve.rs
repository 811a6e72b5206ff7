//! `serve_tls`: an axum `Router` over TLS with the timeouts and caps a public endpoint needs.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tower::ServiceExt;

use super::{TlsConfig, TlsError};

/// Limits and timeouts for [`serve_tls_with`]. `Default` gives production-safe values.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ServeOptions {
    /// A TLS handshake must finish within this time or the connection is dropped (slowloris,
    /// TL-09). Default 10 s.
    pub handshake_timeout: Duration,
    /// HTTP/1 request headers must arrive within this time. Default 10 s.
    pub header_read_timeout: Duration,
    /// Maximum simultaneous connections; further connections wait in the accept queue.
    /// Default 4096.
    pub max_connections: usize,
    /// HTTP/2 concurrent streams per connection (rapid-reset and flood cap, TL-07). Default 128.
    pub max_concurrent_streams: u32,
    /// Maximum HTTP/2 header list size in bytes. Default 16 KiB.
    pub max_header_list_size: u32,
    /// Maximum number of HTTP/1 headers. Default 100.
    pub max_headers: usize,
    /// After `shutdown` resolves, in-flight requests get this long to finish. Default 30 s.
    pub drain_timeout: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            handshake_timeout: Duration::from_secs(10),
            header_read_timeout: Duration::from_secs(10),
            max_connections: 4096,
            max_concurrent_streams: 128,
            max_header_list_size: 16 * 1024,
            max_headers: 100,
            drain_timeout: Duration::from_secs(30),
        }
    }
}

impl ServeOptions {
    /// Sets [`ServeOptions::handshake_timeout`].
    pub fn handshake_timeout(mut self, d: Duration) -> Self {
        self.handshake_timeout = d;
        self
    }
    /// Sets [`ServeOptions::header_read_timeout`].
    pub fn header_read_timeout(mut self, d: Duration) -> Self {
        self.header_read_timeout = d;
        self
    }
    /// Sets [`ServeOptions::max_connections`].
    pub fn max_connections(mut self, n: usize) -> Self {
        self.max_connections = n.max(1);
        self
    }
    /// Sets [`ServeOptions::drain_timeout`].
    pub fn drain_timeout(mut self, d: Duration) -> Self {
        self.drain_timeout = d;
        self
    }
}

/// Serves an axum `Router` over TLS on `listener` until `shutdown` resolves, with the default
/// [`ServeOptions`] (10 s handshake timeout). On shutdown the listener stops accepting and
/// in-flight requests finish (bounded by the drain timeout).
///
/// The peer address is available to handlers as `axum::extract::ConnectInfo<SocketAddr>`.
///
/// ```no_run
/// # async fn run() -> Result<(), ims_runtime::tls::TlsError> {
/// use ims_runtime::tls::{dev::DevCertificates, serve_tls};
/// let certs = DevCertificates::ensure(std::path::Path::new("target/dev-certs"), &["localhost", "127.0.0.1"])?;
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8443").await.map_err(ims_runtime::tls::TlsError::Listener)?;
/// let app = axum::Router::new().route("/", axum::routing::get(|| async { "hello" }));
/// serve_tls(listener, app, certs.tls_config()?, async { let _ = tokio::signal::ctrl_c().await; }).await
/// # }
/// ```
pub async fn serve_tls(
    listener: TcpListener,
    router: axum::Router,
    tls: TlsConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), TlsError> {
    serve_tls_with(listener, router, tls, shutdown, ServeOptions::default()).await
}

/// [`serve_tls`] with explicit limits.
pub async fn serve_tls_with(
    listener: TcpListener,
    router: axum::Router,
    tls: TlsConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
    options: ServeOptions,
) -> Result<(), TlsError> {
    let acceptor = tokio_rustls::TlsAcceptor::from(tls.server_config());
    let (stop_tx, stop_rx) = watch::channel(false);
    let permits = Arc::new(Semaphore::new(options.max_connections));
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(options.header_read_timeout)
        .max_headers(options.max_headers);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(options.max_concurrent_streams)
        .max_header_list_size(options.max_header_list_size)
        .max_pending_accept_reset_streams(Some(64))
        .keep_alive_interval(Some(Duration::from_secs(30)));
    let builder = Arc::new(builder);
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);

    loop {
        // Reap finished connection tasks so the set stays small.
        while connections.try_join_next().is_some() {}
        let permit = tokio::select! {
            biased;
            () = &mut shutdown => break,
            p = Arc::clone(&permits).acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let (stream, peer) = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) if is_transient(&e) => {
                    tracing::debug!(error = %e, "accept failed; continuing");
                    continue;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed; backing off");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let acceptor = acceptor.clone();
        let router = router.clone();
        let builder = Arc::clone(&builder);
        let mut stop = stop_rx.clone();
        let handshake_timeout = options.handshake_timeout;
        connections.spawn(async move {
            let _permit = permit;
            let tls_stream = tokio::select! {
                r = tokio::time::timeout(handshake_timeout, acceptor.accept(stream)) => match r {
                    Ok(Ok(s)) => s,
                    Ok(Err(e)) => {
                        tracing::debug!(%peer, error = %e, "TLS handshake failed");
                        return;
                    }
                    Err(_) => {
                        tracing::debug!(%peer, "TLS handshake timed out");
                        return;
                    }
                },
                () = stopped(&mut stop) => return,
            };
            let service = router.map_request(
                move |mut req: axum::extract::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
                    req
                },
            );
            let service = hyper_util::service::TowerToHyperService::new(service);
            let conn = builder.serve_connection(TokioIo::new(tls_stream), service);
            let mut conn = std::pin::pin!(conn);
            tokio::select! {
                r = conn.as_mut() => {
                    if let Err(e) = r {
                        tracing::debug!(%peer, error = %e, "connection error");
                    }
                }
                () = stopped(&mut stop) => {
                    conn.as_mut().graceful_shutdown();
                    if let Err(e) = conn.await {
                        tracing::debug!(%peer, error = %e, "connection error while draining");
                    }
                }
            }
        });
    }

    drop(listener);
    let _ = stop_tx.send(true);
    let drain = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(options.drain_timeout, drain)
        .await
        .is_err()
    {
        tracing::warn!("drain timeout reached; aborting remaining connections");
        connections.abort_all();
    }
    Ok(())
}

/// Resolves once the stop flag is set (or the sender is gone).
async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|s| *s).await;
}

fn is_transient(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
            | std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::Interrupted
    )
}

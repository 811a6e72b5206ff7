//! One-line TLS test servers on `127.0.0.1:0` with a client that trusts only their CA.
//!
//! ```no_run
//! # async fn t() {
//! use ims_runtime::tls::testing::TestServer;
//! let app = axum::Router::new().route("/", axum::routing::get(|| async { "ok" }));
//! let server = TestServer::start(app).await.unwrap();
//! let body = server.client().get(server.url("/")).send().await.unwrap().text().await.unwrap();
//! assert_eq!(body, "ok");
//! server.shutdown().await;
//! # }
//! ```

use std::net::SocketAddr;
use std::sync::OnceLock;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::dev::DevPem;
use super::{ServeOptions, TlsConfig, TlsError, client_config, serve_tls_with};

/// The shared development PEMs for tests (one CA per process; generating is cheap but there is no
/// reason to repeat it).
pub fn shared_dev_pem() -> Result<&'static DevPem, TlsError> {
    static PEM: OnceLock<Result<DevPem, String>> = OnceLock::new();
    PEM.get_or_init(|| DevPem::generate(&["localhost", "127.0.0.1"]).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| TlsError::CertificateGeneration(e.clone()))
}

/// A running TLS server on loopback.
pub struct TestServer {
    addr: SocketAddr,
    ca_pem: Vec<u8>,
    client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), TlsError>>>,
}

impl std::fmt::Debug for TestServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl TestServer {
    /// Starts `router` over TLS on `127.0.0.1:0` with the shared development certificate.
    pub async fn start(router: axum::Router) -> Result<Self, TlsError> {
        let pem = shared_dev_pem()?;
        Self::start_with(
            router,
            pem.tls_config()?,
            pem.ca_cert.as_bytes(),
            ServeOptions::default(),
        )
        .await
    }

    /// Starts `router` with a given server configuration, the CA the client should trust and
    /// serving options.
    pub async fn start_with(
        router: axum::Router,
        tls: TlsConfig,
        ca_pem: &[u8],
        options: ServeOptions,
    ) -> Result<Self, TlsError> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(TlsError::Listener)?;
        let addr = listener.local_addr().map_err(TlsError::Listener)?;
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve_tls_with(
            listener,
            router,
            tls,
            async move {
                let _ = stopped.await;
            },
            options,
        ));
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(client_config(Some(ca_pem))?)
            .redirect(reqwest::redirect::Policy::none())
            .https_only(true)
            .build()
            .map_err(|e| TlsError::CertificateGeneration(format!("test client: {e}")))?;
        Ok(Self {
            addr,
            ca_pem: ca_pem.to_vec(),
            client,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The bound address (`127.0.0.1:<port>`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `https://127.0.0.1:<port>` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("https://{}{}", self.addr, path)
    }

    /// The CA certificate (PEM) that issued the server certificate.
    pub fn ca_pem(&self) -> &[u8] {
        &self.ca_pem
    }

    /// A reqwest client trusting only the server's CA, https only, no redirects.
    pub fn client(&self) -> reqwest::Client {
        self.client.clone()
    }

    /// Stops accepting, lets in-flight requests finish and waits for the server task.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Closed-loop HTTP load for benchmarks: `concurrency` tasks each send `GET url` (with
/// `authorization` as the `Authorization` header when given) back to back over `client`'s
/// keep-alive connections; after a one-second warm-up, completed requests are counted for
/// `duration`. Returns requests per second.
///
/// # Errors
/// The first response that is not 200 or fails, as text: a benchmark of failures measures
/// nothing.
pub async fn get_throughput(
    client: &reqwest::Client,
    url: &str,
    authorization: Option<&str>,
    duration: std::time::Duration,
    concurrency: usize,
) -> Result<f64, String> {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let (client, url, stop, count) =
            (client.clone(), url.to_owned(), stop.clone(), count.clone());
        let authorization = authorization.map(str::to_owned);
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let mut request = client.get(&url);
                if let Some(value) = &authorization {
                    request = request.header(http::header::AUTHORIZATION, value);
                }
                let response = request.send().await.map_err(|e| e.to_string())?;
                if response.status() != http::StatusCode::OK {
                    return Err(format!("GET {url} answered {}", response.status()));
                }
                response.bytes().await.map_err(|e| e.to_string())?;
                count.fetch_add(1, Ordering::Relaxed);
            }
            Ok::<(), String>(())
        }));
    }
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let start_count = count.load(Ordering::Relaxed);
    let start = std::time::Instant::now();
    tokio::time::sleep(duration).await;
    let done = count.load(Ordering::Relaxed) - start_count;
    let elapsed = start.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.map_err(|e| e.to_string())??;
    }
    Ok(done as f64 / elapsed)
}

//! TLS rules (SECURITY-CASES (f) TL-01..09) checked against `serve_tls` over real loopback TLS.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failures
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use ims_runtime::tls::dev::{DevCertificates, DevPem};
use ims_runtime::tls::testing::{TestServer, shared_dev_pem};
use ims_runtime::tls::{ServeOptions, TlsConfig, TlsError, client_config, crypto_provider};
use rustls_pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn hello() -> Router {
    Router::new().route("/", get(|| async { "hello" }))
}

/// Connects with a rustls client limited to `version` and returns the negotiated version.
async fn handshake_with(
    server: &TestServer,
    version: &'static rustls::SupportedProtocolVersion,
) -> Result<rustls::ProtocolVersion, std::io::Error> {
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls_pki_types::CertificateDer::pem_slice_iter(server.ca_pem()) {
        roots.add(c.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(crypto_provider())
        .with_protocol_versions(&[version])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = TcpStream::connect(server.addr()).await?;
    let tls = connector
        .connect(ServerName::try_from("127.0.0.1").unwrap(), tcp)
        .await?;
    Ok(tls.get_ref().1.protocol_version().unwrap())
}

use rustls_pki_types::pem::PemObject;

/// A minimal TLS ClientHello with the given legacy version and cipher suites, plus the
/// signature_algorithms, supported_groups and ec_point_formats extensions so that only the
/// version or the suites can make the server refuse it.
fn raw_client_hello(version: [u8; 2], suites: &[u16]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&version);
    body.extend_from_slice(&[7u8; 32]); // random
    body.push(0); // session id
    body.extend_from_slice(&((suites.len() * 2) as u16).to_be_bytes());
    for s in suites {
        body.extend_from_slice(&s.to_be_bytes());
    }
    body.extend_from_slice(&[1, 0]); // compression: null only
    let exts: &[u8] = &[
        0x00, 0x0d, 0x00, 0x08, 0x00, 0x06, 0x04, 0x03, 0x08, 0x04, 0x04,
        0x01, // signature_algorithms
        0x00, 0x0a, 0x00, 0x06, 0x00, 0x04, 0x00, 0x1d, 0x00, 0x17, // supported_groups
        0x00, 0x0b, 0x00, 0x02, 0x01, 0x00, // ec_point_formats
    ];
    body.extend_from_slice(&(exts.len() as u16).to_be_bytes());
    body.extend_from_slice(exts);
    let mut hs = vec![1u8]; // client_hello
    hs.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    hs.extend_from_slice(&body);
    let mut rec = vec![0x16, version[0], version[1]];
    rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
    rec.extend_from_slice(&hs);
    rec
}

/// Sends raw bytes and returns what the server answers before closing (bounded by a fail-safe).
async fn exchange_raw(server: &TestServer, bytes: &[u8]) -> Vec<u8> {
    let mut tcp = TcpStream::connect(server.addr()).await.unwrap();
    tcp.write_all(bytes).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(30), tcp.read_to_end(&mut out)).await;
    out
}

#[tokio::test]
async fn tls13_handshake_succeeds() {
    let server = TestServer::start(hello()).await.unwrap();
    let v = handshake_with(&server, &rustls::version::TLS13)
        .await
        .unwrap();
    assert_eq!(v, rustls::ProtocolVersion::TLSv1_3);
    server.shutdown().await;
}

#[tokio::test]
async fn tls12_handshake_succeeds() {
    let server = TestServer::start(hello()).await.unwrap();
    let v = handshake_with(&server, &rustls::version::TLS12)
        .await
        .unwrap();
    assert_eq!(v, rustls::ProtocolVersion::TLSv1_2);
    server.shutdown().await;
}

#[tokio::test]
async fn tls11_client_hello_refused_with_protocol_version_alert() {
    let server = TestServer::start(hello()).await.unwrap();
    // TLS 1.1 ClientHello that also offers AEAD suites, so only the version is wrong.
    let answer = exchange_raw(
        &server,
        &raw_client_hello([3, 2], &[0xc02b, 0xc02f, 0xc013, 0x002f]),
    )
    .await;
    // An alert record: content type 21, fatal (2), protocol_version (70).
    assert!(answer.len() >= 7, "expected an alert, got {answer:?}");
    assert_eq!(answer[0], 0x15, "expected an alert record, got {answer:?}");
    assert_eq!(
        &answer[5..7],
        &[2, 70],
        "expected fatal protocol_version, got {answer:?}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn tls10_and_ssl3_client_hello_refused() {
    let server = TestServer::start(hello()).await.unwrap();
    for version in [[3u8, 1u8], [3, 0]] {
        let answer = exchange_raw(&server, &raw_client_hello(version, &[0xc013, 0x002f])).await;
        assert!(
            answer.len() >= 7 && answer[0] == 0x15,
            "{version:?}: expected an alert, got {answer:?}"
        );
        assert_eq!(answer[5], 2, "{version:?}: alert must be fatal");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn openssl_s_client_tls_versions_match_policy() {
    if std::process::Command::new("openssl")
        .arg("version")
        .output()
        .is_err()
    {
        eprintln!("openssl not installed: covered by the raw ClientHello tests instead");
        return;
    }
    let server = TestServer::start(hello()).await.unwrap();
    let connect = server.addr().to_string();
    let run = |flag: &'static str| {
        let connect = connect.clone();
        tokio::task::spawn_blocking(move || {
            let out = std::process::Command::new("openssl")
                .args([
                    "s_client",
                    flag,
                    "-connect",
                    &connect,
                    "-cipher",
                    "DEFAULT@SECLEVEL=0",
                ])
                .stdin(std::process::Stdio::null())
                .output()
                .unwrap();
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        })
    };
    let tls11 = run("-tls1_1").await.unwrap();
    assert!(
        tls11.contains("Cipher is (NONE)")
            // openssl's TLS 1.1 hello carries no signature_algorithms, so rustls may refuse it
            // with handshake_failure (40) before looking at the version (70): both are refusals.
            && (tls11.contains("alert number 70")
                || tls11.contains("alert number 40")
                || tls11.contains("no protocols available")),
        "TLS 1.1 must be refused:\n{tls11}"
    );
    let tls12 = run("-tls1_2").await.unwrap();
    assert!(tls12.contains("TLSv1.2"), "TLS 1.2 must succeed:\n{tls12}");
    assert!(
        tls12.contains("ECDHE") && tls12.contains("GCM") || tls12.contains("CHACHA20"),
        "{tls12}"
    );
    let tls13 = run("-tls1_3").await.unwrap();
    assert!(tls13.contains("TLSv1.3"), "TLS 1.3 must succeed:\n{tls13}");
    server.shutdown().await;
}

#[tokio::test]
async fn tls12_cbc_only_client_hello_refused() {
    let server = TestServer::start(hello()).await.unwrap();
    // TLS 1.2 hello offering only CBC, static-RSA, 3DES and RC4 suites.
    let suites = [
        0xc013, 0xc014, 0xc027, 0x002f, 0x0035, 0x003c, 0x000a, 0x0005,
    ];
    let answer = exchange_raw(&server, &raw_client_hello([3, 3], &suites)).await;
    assert!(
        answer.len() >= 7 && answer[0] == 0x15,
        "expected an alert, got {answer:?}"
    );
    assert_eq!(answer[5], 2, "alert must be fatal");
    server.shutdown().await;
}

#[test]
fn server_offers_only_ecdhe_aead_suites() {
    for suite in crypto_provider().cipher_suites.iter() {
        let name = format!("{:?}", suite.suite());
        assert!(
            name.starts_with("TLS13_") || name.starts_with("TLS_ECDHE_"),
            "non-ECDHE suite {name}"
        );
        assert!(
            name.contains("GCM") || name.contains("CHACHA20_POLY1305"),
            "non-AEAD suite {name}"
        );
    }
}

#[tokio::test]
async fn alpn_negotiates_http2() {
    let server = TestServer::start(hello()).await.unwrap();
    let res = server.client().get(server.url("/")).send().await.unwrap();
    assert_eq!(res.version(), reqwest::Version::HTTP_2);
    assert_eq!(res.text().await.unwrap(), "hello");
    server.shutdown().await;
}

#[tokio::test]
async fn client_rejects_certificate_from_unknown_ca() {
    let server = TestServer::start(hello()).await.unwrap();
    let other_ca = DevPem::generate(&["127.0.0.1"]).unwrap();
    let client = reqwest::Client::builder()
        .tls_backend_preconfigured(client_config(Some(other_ca.ca_cert.as_bytes())).unwrap())
        .build()
        .unwrap();
    let err = client.get(server.url("/")).send().await.unwrap_err();
    assert!(err.is_connect(), "{err:?}");
    server.shutdown().await;
}

#[tokio::test]
async fn client_without_extra_ca_trusts_nothing() {
    let server = TestServer::start(hello()).await.unwrap();
    let client = reqwest::Client::builder()
        .tls_backend_preconfigured(client_config(None).unwrap())
        .build()
        .unwrap();
    assert!(client.get(server.url("/")).send().await.is_err());
    server.shutdown().await;
}

#[tokio::test]
async fn client_rejects_wrong_san() {
    let pem = DevPem::generate(&["service.example"]).unwrap();
    let server = TestServer::start_with(
        hello(),
        pem.tls_config().unwrap(),
        pem.ca_cert.as_bytes(),
        ServeOptions::default(),
    )
    .await
    .unwrap();
    // Trusted CA, but the certificate is for `service.example`, not 127.0.0.1.
    let err = server
        .client()
        .get(server.url("/"))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_connect(), "{err:?}");
    server.shutdown().await;
}

/// A valid CA and a `127.0.0.1` server certificate it signed, valid from `not_before` to
/// `not_after` (so tests can mint expired and not-yet-valid certificates): (CA PEM, server TLS).
fn ca_and_leaf_valid(
    not_before: time::OffsetDateTime,
    not_after: time::OffsetDateTime,
) -> (String, TlsConfig) {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
        KeyPair, KeyUsagePurpose, SanType,
    };
    let now = time::OffsetDateTime::now_utc();
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::default();
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "validity test CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    ca_params.not_before = now - time::Duration::days(60);
    ca_params.not_after = now + time::Duration::days(60);
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, &ca_key);

    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::default();
    params
        .distinguished_name
        .push(DnType::CommonName, "127.0.0.1");
    params.subject_alt_names = vec![SanType::IpAddress([127, 0, 0, 1].into())];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.not_before = not_before;
    params.not_after = not_after;
    let cert = params.signed_by(&key, &issuer).unwrap();
    let chain = format!("{}{}", cert.pem(), ca_cert.pem());
    let tls = TlsConfig::from_pem(chain.as_bytes(), key.serialize_pem().as_bytes()).unwrap();
    (ca_cert.pem(), tls)
}

/// Serves with a certificate valid from `not_before` to `not_after` and returns the rustls error
/// our client configuration (trusting the issuing CA) fails the handshake with.
async fn client_handshake_error_for_validity(
    not_before: time::OffsetDateTime,
    not_after: time::OffsetDateTime,
) -> rustls::Error {
    let (ca_pem, tls) = ca_and_leaf_valid(not_before, not_after);
    let server = TestServer::start_with(hello(), tls, ca_pem.as_bytes(), ServeOptions::default())
        .await
        .unwrap();
    // The HTTP client the runtime builds from the same configuration refuses too.
    let err = server
        .client()
        .get(server.url("/"))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_connect(), "{err:?}");

    let config = client_config(Some(ca_pem.as_bytes())).unwrap();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = TcpStream::connect(server.addr()).await.unwrap();
    let err = connector
        .connect(ServerName::try_from("127.0.0.1").unwrap(), tcp)
        .await
        .expect_err("handshake must fail");
    server.shutdown().await;
    err.get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>())
        .cloned()
        .unwrap_or_else(|| panic!("expected a rustls error, got {err:?}"))
}

#[tokio::test]
async fn client_rejects_expired_certificate() {
    let now = time::OffsetDateTime::now_utc();
    let err = client_handshake_error_for_validity(
        now - time::Duration::days(30),
        now - time::Duration::days(1),
    )
    .await;
    assert!(
        matches!(
            err,
            rustls::Error::InvalidCertificate(
                rustls::CertificateError::Expired | rustls::CertificateError::ExpiredContext { .. }
            )
        ),
        "expected certificate expired, got {err:?}"
    );
}

#[tokio::test]
async fn client_rejects_not_yet_valid_certificate() {
    let now = time::OffsetDateTime::now_utc();
    let err = client_handshake_error_for_validity(
        now + time::Duration::days(1),
        now + time::Duration::days(30),
    )
    .await;
    assert!(
        matches!(
            err,
            rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidYet
                    | rustls::CertificateError::NotValidYetContext { .. }
            )
        ),
        "expected certificate not valid yet, got {err:?}"
    );
}

#[tokio::test]
async fn plaintext_http_on_tls_port_never_reaches_handler() {
    let hits = Arc::new(AtomicUsize::new(0));
    let h = Arc::clone(&hits);
    let app = Router::new().route(
        "/",
        get(move || {
            h.fetch_add(1, Ordering::SeqCst);
            async { "hello" }
        }),
    );
    let server = TestServer::start(app).await.unwrap();
    let answer = exchange_raw(
        &server,
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer abc\r\n\r\n",
    )
    .await;
    assert!(
        !answer.starts_with(b"HTTP/"),
        "plaintext must not get an HTTP answer"
    );
    assert_eq!(hits.load(Ordering::SeqCst), 0);
    server.shutdown().await;
}

#[tokio::test]
async fn stalled_handshake_is_closed_after_timeout() {
    let pem = shared_dev_pem().unwrap();
    let server = TestServer::start_with(
        hello(),
        pem.tls_config().unwrap(),
        pem.ca_cert.as_bytes(),
        ServeOptions::default().handshake_timeout(Duration::from_millis(200)),
    )
    .await
    .unwrap();
    let mut tcp = TcpStream::connect(server.addr()).await.unwrap();
    // Send nothing: the server must close the connection (EOF), well before the 30 s fail-safe.
    let mut buf = [0u8; 16];
    let n = tokio::time::timeout(Duration::from_secs(30), tcp.read(&mut buf))
        .await
        .expect("server kept a stalled handshake open")
        .unwrap_or(0);
    assert_eq!(n, 0);
    server.shutdown().await;
}

#[tokio::test]
async fn graceful_shutdown_lets_in_flight_request_finish() {
    let (entered_tx, entered_rx) = tokio::sync::oneshot::channel::<()>();
    let entered_tx = Arc::new(std::sync::Mutex::new(Some(entered_tx)));
    let (release_tx, release_rx) = tokio::sync::oneshot::channel::<()>();
    let release_rx = Arc::new(tokio::sync::Mutex::new(Some(release_rx)));
    let app = Router::new().route(
        "/slow",
        get(move || {
            let entered_tx = Arc::clone(&entered_tx);
            let release_rx = Arc::clone(&release_rx);
            async move {
                if let Some(tx) = entered_tx.lock().unwrap().take() {
                    let _ = tx.send(());
                }
                if let Some(rx) = release_rx.lock().await.take() {
                    let _ = rx.await;
                }
                "done"
            }
        }),
    );
    let server = TestServer::start(app).await.unwrap();
    let client = server.client();
    let url = server.url("/slow");
    let request = tokio::spawn(async move { client.get(url).send().await?.text().await });
    entered_rx.await.unwrap();
    let shutdown = tokio::spawn(server.shutdown());
    let _ = release_tx.send(());
    assert_eq!(request.await.unwrap().unwrap(), "done");
    shutdown.await.unwrap();
}

#[test]
fn pem_file_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.pem");
    let err = TlsConfig::from_pem_files(&missing, &missing).unwrap_err();
    assert!(matches!(err, TlsError::Read { .. }));
    assert!(err.to_string().contains("nope.pem"), "{err}");

    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a certificate").unwrap();
    let key = dir.path().join("key.pem");
    std::fs::write(&key, &shared_dev_pem().unwrap().key).unwrap();
    let err = TlsConfig::from_pem_files(&garbage, &key).unwrap_err();
    assert!(err.to_string().contains("garbage.pem"), "{err}");
    assert!(err.to_string().contains("BEGIN CERTIFICATE"), "{err}");

    let cert = dir.path().join("cert.pem");
    std::fs::write(&cert, &shared_dev_pem().unwrap().cert_chain).unwrap();
    let err = TlsConfig::from_pem_files(&cert, &garbage).unwrap_err();
    assert!(
        err.to_string().contains("garbage.pem") && err.to_string().contains("private key"),
        "{err}"
    );
}

#[test]
fn mismatched_key_and_certificate_rejected() {
    let a = DevPem::generate(&["localhost"]).unwrap();
    let b = DevPem::generate(&["localhost"]).unwrap();
    let err = TlsConfig::from_pem(a.cert_chain.as_bytes(), b.key.as_bytes()).unwrap_err();
    assert!(matches!(err, TlsError::Rustls { .. }), "{err}");
}

#[test]
fn dev_certificates_reused_when_valid_and_regenerated_for_new_hosts() {
    let dir = tempfile::tempdir().unwrap();
    let first = DevCertificates::ensure(dir.path(), &["localhost", "127.0.0.1"]).unwrap();
    let ca1 = first.ca_pem_bytes().unwrap();
    let again = DevCertificates::ensure(dir.path(), &["localhost", "127.0.0.1"]).unwrap();
    assert_eq!(
        again.ca_pem_bytes().unwrap(),
        ca1,
        "valid files must be reused"
    );
    first.tls_config().unwrap();
    let other = DevCertificates::ensure(dir.path(), &["localhost", "api.example"]).unwrap();
    assert_ne!(
        other.ca_pem_bytes().unwrap(),
        ca1,
        "new host requires a new certificate"
    );
    std::fs::write(&other.cert_pem, "corrupt").unwrap();
    let fixed = DevCertificates::ensure(dir.path(), &["localhost", "api.example"]).unwrap();
    fixed.tls_config().unwrap();
}

#[tokio::test]
async fn dev_certificates_serve_and_verify_over_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let certs = DevCertificates::ensure(dir.path(), &["localhost", "127.0.0.1"]).unwrap();
    let server = TestServer::start_with(
        hello(),
        certs.tls_config().unwrap(),
        &certs.ca_pem_bytes().unwrap(),
        ServeOptions::default(),
    )
    .await
    .unwrap();
    let res = server.client().get(server.url("/")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    server.shutdown().await;
}

/// A router that counts how often its handler runs.
fn counting() -> (Router, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let h = Arc::clone(&hits);
    let app = Router::new().route(
        "/",
        get(move || {
            h.fetch_add(1, Ordering::SeqCst);
            async { "hello" }
        }),
    );
    (app, hits)
}

/// TL-07: an HTTP/1.1 request with more headers than `ServeOptions::max_headers` (100) is refused
/// by hyper before any handler runs.
#[tokio::test]
async fn http1_header_count_flood_is_refused_before_the_handler() {
    let (app, hits) = counting();
    let server = TestServer::start(app).await.unwrap();
    let mut tls = client_config(Some(server.ca_pem())).unwrap();
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    let client = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .http1_only()
        .build()
        .unwrap();
    let mut request = client.get(server.url("/"));
    for i in 0..150 {
        request = request.header(format!("x-flood-{i}"), "1");
    }
    match request.send().await {
        Ok(response) => assert_eq!(
            response.status(),
            reqwest::StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
        ),
        Err(error) => assert!(!error.is_timeout(), "refused, not stalled: {error}"),
    }
    assert_eq!(hits.load(Ordering::SeqCst), 0);
    // The same client with a normal request still gets through.
    let ok = client.get(server.url("/")).send().await.unwrap();
    assert_eq!(ok.status(), reqwest::StatusCode::OK);
    server.shutdown().await;
}

/// TL-07: an HTTP/2 header list larger than `ServeOptions::max_header_list_size` (16 KiB) is
/// refused before any handler runs.
#[tokio::test]
async fn http2_oversized_header_list_is_refused_before_the_handler() {
    let (app, hits) = counting();
    let server = TestServer::start(app).await.unwrap();
    let client = reqwest::Client::builder()
        .tls_backend_preconfigured(client_config(Some(server.ca_pem())).unwrap())
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let huge = "a".repeat(32 * 1024);
    match client
        .get(server.url("/"))
        .header("x-flood", huge)
        .send()
        .await
    {
        Ok(response) => {
            assert_eq!(response.version(), reqwest::Version::HTTP_2);
            assert_eq!(
                response.status(),
                reqwest::StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
            );
        }
        Err(error) => assert!(!error.is_timeout(), "refused, not stalled: {error}"),
    }
    assert_eq!(hits.load(Ordering::SeqCst), 0);
    server.shutdown().await;
}

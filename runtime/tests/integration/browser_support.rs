//! The real-browser harness shared by the browser tests (`browser_consent`, `lti_browser`):
//! Debian's `chromium`, headless, driven through WebDriver (`fantoccini` over a `chromedriver`
//! started on a free loopback port), with a fresh profile per session.
//!
//! TLS: the browser trusts only the test servers' key, by its SPKI hash
//! (`--ignore-certificate-errors-spki-list`, honoured with a fresh `--user-data-dir`), not every
//! certificate. Without `chromium` and `chromedriver` the tests fail and name the install
//! command.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use fantoccini::{Client, ClientBuilder};
use ims_runtime::tls::testing::shared_dev_pem;
use serde_json::{Value, json};
use sha2::Digest;

pub const INSTALL: &str = "apt-get install chromium chromium-driver";

/// A program on `PATH` (or in `/usr/bin`), or a failure naming the install command.
pub fn program(names: &[&str]) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs = std::env::split_paths(&path).chain([PathBuf::from("/usr/bin")]);
    for dir in dirs {
        for name in names {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    panic!(
        "{} not found: the browser tests need Debian's Chromium and its WebDriver. \
         Run `{INSTALL}` (as root)",
        names.join(" / ")
    );
}

pub fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `chromedriver`, killed when dropped.
pub struct Driver {
    child: Child,
    pub url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `chromedriver` on a free port and waits until it answers `/status`.
pub async fn start_driver() -> Driver {
    let exe = program(&["chromedriver"]);
    let port = free_port();
    let child = Command::new(&exe)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}; run `{INSTALL}`", exe.display()));
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    // A readiness wait, not a timing assertion: a cold start on a busy machine can be slow.
    let http = reqwest::Client::new();
    for _ in 0..300 {
        if let Ok(r) = http.get(format!("{}/status", driver.url)).send().await
            && r.status().is_success()
        {
            return driver;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not answer on {}", driver.url);
}

/// The SPKI hash Chromium's `--ignore-certificate-errors-spki-list` takes: base64(SHA-256 of
/// the test certificate's SubjectPublicKeyInfo).
pub fn test_key_spki_hash() -> String {
    use rcgen::PublicKeyData;
    let pem = shared_dev_pem().unwrap();
    let key = rcgen::KeyPair::from_pem(&pem.key).unwrap();
    STANDARD.encode(sha2::Sha256::digest(key.subject_public_key_info()))
}

/// A headless Chromium session with a fresh profile (dropped with the returned guard).
pub async fn browser(driver: &Driver) -> (Client, tempfile::TempDir) {
    browser_with(driver, "900,760", json!({})).await
}

/// [`browser`] with a window size (`"W,H"`) and profile preferences (`goog:chromeOptions`
/// `prefs`, e.g. `{"profile.cookie_controls_mode": 1}` to block third-party cookies).
pub async fn browser_with(
    driver: &Driver,
    window_size: &str,
    prefs: Value,
) -> (Client, tempfile::TempDir) {
    let chromium = program(&["chromium", "chromium-browser"]);
    let profile = tempfile::tempdir().unwrap();
    let args = vec![
        "--headless=new".to_owned(),
        "--no-sandbox".to_owned(),
        "--disable-gpu".to_owned(),
        "--disable-dev-shm-usage".to_owned(),
        "--disable-background-networking".to_owned(),
        "--disable-component-update".to_owned(),
        "--no-first-run".to_owned(),
        "--disable-quic".to_owned(),
        "--disable-sync".to_owned(),
        format!("--window-size={window_size}"),
        format!("--user-data-dir={}", profile.path().display()),
        format!(
            "--ignore-certificate-errors-spki-list={}",
            test_key_spki_hash()
        ),
    ];
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({ "binary": chromium, "args": args, "prefs": prefs }),
    );
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .unwrap_or_else(|e| panic!("cannot start a Chromium session: {e}; run `{INSTALL}`"));
    (client, profile)
}

/// The target directory (`…/target/debug/deps/integration-…` → `…/target`).
pub fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    let exe = std::env::current_exe().unwrap();
    exe.ancestors().nth(3).map(Path::to_path_buf).unwrap()
}

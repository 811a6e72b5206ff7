//! The real-browser harness of the browser tests (feature `browser`): Debian's `chromium`,
//! headless, driven through WebDriver (`fantoccini` over a `chromedriver` started on a free
//! loopback port), with a fresh profile per session.
//!
//! TLS: a session trusts only the keys its test names, by their SPKI hash
//! (`--ignore-certificate-errors-spki-list`, honoured with a fresh `--user-data-dir`), not every
//! certificate. Without `chromium` or `chromedriver` the test fails naming [`INSTALL_COMMAND`].

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use fantoccini::{Client, ClientBuilder};
use serde_json::{Value, json};
use sha2::Digest;

use crate::Missing;

/// The WebDriver client the sessions are, re-exported so that the tests drive them with the
/// same version (`Locator`, `error::CmdError`, …) without a dependency of their own.
pub use fantoccini;

/// The command that installs Chromium and its WebDriver on Debian.
pub const INSTALL_COMMAND: &str = "apt-get install chromium chromium-driver";

/// The Chromium flags every session starts with, before the window size, the fresh
/// `--user-data-dir` and the trusted keys: headless, no sandbox (tests run as root in
/// containers), and nothing that calls out to Google's services while the test runs.
pub const CHROMIUM_FLAGS: [&str; 9] = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
];

/// The first of `names` found on `PATH` (or in `/usr/bin`), or why none is there.
pub fn locate_program(names: &[&str]) -> Result<PathBuf, Missing> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs = std::env::split_paths(&path).chain([PathBuf::from("/usr/bin")]);
    for dir in dirs {
        for name in names {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    Err(Missing {
        what: format!(
            "{}: the browser tests need Debian's Chromium and its WebDriver, found on neither \
             PATH nor /usr/bin",
            names.join(" / ")
        ),
        fix: format!("run `{INSTALL_COMMAND}` (as root)"),
    })
}

/// The first of `names` found on `PATH` (or in `/usr/bin`); fails the test naming
/// [`INSTALL_COMMAND`] otherwise.
#[track_caller]
pub fn program(names: &[&str]) -> PathBuf {
    match locate_program(names) {
        Ok(found) => found,
        // Not a closure: `#[track_caller]` then names the test's line.
        Err(missing) => missing.fail(),
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free loopback port for chromedriver: {e}"))
}

/// A running `chromedriver`, killed when dropped.
#[derive(Debug)]
pub struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    /// Its WebDriver address, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // Cleanup: the process may already be gone.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `chromedriver` on a free loopback port and waits until it answers `/status`.
pub async fn start_driver() -> Driver {
    let exe = program(&["chromedriver"]);
    let port = free_port();
    let child = Command::new(&exe)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start {}: {e}; run `{INSTALL_COMMAND}`",
                exe.display()
            )
        });
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
/// the SubjectPublicKeyInfo) of the private key in `key_pem` (PKCS#8 PEM, as a test server's
/// `key.pem`).
pub fn spki_hash(key_pem: &str) -> String {
    use rcgen::PublicKeyData;
    let key = rcgen::KeyPair::from_pem(key_pem)
        .unwrap_or_else(|e| panic!("a test server's key is not a PEM private key: {e}"));
    STANDARD.encode(sha2::Sha256::digest(key.subject_public_key_info()))
}

/// Whether a session's profile lets a framed site on another site read its cookies
/// (Chromium's `CookieControlsMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThirdPartyCookies {
    /// The profile's defaults (no cookie preference set).
    Default,
    /// `kBlockThirdParty`: the setting the LTI platform-storage tests exist for.
    Blocked,
    /// `kOff`: the control run.
    Allowed,
}

impl ThirdPartyCookies {
    /// The `goog:chromeOptions` `prefs` of this setting.
    pub fn prefs(self) -> Value {
        match self {
            Self::Default => json!({}),
            Self::Blocked => {
                json!({ "profile": { "cookie_controls_mode": 1, "block_third_party_cookies": true } })
            }
            Self::Allowed => {
                json!({ "profile": { "cookie_controls_mode": 0, "block_third_party_cookies": false } })
            }
        }
    }
}

/// How to start a headless Chromium session: window size, cookie setting and the keys it
/// trusts.
#[derive(Debug, Clone)]
pub struct Chromium {
    window_size: String,
    third_party_cookies: ThirdPartyCookies,
    trusted_spki: Vec<String>,
}

impl Chromium {
    /// A session with a `width` × `height` window, the profile's default cookie setting and no
    /// trusted test key (add them with [`Chromium::trusting_key_pem`]).
    pub fn new(width: u32, height: u32) -> Self {
        Self {
            window_size: format!("{width},{height}"),
            third_party_cookies: ThirdPartyCookies::Default,
            trusted_spki: Vec::new(),
        }
    }

    /// Sets whether third-party cookies reach framed sites.
    pub fn third_party_cookies(mut self, setting: ThirdPartyCookies) -> Self {
        self.third_party_cookies = setting;
        self
    }

    /// Trusts the certificates of the private key in `key_pem` (see [`spki_hash`]).
    pub fn trusting_key_pem(mut self, key_pem: &str) -> Self {
        self.trusted_spki.push(spki_hash(key_pem));
        self
    }

    /// The command-line arguments of a session whose profile is `profile`.
    pub fn args(&self, profile: &Path) -> Vec<String> {
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|f| (*f).to_owned()).collect();
        args.push(format!("--window-size={}", self.window_size));
        args.push(format!("--user-data-dir={}", profile.display()));
        if !self.trusted_spki.is_empty() {
            args.push(format!(
                "--ignore-certificate-errors-spki-list={}",
                self.trusted_spki.join(",")
            ));
        }
        args
    }

    /// Starts the session on `driver` with a fresh profile, deleted when the returned guard
    /// drops.
    pub async fn start(&self, driver: &Driver) -> (Client, tempfile::TempDir) {
        let chromium = program(&["chromium", "chromium-browser"]);
        let profile = tempfile::tempdir()
            .unwrap_or_else(|e| panic!("cannot create a Chromium profile folder: {e}"));
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium,
                "args": self.args(profile.path()),
                "prefs": self.third_party_cookies.prefs(),
            }),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&driver.url)
            .await
            .unwrap_or_else(|e| {
                panic!("cannot start a Chromium session: {e}; run `{INSTALL_COMMAND}`")
            });
        (client, profile)
    }
}

/// The target directory of the running test binary (`CARGO_TARGET_DIR`, else
/// `…/target/debug/deps/integration-…` → `…/target`), where screenshots go.
pub fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    let exe = std::env::current_exe()
        .unwrap_or_else(|e| panic!("cannot tell where the test binary is: {e}"));
    match exe.ancestors().nth(3) {
        Some(dir) => dir.to_path_buf(),
        None => panic!(
            "the test binary {} is not in <target>/<profile>/deps/",
            exe.display()
        ),
    }
}

/// Checks that `png` is a PNG and writes it to `<target dir>/<name>`; returns that path.
pub fn save_screenshot(png: &[u8], name: &str) -> PathBuf {
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    let shot = target_dir().join(name);
    std::fs::write(&shot, png)
        .unwrap_or_else(|e| panic!("cannot write the screenshot {}: {e}", shot.display()));
    eprintln!("screenshot: {}", shot.display());
    shot
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_program_names_the_install_command() {
        let missing = locate_program(&["no-such-chromium-for-ims-tests"])
            .expect_err("the program does not exist");
        assert!(missing.to_string().contains(INSTALL_COMMAND), "{missing}");
    }

    #[test]
    fn a_session_is_headless_with_its_own_profile_and_trusts_only_the_named_keys() {
        let profile = Path::new("/tmp/profile-x");
        let plain = Chromium::new(900, 760).args(profile);
        for flag in CHROMIUM_FLAGS {
            assert!(plain.iter().any(|a| a == flag), "{flag} not in {plain:?}");
        }
        assert!(plain.contains(&"--window-size=900,760".to_owned()));
        assert!(plain.contains(&"--user-data-dir=/tmp/profile-x".to_owned()));
        assert!(
            !plain
                .iter()
                .any(|a| a.starts_with("--ignore-certificate-errors")),
            "{plain:?}"
        );

        let key = rcgen::KeyPair::generate().expect("a key");
        let trusting = Chromium::new(900, 760)
            .trusting_key_pem(&key.serialize_pem())
            .args(profile);
        let spki = format!(
            "--ignore-certificate-errors-spki-list={}",
            spki_hash(&key.serialize_pem())
        );
        assert!(trusting.contains(&spki), "{trusting:?}");
    }

    #[test]
    fn blocked_third_party_cookies_set_chromiums_block_mode() {
        assert_eq!(
            ThirdPartyCookies::Blocked.prefs()["profile"]["cookie_controls_mode"],
            1
        );
        assert_eq!(
            ThirdPartyCookies::Allowed.prefs()["profile"]["cookie_controls_mode"],
            0
        );
    }
}

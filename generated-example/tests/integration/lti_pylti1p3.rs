//! An outside LTI 1.3 tool, pylti1p3 (PyPI), launched by the demo platform (issue 10,
//! acceptance 3): `scripts/lti_pylti1p3_peer.py setup` makes the tool's key pair and writes it
//! into `D/tools.json` (inline `jwks`); `lti-demo platform --addr 127.0.0.1:P --data-dir D` then
//! starts with it registered, exactly as the command line; `scripts/lti_pylti1p3_peer.py
//! run` signs in as the instructor, starts the launch, feeds the login initiation to pylti1p3's
//! `OIDCLogin`, follows it to our authorization endpoint, has pylti1p3's `MessageLaunch` validate
//! our `id_token`, lists members through NRPS, posts a learner's score through AGS with a token
//! got by pylti1p3's own client assertion, and checks the platform reports the score.
//!
//! Needs Python with scripts/python-requirements.txt: `IMS_PYTHON` (set by `scripts/test.sh`), else
//! the workspace's `.venv/bin/python`, else `python3`. Without pylti1p3 the test FAILS, naming the
//! command that installs it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_lti-demo");

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn python() -> String {
    if let Ok(python) = std::env::var("IMS_PYTHON") {
        return python;
    }
    let venv = workspace().join(".venv/bin/python");
    if venv.exists() {
        return venv.display().to_string();
    }
    "python3".into()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `lti-demo platform`, killed when dropped (a failed test leaves no process behind).
struct Platform(Child);

impl Drop for Platform {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_platform(dir: &Path, port: u16) -> Platform {
    let mut platform = Platform(
        Command::new(BIN)
            .args([
                "platform",
                "--addr",
                &format!("127.0.0.1:{port}"),
                "--data-dir",
            ])
            .arg(dir)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = platform.0.try_wait().unwrap() {
            panic!("lti-demo platform exited early: {status}");
        }
        // The platform writes registrations.json before its port opens.
        if dir.join("registrations.json").exists()
            && TcpStream::connect(("127.0.0.1", port)).is_ok()
        {
            return platform;
        }
        assert!(
            Instant::now() < deadline,
            "lti-demo platform did not start listening"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn peer(python: &str, args: &[&str]) {
    let script = workspace().join("scripts/lti_pylti1p3_peer.py");
    let output = Command::new(python)
        .arg(&script)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{} {}: {}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        script.display(),
        args.join(" "),
        output.status
    );
    print!("{stdout}");
}

#[test]
fn pylti1p3_is_launched_by_our_platform_validates_the_id_token_and_posts_a_score_it_reports() {
    let python = python();
    let available = Command::new(&python)
        .args(["-c", "import pylti1p3, requests, cryptography"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        available,
        "`{python}` cannot import pylti1p3: run `python3 -m venv .venv && .venv/bin/python -m pip \
         install -r scripts/python-requirements.txt` at the workspace root (scripts/test.sh then uses \
         .venv/), or set IMS_PYTHON to a Python that has scripts/python-requirements.txt installed"
    );
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    peer(&python, &["setup", "--data-dir", data]);

    let port = free_port();
    let _platform = start_platform(dir.path(), port);
    peer(
        &python,
        &[
            "run",
            "--platform",
            &format!("https://127.0.0.1:{port}"),
            "--data-dir",
            data,
        ],
    );
}

//! The `oneroster-demo` binary: `serve` until SIGTERM/SIGINT (exit 0), `client` against it, and
//! usage errors (exit 2).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_oneroster-demo");

/// A port that was free a moment ago.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn serve(dir: &Path, port: u16) -> Child {
    Command::new(BIN)
        .args([
            "serve",
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

/// Waits until the server accepts connections and has written `clients.json`.
fn wait_listening(child: &mut Child, dir: &Path, port: u16) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("server exited early: {status}");
        }
        if dir.join("clients.json").exists() && TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        assert!(Instant::now() < deadline, "server did not start listening");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Sends `signal` and expects a clean exit within a few seconds.
#[cfg(unix)]
fn stop_with(child: &mut Child, signal: &str) {
    let ok = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "{signal}: exit status {status}");
            return;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("no exit within 10 s of {signal}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn client(dir: &Path, port: u16, kind: &str) -> Output {
    Command::new(BIN)
        .args([
            "client",
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--client",
            kind,
            "--data-dir",
        ])
        .arg(dir)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

#[cfg(unix)]
#[test]
fn serve_client_and_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = serve(dir.path(), port);
    wait_listening(&mut server, dir.path(), port);

    for kind in ["full", "core"] {
        let out = client(dir.path(), port, kind);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{kind}: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // e.g. "users: 1218 (1218 distinct) in 13 pages of up to 100"
        let line = stdout.lines().find(|l| l.starts_with("users: ")).unwrap();
        let words: Vec<&str> = line.split_whitespace().collect();
        let users: usize = words[1].parse().unwrap();
        assert!(users >= 1_000, "{line}");
        assert_eq!(words[2], format!("({users}"), "{line}");
        assert_eq!(words[5], users.div_ceil(100).to_string(), "{line}");
        assert!(stdout.contains("student "), "{stdout}");
    }

    stop_with(&mut server, "-TERM");
}

#[cfg(unix)]
#[test]
fn sigint_stops_cleanly_and_restart_works() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = serve(dir.path(), port);
    wait_listening(&mut server, dir.path(), port);
    let clients = std::fs::read(dir.path().join("clients.json")).unwrap();
    stop_with(&mut server, "-INT");

    let mut again = serve(dir.path(), port);
    wait_listening(&mut again, dir.path(), port);
    assert_eq!(
        std::fs::read(dir.path().join("clients.json")).unwrap(),
        clients
    );
    assert!(client(dir.path(), port, "core").status.success());
    stop_with(&mut again, "-TERM");
}

#[test]
fn usage_errors_exit_with_2() {
    for args in [
        &["serve"][..],
        &["client", "--data-dir", "x", "--client", "admin"],
        &["serve", "--data-dir", "x", "--addr", "not-an-address"],
        &[
            "serve",
            "--data-dir",
            "x",
            "--public-url",
            "http://lb.example.edu",
        ],
        &[
            "serve",
            "--data-dir",
            "x",
            "--public-url",
            "https://lb.example.edu/or",
        ],
        &["migrate"],
        &["frobnicate"],
    ] {
        let out = Command::new(BIN).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!out.stderr.is_empty());
    }
}

#[test]
fn a_bad_public_url_says_what_to_give() {
    let out = Command::new(BIN)
        .args([
            "serve",
            "--data-dir",
            "x",
            "--public-url",
            "https://lb.example.edu/oneroster?x=1",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("must not have a path"), "{stderr}");
    assert!(stderr.contains("e.g. `https://lb.example.edu`"), "{stderr}");
}

#[test]
fn migrate_creates_an_sqlite_store_and_is_repeatable() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("authz.sqlite");
    let url = format!("sqlite://{}", db.display());
    for _ in 0..2 {
        let out = Command::new(BIN)
            .args(["migrate", "--database", &url])
            .env("RUST_LOG", "warn")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("sqlite://"));
        assert!(db.exists());
    }
    let out = Command::new(BIN)
        .args(["migrate", "--database", "mysql://db.example.edu/authz"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("mysql://"));
}

#[test]
fn store_urls_are_shown_without_their_password() {
    use ims_generated_example::demo::app::redact_database_url;
    assert_eq!(
        redact_database_url("postgres://ims:hunter2@db.example.edu:5432/ims"),
        "postgres://ims:***@db.example.edu:5432/ims"
    );
    assert_eq!(
        redact_database_url("postgres://ims@127.0.0.1/ims"),
        "postgres://ims@127.0.0.1/ims"
    );
    assert_eq!(
        redact_database_url("sqlite:///var/lib/demo/authz.sqlite"),
        "sqlite:///var/lib/demo/authz.sqlite"
    );
}

//! The `badges-demo` binary with the exact command lines of issue 9: `host --addr --data-dir`
//! (writes `ca.pem` and `users.json`, stops with exit 0 on SIGTERM and SIGINT, restarts on the
//! same directory), `consumer --discovery --ca --data-dir --login` twice (the second without a
//! login) and `consumer --logout`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_badges-demo");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn host(dir: &Path, port: u16) -> Child {
    let mut child = Command::new(BIN)
        .args(["host", "--addr", &format!("127.0.0.1:{port}"), "--data-dir"])
        .arg(dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("host exited early: {status}");
        }
        if dir.join("users.json").exists() && TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return child;
        }
        assert!(Instant::now() < deadline, "host did not start listening");
        std::thread::sleep(Duration::from_millis(50));
    }
}

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

fn consumer(port: u16, host_dir: &Path, dir: &Path, extra: &[&str]) -> Output {
    Command::new(BIN)
        .args([
            "consumer",
            "--discovery",
            &format!("https://127.0.0.1:{port}/ims/ob/v3p0/discovery"),
            "--ca",
        ])
        .arg(host_dir.join("ca.pem"))
        .arg("--data-dir")
        .arg(dir)
        .args(extra)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    assert!(
        o.status.success(),
        "consumer failed: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[cfg(unix)]
#[test]
fn host_and_consumer_command_lines_work_and_signals_exit_0() {
    let host_dir = tempfile::tempdir().unwrap();
    let consumer_dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = host(host_dir.path(), port);

    let users: Value =
        serde_json::from_slice(&std::fs::read(host_dir.path().join("users.json")).unwrap())
            .unwrap();
    let users = users.as_object().unwrap();
    assert!(users.len() >= 2, "{users:?}");
    for (_, u) in users {
        assert!(u["password"].is_string() && u["sub"].is_string(), "{u}");
    }
    let (name, user) = users.iter().next().unwrap();
    let login = format!("{name}:{}", user["password"].as_str().unwrap());

    let first = stdout(&consumer(
        port,
        host_dir.path(),
        consumer_dir.path(),
        &["--login", &login],
    ));
    assert!(
        first.contains("registered now") && first.contains("logged in now"),
        "{first}"
    );
    assert!(
        first.contains("1 JSON + 1 compact JWS in 2 pages (X-Total-Count 2)"),
        "{first}"
    );
    assert!(first.contains("refreshed: yes"), "{first}");
    stop_with(&mut child, "-TERM");

    // Restart on the same directory: the second run needs no login (stdin is closed).
    let mut child = host(host_dir.path(), port);
    let second = stdout(&consumer(port, host_dir.path(), consumer_dir.path(), &[]));
    assert!(
        second.contains("stored registration") && second.contains("stored tokens"),
        "{second}"
    );
    assert!(second.contains("1 JSON + 1 compact JWS"), "{second}");
    let out = stdout(&consumer(
        port,
        host_dir.path(),
        consumer_dir.path(),
        &["--logout"],
    ));
    assert!(out.contains("logout: tokens revoked"), "{out}");
    stop_with(&mut child, "-INT");
}

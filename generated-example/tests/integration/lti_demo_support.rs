//! What the LTI demo's end-to-end tests share: starting and stopping the `lti-demo` binary as
//! outside testers do (exact command lines of issue 10), and a minimal browser over real TLS
//! that keeps cookies per origin, follows redirects and submits auto-submitting forms (the
//! demo's pages need no JavaScript).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_lti-demo");

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `lti-demo` process.
pub struct Demo {
    pub child: Child,
    pub port: u16,
    pub dir: PathBuf,
}

impl Demo {
    /// `lti-demo <command> --addr 127.0.0.1:PORT --data-dir DIR [extra…]`, once `ready` (a file
    /// of the data directory) exists and the port accepts connections.
    pub fn start(command: &str, dir: &Path, port: u16, ready: &str, extra: &[&str]) -> Self {
        let mut child = Command::new(BIN)
            .args([
                command,
                "--addr",
                &format!("127.0.0.1:{port}"),
                "--data-dir",
            ])
            .arg(dir)
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                panic!("lti-demo {command} exited early: {status}");
            }
            if dir.join(ready).exists() && TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Self {
                    child,
                    port,
                    dir: dir.to_path_buf(),
                };
            }
            assert!(
                Instant::now() < deadline,
                "lti-demo {command} did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn platform(dir: &Path, port: u16, tool_ca: Option<&Path>) -> Self {
        let ca = tool_ca.map(|p| p.display().to_string());
        let extra: Vec<&str> = ca.iter().flat_map(|c| ["--ca", c.as_str()]).collect();
        Self::start("platform", dir, port, "registrations.json", &extra)
    }

    pub fn tool(dir: &Path, port: u16, platform_ca: &Path) -> Self {
        let ca = platform_ca.display().to_string();
        Self::start("tool", dir, port, "tool.json", &["--ca", &ca])
    }

    pub fn origin(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    pub fn json(&self, file: &str) -> Value {
        serde_json::from_slice(&std::fs::read(self.dir.join(file)).unwrap()).unwrap()
    }

    /// Sends `signal` (`-TERM`, `-INT`) and expects exit status 0 within 10 s.
    pub fn stop(mut self, signal: &str) {
        let ok = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "{signal}: exit status {status}");
                return;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("no exit within 10 s of {signal}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        // A failed test must not leave the process running.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The page a navigation ended on.
#[derive(Debug)]
pub struct Page {
    pub url: String,
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: String,
}

/// Cookies per origin, redirects followed by hand, auto-submitting forms submitted.
pub struct Browser {
    http: reqwest::Client,
    cookies: BTreeMap<String, BTreeMap<String, String>>,
    /// Every `Set-Cookie` header received, with the origin that sent it.
    pub set_cookies: Vec<(String, String)>,
}

fn origin_of(url: &str) -> String {
    url::Url::parse(url)
        .unwrap_or_else(|e| panic!("{url}: {e}"))
        .origin()
        .ascii_serialization()
}

/// Decodes the entities askama's HTML escaper writes.
pub fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// A form: its action, method and fields (name, value) in order.
pub type Form = (String, String, Vec<(String, String)>);

/// The value of attribute `name` inside one tag's text.
pub fn attribute(tag: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let end = tag[start..].find('"')? + start;
    Some(unescape(&tag[start..end]))
}

/// The `<form>` starting at byte `from` of `html`: its action, method and inputs (name, value).
pub fn form_at(html: &str, from: usize) -> Form {
    let tag_end = html[from..].find('>').unwrap() + from;
    let tag = &html[from..tag_end];
    let action = attribute(tag, "action").unwrap_or_default();
    let method = attribute(tag, "method").unwrap_or_else(|| "get".into());
    let close = html[from..]
        .find("</form>")
        .map_or(html.len(), |i| i + from);
    let mut fields = Vec::new();
    let mut rest = &html[tag_end..close];
    while let Some(i) = rest.find("<input") {
        let end = rest[i..].find('>').unwrap() + i;
        let input = &rest[i..end];
        if let Some(name) = attribute(input, "name") {
            fields.push((name, attribute(input, "value").unwrap_or_default()));
        }
        rest = &rest[end..];
    }
    (action, method, fields)
}

/// The first form whose opening tag contains `marker`.
pub fn form_with(html: &str, marker: &str) -> Option<Form> {
    let mut at = 0;
    while let Some(i) = html[at..].find("<form") {
        let start = at + i;
        let tag_end = html[start..].find('>').unwrap() + start;
        if html[start..tag_end].contains(marker) {
            return Some(form_at(html, start));
        }
        at = tag_end;
    }
    None
}

impl Browser {
    pub fn new(ca_pems: &[&Path]) -> Self {
        let mut bundle = Vec::new();
        for p in ca_pems {
            bundle.extend(std::fs::read(p).unwrap());
            bundle.push(b'\n');
        }
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(ims_runtime::tls::client_config(Some(&bundle)).unwrap())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            http,
            cookies: BTreeMap::new(),
            set_cookies: Vec::new(),
        }
    }

    fn cookie_header(&self, url: &str) -> Option<String> {
        let jar = self.cookies.get(&origin_of(url))?;
        (!jar.is_empty()).then(|| {
            jar.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }

    /// One request, no redirect followed.
    pub async fn send(
        &mut self,
        method: Method,
        url: &str,
        form: Option<&[(String, String)]>,
    ) -> Page {
        let mut request = self.http.request(method, url);
        if let Some(cookie) = self.cookie_header(url) {
            request = request.header("cookie", cookie);
        }
        if let Some(form) = form {
            request = request.form(form);
        }
        let response = request.send().await.unwrap();
        let origin = origin_of(url);
        for value in response.headers().get_all("set-cookie") {
            let text = value.to_str().unwrap().to_owned();
            self.set_cookies.push((origin.clone(), text.clone()));
            let pair = text.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            let jar = self.cookies.entry(origin.clone()).or_default();
            if value.is_empty() || text.contains("Max-Age=0") {
                jar.remove(name);
            } else {
                jar.insert(name.to_owned(), value.to_owned());
            }
        }
        let status = response.status();
        let location = response.headers().get("location").map(|l| {
            url::Url::parse(url)
                .unwrap()
                .join(l.to_str().unwrap())
                .unwrap()
                .to_string()
        });
        let body = response.text().await.unwrap();
        Page {
            url: url.to_owned(),
            status,
            location,
            body,
        }
    }

    /// Sends, then follows redirects and auto-submitting forms (`id="lti-auto-submit"`) until
    /// a page that is neither.
    pub async fn go(
        &mut self,
        method: Method,
        url: &str,
        form: Option<&[(String, String)]>,
    ) -> Page {
        let mut page = self.send(method, url, form).await;
        for _ in 0..20 {
            if page.status.is_redirection() {
                let next = page.location.clone().unwrap();
                page = self.send(Method::GET, &next, None).await;
            } else if page.status == StatusCode::OK
                && let Some((action, _, fields)) = form_with(&page.body, "lti-auto-submit")
            {
                let action = url::Url::parse(&page.url)
                    .unwrap()
                    .join(&action)
                    .unwrap()
                    .to_string();
                page = self.send(Method::POST, &action, Some(&fields)).await;
            } else {
                return page;
            }
        }
        panic!("more than 20 hops from {url}");
    }

    pub async fn get(&mut self, url: &str) -> Page {
        self.go(Method::GET, url, None).await
    }

    /// Submits the form whose opening tag contains `marker` on `page`, with `set` overriding
    /// or adding fields.
    pub async fn submit(&mut self, page: &Page, marker: &str, set: &[(&str, &str)]) -> Page {
        let (action, method, mut fields) = form_with(&page.body, marker)
            .unwrap_or_else(|| panic!("no form with {marker} on {}: {}", page.url, page.body));
        for (k, v) in set {
            match fields.iter_mut().find(|(name, _)| name == k) {
                Some(f) => f.1 = (*v).to_owned(),
                None => fields.push(((*k).to_owned(), (*v).to_owned())),
            }
        }
        let action = url::Url::parse(&page.url)
            .unwrap()
            .join(&action)
            .unwrap()
            .to_string();
        let method = if method.eq_ignore_ascii_case("post") {
            Method::POST
        } else {
            Method::GET
        };
        self.go(method, &action, Some(&fields)).await
    }

    /// Signs in to the platform at `origin` as `user` (password from `users.json`).
    pub async fn sign_in(&mut self, platform: &Demo, user: &str) -> Page {
        let users = platform.json("users.json");
        let password = users[user]["password"].as_str().unwrap().to_owned();
        let login = self.get(&format!("{}/login", platform.origin())).await;
        assert_eq!(login.status, StatusCode::OK);
        self.submit(
            &login,
            "action=\"/login\"",
            &[("username", user), ("password", &password)],
        )
        .await
    }
}

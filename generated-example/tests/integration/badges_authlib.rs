//! An outside peer against the running badges host: Python Authlib's `OAuth2Session` with PKCE
//! (S256) completes dynamic registration (through `requests`), authorization (the HTML login
//! form, posted as a browser would), the code exchange, an API call, a refresh and revocation,
//! trusting only the host's development CA.
//!
//! Needs Python with `authlib` and `requests`: `IMS_PYTHON` (set by `scripts/test.sh`) or
//! `python3`. Without them the test FAILS, naming the command that fixes it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use serde_json::Value;

use super::badges_support::{Host, OB, REDIRECT};

const SCRIPT: &str = r#"
import json, os, re, sys
import warnings
warnings.simplefilter("ignore")
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session

HOST, CA, SCOPE, API = os.environ["HOST"], os.environ["CA"], os.environ["SCOPE"], os.environ["API"]
USER, PASSWORD, REDIRECT = os.environ["USER_NAME"], os.environ["PASSWORD"], os.environ["REDIRECT"]
out = {}

http = requests.Session()
http.trust_env = False  # only the development CA, whatever the environment says
http.verify = CA

discovery = http.get(f"{HOST}{API}/discovery").json()
scheme = discovery["components"]["securitySchemes"]["OAuth2ACG"]
flow = scheme["flows"]["authorizationCode"]
registration = http.post(scheme["x-imssf-registrationUrl"], json={
    "client_name": "Authlib peer", "client_uri": "https://wallet.example.com/",
    "logo_uri": "https://wallet.example.com/logo.png", "tos_uri": "https://wallet.example.com/tos",
    "policy_uri": "https://wallet.example.com/privacy", "software_id": "authlib-peer",
    "software_version": "1", "redirect_uris": [REDIRECT], "scope": SCOPE,
    "token_endpoint_auth_method": "client_secret_basic",
    "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"]})
out["register_status"] = registration.status_code
client = registration.json()

s = OAuth2Session(client["client_id"], client["client_secret"], scope=SCOPE,
                  redirect_uri=REDIRECT, code_challenge_method="S256",
                  token_endpoint_auth_method="client_secret_basic")
s.trust_env = False
s.verify = CA
verifier = generate_token(64)
uri, state = s.create_authorization_url(flow["authorizationUrl"], code_verifier=verifier)

# The login page as a browser without JavaScript: hidden inputs, username, password, approve.
page = http.get(uri, allow_redirects=False)
out["login_page_status"] = page.status_code
form = {m.group(1): m.group(2) for m in re.finditer(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text)}
form.update({"username": USER, "password": PASSWORD, "decision": "approve"})
action = re.search(r'<form[^>]*action="([^"]+)"', page.text).group(1)
answer = http.post(requests.compat.urljoin(page.url, action), data=form, allow_redirects=False)
out["login_status"] = answer.status_code
callback = answer.headers["Location"]

token = s.fetch_token(flow["tokenUrl"], authorization_response=callback, state=state,
                      code_verifier=verifier)
out["token_scope"] = token.get("scope")
out["has_refresh_token"] = "refresh_token" in token
out["api_status"] = s.get(f"{HOST}{API}/credentials").status_code

refreshed = s.refresh_token(flow["refreshUrl"], refresh_token=token["refresh_token"])
out["rotated"] = refreshed["refresh_token"] != token["refresh_token"]
out["api_after_refresh"] = s.get(f"{HOST}{API}/profile").status_code

revoke_url = http.get(f"{HOST}/.well-known/oauth-authorization-server").json()["revocation_endpoint"]
out["revoke_refresh"] = s.revoke_token(revoke_url, token=refreshed["refresh_token"],
                                       token_type_hint="refresh_token").status_code
out["revoke_access"] = s.revoke_token(revoke_url, token=refreshed["access_token"],
                                      token_type_hint="access_token").status_code
out["api_after_revoke"] = http.get(f"{HOST}{API}/profile",
    headers={"Authorization": "Bearer " + refreshed["access_token"]}).status_code
print(json.dumps(out))
"#;

fn python() -> String {
    std::env::var("IMS_PYTHON").unwrap_or_else(|_| "python3".into())
}

#[tokio::test]
async fn authlib_oauth2_session_with_pkce_registers_logs_in_calls_refreshes_and_revokes() {
    let python = python();
    let available = Command::new(&python)
        .args(["-c", "import authlib, requests"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        available,
        "`{python}` cannot import authlib and requests: run `scripts/test.sh` (it prepares a Python \
         with them and sets IMS_PYTHON), or `{python} -m pip install authlib requests`"
    );
    let host = Host::start().await;
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("badges_peer.py");
    std::fs::write(&script, SCRIPT).unwrap();
    let ca = host.dir.path().join("ca.pem");
    let (user, password) = host.user("alice");
    let scope = format!("{} offline_access", OB.all_scopes().join(" "));
    let origin = host.running.base_url.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(&script)
            .env("HOST", origin)
            .env("CA", ca)
            .env("SCOPE", scope)
            .env("API", OB.base)
            .env("USER_NAME", user)
            .env("PASSWORD", password)
            .env("REDIRECT", REDIRECT)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "the Authlib peer failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let out: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(out["register_status"], 201, "{out}");
    assert_eq!(out["login_page_status"], 200, "{out}");
    assert_eq!(out["login_status"], 303, "{out}");
    assert_eq!(out["has_refresh_token"], true, "{out}");
    assert_eq!(out["api_status"], 200, "{out}");
    assert_eq!(out["rotated"], true, "{out}");
    assert_eq!(out["api_after_refresh"], 200, "{out}");
    assert_eq!(out["revoke_refresh"], 200, "{out}");
    assert_eq!(out["revoke_access"], 200, "{out}");
    assert_eq!(out["api_after_revoke"], 401, "{out}");
}

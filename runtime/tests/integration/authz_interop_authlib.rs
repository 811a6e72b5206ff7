//! Outside-client interop: Python Authlib (an independent OAuth 2 client) against our server over
//! HTTPS, trusting only the development CA: client_credentials with client_secret_basic and with
//! private_key_jwt (RFC 7523), introspection, revocation, then `active: false`.
//!
//! Needs Python with `authlib` and `requests`: `scripts/test.sh` installs them (pinned in
//! `scripts/python-requirements.txt`) into `.venv/` and sets `IMS_PYTHON`; `python3` otherwise.
//! Without them the test FAILS, naming that command: it exists to run Authlib, so it never passes
//! without it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::authz_support;

use std::process::Command;

use authz_support::*;
use ims_runtime::authorization_server::{NewClient, TokenEndpointAuthMethod};
use serde_json::{Value, json};

const SCRIPT: &str = r#"
import json, os, sys, time
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from authlib.oauth2.rfc7523.assertion import private_key_jwt_sign
import warnings
warnings.simplefilter("ignore")
from authlib.jose import RSAKey

AS, CA, SCOPE = os.environ["AS"], os.environ["CA"], os.environ["SCOPE"]
out = {}

def roundtrip(session, label):
    # Only the development CA is trusted; the environment's CA bundle settings are ignored.
    session.trust_env = False
    tok = session.fetch_token(f"{AS}/token", grant_type="client_credentials", verify=CA)
    before = session.introspect_token(f"{AS}/introspect", token=tok["access_token"], verify=CA).json()
    r = session.revoke_token(f"{AS}/revoke", token=tok["access_token"], token_type_hint="access_token", verify=CA)
    after = session.introspect_token(f"{AS}/introspect", token=tok["access_token"], verify=CA).json()
    out[label] = {"token": tok, "before": before, "revoke_status": r.status_code, "after": after}

s = OAuth2Session(os.environ["CID"], os.environ["SECRET"],
                  token_endpoint_auth_method="client_secret_basic", scope=SCOPE)
s.verify = CA
roundtrip(s, "basic")

class ShortLivedPrivateKeyJWT(PrivateKeyJWT):
    # Authlib's default assertion lives 3600 s and reuses one jti per instance; IMS/LTI practice
    # (and this server) want exp <= 5 min and a fresh jti per assertion.
    def sign(self, auth, token_endpoint):
        key = RSAKey.import_key(auth.client_secret)
        return private_key_jwt_sign(key, client_id=auth.client_id, token_endpoint=token_endpoint,
                                    claims={"exp": int(time.time()) + 60}, header={"kid": os.environ["KID"]},
                                    alg="RS256")

p = OAuth2Session(os.environ["JWT_CID"], open(os.environ["KEY"]).read(),
                  token_endpoint_auth_method="private_key_jwt",
                  revocation_endpoint_auth_method="private_key_jwt", scope=SCOPE)
p.register_client_auth_method(ShortLivedPrivateKeyJWT(f"{AS}/token"))
p.verify = CA
roundtrip(p, "private_key_jwt")
print(json.dumps(out))
"#;

#[tokio::test]
async fn authlib_client_credentials_introspect_and_revoke_over_https() {
    let python = ims_test_prerequisites::python_with(&["authlib", "requests"]);
    let h = Harness::start().await;
    let basic_client = h.cc_client(&[ROSTER_RO]).await;
    // An RSA key for the private_key_jwt client.
    let kp = rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
        .unwrap();
    let pem = kp.serialize_pem();
    let enc = jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap();
    let mut jwk = serde_json::to_value(
        jsonwebtoken::jwk::Jwk::from_encoding_key(&enc, jsonwebtoken::Algorithm::RS256).unwrap(),
    )
    .unwrap();
    jwk["kid"] = json!("authlib-key");
    jwk["use"] = json!("sig");
    let jwt_client = h
        .server
        .create_client(NewClient {
            auth_method: Some(TokenEndpointAuthMethod::PrivateKeyJwt),
            jwks: Some(json!({"keys": [jwk]})),
            ..NewClient::client_credentials([ROSTER_RO])
        })
        .await
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &h.ca_pem).unwrap();
    let key = dir.path().join("client-key.pem");
    std::fs::write(&key, pem).unwrap();
    let script = dir.path().join("interop.py");
    std::fs::write(&script, SCRIPT).unwrap();

    let issuer = h.issuer.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(&python)
            .arg(&script)
            .env("AS", issuer)
            .env("CA", &ca)
            .env("SCOPE", ROSTER_RO)
            .env("CID", &basic_client.client_id)
            .env("SECRET", basic_client.client_secret.as_deref().unwrap())
            .env("JWT_CID", &jwt_client.client_id)
            .env("KEY", &key)
            .env("KID", "authlib-key")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "authlib failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let out: Value = serde_json::from_slice(&output.stdout).unwrap();
    for label in ["basic", "private_key_jwt"] {
        let r = &out[label];
        assert_eq!(r["token"]["token_type"], "Bearer", "{label}");
        assert_eq!(r["token"]["scope"], ROSTER_RO, "{label}");
        assert_eq!(r["before"]["active"], true, "{label}");
        assert_eq!(r["revoke_status"], 200, "{label}");
        assert_eq!(r["after"], json!({"active": false}), "{label}");
        let at = r["token"]["access_token"].as_str().unwrap();
        assert!(
            h.server.verify_access_token(at).await.unwrap().is_none(),
            "revoked for the RS too"
        );
    }
}

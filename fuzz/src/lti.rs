//! An LTI 1.3 tool trusting one platform whose keys the targets hold, so a target can both post
//! arbitrary bytes as an `id_token` and sign arbitrary header/payload JSON with the platform's
//! key to reach the claim checks behind the signature; and what every accepted launch must meet.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, OnceLock};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ims_runtime::client::HttpPolicy;
use ims_runtime::lti::{
    BrowserProof, Launch, LaunchError, LaunchRules, LoginInitiation, LtiTool, LtiToolConfig,
    MemoryLaunchStore, PlatformKeySource, PlatformRegistration, StaticPlatformRegistry, ToolKey,
    ToolKeys, claim, message_type,
};
use ims_runtime::resource_server::{Algorithm, ManualClock};
use serde_json::{Value, json};

use crate::tokens::NOW;

/// The registered platform's issuer.
pub const ISSUER: &str = "https://platform.fuzz.example";
/// The tool's client_id at that platform.
pub const CLIENT_ID: &str = "fuzz-tool";
/// The one deployment the registration knows.
pub const DEPLOYMENT_ID: &str = "fuzz-deployment";
/// The registered target a login asks for.
pub const TARGET_LINK_URI: &str = "https://tool.fuzz.example/lti/resource";
/// `kid` of the platform's RSA key (RS256); a header naming no other key is signed with it.
pub const RSA_KID: &str = "fuzz-rs256";
/// `kid` of the platform's P-256 key (ES256); a header containing it is signed with it.
pub const EC_KID: &str = "fuzz-es256";
/// Where a signed input puts the nonce of the login it answers.
pub const NONCE_PLACEHOLDER: &str = "$NONCE";

/// The platform's two keys (random per process, fixed `kid`s, so corpus files name them).
struct PlatformKeys {
    rsa: ToolKey,
    ec: ToolKey,
}

fn fixed_kid(kid: &str, alg: Algorithm) -> ToolKey {
    let generated = match ToolKey::generate(alg) {
        Ok(k) => k,
        Err(e) => panic!("the fuzz harness cannot generate a platform key: {e}"),
    };
    match ToolKey::from_pkcs8_pem(kid, alg, generated.private_pem()) {
        Ok(k) => k,
        Err(e) => panic!("the fuzz harness's platform key is refused: {e}"),
    }
}

fn platform_keys() -> &'static PlatformKeys {
    static KEYS: OnceLock<PlatformKeys> = OnceLock::new();
    KEYS.get_or_init(|| PlatformKeys {
        rsa: fixed_kid(RSA_KID, Algorithm::RS256),
        ec: fixed_kid(EC_KID, Algorithm::ES256),
    })
}

/// The process's tool (inline platform JWKS, so no network; in-memory launch store; the clock
/// fixed at [`NOW`], so a run is reproducible) and the runtime its async API runs on.
pub struct Harness {
    /// The tool under test.
    pub tool: LtiTool,
    runtime: tokio::runtime::Runtime,
    /// Nonces of the launches accepted so far in this process.
    accepted_nonces: Mutex<HashSet<String>>,
}

/// The process's harness.
pub fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let keys = platform_keys();
        let registration = PlatformRegistration {
            issuer: ISSUER.into(),
            client_id: CLIENT_ID.into(),
            deployment_ids: vec![DEPLOYMENT_ID.into()],
            authorization_endpoint: "https://platform.fuzz.example/authorize".into(),
            token_endpoint: "https://platform.fuzz.example/token".into(),
            keys: PlatformKeySource::Jwks(
                json!({"keys": [keys.rsa.public_jwk(), keys.ec.public_jwk()]}),
            ),
        };
        let registry = match StaticPlatformRegistry::new([registration]) {
            Ok(r) => r,
            Err(e) => panic!("the fuzz harness's registration is refused: {e}"),
        };
        let tool_key = match ToolKey::generate(Algorithm::ES256) {
            Ok(k) => k,
            Err(e) => panic!("the fuzz harness cannot generate the tool key: {e}"),
        };
        let tool = match LtiTool::new(
            LtiToolConfig::new(
                "https://tool.fuzz.example/lti/launch",
                vec![TARGET_LINK_URI.into()],
            ),
            Arc::new(registry),
            Arc::new(MemoryLaunchStore::new()),
            Arc::new(ToolKeys::new(tool_key)),
            HttpPolicy::default(),
        ) {
            Ok(t) => t,
            Err(e) => panic!("the fuzz harness's tool is refused: {e}"),
        };
        let tool =
            tool.with_rules(LaunchRules::default().with_clock(Arc::new(ManualClock::new(NOW))));
        let runtime = match tokio::runtime::Builder::new_current_thread().build() {
            Ok(r) => r,
            Err(e) => panic!("no tokio runtime: {e}"),
        };
        Harness {
            tool,
            runtime,
            accepted_nonces: Mutex::new(HashSet::new()),
        }
    })
}

/// What the platform's login gave the browser: `state`, the state cookie's value, the nonce.
pub struct Login {
    /// The `state` to post back.
    pub state: String,
    /// The value of the state cookie.
    pub cookie: String,
    /// The nonce the `id_token` must carry.
    pub nonce: String,
}

impl Harness {
    /// A login initiation for [`TARGET_LINK_URI`], as the platform would start it.
    pub fn login(&self) -> Login {
        let redirect = self
            .runtime
            .block_on(self.tool.begin_login(&LoginInitiation {
                iss: ISSUER.into(),
                login_hint: "user-1".into(),
                target_link_uri: TARGET_LINK_URI.into(),
                lti_message_hint: None,
                client_id: Some(CLIENT_ID.into()),
                lti_deployment_id: None,
            }));
        let redirect = match redirect {
            Ok(r) => r,
            Err(e) => panic!("the fuzz harness's login initiation is refused: {e}"),
        };
        let nonce = redirect
            .location
            .query_pairs()
            .find(|(k, _)| k == "nonce")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
        Login {
            state: redirect.state,
            cookie: redirect.cookie_value,
            nonce,
        }
    }

    /// `LtiTool::launch` for `login` with its cookie: what `POST /lti/launch` does.
    pub fn launch(&self, state: &str, id_token: &str, cookie: &str) -> Result<Launch, LaunchError> {
        self.runtime.block_on(
            self.tool
                .launch(state, id_token, BrowserProof::Cookie(Some(cookie))),
        )
    }

    /// What an accepted launch must satisfy whatever its bytes: the checks the tool promises
    /// (runtime/docs/lti.md), read from the raw claims it was handed.
    pub fn check_accepted(&self, launch: &Launch) {
        let claims = &launch.claims().claims;
        let text = |name: &str| claims.get(name).and_then(Value::as_str);
        assert_eq!(
            text("iss"),
            Some(ISSUER),
            "accepted another issuer: {claims:?}"
        );
        let aud_ok = match claims.get("aud") {
            Some(Value::String(a)) => a == CLIENT_ID,
            Some(Value::Array(list)) => list.iter().any(|a| a == CLIENT_ID),
            _ => false,
        };
        assert!(aud_ok, "accepted a token for another audience: {claims:?}");
        if let Some(azp) = claims.get("azp") {
            assert_eq!(
                azp, CLIENT_ID,
                "accepted another authorized party: {claims:?}"
            );
        }
        assert_eq!(text(claim::VERSION), Some(message_type::LTI_VERSION));
        assert_eq!(
            text(claim::DEPLOYMENT_ID),
            Some(DEPLOYMENT_ID),
            "accepted an unknown deployment: {claims:?}"
        );
        let kind = text(claim::MESSAGE_TYPE);
        assert!(
            kind == Some(message_type::RESOURCE_LINK_REQUEST)
                || kind == Some(message_type::DEEP_LINKING_REQUEST),
            "accepted an unknown message type: {claims:?}"
        );
        let exp = claims
            .get("exp")
            .and_then(Value::as_i64)
            .unwrap_or(i64::MIN);
        assert!(
            exp.saturating_add(30) > NOW,
            "accepted an expired token: {claims:?}"
        );
        let nonce = text("nonce").unwrap_or_default().to_owned();
        let fresh = self
            .accepted_nonces
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(nonce);
        assert!(fresh, "accepted a nonce twice: {claims:?}");
    }
}

/// `header` and `payload` (any bytes) as a compact JWS signed with the platform's EC key when
/// `header` contains [`EC_KID`], else its RSA key.
pub fn sign(header: &[u8], payload: &[u8]) -> String {
    let keys = platform_keys();
    let uses_ec = header.windows(EC_KID.len()).any(|w| w == EC_KID.as_bytes());
    let (key, alg) = if uses_ec {
        (&keys.ec, Algorithm::ES256)
    } else {
        (&keys.rsa, Algorithm::RS256)
    };
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let encoding = match alg {
        Algorithm::ES256 => jsonwebtoken::EncodingKey::from_ec_pem(key.private_pem().as_bytes()),
        _ => jsonwebtoken::EncodingKey::from_rsa_pem(key.private_pem().as_bytes()),
    };
    let encoding = match encoding {
        Ok(k) => k,
        Err(e) => panic!("the platform key does not load for signing: {e}"),
    };
    match jsonwebtoken::crypto::sign(signing_input.as_bytes(), &encoding, alg) {
        Ok(signature) => format!("{signing_input}.{signature}"),
        Err(e) => panic!("{alg:?} signing failed: {e}"),
    }
}

/// `text` with every [`NONCE_PLACEHOLDER`] replaced by `nonce`.
pub fn with_nonce(text: &[u8], nonce: &str) -> Vec<u8> {
    let needle = NONCE_PLACEHOLDER.as_bytes();
    let mut out = Vec::with_capacity(text.len() + nonce.len());
    let mut rest = text;
    while let Some(i) = rest.windows(needle.len()).position(|w| w == needle) {
        out.extend_from_slice(&rest[..i]);
        out.extend_from_slice(nonce.as_bytes());
        rest = &rest[i + needle.len()..];
    }
    out.extend_from_slice(rest);
    out
}

//! The tool's signing keys, kept in `E/tool-keys.json` so that a restarted tool publishes the
//! same JWKS: platforms that cached it, or registered its keys by value, keep verifying its
//! deep-linking responses and client assertions.

use std::path::Path;
use std::sync::Arc;

use ims_runtime::lti::{ToolKey, ToolKeys};
use jsonwebtoken::Algorithm;
use serde::{Deserialize, Serialize};

use super::server::LtiToolDemoError;
use crate::demo::data_dir::write_atomically;

/// The key file inside the data directory (owner-readable only: it holds private keys).
pub const TOOL_KEYS_FILE: &str = "tool-keys.json";

/// One key as stored. The last one of the file signs; the others stay published.
#[derive(Serialize, Deserialize)]
struct StoredKey {
    kid: String,
    /// `RS256` or `ES256`.
    alg: String,
    /// PKCS#8 PEM.
    private_pem: String,
}

fn algorithm(name: &str) -> Option<Algorithm> {
    match name {
        "RS256" => Some(Algorithm::RS256),
        "ES256" => Some(Algorithm::ES256),
        _ => None,
    }
}

/// The keys of `dir/tool-keys.json`, or a new RS256 key written there when the file is missing
/// (RS256: the algorithm every LTI platform accepts).
pub fn load_or_create_tool_keys(dir: &Path) -> Result<Arc<ToolKeys>, LtiToolDemoError> {
    let path = dir.join(TOOL_KEYS_FILE);
    let bad = |detail: String| LtiToolDemoError::ToolKeys {
        path: path.clone(),
        detail,
    };
    match std::fs::read(&path) {
        Ok(bytes) => {
            let stored: Vec<StoredKey> = serde_json::from_slice(&bytes).map_err(|e| {
                bad(format!(
                    "{e} (expected a JSON array of {{\"kid\", \"alg\", \"private_pem\"}}; delete \
                     the file to start with a new key)"
                ))
            })?;
            let mut keys = stored.iter().map(|k| {
                let alg = algorithm(&k.alg)
                    .ok_or_else(|| bad(format!("key `{}`: alg must be RS256 or ES256", k.kid)))?;
                ToolKey::from_pkcs8_pem(&k.kid, alg, &k.private_pem).map_err(|e| bad(e.to_string()))
            });
            let first = keys.next().ok_or_else(|| {
                bad("holds no key; delete the file to start with a new key".into())
            })??;
            let set = ToolKeys::new(first);
            for key in keys {
                set.rotate(key?).map_err(|e| bad(e.to_string()))?;
            }
            Ok(Arc::new(set))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = ToolKey::generate(Algorithm::RS256).map_err(|e| bad(e.to_string()))?;
            let stored = vec![StoredKey {
                kid: key.kid().to_owned(),
                alg: "RS256".into(),
                private_pem: key.private_pem().to_owned(),
            }];
            let text = serde_json::to_vec_pretty(&stored).map_err(|e| bad(e.to_string()))?;
            write_atomically(&path, &text, true)?;
            tracing::info!(path = %path.display(), kid = key.kid(), "generated the tool's signing key");
            Ok(Arc::new(ToolKeys::new(key)))
        }
        Err(source) => Err(LtiToolDemoError::Io {
            what: "cannot read the tool's keys",
            path,
            source,
        }),
    }
}

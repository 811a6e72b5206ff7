//! Secrets that do not show up in logs (CL-16).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use url::form_urlencoded::byte_serialize;

/// A client secret or token. `Debug` prints `[redacted]`; the value is only reachable through
/// [`ClientSecret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct ClientSecret(String);

impl ClientSecret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }
    /// The secret value (for building a request).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientSecret([redacted])")
    }
}

impl From<String> for ClientSecret {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl From<&str> for ClientSecret {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

/// The `Authorization: Basic …` value for `client_secret_basic`: id and secret are each
/// `application/x-www-form-urlencoded` first, then `id:secret` is base64-encoded
/// (RFC 6749 §2.3.1 and Appendix B), so `:`, `%`, `+` and non-ASCII survive.
///
/// ```
/// use ims_runtime::client::{basic_authorization, ClientSecret};
/// // "a:b" → "a%3Ab", "p w" → "p+w"
/// assert_eq!(basic_authorization("a:b", &ClientSecret::new("p w")), "Basic YSUzQWI6cCt3");
/// ```
pub fn basic_authorization(client_id: &str, secret: &ClientSecret) -> String {
    let id: String = byte_serialize(client_id.as_bytes()).collect();
    let pw: String = byte_serialize(secret.expose().as_bytes()).collect();
    format!("Basic {}", STANDARD.encode(format!("{id}:{pw}")))
}

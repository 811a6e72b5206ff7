//! The sign-in session of the authorization endpoint: after a successful login the browser gets
//! a cookie naming the resource owner for [`SESSION_LIFETIME`], so a later authorization request
//! whose scopes the owner has already approved for that client (a remembered consent) is
//! answered with a code at once, without the page.
//!
//! The cookie is `<expiry>.<subject, base64url>.<HMAC-SHA256, base64url>`, bound to the issuer.
//! The MAC key is random per process and never stored: a restart, or a request reaching
//! another instance behind a load balancer, ends the session, and the owner signs in again on
//! the page (the safe outcome; sessions are a convenience, the store holds no session state).
//! The cookie is `HttpOnly`, `Secure`, `SameSite=Lax` (it must reach `/authorize` on the
//! top-level navigation from the client's site) and `__Host-` prefixed.

use std::sync::OnceLock;

use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;

/// The session cookie's name.
pub(in crate::authorization_server::endpoints) const SESSION_COOKIE: &str =
    "__Host-ims-authz-session";

/// How long a sign-in lasts (seconds).
pub(in crate::authorization_server::endpoints) const SESSION_LIFETIME: u64 = 3600;

/// Subjects above this are not put in a cookie (the browser would drop it anyway).
const MAX_SUBJECT: usize = 1024;

fn key() -> &'static hmac::Key {
    static KEY: OnceLock<hmac::Key> = OnceLock::new();
    KEY.get_or_init(|| {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        hmac::Key::new(hmac::HMAC_SHA256, &bytes)
    })
}

fn signed_part(issuer: &str, expires_at: u64, subject: &str) -> Vec<u8> {
    // Length-prefixed fields: no two (issuer, expiry, subject) triples sign the same bytes.
    let mut msg = Vec::with_capacity(issuer.len() + subject.len() + 32);
    for field in [
        issuer.as_bytes(),
        expires_at.to_string().as_bytes(),
        subject.as_bytes(),
    ] {
        msg.extend_from_slice(&(field.len() as u64).to_be_bytes());
        msg.extend_from_slice(field);
    }
    msg
}

/// The cookie value for `subject`, valid until `now + SESSION_LIFETIME`.
pub(in crate::authorization_server::endpoints) fn issue(
    issuer: &str,
    subject: &str,
    now: u64,
) -> Option<String> {
    if subject.len() > MAX_SUBJECT {
        return None;
    }
    let expires_at = now + SESSION_LIFETIME;
    let tag = hmac::sign(key(), &signed_part(issuer, expires_at, subject));
    Some(format!(
        "{expires_at}.{}.{}",
        URL_SAFE_NO_PAD.encode(subject),
        URL_SAFE_NO_PAD.encode(tag.as_ref())
    ))
}

/// The subject of a live session cookie issued by this process for `issuer`.
pub(in crate::authorization_server::endpoints) fn verify(
    issuer: &str,
    cookie: &str,
    now: u64,
) -> Option<String> {
    let mut parts = cookie.split('.');
    let (Some(exp), Some(sub), Some(tag), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let expires_at: u64 = exp.parse().ok()?;
    if expires_at <= now {
        return None;
    }
    let subject = String::from_utf8(URL_SAFE_NO_PAD.decode(sub).ok()?).ok()?;
    let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
    hmac::verify(key(), &signed_part(issuer, expires_at, &subject), &tag).ok()?;
    Some(subject)
}

/// The `Set-Cookie` value carrying a session.
pub(in crate::authorization_server::endpoints) fn set_cookie(value: &str) -> String {
    format!(
        "{SESSION_COOKIE}={value}; Path=/; Max-Age={SESSION_LIFETIME}; Secure; HttpOnly; SameSite=Lax"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_verifies_for_its_issuer_until_it_expires() {
        let c = issue("https://as.example", "alice", 1000).unwrap();
        assert_eq!(
            verify("https://as.example", &c, 1000).as_deref(),
            Some("alice")
        );
        assert_eq!(
            verify("https://as.example", &c, 1000 + SESSION_LIFETIME),
            None
        );
        assert_eq!(verify("https://other.example", &c, 1000), None);
    }

    #[test]
    fn a_tampered_session_is_refused() {
        let c = issue("https://as.example", "alice", 1000).unwrap();
        let (exp, rest) = c.split_once('.').unwrap();
        let (_, tag) = rest.split_once('.').unwrap();
        let forged = format!("{exp}.{}.{tag}", URL_SAFE_NO_PAD.encode("mallory"));
        assert_eq!(verify("https://as.example", &forged, 1000), None);
        let later = format!("{}.{rest}", exp.parse::<u64>().unwrap() + 10);
        assert_eq!(verify("https://as.example", &later, 1000), None);
        for junk in ["", "a.b", "1.2.3.4", "x.YWxpY2U.AAAA"] {
            assert_eq!(verify("https://as.example", junk, 0), None, "{junk}");
        }
    }
}

//! The platform's own sign-in: a random session id in a first-party cookie (`Secure; HttpOnly;
//! SameSite=None`), mapped to a username in memory. `None`, not `Lax`: with platform storage the
//! navigation to the authorization endpoint inside the course page's iframe is started by the
//! tool's page (another site), and Chromium withholds a `Lax` cookie from it, so every such launch
//! would end in `login_required` (runtime/docs/lti.md, "Launches without third-party cookies").
//! The platform's state-changing forms do not rely on SameSite: sign-in needs the password, and
//! deep-link returns are signed by the tool. Sessions end with the process: people sign in
//! again after a restart, while tools and grades stay (they are in the data directory).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;

use super::error::LtiPlatformError;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "lti_platform_session";
/// How long a sign-in lasts.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(8 * 3600);
/// More live sessions than this and the oldest are dropped (a demo without a database of them).
const MAX_SESSIONS: usize = 10_000;

/// Live sessions by id.
#[derive(Debug, Default)]
pub struct Sessions {
    live: Mutex<HashMap<String, (String, Instant)>>,
}

impl Sessions {
    /// Starts a session for `username`; returns the `Set-Cookie` value.
    pub fn start(&self, username: &str) -> Result<String, LtiPlatformError> {
        let mut buf = [0u8; 32];
        aws_lc_rs::rand::fill(&mut buf).map_err(|_| LtiPlatformError::Random)?;
        let id: String = buf.iter().map(|b| format!("{b:02x}")).collect();
        if let Ok(mut live) = self.live.lock() {
            let now = Instant::now();
            live.retain(|_, (_, until)| *until > now);
            if live.len() >= MAX_SESSIONS
                && let Some(oldest) = live
                    .iter()
                    .min_by_key(|(_, (_, until))| *until)
                    .map(|(k, _)| k.clone())
            {
                live.remove(&oldest);
            }
            live.insert(id.clone(), (username.to_owned(), now + SESSION_LIFETIME));
        }
        Ok(format!(
            "{SESSION_COOKIE}={id}; Path=/; Secure; HttpOnly; SameSite=None; Max-Age={}",
            SESSION_LIFETIME.as_secs()
        ))
    }

    /// The signed-in username of the request carrying `headers`.
    pub fn user(&self, headers: &HeaderMap) -> Option<String> {
        let id = session_id(headers)?;
        let live = self.live.lock().ok()?;
        live.get(&id)
            .filter(|(_, until)| *until > Instant::now())
            .map(|(user, _)| user.clone())
    }

    /// Ends the request's session; returns the `Set-Cookie` value that clears the cookie.
    pub fn end(&self, headers: &HeaderMap) -> String {
        if let Some(id) = session_id(headers)
            && let Ok(mut live) = self.live.lock()
        {
            live.remove(&id);
        }
        format!("{SESSION_COOKIE}=; Path=/; Secure; HttpOnly; SameSite=None; Max-Age=0")
    }
}

fn session_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_cookie_names_its_user_until_it_ends() {
        let sessions = Sessions::default();
        let cookie = sessions.start("learner01").unwrap();
        assert!(
            cookie.contains("Secure; HttpOnly; SameSite=None"),
            "{cookie}"
        );
        let pair = cookie.split(';').next().unwrap().to_owned();
        let mut headers = HeaderMap::new();
        headers.insert("cookie", format!("other=1; {pair}").parse().unwrap());
        assert_eq!(sessions.user(&headers).as_deref(), Some("learner01"));
        sessions.end(&headers);
        assert_eq!(sessions.user(&headers), None);
        assert_eq!(sessions.user(&HeaderMap::new()), None);
    }
}

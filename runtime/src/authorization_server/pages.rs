//! The HTML pages of the authorization endpoint: login + consent, and the 400 page shown when
//! a request must not be redirected. Rendered from the askama templates in
//! `runtime/templates/authorization_server/`, which escape every value ([`HtmlEscaper`]); this
//! module decides what a page shows (e.g. only `https` links), the templates only show it.

use std::fmt;

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::model::{ConsentRecord, RegisteredClient};

/// The escaper of every `.html` template in this crate (configured in `runtime/askama.toml`):
/// text is safe in element content and in quoted attribute values.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct HtmlEscaper;

impl askama::filters::Escaper for HtmlEscaper {
    fn write_escaped_str<W: fmt::Write>(&self, mut dest: W, string: &str) -> fmt::Result {
        let mut rest = string;
        while let Some(at) = rest.find(['&', '<', '>', '"', '\'']) {
            dest.write_str(&rest[..at])?;
            let entity = match rest.as_bytes()[at] {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                _ => "&#x27;",
            };
            dest.write_str(entity)?;
            rest = &rest[at + 1..];
        }
        dest.write_str(rest)
    }
}

/// A link to the client's own pages, shown on the consent page with the host it leads to (so
/// the owner sees whose site it is without following it).
struct ClientLink<'a> {
    href: &'a str,
    label: &'static str,
    host: String,
}

/// One requested scope on the consent page: what it lets the client do, when the scope is one
/// this crate knows, and the scope itself.
struct ScopeLine<'a> {
    label: Option<&'static str>,
    scope: &'a str,
}

/// What the scopes of the 1EdTech services this project serves let a client do, in words a
/// resource owner reads on the consent page (by the scope's last path segment under each
/// service's scope prefix).
const SCOPE_LABELS: &[(&str, &[(&str, &str)])] = &[
    (
        "https://purl.imsglobal.org/spec/ob/v3p0/scope/",
        &[
            ("credential.readonly", "Read your Open Badges"),
            ("credential.upsert", "Add and update your Open Badges"),
            ("profile.readonly", "Read your badge profile"),
            ("profile.update", "Update your badge profile"),
        ],
    ),
    (
        "https://purl.imsglobal.org/spec/clr/v2p0/scope/",
        &[
            (
                "credential.readonly",
                "Read your Comprehensive Learner Records",
            ),
            (
                "credential.upsert",
                "Add and update your Comprehensive Learner Records",
            ),
            ("profile.readonly", "Read your learner record profile"),
            ("profile.update", "Update your learner record profile"),
        ],
    ),
    (
        "https://purl.imsglobal.org/spec/or/v1p2/scope/",
        &[
            ("roster-core.readonly", "Read rosters (core data)"),
            ("roster.readonly", "Read rosters"),
            ("roster-demographics.readonly", "Read demographics"),
            ("roster.createput", "Create and update rosters"),
            ("roster.delete", "Delete roster data"),
            ("gradebook.readonly", "Read gradebooks"),
            ("gradebook.createput", "Create and update gradebook entries"),
            ("gradebook.delete", "Delete gradebook entries"),
            ("resource.readonly", "Read learning resources"),
        ],
    ),
];

/// The words for a known scope (see [`SCOPE_LABELS`]).
fn scope_label(scope: &str) -> Option<&'static str> {
    if scope == "offline_access" {
        return Some("Keep access while you are away (refresh tokens)");
    }
    SCOPE_LABELS.iter().find_map(|(prefix, labels)| {
        let name = scope.strip_prefix(prefix)?;
        labels.iter().find(|(n, _)| *n == name).map(|(_, l)| *l)
    })
}

#[derive(Template)]
#[template(path = "authorization_server/login.html")]
struct LoginPage<'a> {
    client_name: &'a str,
    logo_uri: Option<&'a str>,
    links: Vec<ClientLink<'a>>,
    scopes: Vec<ScopeLine<'a>>,
    message: Option<&'a str>,
    request_id: &'a str,
    csrf_token: &'a str,
}

#[derive(Template)]
#[template(path = "authorization_server/error.html")]
struct ErrorPage<'a> {
    reason: &'a str,
}

/// What the login + consent page shows for one pending authorization.
pub(crate) struct Consent<'a> {
    pub(crate) client: &'a RegisteredClient,
    /// The validated scope being requested (space-separated).
    pub(crate) scope: &'a str,
    /// Carried by the form back to `POST /authorize`.
    pub(crate) request_id: &'a str,
    /// The double-submit CSRF value, also in the cookie.
    pub(crate) csrf_token: &'a str,
    /// A fixed notice (e.g. wrong password), never input.
    pub(crate) message: Option<&'static str>,
}

impl<'a> LoginPage<'a> {
    fn for_consent(consent: &Consent<'a>) -> Self {
        let client = consent.client;
        // Only https links and logos: a `javascript:` or `data:` URI must never become clickable.
        let https = |key: &str| {
            client
                .metadata_str(key)
                .filter(|u| u.starts_with("https://"))
        };
        let links = [
            ("client_uri", "About this application"),
            ("tos_uri", "Terms of service"),
            ("policy_uri", "Privacy policy"),
        ]
        .into_iter()
        .filter_map(|(key, label)| {
            https(key).map(|href| ClientLink {
                href,
                label,
                host: url::Url::parse(href)
                    .ok()
                    .and_then(|u| u.host_str().map(str::to_owned))
                    .unwrap_or_default(),
            })
        })
        .collect();
        Self {
            client_name: client
                .metadata_str("client_name")
                .unwrap_or(&client.client_id),
            logo_uri: https("logo_uri"),
            links,
            scopes: consent
                .scope
                .split(' ')
                .filter(|s| !s.is_empty())
                .map(|scope| ScopeLine {
                    label: scope_label(scope),
                    scope,
                })
                .collect(),
            message: consent.message,
            request_id: consent.request_id,
            csrf_token: consent.csrf_token,
        }
    }
}

/// A fixed notice on the account page (never input).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AccountNotice {
    SignedIn,
    Withdrawn,
    WrongPassword,
}

impl AccountNotice {
    fn text(self) -> &'static str {
        match self {
            Self::SignedIn => "You are signed in.",
            Self::Withdrawn => {
                "Access withdrawn: the application's tokens no longer work, and it must ask again."
            }
            Self::WrongPassword => "Wrong user name or password.",
        }
    }
}

/// One remembered consent on the account page.
pub(crate) struct ConsentLine {
    client_id: String,
    /// The registered `client_name`, else the client id.
    client_name: String,
    /// The client's own site, https only.
    client_uri: Option<String>,
    scopes: Vec<(Option<&'static str>, String)>,
    /// `YYYY-MM-DD HH:MM UTC`.
    granted: String,
}

impl ConsentLine {
    pub(crate) fn new(consent: ConsentRecord, client: Option<&RegisteredClient>) -> Self {
        let client_name = client
            .and_then(|c| c.metadata_str("client_name"))
            .unwrap_or(&consent.client_id)
            .to_owned();
        let client_uri = client
            .and_then(|c| c.metadata_str("client_uri"))
            .filter(|u| u.starts_with("https://"))
            .map(str::to_owned);
        let granted = i64::try_from(consent.granted_at)
            .ok()
            .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t).ok())
            .map(|t| format!("{} {:02}:{:02} UTC", t.date(), t.hour(), t.minute()))
            .unwrap_or_default();
        Self {
            scopes: consent
                .scope
                .split(' ')
                .filter(|s| !s.is_empty())
                .map(|s| (scope_label(s), s.to_owned()))
                .collect(),
            client_id: consent.client_id,
            client_name,
            client_uri,
            granted,
        }
    }
}

#[derive(Template)]
#[template(path = "authorization_server/account.html")]
struct AccountPage<'a> {
    subject: Option<&'a str>,
    consents: &'a [ConsentLine],
    csrf_token: &'a str,
    notice: Option<&'static str>,
}

/// The account page (200): the sign-in form when `subject` is `None`, else the owner's
/// remembered consents, each with a withdraw button.
pub(crate) fn account_page(
    subject: Option<&str>,
    consents: &[ConsentLine],
    csrf_token: &str,
    notice: Option<AccountNotice>,
) -> Response {
    render(
        StatusCode::OK,
        &AccountPage {
            subject,
            consents,
            csrf_token,
            notice: notice.map(AccountNotice::text),
        },
    )
}

/// The login + consent page (200).
pub(crate) fn login_page(consent: &Consent<'_>) -> Response {
    render(StatusCode::OK, &LoginPage::for_consent(consent))
}

/// The 400 page shown when the server must not redirect. The reason is a fixed string, never
/// input.
pub(crate) fn error_page(reason: &'static str) -> Response {
    render(StatusCode::BAD_REQUEST, &ErrorPage { reason })
}

fn render(status: StatusCode, page: &impl Template) -> Response {
    let mut r = match page.render() {
        Ok(body) => (status, Html(body)).into_response(),
        Err(e) => {
            // Only a formatting failure can get here; the page is not sent half-rendered.
            tracing::error!(error = %e, "authorization page rendering failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    };
    secure_headers(&mut r);
    r
}

/// Headers of every page and redirect of the authorization endpoint: never cached, never
/// framed, no scripts, no referrer leaking the query.
pub(crate) fn secure_headers(resp: &mut Response) {
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src https:; frame-ancestors 'none'",
        ),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authorization_server::model::{GrantType, TokenEndpointAuthMethod};

    fn client(metadata: serde_json::Value) -> RegisteredClient {
        RegisteredClient {
            client_id: "c1".into(),
            secret_hash: None,
            client_id_issued_at: 0,
            client_secret_expires_at: 0,
            auth_method: TokenEndpointAuthMethod::ClientSecretBasic,
            assertion_alg: None,
            jwks: None,
            jwks_uri: None,
            grant_types: vec![GrantType::AuthorizationCode],
            redirect_uris: vec!["https://tool.example.edu/cb".into()],
            scopes: vec!["a".into()],
            introspect_any: false,
            metadata: metadata.as_object().cloned().unwrap_or_default(),
            registration_token_hash: None,
            disabled: false,
        }
    }

    fn consent<'a>(c: &'a RegisteredClient, message: Option<&'static str>) -> Consent<'a> {
        Consent {
            client: c,
            scope: "a<b c https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.readonly",
            request_id: "r\"1",
            csrf_token: "c'1",
            message,
        }
    }

    fn body(consent: &Consent<'_>) -> String {
        LoginPage::for_consent(consent).render().unwrap()
    }

    #[test]
    fn escaper_neutralises_markup_in_text_and_attributes() {
        let mut out = String::new();
        askama::filters::Escaper::write_escaped_str(&HtmlEscaper, &mut out, "<script>\"'&x")
            .unwrap();
        assert_eq!(out, "&lt;script&gt;&quot;&#x27;&amp;x");
    }

    #[test]
    fn a_script_in_the_client_name_is_escaped_on_the_consent_page() {
        let c = client(serde_json::json!({
            "client_name": "<script>alert(1)</script>\"Tool\"",
            "client_uri": "https://tool.example.edu/\"><script>x</script>",
        }));
        let html = body(&consent(&c, None));
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains(
            "<h1>&lt;script&gt;alert(1)&lt;/script&gt;&quot;Tool&quot; wants to access your data</h1>"
        ));
        assert!(html.contains(
            "href=\"https://tool.example.edu/&quot;&gt;&lt;script&gt;x&lt;/script&gt;\""
        ));
        assert!(html.contains("<li><code>a&lt;b</code></li>"));
        assert!(html.contains("<li><code>c</code></li>"));
        assert!(html.contains(
            "<li>Read your Open Badges <code>https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.readonly</code></li>"
        ));
        assert!(html.contains("name=\"request_id\" value=\"r&quot;1\""));
        assert!(html.contains("name=\"csrf_token\" value=\"c&#x27;1\""));
    }

    #[test]
    fn consent_page_links_only_https_uris_and_shows_the_notice() {
        let c = client(serde_json::json!({
            "logo_uri": "https://tool.example.edu/logo.png",
            "tos_uri": "https://tool.example.edu/tos",
            "policy_uri": "javascript:alert(1)",
            "client_uri": "data:text/html,x",
        }));
        let html = body(&consent(&c, Some("Wrong user name or password.")));
        assert!(
            html.contains("<h1>c1 wants to access your data</h1>"),
            "client_id stands in"
        );
        assert!(html.contains("<img src=\"https://tool.example.edu/logo.png\""));
        assert!(html.contains(
            "<li><a href=\"https://tool.example.edu/tos\" rel=\"noopener noreferrer\">Terms of service</a> <small>tool.example.edu</small></li>"
        ));
        assert!(
            !html.contains("javascript:") && !html.contains("data:"),
            "{html}"
        );
        assert!(html.contains("<p role=\"alert\">Wrong user name or password.</p>"));
        let resp = login_page(&consent(&c, None));
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.headers()[header::X_FRAME_OPTIONS], "DENY");
        assert_eq!(resp.headers()[header::CACHE_CONTROL], "no-store");
    }

    #[test]
    fn known_scopes_have_words_and_unknown_ones_do_not() {
        assert_eq!(
            scope_label("https://purl.imsglobal.org/spec/clr/v2p0/scope/profile.update"),
            Some("Update your learner record profile")
        );
        assert_eq!(
            scope_label("https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.upsertx"),
            None
        );
        assert_eq!(
            scope_label("https://purl.imsglobal.org/spec/ob/v3p0/scope/"),
            None
        );
        assert!(scope_label("offline_access").is_some());
    }

    #[test]
    fn error_page_is_400_with_frame_and_cache_headers() {
        let resp = error_page("The client is unknown.");
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
        assert_eq!(resp.headers()[header::X_FRAME_OPTIONS], "DENY");
        assert!(
            resp.headers()[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'")
        );
        let html = ErrorPage {
            reason: "The client is unknown.",
        }
        .render()
        .unwrap();
        assert!(html.contains("<p>The client is unknown.</p>"));
    }
}

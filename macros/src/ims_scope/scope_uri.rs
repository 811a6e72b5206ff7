//! What a scope literal must look like.
//!
//! A scope token (RFC 6749 §3.3) is one or more of %x21 / %x23-5B / %x5D-7E: no spaces, quotes or
//! backslashes. IMS scopes are absolute URIs, so a scheme (`https:`, `urn:` …) is required too.

/// Why a scope literal is malformed, or `None` when it is fine.
pub(crate) fn problem(scope: &str) -> Option<String> {
    if scope.is_empty() {
        return Some("a scope cannot be empty".to_owned());
    }
    if let Some(bad) = scope.chars().find(|&c| {
        !(c == '\x21' || ('\x23'..='\x5b').contains(&c) || ('\x5d'..='\x7e').contains(&c))
    }) {
        return Some(format!(
            "scope `{scope}` contains {bad:?}, which RFC 6749 §3.3 does not allow in a scope token \
             (no spaces, quotes, backslashes or non-ASCII)"
        ));
    }
    let Some((scheme, rest)) = scope.split_once(':') else {
        return Some(format!(
            "scope `{scope}` is not an absolute URI; IMS scopes look like \
             `https://purl.imsglobal.org/spec/or/v1p2/scope/roster.readonly`"
        ));
    };
    let scheme_ok = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok || rest.is_empty() {
        return Some(format!(
            "scope `{scope}` is not an absolute URI (`scheme:rest`); IMS scopes look like \
             `https://purl.imsglobal.org/spec/or/v1p2/scope/roster.readonly`"
        ));
    }
    if matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https") && !rest.starts_with("//") {
        return Some(format!("scope `{scope}` lacks `//` after `{scheme}:`"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::problem;

    #[test]
    fn ims_scope_uris_are_accepted() {
        assert_eq!(
            problem("https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly"),
            None
        );
        assert_eq!(problem("urn:example:scope"), None);
    }

    #[test]
    fn malformed_scopes_are_rejected() {
        for bad in [
            "",
            "roster.readonly",
            "https://a/b c",
            "https://a/\"b",
            "https:/a",
            "1http://a",
            "https://a/é",
        ] {
            assert!(problem(bad).is_some(), "{bad:?} should be rejected");
        }
    }
}

//! Scope strings (RFC 6749 §3.3): space-separated, case-sensitive tokens.

use std::collections::BTreeSet;

use super::error::OAuthError;

/// Parses a scope parameter strictly: single spaces between tokens, each token from the
/// RFC 6749 charset (%x21 / %x23-5B / %x5D-7E). Bounded to 100 tokens (AS-36).
pub fn parse(scope: &str) -> Result<Vec<String>, OAuthError> {
    const MAX_TOKENS: usize = 100;
    let mut out: Vec<String> = Vec::new();
    for token in scope.split(' ') {
        let ok = !token.is_empty()
            && token
                .bytes()
                .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b));
        if !ok {
            return Err(OAuthError::invalid_scope(
                "the scope parameter is malformed",
            ));
        }
        if out.len() >= MAX_TOKENS {
            return Err(OAuthError::invalid_scope("too many scopes requested"));
        }
        if !out.iter().any(|t| t == token) {
            out.push(token.to_owned());
        }
    }
    Ok(out)
}

/// Checks that every requested token is in `allowed` (exact, case-sensitive): never widens.
pub fn require_subset(requested: &[String], allowed: &[String]) -> Result<(), OAuthError> {
    if requested.iter().all(|r| allowed.iter().any(|a| a == r)) {
        Ok(())
    } else {
        Err(OAuthError::invalid_scope(
            "a requested scope is unknown or not allowed for this client",
        ))
    }
}

/// Joins tokens with single spaces, in a stable (sorted) order.
pub fn join(tokens: &[String]) -> String {
    let set: BTreeSet<&str> = tokens.iter().map(String::as_str).collect();
    set.into_iter().collect::<Vec<_>>().join(" ")
}

/// Splits a stored (already validated) scope string.
pub fn split(stored: &str) -> Vec<String> {
    stored
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_parse_rejects_double_spaces_tabs_and_quotes() {
        assert!(parse("a  b").is_err());
        assert!(parse("a\tb").is_err());
        assert!(parse("a\"b").is_err());
        assert_eq!(parse("b a b").unwrap(), vec!["b", "a"]);
    }

    #[test]
    fn scope_subset_is_case_sensitive() {
        let allowed = vec!["roster.readonly".to_owned()];
        assert!(require_subset(&["ROSTER.readonly".to_owned()], &allowed).is_err());
        assert!(require_subset(&["roster.readonly".to_owned()], &allowed).is_ok());
    }
}

//! [`Page`] and RFC 8288 `Link` header parsing.

use url::Url;

/// One page of a collection: the decoded body plus the paging headers.
#[derive(Clone, Debug, PartialEq)]
pub struct Page<T> {
    /// The decoded body (the wrapper struct, e.g. `UserSetDType`).
    pub body: T,
    /// `X-Total-Count`, when present and a number.
    pub total: Option<u64>,
    /// The `Link: rel="next"` target, resolved against the request URL.
    pub next: Option<Url>,
    /// Every `Link` entry as (relation type, resolved target), in header order; an entry with
    /// several relation types appears once per type.
    pub links: Vec<(String, Url)>,
}

impl<T> Page<T> {
    /// The first link with relation type `rel` (case-insensitive, as RFC 8288 says).
    pub fn link(&self, rel: &str) -> Option<&Url> {
        self.links
            .iter()
            .find(|(r, _)| r.eq_ignore_ascii_case(rel))
            .map(|(_, u)| u)
    }
}

/// Parses `Link` header values (RFC 8288 §3) into (relation type, target) pairs, resolving
/// targets against `base` (the request URL). Relation types are lower-cased; an entry without
/// `rel` or with a target that does not resolve is skipped, and parsing resumes at the next
/// entry rather than failing the page.
///
/// ```
/// use ims_runtime::client::parse_link_header;
/// let base = url::Url::parse("https://h/ims/users?limit=2").unwrap();
/// let links = parse_link_header(r#"</ims/users?limit=2&offset=2>; rel="next", <https://h/x,y>; rel="last first""#, &base);
/// assert_eq!(links[0].0, "next");
/// assert_eq!(links[0].1.as_str(), "https://h/ims/users?limit=2&offset=2");
/// assert_eq!(links[1].1.as_str(), "https://h/x,y");
/// assert_eq!(links[2].0, "first");
/// ```
pub fn parse_link_header(value: &str, base: &Url) -> Vec<(String, Url)> {
    let mut out = Vec::new();
    let mut rest = value;
    loop {
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_ascii_whitespace());
        let Some(after_lt) = rest.strip_prefix('<') else {
            // Garbage before an entry: skip to the next comma outside quotes.
            match skip_to_next_entry(rest) {
                Some(r) => {
                    rest = r;
                    continue;
                }
                None => break,
            }
        };
        let Some(end) = after_lt.find('>') else {
            break;
        };
        let target = &after_lt[..end];
        rest = &after_lt[end + 1..];
        let (params, remaining) = parse_params(rest);
        rest = remaining;
        let rels = params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("rel"))
            .map(|(_, v)| v.clone());
        if let (Some(rels), Ok(url)) = (rels, base.join(target.trim())) {
            for rel in rels.split_ascii_whitespace() {
                out.push((rel.to_ascii_lowercase(), url.clone()));
            }
        }
        if rest.is_empty() {
            break;
        }
    }
    out
}

/// Skips to just after the next `,` that is not inside a quoted string.
fn skip_to_next_entry(s: &str) -> Option<&str> {
    let mut in_quotes = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_quotes => escaped = true,
            '"' => in_quotes = !in_quotes,
            ',' if !in_quotes => return Some(&s[i + 1..]),
            _ => {}
        }
    }
    None
}

/// Parses `; name=value` / `; name="quoted"` / `; name` parameters up to the entry's end.
fn parse_params(mut s: &str) -> (Vec<(String, String)>, &str) {
    let mut params = Vec::new();
    loop {
        s = s.trim_start();
        let Some(after) = s.strip_prefix(';') else {
            // End of this entry (a comma or the end of the header, or garbage we skip).
            return (params, skip_to_next_entry(s).unwrap_or(""));
        };
        let after = after.trim_start();
        let name_len = after
            .find(|c: char| c == '=' || c == ';' || c == ',' || c.is_ascii_whitespace())
            .unwrap_or(after.len());
        let name = after[..name_len].to_owned();
        let mut rest = after[name_len..].trim_start();
        let mut value = String::new();
        if let Some(v) = rest.strip_prefix('=') {
            let v = v.trim_start();
            if let Some(q) = v.strip_prefix('"') {
                let mut escaped = false;
                let mut end = q.len();
                for (i, c) in q.char_indices() {
                    if escaped {
                        value.push(c);
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        end = i + 1;
                        break;
                    } else {
                        value.push(c);
                    }
                }
                rest = &q[end.min(q.len())..];
            } else {
                let len = v
                    .find(|c: char| c == ';' || c == ',' || c.is_ascii_whitespace())
                    .unwrap_or(v.len());
                value = v[..len].to_owned();
                rest = &v[len..];
            }
        }
        if !name.is_empty() {
            params.push((name, value));
        }
        s = rest;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn base() -> Url {
        Url::parse("https://example.test/base/users?limit=10").unwrap()
    }

    #[test]
    fn quoted_commas_and_semicolons_do_not_split_entries() {
        let links = parse_link_header(
            r#"<?offset=10>; title="a, b; c"; rel=next, <?offset=0>; rel="prev""#,
            &base(),
        );
        assert_eq!(links.len(), 2);
        assert_eq!(links[0].0, "next");
        assert_eq!(
            links[0].1.as_str(),
            "https://example.test/base/users?offset=10"
        );
        assert_eq!(links[1].0, "prev");
    }

    #[test]
    fn entries_without_rel_or_with_garbage_are_skipped() {
        let links = parse_link_header(r#"junk, <a>; x=1, <b>; REL="Next""#, &base());
        assert_eq!(links.len(), 1);
        assert_eq!(links[0].0, "next");
        assert_eq!(links[0].1.as_str(), "https://example.test/base/b");
    }

    #[test]
    fn unterminated_target_ends_parsing_without_panicking() {
        assert!(parse_link_header("<https://x/", &base()).is_empty());
        assert!(parse_link_header("", &base()).is_empty());
        assert!(parse_link_header(r#"<a>; rel="next"#, &base()).len() == 1);
    }
}

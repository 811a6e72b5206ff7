//! A fuzzed HTTP request as text, so corpus files are readable and easy to write by hand:
//!
//! ```text
//! [METHOD /path]            <- only where the target lets the input choose (oauth_register)
//! name: value               <- header lines, any number
//!                           <- one empty line
//! body bytes…               <- the rest, verbatim
//! ```
//!
//! Lines end with `\n` (a `\r` before it is dropped). Header lines that are not valid HTTP
//! (bad name or value bytes, no `:`) are skipped rather than ending the input, so the fuzzer can
//! still reach the body.

use ims_runtime::axum::http::{HeaderMap, HeaderName, HeaderValue, Method};

/// A request read from fuzz input.
#[derive(Debug, Default)]
pub struct TextRequest {
    /// The request line's method and target, when the caller asked for one and it was valid.
    pub request_line: Option<(Method, String)>,
    /// The headers, in order (repeats kept).
    pub headers: HeaderMap,
    /// Everything after the first empty line.
    pub body: Vec<u8>,
}

/// Splits `input` into head and body at the first empty line, then reads the head.
pub fn parse(input: &[u8], with_request_line: bool) -> TextRequest {
    let (head, body) = split_head(input);
    let mut lines = head
        .split(|b| *b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let mut request = TextRequest {
        body: body.to_vec(),
        ..TextRequest::default()
    };
    if with_request_line {
        request.request_line = lines.next().and_then(request_line);
    }
    for line in lines {
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            continue;
        };
        let (name, value) = (&line[..colon], line[colon + 1..].trim_ascii());
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.trim_ascii()),
            HeaderValue::from_bytes(value),
        ) {
            request.headers.append(name, value);
        }
    }
    request
}

fn split_head(input: &[u8]) -> (&[u8], &[u8]) {
    for (i, window) in input.windows(2).enumerate() {
        if window == b"\n\n" {
            return (&input[..i], &input[i + 2..]);
        }
    }
    for (i, window) in input.windows(4).enumerate() {
        if window == b"\r\n\r\n" {
            return (&input[..i], &input[i + 4..]);
        }
    }
    (input, &[])
}

fn request_line(line: &[u8]) -> Option<(Method, String)> {
    let text = std::str::from_utf8(line).ok()?;
    let (method, target) = text.split_once(' ')?;
    let method = Method::from_bytes(method.as_bytes()).ok()?;
    Some((method, target.trim().to_owned()))
}

/// Replaces each `$NAME` of `substitutions` in `input` (longest names first, so `$CLIENT_ID`
/// is not read as `$CLIENT` + `_ID`): how corpus files name credentials that exist only once
/// the harness has created them.
pub fn substitute(input: &[u8], substitutions: &[(String, String)]) -> Vec<u8> {
    if !input.contains(&b'$') {
        return input.to_vec();
    }
    let mut out = Vec::with_capacity(input.len());
    let mut rest = input;
    'outer: while let Some((&first, tail)) = rest.split_first() {
        if first == b'$' {
            for (name, value) in substitutions {
                if let Some(after) = tail.strip_prefix(name.as_bytes()) {
                    out.extend_from_slice(value.as_bytes());
                    rest = after;
                    continue 'outer;
                }
            }
        }
        out.push(first);
        rest = tail;
    }
    out
}

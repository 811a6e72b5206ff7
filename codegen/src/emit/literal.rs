//! Rust literals for values taken from the SDD: always escaped, never spliced raw.

/// A normal string literal (`"…"` with every special character escaped).
///
/// ```
/// use ims_codegen::emit::literal::str_lit;
/// assert_eq!(str_lit("a \"b\"\n"), r#""a \"b\"\n""#);
/// ```
pub fn str_lit(value: &str) -> String {
    // `Debug` for `str` yields a valid Rust literal: quotes, backslashes and control characters
    // are escaped, everything else is kept.
    format!("{value:?}")
}

/// A raw string literal with enough `#`s for `value` (for large texts such as the SDD).
///
/// ```
/// use ims_codegen::emit::literal::raw_str_lit;
/// assert_eq!(raw_str_lit("plain"), "r#\"plain\"#");
/// assert_eq!(raw_str_lit("a\"#b"), "r##\"a\"#b\"##");
/// ```
pub fn raw_str_lit(value: &str) -> String {
    // The literal ends at `"` followed by as many `#`s as it opened with: use one more `#` than
    // the longest run after any `"` in the text.
    let mut longest = 0usize;
    let bytes = value.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'"' {
            let run = bytes[i + 1..].iter().take_while(|c| **c == b'#').count();
            longest = longest.max(run);
        }
    }
    let hashes = "#".repeat(longest + 1);
    format!("r{hashes}\"{value}\"{hashes}")
}

/// `::core::option::Option::Some("…")` or `::core::option::Option::None`.
///
/// ```
/// use ims_codegen::emit::literal::opt_str_lit;
/// assert_eq!(opt_str_lit(None), "::core::option::Option::None");
/// assert_eq!(opt_str_lit(Some("x")), "::core::option::Option::Some(\"x\")");
/// ```
pub fn opt_str_lit(value: Option<&str>) -> String {
    match value {
        Some(v) => format!("::core::option::Option::Some({})", str_lit(v)),
        None => "::core::option::Option::None".to_owned(),
    }
}

/// A `&[&str]` slice literal of `values`, e.g. `&["a", "b"]`.
///
/// ```
/// use ims_codegen::emit::literal::str_slice_lit;
/// assert_eq!(str_slice_lit(["a", "b"]), r#"&["a", "b"]"#);
/// assert_eq!(str_slice_lit([]), "&[]");
/// ```
pub fn str_slice_lit<'a>(values: impl IntoIterator<Item = &'a str>) -> String {
    let items: Vec<String> = values.into_iter().map(str_lit).collect();
    format!("&[{}]", items.join(", "))
}

/// Escapes Unicode bidirectional controls in compact JSON as `\uXXXX` (same JSON value), so the
/// text can sit in a Rust literal: rustc denies them raw (`text_direction_codepoint_in_literal`).
///
/// ```
/// use ims_codegen::emit::literal::json_escape_bidi;
/// assert_eq!(json_escape_bidi("{\"a\":\"x\u{202e}y\"}"), r#"{"a":"x\u202ey"}"#);
/// ```
pub fn json_escape_bidi(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if crate::emit::doc::is_bidi_control(c) {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// Lays compact JSON out over lines: inside the first `depth` levels of objects and arrays every
/// member starts a line, indented two spaces per level, with a space after its key; deeper values
/// stay compact. The JSON value
/// is unchanged (only whitespace between tokens is added), so any parser reads the same document.
///
/// ```
/// use ims_codegen::emit::literal::json_lines;
/// assert_eq!(json_lines(r#"{"a":{"b":[1,2]},"c":[]}"#, 1), "{\n  \"a\": {\"b\":[1,2]},\n  \"c\": []\n}");
/// assert_eq!(json_lines(r#"{"s":"{,:}"}"#, 2), "{\n  \"s\": \"{,:}\"\n}");
/// ```
pub fn json_lines(json: &str, depth: usize) -> String {
    let mut out = String::with_capacity(json.len() + json.len() / 8);
    let newline = |out: &mut String, level: usize| {
        out.push('\n');
        out.push_str(&"  ".repeat(level));
    };
    let mut level = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = json.chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                level += 1;
                out.push(c);
                let empty = matches!(chars.peek(), Some('}' | ']'));
                if level <= depth && !empty {
                    newline(&mut out, level);
                }
            }
            '}' | ']' => {
                let empty = out.ends_with(['{', '[']);
                if level <= depth && !empty {
                    newline(&mut out, level - 1);
                }
                level = level.saturating_sub(1);
                out.push(c);
            }
            ',' => {
                out.push(c);
                if level <= depth {
                    newline(&mut out, level);
                }
            }
            ':' if level <= depth => out.push_str(": "),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_literals_survive_any_content() {
        for text in [
            "",
            "\"",
            "\"#",
            "\"###\"##",
            "{\"a\":\"b#\"}",
            "line\nbreak\\",
        ] {
            let lit = raw_str_lit(text);
            let parsed: syn::LitStr = syn::parse_str(&lit).unwrap();
            assert_eq!(parsed.value(), text);
        }
    }

    #[test]
    fn laid_out_json_is_the_same_value() {
        let json =
            r#"{"a":[{"b":"x\"},{[\\"},{}],"c":{"d":{"e":[1,{"f":null}]}},"g":[],"h":"\u202e"}"#;
        let value: serde_json::Value = serde_json::from_str(json).unwrap();
        for depth in 0..6 {
            let laid_out = json_lines(json, depth);
            let again: serde_json::Value = serde_json::from_str(&laid_out).unwrap();
            assert_eq!(again, value, "depth {depth}:\n{laid_out}");
        }
        assert_eq!(json_lines(json, 0), json);
    }

    #[test]
    fn string_literals_round_trip_control_and_unicode_characters() {
        for text in ["\u{0}\u{7f}", "tab\tquote\"", "日本 é", "\r\n", "{}"] {
            let parsed: syn::LitStr = syn::parse_str(&str_lit(text)).unwrap();
            assert_eq!(parsed.value(), text);
        }
    }
}

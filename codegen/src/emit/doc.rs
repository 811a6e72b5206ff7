//! Doc comments from SDD prose, made safe for rustdoc and clippy.
//!
//! SDD descriptions are free text. Put verbatim into `///` they can turn into doctests (indented
//! or fenced blocks), broken intra-doc links (`[x]`), HTML (`<b>`), bare-URL warnings, or clippy
//! `doc_lazy_continuation` errors. So the text is normalized:
//!
//! - paragraphs (separated by blank lines) are reflowed to one line each, list items (`- `, `* `,
//!   `1. `) start their own line: no indentation and no continuation lines remain;
//! - outside inline code spans, `\`, `[`, `]`, `<`, `>`, `*`, `_` and `#` are backslash-escaped
//!   and code fences are neutralized; inline code spans are kept;
//! - `http(s)://` URLs become autolinks `<…>`.
//!
//! The result is emitted as `#[doc = "…"]` attributes with escaped string literals, so no input
//! can end the comment or inject code.

use crate::emit::literal::str_lit;

/// Unicode bidirectional embedding, override and isolate characters (what rustc lints against).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn is_list_item(line: &str) -> bool {
    let bytes = line.as_bytes();
    if line.starts_with("- ") || line.starts_with("* ") || line.starts_with("+ ") {
        return true;
    }
    let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
    digits > 0 && digits < 10 && line[digits..].starts_with(". ")
}

/// Escapes Markdown-significant characters outside inline code and autolinks URLs.
fn escape_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    // A list marker at the start of the line stays meaningful.
    let (marker, rest) = if is_list_item(line) {
        let split = line.find(' ').map_or(0, |i| i + 1);
        line.split_at(split)
    } else {
        ("", line)
    };
    out.push_str(marker);
    let backticks = rest.matches('`').count();
    let mut in_code = false;
    let mut chars = rest.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '`' {
            // Fences (three or more backticks) would open a code block: escape them; a single
            // unbalanced backtick is escaped too so it cannot swallow the rest of the comment.
            let run = rest[i..].chars().take_while(|c| *c == '`').count();
            if run >= 3 || backticks % 2 == 1 {
                for _ in 0..run {
                    out.push_str("\\`");
                }
                for _ in 1..run {
                    chars.next();
                }
                continue;
            }
            in_code = !in_code;
            out.push(c);
            continue;
        }
        if in_code {
            out.push(c);
            continue;
        }
        if (c == 'h') && (rest[i..].starts_with("https://") || rest[i..].starts_with("http://")) {
            let len = rest[i..]
                .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '`'))
                .unwrap_or(rest.len() - i);
            let mut url = &rest[i..i + len];
            url = url.trim_end_matches(['.', ',', ';', ':', ')', '!', '?', '\'']);
            out.push('<');
            out.push_str(url);
            out.push('>');
            for _ in 1..url.chars().count() {
                chars.next();
            }
            continue;
        }
        match c {
            '\\' | '[' | ']' | '<' | '>' | '*' | '_' | '#' | '~' | '|' => {
                out.push('\\');
                out.push(c);
            }
            '\t' => out.push(' '),
            // Control and bidirectional-override characters are dropped: rustc denies the latter
            // in comments (`text_direction_codepoint_in_comment`).
            c if c.is_control() || is_bidi_control(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// The doc text as lines (see the module docs); empty input gives no lines.
///
/// ```
/// use ims_codegen::emit::doc::doc_lines;
/// assert_eq!(doc_lines("Reads\n   one org.\n\n- a\n  b"), ["Reads one org.", "", "- a b"]);
/// assert_eq!(doc_lines("see [x] <b>"), ["see \\[x\\] \\<b\\>"]);
/// ```
pub fn doc_lines(text: &str) -> Vec<String> {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut out: Vec<String> = Vec::new();
    for paragraph in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        if !out.is_empty() {
            out.push(String::new());
        }
        let mut current = String::new();
        for line in paragraph.lines().map(str::trim).filter(|l| !l.is_empty()) {
            if !current.is_empty() && is_list_item(line) {
                out.push(escape_line(&current));
                current.clear();
            }
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(line);
        }
        if !current.is_empty() {
            out.push(escape_line(&current));
        }
    }
    out
}

/// `#[doc = "…"]` attributes for `text`, one per line (nothing for empty text).
pub fn doc_attrs(text: &str) -> String {
    doc_attrs_from_lines(&doc_lines(text))
}

/// `#[doc = "…"]` attributes for already-safe lines (e.g. ones built by the generator).
pub fn doc_attrs_from_lines(lines: &[String]) -> String {
    let mut out = String::new();
    for line in lines {
        let content = if line.is_empty() {
            String::new()
        } else {
            format!(" {line}")
        };
        out.push_str("#[doc = ");
        out.push_str(&str_lit(&content));
        out.push_str("]\n");
    }
    out
}

/// Builds doc lines from several parts: a first line the generator writes (already safe) and
/// optional SDD prose, separated by blank lines.
#[derive(Debug, Default, Clone)]
pub struct DocBuilder {
    lines: Vec<String>,
}

impl DocBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    fn separate(&mut self) {
        if !self.lines.is_empty() {
            self.lines.push(String::new());
        }
    }

    /// Adds a paragraph the generator wrote itself (trusted Markdown, one line; it may quote
    /// SDD names in code spans, so bidirectional controls are still removed). An empty line adds
    /// nothing.
    pub fn trusted(mut self, line: impl Into<String>) -> Self {
        let line: String = line
            .into()
            .chars()
            .filter(|c| !is_bidi_control(*c))
            .collect();
        if !line.is_empty() {
            self.separate();
            self.lines.push(line);
        }
        self
    }

    /// Adds SDD prose, escaped (nothing if `None` or blank).
    pub fn prose(mut self, text: Option<&str>) -> Self {
        let lines = text.map(doc_lines).unwrap_or_default();
        if !lines.is_empty() {
            self.separate();
            self.lines.extend(lines);
        }
        self
    }

    /// The `#[doc]` attributes.
    pub fn attrs(&self) -> String {
        doc_attrs_from_lines(&self.lines)
    }
}

/// Escapes text for use inside Markdown inline code written by the generator (`` `…` ``).
///
/// Backticks cannot be escaped inside a code span, so they are replaced by `'`.
pub fn code_span(text: &str) -> String {
    format!("`{}`", text.replace('`', "'").replace(['\n', '\r'], " "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indented_text_cannot_become_a_doctest() {
        let lines = doc_lines("Example:\n\n    let x = 1;\n\n```rust\nfn main() {}\n```");
        assert!(lines.iter().all(|l| !l.starts_with(' ')));
        assert!(lines.iter().all(|l| !l.contains("```")));
    }

    #[test]
    fn list_items_keep_their_own_lines_without_continuations() {
        assert_eq!(
            doc_lines("Values:\n- active\n  meaning in use\n- tobedeleted\n1. one\n2. two"),
            [
                "Values:",
                "- active meaning in use",
                "- tobedeleted",
                "1. one",
                "2. two"
            ]
        );
    }

    #[test]
    fn urls_become_autolinks_and_code_spans_stay() {
        assert_eq!(
            doc_lines("See https://www.imsglobal.org/spec (the spec). Use `a[0]`."),
            ["See <https://www.imsglobal.org/spec> (the spec). Use `a[0]`."]
        );
    }

    #[test]
    fn unbalanced_backticks_are_escaped() {
        assert_eq!(doc_lines("a ` b"), ["a \\` b"]);
    }

    #[test]
    fn doc_attributes_parse_whatever_the_text() {
        for text in [
            "*/ \" \\ \n\n\t#![allow]",
            "]\n#[doc = \"x\"]",
            "\u{0}\u{202e}",
            "😀 é",
        ] {
            let attrs = doc_attrs(text);
            let src = format!("{attrs}pub struct S;");
            let file: syn::File = syn::parse_str(&src).unwrap();
            assert_eq!(file.items.len(), 1);
        }
    }

    #[test]
    fn bidirectional_controls_never_reach_comments() {
        let lines = doc_lines("abc\u{202e}def\u{2066}");
        assert_eq!(lines, ["abcdef"]);
        let attrs = DocBuilder::new().trusted("`x\u{202d}`").attrs();
        assert!(!attrs.chars().any(is_bidi_control));
    }

    #[test]
    fn builder_separates_paragraphs() {
        let attrs = DocBuilder::new()
            .trusted("`GET /orgs`")
            .prose(Some("Reads orgs."))
            .prose(None)
            .attrs();
        assert_eq!(
            attrs,
            "#[doc = \" `GET /orgs`\"]\n#[doc = \"\"]\n#[doc = \" Reads orgs.\"]\n"
        );
    }
}

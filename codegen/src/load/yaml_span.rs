//! Finds the line:col of a key in YAML source text.
//!
//! `serde_yaml` reports positions for syntax and type errors, but its `Value` carries no spans, so
//! semantic checks made after deserialization (a bad module name, a missing SDD file, an `implies`
//! naming an unknown scope) use this small lookup to point at the offending key. It understands the
//! block style used by `model.yaml` files and single-line flow mappings (`key: { implies: [a] }`);
//! when it cannot find a nested key it falls back to the closest parent it found.

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

/// Returns the position of the key at `path` (a list of mapping keys from the root), or of the
/// deepest prefix of it that exists. `None` only when not even the first key is found.
pub fn find_key(src: &str, path: &[&str]) -> Option<Span> {
    let lines: Vec<&str> = src.lines().collect();
    let mut found: Option<Span> = None;
    for (depth, key) in path.iter().enumerate() {
        // Flow style: `parent: { key: … }` on the parent's own line.
        if let Some(prev) = found {
            let line = lines.get(prev.line - 1).copied().unwrap_or("");
            if let Some(column) = flow_key_column(line, prev.column, key) {
                found = Some(Span {
                    line: prev.line,
                    column,
                });
                continue;
            }
        }
        // Block style: children sit on the following lines, at the indentation of the first one.
        let (first, parent_col) = match found {
            None => (0, None),
            Some(prev) => (prev.line, Some(prev.column - 1)),
        };
        let mut child_col: Option<usize> = if depth == 0 { Some(0) } else { None };
        let mut hit = None;
        for (i, raw) in lines.iter().enumerate().skip(first) {
            let line = strip_comment(raw);
            if line.trim().is_empty() || line.trim_start().starts_with("---") {
                continue;
            }
            let col = content_column(line);
            if let Some(p) = parent_col
                && col <= p
            {
                break;
            }
            let want = *child_col.get_or_insert(col);
            if col == want
                && let Some(c) = key_column(line, key)
            {
                hit = Some(Span {
                    line: i + 1,
                    column: c + 1,
                });
                break;
            }
        }
        match hit {
            Some(span) => found = Some(span),
            None => return found,
        }
    }
    found
}

/// Column (0-based) where the content of `line` starts, after indentation and `- ` markers.
fn content_column(line: &str) -> usize {
    let mut col = indentation(line);
    let mut rest = &line[col..];
    while let Some(r) = rest.strip_prefix("- ") {
        let trimmed = r.trim_start_matches(' ');
        col += rest.len() - trimmed.len();
        rest = trimmed;
    }
    col
}

/// Returns the position of the first occurrence of `needle` as a scalar value (bare or quoted)
/// at or after the key at `path`, within that key's block.
pub fn find_value_after(src: &str, path: &[&str], needle: &str) -> Option<Span> {
    let key = find_key(src, path)?;
    let lines: Vec<&str> = src.lines().collect();
    let key_indent = indentation(lines.get(key.line - 1)?);
    for (i, raw) in lines.iter().enumerate().skip(key.line - 1) {
        let line = strip_comment(raw);
        if i >= key.line && !line.trim().is_empty() && indentation(line) <= key_indent {
            break;
        }
        let from = if i == key.line - 1 { key.column - 1 } else { 0 };
        if let Some(pos) = find_scalar(&line[from.min(line.len())..], needle) {
            return Some(Span {
                line: i + 1,
                column: from + pos + 1,
            });
        }
    }
    Some(key)
}

fn find_scalar(hay: &str, needle: &str) -> Option<usize> {
    let mut offset = 0;
    while let Some(pos) = hay[offset..].find(needle) {
        let at = offset + pos;
        let before = hay[..at].chars().next_back();
        let after = hay[at + needle.len()..].chars().next();
        let ok_before = before.is_none_or(|c| " \t[,{:\"'-".contains(c));
        let ok_after = after.is_none_or(|c| " \t],}:\"'#".contains(c));
        if ok_before && ok_after {
            return Some(at);
        }
        offset = at + needle.len();
    }
    None
}

fn indentation(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn strip_comment(line: &str) -> &str {
    // A `#` starts a comment when it begins the line or follows whitespace, outside quotes.
    let mut quote: Option<char> = None;
    let mut prev = ' ';
    for (i, c) in line.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '#' && prev.is_whitespace() => return &line[..i],
            None => {}
        }
        prev = c;
    }
    line
}

/// Column (0-based) of `key` when `line` is `key:` / `- key:` / `"key":` at its start.
fn key_column(line: &str, key: &str) -> Option<usize> {
    let indent = indentation(line);
    let mut rest = &line[indent..];
    let mut col = indent;
    while let Some(r) = rest.strip_prefix("- ") {
        let trimmed = r.trim_start_matches(' ');
        col += rest.len() - trimmed.len();
        rest = trimmed;
    }
    for candidate in [key.to_string(), format!("\"{key}\""), format!("'{key}'")] {
        if let Some(after) = rest.strip_prefix(candidate.as_str()) {
            let after = after.trim_start_matches(' ');
            if after.starts_with(':') {
                return Some(col);
            }
        }
    }
    None
}

/// 1-based column of `key:` inside a flow mapping on `line`, searching after 1-based `from`.
fn flow_key_column(line: &str, from: usize, key: &str) -> Option<usize> {
    let from = from.min(line.len());
    let tail = &line[from..];
    let brace = tail.find('{')?;
    let mut offset = brace;
    while let Some(pos) = tail[offset..].find(key) {
        let at = offset + pos;
        let before = tail[..at]
            .trim_end_matches([' ', '"', '\''])
            .chars()
            .next_back();
        let after = tail[at + key.len()..].trim_start_matches(['"', '\'', ' ']);
        if matches!(before, Some('{') | Some(',')) && after.starts_with(':') {
            return Some(from + at + 1);
        }
        offset = at + key.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = "\
spec: OneRoster   # family
module: bad-name
security:
  pattern: client-credentials
  same_requirement_scopes: any
scopes:
  https://purl.example/scope/a: { implies: [b.readonly, c] }
  https://purl.example/scope/b.readonly:
    description: B
    implies:
      - zzz
";

    #[test]
    fn finds_top_level_and_nested_keys() {
        assert_eq!(
            find_key(SRC, &["module"]),
            Some(Span { line: 2, column: 1 })
        );
        assert_eq!(
            find_key(SRC, &["security", "same_requirement_scopes"]),
            Some(Span { line: 5, column: 3 })
        );
        assert_eq!(
            find_key(
                SRC,
                &["scopes", "https://purl.example/scope/b.readonly", "implies"]
            ),
            Some(Span {
                line: 10,
                column: 5
            })
        );
    }

    #[test]
    fn finds_keys_in_flow_mappings() {
        assert_eq!(
            find_key(SRC, &["scopes", "https://purl.example/scope/a", "implies"]),
            Some(Span {
                line: 7,
                column: 35
            })
        );
    }

    #[test]
    fn missing_child_falls_back_to_parent() {
        assert_eq!(
            find_key(SRC, &["security", "nope"]),
            Some(Span { line: 3, column: 1 })
        );
        assert_eq!(find_key(SRC, &["nope"]), None);
    }

    #[test]
    fn finds_values_after_a_key() {
        assert_eq!(
            find_value_after(
                SRC,
                &["scopes", "https://purl.example/scope/b.readonly", "implies"],
                "zzz"
            ),
            Some(Span {
                line: 11,
                column: 9
            })
        );
        assert_eq!(
            find_value_after(
                SRC,
                &["scopes", "https://purl.example/scope/a", "implies"],
                "c"
            ),
            Some(Span {
                line: 7,
                column: 57
            })
        );
    }
}

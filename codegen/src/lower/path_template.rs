//! Path templates (`/schools/{schoolSourcedId}/classes`), parsed once: validation, the variable
//! names, the shape two paths collide on, whether a router can mount it, and the IR's
//! [`PathTemplate`] all come from [`parse`].

use crate::ir::{Operation, ParamLocation, PathSegment, PathTemplate};
use crate::lower::naming::field_name;

/// One piece of a parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Literal text (never contains `{` or `}`).
    Literal(&'a str),
    /// A `{name}` variable.
    Var(&'a str),
}

/// The pieces of `path`, or what is wrong with it: it must start with `/`, braces must pair up
/// without nesting, and variables must be non-empty, without `/`, and unique.
///
/// ```
/// use ims_codegen::lower::path_template::{parse, Piece};
/// assert_eq!(
///     parse("/orgs/{id}/x").unwrap(),
///     [Piece::Literal("/orgs/"), Piece::Var("id"), Piece::Literal("/x")]
/// );
/// assert!(parse("/orgs/{id").is_err());
/// ```
pub fn parse(path: &str) -> Result<Vec<Piece<'_>>, String> {
    if !path.starts_with('/') {
        return Err("a path must start with `/`".to_owned());
    }
    let mut pieces = Vec::new();
    let mut rest = path;
    while let Some(i) = rest.find(['{', '}']) {
        if rest.as_bytes()[i] == b'}' {
            return Err("`}` without a matching `{`".to_owned());
        }
        let after = &rest[i + 1..];
        let Some(end) = after.find(['{', '}']) else {
            return Err("`{` without a matching `}`".to_owned());
        };
        if after.as_bytes()[end] == b'{' {
            return Err("nested `{`".to_owned());
        }
        let name = &after[..end];
        if name.is_empty() || name.contains('/') {
            return Err(format!("invalid template variable `{{{name}}}`"));
        }
        if pieces.contains(&Piece::Var(name)) {
            return Err(format!("template variable `{{{name}}}` appears twice"));
        }
        if i > 0 {
            pieces.push(Piece::Literal(&rest[..i]));
        }
        pieces.push(Piece::Var(name));
        rest = &after[end + 1..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Literal(rest));
    }
    Ok(pieces)
}

/// The variables of a path template in order, or what is wrong with it.
///
/// ```
/// use ims_codegen::lower::path_template::template_vars;
/// assert_eq!(template_vars("/schools/{s}/classes/{c}").unwrap(), ["s", "c"]);
/// assert!(template_vars("/orgs/{id").is_err());
/// ```
pub fn template_vars(path: &str) -> Result<Vec<String>, String> {
    Ok(vars(&parse(path)?))
}

/// The variables of parsed pieces, in order.
pub fn vars(pieces: &[Piece<'_>]) -> Vec<String> {
    pieces
        .iter()
        .filter_map(|p| match p {
            Piece::Var(name) => Some((*name).to_owned()),
            Piece::Literal(_) => None,
        })
        .collect()
}

/// The template with every variable written `{}`: equal shapes collide in a router.
pub fn shape(pieces: &[Piece<'_>]) -> String {
    pieces
        .iter()
        .map(|p| match p {
            Piece::Literal(text) => text,
            Piece::Var(_) => "{}",
        })
        .collect()
}

/// Why a valid template cannot be mounted as a route (`None` when it can): every segment must be
/// literal text without `*`, or one whole `{name}` variable.
pub fn route_problem(pieces: &[Piece<'_>]) -> Option<String> {
    for (i, piece) in pieces.iter().enumerate() {
        match piece {
            Piece::Literal(text) if text.contains('*') => {
                return Some(format!("`{text}` contains `*`"));
            }
            Piece::Var(name) => {
                let after_slash =
                    i > 0 && matches!(pieces[i - 1], Piece::Literal(t) if t.ends_with('/'));
                let before_slash = match pieces.get(i + 1) {
                    None => true,
                    Some(Piece::Literal(t)) => t.starts_with('/'),
                    Some(Piece::Var(_)) => false,
                };
                if !(after_slash && before_slash) {
                    return Some(format!(
                        "`{{{name}}}` is not one whole `{{name}}` path segment"
                    ));
                }
            }
            Piece::Literal(_) => {}
        }
    }
    None
}

/// The IR template of a lowered operation: each variable tied to its path parameter's Rust name
/// (a variable without a parameter is an error reported while lowering parameters).
pub fn template_of(op: &Operation) -> PathTemplate {
    let pieces = parse(&op.path).unwrap_or_default();
    let segments = pieces
        .into_iter()
        .map(|p| match p {
            Piece::Literal(text) => PathSegment::Literal(text.to_owned()),
            Piece::Var(wire) => PathSegment::Param {
                wire: wire.to_owned(),
                arg: op
                    .params
                    .iter()
                    .find(|p| p.location == ParamLocation::Path && p.name == wire)
                    .map_or_else(|| field_name(wire), |p| p.rust_name.clone()),
            },
        })
        .collect();
    PathTemplate { segments }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(path: &str) -> Option<String> {
        route_problem(&parse(path).expect("valid template"))
    }

    #[test]
    fn routes_need_whole_segment_variables() {
        assert_eq!(problem("/a/{x}/b"), None);
        assert_eq!(problem("/a/{x}"), None);
        assert_eq!(problem("/"), None);
        assert!(problem("/a/{x}-{y}").is_some());
        assert!(problem("/files/{name}.json").is_some());
        assert!(problem("/a/*").is_some());
    }

    #[test]
    fn shapes_ignore_variable_names() {
        let a = parse("/schools/{s}/classes").expect("valid");
        let b = parse("/schools/{id}/classes").expect("valid");
        assert_eq!(shape(&a), shape(&b));
        assert_eq!(shape(&a), "/schools/{}/classes");
    }

    #[test]
    fn invalid_templates_say_why() {
        assert!(parse("orgs").is_err());
        assert!(parse("/a/{x}/{x}").is_err());
        assert!(parse("/a/{}").is_err());
        assert!(parse("/a/{x{y}}").is_err());
        assert!(parse("/a/x}").is_err());
    }
}

//! The base path operations are mounted under: `model.base_path`, else the path of the SDD's first
//! `servers` URL (with `{variables}` replaced by their defaults), else the root.
//!
//! The result starts with `/` and has no trailing `/`; the root is the empty string, so
//! `BASE_PATH + operation path` is always the full path.

use crate::diagnostics::{Diagnostic, Diagnostics, Location, codes};
use crate::load::LoadedSpec;

/// Normalizes a path: leading `/`, no trailing `/`, root as `""`.
///
/// ```
/// use ims_codegen::lower::base_path::normalize_base_path;
/// assert_eq!(normalize_base_path("ims/oneroster/v1p2/"), "/ims/oneroster/v1p2");
/// assert_eq!(normalize_base_path("/"), "");
/// ```
pub fn normalize_base_path(path: &str) -> String {
    let trimmed = path.trim().trim_end_matches('/');
    if trimmed.is_empty() {
        String::new()
    } else if trimmed.starts_with('/') {
        trimmed.to_owned()
    } else {
        format!("/{trimmed}")
    }
}

/// The service's base path (see the module docs).
pub fn base_path(loaded: &LoadedSpec, diags: &mut Diagnostics) -> String {
    if let Some(p) = &loaded.model.base_path {
        return normalize_base_path(p);
    }
    let Some(server) = loaded.openapi.servers.first() else {
        diags.push(
            Diagnostic::new(
                codes::NO_BASE_PATH,
                "the SDD declares no `servers` and the model no `base_path`: operations are mounted at the root",
                Location::pointer(&loaded.sdd_path, "/servers"),
            )
            .with_help("set `base_path` in the model"),
        );
        return String::new();
    };
    let mut url = server.url.clone();
    // Substitute `{name}` with the variable's default; an undefined variable is reported.
    let mut out = String::with_capacity(url.len());
    let mut rest = url.as_str();
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let name = &after[..end];
        match server.variables.as_ref().and_then(|v| v.get(name)) {
            Some(var) => out.push_str(&var.default),
            None => {
                diags.push(
                    Diagnostic::new(
                        codes::SERVER_VARIABLE_UNDEFINED,
                        format!("server URL variable `{{{name}}}` is not defined; it is left out of the base path"),
                        Location::pointer(&loaded.sdd_path, "/servers/0/url"),
                    )
                    .with_help("define it under `servers[0].variables`, or set `base_path` in the model"),
                );
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    url = out;
    normalize_base_path(url_path(&url))
}

/// The path part of an absolute or relative URL (no query or fragment).
fn url_path(url: &str) -> &str {
    let without_scheme = match url.find("://") {
        Some(i) => {
            let after = &url[i + 3..];
            match after.find('/') {
                Some(j) => &after[j..],
                None => "",
            }
        }
        None => url,
    };
    let end = without_scheme
        .find(['?', '#'])
        .unwrap_or(without_scheme.len());
    &without_scheme[..end]
}

#[cfg(test)]
mod tests {
    use super::url_path;

    #[test]
    fn url_path_strips_scheme_host_query_and_fragment() {
        assert_eq!(url_path("https://example.org/ims/ob/v3p0"), "/ims/ob/v3p0");
        assert_eq!(url_path("https://example.org"), "");
        assert_eq!(url_path("/ims/case/v1p1?x=1#f"), "/ims/case/v1p1");
    }
}

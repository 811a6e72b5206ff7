//! Generated source → checked, formatted source: `syn::parse_file`, then `prettyplease`.
//!
//! A template bug is reported as an error diagnostic naming the line and column of the broken
//! output; bad code never reaches the disk.

use crate::diagnostics::{Diagnostic, Location, codes};

/// Parses `source` as a Rust file and formats it. `what` names the output in diagnostics.
///
/// The file must also work through `include!`, so inner attributes (`#![…]`, `//!`) are refused.
///
/// ```
/// use ims_codegen::emit::format::format_file;
/// assert_eq!(format_file("pub const A:u8=1;", "test").unwrap(), "pub const A: u8 = 1;\n");
/// assert!(format_file("pub const A: = ;", "test").is_err());
/// assert!(format_file("#![allow(dead_code)] pub const A: u8 = 1;", "test").is_err());
/// ```
pub fn format_file(source: &str, what: &str) -> Result<String, Diagnostic> {
    let file = syn::parse_file(source).map_err(|e| {
        let start = e.span().start();
        let excerpt = source
            .lines()
            .nth(start.line.saturating_sub(1))
            .unwrap_or_default()
            .trim();
        let excerpt: String = excerpt.chars().take(160).collect();
        Diagnostic::new(
            codes::GENERATED_NOT_RUST,
            format!(
                "internal error: the generated {what} is not valid Rust: {e} (line {}, column {}: `{excerpt}`)",
                start.line,
                start.column + 1
            ),
            Location::None,
        )
        .with_help("this is a bug in ims-codegen's templates; please report it together with the SDD")
    })?;
    if !file.attrs.is_empty() || file.shebang.is_some() {
        return Err(Diagnostic::new(
            codes::GENERATED_INNER_ATTRIBUTES,
            format!(
                "internal error: the generated {what} has inner attributes, which `include!` cannot take"
            ),
            Location::None,
        )
        .with_help("this is a bug in ims-codegen's templates; put attributes on items instead"));
    }
    Ok(prettyplease::unparse(&file))
}

//! Procedural macros re-exported by `ims-runtime`.
//!
//! [`macro@ims_scope`] puts an IMS scope check on an async axum handler.

#![deny(missing_docs)]

mod ims_scope;

use proc_macro::TokenStream;

/// Requires the caller's access token to hold scopes before the handler body runs.
///
/// Arguments are scope string literals or paths to `&str` constants (e.g. generated
/// `scopes::ROSTER_CORE_READONLY`). Several arguments are alternatives (any one suffices); an
/// `all(...)` group lists scopes that must be held together.
///
/// ```
/// use ims_runtime::ims_scope;
///
/// #[ims_scope(
///     "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly",
///     "https://purl.imsglobal.org/spec/or/v1p2/scope/roster.readonly",
/// )]
/// async fn get_orgs(/* any extractors; a body extractor last */) -> &'static str {
///     "only reached with one of the two scopes"
/// }
///
/// // Still an axum handler, now behind the scope check.
/// let route: ims_runtime::axum::routing::MethodRouter = ims_runtime::axum::routing::get(get_orgs);
/// # drop(route);
/// ```
///
/// The handler gains a leading `::ims_runtime::resource_server::Scoped<_>` extractor that answers 401 without
/// a valid token and 403 `insufficient_scope` without the scopes. Mistakes (an empty list, a
/// non-async function, a malformed scope URI, a duplicate scope, an argument of the wrong kind)
/// are compile errors at the offending token; the handler is still emitted so nothing else breaks.
#[proc_macro_attribute]
pub fn ims_scope(attr: TokenStream, item: TokenStream) -> TokenStream {
    ims_scope::expand(attr.into(), item.into()).into()
}

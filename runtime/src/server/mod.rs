//! Serving a generated service: the pieces a generated `server` module (its `<Service>Service`
//! trait and `router(svc)`) is built from, and what in-memory implementations call.
//!
//! - [`RequestContext`]: who called ([`Principal`](crate::resource_server::Principal), if authenticated) and the
//!   request headers, handed to every trait method.
//! - [`RequestInput`]: the raw path, query, header and cookie values of a request, converted to
//!   typed parameters ([`params`]) and to a [`CollectionQuery`](crate::query::CollectionQuery).
//! - [`JsonBody`] / [`OptionalJsonBody`] / [`FormBody`] / [`RawBody`]: request bodies
//!   (415 / 400 / 422 / 413 as `imsx_StatusInfo`).
//! - [`respond`]: collection responses (`fields` projection inside the wrapper member,
//!   `X-Total-Count`, RFC 8288 `Link`) and single-object responses; [`Listed`] is what a
//!   collection method returns.
//! - [`Reply`], [`Handled`], [`json()`], [`empty()`], [`bytes()`] and [`collection()`]: what a
//!   generated trait method returns and what its handler answers with, so a handler is a few lines;
//!   [`unsupported()`]: the 501 "not implemented by this provider" every trait method answers
//!   until the implementer overrides it.
//! - [`linked`]: lists paged by an opaque token and `Link: rel="next"` (LTI AGS/NRPS;
//!   [`LinkedPage`] is what their methods return) and JSON sent as a vendor media type
//!   ([`json_as()`]).
//! - [`select()`]: filter, sort and page a slice of records in memory.
//! - [`ServiceRouter`]: mounts the operations under the base path, behind an
//!   [`AuthLayer`](crate::resource_server::AuthLayer), with the discovery endpoint beside it, an imsx 404
//!   fallback and 405 with `Allow`.

mod body;
mod context;
mod error_spelling;
mod handler;
mod input;
pub mod linked;
pub mod params;
pub mod respond;
mod router;
mod select;

pub use body::{DEFAULT_BODY_LIMIT, FormBody, JsonBody, OptionalJsonBody, RawBody};
pub use context::RequestContext;
pub use handler::{Handled, Reply, bytes, collection, empty, json, unsupported};
pub use input::{RequestInput, ServerSettings};
pub use linked::{LinkedPage, json_as, linked_page};
pub use respond::Listed;
pub use router::{ServiceRouter, positional_route};
pub use select::{Selection, select};

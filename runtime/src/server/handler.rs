//! What generated handlers are made of, so each one is a few lines: the [`Reply`] future a
//! service trait method returns, the [`Handled`] result of a handler, the answers
//! ([`json`], [`empty`], [`bytes`]) and the whole of a collection operation ([`collection`]).
//!
//! A generated handler reads its parameters from [`RequestInput`] by the operation's catalogue
//! entry, calls the trait method and answers with one of these:
//!
//! (from the generated OneRoster 1.2 Rostering module, `generated-example/src/generated/`)
//!
//! <!-- compiled: generated-example/src/generated/oneroster_v1p2_rostering.rs -->
//! ```ignore
//! #[rt::ims_scope(super::scopes::ROSTER_CORE_READONLY, super::scopes::ROSTER_READONLY)]
//! async fn handle_get_user<S: RosteringService>(
//!     rt::State(svc): rt::State<rt::Arc<S>>,
//!     ctx: rt::RequestContext,
//!     input: rt::RequestInput,
//! ) -> rt::Handled {
//!     let op = &ops::GET_USER;
//!     let arg_sourced_id = input.required(op, "sourcedId")?;
//!     let fields = input.fields()?;
//!     let out = svc.get_user(ctx, arg_sourced_id).await?;
//!     rt::server::json(200, &out, fields, rt::Some("user"), USER_D_TYPE_MEMBERS)
//! }
//! ```

use std::future::Future;

use axum::response::Response;
use serde::Serialize;

use super::input::RequestInput;
use super::respond::{self, Listed};
use crate::catalogue::OperationInfo;
use crate::imsx::ImsError;
use crate::query::CollectionQuery;
use crate::query::fields::Fields;

/// What a generated handler returns: the response, or an `imsx_StatusInfo` error.
pub type Handled = Result<Response, ImsError>;

/// The future a generated service trait method returns: `Result<T, ImsError>`, `Send` so the
/// router can run it on any worker. Implement the method as an `async fn`; any such future is a
/// `Reply`.
pub trait Reply<T>: Future<Output = Result<T, ImsError>> + Send {}

impl<T, F: Future<Output = Result<T, ImsError>> + Send> Reply<T> for F {}

/// The answer of an operation the provider does not implement: 501 with `imsx_codeMajor`
/// `unsupported` naming `op` ([`ImsError::unsupported`]). Every method of a generated service
/// trait returns this until the implementer overrides it, so a provider implements the subset
/// of a spec it serves.
///
/// ```
/// use ims_runtime::catalogue::{Method, OperationInfo};
/// static GET_ALL_USERS: OperationInfo =
///     OperationInfo::new(Method::Get, "/users", &[]).id("getAllUsers", "get_all_users");
/// let reply = ims_runtime::server::unsupported::<()>(&GET_ALL_USERS);
/// let error = reply.into_inner().unwrap_err();
/// assert_eq!(error.status(), http::StatusCode::NOT_IMPLEMENTED);
/// assert_eq!(error.description(), "getAllUsers is not implemented by this provider");
/// ```
pub fn unsupported<T: Send>(op: &OperationInfo) -> std::future::Ready<Result<T, ImsError>> {
    std::future::ready(Err(ImsError::unsupported(op.id)))
}

/// A JSON answer with status `status`: `body` with `fields` applied inside the `wrapper` member
/// (or to the top-level object), restricted to the record's `members` (empty: any member).
///
/// # Errors
/// None today; the `Result` lets a handler end with this call.
pub fn json<T: Serialize>(
    status: u16,
    body: &T,
    fields: Option<Fields>,
    wrapper: Option<&str>,
    members: &[&str],
) -> Handled {
    Ok(respond::json(
        respond::status(status),
        body,
        fields.as_ref(),
        wrapper,
        members,
    ))
}

/// An answer without a body.
///
/// # Errors
/// None today; the `Result` lets a handler end with this call.
pub fn empty(status: u16) -> Handled {
    Ok(respond::empty(respond::status(status)))
}

/// A non-JSON answer: `body` sent as `media_type`.
///
/// # Errors
/// None today; the `Result` lets a handler end with this call.
pub fn bytes(status: u16, media_type: &str, body: Vec<u8>) -> Handled {
    Ok(respond::bytes(respond::status(status), media_type, body))
}

/// A whole collection operation: reads the IMS collection parameters (checking the filter's
/// fields against the record's `members`), runs `call` with them, and answers 200 with the page
/// (`fields` applied inside `wrapper`), `X-Total-Count` and `Link`.
///
/// # Errors
/// 400 for bad collection parameters (see [`RequestInput::collection_query`]) and whatever
/// `call` returns.
pub async fn collection<T, F, Fut>(
    input: &RequestInput,
    wrapper: Option<&str>,
    members: &[&str],
    call: F,
) -> Handled
where
    T: Serialize,
    F: FnOnce(CollectionQuery) -> Fut,
    Fut: Future<Output = Result<Listed<T>, ImsError>>,
{
    let query = input.collection_query(members)?;
    let listed = call(query.clone()).await?;
    Ok(respond::collection(
        &listed, &query, input, wrapper, members,
    ))
}

//! What generated modules name, in one place (tonic-build's `codegen` prelude plays this part).
//!
//! Each submodule of a generated file starts with `use ::ims_runtime::codegen as rt;` and then
//! writes `rt::String`, `rt::Uri`, `rt::serde::Serialize`, `rt::OperationInfo`, … instead of
//! spelling `::std::…`/`::ims_runtime::…` paths at every use. Everything goes through the one
//! lower-case alias `rt` on purpose: a glob import could be shadowed by a model type of the same
//! name (an SDD may well define `DateTime`, `Method` or even `String`), while generated type names
//! are UpperCamelCase and can never be `rt`.
//!
//! Not a stable API for hand-written code: it changes with what the generator emits.

pub use std::boxed::Box;
pub use std::clone::Clone;
pub use std::cmp::{Eq, PartialEq};
pub use std::collections::BTreeMap;
pub use std::fmt::{self, Debug, Display};
pub use std::future::Future;
pub use std::hash::Hash;
pub use std::marker::{Copy, Send, Sync};
pub use std::option::Option::{self, None, Some};
pub use std::result::Result::{self, Err, Ok};
pub use std::str::FromStr;
pub use std::string::String;
pub use std::sync::Arc;
pub use std::vec::Vec;

pub use futures_util;
pub use http;
pub use serde;
pub use serde_json;

pub use crate::catalogue;
pub use crate::constraints as check;
pub use crate::constraints::Validate;
pub use crate::ims_scope;
pub use crate::imsx::ImsError;
pub use crate::pattern;
pub use crate::query::CollectionQuery;
pub use crate::types;
pub use crate::types::{Date, DateTime, Uri, Uuid};

#[cfg(feature = "server")]
pub use crate::resource_server::Principal;
#[cfg(feature = "server")]
pub use crate::server;
#[cfg(feature = "server")]
pub use axum;

#[cfg(feature = "client")]
pub use crate::client;

// server and client emitters
#[cfg(feature = "client")]
pub use crate::client::{ApiError, ApiRequest, ListQuery, Page, RecordStream};
#[cfg(feature = "server")]
pub use crate::server::{Handled, LinkedPage, Listed, Reply, RequestContext, RequestInput};
#[cfg(feature = "server")]
pub use axum::extract::State;

// models and catalogue emitters
//
// Short names for what every `models`, `operations` and `scopes` module spells many times: the
// serde derives (`#[derive(rt::Serialize)]` brings the derive macro with the trait), the catalogue
// types the `operations` constants are built from, and the string-enumeration macro.
pub use crate::catalogue::{Method, OperationInfo, ParamInfo, ParamStyle, ScopeInfo};
pub use crate::string_enum;
pub use serde::{Deserialize, Serialize};
pub use serde_json::{Map, Value};

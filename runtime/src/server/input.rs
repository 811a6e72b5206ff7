//! [`RequestInput`]: the raw parameter text of a request, read once, converted on demand.

use std::convert::Infallible;

use axum::extract::{FromRequestParts, OriginalUri, RawPathParams};
use http::HeaderMap;
use http::request::Parts;
use serde::de::DeserializeOwned;
use url::form_urlencoded;

use super::body::DEFAULT_BODY_LIMIT;
use super::params::{bad_request, from_raw, missing};
use crate::catalogue::{OperationInfo, ParamInfo, ParamLocation, ParamStyle};
use crate::imsx::ImsError;
use crate::query::CollectionQuery;
use crate::query::fields::Fields;
use crate::query::paging::PagingLimits;

/// Per-router settings the extractors read from request extensions (inserted by
/// [`ServiceRouter`](super::ServiceRouter); defaults when absent).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerSettings {
    /// `limit` default and maximum of collection operations.
    pub paging: PagingLimits,
    /// Largest request body read, in bytes.
    pub body_limit: usize,
    /// The origin (`https://host:port`, no trailing `/`) written before the path of the
    /// `Link: rel="next"` of lists paged by token, so clients that do not resolve relative
    /// references (several LTI libraries) can follow it; `None`: a path-absolute reference.
    pub public_origin: Option<std::sync::Arc<str>>,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            paging: PagingLimits::default(),
            body_limit: DEFAULT_BODY_LIMIT,
            public_origin: None,
        }
    }
}

/// The raw inputs of one request: its path (for `Link` URLs), decoded query pairs, path
/// parameters, headers and the router's [`ServerSettings`].
///
/// Extraction never fails; conversion errors surface when a generated handler asks for a typed
/// value ([`RequestInput::param`], [`RequestInput::collection_query`]), so the client gets one
/// precise 400 naming the parameter.
#[derive(Clone, Debug)]
pub struct RequestInput {
    path: String,
    query: Vec<(String, String)>,
    path_params: Result<Vec<(String, String)>, String>,
    headers: HeaderMap,
    settings: ServerSettings,
}

impl<S: Send + Sync> FromRequestParts<S> for RequestInput {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        // The path as the client sent it, even when this router is nested under a prefix.
        let uri = parts
            .extensions
            .get::<OriginalUri>()
            .map_or_else(|| parts.uri.clone(), |o| o.0.clone());
        let query = uri
            .query()
            .map(|q| {
                form_urlencoded::parse(q.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .unwrap_or_default();
        let path_params = match RawPathParams::from_request_parts(parts, state).await {
            Ok(raw) => Ok(raw
                .iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect()),
            Err(e) => Err(e.body_text()),
        };
        Ok(RequestInput {
            path: uri.path().to_owned(),
            query,
            path_params,
            headers: parts.headers.clone(),
            settings: parts
                .extensions
                .get::<ServerSettings>()
                .cloned()
                .unwrap_or_default(),
        })
    }
}

impl RequestInput {
    /// An input from its parts (for tests and custom handlers).
    pub fn new(
        path: impl Into<String>,
        query: Vec<(String, String)>,
        path_params: Vec<(String, String)>,
        headers: HeaderMap,
        settings: ServerSettings,
    ) -> Self {
        RequestInput {
            path: path.into(),
            query,
            path_params: Ok(path_params),
            headers,
            settings,
        }
    }

    /// The request path (origin-relative, without the query), as used in `Link` URLs.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The decoded query pairs in request order.
    pub fn query_pairs(&self) -> &[(String, String)] {
        &self.query
    }

    /// The router's settings.
    pub fn settings(&self) -> &ServerSettings {
        &self.settings
    }

    /// The IMS collection parameters (`filter`, `sort`, `orderBy`, `fields`, `limit`, `offset`),
    /// with the filter's fields checked against `fields` (the record's JSON member names; empty
    /// when the record shape is unknown, which accepts any field).
    ///
    /// # Errors
    /// 400 `invalid_filter_field` (grammar or unknown field), `invalid_selection_field` (blank
    /// `fields`), `invaliddata` (`limit`, `offset`, `orderBy`, repeated parameters).
    pub fn collection_query(&self, fields: &[&str]) -> Result<CollectionQuery, ImsError> {
        let query = CollectionQuery::from_pairs(&self.query, &self.settings.paging)?;
        if let Some(filter) = &query.filter
            && !fields.is_empty()
        {
            filter.validate_fields(fields)?;
        }
        Ok(query)
    }

    /// The `fields` selection of a single-object operation, if given.
    ///
    /// # Errors
    /// 400 `invalid_selection_field` when blank, `invaliddata` when repeated.
    pub fn fields(&self) -> Result<Option<Fields>, ImsError> {
        let values = self.values(ParamLocation::Query, "fields");
        match values.as_slice() {
            [] => Ok(None),
            [one] => Fields::parse(one).map(Some),
            _ => Err(bad_request(
                "the query parameter 'fields' is given more than once",
            )),
        }
    }

    fn values(&self, location: ParamLocation, name: &str) -> Vec<&str> {
        match location {
            ParamLocation::Path => match &self.path_params {
                Ok(params) => params
                    .iter()
                    .filter(|(k, _)| k == name)
                    .map(|(_, v)| v.as_str())
                    .collect(),
                Err(_) => Vec::new(),
            },
            ParamLocation::Query => self
                .query
                .iter()
                .filter(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
                .collect(),
            ParamLocation::Header => self
                .headers
                .get_all(name)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect(),
            ParamLocation::Cookie => self
                .headers
                .get_all(http::header::COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|line| line.split(';'))
                .filter_map(|pair| pair.trim().split_once('='))
                .filter(|(k, _)| *k == name)
                .map(|(_, v)| v)
                .collect(),
        }
    }

    /// One parameter as `T`, `None` when absent. `key` is where to look (the route's segment
    /// name for path parameters, else the wire name); `name` is the wire name for errors.
    ///
    /// # Errors
    /// 400 `invaliddata` naming the parameter when its text does not convert to `T` or a path
    /// segment is not valid UTF-8.
    pub fn param<T: DeserializeOwned>(
        &self,
        location: ParamLocation,
        key: &str,
        name: &str,
        style: ParamStyle,
    ) -> Result<Option<T>, ImsError> {
        if location == ParamLocation::Path
            && let Err(why) = &self.path_params
        {
            return Err(bad_request(format!(
                "the path parameter '{name}' is invalid: {why}"
            )));
        }
        let values = self.values(location, key);
        if values.is_empty() {
            return Ok(None);
        }
        from_raw(location, name, &values, style).map(Some)
    }

    /// Like [`RequestInput::param`] for a required parameter.
    ///
    /// # Errors
    /// As [`RequestInput::param`], and 400 `invaliddata` when the parameter is absent.
    pub fn required_param<T: DeserializeOwned>(
        &self,
        location: ParamLocation,
        key: &str,
        name: &str,
        style: ParamStyle,
    ) -> Result<T, ImsError> {
        self.param(location, key, name, style)?
            .ok_or_else(|| missing(location, name))
    }

    /// The parameter `name` of the catalogued operation `op`, as `T`; `None` when absent. Its
    /// location and style come from `op.params` (the first parameter of that name: path, then
    /// query, header and cookie), and a path parameter is read under its positional route key
    /// (`p0`, `p1`, … in template order, see [`positional_route`](super::positional_route)).
    ///
    /// # Errors
    /// As [`RequestInput::param`]; 500 when `op` has no parameter `name` (a generator bug).
    pub fn optional<T: DeserializeOwned>(
        &self,
        op: &OperationInfo,
        name: &str,
    ) -> Result<Option<T>, ImsError> {
        self.read(op, param_info(op, None, name)?)
    }

    /// Like [`RequestInput::optional`] for the parameter `name` at `location`, when `op` declares
    /// that name in more than one location.
    ///
    /// # Errors
    /// As [`RequestInput::optional`].
    pub fn optional_at<T: DeserializeOwned>(
        &self,
        op: &OperationInfo,
        location: ParamLocation,
        name: &str,
    ) -> Result<Option<T>, ImsError> {
        self.read(op, param_info(op, Some(location), name)?)
    }

    /// Like [`RequestInput::required`] for the parameter `name` at `location`.
    ///
    /// # Errors
    /// As [`RequestInput::required`].
    pub fn required_at<T: DeserializeOwned>(
        &self,
        op: &OperationInfo,
        location: ParamLocation,
        name: &str,
    ) -> Result<T, ImsError> {
        self.optional_at(op, location, name)?
            .ok_or_else(|| missing(location, name))
    }

    fn read<T: DeserializeOwned>(
        &self,
        op: &OperationInfo,
        info: &ParamInfo,
    ) -> Result<Option<T>, ImsError> {
        let name = info.name;
        match info.location {
            ParamLocation::Path => {
                let index = op.path_params().position(|p| p.name == name).unwrap_or(0);
                self.param(info.location, &format!("p{index}"), name, info.style)
            }
            location => self.param(location, name, name, info.style),
        }
    }

    /// Like [`RequestInput::optional`] for a required parameter.
    ///
    /// # Errors
    /// As [`RequestInput::optional`], and 400 `invaliddata` when the parameter is absent.
    pub fn required<T: DeserializeOwned>(
        &self,
        op: &OperationInfo,
        name: &str,
    ) -> Result<T, ImsError> {
        let info = param_info(op, None, name)?;
        self.read(op, info)?
            .ok_or_else(|| missing(info.location, name))
    }
}

/// The parameter `name` of `op` (at `location`, else the first of that name).
fn param_info<'a>(
    op: &'a OperationInfo,
    location: Option<ParamLocation>,
    name: &str,
) -> Result<&'a ParamInfo, ImsError> {
    let found = op
        .params
        .iter()
        .find(|p| p.name == name && location.is_none_or(|l| l == p.location));
    found.ok_or_else(|| {
        tracing::error!(
            operation = op.id,
            name,
            "handler asked for an undeclared parameter"
        );
        ImsError::internal_server_error("the operation's parameters do not match its handler")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::{Method, ScopeRequirement};

    static OP: OperationInfo = OperationInfo {
        id: "getClass",
        fn_name: "get_class",
        method: Method::Get,
        path: "/schools/{schoolId}/classes/{id}",
        summary: None,
        params: &[
            ParamInfo {
                name: "schoolId",
                location: ParamLocation::Path,
                required: true,
                style: ParamStyle::Scalar,
            },
            ParamInfo {
                name: "id",
                location: ParamLocation::Path,
                required: true,
                style: ParamStyle::Scalar,
            },
            ParamInfo {
                name: "limit",
                location: ParamLocation::Query,
                required: false,
                style: ParamStyle::Scalar,
            },
        ],
        request_media_types: &[],
        response_statuses: &["200"],
        scopes: ScopeRequirement { any_of: &[] },
        is_discovery: false,
    };

    fn input(query: &[(&str, &str)]) -> RequestInput {
        let pairs = |items: &[(&str, &str)]| {
            items
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        RequestInput::new(
            "/schools/s1/classes/c1",
            pairs(query),
            pairs(&[("p0", "s1"), ("p1", "c1")]),
            HeaderMap::new(),
            ServerSettings::default(),
        )
    }

    #[test]
    fn catalogued_parameters_are_read_where_the_entry_says() {
        let input = input(&[("limit", "5")]);
        assert_eq!(
            input.required::<String>(&OP, "id").ok().as_deref(),
            Some("c1")
        );
        assert_eq!(
            input.required::<String>(&OP, "schoolId").ok().as_deref(),
            Some("s1")
        );
        assert_eq!(input.optional::<u32>(&OP, "limit").ok(), Some(Some(5)));
    }

    #[test]
    fn absent_bad_and_undeclared_parameters_are_errors() {
        let input = input(&[("limit", "x")]);
        assert!(
            matches!(input.optional::<u32>(&OP, "limit"), Err(e) if e.status() == http::StatusCode::BAD_REQUEST)
        );
        let empty = super::tests::input(&[]);
        assert!(matches!(empty.optional::<u32>(&OP, "limit"), Ok(None)));
        assert!(
            matches!(empty.required::<u32>(&OP, "limit"), Err(e) if e.status() == http::StatusCode::BAD_REQUEST)
        );
        assert!(
            matches!(empty.required::<u32>(&OP, "nope"), Err(e) if e.status() == http::StatusCode::INTERNAL_SERVER_ERROR)
        );
        assert!(
            matches!(empty.optional_at::<u32>(&OP, ParamLocation::Header, "limit"), Err(e) if e.status() == http::StatusCode::INTERNAL_SERVER_ERROR)
        );
        assert_eq!(
            empty
                .required_at::<String>(&OP, ParamLocation::Path, "id")
                .ok()
                .as_deref(),
            Some("c1")
        );
    }
}

//! [`ServiceRouter`]: the operations of one service, mounted under its base path.

use std::collections::BTreeMap;

use std::sync::Arc;

use axum::handler::Handler;
use axum::routing::{MethodFilter, MethodRouter};
use axum::{Extension, Router};
use http::{Method, StatusCode};

use super::input::ServerSettings;
use crate::catalogue::{self, OperationInfo, ServiceInfo};
use crate::discovery::{Deployment, DiscoveryDocument, DiscoveryError, LeftOut};
use crate::imsx::{ImsError, code_minor};
use crate::query::paging::PagingLimits;
use crate::resource_server::AuthLayer;

struct Route {
    method: Method,
    path: String,
    /// What axum mounts (see [`positional_route`]).
    positional: String,
    protected: bool,
    /// The catalogued operation this route serves (added with [`ServiceRouter::serve`]).
    operation: Option<CataloguedOperation>,
    endpoint: MethodRouter,
}

/// What the router keeps of a catalogued operation: enough to find it again and to name it.
#[derive(Clone, Copy, PartialEq, Eq)]
struct CataloguedOperation {
    id: &'static str,
    method: catalogue::Method,
    path: &'static str,
}

impl CataloguedOperation {
    fn of(op: &OperationInfo) -> Self {
        Self {
            id: op.id,
            method: op.method,
            path: op.path,
        }
    }
}

/// The discovery endpoint as configured by [`ServiceRouter::with_discovery`].
struct DiscoveryMount {
    deployment: Deployment,
    path: String,
    router: Router,
    /// How many operations were left out of the document `router` serves; operations declared
    /// not implemented after `with_discovery` make [`ServiceRouter::into_router`] rebuild it.
    left_out: usize,
}

/// The operations of one service, assembled into an [`axum::Router`] by
/// [`ServiceRouter::into_router`].
///
/// A generated `server::router(svc)` returns one with every operation added; the application then
/// chooses authentication, discovery and paging limits:
///
/// (from `examples/first-hour`, README.md's "The first hour")
///
/// <!-- compiled: examples/first-hour/src/main.rs -->
/// ```ignore
/// let api = router(roster)
///     .implemented_only(&[&operations::GET_ALL_USERS, &operations::GET_USER]) // optional
///     .with_auth(AuthLayer::new(verifier, "oneroster")) // 401/403 before your code runs
///     .with_discovery(&deployment)? // the SDD at BASE_PATH/discovery, lists these two only
///     .into_router();
/// ```
///
/// Protected operations (added with `protected: true`) sit behind the [`AuthLayer`]; without
/// [`ServiceRouter::with_auth`] they answer 401, failing closed. Public operations and the
/// discovery endpoint never require a token. Unknown paths answer 404 `unknownobject` and a known
/// path with another method 405 with `Allow`, both as `imsx_StatusInfo`.
///
/// # Implementing a service in part
///
/// Every generated trait method answers 501 `unsupported` until it is implemented, and the
/// router mounts every operation either way. By default the discovery document still lists every
/// operation: the router cannot see which methods an implementation overrides. Say which ones it
/// does not serve with [`ServiceRouter::not_implemented`] or [`ServiceRouter::implemented_only`]:
/// those operations leave the served SDD and answer 501 `unsupported` whatever the service does.
/// They stay mounted (behind the same authentication) rather than answering 404, so a client
/// that did not read the document gets the typed "not supported" answer instead of a 404
/// `unknownobject` that reads as "no such record". The example above serves two operations.
pub struct ServiceRouter {
    base_path: String,
    sdd_json: String,
    discovery_path: Option<String>,
    routes: Vec<Route>,
    auth: Option<AuthLayer>,
    discovery: Option<DiscoveryMount>,
    not_implemented: Vec<CataloguedOperation>,
    settings: ServerSettings,
}

impl std::fmt::Debug for ServiceRouter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let routes: Vec<String> = self
            .routes
            .iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect();
        f.debug_struct("ServiceRouter")
            .field("base_path", &self.base_path)
            .field("discovery_path", &self.discovery_path)
            .field("routes", &routes)
            .field("auth", &self.auth.is_some())
            .field("discovery", &self.discovery.is_some())
            .field(
                "not_implemented",
                &self
                    .not_implemented
                    .iter()
                    .map(|o| o.id)
                    .collect::<Vec<_>>(),
            )
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// The route axum mounts for the path template `path`: its parameters renamed `{p0}`, `{p1}`, …
/// in template order (two SDD paths such as `/schools/{sourcedId}` and
/// `/schools/{schoolSourcedId}/classes` would otherwise conflict in the router; handlers read
/// path parameters under these keys). `None` when `path` cannot be mounted literally: it must
/// start with `/`, and every segment be literal text without `{`, `}` and `*` or one whole
/// `{name}` parameter.
///
/// The generator parses templates once, at generation time; this is the one parser the runtime
/// keeps, because routes are mounted from the catalogue's `OperationInfo::path` (the SDD's text)
/// and from templates callers pass to [`ServiceRouter::route`].
pub fn positional_route(path: &str) -> Option<String> {
    let rest = path.strip_prefix('/')?;
    let mut index = 0;
    let mut out = String::with_capacity(path.len());
    for segment in rest.split('/') {
        out.push('/');
        match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) if !name.is_empty() && !name.contains(['{', '}', '*']) => {
                out.push_str(&format!("{{p{index}}}"));
                index += 1;
            }
            Some(_) => return None,
            None if segment.contains(['{', '}', '*']) => return None,
            None => out.push_str(segment),
        }
    }
    Some(out)
}

fn join(base: &str, path: &str) -> String {
    let joined = format!("{}{}", base.trim_end_matches('/'), path);
    if joined.is_empty() {
        "/".to_owned()
    } else {
        joined
    }
}

/// The endpoint of an operation declared not implemented: 501 `unsupported` naming it.
fn unsupported_endpoint(method: &Method, id: &'static str) -> MethodRouter {
    let answer = move || async move { ImsError::unsupported(id) };
    match MethodFilter::try_from(method.clone()) {
        Ok(filter) => axum::routing::on(filter, answer),
        // `serve` only mounts methods axum can route, so this arm is not reached.
        Err(_) => axum::routing::any(answer),
    }
}

async fn not_found() -> ImsError {
    ImsError::unknown_object("no operation of this service is mounted at this path")
}

async fn method_not_allowed(method: Method) -> ImsError {
    ImsError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        code_minor::INVALID_DATA,
        format!("{method} is not supported on this path; see the Allow header"),
    )
}

impl ServiceRouter {
    /// An empty router for a service mounted at `base_path` (e.g. a generated `BASE_PATH`; empty
    /// for the root) whose SDD is `sdd_json`, served at `base_path` + `discovery_path` once
    /// [`ServiceRouter::with_discovery`] is called.
    pub fn new(base_path: &str, sdd_json: &str, discovery_path: Option<&str>) -> Self {
        ServiceRouter {
            base_path: base_path.trim_end_matches('/').to_owned(),
            sdd_json: sdd_json.to_owned(),
            discovery_path: discovery_path.map(str::to_owned),
            routes: Vec::new(),
            auth: None,
            discovery: None,
            not_implemented: Vec::new(),
            settings: ServerSettings::default(),
        }
    }

    /// An empty router for the catalogued service `service` (a generated module's `SERVICE`:
    /// base path and discovery path) whose SDD is `sdd_json` (its `SDD_JSON`).
    pub fn for_service(service: &ServiceInfo, sdd_json: &str) -> Self {
        Self::new(service.base_path, sdd_json, service.discovery_path)
    }

    /// Adds one operation: `endpoint` (a method router holding exactly `method`, with its state
    /// applied) at `path` relative to the base path (`{name}` segments as in the SDD). Path
    /// parameters reach [`RequestInput::param`](super::RequestInput::param) under the keys `p0`,
    /// `p1`, … in template order (see [`positional_route`]).
    ///
    /// A path that cannot be mounted (see the generated docs) or a second endpoint for the same
    /// method and path is left out and logged at `error` level rather than panicking later.
    #[must_use]
    pub fn route(
        self,
        method: Method,
        path: &str,
        protected: bool,
        endpoint: MethodRouter,
    ) -> Self {
        self.add_route(method, path, protected, None, endpoint)
    }

    fn add_route(
        mut self,
        method: Method,
        path: &str,
        protected: bool,
        operation: Option<CataloguedOperation>,
        endpoint: MethodRouter,
    ) -> Self {
        let Some(positional) = positional_route(path) else {
            tracing::error!(%method, path, "operation not mounted: the path is not a plain route template");
            return self;
        };
        if self
            .routes
            .iter()
            .any(|r| r.method == method && r.positional == positional)
        {
            tracing::error!(%method, path, "operation not mounted: this method and path already have one");
            return self;
        }
        self.routes.push(Route {
            method,
            path: path.to_owned(),
            positional,
            protected,
            operation,
            endpoint,
        });
        self
    }

    /// Adds the catalogued operation `op` (e.g. a generated `operations::GET_ALL_USERS`): its
    /// method and path from the catalogue, protected unless its scope requirement is public, and
    /// answered by `handler` with `state` (a generated `server::router` passes its handler for the
    /// operation and the shared service). Otherwise as [`ServiceRouter::route`].
    #[must_use]
    pub fn serve<H, T, S>(self, op: &OperationInfo, state: &Arc<S>, handler: H) -> Self
    where
        H: Handler<T, Arc<S>>,
        T: 'static,
        S: Send + Sync + 'static,
    {
        let method = Method::from(op.method);
        let Ok(filter) = MethodFilter::try_from(method.clone()) else {
            tracing::error!(%method, path = op.path, "operation not mounted: axum cannot route this method");
            return self;
        };
        let endpoint = axum::routing::on(filter, handler).with_state(Arc::clone(state));
        let protected = !op.scopes.is_public();
        self.add_route(
            method,
            op.path,
            protected,
            Some(CataloguedOperation::of(op)),
            endpoint,
        )
    }

    /// Declares that the service does not implement `operations` (generated `operations::*`
    /// constants): they are left out of the served discovery document and answer 501
    /// `unsupported` (`ImsError::unsupported`) whatever the service's method does. They stay
    /// mounted, behind the same authentication as before. Without this call every operation is
    /// listed. May be called before or after [`ServiceRouter::with_discovery`]; repeated calls add up.
    #[must_use]
    pub fn not_implemented(mut self, operations: &[&OperationInfo]) -> Self {
        for op in operations {
            self.declare_not_implemented(CataloguedOperation::of(op));
        }
        self
    }

    /// Declares that the service implements only `operations`: every other catalogued operation
    /// mounted so far (a generated `router(svc)` mounts them all) is
    /// [not implemented](ServiceRouter::not_implemented).
    #[must_use]
    pub fn implemented_only(mut self, operations: &[&OperationInfo]) -> Self {
        let implemented: Vec<CataloguedOperation> = operations
            .iter()
            .map(|op| CataloguedOperation::of(op))
            .collect();
        let others: Vec<CataloguedOperation> = self
            .routes
            .iter()
            .filter_map(|r| r.operation)
            .filter(|op| !implemented.contains(op))
            .collect();
        for op in others {
            self.declare_not_implemented(op);
        }
        self
    }

    fn declare_not_implemented(&mut self, op: CataloguedOperation) {
        if !self.not_implemented.contains(&op) {
            self.not_implemented.push(op);
        }
    }

    /// The operations declared not implemented, by operation id, in declaration order.
    pub fn not_implemented_operations(&self) -> Vec<&'static str> {
        self.not_implemented.iter().map(|op| op.id).collect()
    }

    fn left_out(&self) -> Vec<LeftOut<'_>> {
        self.not_implemented
            .iter()
            .map(|op| LeftOut {
                method: op.method,
                path: op.path,
                base_path: &self.base_path,
            })
            .collect()
    }

    fn discovery_router(
        &self,
        deployment: &Deployment,
        path: &str,
    ) -> Result<Router, DiscoveryError> {
        DiscoveryDocument::leaving_out(&self.sdd_json, deployment, &self.left_out())?
            .router(&join(&self.base_path, path))
    }

    /// Authenticates every protected operation with `auth` (the discovery endpoint and public
    /// operations stay open).
    #[must_use]
    pub fn with_auth(mut self, auth: AuthLayer) -> Self {
        self.auth = Some(auth);
        self
    }

    /// Serves the service's SDD, rewritten for `deployment`, at `BASE_PATH` + `DISCOVERY_PATH`,
    /// unauthenticated, with `ETag` / `If-None-Match`, without the operations declared
    /// [not implemented](ServiceRouter::not_implemented). A service without a discovery path is
    /// returned unchanged.
    ///
    /// # Errors
    /// From [`DiscoveryDocument::new`] (bad SDD, non-https deployment URLs) and
    /// [`DiscoveryDocument::router`].
    pub fn with_discovery(mut self, deployment: &Deployment) -> Result<Self, DiscoveryError> {
        let Some(path) = self.discovery_path.clone() else {
            tracing::debug!(base_path = %self.base_path, "service has no discovery endpoint");
            return Ok(self);
        };
        let router = self.discovery_router(deployment, &path)?;
        self.discovery = Some(DiscoveryMount {
            deployment: deployment.clone(),
            path,
            router,
            left_out: self.not_implemented.len(),
        });
        Ok(self)
    }

    /// Uses `limits` for `limit` defaults and clamping of collection operations.
    #[must_use]
    pub fn with_paging_limits(mut self, limits: PagingLimits) -> Self {
        self.settings.paging = limits;
        self
    }

    /// Writes `origin` (e.g. `https://lms.example.org`; a trailing `/` is dropped) before the
    /// path of the `Link: rel="next"` of lists paged by token, as LTI AGS and NRPS clients
    /// expect an absolute URL there. Without it the link is a path-absolute reference.
    #[must_use]
    pub fn with_public_origin(mut self, origin: &str) -> Self {
        self.settings.public_origin = Some(origin.trim_end_matches('/').into());
        self
    }

    /// Caps request bodies at `bytes` (default [`DEFAULT_BODY_LIMIT`](super::DEFAULT_BODY_LIMIT));
    /// larger bodies answer 413.
    #[must_use]
    pub fn with_body_limit(mut self, bytes: usize) -> Self {
        self.settings.body_limit = bytes;
        self
    }

    /// The mounted operations as `(method, path relative to the base path)`, in insertion order.
    pub fn operations(&self) -> Vec<(Method, String)> {
        self.routes
            .iter()
            .map(|r| (r.method.clone(), r.path.clone()))
            .collect()
    }

    /// The finished router: every operation at `BASE_PATH` + its path, the discovery endpoint if
    /// configured, the imsx 404 fallback and 405 with `Allow`. Error bodies use the code-minor
    /// spelling the SDD declares (`imsx_CodeMinor` in OneRoster 1.x).
    pub fn into_router(mut self) -> Router {
        let discovery = self.discovery.take().and_then(|mount| {
            if mount.left_out == self.not_implemented.len() {
                return Some(mount.router);
            }
            // Operations were declared not implemented after `with_discovery`: the same SDD and
            // deployment, already accepted there, with more paths removed.
            match self.discovery_router(&mount.deployment, &mount.path) {
                Ok(router) => Some(router),
                Err(e) => {
                    tracing::error!(error = %e, "discovery endpoint not mounted: rebuilding the document failed");
                    None
                }
            }
        });
        let mut by_path: BTreeMap<String, MethodRouter> = BTreeMap::new();
        for route in self.routes {
            let path = route.positional;
            let declared = route
                .operation
                .filter(|op| self.not_implemented.contains(op));
            let endpoint = match declared {
                Some(op) => unsupported_endpoint(&route.method, op.id),
                None => route.endpoint,
            };
            let endpoint = match (&self.auth, route.protected) {
                (Some(auth), true) => endpoint.route_layer(auth.clone()),
                _ => endpoint,
            };
            let full = join(&self.base_path, &path);
            let merged = match by_path.remove(&full) {
                Some(existing) => existing.merge(endpoint),
                None => endpoint,
            };
            by_path.insert(full, merged);
        }
        let mut router = Router::new();
        for (path, endpoint) in by_path {
            router = router.route(&path, endpoint);
        }
        if let Some(discovery) = discovery {
            router = router.merge(discovery);
        }
        let router = router
            .method_not_allowed_fallback(method_not_allowed)
            .fallback(not_found)
            .layer(Extension(self.settings.clone()));
        let spelling = super::error_spelling::ErrorSpelling::of_sdd(&self.sdd_json);
        if spelling.is_identity() {
            return router;
        }
        let spelling = std::sync::Arc::new(spelling);
        router.layer(axum::middleware::map_response(move |response| {
            super::error_spelling::respell(spelling.clone(), response)
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_plain_templates_with_positional_parameters() {
        assert_eq!(positional_route("/users").as_deref(), Some("/users"));
        assert_eq!(
            positional_route("/schools/{schoolSourcedId}/classes/{c}").as_deref(),
            Some("/schools/{p0}/classes/{p1}")
        );
        assert_eq!(positional_route("/").as_deref(), Some("/"));
        assert_eq!(positional_route("users"), None);
        assert_eq!(positional_route("/files/{name}.json"), None);
        assert_eq!(positional_route("/a/{}"), None);
        assert_eq!(positional_route("/a/*"), None);
    }

    #[test]
    fn catalogued_operations_mount_at_their_method_and_path() {
        use crate::catalogue::{Method as CatalogueMethod, ScopeRequirement, ServiceInfo};
        const fn op(method: CatalogueMethod, path: &'static str) -> OperationInfo {
            OperationInfo {
                id: "op",
                fn_name: "op",
                method,
                path,
                summary: None,
                params: &[],
                request_media_types: &[],
                response_statuses: &["200"],
                scopes: ScopeRequirement { any_of: &[] },
                is_discovery: false,
            }
        }
        static GET: OperationInfo = op(CatalogueMethod::Get, "/users/{id}");
        static DELETE: OperationInfo = op(CatalogueMethod::Delete, "/users/{sourcedId}");
        static BAD: OperationInfo = op(CatalogueMethod::Get, "/files/{name}.json");
        let service = ServiceInfo {
            spec: "X",
            service: "Y",
            version: "1",
            base_path: "/ims/x/v1",
            discovery_path: None,
            security: crate::catalogue::SecurityInfo {
                pattern: crate::catalogue::SecurityPattern::None,
                schemes: &[],
            },
            scopes: &[],
            operations: &[],
        };
        let state = Arc::new(());
        let router = ServiceRouter::for_service(&service, "{}")
            .serve(&GET, &state, || async { "got" })
            .serve(&DELETE, &state, || async { "deleted" })
            .serve(&BAD, &state, || async { "never" });
        assert_eq!(router.base_path, "/ims/x/v1");
        assert_eq!(
            router.operations(),
            [
                (Method::GET, "/users/{id}".to_owned()),
                (Method::DELETE, "/users/{sourcedId}".to_owned())
            ]
        );
    }

    #[test]
    fn implemented_only_declares_every_other_catalogued_operation_not_implemented() {
        use crate::catalogue::{Method as CatalogueMethod, ScopeRequirement};
        const fn op(id: &'static str, path: &'static str) -> OperationInfo {
            OperationInfo {
                id,
                fn_name: id,
                method: CatalogueMethod::Get,
                path,
                summary: None,
                params: &[],
                request_media_types: &[],
                response_statuses: &["200"],
                scopes: ScopeRequirement { any_of: &[] },
                is_discovery: false,
            }
        }
        static USERS: OperationInfo = op("getAllUsers", "/users");
        static USER: OperationInfo = op("getUser", "/users/{id}");
        static CLASSES: OperationInfo = op("getAllClasses", "/classes");
        let state = Arc::new(());
        let router = ServiceRouter::new("/ims/x/v1", "{}", None)
            .serve(&USERS, &state, || async { "users" })
            .serve(&USER, &state, || async { "user" })
            .serve(&CLASSES, &state, || async { "classes" })
            // Not catalogued: never declared by `implemented_only`.
            .route(
                Method::GET,
                "/health",
                false,
                axum::routing::get(|| async { "ok" }),
            );
        assert!(router.not_implemented_operations().is_empty());
        let router = router.implemented_only(&[&USERS]);
        assert_eq!(
            router.not_implemented_operations(),
            ["getUser", "getAllClasses"]
        );
        // Declaring twice changes nothing; declarations add up.
        let router = router.not_implemented(&[&CLASSES, &USERS]);
        assert_eq!(
            router.not_implemented_operations(),
            ["getUser", "getAllClasses", "getAllUsers"]
        );
    }

    #[test]
    fn join_handles_the_root() {
        assert_eq!(join("", ""), "/");
        assert_eq!(join("/ims/x/v1", "/users"), "/ims/x/v1/users");
        assert_eq!(join("/", "/users"), "/users");
    }
}

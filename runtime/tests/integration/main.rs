//! The runtime's integration tests, as one test binary so they link once (a binary per file
//! meant one link of the runtime and all its dependencies per file).
//!
//! One module per area; run one with `cargo test -p ims-runtime --test integration jwt_verify::`.
//! The shared harnesses are `common` (keys, hand-built JWTs), `authz_support` (the embedded
//! authorization server over TLS), `client_api_support` (an API + token endpoint for the client)
//! and `lti_support` (an LTI platform stand-in and the tool's routes), `store_conformance_pg` (a fresh PostgreSQL database per test, from `IMS_TEST_POSTGRES_URL`).

mod authz_support;
mod client_api_support;
mod client_authorization_code_support;
mod common;
mod lti_support;

mod authz_authorize;
mod authz_consent;
mod authz_durability;
mod authz_interop_authlib;
mod authz_introspect;
mod authz_metadata_jwks;
mod authz_register;
mod authz_revoke;
mod authz_token_authorization_code;
mod authz_token_client_credentials;
mod authz_token_refresh;
mod browser_consent;
mod client_api_calls;
mod client_api_paging;
mod client_authorization_code;
mod client_discovery;
mod client_registration;
mod client_token;
mod discovery_endpoint;
mod fuzz_regressions;
mod jwt_remote_jwks;
mod jwt_verify;
mod lti_browser;
mod lti_deep_linking;
mod lti_dynamic_registration;
mod lti_launch;
mod lti_launch_store;
mod lti_login;
mod lti_platform;
mod lti_platform_storage;
mod lti_service_tokens;
mod rs_bearer;
mod rs_introspection;
mod server_router;
mod server_select;
mod store_conformance;
mod store_conformance_coherence;
mod store_conformance_pg;
mod tls_serve;

//! The integration tests of the generated OneRoster bindings and the demo provider, as one test
//! binary so they link once. Run one module with
//! `cargo test -p ims-generated-example --test integration demo_seed::`.

mod badges_authlib;
mod badges_cli;
mod badges_consumer;
mod badges_e2e;
mod badges_support;
mod case_v1p1;
mod cat_v1p0;
mod cc_auth;
mod constraints;
mod credential_hosts;
mod demo_app;
mod demo_cli;
mod demo_operations;
mod demo_public_url;
mod demo_seed;
mod demo_shared_data_dir;
mod eduapi_v1p0;
mod lti_ags;
mod lti_browser;
mod lti_demo;
mod lti_demo_support;
mod lti_nrps;
mod lti_pylti1p3;
mod lti_tool_demo;
mod multi_instance;
mod oneroster_v1p2_gradebook;
mod oneroster_v1p2_org;
mod oneroster_v1p2_resources;
mod oneroster_v1p2_support;

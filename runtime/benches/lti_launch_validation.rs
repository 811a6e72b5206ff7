//! LTI launch validations per second, in-process on one core: taking the pending login by
//! `state`, the browser binding, the RS256 signature by `kid`, every claim check and the
//! nonce spent in the launch store: what `POST /lti/launch` does before the tool's handler.
//! The login that precedes each launch and the platform's signing are set-up, not measured.
//!
//! Run: `cargo bench -p ims-runtime --bench lti_launch_validation`
//!
//! Export mode, for the side-by-side run with pylti1p3 (`scripts/bench-lti-launch.sh`): with
//! `IMS_LTI_BENCH_EXPORT=DIR` the binary skips criterion, makes `IMS_LTI_BENCH_TOKENS` (default
//! 5000) logins and their `id_token`s once, writes them with the platform's JWKS to
//! `DIR/launches.json` (what the Python side validates), then validates the same tokens once each
//! (memory launch store) and writes the rate to `DIR/rust.json`.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use criterion::{BatchSize, Criterion, Throughput, criterion_group};
use ims_runtime::client::HttpPolicy;
use ims_runtime::lti::*;
use jsonwebtoken::Algorithm;
use serde_json::json;

const ISSUER: &str = "https://platform.example.edu";
const CLIENT_ID: &str = "tool-client-1";
const TARGET: &str = "https://tool.example.edu/lti/resource";
const DEPLOYMENT_ID: &str = "d1";

/// A tool trusting one platform whose key (RS256, inline JWKS) is `platform_key`.
fn tool(platform_key: &ToolKey, store: Arc<dyn LaunchStore>) -> LtiTool {
    let registry = StaticPlatformRegistry::new([PlatformRegistration {
        issuer: ISSUER.into(),
        client_id: CLIENT_ID.into(),
        deployment_ids: vec![DEPLOYMENT_ID.into()],
        authorization_endpoint: "https://platform.example.edu/authorize".into(),
        token_endpoint: "https://platform.example.edu/token".into(),
        keys: PlatformKeySource::Jwks(json!({"keys": [platform_key.public_jwk()]})),
    }])
    .unwrap();
    LtiTool::new(
        LtiToolConfig::new("https://tool.example.edu/lti/launch", vec![TARGET.into()]),
        Arc::new(registry),
        store,
        Arc::new(ToolKeys::new(ToolKey::generate(Algorithm::ES256).unwrap())),
        HttpPolicy::default(),
    )
    .unwrap()
}

/// A login and the platform's `id_token` answering it.
struct PendingLaunch {
    state: String,
    cookie: String,
    nonce: String,
    id_token: String,
}

/// A login and the platform's `id_token` answering it.
async fn login_and_token(tool: &LtiTool, platform_key: &ToolKey) -> PendingLaunch {
    let redirect = tool
        .begin_login(&LoginInitiation {
            iss: ISSUER.into(),
            login_hint: "u".into(),
            target_link_uri: TARGET.into(),
            lti_message_hint: None,
            client_id: Some(CLIENT_ID.into()),
            lti_deployment_id: None,
        })
        .await
        .unwrap();
    let q: HashMap<String, String> = redirect.location.query_pairs().into_owned().collect();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let token = platform_key
        .sign(&json!({
            "iss": ISSUER, "aud": CLIENT_ID, "sub": "user-17", "iat": now, "exp": now + 300,
            "nonce": q["nonce"], "name": "Ada Lovelace",
            "https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiResourceLinkRequest",
            "https://purl.imsglobal.org/spec/lti/claim/version": "1.3.0",
            "https://purl.imsglobal.org/spec/lti/claim/deployment_id": DEPLOYMENT_ID,
            "https://purl.imsglobal.org/spec/lti/claim/target_link_uri": TARGET,
            "https://purl.imsglobal.org/spec/lti/claim/resource_link": {"id": "link-1"},
            "https://purl.imsglobal.org/spec/lti/claim/roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"],
            "https://purl.imsglobal.org/spec/lti/claim/context": {"id": "course-1", "label": "MATH 101"},
            "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": {
                "scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/score"],
                "lineitems": "https://platform.example.edu/courses/course-1/lineitems"},
            "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice": {
                "context_memberships_url": "https://platform.example.edu/courses/course-1/memberships",
                "service_versions": ["2.0"]}
        }))
        .unwrap();
    PendingLaunch {
        state: redirect.state,
        cookie: redirect.cookie_value,
        nonce: q["nonce"].clone(),
        id_token: token,
    }
}

fn bench(c: &mut Criterion) {
    // One core: a current-thread runtime runs the (non-blocking) validation inline.
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let platform_key = ToolKey::generate(Algorithm::RS256).unwrap();
    let stores: [(&str, Arc<dyn LaunchStore>); 2] = [
        ("memory_store", Arc::new(MemoryLaunchStore::new())),
        (
            "sqlite_store",
            Arc::new(SqliteLaunchStore::open_in_memory().unwrap()),
        ),
    ];
    let mut group = c.benchmark_group("lti_launch_validation");
    group.throughput(Throughput::Elements(1));
    for (name, store) in stores {
        let tool = tool(&platform_key, store);
        group.bench_function(format!("rs256_resource_link_{name}"), |b| {
            b.iter_batched(
                || rt.block_on(login_and_token(&tool, &platform_key)),
                |p| {
                    rt.block_on(tool.launch(
                        &p.state,
                        &p.id_token,
                        BrowserProof::Cookie(Some(&p.cookie)),
                    ))
                    .unwrap()
                },
                BatchSize::SmallInput,
            );
        });
    }
    group.finish();
}

/// The export mode: the same tokens for both sides, and our rate over them.
fn export_and_time(dir: &Path, count: usize) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let platform_key = ToolKey::generate(Algorithm::RS256).unwrap();
    let tool = tool(&platform_key, Arc::new(MemoryLaunchStore::new()));
    // Warm-up launches (not exported): first-use costs stay out of the measured run.
    for _ in 0..count.min(200) {
        let p = rt.block_on(login_and_token(&tool, &platform_key));
        rt.block_on(tool.launch(&p.state, &p.id_token, BrowserProof::Cookie(Some(&p.cookie))))
            .unwrap();
    }
    let pending: Vec<PendingLaunch> = (0..count)
        .map(|_| rt.block_on(login_and_token(&tool, &platform_key)))
        .collect();
    let exported = json!({
        "issuer": ISSUER,
        "client_id": CLIENT_ID,
        "deployment_id": DEPLOYMENT_ID,
        "auth_login_url": "https://platform.example.edu/authorize",
        "auth_token_url": "https://platform.example.edu/token",
        "jwks": {"keys": [platform_key.public_jwk()]},
        "launches": pending.iter().map(|p| json!({
            "state": p.state, "nonce": p.nonce, "id_token": p.id_token,
        })).collect::<Vec<_>>(),
    });
    std::fs::write(
        dir.join("launches.json"),
        serde_json::to_vec(&exported).unwrap(),
    )
    .unwrap();
    let start = Instant::now();
    for p in &pending {
        let launch =
            rt.block_on(tool.launch(&p.state, &p.id_token, BrowserProof::Cookie(Some(&p.cookie))));
        // A refused launch would make the rate meaningless: stop loudly.
        launch.unwrap();
    }
    let seconds = start.elapsed().as_secs_f64();
    let rate = count as f64 / seconds;
    std::fs::write(
        dir.join("rust.json"),
        serde_json::to_vec(&json!({
            "launches": count, "seconds": seconds, "launches_per_second": rate,
            "store": "memory",
        }))
        .unwrap(),
    )
    .unwrap();
    println!(
        "ims-runtime LtiTool::launch: {count} launches in {seconds:.3} s = {rate:.0} launches/s"
    );
}

criterion_group!(benches, bench);

fn main() {
    match std::env::var_os("IMS_LTI_BENCH_EXPORT") {
        Some(dir) => {
            let count = std::env::var("IMS_LTI_BENCH_TOKENS")
                .ok()
                .map(|n| n.parse().expect("IMS_LTI_BENCH_TOKENS is a count"))
                .unwrap_or(5000);
            export_and_time(Path::new(&dir), count);
        }
        None => {
            benches();
            Criterion::default().configure_from_args().final_summary();
        }
    }
}

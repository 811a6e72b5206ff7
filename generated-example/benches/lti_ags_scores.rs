//! LTI AGS score POSTs per second through the generated AGS 2.0 server (issue 10's benchmark):
//! the generated `lti_ags_v2p0::client::AgsClient` posts `application/vnd.ims.lis.v1.score+json`
//! to the generated `lti_ags_v2p0::server::router` over loopback TLS, behind the embedded
//! authorization server's resource-server layer, with a real access token.
//!
//! The platform side is what a platform mounts: the embedded `AuthorizationServer` (SQLite store
//! in a tempdir) with the tool registered as a `ToolRegistration` (a `private_key_jwt` client
//! holding the tool's public JWK), and the generated AGS router with
//! `AuthLayer::new(local_verifier)`. The score store is in memory, as in
//! `tests/integration/lti_ags.rs`: one line item, the latest score per learner kept by timestamp.
//! The tool side gets its token the LTI way, by a JWT client assertion signed with its own key
//! (`ClientAssertionSource` over `ToolKeys`), once; the client reuses it. Per POST: the client's
//! body check and serialization, TLS, bearer extraction, the verified-token cache and revocation
//! lookup, the scope check, content-type check, body decoding and constraint checks, the
//! store update, the 204.
//!
//! Two cases: `sequential` (one POST at a time: latency-bound) and `concurrent_32` (32 POSTs in
//! flight, one iteration = 32 POSTs: what the server sustains on the machine's cores). Client and
//! server share the process and its cores.
//!
//! Run: `cargo bench -p ims-generated-example --bench lti_ags_scores`
//!
//! Measured 2026-12-03 on the shared 2-core machine (load average 4–6 from other builds),
//! `--warm-up-time 2 --measurement-time 8`, two runs: 9.5k–11.7k POST/s sequential (85–105 µs
//! each), 13.5k–14.8k POST/s with 32 in flight.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use futures_util::future::try_join_all;
use ims_generated_example::lti_ags_v2p0::client::AgsClient;
use ims_generated_example::lti_ags_v2p0::models::Score;
use ims_generated_example::lti_ags_v2p0::server::AgsService;
use ims_generated_example::lti_ags_v2p0::{BASE_PATH, scopes, server};
use ims_runtime::authorization_server::{AuthorizationServer, SqliteStore};
use ims_runtime::client::{ApiClient, ClientAssertionSource, TokenSource, TokenSourceOptions};
use ims_runtime::codegen::{ImsError, RequestContext};
use ims_runtime::lti::platform::{ToolKeySource, ToolRegistration};
use ims_runtime::lti::{ToolKey, ToolKeys};
use ims_runtime::resource_server::AuthLayer;
use ims_runtime::tls::testing::shared_dev_pem;
use ims_runtime::tls::{ServeOptions, serve_tls_with};
use jsonwebtoken::Algorithm;
use serde_json::json;
use tokio::net::TcpListener;

const CONTEXT: &str = "course-1";
const LINE_ITEM: &str = "1";
const LEARNERS: usize = 30;

/// The gradebook of one course with one line item: the latest score per learner.
#[derive(Clone, Default)]
struct Gradebook {
    scores: Arc<Mutex<HashMap<String, Score>>>,
}

impl AgsService for Gradebook {
    async fn post_score(
        &self,
        _ctx: RequestContext,
        context_id: String,
        line_item_id: String,
        body: Score,
    ) -> Result<(), ImsError> {
        if context_id != CONTEXT || line_item_id != LINE_ITEM {
            return Err(ImsError::unknown_object("no such line item"));
        }
        if body.score_given.is_some() && body.score_maximum.is_none() {
            return Err(ImsError::invalid_data(
                "scoreGiven needs scoreMaximum (AGS 2.0, score publish service)",
            ));
        }
        let mut scores = self.scores.lock().unwrap();
        // A score older than the one kept changes nothing (AGS 2.0 §3.4.3, timestamp).
        let newer = scores.get(&body.user_id).is_none_or(|old| {
            old.timestamp.to_offset_date_time() < body.timestamp.to_offset_date_time()
        });
        if newer {
            scores.insert(body.user_id.clone(), body);
        }
        Ok(())
    }
}

/// A score for learner `n` stamped now (later POSTs replace earlier ones).
fn score(n: usize) -> Score {
    let now = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    serde_json::from_value(json!({
        "userId": format!("learner-{n:02}"),
        "scoreGiven": (n % 11) as f64,
        "scoreMaximum": 10.0,
        "comment": "benchmark",
        "timestamp": now,
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
    }))
    .unwrap()
}

struct Platform {
    client: Arc<AgsClient>,
    scores_url: String,
    gradebook: Gradebook,
    _dir: tempfile::TempDir,
}

/// The platform over TLS on a loopback port, and the tool's AGS client holding a real token.
async fn start() -> Platform {
    let dir = tempfile::tempdir().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("https://{}", listener.local_addr().unwrap());
    let store = Arc::new(SqliteStore::open(&dir.path().join("authz.sqlite")).unwrap());
    let authz = AuthorizationServer::builder(origin.clone(), store)
        .scopes([scopes::SCORE, scopes::RESULT_READONLY])
        .dynamic_registration(false)
        .build()
        .await
        .unwrap();

    // The tool as the platform knows it: its public key, the score scope.
    let tool_key = ToolKey::generate(Algorithm::RS256).unwrap();
    let registration = ToolRegistration {
        client_id: "bench-tool".into(),
        name: "bench tool".into(),
        deployment_id: "deployment-1".into(),
        initiate_login_uri: "https://tool.example/lti/login".into(),
        redirect_uris: vec!["https://tool.example/lti/launch".into()],
        target_link_uri: "https://tool.example/lti/launch".into(),
        deep_linking_uri: None,
        keys: ToolKeySource::Jwks(json!({"keys": [tool_key.public_jwk()]})),
        scopes: vec![scopes::SCORE.into()],
        domain: None,
        custom_parameters: BTreeMap::new(),
    };
    let now = u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp()).unwrap();
    authz.put_client(registration.to_client(now)).await.unwrap();

    let gradebook = Gradebook::default();
    let api = server::router(gradebook.clone())
        .with_auth(AuthLayer::new(
            Arc::new(authz.local_verifier().unwrap()),
            "lti",
        ))
        .into_router();
    let pem = shared_dev_pem().unwrap();
    tokio::spawn(serve_tls_with(
        listener,
        authz.router().merge(api),
        pem.tls_config().unwrap(),
        std::future::pending::<()>(),
        ServeOptions::default(),
    ));

    let policy = ApiClient::default_policy().with_ca_pem(pem.ca_cert.as_bytes().to_vec());
    let tokens = Arc::new(
        ClientAssertionSource::new(
            &format!("{origin}/token"),
            registration.client_id.clone(),
            Arc::new(ToolKeys::new(tool_key)),
            TokenSourceOptions {
                http: policy.clone(),
                ..TokenSourceOptions::default()
            },
        )
        .unwrap(),
    );
    // The one real token, obtained now so no iteration pays for it.
    tokens.token(&[scopes::SCORE]).await.unwrap();
    let client = Arc::new(AgsClient::with_policy(tokens, policy).unwrap());
    Platform {
        client,
        // The line item URL as the AGS claim's `lineitem` carries it.
        scores_url: format!("{origin}{BASE_PATH}/{CONTEXT}/lineitems/{LINE_ITEM}"),
        gradebook,
        _dir: dir,
    }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let platform = rt.block_on(start());
    let scores: Vec<Score> = (0..LEARNERS).map(score).collect();

    // Sanity: every learner's score lands (a refused POST would make the rate meaningless).
    rt.block_on(async {
        for s in &scores {
            platform
                .client
                .post_score(&platform.scores_url, s)
                .await
                .unwrap();
        }
    });
    assert_eq!(platform.gradebook.scores.lock().unwrap().len(), LEARNERS);

    let mut group = c.benchmark_group("lti_ags_scores");
    group.throughput(Throughput::Elements(1));
    let mut next = 0usize;
    group.bench_function("sequential", |b| {
        b.iter(|| {
            next = (next + 1) % LEARNERS;
            rt.block_on(
                platform
                    .client
                    .post_score(&platform.scores_url, &scores[next]),
            )
            .unwrap();
        });
    });
    const IN_FLIGHT: usize = 32;
    group.throughput(Throughput::Elements(IN_FLIGHT as u64));
    group.bench_function(format!("concurrent_{IN_FLIGHT}"), |b| {
        b.iter(|| {
            rt.block_on(async {
                // Spawned, so the POSTs run on both runtime threads as a server's clients would.
                try_join_all((0..IN_FLIGHT).map(|i| {
                    let client = platform.client.clone();
                    let url = platform.scores_url.clone();
                    let body = scores[i % LEARNERS].clone();
                    tokio::spawn(async move { client.post_score(&url, &body).await.unwrap() })
                }))
                .await
                .unwrap()
            });
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! Every OneRoster 1.2 Rostering operation of the demo store, over TLS: 200 with data for the
//! `full` client, 404 `unknownobject` for unknown ids (and for a class asked for under a school
//! it does not belong to), and the `core` client let through exactly where its scope is listed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ims_generated_example::demo::app::ALL_SCOPES;
use ims_generated_example::demo::seed::fill_path_template;
use ims_generated_example::demo::{ClientKind, Demo, DemoConfig, RunningDemo};
use ims_generated_example::oneroster_v1p2_rostering::{BASE_PATH, operations, scopes};
use ims_runtime::catalogue::ParamLocation;
use ims_runtime::client::TokenSource;
use serde_json::Value;

async fn get(demo: &RunningDemo, token: &str, path: &str) -> (u16, Value, Option<u64>) {
    let http = reqwest::Client::builder()
        .tls_backend_preconfigured(ims_runtime::tls::client_config(Some(&demo.ca_pem)).unwrap())
        .build()
        .unwrap();
    let r = http
        .get(demo.url(&format!("{BASE_PATH}{path}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let total = r
        .headers()
        .get("x-total-count")
        .map(|v| v.to_str().unwrap().parse().unwrap());
    (status, r.json().await.unwrap_or(Value::Null), total)
}

#[tokio::test]
async fn every_operation_answers_from_the_seed() {
    let dir = tempfile::tempdir().unwrap();
    let demo = Demo::start(DemoConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().to_path_buf(),
    })
    .await
    .unwrap();
    let full = demo.token_source(ClientKind::Full).unwrap();
    let full = full.token(&ALL_SCOPES).await.unwrap().secret().to_owned();
    let core = demo.token_source(ClientKind::Core).unwrap();
    let core = core
        .token(&[scopes::ROSTER_CORE_READONLY])
        .await
        .unwrap()
        .secret()
        .to_owned();
    let ids = demo.seed().ids.clone();

    let mut checked = 0;
    for op in operations::ALL.iter().filter(|o| !o.is_discovery) {
        let path_params: Vec<&str> = op
            .params
            .iter()
            .filter(|p| p.location == ParamLocation::Path)
            .map(|p| p.name)
            .collect();
        let path = ids.fill_path(op.path).unwrap();
        let (status, body, total) = get(&demo, &full, &path).await;
        assert_eq!(status, 200, "{} {path}: {body}", op.id);
        let members = body.as_object().unwrap();
        assert_eq!(members.len(), 1, "{path}: one wrapper member");
        let inner = members.values().next().unwrap();
        match total {
            Some(total) => {
                assert!(total > 0, "{path}: empty collection");
                assert!(!inner.as_array().unwrap().is_empty(), "{path}");
            }
            None => assert!(inner.get("sourcedId").is_some(), "{path}"),
        }

        // core: allowed exactly where roster-core.readonly is an alternative.
        let core_allowed = op
            .scopes
            .any_of
            .iter()
            .any(|alt| alt == &[scopes::ROSTER_CORE_READONLY]);
        let (status, body, _) = get(&demo, &core, &path).await;
        assert_eq!(
            status,
            if core_allowed { 200 } else { 403 },
            "core on {path}: {body}"
        );

        // Unknown ids, one path parameter at a time.
        for unknown in &path_params {
            let path = fill_path_template(op.path, |p| {
                if p == *unknown {
                    "no-such-id".to_owned()
                } else {
                    ids.for_path_param(op.path, p).unwrap().to_owned()
                }
            });
            let (status, body, _) = get(&demo, &full, &path).await;
            assert_eq!(status, 404, "{path}: {body}");
            assert_eq!(
                body["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"],
                "unknownobject",
                "{path}: {body}"
            );
        }
        checked += 1;
    }
    assert_eq!(checked, 41);

    // Kind views: a teacher is not a student, a class of one school is not under another.
    let (status, ..) = get(&demo, &full, &format!("/students/{}", ids.teacher)).await;
    assert_eq!(status, 404);
    let (status, ..) = get(&demo, &full, &format!("/schools/{}", ids.district)).await;
    assert_eq!(status, 404);
    let (status, ..) = get(
        &demo,
        &full,
        &format!(
            "/schools/{}/classes/{}/students",
            ids.other_school, ids.class
        ),
    )
    .await;
    assert_eq!(status, 404);

    // A filter that selects several users, and the total matching the seed.
    let family = &ids.family_name;
    let expected = demo
        .seed()
        .users
        .iter()
        .filter(|u| &u.family_name == family)
        .count() as u64;
    let (status, body, total) = get(
        &demo,
        &full,
        &format!("/users?filter=familyName%3D%27{family}%27&limit=100"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(total, Some(expected));
    assert!(expected >= 5);

    demo.shutdown().await.unwrap();
}

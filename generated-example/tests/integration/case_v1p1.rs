//! CASE 1.1 served and called through its generated servers and clients over loopback TLS, in
//! both variants of the one SDD: `case_v1p1_public` (the model makes every operation public, as the
//! standard allows) answers without a token and its client sends none; `case_v1p1_secured` (the
//! model keeps them secured) answers 401 without a token and 200 with any token of the embedded
//! authorization server (CASE defines no scopes). Each served discovery document shows the
//! security its server applies.

// In a test a failed expectation is a failed test, not a crash reachable from input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use ims_generated_example::{case_v1p1_public, case_v1p1_secured};
use ims_runtime::authorization_server::{AuthorizationServer, NewClient, SqliteStore};
use ims_runtime::client::{
    ApiError, ClientAuth, ClientCredentialsSource, ClientError, ClientSecret, HttpPolicy,
    ListQuery, NoCredentials, TokenSourceOptions,
};
use ims_runtime::codegen::{ImsError, RequestContext};
use ims_runtime::discovery::Deployment;
use ims_runtime::query::CollectionQuery;
use ims_runtime::resource_server::AuthLayer;
use ims_runtime::server::{Listed, select};
use ims_runtime::tls::testing::TestServer;
use serde_json::{Value, json};

const ISSUER: &str = "https://127.0.0.1";
const DOC_ID: &str = "c6d3f8a2-1b4e-4c7d-9a2b-3e4f5a6b7c8d";

fn document_json(i: usize) -> Value {
    let id = format!("c6d3f8a2-1b4e-4c7d-9a2b-3e4f5a6b7c8{i}");
    json!({
        "identifier": id,
        "uri": format!("https://frameworks.example.org/ims/case/v1p1/CFDocuments/{id}"),
        "creator": "State Board of Education",
        "title": format!("Mathematics framework {i}"),
        "lastChangeDateTime": "2026-05-01T12:00:00Z",
        "caseVersion": "1.1",
        "statusStartDate": "2026-01-01",
        "CFPackageURI": {
            "title": format!("Mathematics framework {i}"),
            "identifier": id,
            "uri": format!("https://frameworks.example.org/ims/case/v1p1/CFPackages/{id}")
        }
    })
}

fn package_json() -> Value {
    let mut document = document_json(0);
    let object = document.as_object_mut().unwrap();
    object.remove("CFPackageURI");
    json!({
        "CFDocument": document,
        "CFItems": [{
            "identifier": "0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d",
            "fullStatement": "Add and subtract within 20.",
            "uri": "https://frameworks.example.org/ims/case/v1p1/CFItems/0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d",
            "humanCodingScheme": "1.OA.C.6",
            "lastChangeDateTime": "2026-05-01T12:00:00Z"
        }],
        "CFAssociations": []
    })
}

/// The frameworks both providers publish: documents 0–4 and the package of document 0.
struct Frameworks {
    documents: Vec<Value>,
}

impl Frameworks {
    fn new() -> Self {
        Frameworks {
            documents: (0..5).map(document_json).collect(),
        }
    }

    fn page(&self, query: &CollectionQuery) -> (Vec<Value>, u64) {
        let page = select(&self.documents, query);
        (page.items, page.total)
    }

    fn document(&self, id: &str) -> Result<&Value, ImsError> {
        self.documents
            .iter()
            .find(|d| d["identifier"] == id)
            .ok_or_else(|| ImsError::unknown_object("no such document"))
    }
}

/// Implements one variant's generated trait over [`Frameworks`] (the two traits have the same
/// operations; only their names differ).
macro_rules! provider {
    ($m:ident, $Service:ident) => {
        impl $m::server::$Service for Provider {
            async fn get_all_cf_documents(
                &self,
                _ctx: RequestContext,
                query: CollectionQuery,
            ) -> Result<Listed<$m::models::CfDocumentSetDType>, ImsError> {
                let (items, total) = self.0.page(&query);
                let body = serde_json::from_value(json!({"CFDocuments": items}))
                    .map_err(|e| ImsError::internal_server_error(e.to_string()))?;
                Ok(Listed::new(body, total))
            }

            async fn get_cf_document(
                &self,
                _ctx: RequestContext,
                sourced_id: String,
            ) -> Result<$m::models::CfDocumentDType, ImsError> {
                serde_json::from_value(self.0.document(&sourced_id)?.clone())
                    .map_err(|e| ImsError::internal_server_error(e.to_string()))
            }

            async fn get_cf_package(
                &self,
                _ctx: RequestContext,
                sourced_id: String,
            ) -> Result<$m::models::CfPackageDType, ImsError> {
                if sourced_id != document_json(0)["identifier"] {
                    return Err(ImsError::unknown_object("no such package"));
                }
                serde_json::from_value(package_json())
                    .map_err(|e| ImsError::internal_server_error(e.to_string()))
            }
        }
    };
}

struct Provider(Frameworks);
provider!(case_v1p1_public, CaseService);
provider!(case_v1p1_secured, CaseSecuredService);

fn policy(server: &TestServer) -> HttpPolicy {
    HttpPolicy::default().with_ca_pem(server.ca_pem().to_vec())
}

/// The embedded authorization server (it knows no scopes: CASE defines none) and the deployment
/// the served SDD is rewritten for.
async fn authorization_server(dir: &tempfile::TempDir) -> AuthorizationServer {
    let store = Arc::new(SqliteStore::open(&dir.path().join("authz.sqlite")).unwrap());
    AuthorizationServer::builder(ISSUER.to_owned(), store)
        .dynamic_registration(false)
        .build()
        .await
        .unwrap()
}

fn deployment(base_path: &str) -> Deployment {
    let url = |path: &str| url::Url::parse(&format!("https://127.0.0.1:1{path}")).unwrap();
    Deployment::new(url(base_path)).with_token_url(url("/token"))
}

async fn plain_get(srv: &TestServer, path: &str, bearer: Option<&str>) -> (u16, Value) {
    let mut request = srv.client().get(srv.url(path));
    if let Some(token) = bearer {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let r = request.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// The `security` of every operation of a served SDD, except the discovery endpoint's.
fn served_security(sdd: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for (path, item) in sdd["paths"].as_object().unwrap() {
        if path.starts_with("/discovery") {
            assert_eq!(item["get"]["security"], json!([]), "discovery is public");
            continue;
        }
        out.push((path.clone(), item["get"]["security"].clone()));
    }
    assert_eq!(out.len(), 12, "the 12 CASE 1.1 operations");
    out
}

#[tokio::test]
async fn public_variant_serves_and_calls_without_a_token() {
    use case_v1p1_public::{BASE_PATH, DISCOVERY_PATH, client::CaseClient, operations, server};

    let dir = tempfile::tempdir().unwrap();
    let authz = authorization_server(&dir).await;
    let verifier = authz.local_verifier().unwrap();
    // The auth layer is there as in any deployment; public operations pass it without a token.
    let api = server::router(Provider(Frameworks::new()))
        .with_auth(AuthLayer::new(Arc::new(verifier), "case"))
        .with_discovery(&deployment(BASE_PATH))
        .unwrap()
        .into_router();
    let srv = TestServer::start(authz.router().merge(api)).await.unwrap();

    // The catalogue: every operation public.
    assert_eq!(operations::ALL.len(), 13);
    assert!(operations::ALL.iter().all(|op| op.scopes.is_public()));

    // The generated client, with no credentials at all.
    let client =
        CaseClient::with_policy(&srv.url(""), Arc::new(NoCredentials), policy(&srv)).unwrap();
    let page = client
        .get_all_cf_documents(ListQuery::new().limit(2).offset(1))
        .await
        .unwrap();
    assert_eq!(page.total, Some(5));
    assert_eq!(page.body.cf_documents.len(), 2);
    assert_eq!(page.body.cf_documents[0].title, "Mathematics framework 1");
    assert!(page.link("next").is_some() && page.link("prev").is_some());
    let doc = client
        .get_cf_document(&format!("{}3", &DOC_ID[..DOC_ID.len() - 1]))
        .await
        .unwrap();
    assert_eq!(doc.title, "Mathematics framework 3");
    let package = client
        .get_cf_package(document_json(0)["identifier"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(package.cf_items.as_ref().map(Vec::len), Some(1));
    // Not found is still an imsx error, and an unimplemented operation a 501.
    let missing = client.get_cf_document("nope").await.unwrap_err();
    assert_eq!(missing.status(), Some(404));
    assert!(matches!(
        client.get_cf_rubric("any").await,
        Err(ApiError::Unsupported { .. })
    ));

    // A plain request without a token: 200.
    let (status, body) = plain_get(&srv, &format!("{BASE_PATH}/CFDocuments?limit=1"), None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["CFDocuments"].as_array().map(Vec::len), Some(1));

    // The served SDD says so: `security: []` on every operation.
    let discovery = format!("{BASE_PATH}{}", DISCOVERY_PATH.unwrap());
    let (status, sdd) = plain_get(&srv, &discovery, None).await;
    assert_eq!(status, 200);
    for (path, security) in served_security(&sdd) {
        assert_eq!(security, json!([]), "{path}");
    }
    srv.shutdown().await;
}

#[tokio::test]
async fn secured_variant_needs_a_token_on_every_operation() {
    use case_v1p1_secured::{
        BASE_PATH, DISCOVERY_PATH, client::CaseSecuredClient, operations, server,
    };

    let dir = tempfile::tempdir().unwrap();
    let authz = authorization_server(&dir).await;
    let verifier = authz.local_verifier().unwrap();
    let api = server::router(Provider(Frameworks::new()))
        .with_auth(AuthLayer::new(Arc::new(verifier), "case"))
        .with_discovery(&deployment(BASE_PATH))
        .unwrap()
        .into_router();
    let srv = TestServer::start(authz.router().merge(api)).await.unwrap();

    // Every operation but discovery needs a token, of no particular scope.
    for op in operations::ALL {
        if op.is_discovery {
            assert!(op.scopes.is_public());
        } else {
            assert_eq!(op.scopes.any_of, &[&[] as &[&str]][..], "{}", op.id);
        }
    }

    // No token: 401 on every kind of operation, and the client without credentials sends none.
    for path in [
        "/CFDocuments",
        &format!("/CFDocuments/{DOC_ID}"),
        "/CFRubrics/x",
    ] {
        let (status, body) = plain_get(&srv, &format!("{BASE_PATH}{path}"), None).await;
        assert_eq!(status, 401, "{path}: {body}");
        assert_eq!(body["imsx_codeMajor"], "failure");
    }
    let anonymous =
        CaseSecuredClient::with_policy(&srv.url(""), Arc::new(NoCredentials), policy(&srv))
            .unwrap();
    let refused = anonymous
        .get_all_cf_documents(ListQuery::new())
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, ApiError::Client(ClientError::Config(m)) if m.contains("NoCredentials")),
        "{refused:?}"
    );

    // A client-credentials client of the provider: any token it gets is accepted.
    let issued = authz
        .create_client(NewClient::client_credentials(Vec::<String>::new()))
        .await
        .unwrap();
    let source = Arc::new(
        ClientCredentialsSource::new(
            &srv.url("/token"),
            issued.client_id,
            ClientAuth::ClientSecretBasic(ClientSecret::new(issued.client_secret.unwrap())),
            TokenSourceOptions {
                http: policy(&srv),
                ..TokenSourceOptions::default()
            },
        )
        .unwrap(),
    );
    let client = CaseSecuredClient::with_policy(&srv.url(""), source, policy(&srv)).unwrap();
    let page = client.get_all_cf_documents(ListQuery::new()).await.unwrap();
    assert_eq!(page.total, Some(5));
    let doc = client
        .get_cf_document(document_json(2)["identifier"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(doc.title, "Mathematics framework 2");

    // Discovery stays public and shows the token requirement, without the anonymous `{}`.
    let discovery = format!("{BASE_PATH}{}", DISCOVERY_PATH.unwrap());
    let (status, sdd) = plain_get(&srv, &discovery, None).await;
    assert_eq!(status, 200);
    for (path, security) in served_security(&sdd) {
        assert_eq!(security, json!([{"OAuth2CC": []}]), "{path}");
    }
    assert_eq!(
        sdd["components"]["securitySchemes"]["OAuth2CC"]["flows"]["clientCredentials"]["tokenUrl"],
        "https://127.0.0.1:1/token"
    );
    srv.shutdown().await;
}

/// Our SDD against the official CASE 1.1 OpenAPI file: the same operations on the same paths, the
/// same schemas with the same members and `required` lists, the same codeMinor vocabulary. The
/// differences recorded in `spec-models/case_v1p1/README.md` (security, discovery, paging
/// constraints, wording) are what this leaves out.
#[test]
fn our_sdd_has_the_structure_of_the_official_file() {
    let path = ims_test_prerequisites::real_sdd_dir().join("case_v1p1_oas3.json");
    let official: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let ours: Value = serde_json::from_str(case_v1p1_public::SDD_JSON).unwrap();

    let operations = |sdd: &Value| {
        let mut ops: Vec<(String, String)> = sdd["paths"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(path, _)| !path.starts_with("/discovery"))
            .map(|(path, item)| {
                let id = item["get"]["operationId"].as_str().unwrap().to_owned();
                (path.clone(), id)
            })
            .collect();
        ops.sort();
        ops
    };
    assert_eq!(operations(&ours), operations(&official));
    for (path, _) in operations(&official) {
        let names = |sdd: &Value| -> Vec<String> {
            let mut names: Vec<String> = sdd["paths"][&path]["get"]["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    // Ours refers to shared parameters; the official file writes them inline.
                    match p["$ref"].as_str() {
                        Some(r) => {
                            let key = r.rsplit('/').next().unwrap();
                            sdd["components"]["parameters"][key]["name"]
                                .as_str()
                                .unwrap()
                                .to_owned()
                        }
                        None => p["name"].as_str().unwrap().to_owned(),
                    }
                })
                .collect();
            names.sort();
            names
        };
        assert_eq!(names(&ours), names(&official), "parameters of {path}");
    }

    let schemas = |sdd: &Value| -> Vec<(String, Vec<String>, Value)> {
        sdd["components"]["schemas"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(name, schema)| {
                let mut members: Vec<String> = schema["properties"]
                    .as_object()
                    .map(|p| p.keys().cloned().collect())
                    .unwrap_or_default();
                members.sort();
                let mut required = schema["required"].clone();
                if let Some(list) = required.as_array_mut() {
                    list.sort_by_key(|v| v.as_str().unwrap_or_default().to_owned());
                }
                (name.clone(), members, required)
            })
            .collect()
    };
    let mut official_schemas = schemas(&official);
    let mut our_schemas = schemas(&ours);
    official_schemas.sort_by(|a, b| a.0.cmp(&b.0));
    our_schemas.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(our_schemas, official_schemas);
    let code_minor =
        "/components/schemas/imsx_CodeMinorFieldDType/properties/imsx_codeMinorFieldValue/enum";
    assert_eq!(ours.pointer(code_minor), official.pointer(code_minor));
}

//! JWT access-token verification rules (SECURITY-CASES (d) JW-01..16, 18, 20, 21 and the
//! token-content rows of (b)): each test feeds a hostile token to `LocalJwtVerifier`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::*;
use ims_runtime::resource_server::{
    Algorithm, JwksKeyError, JwtRules, KeySet, LocalJwtVerifier, ManualClock, VerificationKey,
    VerifyError,
};
use jsonwebtoken::EncodingKey;
use serde_json::{Value, json};

fn rules() -> JwtRules {
    JwtRules::new(ISS, AUD).with_clock(Arc::new(ManualClock::new(NOW)))
}

fn verifier_for(keys: &[&TestKey]) -> LocalJwtVerifier {
    let set = KeySet::from_jwks_json(jwks(keys).to_string().as_bytes()).unwrap();
    LocalJwtVerifier::new(set, rules())
}

fn assert_invalid(v: &LocalJwtVerifier, token: &str, what: &str) {
    match v.verify_now(token) {
        Err(VerifyError::InvalidToken(_)) | Err(VerifyError::Expired) => {}
        other => panic!("{what}: expected rejection, got {other:?}"),
    }
}

fn with(claims_patch: &[(&str, Value)], remove: &[&str]) -> Value {
    let mut c = claims(ROSTER_RO);
    let o = c.as_object_mut().unwrap();
    for k in remove {
        o.remove(*k);
    }
    for (k, v) in claims_patch {
        o.insert((*k).into(), v.clone());
    }
    c
}

#[test]
fn valid_at_jwt_accepted_and_principal_filled() {
    let key = ec_key("k1");
    let rsa = rsa_key("r1");
    let v = verifier_for(&[&key, &rsa]);
    let p = v
        .verify_now(&good_token(
            &key,
            &format!("{ROSTER_RO} {ROSTER_CREATEPUT}"),
        ))
        .unwrap();
    assert_eq!(p.sub, "client-1");
    assert_eq!(p.client_id, "client-1");
    assert_eq!(
        p.scopes,
        vec![ROSTER_RO.to_owned(), ROSTER_CREATEPUT.to_owned()]
    );
    assert_eq!(p.exp, NOW + 3600);
    assert!(p.jti.is_some());
    v.verify_now(&good_token(&rsa, ROSTER_RO)).unwrap();
}

#[test]
fn alg_none_in_any_case_rejected() {
    let key = ec_key("k1");
    let v = verifier_for(&[&key]);
    for alg in ["none", "None", "NONE", "nOnE"] {
        let h = json!({"alg": alg, "typ": "at+jwt", "kid": "k1"}).to_string();
        let body = claims(ROSTER_RO).to_string();
        let base = format!("{}.{}", b64(h.as_bytes()), b64(body.as_bytes()));
        assert_invalid(&v, &format!("{base}."), alg);
        assert_invalid(&v, &format!("{base}.AAAA"), alg);
    }
}

#[test]
fn missing_or_null_alg_rejected() {
    let key = ec_key("k1");
    let v = verifier_for(&[&key]);
    for h in [
        json!({}),
        json!({"alg": null, "typ": "at+jwt", "kid": "k1"}),
        json!({"typ": "at+jwt", "kid": "k1"}),
    ] {
        // Signed with the real key so only the header is at fault.
        let t = sign_raw(
            h.to_string().as_bytes(),
            claims(ROSTER_RO).to_string().as_bytes(),
            &key.encoding,
            key.alg,
        );
        assert_invalid(&v, &t, &h.to_string());
    }
}

#[test]
fn hs256_keyed_with_public_key_rejected() {
    let rsa = rsa_key("r1");
    let v = verifier_for(&[&rsa]);
    let secrets: Vec<Vec<u8>> = vec![
        rsa.public_pem.clone().into_bytes(),
        rsa.jwk.to_string().into_bytes(),
        rsa.jwk["n"].as_str().unwrap().as_bytes().to_vec(),
    ];
    for secret in secrets {
        let h = json!({"alg": "HS256", "typ": "at+jwt", "kid": "r1"});
        let t = sign_raw(
            h.to_string().as_bytes(),
            claims(ROSTER_RO).to_string().as_bytes(),
            &EncodingKey::from_secret(&secret),
            Algorithm::HS256,
        );
        assert_invalid(&v, &t, "HS256 with public key material");
    }
    // Even if HS256 is in the allow-list, an RSA key never verifies HMAC.
    let set = KeySet::from_jwks_json(jwks(&[&rsa]).to_string().as_bytes()).unwrap();
    let lax = LocalJwtVerifier::new(
        set,
        rules().with_algorithms([Algorithm::RS256, Algorithm::HS256]),
    );
    let h = json!({"alg": "HS256", "typ": "at+jwt", "kid": "r1"});
    let t = sign_raw(
        h.to_string().as_bytes(),
        claims(ROSTER_RO).to_string().as_bytes(),
        &EncodingKey::from_secret(rsa.public_pem.as_bytes()),
        Algorithm::HS256,
    );
    assert_invalid(&lax, &t, "HS256 against an RSA key");
}

#[test]
fn alg_outside_allow_list_rejected() {
    let ec = ec_key("e1");
    let rsa = rsa_key("r1");
    let set = KeySet::from_jwks_json(jwks(&[&ec, &rsa]).to_string().as_bytes()).unwrap();
    let rs_only = LocalJwtVerifier::new(set, rules().with_algorithms([Algorithm::RS256]));
    assert_invalid(
        &rs_only,
        &good_token(&ec, ROSTER_RO),
        "ES256 when only RS256 is allowed",
    );
    rs_only.verify_now(&good_token(&rsa, ROSTER_RO)).unwrap();
    // RS512 / PS256 with a key pinned to RS256.
    let v = verifier_for(&[&rsa]);
    for alg in [Algorithm::RS512, Algorithm::PS256] {
        let h = json!({"alg": format!("{alg:?}"), "typ": "at+jwt", "kid": "r1"});
        let t = sign_raw(
            h.to_string().as_bytes(),
            claims(ROSTER_RO).to_string().as_bytes(),
            &rsa.encoding,
            alg,
        );
        assert_invalid(&v, &t, "alg differs from the key's pinned alg");
    }
    // ES256K is not even parsed as an algorithm.
    let h = json!({"alg": "ES256K", "typ": "at+jwt", "kid": "e1"});
    let t = format!("{}.{}.AAAA", b64(h.to_string().as_bytes()), b64(b"{}"));
    assert_invalid(&v, &t, "ES256K");
}

#[test]
fn embedded_and_remote_key_headers_never_used() {
    let legit = ec_key("k1");
    let attacker = ec_key("evil");
    let v = verifier_for(&[&legit]);
    for extra in [
        ("jwk", attacker.jwk.clone()),
        ("jku", json!("https://evil.example/jwks.json")),
        ("x5u", json!("https://evil.example/cert.pem")),
        ("x5c", json!(["MIIB"])),
    ] {
        // Attacker-signed token naming the legit kid plus a key header: the signature check uses
        // the configured key, so it fails.
        let mut h = header(&attacker);
        h["kid"] = json!("k1");
        h[extra.0] = extra.1.clone();
        assert_invalid(&v, &token(&attacker, &h, &claims(ROSTER_RO)), extra.0);
        // With the attacker's own kid: unknown kid, rejected.
        let mut h = header(&attacker);
        h[extra.0] = extra.1;
        assert_invalid(&v, &token(&attacker, &h, &claims(ROSTER_RO)), "unknown kid");
    }
}

#[test]
fn kid_is_an_opaque_map_key() {
    let key = ec_key("k1");
    let v = verifier_for(&[&key]);
    let long = "a".repeat(5000);
    for kid in [
        json!("../../dev/null"),
        json!("' OR 1=1--"),
        json!(long),
        json!(1),
        json!({"a": 1}),
    ] {
        let mut h = header(&key);
        h["kid"] = kid.clone();
        assert_invalid(&v, &token(&key, &h, &claims(ROSTER_RO)), &kid.to_string());
    }
}

#[test]
fn tampered_signatures_rejected() {
    let key = ec_key("k1");
    let other = ec_key("k1");
    let v = verifier_for(&[&key]);
    let good = good_token(&key, ROSTER_RO);
    let parts: Vec<&str> = good.split('.').collect();
    // Payload bit flip.
    let mut payload = URL_SAFE_NO_PAD.decode(parts[1]).unwrap();
    let pos = payload.iter().position(|b| *b == b'1').unwrap();
    payload[pos] = b'2';
    assert_invalid(
        &v,
        &format!("{}.{}.{}", parts[0], b64(&payload), parts[2]),
        "payload flip",
    );
    // Truncated signature.
    assert_invalid(
        &v,
        &format!("{}.{}.{}", parts[0], parts[1], &parts[2][..40]),
        "truncated",
    );
    // Signature by another key with the same kid.
    assert_invalid(&v, &good_token(&other, ROSTER_RO), "other key");
    // Header re-encoded (same JSON meaning, different bytes) keeps the old signature.
    let header_json: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    let reencoded = serde_json::to_string_pretty(&header_json).unwrap();
    assert_invalid(
        &v,
        &format!("{}.{}.{}", b64(reencoded.as_bytes()), parts[1], parts[2]),
        "re-encoded header",
    );
}

#[test]
fn ecdsa_zero_der_and_wrong_length_signatures_rejected() {
    let key = ec_key("k1");
    let v = verifier_for(&[&key]);
    let good = good_token(&key, ROSTER_RO);
    let (input, sig) = good.rsplit_once('.').unwrap();
    let raw = URL_SAFE_NO_PAD.decode(sig).unwrap();
    assert_eq!(raw.len(), 64);
    // r = s = 0 ("psychic signature").
    assert_invalid(&v, &format!("{input}.{}", b64(&[0u8; 64])), "r=s=0");
    // DER instead of raw R||S.
    let der_int = |x: &[u8]| {
        let mut x = x.to_vec();
        while x.len() > 1 && x[0] == 0 && x[1] < 0x80 {
            x.remove(0);
        }
        if x[0] >= 0x80 {
            x.insert(0, 0);
        }
        let mut out = vec![0x02, x.len() as u8];
        out.extend(x);
        out
    };
    let mut seq = der_int(&raw[..32]);
    seq.extend(der_int(&raw[32..]));
    let mut der = vec![0x30, seq.len() as u8];
    der.extend(seq);
    assert_invalid(&v, &format!("{input}.{}", b64(&der)), "DER signature");
    // Wrong length.
    assert_invalid(
        &v,
        &format!("{input}.{}", b64(&raw[..63])),
        "63-byte signature",
    );
}

#[test]
fn time_claim_type_confusion_rejected() {
    let key = ec_key("k1");
    let v = verifier_for(&[&key]);
    let cases = [
        ("exp", json!("9999999999")),
        ("exp", json!(1.9e9)),
        ("exp", json!(-1)),
        ("exp", json!(1e300)),
        ("exp", Value::Null),
        ("nbf", json!("never")),
        ("nbf", json!(1.5)),
        ("iat", json!("now")),
    ];
    for (claim, value) in cases {
        let c = with(&[(claim, value.clone())], &[]);
        assert_invalid(
            &v,
            &token(&key, &header(&key), &c),
            &format!("{claim}={value}"),
        );
    }
}

#[test]
fn required_claims_missing_rejected() {
    let key = ec_key("k1");
    let v = verifier_for(&[&key]);
    for claim in ["exp", "iat", "sub", "client_id", "jti", "iss", "aud"] {
        let c = with(&[], &[claim]);
        assert_invalid(&v, &token(&key, &header(&key), &c), claim);
    }
}

#[test]
fn audience_must_contain_ours_and_multiple_audiences_need_azp() {
    let key = ec_key("k1");
    let v = verifier_for(&[&key]);
    for aud in [
        json!("https://api.example.edu/clr"),
        json!([]),
        json!(123),
        json!([123]),
        json!(["https://other.example"]),
        json!([AUD, "https://other.example"]), // no azp
    ] {
        let c = with(&[("aud", aud.clone())], &[]);
        assert_invalid(&v, &token(&key, &header(&key), &c), &aud.to_string());
    }
    let c = with(
        &[
            ("aud", json!([AUD, "https://other.example"])),
            ("azp", json!("someone-else")),
        ],
        &[],
    );
    assert_invalid(&v, &token(&key, &header(&key), &c), "azp mismatch");
    let c = with(
        &[
            ("aud", json!([AUD, "https://other.example"])),
            ("azp", json!("client-1")),
        ],
        &[],
    );
    v.verify_now(&token(&key, &header(&key), &c)).unwrap();
    let c = with(&[("aud", json!([AUD]))], &[]);
    v.verify_now(&token(&key, &header(&key), &c)).unwrap();
}

#[test]
fn issuer_compared_exactly() {
    let key = ec_key("k1");
    let v = verifier_for(&[&key]);
    for iss in [
        format!("{ISS}/"),
        ISS.to_uppercase(),
        "https://as.example.edu:443".to_owned(),
        "https://tenant-b.example.edu".to_owned(),
    ] {
        let c = with(&[("iss", json!(iss))], &[]);
        assert_invalid(&v, &token(&key, &header(&key), &c), &iss);
    }
}

#[test]
fn crit_header_rejected() {
    let key = ec_key("k1");
    let v = verifier_for(&[&key]);
    for crit in [json!(["exp"]), json!(["b64"]), json!([])] {
        let mut h = header(&key);
        h["crit"] = crit;
        h["b64"] = json!(true);
        assert_invalid(&v, &token(&key, &h, &claims(ROSTER_RO)), "crit");
    }
}

#[test]
fn duplicate_json_members_rejected() {
    let key = ec_key("k1");
    let v = verifier_for(&[&key]);
    let h = r#"{"alg":"ES256","typ":"at+jwt","kid":"k1","alg":"none"}"#;
    let t = sign_raw(
        h.as_bytes(),
        claims(ROSTER_RO).to_string().as_bytes(),
        &key.encoding,
        key.alg,
    );
    assert_invalid(&v, &t, "duplicate alg");
    let c = claims(ROSTER_RO).to_string();
    let dup = c.replacen('{', r#"{"sub":"admin","#, 1);
    let t = sign_raw(
        header(&key).to_string().as_bytes(),
        dup.as_bytes(),
        &key.encoding,
        key.alg,
    );
    assert_invalid(&v, &t, "duplicate sub");
}

#[test]
fn non_canonical_base64url_rejected() {
    let key = ec_key("k1");
    let v = verifier_for(&[&key]);
    let good = good_token(&key, ROSTER_RO);
    let parts: Vec<&str> = good.split('.').collect();
    let variants = [
        format!("{}=.{}.{}", parts[0], parts[1], parts[2]),
        format!("{}.{}.{}==", parts[0], parts[1], parts[2]),
        format!("{}.{}.+{}", parts[0], parts[1], &parts[2][1..]),
        format!("{}.{}./{}", parts[0], parts[1], &parts[2][1..]),
        format!("{}.{} .{}", parts[0], parts[1], parts[2]),
        format!("{}.{}\n.{}", parts[0], parts[1], parts[2]),
        format!("{good}garbage!"),
        format!("{good}.extra"),
        format!(
            "{}.{}.{}.{}.{}",
            parts[0], parts[1], parts[2], parts[1], parts[2]
        ),
    ];
    for t in variants {
        assert_invalid(&v, &t, &t);
    }
    // Non-zero trailing bits: the last character of a segment changed to an alias.
    let sig = parts[2];
    let last = sig.chars().last().unwrap();
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let idx = alphabet.find(last).unwrap();
    // 64-byte signature → 86 chars, last char carries 2 meaningful bits, 4 padding bits.
    let alias = alphabet.chars().nth(idx | 1).unwrap();
    if alias != last {
        let t = format!(
            "{}.{}.{}{}",
            parts[0],
            parts[1],
            &sig[..sig.len() - 1],
            alias
        );
        assert_invalid(&v, &t, "non-zero trailing bits");
    }
}

#[test]
fn jwe_not_accepted_where_jws_expected() {
    let key = ec_key("k1");
    let v = verifier_for(&[&key]);
    let h = json!({"alg": "ES256", "enc": "A256GCM", "zip": "DEF", "typ": "at+jwt", "kid": "k1"});
    assert_invalid(&v, &token(&key, &h, &claims(ROSTER_RO)), "enc/zip header");
    let jwe = format!(
        "{}.{}.{}.{}.{}",
        b64(
            json!({"alg": "PBES2-HS256+A128KW", "p2c": 100000000, "enc": "A128GCM"})
                .to_string()
                .as_bytes()
        ),
        b64(b"k"),
        b64(b"iv"),
        b64(b"ct"),
        b64(b"tag")
    );
    assert_invalid(&v, &jwe, "5-segment JWE");
}

#[test]
fn jwks_unusable_keys_skipped_and_caps_enforced() {
    let ec = ec_key("ec");
    let rsa = rsa_key("rsa");
    let mut enc = ec.jwk.clone();
    enc["use"] = json!("enc");
    enc["kid"] = json!("enc");
    let mut mismatched = ec.jwk.clone();
    mismatched["alg"] = json!("RS256");
    mismatched["kid"] = json!("mismatch");
    let mut weak = rsa.jwk.clone();
    weak["n"] = json!(b64(&[0xC5u8; 128])); // 1024-bit modulus
    weak["kid"] = json!("weak");
    let oct = json!({"kty": "oct", "k": b64(&[1u8; 32]), "kid": "oct", "alg": "HS256"});
    let mut private = ec.jwk.clone();
    private["d"] = json!(b64(&[1u8; 32]));
    private["kid"] = json!("private");
    let doc = json!({"keys": [ec.jwk, rsa.jwk, enc, mismatched, weak, oct, private]});
    let set = KeySet::from_jwks_json(doc.to_string().as_bytes()).unwrap();
    assert_eq!(set.len(), 2, "only the two good keys remain");

    let many = json!({"keys": vec![ec.jwk.clone(); 51]});
    assert!(matches!(
        KeySet::from_jwks_json(many.to_string().as_bytes()),
        Err(JwksKeyError::TooManyKeys)
    ));
    let big = vec![b' '; 70 * 1024];
    assert!(matches!(
        KeySet::from_jwks_json(&big),
        Err(JwksKeyError::TooLarge)
    ));
    assert!(matches!(
        KeySet::from_jwks_json(b"[]"),
        Err(JwksKeyError::Malformed)
    ));
}

#[test]
fn weak_hmac_secret_refused_at_configuration() {
    assert!(matches!(
        VerificationKey::hmac(Some("h"), Algorithm::HS256, &[7u8; 16]),
        Err(JwksKeyError::WeakHmacSecret(16))
    ));
    assert!(VerificationKey::hmac(Some("h"), Algorithm::HS256, &[7u8; 32]).is_ok());
    assert!(VerificationKey::hmac(Some("h"), Algorithm::RS256, &[7u8; 32]).is_err());
}

#[test]
fn token_kinds_not_interchangeable() {
    let key = ec_key("k1");
    let v = verifier_for(&[&key]);
    // An ID token (typ JWT, aud = client id, nonce), a client assertion (aud = token endpoint),
    // an LTI message: none has typ at+jwt.
    let mut id_header = header(&key);
    id_header["typ"] = json!("JWT");
    let id_token = with(&[("aud", json!("client-1")), ("nonce", json!("n"))], &[]);
    assert_invalid(&v, &token(&key, &id_header, &id_token), "ID token");
    let mut no_typ = header(&key);
    no_typ.as_object_mut().unwrap().remove("typ");
    assert_invalid(&v, &token(&key, &no_typ, &claims(ROSTER_RO)), "no typ");
    let assertion = with(&[("aud", json!(format!("{ISS}/token")))], &[]);
    assert_invalid(&v, &token(&key, &id_header, &assertion), "client assertion");
    let mut lti = header(&key);
    lti["typ"] = json!("JWT");
    let lti_claims = with(
        &[(
            "https://purl.imsglobal.org/spec/lti/claim/message_type",
            json!("LtiResourceLinkRequest"),
        )],
        &[],
    );
    assert_invalid(&v, &token(&key, &lti, &lti_claims), "LTI message");
    // typ is a media type: compared case-insensitively, with or without `application/`.
    let mut upper = header(&key);
    upper["typ"] = json!("application/AT+JWT");
    v.verify_now(&token(&key, &upper, &claims(ROSTER_RO)))
        .unwrap();
}

#[test]
fn expiry_and_not_before_respect_leeway() {
    let key = ec_key("k1");
    let v = verifier_for(&[&key]);
    let ok = |c: Value| v.verify_now(&token(&key, &header(&key), &c));
    assert!(
        ok(with(&[("exp", json!(NOW - 30))], &[])).is_ok(),
        "exp = now-30 within leeway 60"
    );
    assert_eq!(
        ok(with(&[("exp", json!(NOW - 61))], &[])).unwrap_err(),
        VerifyError::Expired
    );
    assert!(
        ok(with(&[("nbf", json!(NOW + 30))], &[])).is_ok(),
        "nbf = now+30 within leeway"
    );
    assert!(
        ok(with(&[("nbf", json!(NOW + 120))], &[])).is_err(),
        "nbf = now+120"
    );
    assert!(
        ok(with(&[("iat", json!(NOW + 120))], &[])).is_err(),
        "iat in the future"
    );
    assert!(ok(with(&[("iat", json!(NOW + 30))], &[])).is_ok());
}

#[test]
fn oversized_token_rejected_before_parsing() {
    let key = ec_key("k1");
    let v = verifier_for(&[&key]);
    let big = format!("{}.{}.{}", "a".repeat(40_000), "b".repeat(40_000), "c");
    assert_eq!(
        v.verify_now(&big).unwrap_err(),
        VerifyError::InvalidToken("token too large")
    );
    let dots = ".".repeat(8000);
    assert_invalid(&v, &dots, "dots");
    let padded = with(&[("aud", json!(vec![AUD; 300]))], &[]);
    assert_invalid(&v, &token(&key, &header(&key), &padded), "large aud array");
}

#[test]
fn kid_absent_uses_the_single_matching_key_only() {
    let a = ec_key("a");
    let b = ec_key("b");
    let mut h = header(&a);
    h.as_object_mut().unwrap().remove("kid");
    let single = verifier_for(&[&a]);
    single
        .verify_now(&token(&a, &h, &claims(ROSTER_RO)))
        .unwrap();
    let two = verifier_for(&[&a, &b]);
    assert_invalid(
        &two,
        &token(&a, &h, &claims(ROSTER_RO)),
        "ambiguous without kid",
    );
}

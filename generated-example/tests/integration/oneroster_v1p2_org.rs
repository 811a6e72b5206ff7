//! OneRoster 1.2 `Org` through the generated models: the known `type` values and `ext:` extensions
//! round-trip exactly, anything else is refused with an error that says what is allowed.

// In a test a failed expectation is a failed test, not a crash reachable from input.
#![allow(clippy::expect_used)]

use ims_generated_example::oneroster_v1p2_rostering::models::{OrgDType, OrgDTypeType};
use serde_json::{Value, json};

fn org(kind: &str) -> Value {
    json!({
        "sourcedId": "org-12",
        "status": "active",
        "dateLastModified": "2027-08-14T09:30:00.000Z",
        "metadata": {"ext:localCode": "RHS", "ext:capacity": 1200},
        "name": "Riverside High School",
        "type": kind,
        "identifier": "NCES-340000100012",
        "parent": {
            "href": "https://example.edu/ims/oneroster/rostering/v1p2/orgs/org-7",
            "sourcedId": "org-7",
            "type": "org"
        }
    })
}

fn round_trip(value: &Value) -> Value {
    let typed: OrgDType = serde_json::from_value(value.clone()).expect("a valid Org deserializes");
    serde_json::to_value(&typed).expect("an Org serializes")
}

#[test]
fn org_with_known_type_round_trips_exactly() {
    let value = org("school");
    let typed: OrgDType = serde_json::from_value(value.clone()).unwrap();
    assert_eq!(typed.r#type, OrgDTypeType::School);
    assert_eq!(round_trip(&value), value);
}

#[test]
fn org_with_ext_type_round_trips_exactly() {
    let value = org("ext:campus");
    let typed: OrgDType = serde_json::from_value(value.clone()).unwrap();
    assert_eq!(typed.r#type, OrgDTypeType::Ext("ext:campus".to_owned()));
    assert_eq!(round_trip(&value), value);
}

#[test]
fn org_with_unknown_type_is_rejected_with_the_allowed_values() {
    let error = serde_json::from_value::<OrgDType>(org("bogus"))
        .unwrap_err()
        .to_string();
    assert!(error.contains("bogus"), "names the bad value: {error}");
    assert!(
        error.contains("school"),
        "lists the allowed values: {error}"
    );
    assert!(
        error.contains("ext:"),
        "mentions the ext: extension form: {error}"
    );
}

#[test]
fn org_with_unknown_member_is_rejected_because_the_standard_closes_org() {
    let mut value = org("school");
    value["nickname"] = json!("RHS");
    let error = serde_json::from_value::<OrgDType>(value)
        .unwrap_err()
        .to_string();
    assert!(error.contains("nickname"), "{error}");
}

#[test]
fn org_date_time_keeps_its_original_text() {
    let typed: OrgDType = serde_json::from_value(org("district")).unwrap();
    assert_eq!(
        typed.date_last_modified.as_str(),
        "2027-08-14T09:30:00.000Z"
    );
}

//! The demo's sample data: big enough, deterministic, internally consistent, and every record
//! survives a round trip through the generated models (which reject unknown members, bad enum
//! values and malformed dates).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashMap, HashSet};

use ims_generated_example::demo::Seed;
use ims_generated_example::oneroster_v1p2_rostering::models::{
    AcademicSessionDType, AcademicSessionDTypeType, ClassDType, CourseDType, DemographicsDType,
    EnrollmentDType, EnrollmentDTypeRole, OrgDType, OrgDTypeType, UserDType,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

const SERVICE: &str = "https://127.0.0.1:8443/ims/oneroster/rostering/v1p2";

fn seed() -> Seed {
    Seed::generate(SERVICE).unwrap()
}

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(records: &[T]) {
    for r in records {
        let json = serde_json::to_value(r).unwrap();
        let back: T =
            serde_json::from_value(json.clone()).unwrap_or_else(|e| panic!("{e}: {json}"));
        assert_eq!(&back, r);
    }
}

#[test]
fn sizes_and_roles() {
    let s = seed();
    assert!(s.users.len() >= 1_000, "{} users", s.users.len());
    let mut roles = BTreeMap::<&str, usize>::new();
    for u in &s.users {
        *roles.entry(u.roles[0].role.as_str()).or_default() += 1;
    }
    assert!(roles["student"] >= 1_000, "{roles:?}");
    assert!(roles["teacher"] >= 50, "{roles:?}");
    assert!(roles["guardian"] >= 10, "{roles:?}");
    assert!(roles["districtAdministrator"] + roles["siteAdministrator"] >= 3);
    assert_eq!(
        s.orgs
            .iter()
            .filter(|o| o.r#type == OrgDTypeType::District)
            .count(),
        1
    );
    assert!(
        s.orgs
            .iter()
            .filter(|o| o.r#type == OrgDTypeType::School)
            .count()
            >= 3
    );
    for kind in [
        AcademicSessionDTypeType::SchoolYear,
        AcademicSessionDTypeType::Term,
        AcademicSessionDTypeType::GradingPeriod,
    ] {
        assert!(s.academic_sessions.iter().any(|a| a.r#type == kind));
    }
    assert!(s.courses.len() >= 20 && s.classes.len() >= 100);
    assert!(s.enrollments.len() >= 5 * 1_000);
    assert_eq!(s.demographics.len(), roles["student"]);
}

#[test]
fn deterministic_and_round_trips() {
    let (a, b) = (seed(), seed());
    let json = |s: &Seed| {
        serde_json::to_string(&(
            &s.orgs,
            &s.academic_sessions,
            &s.courses,
            &s.classes,
            &s.users,
            &s.enrollments,
            &s.demographics,
        ))
        .unwrap()
    };
    assert_eq!(json(&a), json(&b));
    assert_eq!(a.ids, b.ids);
    round_trip::<OrgDType>(&a.orgs);
    round_trip::<AcademicSessionDType>(&a.academic_sessions);
    round_trip::<CourseDType>(&a.courses);
    round_trip::<ClassDType>(&a.classes);
    round_trip::<UserDType>(&a.users);
    round_trip::<EnrollmentDType>(&a.enrollments);
    round_trip::<DemographicsDType>(&a.demographics);
}

/// Every `{href, sourcedId, type}` object anywhere in the data points at a record of that type
/// under the service URL.
#[test]
fn references_resolve() {
    let s = seed();
    let mut known: HashMap<&str, HashSet<String>> = HashMap::new();
    let mut add = |kind: &'static str, ids: Vec<String>| {
        let set = known.entry(kind).or_default();
        for id in ids {
            assert!(set.insert(id.clone()), "duplicate {kind} {id}");
        }
    };
    add("org", s.orgs.iter().map(|r| r.sourced_id.clone()).collect());
    add(
        "academicSession",
        s.academic_sessions
            .iter()
            .map(|r| r.sourced_id.clone())
            .collect(),
    );
    add(
        "course",
        s.courses.iter().map(|r| r.sourced_id.clone()).collect(),
    );
    add(
        "class",
        s.classes.iter().map(|r| r.sourced_id.clone()).collect(),
    );
    add(
        "user",
        s.users.iter().map(|r| r.sourced_id.clone()).collect(),
    );

    let all = serde_json::to_value((
        &s.orgs,
        &s.academic_sessions,
        &s.courses,
        &s.classes,
        &s.users,
        &s.enrollments,
        &s.demographics,
    ))
    .unwrap();
    let mut refs = 0;
    let mut stack = vec![&all];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(m) => {
                if let (
                    Some(Value::String(href)),
                    Some(Value::String(id)),
                    Some(Value::String(t)),
                ) = (m.get("href"), m.get("sourcedId"), m.get("type"))
                {
                    refs += 1;
                    assert!(known[t.as_str()].contains(id), "dangling {t} {id}");
                    let prefix = format!("{SERVICE}/");
                    let path = href.strip_prefix(&prefix).unwrap();
                    assert!(path.ends_with(&format!("/{id}")), "{href}");
                }
                stack.extend(m.values());
            }
            Value::Array(a) => stack.extend(a),
            _ => {}
        }
    }
    assert!(refs > 10_000, "{refs} references");

    // Demographics belong to students; enrollments link users to classes of the same school.
    let students: HashSet<&str> = s
        .users
        .iter()
        .filter(|u| u.roles.iter().any(|r| r.role.as_str() == "student"))
        .map(|u| u.sourced_id.as_str())
        .collect();
    assert!(
        s.demographics
            .iter()
            .all(|d| students.contains(d.sourced_id.as_str()))
    );
    let class_school: HashMap<&str, &str> = s
        .classes
        .iter()
        .map(|c| (c.sourced_id.as_str(), c.school.sourced_id.as_str()))
        .collect();
    for e in &s.enrollments {
        assert_eq!(
            class_school[e.class.sourced_id.as_str()],
            e.school.sourced_id
        );
        if e.role == EnrollmentDTypeRole::Student {
            assert!(students.contains(e.user.sourced_id.as_str()));
        }
    }
}

#[test]
fn sample_ids_fit_together() {
    let s = seed();
    let ids = &s.ids;
    let class = s
        .classes
        .iter()
        .find(|c| c.sourced_id == ids.class)
        .unwrap();
    assert_eq!(class.school.sourced_id, ids.school);
    assert_eq!(class.course.sourced_id, ids.course);
    assert!(class.terms.iter().any(|t| t.sourced_id == ids.term));
    assert_ne!(ids.other_school, ids.school);
    let e = s
        .enrollments
        .iter()
        .find(|e| e.sourced_id == ids.enrollment)
        .unwrap();
    assert_eq!(
        (e.user.sourced_id.as_str(), e.class.sourced_id.as_str()),
        (ids.student.as_str(), ids.class.as_str())
    );
    assert!(s.enrollments.iter().any(|e| e.class.sourced_id == ids.class
        && e.user.sourced_id == ids.teacher
        && e.role == EnrollmentDTypeRole::Teacher));
    assert!(
        s.demographics
            .iter()
            .any(|d| d.sourced_id == ids.demographics)
    );
    let gp = s
        .academic_sessions
        .iter()
        .find(|a| a.sourced_id == ids.grading_period)
        .unwrap();
    assert_eq!(gp.parent.as_ref().unwrap().sourced_id, ids.term);
    let guardian = s
        .users
        .iter()
        .find(|u| u.sourced_id == ids.guardian)
        .unwrap();
    assert!(
        guardian
            .agents
            .as_ref()
            .unwrap()
            .iter()
            .any(|a| a.sourced_id == ids.student)
    );
    let same_family = s
        .users
        .iter()
        .filter(|u| u.family_name == ids.family_name)
        .count();
    assert!((5..200).contains(&same_family), "{same_family}");
}

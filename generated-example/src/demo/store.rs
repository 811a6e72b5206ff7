//! [`DemoStore`]: the generated `RosteringService` trait over the in-memory [`Seed`].
//!
//! Collections go through [`ims_runtime::server::select`] (filter, sort, page on each record's
//! JSON form, exactly what the wire shows); single objects and the parents of relationship
//! endpoints answer 404 `unknownobject` when missing. The "kind" endpoints are views: `/schools`
//! are orgs of type `school`, `/terms` and `/gradingPeriods` academic sessions of that type,
//! `/students` and `/teachers` users holding that role; fetching, say, a teacher through
//! `/students/{id}` is a 404 like any unknown id.

use std::collections::HashMap;
use std::sync::Arc;

use ims_runtime::imsx::ImsError;
use ims_runtime::query::CollectionQuery;
use ims_runtime::server::{Listed, RequestContext, select};
use serde::Serialize;

use super::seed::Seed;
use crate::oneroster_v1p2_rostering::models::{
    AcademicSessionDType, AcademicSessionDTypeType, AcademicSessionSetDType, ClassDType,
    ClassSetDType, CourseDType, CourseSetDType, DemographicsDType, DemographicsSetDType,
    EnrollmentDType, EnrollmentDTypeRole, EnrollmentSetDType, OrgDType, OrgDTypeType, OrgSetDType,
    RoleDTypeRole, SingleAcademicSessionDType, SingleClassDType, SingleCourseDType,
    SingleDemographicsDType, SingleEnrollmentDType, SingleOrgDType, SingleUserDType, UserDType,
    UserSetDType,
};
use crate::oneroster_v1p2_rostering::server::RosteringService;

/// Positions of records by `sourcedId`, and the enrollment lists the relationship endpoints
/// walk, computed once (the data never changes while serving).
#[derive(Debug, Default)]
struct Index {
    orgs: HashMap<String, usize>,
    sessions: HashMap<String, usize>,
    courses: HashMap<String, usize>,
    classes: HashMap<String, usize>,
    users: HashMap<String, usize>,
    enrollments: HashMap<String, usize>,
    demographics: HashMap<String, usize>,
    /// class sourcedId → enrollment positions.
    class_enrollments: HashMap<String, Vec<usize>>,
    /// user sourcedId → enrollment positions.
    user_enrollments: HashMap<String, Vec<usize>>,
}

fn positions<'a>(ids: impl Iterator<Item = &'a String>) -> HashMap<String, usize> {
    ids.enumerate().map(|(i, id)| (id.clone(), i)).collect()
}

/// The in-memory OneRoster 1.2 Rostering provider. Cheap to clone.
#[derive(Debug, Clone)]
pub struct DemoStore {
    seed: Arc<Seed>,
    index: Arc<Index>,
}

impl DemoStore {
    /// Serves `seed`.
    pub fn new(seed: Arc<Seed>) -> Self {
        let mut index = Index {
            orgs: positions(seed.orgs.iter().map(|r| &r.sourced_id)),
            sessions: positions(seed.academic_sessions.iter().map(|r| &r.sourced_id)),
            courses: positions(seed.courses.iter().map(|r| &r.sourced_id)),
            classes: positions(seed.classes.iter().map(|r| &r.sourced_id)),
            users: positions(seed.users.iter().map(|r| &r.sourced_id)),
            enrollments: positions(seed.enrollments.iter().map(|r| &r.sourced_id)),
            demographics: positions(seed.demographics.iter().map(|r| &r.sourced_id)),
            ..Index::default()
        };
        for (i, e) in seed.enrollments.iter().enumerate() {
            index
                .class_enrollments
                .entry(e.class.sourced_id.clone())
                .or_default()
                .push(i);
            index
                .user_enrollments
                .entry(e.user.sourced_id.clone())
                .or_default()
                .push(i);
        }
        Self {
            seed,
            index: Arc::new(index),
        }
    }

    /// The data served.
    pub fn seed(&self) -> &Seed {
        &self.seed
    }

    fn org(&self, id: &str, kind: Option<OrgDTypeType>) -> Result<&OrgDType, ImsError> {
        let what = if kind.is_some() { "school" } else { "org" };
        self.index
            .orgs
            .get(id)
            .map(|&i| &self.seed.orgs[i])
            .filter(|o| kind.as_ref().is_none_or(|k| &o.r#type == k))
            .ok_or_else(|| not_found(what, id))
    }

    fn school(&self, id: &str) -> Result<&OrgDType, ImsError> {
        self.org(id, Some(OrgDTypeType::School))
    }

    fn session(
        &self,
        id: &str,
        kind: Option<AcademicSessionDTypeType>,
    ) -> Result<&AcademicSessionDType, ImsError> {
        let what = match kind {
            Some(AcademicSessionDTypeType::Term) => "term",
            Some(AcademicSessionDTypeType::GradingPeriod) => "grading period",
            _ => "academic session",
        };
        self.index
            .sessions
            .get(id)
            .map(|&i| &self.seed.academic_sessions[i])
            .filter(|s| kind.as_ref().is_none_or(|k| &s.r#type == k))
            .ok_or_else(|| not_found(what, id))
    }

    fn sessions_of(
        &self,
        kind: AcademicSessionDTypeType,
    ) -> impl Iterator<Item = &AcademicSessionDType> {
        self.seed
            .academic_sessions
            .iter()
            .filter(move |s| s.r#type == kind)
    }

    fn course(&self, id: &str) -> Result<&CourseDType, ImsError> {
        self.index
            .courses
            .get(id)
            .map(|&i| &self.seed.courses[i])
            .ok_or_else(|| not_found("course", id))
    }

    fn class(&self, id: &str) -> Result<&ClassDType, ImsError> {
        self.index
            .classes
            .get(id)
            .map(|&i| &self.seed.classes[i])
            .ok_or_else(|| not_found("class", id))
    }

    /// The class, which must belong to the school (a class of another school is unknown here).
    fn class_in_school(&self, school_id: &str, class_id: &str) -> Result<&ClassDType, ImsError> {
        self.school(school_id)?;
        self.class(class_id)
            .ok()
            .filter(|c| c.school.sourced_id == school_id)
            .ok_or_else(|| {
                ImsError::unknown_object(format!(
                    "school `{school_id}` has no class with sourcedId `{class_id}`"
                ))
            })
    }

    fn user(&self, id: &str, role: Option<RoleDTypeRole>) -> Result<&UserDType, ImsError> {
        let what = match role {
            Some(RoleDTypeRole::Student) => "student",
            Some(RoleDTypeRole::Teacher) => "teacher",
            _ => "user",
        };
        self.index
            .users
            .get(id)
            .map(|&i| &self.seed.users[i])
            .filter(|u| role.as_ref().is_none_or(|r| has_role(u, r)))
            .ok_or_else(|| not_found(what, id))
    }

    fn users_with(&self, role: RoleDTypeRole) -> impl Iterator<Item = &UserDType> {
        self.seed.users.iter().filter(move |u| has_role(u, &role))
    }

    /// Enrollments of a class (in seed order).
    fn class_enrollments(&self, class_id: &str) -> impl Iterator<Item = &EnrollmentDType> {
        self.index
            .class_enrollments
            .get(class_id)
            .into_iter()
            .flatten()
            .map(|&i| &self.seed.enrollments[i])
    }

    /// Users enrolled in a class with `role`.
    fn class_members(&self, class_id: &str, role: EnrollmentDTypeRole) -> Vec<&UserDType> {
        self.class_enrollments(class_id)
            .filter(|e| e.role == role)
            .filter_map(|e| self.index.users.get(&e.user.sourced_id))
            .map(|&i| &self.seed.users[i])
            .collect()
    }

    /// Classes a user is enrolled in, each once, in class order.
    fn classes_of(&self, user_id: &str) -> Vec<&ClassDType> {
        let mut positions: Vec<usize> = self
            .index
            .user_enrollments
            .get(user_id)
            .into_iter()
            .flatten()
            .filter_map(|&e| {
                let class = &self.seed.enrollments[e].class.sourced_id;
                self.index.classes.get(class).copied()
            })
            .collect();
        positions.sort_unstable();
        positions.dedup();
        positions
            .into_iter()
            .map(|i| &self.seed.classes[i])
            .collect()
    }

    fn classes_where(&self, keep: impl Fn(&ClassDType) -> bool) -> Vec<&ClassDType> {
        self.seed.classes.iter().filter(|c| keep(c)).collect()
    }

    /// Users holding `role` at the school.
    fn school_users(&self, school_id: &str, role: RoleDTypeRole) -> Vec<&UserDType> {
        self.seed
            .users
            .iter()
            .filter(|u| {
                u.roles
                    .iter()
                    .any(|r| r.role == role && r.org.sourced_id == school_id)
            })
            .collect()
    }
}

fn has_role(user: &UserDType, role: &RoleDTypeRole) -> bool {
    user.roles.iter().any(|r| &r.role == role)
}

fn not_found(what: &str, id: &str) -> ImsError {
    ImsError::unknown_object(format!("no {what} with sourcedId `{id}`"))
}

/// One page of `records` under `query`, wrapped by `wrap` into the collection's set type.
fn list<'a, T, S>(
    records: impl IntoIterator<Item = &'a T>,
    query: &CollectionQuery,
    wrap: impl FnOnce(Vec<T>) -> S,
) -> Result<Listed<S>, ImsError>
where
    T: Serialize + Clone + 'a,
{
    let page = select(records, query);
    Ok(Listed::new(wrap(page.items), page.total))
}

fn users(items: Vec<UserDType>) -> UserSetDType {
    UserSetDType { users: Some(items) }
}

fn classes(items: Vec<ClassDType>) -> ClassSetDType {
    ClassSetDType {
        classes: Some(items),
    }
}

fn sessions(items: Vec<AcademicSessionDType>) -> AcademicSessionSetDType {
    AcademicSessionSetDType {
        academic_sessions: Some(items),
    }
}

fn enrollments(items: Vec<EnrollmentDType>) -> EnrollmentSetDType {
    EnrollmentSetDType {
        enrollments: Some(items),
    }
}

fn courses(items: Vec<CourseDType>) -> CourseSetDType {
    CourseSetDType {
        courses: Some(items),
    }
}

fn orgs(items: Vec<OrgDType>) -> OrgSetDType {
    OrgSetDType { orgs: Some(items) }
}

impl RosteringService for DemoStore {
    // Academic sessions.

    async fn get_all_academic_sessions(
        &self,
        _ctx: RequestContext,
        query: CollectionQuery,
    ) -> Result<Listed<AcademicSessionSetDType>, ImsError> {
        list(&self.seed.academic_sessions, &query, sessions)
    }

    async fn get_academic_session(
        &self,
        _ctx: RequestContext,
        sourced_id: String,
    ) -> Result<SingleAcademicSessionDType, ImsError> {
        Ok(SingleAcademicSessionDType {
            academic_session: self.session(&sourced_id, None)?.clone(),
        })
    }

    async fn get_all_terms(
        &self,
        _ctx: RequestContext,
        query: CollectionQuery,
    ) -> Result<Listed<AcademicSessionSetDType>, ImsError> {
        list(
            self.sessions_of(AcademicSessionDTypeType::Term),
            &query,
            sessions,
        )
    }

    async fn get_term(
        &self,
        _ctx: RequestContext,
        sourced_id: String,
    ) -> Result<SingleAcademicSessionDType, ImsError> {
        Ok(SingleAcademicSessionDType {
            academic_session: self
                .session(&sourced_id, Some(AcademicSessionDTypeType::Term))?
                .clone(),
        })
    }

    async fn get_all_grading_periods(
        &self,
        _ctx: RequestContext,
        query: CollectionQuery,
    ) -> Result<Listed<AcademicSessionSetDType>, ImsError> {
        list(
            self.sessions_of(AcademicSessionDTypeType::GradingPeriod),
            &query,
            sessions,
        )
    }

    async fn get_grading_period(
        &self,
        _ctx: RequestContext,
        sourced_id: String,
    ) -> Result<SingleAcademicSessionDType, ImsError> {
        Ok(SingleAcademicSessionDType {
            academic_session: self
                .session(&sourced_id, Some(AcademicSessionDTypeType::GradingPeriod))?
                .clone(),
        })
    }

    async fn get_classes_for_term(
        &self,
        _ctx: RequestContext,
        term_sourced_id: String,
        query: CollectionQuery,
    ) -> Result<Listed<ClassSetDType>, ImsError> {
        self.session(&term_sourced_id, Some(AcademicSessionDTypeType::Term))?;
        let found = self.classes_where(|c| c.terms.iter().any(|t| t.sourced_id == term_sourced_id));
        list(found, &query, classes)
    }

    async fn get_grading_periods_for_term(
        &self,
        _ctx: RequestContext,
        term_sourced_id: String,
        query: CollectionQuery,
    ) -> Result<Listed<AcademicSessionSetDType>, ImsError> {
        self.session(&term_sourced_id, Some(AcademicSessionDTypeType::Term))?;
        let found = self
            .sessions_of(AcademicSessionDTypeType::GradingPeriod)
            .filter(|g| {
                g.parent
                    .as_ref()
                    .is_some_and(|p| p.sourced_id == term_sourced_id)
            });
        list(found, &query, sessions)
    }

    // Classes.

    async fn get_all_classes(
        &self,
        _ctx: RequestContext,
        query: CollectionQuery,
    ) -> Result<Listed<ClassSetDType>, ImsError> {
        list(&self.seed.classes, &query, classes)
    }

    async fn get_class(
        &self,
        _ctx: RequestContext,
        sourced_id: String,
    ) -> Result<SingleClassDType, ImsError> {
        Ok(SingleClassDType {
            class: self.class(&sourced_id)?.clone(),
        })
    }

    async fn get_students_for_class(
        &self,
        _ctx: RequestContext,
        class_sourced_id: String,
        query: CollectionQuery,
    ) -> Result<Listed<UserSetDType>, ImsError> {
        self.class(&class_sourced_id)?;
        let found = self.class_members(&class_sourced_id, EnrollmentDTypeRole::Student);
        list(found, &query, users)
    }

    async fn get_teachers_for_class(
        &self,
        _ctx: RequestContext,
        class_sourced_id: String,
        query: CollectionQuery,
    ) -> Result<Listed<UserSetDType>, ImsError> {
        self.class(&class_sourced_id)?;
        let found = self.class_members(&class_sourced_id, EnrollmentDTypeRole::Teacher);
        list(found, &query, users)
    }

    // Courses.

    async fn get_all_courses(
        &self,
        _ctx: RequestContext,
        query: CollectionQuery,
    ) -> Result<Listed<CourseSetDType>, ImsError> {
        list(&self.seed.courses, &query, courses)
    }

    async fn get_course(
        &self,
        _ctx: RequestContext,
        sourced_id: String,
    ) -> Result<SingleCourseDType, ImsError> {
        Ok(SingleCourseDType {
            course: self.course(&sourced_id)?.clone(),
        })
    }

    async fn get_classes_for_course(
        &self,
        _ctx: RequestContext,
        course_sourced_id: String,
        query: CollectionQuery,
    ) -> Result<Listed<ClassSetDType>, ImsError> {
        self.course(&course_sourced_id)?;
        let found = self.classes_where(|c| c.course.sourced_id == course_sourced_id);
        list(found, &query, classes)
    }

    // Demographics.

    async fn get_all_demographics(
        &self,
        _ctx: RequestContext,
        query: CollectionQuery,
    ) -> Result<Listed<DemographicsSetDType>, ImsError> {
        list(&self.seed.demographics, &query, |items| {
            DemographicsSetDType {
                demographics: Some(items),
            }
        })
    }

    async fn get_demographics(
        &self,
        _ctx: RequestContext,
        sourced_id: String,
    ) -> Result<SingleDemographicsDType, ImsError> {
        let record: &DemographicsDType = self
            .index
            .demographics
            .get(&sourced_id)
            .map(|&i| &self.seed.demographics[i])
            .ok_or_else(|| not_found("demographics record", &sourced_id))?;
        Ok(SingleDemographicsDType {
            demographics: record.clone(),
        })
    }

    // Enrollments.

    async fn get_all_enrollments(
        &self,
        _ctx: RequestContext,
        query: CollectionQuery,
    ) -> Result<Listed<EnrollmentSetDType>, ImsError> {
        list(&self.seed.enrollments, &query, enrollments)
    }

    async fn get_enrollment(
        &self,
        _ctx: RequestContext,
        sourced_id: String,
    ) -> Result<SingleEnrollmentDType, ImsError> {
        let record = self
            .index
            .enrollments
            .get(&sourced_id)
            .map(|&i| &self.seed.enrollments[i])
            .ok_or_else(|| not_found("enrollment", &sourced_id))?;
        Ok(SingleEnrollmentDType {
            enrollment: record.clone(),
        })
    }

    // Orgs and schools.

    async fn get_all_orgs(
        &self,
        _ctx: RequestContext,
        query: CollectionQuery,
    ) -> Result<Listed<OrgSetDType>, ImsError> {
        list(&self.seed.orgs, &query, orgs)
    }

    async fn get_org(
        &self,
        _ctx: RequestContext,
        sourced_id: String,
    ) -> Result<SingleOrgDType, ImsError> {
        Ok(SingleOrgDType {
            org: self.org(&sourced_id, None)?.clone(),
        })
    }

    async fn get_all_schools(
        &self,
        _ctx: RequestContext,
        query: CollectionQuery,
    ) -> Result<Listed<OrgSetDType>, ImsError> {
        let found = self
            .seed
            .orgs
            .iter()
            .filter(|o| o.r#type == OrgDTypeType::School);
        list(found, &query, orgs)
    }

    async fn get_school(
        &self,
        _ctx: RequestContext,
        sourced_id: String,
    ) -> Result<SingleOrgDType, ImsError> {
        Ok(SingleOrgDType {
            org: self.school(&sourced_id)?.clone(),
        })
    }

    async fn get_classes_for_school(
        &self,
        _ctx: RequestContext,
        school_sourced_id: String,
        query: CollectionQuery,
    ) -> Result<Listed<ClassSetDType>, ImsError> {
        self.school(&school_sourced_id)?;
        let found = self.classes_where(|c| c.school.sourced_id == school_sourced_id);
        list(found, &query, classes)
    }

    async fn get_enrollments_for_class_in_school(
        &self,
        _ctx: RequestContext,
        school_sourced_id: String,
        class_sourced_id: String,
        query: CollectionQuery,
    ) -> Result<Listed<EnrollmentSetDType>, ImsError> {
        self.class_in_school(&school_sourced_id, &class_sourced_id)?;
        list(
            self.class_enrollments(&class_sourced_id),
            &query,
            enrollments,
        )
    }

    async fn get_students_for_class_in_school(
        &self,
        _ctx: RequestContext,
        school_sourced_id: String,
        class_sourced_id: String,
        query: CollectionQuery,
    ) -> Result<Listed<UserSetDType>, ImsError> {
        self.class_in_school(&school_sourced_id, &class_sourced_id)?;
        let found = self.class_members(&class_sourced_id, EnrollmentDTypeRole::Student);
        list(found, &query, users)
    }

    async fn get_teachers_for_class_in_school(
        &self,
        _ctx: RequestContext,
        school_sourced_id: String,
        class_sourced_id: String,
        query: CollectionQuery,
    ) -> Result<Listed<UserSetDType>, ImsError> {
        self.class_in_school(&school_sourced_id, &class_sourced_id)?;
        let found = self.class_members(&class_sourced_id, EnrollmentDTypeRole::Teacher);
        list(found, &query, users)
    }

    async fn get_courses_for_school(
        &self,
        _ctx: RequestContext,
        school_sourced_id: String,
        query: CollectionQuery,
    ) -> Result<Listed<CourseSetDType>, ImsError> {
        self.school(&school_sourced_id)?;
        let found = self.seed.courses.iter().filter(|c| {
            c.org
                .as_ref()
                .is_some_and(|o| o.sourced_id == school_sourced_id)
        });
        list(found, &query, courses)
    }

    async fn get_enrollments_for_school(
        &self,
        _ctx: RequestContext,
        school_sourced_id: String,
        query: CollectionQuery,
    ) -> Result<Listed<EnrollmentSetDType>, ImsError> {
        self.school(&school_sourced_id)?;
        let found = self
            .seed
            .enrollments
            .iter()
            .filter(|e| e.school.sourced_id == school_sourced_id);
        list(found, &query, enrollments)
    }

    async fn get_students_for_school(
        &self,
        _ctx: RequestContext,
        school_sourced_id: String,
        query: CollectionQuery,
    ) -> Result<Listed<UserSetDType>, ImsError> {
        self.school(&school_sourced_id)?;
        let found = self.school_users(&school_sourced_id, RoleDTypeRole::Student);
        list(found, &query, users)
    }

    async fn get_teachers_for_school(
        &self,
        _ctx: RequestContext,
        school_sourced_id: String,
        query: CollectionQuery,
    ) -> Result<Listed<UserSetDType>, ImsError> {
        self.school(&school_sourced_id)?;
        let found = self.school_users(&school_sourced_id, RoleDTypeRole::Teacher);
        list(found, &query, users)
    }

    async fn get_terms_for_school(
        &self,
        _ctx: RequestContext,
        school_sourced_id: String,
        query: CollectionQuery,
    ) -> Result<Listed<AcademicSessionSetDType>, ImsError> {
        self.school(&school_sourced_id)?;
        // The terms the school's classes run in.
        let found = self
            .sessions_of(AcademicSessionDTypeType::Term)
            .filter(|t| {
                self.seed.classes.iter().any(|c| {
                    c.school.sourced_id == school_sourced_id
                        && c.terms.iter().any(|r| r.sourced_id == t.sourced_id)
                })
            });
        list(found, &query, sessions)
    }

    // Users, students, teachers.

    async fn get_all_users(
        &self,
        _ctx: RequestContext,
        query: CollectionQuery,
    ) -> Result<Listed<UserSetDType>, ImsError> {
        list(&self.seed.users, &query, users)
    }

    async fn get_user(
        &self,
        _ctx: RequestContext,
        sourced_id: String,
    ) -> Result<SingleUserDType, ImsError> {
        Ok(SingleUserDType {
            user: self.user(&sourced_id, None)?.clone(),
        })
    }

    async fn get_classes_for_user(
        &self,
        _ctx: RequestContext,
        user_sourced_id: String,
        query: CollectionQuery,
    ) -> Result<Listed<ClassSetDType>, ImsError> {
        self.user(&user_sourced_id, None)?;
        list(self.classes_of(&user_sourced_id), &query, classes)
    }

    async fn get_all_students(
        &self,
        _ctx: RequestContext,
        query: CollectionQuery,
    ) -> Result<Listed<UserSetDType>, ImsError> {
        list(self.users_with(RoleDTypeRole::Student), &query, users)
    }

    async fn get_student(
        &self,
        _ctx: RequestContext,
        sourced_id: String,
    ) -> Result<SingleUserDType, ImsError> {
        Ok(SingleUserDType {
            user: self
                .user(&sourced_id, Some(RoleDTypeRole::Student))?
                .clone(),
        })
    }

    async fn get_classes_for_student(
        &self,
        _ctx: RequestContext,
        student_sourced_id: String,
        query: CollectionQuery,
    ) -> Result<Listed<ClassSetDType>, ImsError> {
        self.user(&student_sourced_id, Some(RoleDTypeRole::Student))?;
        list(self.classes_of(&student_sourced_id), &query, classes)
    }

    async fn get_all_teachers(
        &self,
        _ctx: RequestContext,
        query: CollectionQuery,
    ) -> Result<Listed<UserSetDType>, ImsError> {
        list(self.users_with(RoleDTypeRole::Teacher), &query, users)
    }

    async fn get_teacher(
        &self,
        _ctx: RequestContext,
        sourced_id: String,
    ) -> Result<SingleUserDType, ImsError> {
        Ok(SingleUserDType {
            user: self
                .user(&sourced_id, Some(RoleDTypeRole::Teacher))?
                .clone(),
        })
    }

    async fn get_classes_for_teacher(
        &self,
        _ctx: RequestContext,
        teacher_sourced_id: String,
        query: CollectionQuery,
    ) -> Result<Listed<ClassSetDType>, ImsError> {
        self.user(&teacher_sourced_id, Some(RoleDTypeRole::Teacher))?;
        list(self.classes_of(&teacher_sourced_id), &query, classes)
    }
}

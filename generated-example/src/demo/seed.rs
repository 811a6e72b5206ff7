//! Deterministic sample data for the demo: one district, four schools, a school year with two
//! terms and four grading periods, courses, classes, ~1,200 users (students, teachers,
//! administrators, guardians), enrollments and student demographics.
//!
//! Everything is built from the generated typed models, so every record serializes to JSON the
//! SDD accepts; every `*GUIDRefDType` points at a record that exists, with an `href` under the
//! service URL the seed was generated for. The same service URL always gives the same data (a
//! fixed-seed SplitMix64 generator, no dependency on `rand`'s algorithm choices).

use std::str::FromStr;

use crate::oneroster_v1p2_rostering::models::{
    AcadSessionGuidRefDType, AcadSessionGuidRefDTypeType, AcademicSessionDType,
    AcademicSessionDTypeStatus, AcademicSessionDTypeType, ClassDType, ClassDTypeClassType,
    ClassDTypeStatus, ClassGuidRefDType, ClassGuidRefDTypeType, CourseDType, CourseDTypeStatus,
    CourseGuidRefDType, CourseGuidRefDTypeType, DemographicsDType,
    DemographicsDTypeAmericanIndianOrAlaskaNative, DemographicsDTypeAsian,
    DemographicsDTypeBlackOrAfricanAmerican, DemographicsDTypeDemographicRaceTwoOrMoreRaces,
    DemographicsDTypeHispanicOrLatinoEthnicity,
    DemographicsDTypeNativeHawaiianOrOtherPacificIslander, DemographicsDTypeSex,
    DemographicsDTypeStatus, DemographicsDTypeWhite, EnrollmentDType, EnrollmentDTypePrimary,
    EnrollmentDTypeRole, EnrollmentDTypeStatus, OrgDType, OrgDTypeStatus, OrgDTypeType,
    OrgGuidRefDType, OrgGuidRefDTypeType, RoleDType, RoleDTypeRole, RoleDTypeRoleType, UserDType,
    UserDTypeEnabledUser, UserDTypeStatus, UserGuidRefDType, UserGuidRefDTypeType, UserIdDType,
};
use ims_runtime::types::{Date, DateTime, FormatError, Uri};

/// The fixed seed of the generator: the same seed gives the same names, dates and demographics.
pub const SEED: u64 = 0x1ED7_EC40_2026_0901;

/// Errors building the sample data (only a malformed service URL can cause one).
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// A URL, date or date-time built from the service URL did not parse.
    #[error("sample data: {0}")]
    Format(#[from] FormatError),
}

/// Identifiers of representative records, for tests that need path parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleIds {
    /// The district (`type: district`).
    pub district: String,
    /// A school (`type: school`): the one holding [`Self::class`] and [`Self::course`].
    pub school: String,
    /// Another school, which does not hold [`Self::class`].
    pub other_school: String,
    /// A class of [`Self::school`], taught by [`Self::teacher`], with [`Self::student`] in it.
    pub class: String,
    /// The course of [`Self::class`].
    pub course: String,
    /// The school year (`type: schoolYear`).
    pub school_year: String,
    /// A term (`type: term`) of [`Self::class`].
    pub term: String,
    /// A grading period (`type: gradingPeriod`) inside [`Self::term`].
    pub grading_period: String,
    /// A student enrolled in [`Self::class`].
    pub student: String,
    /// The teacher of [`Self::class`].
    pub teacher: String,
    /// A district administrator (no enrollments).
    pub administrator: String,
    /// A guardian of [`Self::student`].
    pub guardian: String,
    /// The enrollment of [`Self::student`] in [`Self::class`].
    pub enrollment: String,
    /// The demographics record of [`Self::student`].
    pub demographics: String,
    /// A family name several users share (for `filter=familyName='…'`).
    pub family_name: String,
}

impl SampleIds {
    /// A sample id for path parameter `param` of the OneRoster 1.2 operation whose path template
    /// is `path` (`/classes/{classSourcedId}/students`, `/users/{sourcedId}`, ...); `None` for
    /// a parameter this data set has no sample for.
    pub fn for_path_param(&self, path: &str, param: &str) -> Option<&str> {
        let id = match param {
            "classSourcedId" => &self.class,
            "courseSourcedId" => &self.course,
            "schoolSourcedId" => &self.school,
            "studentSourcedId" | "userSourcedId" => &self.student,
            "teacherSourcedId" => &self.teacher,
            "termSourcedId" => &self.term,
            // `{sourcedId}` names a record of the path's first collection.
            "sourcedId" => match path.split('/').nth(1)? {
                "academicSessions" => &self.school_year,
                "classes" => &self.class,
                "courses" => &self.course,
                "demographics" => &self.demographics,
                "enrollments" => &self.enrollment,
                "gradingPeriods" => &self.grading_period,
                "orgs" => &self.district,
                "schools" => &self.school,
                "students" => &self.student,
                "teachers" => &self.teacher,
                "terms" => &self.term,
                "users" => &self.guardian,
                _ => return None,
            },
            _ => return None,
        };
        Some(id)
    }

    /// `path` with every `{param}` replaced by [`Self::for_path_param`]; `None` when one has no
    /// sample.
    pub fn fill_path(&self, path: &str) -> Option<String> {
        let mut missing = false;
        let filled = fill_path_template(path, |param| {
            self.for_path_param(path, param).map_or_else(
                || {
                    missing = true;
                    String::new()
                },
                str::to_owned,
            )
        });
        (!missing).then_some(filled)
    }
}

/// `path` with every `{param}` replaced by `value(param)`; text outside braces is kept.
pub fn fill_path_template(path: &str, mut value: impl FnMut(&str) -> String) -> String {
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}').map(|c| open + c) else {
            break;
        };
        out.push_str(&rest[..open]);
        out.push_str(&value(&rest[open + 1..close]));
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

/// The whole data set, in the order the collections list it.
#[derive(Debug, Clone)]
pub struct Seed {
    /// The service URL every `href` starts with (origin + base path, no trailing slash).
    pub service_url: String,
    /// The district, then the schools.
    pub orgs: Vec<OrgDType>,
    /// The school year, its terms and their grading periods.
    pub academic_sessions: Vec<AcademicSessionDType>,
    /// One course per school, subject and grade.
    pub courses: Vec<CourseDType>,
    /// Sections of every course (about 30 students each).
    pub classes: Vec<ClassDType>,
    /// Students, teachers, administrators and guardians.
    pub users: Vec<UserDType>,
    /// Students and teachers in classes.
    pub enrollments: Vec<EnrollmentDType>,
    /// One record per student (`sourcedId` = the student's `sourcedId`, as OneRoster 1.2 asks).
    pub demographics: Vec<DemographicsDType>,
    /// Representative identifiers.
    pub ids: SampleIds,
}

/// SplitMix64: tiny, fast and fully specified, so the data never changes under us.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`; the modulo bias is irrelevant for sample data).
    fn below(&mut self, n: usize) -> usize {
        let n = n.max(1) as u64;
        usize::try_from(self.next() % n).unwrap_or(0)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    /// `true` with probability `percent`/100.
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

const GIVEN_NAMES: &[&str] = &[
    "Ada",
    "Amara",
    "Aiden",
    "Alejandro",
    "Amelia",
    "Anika",
    "Ava",
    "Benjamin",
    "Camila",
    "Carlos",
    "Charlotte",
    "Chloe",
    "Daniel",
    "David",
    "Elena",
    "Elijah",
    "Emma",
    "Ethan",
    "Fatima",
    "Gabriel",
    "Grace",
    "Hana",
    "Harper",
    "Henry",
    "Isabella",
    "Isaac",
    "Jack",
    "James",
    "Jasmine",
    "Kai",
    "Kenji",
    "Layla",
    "Leo",
    "Liam",
    "Lucas",
    "Luna",
    "Maya",
    "Mateo",
    "Mia",
    "Mohammed",
    "Nadia",
    "Noah",
    "Nora",
    "Oliver",
    "Olivia",
    "Omar",
    "Priya",
    "Rafael",
    "Riley",
    "Rosa",
    "Samuel",
    "Sofia",
    "Sophia",
    "Theo",
    "Valentina",
    "William",
    "Xavier",
    "Yara",
    "Zoe",
    "Zainab",
];

const FAMILY_NAMES: &[&str] = &[
    "Adams",
    "Ahmed",
    "Alvarez",
    "Anderson",
    "Brown",
    "Chen",
    "Clark",
    "Davis",
    "Diaz",
    "Garcia",
    "Gonzalez",
    "Hall",
    "Harris",
    "Hernandez",
    "Ibrahim",
    "Jackson",
    "Johnson",
    "Kim",
    "Lee",
    "Lopez",
    "Martin",
    "Martinez",
    "Miller",
    "Moore",
    "Nguyen",
    "Okafor",
    "Patel",
    "Perez",
    "Ramirez",
    "Robinson",
    "Rodriguez",
    "Sanchez",
    "Singh",
    "Smith",
    "Taylor",
    "Thomas",
    "Thompson",
    "Walker",
    "White",
    "Williams",
    "Wilson",
    "Wright",
    "Yamamoto",
    "Young",
];

const CITIES: &[&str] = &[
    "Riverside",
    "Los Angeles",
    "San Diego",
    "Sacramento",
    "Fresno",
    "Oakland",
    "San Jose",
    "Bakersfield",
];

/// A school in the district: identifiers, grades taught, size.
struct SchoolPlan {
    code: &'static str,
    name: &'static str,
    identifier: &'static str,
    grades: &'static [&'static str],
    students: usize,
    teachers: usize,
    subjects: &'static [Subject],
}

/// A subject taught at every grade of a school: code, title, subject name, SCED code, homeroom?
struct Subject {
    code: &'static str,
    title: &'static str,
    sced: &'static str,
    homeroom: bool,
}

const fn subject(code: &'static str, title: &'static str, sced: &'static str) -> Subject {
    Subject {
        code,
        title,
        sced,
        homeroom: false,
    }
}

const ELEMENTARY: &[Subject] = &[
    Subject {
        code: "HR",
        title: "Homeroom",
        sced: "22251",
        homeroom: true,
    },
    subject("MATH", "Mathematics", "52034"),
    subject("ELA", "English Language Arts", "51031"),
    subject("SCI", "Science", "53231"),
];

const MIDDLE: &[Subject] = &[
    subject("MATH", "Mathematics", "52052"),
    subject("ELA", "English Language Arts", "51035"),
    subject("SCI", "Science", "53235"),
    subject("SS", "Social Studies", "54435"),
    subject("PE", "Physical Education", "58035"),
];

const HIGH: &[Subject] = &[
    subject("MATH", "Mathematics", "02052"),
    subject("ENG", "English", "01001"),
    subject("SCI", "Science", "03001"),
    subject("HIST", "History", "04101"),
    subject("SPAN", "Spanish", "06101"),
    subject("ART", "Visual Arts", "05154"),
];

const SCHOOLS: &[SchoolPlan] = &[
    SchoolPlan {
        code: "rhs",
        name: "Riverside High School",
        identifier: "NCES-063384000101",
        grades: &["09", "10", "11", "12"],
        students: 400,
        teachers: 24,
        subjects: HIGH,
    },
    SchoolPlan {
        code: "lms",
        name: "Lakeview Middle School",
        identifier: "NCES-063384000102",
        grades: &["06", "07", "08"],
        students: 300,
        teachers: 15,
        subjects: MIDDLE,
    },
    SchoolPlan {
        code: "mges",
        name: "Maple Grove Elementary School",
        identifier: "NCES-063384000103",
        grades: &["KG", "01", "02", "03", "04", "05"],
        students: 200,
        teachers: 12,
        subjects: ELEMENTARY,
    },
    SchoolPlan {
        code: "cpes",
        name: "Cedar Park Elementary School",
        identifier: "NCES-063384000104",
        grades: &["KG", "01", "02", "03", "04", "05"],
        students: 200,
        teachers: 12,
        subjects: ELEMENTARY,
    },
];

/// Students per class section.
const SECTION_SIZE: usize = 30;
/// Every fortieth student gets a guardian record.
const GUARDIAN_EVERY: usize = 40;
const DISTRICT_ID: &str = "org-rusd";
const SCHOOL_YEAR_ID: &str = "as-2026-27";
const TERMS: &[(&str, &str, &str, &str)] = &[
    ("as-2026-fall", "Fall 2026", "2026-08-24", "2027-01-15"),
    ("as-2027-spring", "Spring 2027", "2027-01-19", "2027-06-11"),
];
const GRADING_PERIODS: &[(&str, &str, &str, &str, usize)] = &[
    ("as-2026-q1", "Quarter 1", "2026-08-24", "2026-10-30", 0),
    ("as-2026-q2", "Quarter 2", "2026-11-02", "2027-01-15", 0),
    ("as-2027-q3", "Quarter 3", "2027-01-19", "2027-03-26", 1),
    ("as-2027-q4", "Quarter 4", "2027-03-29", "2027-06-11", 1),
];
const FIRST_DAY: &str = "2026-08-24";

/// Builds references with `href`s under one service URL.
struct Refs<'a> {
    base: &'a str,
}

impl Refs<'_> {
    fn uri(&self, collection: &str, id: &str) -> Result<Uri, FormatError> {
        Uri::from_str(&format!("{}/{collection}/{id}", self.base))
    }

    fn org(&self, id: &str, school: bool) -> Result<OrgGuidRefDType, FormatError> {
        Ok(OrgGuidRefDType {
            href: self.uri(if school { "schools" } else { "orgs" }, id)?,
            sourced_id: id.to_owned(),
            r#type: OrgGuidRefDTypeType::Org,
        })
    }

    fn session(&self, collection: &str, id: &str) -> Result<AcadSessionGuidRefDType, FormatError> {
        Ok(AcadSessionGuidRefDType {
            href: self.uri(collection, id)?,
            sourced_id: id.to_owned(),
            r#type: AcadSessionGuidRefDTypeType::AcademicSession,
        })
    }

    fn course(&self, id: &str) -> Result<CourseGuidRefDType, FormatError> {
        Ok(CourseGuidRefDType {
            href: self.uri("courses", id)?,
            sourced_id: id.to_owned(),
            r#type: CourseGuidRefDTypeType::Course,
        })
    }

    fn class(&self, id: &str) -> Result<ClassGuidRefDType, FormatError> {
        Ok(ClassGuidRefDType {
            href: self.uri("classes", id)?,
            sourced_id: id.to_owned(),
            r#type: ClassGuidRefDTypeType::Class,
        })
    }

    fn user(&self, collection: &str, id: &str) -> Result<UserGuidRefDType, FormatError> {
        Ok(UserGuidRefDType {
            href: self.uri(collection, id)?,
            sourced_id: id.to_owned(),
            r#type: UserGuidRefDTypeType::User,
        })
    }
}

/// A `dateLastModified` in the weeks before the school year starts.
fn modified(rng: &mut Rng) -> Result<DateTime, FormatError> {
    let day = 1 + rng.below(21);
    let hour = 7 + rng.below(11);
    let minute = rng.below(60);
    let second = rng.below(60);
    DateTime::from_str(&format!(
        "2026-08-{day:02}T{hour:02}:{minute:02}:{second:02}Z"
    ))
}

fn date(text: &str) -> Result<Date, FormatError> {
    Date::from_str(text)
}

/// ASCII lower-case login name part.
fn login(given: &str, family: &str) -> String {
    format!("{given}.{family}").to_ascii_lowercase()
}

/// A student's age in whole years at the start of the school year, by grade.
fn age_for_grade(grade: &str) -> i32 {
    match grade {
        "KG" => 5,
        g => 5 + g.parse::<i32>().unwrap_or(0),
    }
}

fn grade_title(grade: &str) -> String {
    match grade {
        "KG" => "Kindergarten".to_owned(),
        g => format!("Grade {}", g.trim_start_matches('0')),
    }
}

fn flag<T>(value: bool, yes: T, no: T) -> T {
    if value { yes } else { no }
}

fn role(role: RoleDTypeRole, org: OrgGuidRefDType, begin: &str) -> Result<RoleDType, FormatError> {
    Ok(RoleDType {
        role_type: RoleDTypeRoleType::Primary,
        role,
        org,
        user_profile: None,
        begin_date: Some(date(begin)?),
        end_date: None,
    })
}

/// Fields every generated user shares; the caller fills role-specific ones.
struct Person {
    id: String,
    given: String,
    family: String,
    username: String,
    email: String,
    identifier: String,
}

impl Person {
    fn new(rng: &mut Rng, id: String, number: usize, domain: &str, prefix: &str) -> Self {
        let given = rng.pick(GIVEN_NAMES).to_owned();
        let family = rng.pick(FAMILY_NAMES).to_owned();
        let username = format!("{}{number}", login(&given, &family));
        Self {
            email: format!("{username}@{domain}"),
            identifier: format!("{prefix}-{number:06}"),
            id,
            given,
            family,
            username,
        }
    }

    fn into_user(
        self,
        rng: &mut Rng,
        roles: Vec<RoleDType>,
        primary_org: OrgGuidRefDType,
    ) -> Result<UserDType, FormatError> {
        Ok(UserDType {
            sourced_id: self.id,
            status: UserDTypeStatus::Active,
            date_last_modified: modified(rng)?,
            metadata: None,
            user_master_identifier: None,
            username: Some(self.username),
            user_ids: None,
            enabled_user: UserDTypeEnabledUser::True,
            given_name: self.given,
            family_name: self.family,
            middle_name: None,
            preferred_first_name: None,
            preferred_middle_name: None,
            preferred_last_name: None,
            pronouns: None,
            roles,
            user_profiles: None,
            primary_org: Some(primary_org),
            identifier: Some(self.identifier),
            email: Some(self.email),
            sms: None,
            phone: None,
            agents: None,
            grades: None,
            password: None,
            resources: None,
        })
    }
}

impl Seed {
    /// Generates the data set for a service mounted at `service_url` (e.g.
    /// `https://127.0.0.1:8443/ims/oneroster/rostering/v1p2`); `href`s start with it.
    pub fn generate(service_url: &str) -> Result<Self, SeedError> {
        let base = service_url.trim_end_matches('/');
        let refs = Refs { base };
        let mut rng = Rng(SEED);

        // Orgs.
        let district_ref = refs.org(DISTRICT_ID, false)?;
        let mut orgs = vec![OrgDType {
            sourced_id: DISTRICT_ID.to_owned(),
            status: OrgDTypeStatus::Active,
            date_last_modified: modified(&mut rng)?,
            metadata: None,
            name: "Riverside Unified School District".to_owned(),
            r#type: OrgDTypeType::District,
            identifier: "NCES-0633840".to_owned(),
            parent: None,
            children: Some(
                SCHOOLS
                    .iter()
                    .map(|s| refs.org(&format!("org-{}", s.code), true))
                    .collect::<Result<_, _>>()?,
            ),
        }];
        for school in SCHOOLS {
            orgs.push(OrgDType {
                sourced_id: format!("org-{}", school.code),
                status: OrgDTypeStatus::Active,
                date_last_modified: modified(&mut rng)?,
                metadata: None,
                name: school.name.to_owned(),
                r#type: OrgDTypeType::School,
                identifier: school.identifier.to_owned(),
                parent: Some(district_ref.clone()),
                children: None,
            });
        }

        // Academic sessions: the year, its terms, their grading periods.
        let year_ref = refs.session("academicSessions", SCHOOL_YEAR_ID)?;
        let term_refs: Vec<AcadSessionGuidRefDType> = TERMS
            .iter()
            .map(|(id, ..)| refs.session("terms", id))
            .collect::<Result<_, _>>()?;
        let mut academic_sessions = vec![AcademicSessionDType {
            sourced_id: SCHOOL_YEAR_ID.to_owned(),
            status: AcademicSessionDTypeStatus::Active,
            date_last_modified: modified(&mut rng)?,
            metadata: None,
            title: "2026-2027 School Year".to_owned(),
            start_date: date(FIRST_DAY)?,
            end_date: date("2027-06-11")?,
            r#type: AcademicSessionDTypeType::SchoolYear,
            parent: None,
            children: Some(term_refs.clone()),
            school_year: "2027".to_owned(),
        }];
        for (t, (id, title, start, end)) in TERMS.iter().enumerate() {
            academic_sessions.push(AcademicSessionDType {
                sourced_id: (*id).to_owned(),
                status: AcademicSessionDTypeStatus::Active,
                date_last_modified: modified(&mut rng)?,
                metadata: None,
                title: (*title).to_owned(),
                start_date: date(start)?,
                end_date: date(end)?,
                r#type: AcademicSessionDTypeType::Term,
                parent: Some(year_ref.clone()),
                children: Some(
                    GRADING_PERIODS
                        .iter()
                        .filter(|g| g.4 == t)
                        .map(|g| refs.session("gradingPeriods", g.0))
                        .collect::<Result<_, _>>()?,
                ),
                school_year: "2027".to_owned(),
            });
        }
        for (id, title, start, end, term) in GRADING_PERIODS {
            academic_sessions.push(AcademicSessionDType {
                sourced_id: (*id).to_owned(),
                status: AcademicSessionDTypeStatus::Active,
                date_last_modified: modified(&mut rng)?,
                metadata: None,
                title: (*title).to_owned(),
                start_date: date(start)?,
                end_date: date(end)?,
                r#type: AcademicSessionDTypeType::GradingPeriod,
                parent: Some(term_refs[*term].clone()),
                children: None,
                school_year: "2027".to_owned(),
            });
        }

        let mut courses = Vec::new();
        let mut classes = Vec::new();
        let mut students = Vec::new();
        let mut teachers = Vec::new();
        let mut administrators = Vec::new();
        let mut enrollments = Vec::new();
        let mut demographics = Vec::new();
        // (student index in `students`, school ref) of students who get a guardian.
        let mut guarded = Vec::new();
        let mut student_no = 0usize;
        let mut teacher_no = 0usize;

        administrators.push(
            Person::new(
                &mut rng,
                "usr-adm-01".to_owned(),
                1,
                "riverside.example.edu",
                "A",
            )
            .into_user(
                &mut rng,
                vec![role(
                    RoleDTypeRole::DistrictAdministrator,
                    district_ref.clone(),
                    "2019-07-01",
                )?],
                district_ref.clone(),
            )?,
        );

        for (s, school) in SCHOOLS.iter().enumerate() {
            let school_id = format!("org-{}", school.code);
            let school_ref = refs.org(&school_id, true)?;

            let admin_id = format!("usr-adm-{:02}", s + 2);
            administrators.push(
                Person::new(&mut rng, admin_id, s + 2, "riverside.example.edu", "A").into_user(
                    &mut rng,
                    vec![role(
                        RoleDTypeRole::SiteAdministrator,
                        school_ref.clone(),
                        "2021-07-01",
                    )?],
                    school_ref.clone(),
                )?,
            );

            // Teachers of this school.
            let first_teacher = teachers.len();
            for _ in 0..school.teachers {
                teacher_no += 1;
                let id = format!("usr-tch-{teacher_no:03}");
                let mut user = Person::new(&mut rng, id, teacher_no, "riverside.example.edu", "T")
                    .into_user(
                        &mut rng,
                        vec![role(
                            RoleDTypeRole::Teacher,
                            school_ref.clone(),
                            "2022-08-15",
                        )?],
                        school_ref.clone(),
                    )?;
                user.phone = Some(format!("+1-951-555-{:04}", 1000 + teacher_no));
                user.grades = Some(school.grades.iter().map(|g| (*g).to_owned()).collect());
                teachers.push(user);
            }

            // Students, spread evenly over the grades.
            let per_grade = school.students / school.grades.len();
            let mut class_no = 0usize;
            for (g, grade) in school.grades.iter().enumerate() {
                let count = if g + 1 == school.grades.len() {
                    school.students - per_grade * g
                } else {
                    per_grade
                };
                let first_student = students.len();
                for _ in 0..count {
                    student_no += 1;
                    let id = format!("usr-stu-{student_no:04}");
                    let mut person = Person::new(
                        &mut rng,
                        id.clone(),
                        student_no,
                        "students.riverside.example.edu",
                        "S",
                    );
                    // Only older students have e-mail accounts.
                    let has_email = age_for_grade(grade) >= 10;
                    let email = std::mem::take(&mut person.email);
                    let mut user = person.into_user(
                        &mut rng,
                        vec![role(RoleDTypeRole::Student, school_ref.clone(), FIRST_DAY)?],
                        school_ref.clone(),
                    )?;
                    user.email = has_email.then_some(email);
                    user.grades = Some(vec![(*grade).to_owned()]);
                    user.user_ids = Some(vec![UserIdDType {
                        r#type: "stateId".to_owned(),
                        identifier: format!("CA-{:07}", 4_000_000 + student_no * 7),
                    }]);
                    // A handful of records in the states a real feed has.
                    if student_no.is_multiple_of(211) {
                        user.status = UserDTypeStatus::Tobedeleted;
                    }
                    if student_no.is_multiple_of(97) {
                        user.enabled_user = UserDTypeEnabledUser::False;
                    }
                    if rng.chance(8) {
                        user.preferred_first_name = Some(rng.pick(GIVEN_NAMES).to_owned());
                    }
                    if student_no % GUARDIAN_EVERY == 1 {
                        guarded.push((students.len(), school_ref.clone()));
                    }
                    demographics.push(demographics_for(&mut rng, &id, grade)?);
                    students.push(user);
                }

                // Courses and their sections for this grade.
                let sections = count.div_ceil(SECTION_SIZE).max(1);
                for (j, subj) in school.subjects.iter().enumerate() {
                    let course_id = format!(
                        "crs-{}-{}-{}",
                        school.code,
                        subj.code.to_ascii_lowercase(),
                        grade.to_ascii_lowercase()
                    );
                    let course_ref = refs.course(&course_id)?;
                    courses.push(CourseDType {
                        sourced_id: course_id.clone(),
                        status: CourseDTypeStatus::Active,
                        date_last_modified: modified(&mut rng)?,
                        metadata: None,
                        title: format!("{} {}", subj.title, grade_title(grade)),
                        school_year: Some(year_ref.clone()),
                        course_code: format!("{}-{grade}", subj.code),
                        grades: Some(vec![(*grade).to_owned()]),
                        subjects: Some(vec![subj.title.to_owned()]),
                        org: Some(school_ref.clone()),
                        subject_codes: Some(vec![subj.sced.to_owned()]),
                        resources: None,
                    });
                    for section in 0..sections {
                        let letter = char::from(b'a' + u8::try_from(section % 26).unwrap_or(0));
                        let class_id = format!("cls-{}-{letter}", &course_id[4..]);
                        let teacher_index = first_teacher + class_no % school.teachers;
                        class_no += 1;
                        classes.push(ClassDType {
                            sourced_id: class_id.clone(),
                            status: ClassDTypeStatus::Active,
                            date_last_modified: modified(&mut rng)?,
                            metadata: None,
                            title: format!(
                                "{} {} ({})",
                                subj.title,
                                grade_title(grade),
                                letter.to_ascii_uppercase()
                            ),
                            class_code: Some(format!(
                                "{}-{grade}-{}",
                                subj.code,
                                letter.to_ascii_uppercase()
                            )),
                            class_type: Some(flag(
                                subj.homeroom,
                                ClassDTypeClassType::Homeroom,
                                ClassDTypeClassType::Scheduled,
                            )),
                            location: Some(format!("Room {}{:02}", g + 1, section * 10 + j + 1)),
                            grades: Some(vec![(*grade).to_owned()]),
                            subjects: Some(vec![subj.title.to_owned()]),
                            course: course_ref.clone(),
                            school: school_ref.clone(),
                            terms: term_refs.clone(),
                            subject_codes: Some(vec![subj.sced.to_owned()]),
                            periods: Some(vec![(j + 1).to_string()]),
                            resources: None,
                        });
                        let class_ref = refs.class(&class_id)?;
                        let teacher = &teachers[teacher_index];
                        enrollments.push(EnrollmentDType {
                            sourced_id: format!("enr-{:05}", enrollments.len() + 1),
                            status: EnrollmentDTypeStatus::Active,
                            date_last_modified: modified(&mut rng)?,
                            metadata: None,
                            user: refs.user("teachers", &teacher.sourced_id)?,
                            class: class_ref.clone(),
                            school: school_ref.clone(),
                            role: EnrollmentDTypeRole::Teacher,
                            primary: Some(EnrollmentDTypePrimary::True),
                            begin_date: Some(date(FIRST_DAY)?),
                            end_date: None,
                        });
                        // Students of this grade go round-robin into the sections.
                        for student in students[first_student..]
                            .iter()
                            .skip(section)
                            .step_by(sections)
                        {
                            enrollments.push(EnrollmentDType {
                                sourced_id: format!("enr-{:05}", enrollments.len() + 1),
                                status: EnrollmentDTypeStatus::Active,
                                date_last_modified: modified(&mut rng)?,
                                metadata: None,
                                user: refs.user("students", &student.sourced_id)?,
                                class: class_ref.clone(),
                                school: school_ref.clone(),
                                role: EnrollmentDTypeRole::Student,
                                primary: None,
                                begin_date: Some(date(FIRST_DAY)?),
                                end_date: None,
                            });
                        }
                    }
                }
            }
        }

        // Guardians, linked both ways through `agents`.
        let mut guardians = Vec::new();
        for (n, (student_index, school_ref)) in guarded.into_iter().enumerate() {
            let id = format!("usr-grd-{:03}", n + 1);
            let student = &mut students[student_index];
            let mut person = Person::new(&mut rng, id.clone(), n + 1, "families.example.net", "G");
            // Guardians mostly share the child's family name.
            if rng.chance(80) {
                person.family = student.family_name.clone();
                person.username = format!("{}{}", login(&person.given, &person.family), n + 1);
                person.email = format!("{}@families.example.net", person.username);
            }
            let mut user = person.into_user(
                &mut rng,
                vec![role(
                    RoleDTypeRole::Guardian,
                    school_ref.clone(),
                    FIRST_DAY,
                )?],
                school_ref,
            )?;
            user.phone = Some(format!("+1-951-555-{:04}", 5000 + n));
            user.agents = Some(vec![refs.user("students", &student.sourced_id)?]);
            student.agents = Some(vec![refs.user("users", &id)?]);
            guardians.push(user);
        }

        let users: Vec<UserDType> = students
            .into_iter()
            .chain(teachers)
            .chain(administrators)
            .chain(guardians)
            .collect();
        let ids = sample_ids(&users, &classes, &enrollments);
        Ok(Self {
            service_url: base.to_owned(),
            orgs,
            academic_sessions,
            courses,
            classes,
            users,
            enrollments,
            demographics,
            ids,
        })
    }
}

fn demographics_for(
    rng: &mut Rng,
    id: &str,
    grade: &str,
) -> Result<DemographicsDType, FormatError> {
    let birth_year = 2026 - age_for_grade(grade) - i32::from(rng.chance(70));
    let birth = format!(
        "{birth_year}-{:02}-{:02}",
        1 + rng.below(12),
        1 + rng.below(28)
    );
    let sex = match rng.below(100) {
        0..48 => DemographicsDTypeSex::Female,
        48..96 => DemographicsDTypeSex::Male,
        96..98 => DemographicsDTypeSex::Other,
        _ => DemographicsDTypeSex::Unspecified,
    };
    // One race category per student (or "two or more"), roughly a Californian district's mix.
    let race = rng.below(100);
    let born_abroad = rng.chance(12);
    Ok(DemographicsDType {
        sourced_id: id.to_owned(),
        status: DemographicsDTypeStatus::Active,
        date_last_modified: modified(rng)?,
        metadata: None,
        birth_date: Some(date(&birth)?),
        sex: Some(sex),
        american_indian_or_alaska_native: Some(flag(
            race < 2,
            DemographicsDTypeAmericanIndianOrAlaskaNative::True,
            DemographicsDTypeAmericanIndianOrAlaskaNative::False,
        )),
        asian: Some(flag(
            (2..14).contains(&race),
            DemographicsDTypeAsian::True,
            DemographicsDTypeAsian::False,
        )),
        black_or_african_american: Some(flag(
            (14..22).contains(&race),
            DemographicsDTypeBlackOrAfricanAmerican::True,
            DemographicsDTypeBlackOrAfricanAmerican::False,
        )),
        native_hawaiian_or_other_pacific_islander: Some(flag(
            race == 22,
            DemographicsDTypeNativeHawaiianOrOtherPacificIslander::True,
            DemographicsDTypeNativeHawaiianOrOtherPacificIslander::False,
        )),
        white: Some(flag(
            (23..92).contains(&race),
            DemographicsDTypeWhite::True,
            DemographicsDTypeWhite::False,
        )),
        demographic_race_two_or_more_races: Some(flag(
            race >= 92,
            DemographicsDTypeDemographicRaceTwoOrMoreRaces::True,
            DemographicsDTypeDemographicRaceTwoOrMoreRaces::False,
        )),
        hispanic_or_latino_ethnicity: Some(flag(
            rng.chance(45),
            DemographicsDTypeHispanicOrLatinoEthnicity::True,
            DemographicsDTypeHispanicOrLatinoEthnicity::False,
        )),
        country_of_birth_code: Some(
            if born_abroad {
                rng.pick(&["MX", "PH", "IN", "VN", "SV", "CN", "KR", "GT"])
            } else {
                "US"
            }
            .to_owned(),
        ),
        state_of_birth_abbreviation: (!born_abroad).then(|| "CA".to_owned()),
        city_of_birth: (!born_abroad).then(|| rng.pick(CITIES).to_owned()),
        public_school_residence_status: None,
    })
}

/// Picks the representative identifiers from the generated records.
fn sample_ids(
    users: &[UserDType],
    classes: &[ClassDType],
    enrollments: &[EnrollmentDType],
) -> SampleIds {
    // The first class of the first school, its teacher and its first student: all exist by
    // construction (every school has students, every class a teacher and students).
    let class = classes.first();
    let class_id = class.map(|c| c.sourced_id.clone()).unwrap_or_default();
    let in_class = |role: &EnrollmentDTypeRole| {
        enrollments
            .iter()
            .find(|e| e.class.sourced_id == class_id && &e.role == role)
    };
    let student_enrollment = in_class(&EnrollmentDTypeRole::Student);
    let student = student_enrollment
        .map(|e| e.user.sourced_id.clone())
        .unwrap_or_default();
    let guardian = users
        .iter()
        .find(|u| {
            u.roles.iter().any(|r| r.role == RoleDTypeRole::Guardian)
                && u.agents
                    .as_ref()
                    .is_some_and(|a| a.iter().any(|r| r.sourced_id == student))
        })
        .map(|u| u.sourced_id.clone())
        .unwrap_or_default();
    // The most common family name among users.
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for u in users {
        *counts.entry(u.family_name.as_str()).or_default() += 1;
    }
    let family_name = counts
        .iter()
        .max_by_key(|(name, n)| (**n, std::cmp::Reverse(**name)))
        .map(|(name, _)| (*name).to_owned())
        .unwrap_or_default();
    SampleIds {
        district: DISTRICT_ID.to_owned(),
        school: class
            .map(|c| c.school.sourced_id.clone())
            .unwrap_or_default(),
        other_school: format!("org-{}", SCHOOLS[1].code),
        class: class_id.clone(),
        course: class
            .map(|c| c.course.sourced_id.clone())
            .unwrap_or_default(),
        school_year: SCHOOL_YEAR_ID.to_owned(),
        term: TERMS[0].0.to_owned(),
        grading_period: GRADING_PERIODS[0].0.to_owned(),
        teacher: in_class(&EnrollmentDTypeRole::Teacher)
            .map(|e| e.user.sourced_id.clone())
            .unwrap_or_default(),
        administrator: "usr-adm-01".to_owned(),
        guardian,
        enrollment: student_enrollment
            .map(|e| e.sourced_id.clone())
            .unwrap_or_default(),
        demographics: student.clone(),
        student,
        family_name,
    }
}

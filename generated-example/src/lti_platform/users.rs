//! `users.json`: the platform's people, `{"<username>": {"password": "…", "roles": ["<full LIS
//! role URI>", …]}}` (the shape outside testers read). The first start seeds an instructor, an
//! administrator and [`LEARNERS`] learners with random passwords; later starts read the file as
//! it is (people may edit it). Passwords are kept as given: this is a demo whose testers read
//! them from the file, and the login compares them in constant time.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::LtiPlatformError;
use crate::demo::data_dir::write_atomically;

/// The users file, inside the data directory.
pub const USERS_FILE: &str = "users.json";
/// How many learners the first start seeds (NRPS paging needs more than a page of them).
pub const LEARNERS: usize = 30;
/// The seeded instructor's username.
pub const INSTRUCTOR: &str = "instructor";
/// The seeded administrator's username (may use `/admin/register-tool`).
pub const ADMINISTRATOR: &str = "admin";

/// LIS role URIs (LTI 1.3 Core §A.2).
pub mod roles {
    /// Context role: instructor of the course.
    pub const INSTRUCTOR: &str = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor";
    /// Context role: learner in the course.
    pub const LEARNER: &str = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner";
    /// Institution role: administrator.
    pub const INSTITUTION_ADMINISTRATOR: &str =
        "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator";
    /// System role: administrator (what `/admin/register-tool` requires).
    pub const SYSTEM_ADMINISTRATOR: &str =
        "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator";
    /// The prefix of context (membership) roles, the ones NRPS lists.
    pub const MEMBERSHIP_PREFIX: &str = "http://purl.imsglobal.org/vocab/lis/v2/membership#";
}

/// One person of `users.json`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformUser {
    /// The login password, as given in the file.
    pub password: String,
    /// Full LIS role URIs.
    pub roles: Vec<String>,
}

impl std::fmt::Debug for PlatformUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlatformUser")
            .field("password", &"<redacted>")
            .field("roles", &self.roles)
            .finish()
    }
}

impl PlatformUser {
    /// Whether the person may register tools (a system or institution administrator).
    pub fn is_administrator(&self) -> bool {
        self.roles
            .iter()
            .any(|r| r == roles::SYSTEM_ADMINISTRATOR || r == roles::INSTITUTION_ADMINISTRATOR)
    }

    /// The person's roles in the course (membership roles), what NRPS lists.
    pub fn course_roles(&self) -> Vec<String> {
        self.roles
            .iter()
            .filter(|r| r.starts_with(roles::MEMBERSHIP_PREFIX))
            .cloned()
            .collect()
    }
}

/// The contents of `users.json`, by username (the username is the LTI user id, `sub`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlatformUsers {
    users: BTreeMap<String, PlatformUser>,
}

impl PlatformUsers {
    /// The person called `username`.
    pub fn get(&self, username: &str) -> Option<&PlatformUser> {
        self.users.get(username)
    }

    /// Everyone, by username.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &PlatformUser)> {
        self.users.iter()
    }

    /// Whether `password` is `username`'s. Every comparison takes the same time per byte, and an
    /// unknown user costs a comparison too.
    pub fn check_password(&self, username: &str, password: &str) -> bool {
        use subtle::ConstantTimeEq;
        match self.users.get(username) {
            Some(u) => bool::from(u.password.as_bytes().ct_eq(password.as_bytes())),
            None => {
                let _ = password.as_bytes().ct_eq(password.as_bytes());
                false
            }
        }
    }

    /// The people who have a role in the course, instructors first, then by username.
    pub fn course_members(&self) -> Vec<(&String, &PlatformUser)> {
        let mut members: Vec<_> = self
            .users
            .iter()
            .filter(|(_, u)| !u.course_roles().is_empty())
            .collect();
        members.sort_by_key(|(name, u)| (!u.roles.iter().any(|r| r == roles::INSTRUCTOR), *name));
        members
    }
}

/// A display name for `username` (`learner07` → `Learner 07`): the file has no names, and the
/// tool shows the `name` claim.
pub fn display_name(username: &str) -> String {
    let digits = username.trim_start_matches(|c: char| !c.is_ascii_digit());
    let stem = &username[..username.len() - digits.len()];
    let mut chars = stem.chars();
    let capitalised: String = chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default();
    if digits.is_empty() {
        capitalised
    } else {
        format!("{capitalised} {digits}")
    }
}

fn random_password() -> Result<String, LtiPlatformError> {
    let mut buf = [0u8; 10];
    aws_lc_rs::rand::fill(&mut buf).map_err(|_| LtiPlatformError::Random)?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

fn seed() -> Result<BTreeMap<String, PlatformUser>, LtiPlatformError> {
    let mut users = BTreeMap::new();
    users.insert(
        INSTRUCTOR.to_owned(),
        PlatformUser {
            password: random_password()?,
            roles: vec![roles::INSTRUCTOR.into()],
        },
    );
    users.insert(
        ADMINISTRATOR.to_owned(),
        PlatformUser {
            password: random_password()?,
            roles: vec![
                roles::SYSTEM_ADMINISTRATOR.into(),
                roles::INSTITUTION_ADMINISTRATOR.into(),
            ],
        },
    );
    for n in 1..=LEARNERS {
        users.insert(
            format!("learner{n:02}"),
            PlatformUser {
                password: random_password()?,
                roles: vec![roles::LEARNER.into()],
            },
        );
    }
    Ok(users)
}

fn shape_error(path: &Path, detail: impl Into<String>) -> LtiPlatformError {
    LtiPlatformError::File {
        path: path.to_path_buf(),
        detail: format!(
            "{} (expected {{\"<username>\": {{\"password\": \"…\", \"roles\": [\"<full LIS role URI>\", …]}}, …}}; delete the file to get the seeded users back)",
            detail.into()
        ),
    }
}

/// Reads `DIR/users.json`, or seeds it (atomically, readable by its owner only: it holds
/// passwords).
pub fn ensure_users(dir: &Path) -> Result<PlatformUsers, LtiPlatformError> {
    let path: PathBuf = dir.join(USERS_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => {
            let users: BTreeMap<String, PlatformUser> =
                serde_json::from_slice(&bytes).map_err(|e| shape_error(&path, e.to_string()))?;
            if users.is_empty() {
                return Err(shape_error(&path, "no users"));
            }
            for (name, user) in &users {
                if name.is_empty() {
                    return Err(shape_error(&path, "a username is empty"));
                }
                if let Some(bad) = user.roles.iter().find(|r| url::Url::parse(r).is_err()) {
                    return Err(shape_error(
                        &path,
                        format!("user '{name}': role '{bad}' is not a full LIS role URI"),
                    ));
                }
            }
            Ok(PlatformUsers { users })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let users = seed()?;
            let text =
                serde_json::to_vec_pretty(&users).map_err(|e| shape_error(&path, e.to_string()))?;
            write_atomically(&path, &text, true)?;
            tracing::info!(path = %path.display(), users = users.len(), "seeded the platform's users");
            Ok(PlatformUsers { users })
        }
        Err(source) => Err(LtiPlatformError::Io {
            what: "cannot read",
            path,
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_split_the_number_off() {
        assert_eq!(display_name("learner07"), "Learner 07");
        assert_eq!(display_name("instructor"), "Instructor");
        assert_eq!(display_name(""), "");
    }
}

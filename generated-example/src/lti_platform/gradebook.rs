//! The course's durable state in SQLite (`lti-platform.sqlite` in the data directory): AGS line
//! items, the latest score of each learner per line item (what results report), and the
//! content items deep linking returned.
//!
//! Line items and scores are stored as the JSON the generated models serialize to, beside the
//! columns filters need, so nothing a tool sent (extension members included) is lost.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

use super::error::LtiPlatformError;
use crate::lti_ags_v2p0::models::{LineItem, Score};

/// The database file, inside the data directory.
pub const GRADEBOOK_DB: &str = "lti-platform.sqlite";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS line_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    context_id TEXT NOT NULL,
    resource_link_id TEXT,
    resource_id TEXT,
    tag TEXT,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS scores (
    line_item_id INTEGER NOT NULL REFERENCES line_items(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (line_item_id, user_id)
);
CREATE TABLE IF NOT EXISTS content_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    context_id TEXT NOT NULL,
    tool_name TEXT NOT NULL,
    item TEXT NOT NULL
);
";

/// A line item as stored: its number in the course and the model (its `id` left unset: the URL
/// depends on the public origin and is filled in by the AGS service).
#[derive(Clone, Debug, PartialEq)]
pub struct StoredLineItem {
    /// The line item's number (its last URL segment).
    pub number: i64,
    /// The line item.
    pub item: LineItem,
}

/// A learner's latest score on a line item.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredScore {
    /// The line item's number.
    pub line_item: i64,
    /// The score as the tool posted it.
    pub score: Score,
}

/// A content item returned by deep linking, with the tool that returned it.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredContentItem {
    /// The tool's name.
    pub tool_name: String,
    /// The content item as sent (LTI Deep Linking 2.0 §3).
    pub item: Value,
}

/// Filters of `GET …/lineitems` (AGS 2.0 §3.2.4).
#[derive(Clone, Debug, Default)]
pub struct LineItemFilter {
    /// `resource_id`.
    pub resource_id: Option<String>,
    /// `resource_link_id`.
    pub resource_link_id: Option<String>,
    /// `tag`.
    pub tag: Option<String>,
}

/// The SQLite gradebook.
#[derive(Debug)]
pub struct Gradebook {
    path: PathBuf,
    conn: Mutex<Connection>,
}

impl Gradebook {
    /// Opens (creating if needed) the database at `path`.
    pub fn open(path: &Path) -> Result<Self, LtiPlatformError> {
        let fail = |source| LtiPlatformError::Gradebook {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open(path).map_err(fail)?;
        conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;")
            .map_err(fail)?;
        conn.execute_batch(SCHEMA).map_err(fail)?;
        Ok(Self {
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
        })
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, LtiPlatformError> {
        let conn = self
            .conn
            .lock()
            .map_err(|_| LtiPlatformError::Platform("gradebook lock poisoned".into()))?;
        f(&conn).map_err(|source| LtiPlatformError::Gradebook {
            path: self.path.clone(),
            source,
        })
    }

    fn to_json<T: serde::Serialize>(&self, value: &T) -> Result<String, LtiPlatformError> {
        serde_json::to_string(value)
            .map_err(|e| LtiPlatformError::Platform(format!("cannot serialize: {e}")))
    }

    /// Stores a new line item in `context_id`; returns its number.
    pub fn add_line_item(
        &self,
        context_id: &str,
        item: &LineItem,
    ) -> Result<i64, LtiPlatformError> {
        let mut item = item.clone();
        item.id = None;
        let body = self.to_json(&item)?;
        self.with(|c| {
            c.execute(
                "INSERT INTO line_items (context_id, resource_link_id, resource_id, tag, body) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![context_id, item.resource_link_id, item.resource_id, item.tag, body],
            )?;
            Ok(c.last_insert_rowid())
        })
    }

    /// The line item `number` of `context_id`.
    pub fn line_item(
        &self,
        context_id: &str,
        number: i64,
    ) -> Result<Option<LineItem>, LtiPlatformError> {
        let body: Option<String> = self.with(|c| {
            c.query_row(
                "SELECT body FROM line_items WHERE context_id = ?1 AND id = ?2",
                params![context_id, number],
                |r| r.get(0),
            )
            .optional()
        })?;
        body.map(|b| parse(&b)).transpose()
    }

    /// The line items of `context_id` matching `filter`, oldest first.
    pub fn line_items(
        &self,
        context_id: &str,
        filter: &LineItemFilter,
    ) -> Result<Vec<StoredLineItem>, LtiPlatformError> {
        let rows: Vec<(i64, String)> = self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT id, body FROM line_items WHERE context_id = ?1
                 AND (?2 IS NULL OR resource_id = ?2)
                 AND (?3 IS NULL OR resource_link_id = ?3)
                 AND (?4 IS NULL OR tag = ?4)
                 ORDER BY id",
            )?;
            stmt.query_map(
                params![
                    context_id,
                    filter.resource_id,
                    filter.resource_link_id,
                    filter.tag
                ],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?
            .collect()
        })?;
        rows.into_iter()
            .map(|(number, body)| {
                Ok(StoredLineItem {
                    number,
                    item: parse(&body)?,
                })
            })
            .collect()
    }

    /// Replaces line item `number`; `false` when there is none.
    pub fn update_line_item(
        &self,
        context_id: &str,
        number: i64,
        item: &LineItem,
    ) -> Result<bool, LtiPlatformError> {
        let mut item = item.clone();
        item.id = None;
        let body = self.to_json(&item)?;
        self.with(|c| {
            Ok(c.execute(
                "UPDATE line_items SET resource_link_id = ?3, resource_id = ?4, tag = ?5, body = ?6 WHERE context_id = ?1 AND id = ?2",
                params![context_id, number, item.resource_link_id, item.resource_id, item.tag, body],
            )? == 1)
        })
    }

    /// Deletes line item `number` and its scores; `false` when there is none.
    pub fn delete_line_item(
        &self,
        context_id: &str,
        number: i64,
    ) -> Result<bool, LtiPlatformError> {
        self.with(|c| {
            Ok(c.execute(
                "DELETE FROM line_items WHERE context_id = ?1 AND id = ?2",
                params![context_id, number],
            )? == 1)
        })
    }

    /// The number of the line item bound to `resource_link_id` in `context_id`, created with
    /// `label` and `score_maximum` when there is none (the launch's AGS `lineitem` claim).
    pub fn line_item_for_link(
        &self,
        context_id: &str,
        resource_link_id: &str,
        label: &str,
        score_maximum: f64,
    ) -> Result<i64, LtiPlatformError> {
        let existing = self.line_items(
            context_id,
            &LineItemFilter {
                resource_link_id: Some(resource_link_id.to_owned()),
                ..LineItemFilter::default()
            },
        )?;
        if let Some(first) = existing.first() {
            return Ok(first.number);
        }
        let item: LineItem = serde_json::from_value(serde_json::json!({
            "label": label,
            "scoreMaximum": score_maximum,
            "resourceLinkId": resource_link_id,
        }))
        .map_err(|e| LtiPlatformError::Platform(format!("line item: {e}")))?;
        self.add_line_item(context_id, &item)
    }

    /// Keeps `score` as the learner's result unless the one kept is newer (AGS 2.0 §3.4: a
    /// score older than the last one is ignored). `false` when the line item does not exist.
    pub fn post_score(
        &self,
        context_id: &str,
        number: i64,
        score: &Score,
    ) -> Result<bool, LtiPlatformError> {
        if self.line_item(context_id, number)?.is_none() {
            return Ok(false);
        }
        let body = self.to_json(score)?;
        let timestamp = score.timestamp.to_offset_date_time();
        let kept: Option<String> = self.with(|c| {
            c.query_row(
                "SELECT body FROM scores WHERE line_item_id = ?1 AND user_id = ?2",
                params![number, score.user_id],
                |r| r.get(0),
            )
            .optional()
        })?;
        if let Some(kept) = kept {
            let kept: Score = parse(&kept)?;
            if kept.timestamp.to_offset_date_time() > timestamp {
                return Ok(true);
            }
        }
        let stamp = score.timestamp.as_str().to_owned();
        self.with(|c| {
            c.execute(
                "INSERT INTO scores (line_item_id, user_id, timestamp, body) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (line_item_id, user_id) DO UPDATE SET timestamp = excluded.timestamp, body = excluded.body",
                params![number, score.user_id, stamp, body],
            )
        })?;
        Ok(true)
    }

    /// The latest scores of line item `number` (of one user when `user_id` is set), by user.
    pub fn scores(
        &self,
        number: i64,
        user_id: Option<&str>,
    ) -> Result<Vec<StoredScore>, LtiPlatformError> {
        let rows: Vec<String> = self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT body FROM scores WHERE line_item_id = ?1 AND (?2 IS NULL OR user_id = ?2) ORDER BY user_id",
            )?;
            stmt.query_map(params![number, user_id], |r| r.get(0))?
                .collect()
        })?;
        rows.iter()
            .map(|b| {
                Ok(StoredScore {
                    line_item: number,
                    score: parse(b)?,
                })
            })
            .collect()
    }

    /// Records the content items a deep-linking response returned to `context_id`.
    pub fn add_content_items(
        &self,
        context_id: &str,
        tool_name: &str,
        items: &[Value],
    ) -> Result<(), LtiPlatformError> {
        let bodies = items
            .iter()
            .map(|i| self.to_json(i))
            .collect::<Result<Vec<_>, _>>()?;
        self.with(|c| {
            for body in &bodies {
                c.execute(
                    "INSERT INTO content_items (context_id, tool_name, item) VALUES (?1, ?2, ?3)",
                    params![context_id, tool_name, body],
                )?;
            }
            Ok(())
        })
    }

    /// The content items of `context_id`, oldest first.
    pub fn content_items(
        &self,
        context_id: &str,
    ) -> Result<Vec<StoredContentItem>, LtiPlatformError> {
        let rows: Vec<(String, String)> = self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT tool_name, item FROM content_items WHERE context_id = ?1 ORDER BY id",
            )?;
            stmt.query_map(params![context_id], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect()
        })?;
        rows.into_iter()
            .map(|(tool_name, item)| {
                Ok(StoredContentItem {
                    tool_name,
                    item: parse(&item)?,
                })
            })
            .collect()
    }
}

fn parse<T: serde::de::DeserializeOwned>(body: &str) -> Result<T, LtiPlatformError> {
    serde_json::from_str(body)
        .map_err(|e| LtiPlatformError::Platform(format!("gradebook row does not parse: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(user: &str, given: f64, at: &str) -> Score {
        serde_json::from_value(serde_json::json!({
            "userId": user, "scoreGiven": given, "scoreMaximum": 10, "timestamp": at,
            "activityProgress": "Completed", "gradingProgress": "FullyGraded",
        }))
        .unwrap()
    }

    #[test]
    fn the_latest_score_wins_and_everything_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(GRADEBOOK_DB);
        let book = Gradebook::open(&path).unwrap();
        let n = book
            .line_item_for_link("c", "rl-quiz", "Quiz", 10.0)
            .unwrap();
        assert_eq!(
            book.line_item_for_link("c", "rl-quiz", "Quiz", 10.0)
                .unwrap(),
            n
        );
        assert!(
            book.post_score("c", n, &score("u1", 7.0, "2026-01-02T00:00:00Z"))
                .unwrap()
        );
        assert!(
            book.post_score("c", n, &score("u1", 3.0, "2026-01-01T00:00:00Z"))
                .unwrap()
        );
        assert!(
            !book
                .post_score("other", n, &score("u1", 3.0, "2026-01-01T00:00:00Z"))
                .unwrap()
        );
        book.add_content_items(
            "c",
            "quiz",
            &[serde_json::json!({"type": "ltiResourceLink", "title": "Unit 1"})],
        )
        .unwrap();
        drop(book);
        let book = Gradebook::open(&path).unwrap();
        let scores = book.scores(n, None).unwrap();
        assert_eq!(scores.len(), 1);
        assert_eq!(scores[0].score.score_given, Some(7.0));
        assert_eq!(book.content_items("c").unwrap()[0].item["title"], "Unit 1");
    }
}

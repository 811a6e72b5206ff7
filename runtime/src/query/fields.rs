//! The `fields` collection parameter: a comma-separated selection of top-level members.
//!
//! A blank value (or a blank entry such as `a,,b`) is 400 `invalid_selection_field`. Unknown
//! names are ignored ([`Fields::restrict_to`]); if none is known, all data is returned.

use serde_json::{Map, Value};

use crate::imsx::ImsError;

/// A parsed, non-empty field selection.
///
/// ```
/// use ims_runtime::query::fields::Fields;
/// use serde_json::json;
///
/// let fields = Fields::parse("sourcedId, givenName").unwrap();
/// let user = json!({"sourcedId": "u1", "givenName": "Ada", "familyName": "Lovelace"});
/// assert_eq!(fields.project(&user), json!({"sourcedId": "u1", "givenName": "Ada"}));
/// assert!(Fields::parse("").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fields(Vec<String>);

impl Fields {
    /// Parses a decoded `fields` value; entries are trimmed and duplicates dropped.
    pub fn parse(input: &str) -> Result<Self, ImsError> {
        if input.trim().is_empty() {
            return Err(ImsError::invalid_selection_field(
                "the fields parameter is blank: list member names separated by commas",
            ));
        }
        let mut names: Vec<String> = Vec::new();
        for (index, name) in input.split(',').map(str::trim).enumerate() {
            if name.is_empty() {
                return Err(ImsError::invalid_selection_field(format!(
                    "entry {} of the fields parameter is blank",
                    index + 1
                )));
            }
            if !names.iter().any(|n| n == name) {
                names.push(name.to_owned());
            }
        }
        Ok(Fields(names))
    }

    /// The selected names in request order.
    pub fn names(&self) -> &[String] {
        &self.0
    }

    /// Keeps only the names in `allowed`; `None` when none remains (then return all data).
    pub fn restrict_to(&self, allowed: &[&str]) -> Option<Fields> {
        let known: Vec<String> = self
            .0
            .iter()
            .filter(|n| allowed.contains(&n.as_str()))
            .cloned()
            .collect();
        (!known.is_empty()).then_some(Fields(known))
    }

    /// Projects one record or a list of records: an object keeps only the selected top-level
    /// members; an array has each element projected; any other value is returned unchanged.
    ///
    /// This does not look inside response wrappers such as `{"users": [...]}` (projecting that
    /// would drop `users`): use [`Fields::project_wrapped`] for those.
    pub fn project(&self, value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let kept: Map<String, Value> = map
                    .iter()
                    .filter(|(k, _)| self.0.iter().any(|n| n == *k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                Value::Object(kept)
            }
            Value::Array(items) => Value::Array(items.iter().map(|v| self.project(v)).collect()),
            other => other.clone(),
        }
    }

    /// Projects the records inside the wrapper member `key` (e.g. `users` or `user`), keeping
    /// the wrapper and its other members untouched.
    pub fn project_wrapped(&self, value: &Value, key: &str) -> Value {
        let mut out = value.clone();
        if let Some(inner) = out.get_mut(key) {
            *inner = self.project(inner);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn blank_fields_is_invalid_selection_field() {
        for input in ["", "  ", "a,,b", "a,", ","] {
            let err = Fields::parse(input).unwrap_err();
            assert_eq!(err.code_minor(), "invalid_selection_field", "{input:?}");
            assert_eq!(err.status().as_u16(), 400);
        }
    }

    #[test]
    fn unknown_fields_are_ignored_and_all_unknown_means_all_data() {
        let f = Fields::parse("a,bogus").unwrap();
        assert_eq!(f.restrict_to(&["a", "b"]).unwrap().names(), ["a"]);
        assert_eq!(Fields::parse("bogus").unwrap().restrict_to(&["a"]), None);
    }

    #[test]
    fn projection_keeps_selected_members_of_each_record() {
        let f = Fields::parse("a, a ,c").unwrap();
        assert_eq!(f.names(), ["a", "c"]);
        assert_eq!(
            f.project(&json!([{"a": 1, "b": 2}, {"c": 3}, 4])),
            json!([{"a": 1}, {"c": 3}, 4])
        );
    }

    #[test]
    fn wrapped_projection_keeps_the_wrapper() {
        let f = Fields::parse("sourcedId").unwrap();
        let body = json!({"users": [{"sourcedId": "1", "x": 2}]});
        assert_eq!(
            f.project_wrapped(&body, "users"),
            json!({"users": [{"sourcedId": "1"}]})
        );
        assert_eq!(f.project(&body), json!({}));
    }
}

//! [`ListQuery`]: the IMS collection query parameters of a list call.

/// Sort direction (`orderBy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderBy {
    /// `orderBy=asc`.
    Asc,
    /// `orderBy=desc`.
    Desc,
}

/// `filter`, `sort`, `orderBy`, `fields`, `limit`, `offset` of a collection call.
///
/// ```
/// use ims_runtime::client::ListQuery;
/// let q = ListQuery::new()
///     .filter("familyName='Smith'")
///     .sort("familyName")
///     .order_by_desc()
///     .fields(["sourcedId", "givenName"])
///     .limit(100)
///     .offset(0);
/// assert_eq!(q.pairs(), [
///     ("filter".to_owned(), "familyName='Smith'".to_owned()),
///     ("sort".to_owned(), "familyName".to_owned()),
///     ("orderBy".to_owned(), "desc".to_owned()),
///     ("fields".to_owned(), "sourcedId,givenName".to_owned()),
///     ("limit".to_owned(), "100".to_owned()),
///     ("offset".to_owned(), "0".to_owned()),
/// ]);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListQuery {
    filter: Option<String>,
    sort: Option<String>,
    order_by: Option<OrderBy>,
    fields: Option<Vec<String>>,
    limit: Option<u64>,
    offset: Option<u64>,
}

impl ListQuery {
    /// No parameters: the server's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// `filter` (IMS filter grammar, e.g. `familyName='Smith' AND status='active'`).
    pub fn filter(mut self, filter: impl Into<String>) -> Self {
        self.filter = Some(filter.into());
        self
    }

    /// `sort`: the field to sort by.
    pub fn sort(mut self, field: impl Into<String>) -> Self {
        self.sort = Some(field.into());
        self
    }

    /// `orderBy=asc`.
    pub fn order_by_asc(mut self) -> Self {
        self.order_by = Some(OrderBy::Asc);
        self
    }

    /// `orderBy=desc`.
    pub fn order_by_desc(mut self) -> Self {
        self.order_by = Some(OrderBy::Desc);
        self
    }

    /// `fields`: only these members of each record (sent comma-separated).
    pub fn fields<I, S>(mut self, fields: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.fields = Some(fields.into_iter().map(Into::into).collect());
        self
    }

    /// `limit`: page size.
    pub fn limit(mut self, limit: u64) -> Self {
        self.limit = Some(limit);
        self
    }

    /// `offset`: index of the first record.
    pub fn offset(mut self, offset: u64) -> Self {
        self.offset = Some(offset);
        self
    }

    /// The `limit` set, if any.
    pub fn limit_value(&self) -> Option<u64> {
        self.limit
    }

    /// The `offset` set, if any.
    pub fn offset_value(&self) -> Option<u64> {
        self.offset
    }

    /// The query pairs in a fixed order (`filter`, `sort`, `orderBy`, `fields`, `limit`,
    /// `offset`), unencoded.
    pub fn pairs(&self) -> Vec<(String, String)> {
        let mut out = Vec::with_capacity(6);
        let mut push = |k: &str, v: String| out.push((k.to_owned(), v));
        if let Some(f) = &self.filter {
            push("filter", f.clone());
        }
        if let Some(s) = &self.sort {
            push("sort", s.clone());
        }
        if let Some(o) = self.order_by {
            push(
                "orderBy",
                match o {
                    OrderBy::Asc => "asc",
                    OrderBy::Desc => "desc",
                }
                .to_owned(),
            );
        }
        if let Some(f) = &self.fields {
            push("fields", f.join(","));
        }
        if let Some(l) = self.limit {
            push("limit", l.to_string());
        }
        if let Some(o) = self.offset {
            push("offset", o.to_string());
        }
        out
    }
}

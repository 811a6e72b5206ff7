//! The bounded record stream behind the generated `<op>_stream` methods.
//!
//! Pages are followed by `Link: rel="next"` (resolved against the request URL, same origin
//! only). Without one, and while no link was followed, by `limit`/`offset`: the next offset is
//! the current one plus the records received; paging ends at `X-Total-Count`, at an empty page,
//! or (without a total) at a page shorter than the limit (or than the first page when no limit
//! was set). A URL fetched twice is a loop ([`ApiError::PagingLoop`]); more than
//! [`ApiClient::max_pages`] pages is [`ApiError::TooManyPages`].

use std::collections::{HashSet, VecDeque};

use futures_util::Stream;
use serde::de::DeserializeOwned;
use url::Url;

use super::api_client::{ApiClient, ApiRequest, page_of};
use super::api_error::ApiError;
use super::list_query::ListQuery;

/// What a generated `<op>_stream` method returns: the records of every page, or the error that
/// ended the stream. Any `Send` stream of such items is one.
pub trait RecordStream<T>: Stream<Item = Result<T, ApiError>> + Send {}

impl<T, S: Stream<Item = Result<T, ApiError>> + Send> RecordStream<T> for S {}

enum Next {
    /// Request by `limit`/`offset` (`None`: the query as given).
    Offset(Option<u64>),
    /// Follow a `Link: rel="next"` target.
    Link(Url),
    /// Fail after yielding the records already received (e.g. a next link to another origin:
    /// the page itself was fine).
    Fail(ApiError),
    Done,
}

struct State<'a, W, T> {
    api: &'a ApiClient,
    request: ApiRequest,
    query: ListQuery,
    extract: fn(W) -> Vec<T>,
    next: Next,
    buffer: VecDeque<T>,
    seen: HashSet<String>,
    pages: usize,
    first_page_len: Option<u64>,
    /// Follow `Link: rel="next"` only (lists paged by an opaque token): the first request goes
    /// as built, and a page without a `next` link is the last.
    links_only: bool,
}

fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host() == b.host()
        && a.port_or_known_default() == b.port_or_known_default()
}

impl<W: DeserializeOwned, T> State<'_, W, T> {
    /// Fetches the next page into the buffer and decides what comes after it.
    async fn fetch(&mut self) -> Result<(), ApiError> {
        let next = std::mem::replace(&mut self.next, Next::Done);
        if self.pages >= self.api.max_pages() && matches!(next, Next::Link(_) | Next::Offset(_)) {
            return Err(ApiError::TooManyPages {
                max: self.api.max_pages(),
            });
        }
        let (request, offset) = match next {
            Next::Done => return Ok(()),
            Next::Fail(e) => return Err(e),
            Next::Link(url) => (self.request.clone().with_url(url), None),
            Next::Offset(_) if self.links_only => (self.request.clone(), None),
            Next::Offset(offset) => {
                let query = match offset {
                    Some(o) => self.query.clone().offset(o),
                    None => self.query.clone(),
                };
                let start = query.offset_value().unwrap_or(0);
                (self.request.clone().list_query(&query), Some(start))
            }
        };
        let url = self.api.url_for(&request)?;
        if !self.seen.insert(url.as_str().to_owned()) {
            return Err(ApiError::PagingLoop {
                url: url.to_string(),
            });
        }
        self.pages += 1;
        let raw = self.api.send(request).await?;
        let page = page_of::<W>(&raw)?;
        let records = (self.extract)(page.body);
        let received = u64::try_from(records.len()).unwrap_or(u64::MAX);
        self.buffer.extend(records);
        if received == 0 {
            return Ok(()); // An empty page ends paging whatever the headers say.
        }
        if let Some(next) = page.next {
            self.next = if same_origin(&next, &raw.url) {
                Next::Link(next)
            } else {
                Next::Fail(ApiError::ForeignLink {
                    url: next.to_string(),
                })
            };
            return Ok(());
        }
        // No link: after following links, the last page has none; otherwise limit/offset.
        let Some(start) = offset else {
            return Ok(());
        };
        let page_size = *self.first_page_len.get_or_insert(received);
        let next_offset = start.saturating_add(received);
        let more = match page.total {
            Some(total) => next_offset < total,
            None => received >= self.query.limit_value().unwrap_or(page_size),
        };
        if more {
            self.next = Next::Offset(Some(next_offset));
        }
        Ok(())
    }
}

impl ApiClient {
    /// Every record of a collection operation, page by page (see the module docs): `request`
    /// is the operation without collection parameters, `query` the first page's, and
    /// `extract` takes the records out of a page body (e.g. `UserSetDType.users`).
    ///
    /// The stream ends after the first error it yields.
    pub fn stream_records<W, T>(
        &self,
        request: ApiRequest,
        query: ListQuery,
        extract: fn(W) -> Vec<T>,
    ) -> impl Stream<Item = Result<T, ApiError>> + Send + '_
    where
        W: DeserializeOwned + Send + 'static,
        T: Send + 'static,
    {
        let state = State {
            api: self,
            request,
            query,
            extract,
            next: Next::Offset(None),
            buffer: VecDeque::new(),
            seen: HashSet::new(),
            pages: 0,
            first_page_len: None,
            links_only: false,
        };
        records_of(state)
    }

    /// Every record of a list paged by an opaque token (LTI AGS and NRPS): sends `request` as
    /// built (its `limit` included), then follows `Link: rel="next"` until a page has none,
    /// with the same bounds as [`ApiClient::stream_records`] (same origin, no loops, at most
    /// [`ApiClient::max_pages`] pages). `extract` takes the records out of a page body.
    ///
    /// The stream ends after the first error it yields.
    pub fn stream_linked_records<W, T>(
        &self,
        request: ApiRequest,
        extract: fn(W) -> Vec<T>,
    ) -> impl Stream<Item = Result<T, ApiError>> + Send + '_
    where
        W: DeserializeOwned + Send + 'static,
        T: Send + 'static,
    {
        records_of(State {
            api: self,
            request,
            query: ListQuery::new(),
            extract,
            next: Next::Offset(None),
            buffer: VecDeque::new(),
            seen: HashSet::new(),
            pages: 0,
            first_page_len: None,
            links_only: true,
        })
    }
}

fn records_of<W, T>(state: State<'_, W, T>) -> impl Stream<Item = Result<T, ApiError>> + Send + '_
where
    W: DeserializeOwned + Send + 'static,
    T: Send + 'static,
{
    futures_util::stream::unfold(state, |mut state| async move {
        loop {
            if let Some(record) = state.buffer.pop_front() {
                return Some((Ok(record), state));
            }
            if matches!(state.next, Next::Done) {
                return None;
            }
            if let Err(e) = state.fetch().await {
                state.next = Next::Done;
                state.buffer.clear();
                return Some((Err(e), state));
            }
        }
    })
}

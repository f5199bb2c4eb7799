//! Reading a whole list, page after page, as one stream of items.
//!
//! Every list operation's builder has a `stream()` (generated: see
//! `xtask/src/pages.rs`) that returns a [`Pages`]: it sends the request for
//! page 1, yields that page's items one by one, then sends page 2 with the
//! same filters, and so on until the last page the server reports.

use crate::Error;
use crate::types::Pagination;
use futures_core::Stream;
use futures_util::stream::{self, BoxStream, StreamExt, TryStreamExt};
use progenitor_client::ResponseValue;
use std::fmt;
use std::future::Future;
use std::num::NonZeroU32;
use std::pin::Pin;
use std::task::{Context, Poll};

/// One page of a list response: its items and where it stands among the pages.
///
/// Implemented by the generated code for every `*ListResponse` type.
pub(crate) trait Page {
    /// What the list holds, e.g. `types::Frame`.
    type Item;

    /// The items of this page and its pagination block.
    fn into_parts(self) -> (Vec<Self::Item>, Pagination);
}

/// Every item of a list, fetched one page at a time as it is read.
///
/// Returned by `stream()` on every list builder. The request for the next
/// page is sent only when the items of the page before have all been
/// read, with every setter of the builder kept (filters, `limit`); the
/// stream ends after the page the server reports as the last one, or at an
/// empty page. A page that fails is yielded as one `Err`, which ends the
/// stream.
///
/// `Pages` is a [`futures_core::Stream`], so the combinators of
/// `futures::StreamExt` work on it; [`next`](Pages::next) and
/// [`try_collect`](Pages::try_collect) cover the common cases without them.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), studio_api::Error> {
/// # let server = studio_mock::MockServer::builder().no_rate_limit().start().unwrap();
/// # let client = studio_api::Client::with_credential(
/// #     server.base_url(),
/// #     studio_api::Credential::api_key(server.api_key()),
/// # )?;
/// # let project = client.create_project().body_map(|b| b.name("Pilot")).send().await?.into_inner().data;
/// # for n in 1..=5 {
/// #     client.create_frame().project_id(&project.id).body_map(|b| b.script(format!("Shot {n}"))).send().await?;
/// # }
/// // Two frames per request: three requests for five frames.
/// let mut frames = client.list_frames().project_id(&project.id).limit(2u32).stream();
/// while let Some(frame) = frames.next().await {
///     let frame = frame?;
///     println!("{} {}", frame.position, frame.script);
/// }
///
/// let all = client.list_frames().project_id(&project.id).stream().try_collect().await?;
/// assert_eq!(all.len(), 5);
/// # Ok(())
/// # }
/// ```
pub struct Pages<'a, T> {
    items: BoxStream<'a, Result<T, Error>>,
}

impl<'a, T: Send + 'a> Pages<'a, T> {
    /// The items of the pages `fetch` returns for page 1, 2, …
    pub(crate) fn new<P, F, Fut>(fetch: F) -> Self
    where
        P: Page<Item = T>,
        F: Fn(NonZeroU32) -> Fut + Send + 'a,
        Fut: Future<Output = Result<ResponseValue<P>, Error>> + Send + 'a,
    {
        let pages =
            stream::try_unfold((fetch, Some(NonZeroU32::MIN)), |(fetch, page)| async move {
                let Some(page) = page else {
                    return Ok(None);
                };
                let (items, pagination) = fetch(page).await?.into_inner().into_parts();
                let last =
                    items.is_empty() || i64::from(page.get()) >= i64::from(pagination.total_pages);
                let next = if last { None } else { page.checked_add(1) };
                Ok(Some((stream::iter(items).map(Ok), (fetch, next))))
            });
        Pages {
            items: pages.try_flatten().fuse().boxed(),
        }
    }
}

impl<T> Pages<'_, T> {
    /// The next item, `None` after the last one. Sends the request for the
    /// next page when the items already received have all been read.
    pub async fn next(&mut self) -> Option<Result<T, Error>> {
        self.items.next().await
    }

    /// Every remaining item, or the first error.
    pub async fn try_collect(self) -> Result<Vec<T>, Error> {
        TryStreamExt::try_collect(self.items).await
    }
}

impl<T> Stream for Pages<'_, T> {
    type Item = Result<T, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.items.poll_next_unpin(cx)
    }
}

impl<T> fmt::Debug for Pages<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pages").finish_non_exhaustive()
    }
}

//! Reading a whole list, page after page, as one iterator of items.

use crate::Client;
use std::fmt;
use std::iter::FusedIterator;
use studio_api::{Error, Pages};

/// Every item of a list, fetched one page at a time as it is read.
///
/// Returned by `iter()` on every list builder: the blocking form of
/// [`studio_api::Pages`], driven by the client's runtime. The request for
/// the next page is sent only when the items of the page before have all
/// been read, with every setter of the builder kept (filters, `limit`);
/// iteration ends after the page the server reports as the last one. A
/// page that fails is yielded as one `Err`, which ends the iteration.
///
/// ```
/// # let server = studio_mock::MockServer::builder().no_rate_limit().start().unwrap();
/// # let client = studio_api_blocking::Client::with_credential(
/// #     server.base_url(),
/// #     studio_api_blocking::Credential::api_key(server.api_key()),
/// # )?;
/// # let project = client.create_project().body_map(|b| b.name("Pilot")).send()?.into_inner().data;
/// # for n in 1..=5 {
/// #     client.create_frame().project_id(&project.id).body_map(|b| b.script(format!("Shot {n}"))).send()?;
/// # }
/// // Two frames per request: three requests for five frames.
/// for frame in client.list_frames().project_id(&project.id).limit(2u32).iter() {
///     let frame = frame?;
///     println!("{} {}", frame.position, frame.script);
/// }
///
/// let all: Vec<_> = client.list_frames().project_id(&project.id).iter().collect::<Result<_, _>>()?;
/// assert_eq!(all.len(), 5);
/// # Ok::<(), studio_api_blocking::Error>(())
/// ```
pub struct Iter<'a, T> {
    client: &'a Client,
    operation: &'static str,
    /// `None` once a call could not be made at all.
    pages: Option<Pages<'a, T>>,
}

impl<'a, T> Iter<'a, T> {
    /// Reads `pages`, the async stream of `operation`, on `client`'s runtime.
    pub(crate) fn new(client: &'a Client, operation: &'static str, pages: Pages<'a, T>) -> Self {
        Iter {
            client,
            operation,
            pages: Some(pages),
        }
    }
}

impl<T> Iterator for Iter<'_, T> {
    type Item = Result<T, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let pages = self.pages.as_mut()?;
        match self
            .client
            .block_on(self.operation, async { Ok(pages.next().await) })
        {
            Ok(item) => item,
            Err(error) => {
                self.pages = None;
                Some(Err(error))
            }
        }
    }
}

impl<T> FusedIterator for Iter<'_, T> {}

impl<T> fmt::Debug for Iter<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Iter")
            .field("operation", &self.operation)
            .finish_non_exhaustive()
    }
}

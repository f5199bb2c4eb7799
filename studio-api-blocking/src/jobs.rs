//! Handles on generation jobs, exports and renders: the async
//! [`studio_api::Handle`] driven by the client's runtime.

use crate::Client;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use std::fmt;
use std::iter::FusedIterator;
use std::time::Instant;
use studio_api::types::{Export, GenerationJob, Render};
use studio_api::{Error, PollSchedule, Pollable, Work};

/// A handle on a generation job, an export or a render: wait for it to
/// finish, or follow its progress. The blocking form of
/// [`studio_api::Handle`], with the same polling (see [`PollSchedule`]).
///
/// Made with [`Client::job`], [`Client::export`] and [`Client::render`]
/// from a state the API returned, or with [`Client::job_by_id`],
/// [`Client::export_by_id`] and [`Client::render_by_id`] to resume from
/// an id.
///
/// ```
/// use std::time::Duration;
/// use studio_api_blocking::{Client, Credential, ErrorKind, PollSchedule};
/// use studio_mock::MockServer;
///
/// let server = MockServer::builder().job_duration(Duration::from_millis(200)).start().unwrap();
/// let client = Client::with_credential(server.base_url(), Credential::api_key(server.api_key()))?;
/// # let project = client.create_project().body_map(|b| b.name("Harbour")).send()?;
/// # let frame = client.create_frame().project_id(&project.data.id)
/// #     .body_map(|b| b.script("A harbour at dawn")).send()?;
/// let job = client
///     .generate_frame_image()
///     .frame_id(&frame.data.id)
///     .send()?
///     .into_inner()
///     .data;
///
/// // The local server's jobs take 0.2 s: poll it every 50 ms.
/// let quick = PollSchedule { first: Duration::from_millis(50), factor: 1.0, ..Default::default() };
/// match client.job(&job).poll_schedule(quick).wait() {
///     Ok(done) => println!("image at {:?}", done.result.and_then(|r| r.image_url)),
///     Err(error) if matches!(error.kind(), ErrorKind::JobFailed { .. }) => {
///         eprintln!("{error}")
///     }
///     Err(error) => return Err(error),
/// }
/// # Ok::<(), studio_api_blocking::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Handle<T: Pollable> {
    client: Client,
    inner: studio_api::Handle<T>,
}

impl<T: Pollable> Handle<T> {
    /// The id of the job, export or render.
    pub fn id(&self) -> &str {
        self.inner.id()
    }

    /// Polls on `schedule` instead of the default (see [`PollSchedule`]).
    pub fn poll_schedule(self, schedule: PollSchedule) -> Self {
        self.client.handle(self.inner.poll_schedule(schedule))
    }

    /// The same handle typed as [`Work`], to wait on jobs, exports and
    /// renders together with [`wait_all`].
    pub fn into_work(self) -> Handle<Work> {
        self.client.handle(self.inner.into_work())
    }

    /// Waits until the work is final and returns its completed state; see
    /// [`studio_api::Handle::wait`].
    pub fn wait(&self) -> Result<T, Error> {
        self.client.block_on("Handle::wait", self.inner.wait())
    }

    /// Like [`wait`](Self::wait), but gives up at `deadline` with
    /// [`ErrorKind::DeadlinePassed`](crate::ErrorKind::DeadlinePassed); see
    /// [`studio_api::Handle::wait_until`].
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use studio_api_blocking::{Client, Credential, ErrorKind, PollSchedule};
    /// use studio_mock::MockServer;
    ///
    /// let server = MockServer::builder().job_duration(Duration::from_millis(500)).start().unwrap();
    /// let client = Client::with_credential(server.base_url(), Credential::api_key(server.api_key()))?;
    /// # let project = client.create_project().body_map(|b| b.name("Harbour")).send()?;
    /// # let frame = client.create_frame().project_id(&project.data.id)
    /// #     .body_map(|b| b.script("A harbour at dawn")).send()?;
    /// # let job = client.generate_frame_image().frame_id(&frame.data.id)
    /// #     .send()?.into_inner().data;
    /// let quick = PollSchedule { first: Duration::from_millis(50), factor: 1.0, ..Default::default() };
    /// let soon = Instant::now() + Duration::from_millis(100);
    /// let error = client.job(&job).poll_schedule(quick).wait_until(soon).unwrap_err();
    /// let ErrorKind::DeadlinePassed { id, .. } = error.kind() else { panic!("{error}") };
    ///
    /// // Resume from the id alone.
    /// let done = client.job_by_id(id).poll_schedule(quick).wait()?;
    /// assert!(done.result.is_some());
    /// # Ok::<(), studio_api_blocking::Error>(())
    /// ```
    pub fn wait_until(&self, deadline: Instant) -> Result<T, Error> {
        self.client
            .block_on("Handle::wait_until", self.inner.wait_until(deadline))
    }

    /// Each change of status or progress, ending after the final state;
    /// see [`studio_api::Handle::progress`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use studio_api_blocking::{Client, Credential, PollSchedule};
    /// use studio_mock::MockServer;
    ///
    /// let server = MockServer::builder().job_duration(Duration::from_millis(200)).start().unwrap();
    /// let client = Client::with_credential(server.base_url(), Credential::api_key(server.api_key()))?;
    /// # let project = client.create_project().body_map(|b| b.name("Harbour")).send()?;
    /// # let frame = client.create_frame().project_id(&project.data.id)
    /// #     .body_map(|b| b.script("A harbour at dawn")).send()?;
    /// # let job = client.generate_frame_image().frame_id(&frame.data.id)
    /// #     .send()?.into_inner().data;
    /// let quick = PollSchedule { first: Duration::from_millis(20), factor: 1.0, ..Default::default() };
    /// for state in client.job(&job).poll_schedule(quick).progress() {
    ///     let state = state?;
    ///     println!("{} {}%", state.status, state.progress.unwrap_or(0));
    /// }
    /// # Ok::<(), studio_api_blocking::Error>(())
    /// ```
    pub fn progress(&self) -> Progress<T> {
        Progress {
            client: self.client.clone(),
            states: Some(self.inner.progress().boxed()),
        }
    }
}

/// The states of a [`Handle`], as [`Handle::progress`] returns them: each
/// change of status or progress, ending after the final state.
pub struct Progress<T> {
    client: Client,
    /// `None` once the runtime refused to run (on a runtime thread).
    states: Option<BoxStream<'static, Result<T, Error>>>,
}

impl<T> Iterator for Progress<T> {
    type Item = Result<T, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let states = self.states.as_mut()?;
        let state = self
            .client
            .block_on("Progress::next", async { Ok(states.next().await) });
        state.unwrap_or_else(|refused| self.states.take().map(|_| Err(refused)))
    }
}

impl<T> FusedIterator for Progress<T> {}

impl<T> fmt::Debug for Progress<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Progress").finish_non_exhaustive()
    }
}

/// Waits on every handle at once and returns their results in the order
/// given; see [`studio_api::wait_all`]. Runs on the first handle's client.
///
/// ```
/// use std::time::Duration;
/// use studio_api_blocking::{Client, Credential, PollSchedule, Work, types::ExportFormat, wait_all};
/// use studio_mock::MockServer;
///
/// let server = MockServer::builder().job_duration(Duration::from_millis(200)).start().unwrap();
/// let client = Client::with_credential(server.base_url(), Credential::api_key(server.api_key()))?;
/// # let project = client.create_project().body_map(|b| b.name("Harbour")).send()?.into_inner().data;
/// # let frame = client.create_frame().project_id(&project.id)
/// #     .body_map(|b| b.script("A harbour at dawn")).send()?;
/// # let job = client.generate_frame_image().frame_id(&frame.data.id)
/// #     .send()?.into_inner().data;
/// let export = client
///     .create_export()
///     .project_id(&project.id)
///     .body_map(|b| b.format(ExportFormat::Pdf))
///     .send()?
///     .into_inner()
///     .data;
///
/// let quick = PollSchedule { first: Duration::from_millis(50), factor: 1.0, ..Default::default() };
/// let results = wait_all([
///     client.job(&job).poll_schedule(quick).into_work(),
///     client.export(&export).poll_schedule(quick).into_work(),
/// ]);
/// assert!(matches!(results[0], Ok(Work::Job(_))));
/// assert!(matches!(&results[1], Ok(Work::Export(e)) if e.url.is_some()));
/// # Ok::<(), studio_api_blocking::Error>(())
/// ```
pub fn wait_all<T: Pollable>(
    handles: impl IntoIterator<Item = Handle<T>>,
) -> Vec<Result<T, Error>> {
    let (clients, handles): (Vec<Client>, Vec<_>) =
        handles.into_iter().map(|h| (h.client, h.inner)).unzip();
    let Some(client) = clients.first() else {
        return Vec::new();
    };
    let count = handles.len();
    client
        .block_on("wait_all", async {
            Ok(studio_api::wait_all(handles).await)
        })
        .unwrap_or_else(|refused| vec![Err(refused); count])
}

/// Follows every handle at once: each change of status or progress of any
/// of them, as `(index, state)` with the handle's position in `handles`,
/// until each has reported its final state or its error; see
/// [`studio_api::progress_all`]. Runs on the first handle's client.
///
/// ```
/// use std::time::Duration;
/// use studio_api_blocking::{Client, Credential, PollSchedule, progress_all};
/// use studio_mock::MockServer;
///
/// let server = MockServer::builder().job_duration(Duration::from_millis(200)).start().unwrap();
/// let client = Client::with_credential(server.base_url(), Credential::api_key(server.api_key()))?;
/// # let project = client.create_project().body_map(|b| b.name("Harbour")).send()?;
/// let quick = PollSchedule { first: Duration::from_millis(20), factor: 1.0, ..Default::default() };
/// let mut handles = Vec::new();
/// for script in ["A harbour at dawn", "Gulls over the pier"] {
///     let frame = client.create_frame().project_id(&project.data.id)
///         .body_map(|b| b.script(script)).send()?;
///     let job = client.generate_frame_image().frame_id(&frame.data.id).send()?;
///     handles.push(client.job(&job.data).poll_schedule(quick));
/// }
/// for (index, state) in progress_all(handles) {
///     let state = state?;
///     println!("shot {index}: {} {}%", state.status, state.progress.unwrap_or(0));
/// }
/// # Ok::<(), studio_api_blocking::Error>(())
/// ```
pub fn progress_all<T: Pollable>(handles: impl IntoIterator<Item = Handle<T>>) -> ProgressAll<T> {
    let (clients, handles): (Vec<Client>, Vec<_>) =
        handles.into_iter().map(|h| (h.client, h.inner)).unzip();
    ProgressAll {
        unreported: 0..handles.len(),
        client: clients.into_iter().next(),
        states: Some(studio_api::progress_all(handles).boxed()),
        refused: None,
    }
}

/// The changes of many handles, as [`progress_all`] returns them.
pub struct ProgressAll<T> {
    /// `None` without handles.
    client: Option<Client>,
    /// `None` once the runtime refused to run (on a runtime thread).
    states: Option<BoxStream<'static, (usize, Result<T, Error>)>>,
    /// Why the runtime refused, reported once for each handle.
    refused: Option<Error>,
    unreported: std::ops::Range<usize>,
}

impl<T> Iterator for ProgressAll<T> {
    type Item = (usize, Result<T, Error>);

    fn next(&mut self) -> Option<Self::Item> {
        if let (Some(client), Some(states)) = (&self.client, self.states.as_mut()) {
            match client.block_on("progress_all", async { Ok(states.next().await) }) {
                Ok(item) => return item,
                Err(refused) => {
                    self.states = None;
                    self.refused = Some(refused);
                }
            }
        }
        let refused = self.refused.clone()?;
        Some((self.unreported.next()?, Err(refused)))
    }
}

impl<T> FusedIterator for ProgressAll<T> {}

impl<T> fmt::Debug for ProgressAll<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProgressAll").finish_non_exhaustive()
    }
}

impl Client {
    fn handle<T: Pollable>(&self, inner: studio_api::Handle<T>) -> Handle<T> {
        Handle {
            client: self.clone(),
            inner,
        }
    }

    /// A handle on `job`, to wait for it or follow it; see
    /// [`studio_api::Client::job`].
    pub fn job(&self, job: &GenerationJob) -> Handle<GenerationJob> {
        self.handle(self.as_async().job(job))
    }

    /// A handle on the generation job `id`, e.g. to resume a wait.
    pub fn job_by_id(&self, id: impl Into<String>) -> Handle<GenerationJob> {
        self.handle(self.as_async().job_by_id(id))
    }

    /// A handle on `export` (as `create_export` or `get_export` returned it).
    pub fn export(&self, export: &Export) -> Handle<Export> {
        self.handle(self.as_async().export(export))
    }

    /// A handle on the export `id`, e.g. to resume a wait.
    pub fn export_by_id(&self, id: impl Into<String>) -> Handle<Export> {
        self.handle(self.as_async().export_by_id(id))
    }

    /// A handle on `render` (as `create_render` or `get_render` returned it).
    pub fn render(&self, render: &Render) -> Handle<Render> {
        self.handle(self.as_async().render(render))
    }

    /// A handle on the render `id`, e.g. to resume a wait.
    pub fn render_by_id(&self, id: impl Into<String>) -> Handle<Render> {
        self.handle(self.as_async().render_by_id(id))
    }
}

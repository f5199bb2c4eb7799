//! Handles on asynchronous work — generation jobs, exports and renders — to
//! wait for the result or follow the progress.
//!
//! A handle polls `get_generation_job`, `get_export` or `get_render` through
//! the client it was made from, so polls are paced and retried like any
//! other call. Handles of one client that wait at the same time on jobs or
//! exports of one project share their polls: one `list_generation_jobs` or
//! `list_exports` request per tick serves them all (see
//! [`ClientBuilder::coalesced_waiting`](crate::ClientBuilder::coalesced_waiting)). It keeps only the client, the id and the state it was made
//! from: waiting does not consume it, and a new handle made from the id
//! (say in another process, after a [`DeadlinePassed`](ErrorKind::DeadlinePassed))
//! picks up where an old one left off.

mod coalesce;

use crate::Client;
use crate::error::{Error, ErrorKind};
use crate::pacing::later;
use crate::retry::{honoured, retry_after};
use crate::types::{Export, GenerationJob, JobStatus, Render};
pub(crate) use coalesce::Pool;
use coalesce::{Listing, Seen, Ticket, Want};
use futures_util::future::join_all;
use futures_util::stream::{self, FusedStream, StreamExt};
use progenitor_client::ClientInfo;
use sealed::{Kind, Sealed};
use std::future::Future;
use std::time::{Duration, Instant};
use tracing::Instrument;

/// How long a handle waits between polls: `first`, then `factor` times the
/// previous wait, never more than `max`.
///
/// The default, 1 s doubling to at most 10 s, polls a job made from its
/// accepted state at 1, 3, 7, 15, 25, 35, 45 and 55 s. A handle made from
/// an id polls straight away, then on this schedule.
///
/// Once two polls have seen the progress rise, a handle also estimates
/// when the work will finish from that rate, and polls then if it is
/// sooner than the schedule's next poll: a 60-second job that progresses
/// steadily is seen finished by its 9th poll, within a second or so of
/// the end. An estimate that proves early is backed off (a quarter of
/// `first`, doubling with each miss), so progress that stalls near the
/// end falls back to the schedule. When a response carries `Retry-After`
/// (a 429 does), the next wait is that long instead.
///
/// ```
/// use std::time::Duration;
/// use studio_api::PollSchedule;
///
/// let default = PollSchedule::default();
/// assert_eq!(default.first, Duration::from_secs(1));
/// assert_eq!(default.factor, 2.0);
/// assert_eq!(default.max, Duration::from_secs(10));
///
/// // The same shape, a hundred times faster (for a local test server).
/// let quick = PollSchedule {
///     first: Duration::from_millis(10),
///     max: Duration::from_millis(100),
///     ..default
/// };
/// # let _ = quick;
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PollSchedule {
    /// The first wait.
    pub first: Duration,
    /// How much each wait grows over the one before; below 1 counts as 1.
    pub factor: f64,
    /// The longest wait.
    pub max: Duration,
}

impl Default for PollSchedule {
    fn default() -> Self {
        PollSchedule {
            first: Duration::from_secs(1),
            factor: 2.0,
            max: Duration::from_secs(10),
        }
    }
}

impl PollSchedule {
    /// The wait after `step` earlier waits: `first * factor^step`, at most `max`.
    fn delay(&self, step: u32) -> Duration {
        let growth = self
            .factor
            .max(1.0)
            .powi(i32::try_from(step).unwrap_or(i32::MAX));
        let seconds = self.first.as_secs_f64() * growth;
        Duration::from_secs_f64(seconds.min(self.max.as_secs_f64()))
    }
}

/// Private to the crate: outside code can name neither the trait nor the enum.
mod sealed {
    use super::{Client, Duration, Error, Future, Listing, Work};

    /// Which endpoint a handle polls.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum Kind {
        Job,
        Export,
        Render,
    }

    impl Kind {
        /// The operation that fetches it, which its errors name.
        pub fn operation(self) -> &'static str {
            match self {
                Kind::Job => "get_generation_job",
                Kind::Export => "get_export",
                Kind::Render => "get_render",
            }
        }

        /// What it is called in error messages.
        pub fn noun(self) -> &'static str {
            match self {
                Kind::Job => "generation job",
                Kind::Export => "export",
                Kind::Render => "render",
            }
        }
    }

    /// What a handle needs from the resources it polls; not for other types.
    pub trait Sealed: Sized {
        /// Which endpoint this state came from.
        fn kind(&self) -> Kind;
        /// A fresh state of `id` from the `kind` endpoint, with the
        /// response's `Retry-After`, if any.
        fn fetch(
            client: &Client,
            kind: Kind,
            id: &str,
        ) -> impl Future<Output = Result<(Self, Option<Duration>), Error>> + Send;
        /// The state as a [`Work`].
        fn into_work(self) -> Work;
        /// The state, from a [`Work`] of its kind.
        fn from_work(work: Work) -> Option<Self>;
        /// Where it is listed, if its kind has a listing.
        fn listing(&self) -> Option<Listing>;
    }
}

/// A state of a generation job, an export or a render: what a [`Handle`]
/// polls and returns. Implemented for [`GenerationJob`], [`Export`],
/// [`Render`] and [`Work`] (any of the three), and for nothing else.
pub trait Pollable: Sealed + Clone + std::fmt::Debug + Send + Sync + 'static {
    /// Its id.
    fn id(&self) -> &str;
    /// Its status; `completed`, `failed` and `canceled` are final. A
    /// status this client does not know ([`JobStatus::Unknown`], from a
    /// newer server) is not final: a handle keeps polling through it.
    fn status(&self) -> &JobStatus;
    /// Percent complete, when known.
    fn progress(&self) -> Option<i32>;
    /// Why it failed, when it did.
    fn error(&self) -> Option<&str>;
}

/// Implements [`Pollable`] for a resource fetched with
/// `client.$get().$param(id)`, as the [`Work`] variant `$kind`, listed
/// where `$listing` says.
macro_rules! pollable {
    ($($resource:ident: $kind:ident, $get:ident($param:ident), $listing:expr;)*) => {$(
        impl Sealed for $resource {
            fn kind(&self) -> Kind {
                Kind::$kind
            }

            async fn fetch(
                client: &Client,
                _: Kind,
                id: &str,
            ) -> Result<(Self, Option<Duration>), Error> {
                let response = client.$get().$param(id).send().await?;
                let hint = retry_after(response.headers());
                Ok((response.into_inner().data, hint))
            }

            fn into_work(self) -> Work {
                Work::$kind(self)
            }

            fn from_work(work: Work) -> Option<Self> {
                match work {
                    Work::$kind(state) => Some(state),
                    _ => None,
                }
            }

            fn listing(&self) -> Option<Listing> {
                let listing: fn(&Self) -> Option<Listing> = $listing;
                listing(self)
            }
        }

        impl Pollable for $resource {
            fn id(&self) -> &str {
                &self.id
            }
            fn status(&self) -> &JobStatus {
                &self.status
            }
            fn progress(&self) -> Option<i32> {
                self.progress
            }
            fn error(&self) -> Option<&str> {
                self.error.as_deref()
            }
        }
    )*};
}

pollable! {
    GenerationJob: Job, get_generation_job(job_id), |job| Some(Listing {
        project: job.project_id.to_string(),
        created_at: job.created_at,
        class: job.type_.to_string(),
    });
    Export: Export, get_export(export_id), |export| Some(Listing {
        project: export.project_id.to_string(),
        created_at: export.created_at,
        class: export.format.to_string(),
    });
    Render: Render, get_render(render_id), |_| None;
}

/// A generation job, an export or a render, for waiting on a mix of them
/// with [`wait_all`] (see [`Handle::into_work`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Work {
    /// A generation job.
    Job(GenerationJob),
    /// An export.
    Export(Export),
    /// A render.
    Render(Render),
}

/// Evaluates `$body` with `$w` bound to whichever resource `$work` holds.
macro_rules! each {
    ($work:expr, $w:ident => $body:expr) => {
        match $work {
            Work::Job($w) => $body,
            Work::Export($w) => $body,
            Work::Render($w) => $body,
        }
    };
}

impl Sealed for Work {
    fn kind(&self) -> Kind {
        each!(self, w => w.kind())
    }

    async fn fetch(
        client: &Client,
        kind: Kind,
        id: &str,
    ) -> Result<(Self, Option<Duration>), Error> {
        fn work<T: Pollable>((state, hint): (T, Option<Duration>)) -> (Work, Option<Duration>) {
            (state.into_work(), hint)
        }
        Ok(match kind {
            Kind::Job => work(GenerationJob::fetch(client, kind, id).await?),
            Kind::Export => work(Export::fetch(client, kind, id).await?),
            Kind::Render => work(Render::fetch(client, kind, id).await?),
        })
    }

    fn into_work(self) -> Work {
        self
    }

    fn from_work(work: Work) -> Option<Self> {
        Some(work)
    }

    fn listing(&self) -> Option<Listing> {
        each!(self, w => w.listing())
    }
}

impl Pollable for Work {
    fn id(&self) -> &str {
        each!(self, w => w.id())
    }
    fn status(&self) -> &JobStatus {
        each!(self, w => w.status())
    }
    fn progress(&self) -> Option<i32> {
        each!(self, w => w.progress())
    }
    fn error(&self) -> Option<&str> {
        each!(self, w => w.error())
    }
}

/// A handle on a generation job, an export or a render: wait for it to
/// finish, or follow its progress.
///
/// Made with [`Client::job`], [`Client::export`] and [`Client::render`]
/// from a state the API returned, or with [`Client::job_by_id`],
/// [`Client::export_by_id`] and [`Client::render_by_id`] to resume from
/// an id. Polls follow its [`PollSchedule`].
///
/// ```
/// use std::time::Duration;
/// use studio_api::{Client, Credential, ErrorKind, PollSchedule};
/// use studio_mock::MockServer;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), studio_api::Error> {
/// let server = MockServer::builder().job_duration(Duration::from_millis(200)).start().unwrap();
/// let client = Client::with_credential(server.base_url(), Credential::api_key(server.api_key()))?;
/// # let project = client.create_project().body_map(|b| b.name("Harbour")).send().await?;
/// # let frame = client.create_frame().project_id(&project.data.id)
/// #     .body_map(|b| b.script("A harbour at dawn")).send().await?;
/// let job = client
///     .generate_frame_image()
///     .frame_id(&frame.data.id)
///     .send()
///     .await?
///     .into_inner()
///     .data;
///
/// // The local server's jobs take 0.2 s: poll it every 50 ms.
/// let quick = PollSchedule { first: Duration::from_millis(50), factor: 1.0, ..Default::default() };
/// match client.job(&job).poll_schedule(quick).wait().await {
///     Ok(done) => println!("image at {:?}", done.result.and_then(|r| r.image_url)),
///     Err(error) if matches!(error.kind(), ErrorKind::JobFailed { .. }) => {
///         eprintln!("{error}")
///     }
///     Err(error) => return Err(error),
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Handle<T: Pollable> {
    client: Client,
    kind: Kind,
    id: String,
    initial: Option<T>,
    schedule: PollSchedule,
}

impl<T: Pollable> Handle<T> {
    fn new(client: &Client, kind: Kind, id: String, initial: Option<T>) -> Self {
        Handle {
            client: client.clone(),
            kind,
            id,
            initial,
            schedule: client.inner().limits.poll_schedule,
        }
    }

    /// A handle starting from `state`, as the API returned it.
    fn of(client: &Client, state: &T) -> Self {
        Self::new(
            client,
            state.kind(),
            state.id().to_string(),
            Some(state.clone()),
        )
    }

    /// The id of the job, export or render.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Polls on `schedule` instead of the default (see [`PollSchedule`]).
    pub fn poll_schedule(mut self, schedule: PollSchedule) -> Self {
        self.schedule = schedule;
        self
    }

    /// The same handle typed as [`Work`], to wait on jobs, exports and
    /// renders together with [`wait_all`].
    pub fn into_work(self) -> Handle<Work> {
        Handle {
            client: self.client,
            kind: self.kind,
            id: self.id,
            initial: self.initial.map(T::into_work),
            schedule: self.schedule,
        }
    }

    /// Waits until the work is final and returns its completed state.
    ///
    /// Fails with [`ErrorKind::JobFailed`] (with the server's reason) or
    /// [`ErrorKind::JobCanceled`] when it ends otherwise, and with the
    /// poll's error when a poll fails for a reason other than a 429 (a 429
    /// is waited out for its `Retry-After`, unless that is longer than the
    /// client's retry-after cap). A status this client does not know
    /// ([`JobStatus::Unknown`], from a newer server) is waited through like
    /// any state still in progress. The handle stays usable: wait on it
    /// again to resume.
    pub async fn wait(&self) -> Result<T, Error> {
        self.poller(None).finish().instrument(self.span()).await
    }

    /// Like [`wait`](Self::wait), but gives up at `deadline` with
    /// [`ErrorKind::DeadlinePassed`], carrying the last status and progress
    /// seen.
    ///
    /// The last poll is made at the deadline, so the result is returned if
    /// the work is final by then; it returns by the deadline plus one
    /// attempt's timeout (the client's `timeout`, or a per-call option's),
    /// retries or not, whichever handle runs a shared listing. At least
    /// one poll is made, even if the deadline has passed.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use studio_api::{Client, Credential, ErrorKind, PollSchedule, types::JobStatus};
    /// use studio_mock::MockServer;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), studio_api::Error> {
    /// let server = MockServer::builder().job_duration(Duration::from_millis(500)).start().unwrap();
    /// let client = Client::with_credential(server.base_url(), Credential::api_key(server.api_key()))?;
    /// # let project = client.create_project().body_map(|b| b.name("Harbour")).send().await?;
    /// # let frame = client.create_frame().project_id(&project.data.id)
    /// #     .body_map(|b| b.script("A harbour at dawn")).send().await?;
    /// # let job = client.generate_frame_image().frame_id(&frame.data.id)
    /// #     .send().await?.into_inner().data;
    /// let quick = PollSchedule { first: Duration::from_millis(50), factor: 1.0, ..Default::default() };
    /// let soon = Instant::now() + Duration::from_millis(100);
    /// let error = client.job(&job).poll_schedule(quick).wait_until(soon).await.unwrap_err();
    /// let ErrorKind::DeadlinePassed { id, last_status, .. } = error.kind() else {
    ///     panic!("{error}");
    /// };
    /// assert_ne!(*last_status, Some(JobStatus::Completed));
    ///
    /// // Later, perhaps elsewhere: resume from the id alone.
    /// let done = client.job_by_id(id).poll_schedule(quick).wait().await?;
    /// assert_eq!(done.status, JobStatus::Completed);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn wait_until(&self, deadline: Instant) -> Result<T, Error> {
        self.poller(Some(deadline))
            .finish()
            .instrument(self.span())
            .await
    }

    /// The `tracing` span of one wait; each poll is a call span inside it.
    fn span(&self) -> tracing::Span {
        tracing::info_span!("studio.wait", studio.job_id = %self.id, studio.poll = self.kind.operation())
    }

    /// Each change of status or progress, ending after the final state.
    ///
    /// The first item is the state the handle was made from (or the first
    /// poll's, for a handle made from an id); a status this client does
    /// not know is reported like any other. The last is the completed
    /// state, or the error [`wait`](Self::wait) would return (a failed or
    /// canceled end, or a failed poll). Draw a progress bar from it:
    ///
    /// ```
    /// use futures_util::StreamExt;
    /// use std::time::Duration;
    /// use studio_api::{Client, Credential, PollSchedule};
    /// use studio_mock::MockServer;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), studio_api::Error> {
    /// let server = MockServer::builder().job_duration(Duration::from_millis(200)).start().unwrap();
    /// let client = Client::with_credential(server.base_url(), Credential::api_key(server.api_key()))?;
    /// # let project = client.create_project().body_map(|b| b.name("Harbour")).send().await?;
    /// # let frame = client.create_frame().project_id(&project.data.id)
    /// #     .body_map(|b| b.script("A harbour at dawn")).send().await?;
    /// # let job = client.generate_frame_image().frame_id(&frame.data.id)
    /// #     .send().await?.into_inner().data;
    /// let quick = PollSchedule { first: Duration::from_millis(20), factor: 1.0, ..Default::default() };
    /// let mut states = Box::pin(client.job(&job).poll_schedule(quick).progress());
    /// while let Some(state) = states.next().await {
    ///     let state = state?;
    ///     println!("{} {}%", state.status, state.progress.unwrap_or(0));
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn progress(&self) -> impl FusedStream<Item = Result<T, Error>> + Send + use<T> {
        stream::unfold(Some(self.poller(None)), |poller| async move {
            let mut poller = poller?;
            let item = poller.step().await;
            Some((item, (!poller.done).then_some(poller)))
        })
        .fuse()
    }

    fn poller(&self, deadline: Option<Instant>) -> Poller<T> {
        let (next_delay, steps) = match &self.initial {
            Some(_) => (self.schedule.delay(0), 1),
            None => (Duration::ZERO, 0),
        };
        Poller {
            handle: self.clone(),
            deadline,
            unreported: self.initial.clone(),
            last: self.initial.clone(),
            next_delay,
            slack: next_delay,
            estimate: None,
            steps,
            polled: false,
            done: false,
            first_running: None,
            estimate_misses: 0,
            ticket: None,
        }
    }
}

/// Waits on every handle at once and returns their results in the order
/// given, each as [`Handle::wait`] returns it.
///
/// Mix jobs, exports and renders by turning each handle
/// [`into_work`](Handle::into_work):
///
/// ```
/// use std::time::Duration;
/// use studio_api::{Client, Credential, PollSchedule, Work, types::ExportFormat, wait_all};
/// use studio_mock::MockServer;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), studio_api::Error> {
/// let server = MockServer::builder().job_duration(Duration::from_millis(200)).start().unwrap();
/// let client = Client::with_credential(server.base_url(), Credential::api_key(server.api_key()))?;
/// # let project = client.create_project().body_map(|b| b.name("Harbour")).send().await?.into_inner().data;
/// # let frame = client.create_frame().project_id(&project.id)
/// #     .body_map(|b| b.script("A harbour at dawn")).send().await?;
/// # let job = client.generate_frame_image().frame_id(&frame.data.id)
/// #     .send().await?.into_inner().data;
/// let export = client
///     .create_export()
///     .project_id(&project.id)
///     .body_map(|b| b.format(ExportFormat::Pdf))
///     .send()
///     .await?
///     .into_inner()
///     .data;
///
/// let quick = PollSchedule { first: Duration::from_millis(50), factor: 1.0, ..Default::default() };
/// let results = wait_all([
///     client.job(&job).poll_schedule(quick).into_work(),
///     client.export(&export).poll_schedule(quick).into_work(),
/// ])
/// .await;
/// assert!(matches!(results[0], Ok(Work::Job(_))));
/// assert!(matches!(&results[1], Ok(Work::Export(e)) if e.url.is_some()));
/// # Ok(())
/// # }
/// ```
pub async fn wait_all<T: Pollable>(
    handles: impl IntoIterator<Item = Handle<T>>,
) -> Vec<Result<T, Error>> {
    join_all(
        handles
            .into_iter()
            .map(|handle| async move { handle.wait().await }),
    )
    .await
}

/// Follows every handle at once: each change of status or progress of any
/// of them, as `(index, state)` with the handle's position in `handles`,
/// until each has reported its final state or its error (as
/// [`Handle::progress`] reports them). Draw one progress bar per handle,
/// and a total:
///
/// ```
/// use futures_util::StreamExt;
/// use std::time::Duration;
/// use studio_api::{Client, Credential, PollSchedule, progress_all, types::JobStatus};
/// use studio_mock::MockServer;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), studio_api::Error> {
/// let server = MockServer::builder().job_duration(Duration::from_millis(200)).start().unwrap();
/// let client = Client::with_credential(server.base_url(), Credential::api_key(server.api_key()))?;
/// # let project = client.create_project().body_map(|b| b.name("Harbour")).send().await?;
/// let mut handles = Vec::new();
/// for script in ["A harbour at dawn", "Gulls over the pier", "A lighthouse at dusk"] {
///     let frame = client.create_frame().project_id(&project.data.id)
///         .body_map(|b| b.script(script)).send().await?;
///     let job = client.generate_frame_image().frame_id(&frame.data.id).send().await?;
///     handles.push(client.job(&job.data));
/// }
/// let quick = PollSchedule { first: Duration::from_millis(20), factor: 1.0, ..Default::default() };
/// let handles = handles.into_iter().map(|h| h.poll_schedule(quick));
///
/// let mut percent = vec![0; 3];
/// let mut changes = progress_all(handles);
/// while let Some((index, state)) = changes.next().await {
///     let state = state?;
///     percent[index] = if state.status == JobStatus::Completed { 100 } else { state.progress.unwrap_or(0) };
///     let total: i32 = percent.iter().sum::<i32>() / 3;
///     println!("shot {index}: {} {}% (all: {total}%)", state.status, percent[index]);
/// }
/// assert_eq!(percent, [100, 100, 100]);
/// # Ok(())
/// # }
/// ```
pub fn progress_all<T: Pollable, I: IntoIterator<Item = Handle<T>>>(
    handles: I,
) -> impl FusedStream<Item = (usize, Result<T, Error>)> + Send + use<T, I> {
    stream::select_all(
        handles
            .into_iter()
            .enumerate()
            .map(|(index, handle)| handle.progress().map(move |state| (index, state)).boxed()),
    )
}

/// The wait before the next look after `error`, when it is a 429 whose
/// `Retry-After` (if any) the client honours under `cap`; `None` when the
/// error ends the wait.
fn refused(error: &Error, cap: Duration) -> Option<Option<Duration>> {
    match error.kind() {
        ErrorKind::RateLimited { retry_after: None } => Some(None),
        ErrorKind::RateLimited {
            retry_after: Some(hint),
        } => honoured(*hint, cap, true).map(Some),
        _ => None,
    }
}

/// What `work` gives if it ends by `end` (any time without one); `None`
/// when `end` passes first.
async fn by<T>(end: Option<Instant>, work: impl Future<Output = T>) -> Option<T> {
    match end {
        Some(end) => tokio::time::timeout_at(end.into(), work).await.ok(),
        None => Some(work.await),
    }
}

/// One wait on a handle: what has been seen and when to poll next.
struct Poller<T: Pollable> {
    handle: Handle<T>,
    deadline: Option<Instant>,
    /// The state the handle was made from, until it has been reported.
    unreported: Option<T>,
    /// The last state seen.
    last: Option<T>,
    /// How long to wait before the next poll.
    next_delay: Duration,
    /// The schedule's current step: how late a shared look may come.
    slack: Duration,
    /// When the progress rate says the work will be done, if it says.
    estimate: Option<Instant>,
    /// How many schedule steps have been used.
    steps: u32,
    /// Whether a poll has been sent.
    polled: bool,
    /// Whether the final state or an error has been reported.
    done: bool,
    /// When progress was first seen above zero, and how far it was.
    first_running: Option<(Instant, i32)>,
    /// Estimated waits that found the work still running.
    estimate_misses: u32,
    /// The wait's place in its client's pool, once it knows the project.
    ticket: Option<Ticket>,
}

/// How long until progress reaches 100 at the rate it rose from `first`
/// to `now` (each an instant and a percentage); `None` if it did not rise.
fn time_left(first: (Instant, i32), now: (Instant, i32)) -> Option<Duration> {
    let gained = now.1 - first.1;
    if gained <= 0 {
        return None;
    }
    let per_point = now.0.saturating_duration_since(first.0).as_secs_f64() / f64::from(gained);
    Some(Duration::from_secs_f64(
        per_point * f64::from((100 - now.1).max(0)),
    ))
}

impl<T: Pollable> Poller<T> {
    /// Runs [`step`](Self::step) until the final state.
    async fn finish(mut self) -> Result<T, Error> {
        loop {
            let state = self.step().await?;
            if self.done {
                return Ok(state);
            }
        }
    }

    /// The next change: a state whose status or progress differs from the
    /// last, the final state, or the error that ends the wait. Not called
    /// once `done`.
    async fn step(&mut self) -> Result<T, Error> {
        if let Some(state) = self.unreported.take() {
            return self.report(state);
        }
        loop {
            if self.polled && self.deadline.is_some_and(|d| Instant::now() >= d) {
                self.done = true;
                return Err(self.deadline_passed());
            }
            let (state, hint) = match self.look().await {
                Ok(polled) => polled,
                Err(error) => {
                    self.done = true;
                    return Err(error);
                }
            };
            let cap = self.handle.client.inner().retry().retry_after_cap;
            self.next_delay = match hint.and_then(|hint| honoured(hint, cap, false)) {
                Some(hint) => {
                    self.estimate = None;
                    self.slack = Duration::ZERO;
                    hint
                }
                None => self.next_wait(state.as_ref()),
            };
            self.steps = self.steps.saturating_add(1);
            if let Some(state) = state.filter(|s| self.changed(s)) {
                return self.report(state);
            }
        }
    }

    /// The schedule's next wait, or a shorter one when the progress rate
    /// since the first running state says the work will be finished sooner.
    ///
    /// Records the estimate even when it is later than the schedule: a
    /// wait that shares its polls may sleep until then.
    fn next_wait(&mut self, state: Option<&T>) -> Duration {
        let now = Instant::now();
        if self.estimate.take().is_some_and(|due| now >= due) {
            self.estimate_misses = self.estimate_misses.saturating_add(1);
        }
        let scheduled = self.handle.schedule.delay(self.steps);
        self.slack = scheduled;
        let Some(state) = state.filter(|s| *s.status() == JobStatus::Processing) else {
            return scheduled;
        };
        let Some(progress) = state.progress().filter(|p| *p > 0) else {
            return scheduled;
        };
        let first = *self.first_running.get_or_insert((now, progress));
        let Some(left) = time_left(first, (now, progress)) else {
            return scheduled;
        };
        let misses = i32::try_from(self.estimate_misses).unwrap_or(i32::MAX);
        let floor = self.handle.schedule.first.mul_f64(0.25 * 2f64.powi(misses));
        let estimate = left.max(floor);
        self.estimate = Some(later(now, estimate));
        estimate.min(scheduled)
    }

    /// The next look at the work: alone, a poll after the next delay; in a
    /// pool, the look its group's tick makes (or a poll by id when the
    /// tick could not show it).
    async fn look(&mut self) -> Result<(Option<T>, Option<Duration>), Error> {
        if self.joined() {
            let now = Instant::now();
            let want = Want {
                scheduled: later(now, self.next_delay),
                estimated: self.estimate,
                slack: self.slack,
                cap: later(now, self.handle.schedule.max),
                deadline: self.deadline,
            };
            let seen = match &self.ticket {
                Some(ticket) => ticket.next(&self.handle.client, want).await,
                None => Seen::Alone,
            };
            match seen {
                Seen::State(work) => {
                    if let Some(state) = T::from_work(*work) {
                        self.polled = true;
                        return Ok((Some(state), None));
                    }
                }
                Seen::Wait(hint) => {
                    self.polled = true;
                    return Ok((None, hint));
                }
                Seen::Alone => {}
            }
        } else {
            self.sleep().await;
        }
        self.poll().await
    }

    /// Whether the wait is in its client's pool, joining it once the
    /// work's project is known; it waits alone otherwise.
    fn joined(&mut self) -> bool {
        if self.ticket.is_none() {
            let listing = self.last.as_ref().and_then(Sealed::listing);
            if let (Some(pool), Some(listing)) = (self.handle.client.inner().pool(), listing) {
                self.ticket = Some(pool.join(self.handle.kind, &self.handle.id, listing));
            }
        }
        self.ticket.is_some()
    }

    /// Sleeps the next delay, or until the deadline if that is sooner.
    async fn sleep(&self) {
        let mut delay = self.next_delay;
        if let Some(deadline) = self.deadline {
            delay = delay.min(deadline.saturating_duration_since(Instant::now()));
        }
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
    }

    /// Polls once: the new state (`None` for a 429) and the server's
    /// `Retry-After`.
    async fn poll(&mut self) -> Result<(Option<T>, Option<Duration>), Error> {
        self.polled = true;
        let Handle {
            client, kind, id, ..
        } = &self.handle;
        let cap = client.inner().retry().retry_after_cap;
        // The last poll may take one attempt's time past the deadline.
        let end = self
            .deadline
            .map(|d| later(d.max(Instant::now()), client.inner().limits.timeout));
        let Some(fetched) = by(end, T::fetch(client, *kind, id)).await else {
            return Err(self.deadline_passed());
        };
        match fetched {
            Ok((state, hint)) => Ok((Some(state), hint)),
            Err(error) => match refused(&error, cap) {
                Some(wait) => Ok((None, wait)),
                None => Err(error),
            },
        }
    }

    fn changed(&self, state: &T) -> bool {
        self.last.as_ref().is_none_or(|last| {
            (last.status(), last.progress()) != (state.status(), state.progress())
        })
    }

    /// Records `state` as the last seen and turns a failed or canceled
    /// end into its error.
    fn report(&mut self, state: T) -> Result<T, Error> {
        self.last = Some(state.clone());
        let kind = self.handle.kind;
        let id = state.id().to_string();
        let (error_kind, message) = match state.status() {
            // A status from a newer server is not known to be final: keep
            // polling, as for any other state still in progress.
            JobStatus::Queued | JobStatus::Processing | JobStatus::Unknown(_) => {
                return Ok(state);
            }
            JobStatus::Completed => {
                self.done = true;
                return Ok(state);
            }
            JobStatus::Failed => {
                let reason = state.error().map(str::to_string);
                let message = match &reason {
                    Some(reason) => format!("the {} failed: {reason}", kind.noun()),
                    None => format!("the {} failed without a reason", kind.noun()),
                };
                (
                    ErrorKind::JobFailed {
                        id,
                        message: reason,
                    },
                    message,
                )
            }
            JobStatus::Canceled => (
                ErrorKind::JobCanceled { id },
                format!("the {} was canceled", kind.noun()),
            ),
        };
        self.done = true;
        Err(Error::ended(
            kind.operation(),
            error_kind,
            message,
            state.into_work(),
        ))
    }

    fn deadline_passed(&self) -> Error {
        let kind = self.handle.kind;
        let last_status = self.last.as_ref().map(|state| state.status().clone());
        let last_progress = self.last.as_ref().and_then(T::progress);
        let seen = match (&last_status, last_progress) {
            (Some(status), Some(progress)) => format!("was {status} at {progress}%"),
            (Some(status), None) => format!("was {status}"),
            _ => "had not been seen".to_string(),
        };
        Error::local(
            kind.operation(),
            ErrorKind::DeadlinePassed {
                id: self.handle.id.clone(),
                last_status,
                last_progress,
            },
            format!("the deadline passed while the {} {seen}", kind.noun()),
        )
    }
}

impl Client {
    /// A handle on `job` (as a generation operation or
    /// `get_generation_job` returned it), to wait for it or follow it.
    pub fn job(&self, job: &GenerationJob) -> Handle<GenerationJob> {
        Handle::of(self, job)
    }

    /// A handle on the generation job `id`, e.g. to resume a wait.
    pub fn job_by_id(&self, id: impl Into<String>) -> Handle<GenerationJob> {
        Handle::new(self, Kind::Job, id.into(), None)
    }

    /// A handle on `export` (as `create_export` or `get_export` returned it).
    pub fn export(&self, export: &Export) -> Handle<Export> {
        Handle::of(self, export)
    }

    /// A handle on the export `id`, e.g. to resume a wait.
    pub fn export_by_id(&self, id: impl Into<String>) -> Handle<Export> {
        Handle::new(self, Kind::Export, id.into(), None)
    }

    /// A handle on `render` (as `create_render` or `get_render` returned it).
    pub fn render(&self, render: &Render) -> Handle<Render> {
        Handle::of(self, render)
    }

    /// A handle on the render `id`, e.g. to resume a wait.
    pub fn render_by_id(&self, id: impl Into<String>) -> Handle<Render> {
        Handle::new(self, Kind::Render, id.into(), None)
    }
}

#[cfg(test)]
mod tests {
    use super::time_left;
    use std::time::{Duration, Instant};

    #[test]
    fn time_left_extrapolates_the_rate_progress_rose_at() {
        let start = Instant::now();
        let later = start + Duration::from_secs(4);
        // 10 points in 4 s: the 40 left take 16 s.
        assert_eq!(
            time_left((start, 50), (later, 60)),
            Some(Duration::from_secs(16))
        );
        assert_eq!(time_left((start, 50), (later, 100)), Some(Duration::ZERO));
    }

    #[test]
    fn without_a_rise_there_is_no_estimate() {
        let start = Instant::now();
        let later = start + Duration::from_secs(4);
        assert_eq!(time_left((start, 60), (later, 60)), None);
        assert_eq!(time_left((start, 60), (later, 40)), None);
    }
}

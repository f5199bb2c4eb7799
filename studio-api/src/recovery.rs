//! Finding the job a billed submission started when its answer was lost.
//!
//! When a request that starts generation may have been carried out but no
//! usable answer came back (a timeout, a broken connection, a 5xx, a body
//! cut short or undecodable), the job may exist and be billed all the
//! same. Instead of resending it, the client asks `list_generation_jobs`
//! for jobs of that type on that frame (or project) and checks every job
//! listed itself, since a server may ignore filters: a job counts only if
//! it has the operation's type, the submission's frame or project, and a
//! creation time no earlier than the moment the submission was sent, as
//! the server's clock had certainly reached it (see `clock`). Exactly one
//! such job per requested frame is the answer; none, or more than one, is
//! doubt, and doubt returns the original error, never a guess. A job this
//! client already returned for an earlier call (see [`Started`]) is never
//! a candidate: whole-second clocks cannot always tell it apart by time.

use crate::Client;
use crate::call::Call;
use crate::types::{GenerationJob, GenerationJobArrayResponse, GenerationJobResponse, JobType};
use chrono::{DateTime, Utc};
use progenitor_client::ClientInfo;
use reqwest::header::HeaderMap;
use serde_json::Value;

/// Jobs per page of the lookup, the API's largest page.
const PAGE: u32 = 100;

/// What an operation that starts jobs answers: one job, or a list of them.
pub(crate) trait JobAnswer: Sized {
    /// The ids of the jobs it holds.
    fn job_ids(&self) -> impl Iterator<Item = &str>;
    /// The answer holding `jobs`, found by the lookup, in order; `None`
    /// when they do not make one.
    fn of_jobs(jobs: Vec<GenerationJob>) -> Option<Self>;
}

impl JobAnswer for GenerationJobResponse {
    fn job_ids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.data.id.as_str())
    }

    /// The answer holding the one job found.
    fn of_jobs(jobs: Vec<GenerationJob>) -> Option<Self> {
        let mut jobs = jobs.into_iter();
        match (jobs.next(), jobs.next()) {
            (Some(data), None) => Some(GenerationJobResponse {
                data,
                success: true,
                unknown_fields: Default::default(),
            }),
            _ => None,
        }
    }
}

impl JobAnswer for GenerationJobArrayResponse {
    fn job_ids(&self) -> impl Iterator<Item = &str> {
        self.data.iter().map(|job| job.id.as_str())
    }

    fn of_jobs(data: Vec<GenerationJob>) -> Option<Self> {
        Some(GenerationJobArrayResponse {
            data,
            success: true,
            unknown_fields: Default::default(),
        })
    }
}

/// The job (or, for a multi-shot, the jobs, one per requested frame in
/// order) `call`, last sent at `sent` on our clock, started, with the
/// lookup's response headers; `None` unless they are certain.
pub(crate) async fn find(
    call: &Call<'_>,
    sent: DateTime<Utc>,
) -> Option<(Vec<GenerationJob>, HeaderMap)> {
    let operation = call.operation();
    let job_type: JobType = operation.job_type.clone()?;
    let client = call.client();
    let scope = match call.path_value("frame_id") {
        Some(frame) => Scope::Frame(frame),
        None => Scope::Project(call.path_value("project_id")?),
    };
    let frames = match (&job_type, &scope) {
        (JobType::MultiShot, &Scope::Project(project)) => {
            Some(requested_frames(client, project, call.body_value()).await?)
        }
        _ => None,
    };
    let wanted = frames.as_ref().map_or(1, Vec::len);
    let pages = u32::try_from(wanted.div_ceil(PAGE as usize)).ok()?.max(1);
    let mut jobs = Vec::new();
    let mut headers = HeaderMap::new();
    for page in 1..=pages {
        let mut lookup = client
            .list_generation_jobs()
            .type_(job_type.clone())
            .limit(PAGE)
            .page(page);
        lookup = match scope {
            Scope::Frame(frame) => lookup.frame_id(frame),
            Scope::Project(project) => lookup.project_id(project),
        };
        if let Some(since) = client.inner().clock().server_time_at_least(sent) {
            lookup = lookup.created_after(since);
        }
        let response = lookup.send().await.ok()?;
        headers = response.headers().clone();
        let list = response.into_inner();
        let more = i64::from(list.pagination.total_pages) > i64::from(page);
        jobs.extend(list.data);
        if !more {
            break;
        }
        if page == pages {
            tracing::warn!(
                operation = operation.id,
                "the job lookup found more pages than the submission could fill; not guessing"
            );
            return None;
        }
    }
    // The lookup's own Date counts: it was read after the submission.
    let since = client.inner().clock().server_time_at_least(sent)?;
    let known = client.inner().started();
    let started = |job: &&GenerationJob| {
        job.type_ == job_type
            && job.created_at >= since
            && !known.contains(&job.id)
            && scope.holds(job)
    };
    // The one started job on `frame` (any frame of the scope for `None`).
    let only = |frame: Option<&str>| {
        let mut matching = jobs
            .iter()
            .filter(started)
            .filter(|job| frame.is_none_or(|f| job.frame_id.as_deref() == Some(f)));
        match (matching.next(), matching.next()) {
            (Some(job), None) => Some(job.clone()),
            _ => doubt(operation.id),
        }
    };
    let found = match frames {
        None => vec![only(None)?],
        Some(frames) => frames
            .iter()
            .map(|frame| only(Some(frame)))
            .collect::<Option<_>>()?,
    };
    tracing::info!(
        operation = operation.id,
        "the submission's answer was lost; found the job it started"
    );
    Some((found, headers))
}

/// What the submission worked on.
#[derive(Clone, Copy)]
enum Scope<'a> {
    Frame(&'a str),
    Project(&'a str),
}

impl Scope<'_> {
    /// Whether `job` works on this frame or project.
    fn holds(&self, job: &GenerationJob) -> bool {
        match *self {
            Scope::Frame(frame) => job.frame_id.as_deref() == Some(frame),
            Scope::Project(project) => job.project_id == project,
        }
    }
}

fn doubt<T>(operation: &'static str) -> Option<T> {
    tracing::warn!(
        operation,
        "the job lookup did not find exactly one job per requested frame; not guessing"
    );
    None
}

/// The frames a multi-shot asked for: its `frame_ids`, or every frame of
/// the project when it names none; each once, in order.
async fn requested_frames(
    client: &Client,
    project: &str,
    body: Option<&Value>,
) -> Option<Vec<String>> {
    let named: Vec<String> = body
        .and_then(|body| body.get("frame_ids"))
        .and_then(Value::as_array)
        .map(|ids| {
            ids.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let mut frames = if named.is_empty() {
        let all: Vec<_> = client
            .list_frames()
            .project_id(project)
            .stream()
            .try_collect()
            .await
            .ok()?;
        all.into_iter().map(|frame| frame.id).collect()
    } else {
        named
    };
    let mut seen = std::collections::HashSet::new();
    frames.retain(|frame| seen.insert(frame.clone()));
    (!frames.is_empty()).then_some(frames)
}

/// The ids of the jobs this client's calls started (the most recent
/// [`Started::KEPT`]), which no later lookup may return as its own.
#[derive(Debug, Default)]
pub(crate) struct Started(std::sync::Mutex<std::collections::VecDeque<String>>);

impl Started {
    const KEPT: usize = 1024;

    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::VecDeque<String>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Notes the jobs of a job operation's answer, by their ids.
    pub(crate) fn remember<'a>(&self, answer: impl IntoIterator<Item = &'a str>) {
        let mut ids = self.lock();
        for id in answer {
            if ids.len() == Self::KEPT {
                ids.pop_front();
            }
            ids.push_back(id.to_string());
        }
    }

    fn contains(&self, id: &str) -> bool {
        self.lock().iter().any(|known| known == id)
    }
}

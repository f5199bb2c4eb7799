//! The server's in-memory state: every resource, keyed by id.
//!
//! Ids carry a type prefix and a zero-padded counter, so ordering a map by
//! id orders it by creation.

use crate::error::ApiError;
use crate::lifecycle::Lifecycle;
use axum::body::Bytes;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};
use studio_api::types;

/// A stored file served under `/files/{name}`, which asks for no
/// credential: the name is all that guards it.
#[derive(Debug, Clone)]
pub struct StoredFile {
    /// The `Content-Type` it is served with.
    pub content_type: String,
    /// The bytes, exactly as stored (shared, so serving a file copies nothing).
    pub bytes: Bytes,
}

/// A generation job with the timing that drives its status.
#[derive(Debug, Clone)]
pub struct JobEntry {
    /// The job as the API shows it.
    pub job: types::GenerationJob,
    /// When it finishes and whether it fails.
    pub lifecycle: Lifecycle,
    /// What the job will produce, applied once when it completes.
    pub request: JobRequest,
}

/// The inputs a job needs to produce its result when it completes.
#[derive(Debug, Clone, Default)]
pub struct JobRequest {
    /// The prompt or text the job was started with.
    pub prompt: Option<String>,
    /// The voice, for voiceover jobs.
    pub voice_id: Option<String>,
    /// Where an audio track starts on the timeline.
    pub start_seconds: Option<f64>,
    /// Requested length in seconds.
    pub duration_seconds: Option<f64>,
}

/// An export with the timing that drives its status.
#[derive(Debug, Clone)]
pub struct ExportEntry {
    /// The export as the API shows it.
    pub export: types::Export,
    /// When it finishes and whether it fails.
    pub lifecycle: Lifecycle,
}

/// A render with the timing that drives its status.
#[derive(Debug, Clone)]
pub struct RenderEntry {
    /// The render as the API shows it.
    pub render: types::Render,
    /// When it finishes and whether it fails.
    pub lifecycle: Lifecycle,
}

/// Everything the server knows.
#[derive(Debug, Default)]
pub struct Store {
    next_id: u64,
    /// The origin (`http://host:port`) file URLs are built on.
    pub origin: String,
    /// Credits left in the wallet; paid operations draw from it.
    pub wallet: f64,
    /// Projects by id.
    pub projects: BTreeMap<String, types::Project>,
    /// The share link of each project that has one, by project id.
    pub share_links: HashMap<String, types::ShareLink>,
    /// Frames by id.
    pub frames: BTreeMap<String, types::Frame>,
    /// Frame versions by id.
    pub versions: BTreeMap<String, types::FrameVersion>,
    /// Comments by id.
    pub comments: BTreeMap<String, types::Comment>,
    /// Reviews by id.
    pub reviews: BTreeMap<String, types::Review>,
    /// Generation jobs by id.
    pub jobs: BTreeMap<String, JobEntry>,
    /// Audio tracks by id.
    pub tracks: BTreeMap<String, types::AudioTrack>,
    /// Assets by id.
    pub assets: BTreeMap<String, types::Asset>,
    /// Exports by id.
    pub exports: BTreeMap<String, ExportEntry>,
    /// Renders by id.
    pub renders: BTreeMap<String, RenderEntry>,
    /// Teams by id.
    pub teams: BTreeMap<String, types::Team>,
    /// Team members by (team id, user id).
    pub members: BTreeMap<(String, String), types::TeamMember>,
    /// Invites by id.
    pub invites: BTreeMap<String, types::Invite>,
    /// Voices by id.
    pub voices: BTreeMap<String, types::Voice>,
    /// Files served under `/files/{name}`.
    pub files: HashMap<String, StoredFile>,
}

impl Store {
    /// A new id such as `prj_000042`.
    pub fn id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}_{:06}", self.next_id)
    }

    /// Stores `bytes` under a new file name, `<kind>_<128 random bits in
    /// hex>.<extension>`, and returns its public URL. The name follows no
    /// counter, so that no one finds another's file by counting.
    pub fn put_file(
        &mut self,
        kind: &str,
        extension: &str,
        content_type: &str,
        bytes: impl Into<Bytes>,
    ) -> String {
        let name = format!("{kind}_{}.{extension}", crate::unguessable::hex128());
        self.files.insert(
            name.clone(),
            StoredFile {
                content_type: content_type.to_string(),
                bytes: bytes.into(),
            },
        );
        format!("{}/files/{name}", self.origin)
    }

    /// Draws `cost` credits from the wallet, or fails with 402.
    pub fn charge(&mut self, cost: f64) -> Result<(), ApiError> {
        if self.wallet < cost {
            return Err(ApiError::payment_required(cost, self.wallet));
        }
        self.wallet -= cost;
        Ok(())
    }

    /// The project, or 404.
    pub fn project(&self, id: &str) -> Result<&types::Project, ApiError> {
        self.projects
            .get(id)
            .ok_or_else(|| ApiError::not_found("Project"))
    }

    /// The frame, or 404.
    pub fn frame(&self, id: &str) -> Result<&types::Frame, ApiError> {
        self.frames
            .get(id)
            .ok_or_else(|| ApiError::not_found("Frame"))
    }

    /// The frames of a project in storyboard order.
    pub fn project_frames(&self, project_id: &str) -> Vec<&types::Frame> {
        let mut frames: Vec<_> = self
            .frames
            .values()
            .filter(|f| f.project_id == project_id)
            .collect();
        frames.sort_by_key(|f| f.position);
        frames
    }

    /// Renumbers a project's frames 1..=n in their current order and
    /// updates the project's frame count.
    pub fn renumber_frames(&mut self, project_id: &str, order: &[String], now: DateTime<Utc>) {
        for (index, id) in order.iter().enumerate() {
            if let Some(frame) = self.frames.get_mut(id) {
                let position = index as i32 + 1;
                if frame.position != position {
                    frame.position = position;
                    frame.updated_at = now;
                }
            }
        }
        if let Some(project) = self.projects.get_mut(project_id) {
            project.frame_count = order.len() as i32;
            project.updated_at = now;
        }
    }

    /// The ids of a project's frames in storyboard order.
    pub fn frame_order(&self, project_id: &str) -> Vec<String> {
        self.project_frames(project_id)
            .into_iter()
            .map(|f| f.id.clone())
            .collect()
    }
}

//! How asynchronous work moves from queued to a final state over time.
//!
//! Status is derived from the clock whenever the state is read, so there is
//! no background task: a job is queued for its first tenth, processing with
//! rising progress until its duration has passed, then completed or failed.

use std::time::{Duration, Instant};

/// Where a piece of asynchronous work stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Accepted, not started.
    Queued,
    /// Running, with progress 1–99.
    Processing(i32),
    /// Finished successfully.
    Completed,
    /// Finished with an error.
    Failed,
}

/// The timing of one job, export or render.
#[derive(Debug, Clone, Copy)]
pub struct Lifecycle {
    started: Instant,
    duration: Duration,
    fails: bool,
    /// Whether the completion effects have been applied.
    pub settled: bool,
}

impl Lifecycle {
    /// Work that starts now, lasts `duration` and fails with probability `failure_rate`.
    pub fn start(duration: Duration, failure_rate: f64) -> Self {
        Lifecycle {
            started: Instant::now(),
            duration,
            fails: failure_rate > 0.0 && fastrand::f64() < failure_rate,
            settled: false,
        }
    }

    /// The phase at `now`.
    pub fn phase(&self, now: Instant) -> Phase {
        let elapsed = now.saturating_duration_since(self.started);
        if elapsed >= self.duration {
            return if self.fails {
                Phase::Failed
            } else {
                Phase::Completed
            };
        }
        let fraction = elapsed.as_secs_f64() / self.duration.as_secs_f64();
        if fraction < 0.1 {
            Phase::Queued
        } else {
            Phase::Processing(((fraction * 100.0) as i32).clamp(1, 99))
        }
    }
}

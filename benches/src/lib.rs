//! What the benchmarks share: a loopback server answering with canned
//! bodies, realistic response bodies, simple statistics, and the place
//! where the scenario benchmarks leave their results for `BENCHMARKS.md`.
//!
//! Run them with `cargo bench`; `cargo xtask benchmarks` runs them all and
//! rewrites `BENCHMARKS.md`.

use serde_json::{Value, json};
use std::path::PathBuf;

/// A loopback HTTP server that answers every `GET` of a known path with a
/// fixed JSON body, on one thread of its own. Connections are kept alive.
pub struct CannedServer {
    base_url: String,
}

impl CannedServer {
    /// Serves each `(path, body)` pair under `/api/v1` (the query is ignored);
    /// other paths get a 404.
    pub fn start(routes: Vec<(&str, Vec<u8>)>) -> Self {
        let mut app = axum::Router::new();
        for (path, body) in routes {
            let body = axum::body::Bytes::from(body);
            app = app.route(
                &format!("/api/v1{path}"),
                axum::routing::get(move || {
                    let body = body.clone();
                    async move { ([("content-type", "application/json")], body) }
                }),
            );
        }
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        listener.set_nonblocking(true).expect("nonblocking");
        let address = listener.local_addr().expect("local address");
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("server runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                axum::serve(listener, app).await.expect("serve");
            });
        });
        CannedServer {
            base_url: format!("http://{address}/api/v1"),
        }
    }

    /// The base URL to give a client, ending in `/api/v1`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }
}

/// The API key the benchmarks send to a [`CannedServer`] (it checks none).
pub const KEY: &str = "sk_bench_0123456789";

/// A `get_project` response body, as the spec's example shows it.
pub fn project_body() -> Vec<u8> {
    let project = json!({
        "id": "prj_8f2k1",
        "name": "Lighthouse Keeper — teaser",
        "description": "30-second teaser for the animated short.",
        "aspect_ratio": "16:9",
        "style": "moody watercolor, muted teal palette",
        "script": "A storm rolls in over the cliffs. The old keeper climbs the spiral stairs to light the lamp.",
        "team_id": "team_3hd92",
        "frame_count": 3,
        "thumbnail_url": "https://cdn.mstudio.ai/projects/prj_8f2k1/thumbnail.png",
        "created_at": "2025-03-14T09:12:45Z",
        "updated_at": "2025-03-14T09:20:03Z"
    });
    json!({ "success": true, "data": project })
        .to_string()
        .into_bytes()
}

/// A `list_frames` response body holding `count` frames on one page.
pub fn frames_body(count: usize) -> Vec<u8> {
    let frames: Vec<Value> = (1..=count).map(frame).collect();
    let pagination = json!({ "page": 1, "limit": count, "total": count, "total_pages": 1 });
    json!({ "success": true, "data": frames, "pagination": pagination })
        .to_string()
        .into_bytes()
}

/// The frame at `position`, filled like the spec's example.
fn frame(position: usize) -> Value {
    let id = format!("frm_{position:05}");
    json!({
        "id": id,
        "project_id": "prj_8f2k1",
        "position": position,
        "title": "Storm over the cliffs",
        "script": "A storm rolls in over the cliffs.",
        "shot_type": "wide",
        "camera_motion": "slow push-in",
        "duration_seconds": 4.5,
        "image_url": format!("https://cdn.mstudio.ai/frames/{id}/ver_4n8s2.png"),
        "video_url": null,
        "image_prompt": "Wide shot of a lighthouse on a cliff, storm clouds, watercolor",
        "video_prompt": null,
        "current_version_id": "ver_4n8s2",
        "created_at": "2025-03-14T09:12:45Z",
        "updated_at": "2025-03-14T09:21:37Z"
    })
}

/// The median, smallest and largest of some measurements.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// The middle value (the mean of the two middle ones for an even count).
    pub median: f64,
    /// The smallest value.
    pub min: f64,
    /// The largest value.
    pub max: f64,
}

impl Summary {
    /// Summarises `values`; all zero when there are none.
    pub fn of(values: &[f64]) -> Summary {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let Some((&min, &max)) = sorted.first().zip(sorted.last()) else {
            return Summary {
                median: 0.0,
                min: 0.0,
                max: 0.0,
            };
        };
        let middle = sorted.len() / 2;
        let median = if sorted.len().is_multiple_of(2) {
            (sorted[middle - 1] + sorted[middle]) / 2.0
        } else {
            sorted[middle]
        };
        Summary { median, min, max }
    }

    /// As JSON: `{"median": .., "min": .., "max": ..}`.
    pub fn to_json(self) -> Value {
        json!({ "median": self.median, "min": self.min, "max": self.max })
    }
}

/// Where the scenario benchmarks write their results:
/// `<target dir>/bench-results`, beside criterion's own `criterion` folder.
pub fn results_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("bench-results")
}

/// Writes `results` to `bench-results/<name>.json` and says where.
pub fn write_results(name: &str, results: &Value) {
    let dir = results_dir();
    std::fs::create_dir_all(&dir).expect("create the results folder");
    let path = dir.join(format!("{name}.json"));
    let text = serde_json::to_string_pretty(results).expect("results are JSON");
    std::fs::write(&path, text).expect("write the results");
    println!("results written to {}", path.display());
}

#[cfg(test)]
mod tests {
    use super::Summary;

    #[test]
    fn a_summary_has_the_middle_value_and_the_extremes() {
        let odd = Summary::of(&[3.0, 1.0, 2.0]);
        assert_eq!((odd.median, odd.min, odd.max), (2.0, 1.0, 3.0));
        assert_eq!(Summary::of(&[4.0, 1.0, 2.0, 3.0]).median, 2.5);
        assert_eq!(Summary::of(&[]).max, 0.0);
    }
}

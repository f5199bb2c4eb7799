//! What the benchmarks share: a loopback server answering with canned
//! bodies, realistic response bodies, simple statistics, and the place
//! where the scenario benchmarks leave their results for `BENCHMARKS.md`.
//!
//! Run them with `cargo bench`; `cargo xtask benchmarks` runs them all and
//! rewrites `BENCHMARKS.md`.

use reqwest::header::{ACCEPT, HeaderMap, HeaderName, HeaderValue, USER_AGENT};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::Duration;
use studio_api::{Client, ClientBuilder, Credential};

/// A loopback HTTP server that answers every `GET` of a known path with a
/// fixed JSON body, on one thread of its own. Connections are kept alive.
pub struct CannedServer {
    base_url: String,
}

impl CannedServer {
    /// Serves each `(path, body)` pair under `/api/v1` (the query is ignored);
    /// other paths get a 404.
    pub fn start(routes: Vec<(&str, Vec<u8>)>) -> Self {
        Self::serve(routes, false)
    }

    /// The same, each answer with the `X-RateLimit-*` headers of a quota
    /// no benchmark can use up (a billion a second), so that a paced
    /// client follows them instead of its documented 60 a minute.
    pub fn start_with_quota_headers(routes: Vec<(&str, Vec<u8>)>) -> Self {
        Self::serve(routes, true)
    }

    fn serve(routes: Vec<(&str, Vec<u8>)>, quota_headers: bool) -> Self {
        let mut app = axum::Router::new();
        for (path, body) in routes {
            let body = axum::body::Bytes::from(body);
            app = app.route(
                &format!("/api/v1{path}"),
                axum::routing::get(move || {
                    let body = body.clone();
                    async move {
                        let mut headers = vec![("content-type", "application/json".to_string())];
                        if quota_headers {
                            headers.extend(unlimited_quota());
                        }
                        (axum::response::AppendHeaders(headers), body)
                    }
                }),
            );
        }
        CannedServer {
            base_url: studio_tests::serve_on_loopback(app),
        }
    }

    /// The base URL to give a client, ending in `/api/v1`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }
}

/// Rate-limit headers of a billion requests per one-second window, the
/// window ending at the next whole second.
fn unlimited_quota() -> [(&'static str, String); 3] {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let billion = 1_000_000_000.to_string();
    [
        ("x-ratelimit-limit", billion.clone()),
        ("x-ratelimit-remaining", billion),
        ("x-ratelimit-reset", (now.as_secs() + 1).to_string()),
    ]
}

/// The API key the benchmarks send to a [`CannedServer`] (it checks none).
pub const KEY: &str = "sk_bench_0123456789";

/// How long both clients give a connection attempt, and a request.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const TIMEOUT: Duration = Duration::from_secs(60);

/// An SDK client for `base_url` with pacing off, so a call costs only itself.
pub fn sdk_builder(base_url: &str) -> ClientBuilder {
    Client::builder()
        .base_url(base_url)
        .credential(Credential::api_key(KEY))
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(TIMEOUT)
        .pacing(false)
}

/// The headers the SDK sends with every call: the baseline sends them too,
/// so both make the identical request.
pub fn sdk_headers() -> HeaderMap {
    let user_agent = concat!("studio-api-rust/", env!("CARGO_PKG_VERSION"));
    HeaderMap::from_iter([
        (
            HeaderName::from_static("x-api-key"),
            HeaderValue::from_static(KEY),
        ),
        (ACCEPT, HeaderValue::from_static("application/json")),
        (
            HeaderName::from_static("api-version"),
            HeaderValue::from_static("1.0.0"),
        ),
        (USER_AGENT, HeaderValue::from_static(user_agent)),
    ])
}

/// The baseline client: bare reqwest sending [`sdk_headers`], with the
/// SDK client's timeouts.
pub fn bare_client() -> reqwest::Client {
    reqwest::Client::builder()
        .default_headers(sdk_headers())
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(TIMEOUT)
        .build()
        .expect("a reqwest client")
}

/// The blocking baseline client: bare `reqwest::blocking` sending
/// [`sdk_headers`], with the SDK client's timeouts.
pub fn bare_blocking_client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .default_headers(sdk_headers())
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(TIMEOUT)
        .build()
        .expect("a blocking reqwest client")
}

/// The baseline call: a `GET` of `url` through bare reqwest, its body
/// decoded with `serde_json::from_slice` into `T`.
pub async fn bare_get<T: DeserializeOwned>(http: &reqwest::Client, url: &str) -> T {
    let response = http.get(url).send().await;
    let body = response.unwrap().error_for_status().unwrap().bytes().await;
    serde_json::from_slice(&body.unwrap()).unwrap()
}

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

/// One run of a quota scenario: how long it took, what was served, what
/// the server refused and what failed, and how many windows it touched.
#[derive(Debug, Default)]
pub struct QuotaRun {
    /// From the first call to the last answer.
    pub wall: Duration,
    /// Calls that succeeded.
    pub served: usize,
    /// Requests the server refused with 429.
    pub too_many: usize,
    /// Calls that failed.
    pub errors: usize,
    /// The windows of the quota the run touched.
    pub windows: u128,
}

/// Prints the `runs` of `name`, `requests` each against `quota` per
/// `window`, and returns their summaries as JSON: wall time and the
/// minimum it is compared with (requests ÷ quota × window), the share of
/// the quota used in the windows touched, 429s and errors.
pub fn quota_report(
    name: &str,
    runs: &[QuotaRun],
    requests: usize,
    quota: u32,
    window: Duration,
) -> Value {
    let minimum = requests as f64 / f64::from(quota) * window.as_secs_f64();
    let summary =
        |f: &dyn Fn(&QuotaRun) -> f64| Summary::of(&runs.iter().map(f).collect::<Vec<_>>());
    let wall = summary(&|o| o.wall.as_secs_f64());
    let used = summary(&|o| o.served as f64 / (f64::from(quota) * o.windows as f64));
    let too_many = summary(&|o| o.too_many as f64);
    let errors = summary(&|o| o.errors as f64);
    println!(
        "{name:<22} wall {:6.2} s (min {:.2}, max {:.2}) = {:.2}x the minimum | quota used {:5.1}% | 429s {:>4} | errors {:>4}",
        wall.median,
        wall.min,
        wall.max,
        wall.median / minimum,
        used.median * 100.0,
        too_many.median,
        errors.median,
    );
    json!({
        "wall_seconds": wall.to_json(),
        "minimum_seconds": minimum,
        "quota_used": used.to_json(),
        "too_many_requests": too_many.to_json(),
        "errors": errors.to_json(),
    })
}

/// studio-mock allowing `quota` requests per API key per `window`, and a
/// project on it for the calls to read, made with the bearer token (whose
/// quota is apart).
pub async fn quota_server(quota: u32, window: Duration) -> (studio_mock::MockServer, String) {
    let server = studio_mock::MockServer::builder()
        .rate_limit(quota, 10_000, window)
        .start()
        .expect("start studio-mock");
    let owner =
        Client::with_credential(server.base_url(), Credential::bearer(server.bearer_token()))
            .expect("client");
    let project = owner.create_project().body_map(|b| b.name("Quota")).send();
    let project_id = project
        .await
        .expect("create a project")
        .into_inner()
        .data
        .id;
    (server, project_id)
}

/// The index of the window of length `window` that `at` falls in, counting
/// from the epoch, as studio-mock's windows are aligned.
pub fn window_index(at: std::time::SystemTime, window: Duration) -> u128 {
    let since_epoch = at.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    since_epoch.as_nanos() / window.as_nanos()
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
    use super::*;
    use std::io::{Read, Write};

    /// The header lines of the one request `call` makes to a server it is
    /// given the base URL of, sorted, without `host`.
    fn headers_sent<F: Future<Output = ()>>(call: impl FnOnce(String) -> F) -> Vec<String> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base_url = format!("http://{}/api/v1", listener.local_addr().unwrap());
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = Vec::new();
            let mut buffer = [0; 4096];
            while !request.ends_with(b"\r\n\r\n") {
                let read = stream.read(&mut buffer).unwrap();
                request.extend_from_slice(&buffer[..read]);
            }
            let body = project_body();
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            stream.write_all(head.as_bytes()).unwrap();
            stream.write_all(&body).unwrap();
            String::from_utf8(request).unwrap()
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(call(base_url));
        let request = server.join().unwrap();
        let mut lines: Vec<String> = request
            .lines()
            .skip(1)
            .filter(|line| !line.is_empty() && !line.starts_with("host:"))
            .map(str::to_lowercase)
            .collect();
        lines.sort();
        lines
    }

    #[test]
    fn the_baseline_sends_the_sdks_request() {
        let sdk = headers_sent(|base_url| async move {
            let client = sdk_builder(&base_url).build().unwrap();
            client
                .get_project()
                .project_id("prj_8f2k1")
                .send()
                .await
                .unwrap();
        });
        let bare = headers_sent(|base_url| async move {
            let url = format!("{base_url}/projects/prj_8f2k1");
            let _: studio_api::types::ProjectResponse = bare_get(&bare_client(), &url).await;
        });
        assert_eq!(sdk, bare);
        assert!(sdk.contains(&format!("x-api-key: {}", KEY.to_lowercase())));
    }

    #[test]
    fn a_summary_has_the_middle_value_and_the_extremes() {
        let odd = Summary::of(&[3.0, 1.0, 2.0]);
        assert_eq!((odd.median, odd.min, odd.max), (2.0, 1.0, 3.0));
        assert_eq!(Summary::of(&[4.0, 1.0, 2.0, 3.0]).median, 2.5);
        assert_eq!(Summary::of(&[]).max, 0.0);
    }
}

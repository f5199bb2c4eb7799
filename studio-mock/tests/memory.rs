//! The server under hostile load, run as its own process so that its
//! memory can be read: strangers sending huge bodies, and many callers
//! listing the largest project the limits allow at once.

use crate::common;

use common::binary::Running;
use common::wire::{self, Framing, Raw};
use serde_json::json;
use std::net::SocketAddr;
use studio_api::{Client, Credential};
use tokio::task::JoinSet;

/// The most memory the server may hold at once in these tests.
const PEAK_BOUND: u64 = 200 * 1024 * 1024;

/// A `studio-mock` process started from the built binary; killed on drop.
struct Process {
    running: Running,
    address: SocketAddr,
    base_url: String,
    api_key: String,
}

impl Process {
    /// Starts the binary on a free port, quotas off, and reads the base
    /// URL and API key it prints.
    fn start() -> Process {
        let running = Running::start(&[]);
        let base_url = running.base_url().to_string();
        Process {
            address: common::address(&base_url),
            api_key: running.api_key().to_string(),
            base_url,
            running,
        }
    }

    /// A `/proc/<pid>/status` figure (`VmHWM`, `VmRSS`) in bytes.
    fn memory(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.running.id()))
            .expect("the server's /proc status");
        let kib: u64 = status
            .lines()
            .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
            .unwrap_or_else(|| panic!("{field} in {status}"));
        kib * 1024
    }

    /// The most memory the process has held at once so far.
    fn peak(&self) -> u64 {
        self.memory("VmHWM")
    }

    /// A client with the printed API key that shows the server's answers
    /// as they are (no retries, no pacing).
    fn client(&self) -> Client {
        Client::builder()
            .base_url(&self.base_url)
            .credential(Credential::api_key(&self.api_key))
            .max_retries(0)
            .pacing(false)
            .build()
            .expect("a valid client")
    }
}

/// Bytes in MiB, for the report.
fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_huge_unauthenticated_bodies_get_401_without_growing_the_server() {
    const SIZE: u64 = 250 * 1024 * 1024;
    let server = Process::start();
    let before = server.peak();
    let mut requests = JoinSet::new();
    for n in 0..16 {
        let framing = if n % 2 == 0 {
            Framing::Length
        } else {
            Framing::Chunked
        };
        let target = if n % 4 < 2 {
            "/api/v1/assets?filename=huge.bin"
        } else {
            "/api/v1/projects"
        };
        let mut request = Raw::post(target, framing, SIZE);
        if n % 8 >= 4 {
            request = request.header("x-api-key", "sk_test_not_this_servers");
        }
        requests.spawn(wire::send(server.address, request));
    }
    let answers = requests.join_all().await;
    let peak = server.peak();
    eprintln!(
        "server peak memory: {:.1} MiB before, {:.1} MiB after 16 x 250 MiB refused",
        mib(before),
        mib(peak)
    );
    for answer in answers {
        assert_eq!(answer.status, 401, "{answer:?}");
        assert_eq!(
            answer.body,
            json!({"success": false, "message": "Missing or invalid API key / token."})
        );
        assert!(answer.sent < SIZE, "the whole body was read before the 401");
    }
    assert!(peak < PEAK_BOUND, "peak {:.1} MiB", mib(peak));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forty_concurrent_lists_of_the_largest_project_are_all_answered() {
    let server = Process::start();
    let c = server.client();

    // The project that once took the server down is refused whole.
    let huge = Raw::post("/api/v1/projects", Framing::Length, 100 << 20)
        .header("x-api-key", server.api_key.clone())
        .json_field("name");
    let answer = wire::send(server.address, huge).await;
    assert_eq!(answer.status, 413, "{answer:?}");
    assert_eq!(answer.body["success"], false);

    // Every field at its limit, in four-byte characters; the script
    // generated from the longest prompt into the most frames is the
    // largest script a project can get.
    let text = |chars: usize| "🌊".repeat(chars);
    let limit = |property| common::body_limit("CreateProjectRequest", property, "maxLength");
    let (name, description, style) = (
        text(limit("name")),
        text(limit("description")),
        text(limit("style")),
    );
    let project = c
        .create_project()
        .body_map(|b| {
            b.name(name.as_str())
                .description(Some(description.as_str().try_into().unwrap()))
                .style(Some(style.as_str().try_into().unwrap()))
        })
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    let prompt = text(common::body_limit(
        "GenerateScriptRequest",
        "prompt",
        "maxLength",
    ));
    let frames = common::body_limit("GenerateScriptRequest", "frame_count", "maximum") as u32;
    c.generate_script()
        .project_id(&project.id)
        .body_map(|b| {
            b.prompt(prompt.as_str())
                .frame_count(Some(frames.try_into().unwrap()))
        })
        .send()
        .await
        .unwrap();
    let stored = c
        .get_project()
        .project_id(&project.id)
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    let size = serde_json::to_vec(&stored).unwrap().len();

    let before = server.peak();
    let mut lists = JoinSet::new();
    for _ in 0..40 {
        let c = c.clone();
        lists.spawn(async move { c.list_projects().send().await });
    }
    for listed in lists.join_all().await {
        let listed = listed.expect("every list is answered").into_inner();
        assert_eq!(listed.data, std::slice::from_ref(&stored));
    }
    let peak = server.peak();
    eprintln!(
        "server peak memory: {:.1} MiB before, {:.1} MiB after 40 lists of a {:.1} MiB project",
        mib(before),
        mib(peak),
        mib(size as u64)
    );
    assert!(peak < PEAK_BOUND, "peak {:.1} MiB", mib(peak));
}

//! Calls in a loop, through the SDK or through bare reqwest, for counting
//! instructions per call with callgrind (repeatable where timings are not).
//! `cargo xtask benchmarks` runs it; by hand:
//!
//! ```sh
//! cargo build --release -p studio-benches --example count_calls
//! target/release/examples/count_calls serve   # prints three base URLs, serves until stdin closes
//! valgrind --tool=callgrind target/release/examples/count_calls get_project sdk 300 URL
//! valgrind --tool=callgrind target/release/examples/count_calls get_project sdk 900 URL
//! ```
//!
//! The server runs in a process of its own, so callgrind counts the
//! client's instructions only. Run each client with two call counts: the
//! difference over the difference in calls is the cost of one call,
//! without start-up.
//!
//! - `get_project CLIENT CALLS URL`: CLIENT is `sdk`, `reqwest`,
//!   `sdk-blocking` or `reqwest-blocking`; `+fmt` after it installs a
//!   `fmt` subscriber writing to a sink, so that every call's span and
//!   events are built and formatted.
//! - `list_frames CLIENT CALLS URL`: CLIENT is `sdk` or `serde_json` (bare
//!   reqwest and `serde_json::from_slice`), against a server answering with
//!   a page of 100 or 10,000 frames.

use studio_api::types::{FrameListResponse, ProjectResponse};
use studio_benches::{
    CannedServer, bare_blocking_client, bare_client, bare_get, frames_body, project_body,
    sdk_builder,
};

const USAGE: &str = "usage: count_calls serve | get_project sdk|reqwest|sdk-blocking|reqwest-blocking[+fmt] CALLS URL | list_frames sdk|serde_json CALLS URL";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["serve"] => serve(),
        [operation, client, calls, url] => {
            let Ok(calls) = calls.parse::<usize>() else {
                usage()
            };
            let (client, fmt) = match client.strip_suffix("+fmt") {
                Some(client) => (client, true),
                None => (client, false),
            };
            let _subscriber = fmt.then(|| {
                tracing::subscriber::set_default(
                    tracing_subscriber::fmt()
                        .with_writer(std::io::sink)
                        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
                        .finish(),
                )
            });
            match operation {
                "get_project" => get_project(client, calls, url),
                "list_frames" => list_frames(client, calls, url),
                _ => usage(),
            }
        }
        _ => usage(),
    }
}

fn usage() -> ! {
    eprintln!("{USAGE}");
    std::process::exit(2)
}

/// Serves a project, a page of 100 frames and a 10,000-frame document,
/// each from a server of its own, until stdin closes.
fn serve() {
    let servers = [
        CannedServer::start(vec![("/projects/{id}", project_body())]),
        CannedServer::start(vec![("/projects/{id}/frames", frames_body(100))]),
        CannedServer::start(vec![("/projects/{id}/frames", frames_body(10_000))]),
    ];
    for server in &servers {
        println!("{}", server.base_url());
    }
    let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn get_project(client: &str, calls: usize, base_url: &str) {
    let url = format!("{base_url}/projects/prj_8f2k1");
    match client {
        "sdk" => {
            let sdk = sdk_builder(base_url).build().expect("client");
            runtime().block_on(async {
                for _ in 0..calls {
                    let response = sdk.get_project().project_id("prj_8f2k1").send().await;
                    std::hint::black_box(response.expect("a project"));
                }
            })
        }
        "reqwest" => {
            let bare = bare_client();
            runtime().block_on(async {
                for _ in 0..calls {
                    std::hint::black_box(bare_get::<ProjectResponse>(&bare, &url).await);
                }
            })
        }
        "sdk-blocking" => {
            let sdk = studio_api_blocking::Client::from_async(
                sdk_builder(base_url).build().expect("client"),
            )
            .expect("blocking client");
            for _ in 0..calls {
                let response = sdk.get_project().project_id("prj_8f2k1").send();
                std::hint::black_box(response.expect("a project"));
            }
        }
        "reqwest-blocking" => {
            let bare = bare_blocking_client();
            for _ in 0..calls {
                let response = bare.get(&url).send().expect("a response");
                let body = response.error_for_status().expect("a 200").bytes();
                let project: ProjectResponse =
                    serde_json::from_slice(&body.expect("a body")).expect("a project");
                std::hint::black_box(project);
            }
        }
        _ => usage(),
    }
}

fn list_frames(client: &str, calls: usize, base_url: &str) {
    let url = format!("{base_url}/projects/prj_8f2k1/frames");
    let runtime = runtime();
    match client {
        "sdk" => {
            let sdk = sdk_builder(base_url).build().expect("client");
            runtime.block_on(async {
                for _ in 0..calls {
                    let response = sdk.list_frames().project_id("prj_8f2k1").send().await;
                    std::hint::black_box(response.expect("frames"));
                }
            })
        }
        "serde_json" => {
            let bare = bare_client();
            runtime.block_on(async {
                for _ in 0..calls {
                    std::hint::black_box(bare_get::<FrameListResponse>(&bare, &url).await);
                }
            })
        }
        _ => usage(),
    }
}

//! Makes `get_project` calls in a loop, through the SDK or through bare
//! reqwest, for counting instructions per call (repeatable where timings
//! are not):
//!
//! ```sh
//! cargo build --release -p studio-benches --example count_calls
//! valgrind --tool=callgrind target/release/examples/count_calls sdk 2000
//! valgrind --tool=callgrind target/release/examples/count_calls reqwest 2000
//! ```
//!
//! Run each with two call counts: the difference over the difference in
//! calls is the cost of one call, without start-up. `sdk-fmt` makes the
//! SDK's calls with a `fmt` subscriber installed (writing to a sink), so
//! that every call's span is built and formatted.

use studio_api::types::ProjectResponse;
use studio_benches::{CannedServer, bare_client, bare_get, project_body, sdk_builder};

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(client), Some(Ok(calls))) = (args.next(), args.next().map(|n| n.parse::<usize>()))
    else {
        eprintln!("usage: count_calls sdk|sdk-fmt|reqwest CALLS");
        std::process::exit(2);
    };
    let server = CannedServer::start(vec![("/projects/{id}", project_body())]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let sdk = sdk_builder(server.base_url()).build().expect("client");
    let bare = bare_client();
    let url = format!("{}/projects/prj_8f2k1", server.base_url());
    let _subscriber = (client == "sdk-fmt").then(|| {
        tracing::subscriber::set_default(
            tracing_subscriber::fmt()
                .with_writer(std::io::sink)
                .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
                .finish(),
        )
    });
    runtime.block_on(async {
        for _ in 0..calls {
            if client.starts_with("sdk") {
                let response = sdk.get_project().project_id("prj_8f2k1").send().await;
                std::hint::black_box(response.expect("a project"));
            } else {
                std::hint::black_box(bare_get::<ProjectResponse>(&bare, &url).await);
            }
        }
    });
}

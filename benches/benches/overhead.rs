//! Per-call overhead: `get_project` through the SDK against the identical
//! request through bare reqwest, both to one loopback server answering with
//! a canned body. Pacing is off and connections are kept alive, so the
//! difference is what the SDK adds to a call: header decoration, the retry
//! and pacing hooks, error capture and decoding into the same type.
//!
//! `overhead_paced` is what the shared quota adds: the same call with
//! pacing on, its budget in this process against in Redis on loopback.
//! The server's rate-limit headers announce a quota no loop can use up,
//! so that neither bucket throttles the loop; each store does its whole
//! work, a take before the request and a correction after the response.

use criterion::{Criterion, criterion_group, criterion_main};
use studio_api::types::ProjectResponse;
use studio_benches::{
    CannedServer, bare_blocking_client, bare_client, bare_get, project_body, sdk_builder,
};
use studio_tests::redis_server::RedisServer;

fn project_url(server: &CannedServer) -> String {
    format!("{}/projects/prj_8f2k1", server.base_url())
}

/// The SDK's async call against bare reqwest, as benchmark group `name`.
fn async_group(c: &mut Criterion, name: &str) {
    let server = CannedServer::start(vec![("/projects/{id}", project_body())]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let sdk = sdk_builder(server.base_url()).build().unwrap();
    let bare = bare_client();
    let url = project_url(&server);

    let mut group = c.benchmark_group(name);
    group.bench_function("reqwest", |b| {
        b.to_async(&runtime)
            .iter(|| bare_get::<ProjectResponse>(&bare, &url))
    });
    group.bench_function("studio_api", |b| {
        b.to_async(&runtime).iter(|| async {
            let response = sdk.get_project().project_id("prj_8f2k1").send().await;
            response.unwrap().into_inner()
        })
    });
    group.finish();
}

fn asynchronous(c: &mut Criterion) {
    async_group(c, "overhead_async");
}

/// The same with a `fmt` subscriber installed (writing to a sink), so that
/// every call's span is built, filled and formatted.
fn asynchronous_traced(c: &mut Criterion) {
    let subscriber = tracing_subscriber::fmt()
        .with_writer(std::io::sink)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .finish();
    let _installed = tracing::subscriber::set_default(subscriber);
    async_group(c, "overhead_async_traced");
}

fn blocking(c: &mut Criterion) {
    let server = CannedServer::start(vec![("/projects/{id}", project_body())]);
    let sdk =
        studio_api_blocking::Client::from_async(sdk_builder(server.base_url()).build().unwrap())
            .unwrap();
    let bare = bare_blocking_client();
    let url = project_url(&server);

    let mut group = c.benchmark_group("overhead_blocking");
    group.bench_function("reqwest", |b| {
        b.iter(|| {
            let response = bare.get(&url).send().unwrap();
            let body = response.error_for_status().unwrap().bytes().unwrap();
            serde_json::from_slice::<ProjectResponse>(&body).unwrap()
        })
    });
    group.bench_function("studio_api_blocking", |b| {
        b.iter(|| {
            let response = sdk.get_project().project_id("prj_8f2k1").send();
            response.unwrap().into_inner()
        })
    });
    group.finish();
}

/// A paced call with its budget in this process against in Redis.
fn paced(c: &mut Criterion) {
    let Some(redis) = RedisServer::start("overhead_paced") else {
        return;
    };
    let server = CannedServer::start_with_quota_headers(vec![("/projects/{id}", project_body())]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let paced = || sdk_builder(server.base_url()).pacing(true);
    let in_process = paced().build().unwrap();
    let shared = paced().shared_quota(redis.url()).build().unwrap();

    let mut group = c.benchmark_group("overhead_paced");
    for (name, client) in [("in_process", &in_process), ("redis", &shared)] {
        group.bench_function(name, |b| {
            b.to_async(&runtime).iter(|| async {
                let response = client.get_project().project_id("prj_8f2k1").send().await;
                response.unwrap().into_inner()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, asynchronous, asynchronous_traced, blocking, paced);
criterion_main!(benches);

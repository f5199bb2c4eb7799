//! Decoding: `list_frames` answering with one page of 100 frames, and with
//! one 10,000-frame document (the canned server ignores the page size cap),
//! through the SDK against bare reqwest reading the same body and decoding
//! it with `serde_json::from_slice` into the same generated type.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::time::Duration;
use studio_api::types::FrameListResponse;
use studio_benches::{CannedServer, bare_client, bare_get, frames_body, sdk_builder};

fn decode(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for frames in [100, 10_000] {
        let body = frames_body(frames);
        let bytes = body.len() as u64;
        let server = CannedServer::start(vec![("/projects/{id}/frames", body)]);
        let sdk = sdk_builder(server.base_url()).build().unwrap();
        let bare = bare_client();
        let url = format!("{}/projects/prj_8f2k1/frames", server.base_url());

        let mut group = c.benchmark_group(format!("decode_{frames}_frames"));
        group.throughput(Throughput::Bytes(bytes));
        if frames > 1_000 {
            group
                .sample_size(20)
                .measurement_time(Duration::from_secs(10));
        }
        group.bench_function("serde_json", |b| {
            b.to_async(&runtime)
                .iter(|| bare_get::<FrameListResponse>(&bare, &url))
        });
        group.bench_function("studio_api", |b| {
            b.to_async(&runtime).iter(|| async {
                let response = sdk.list_frames().project_id("prj_8f2k1").send().await;
                response.unwrap().into_inner()
            })
        });
        group.finish();
    }
}

criterion_group!(benches, decode);
criterion_main!(benches);

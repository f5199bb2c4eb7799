//! `iter()` on blocking list builders: every page in order with the filters
//! kept, no request past the last page, a failed page as an `Err` item.

use studio_api::{ClientBuilder, ErrorKind};
use studio_api_blocking::Client;
use studio_api_blocking::types::AssetKind;
use studio_mock::{Fault, MockServer};

fn start() -> (MockServer, Client) {
    let server = MockServer::builder().no_rate_limit().start().unwrap();
    let client = Client::from_async(
        ClientBuilder::new()
            .base_url(server.base_url())
            .api_key(server.api_key())
            .pacing(false)
            .max_retries(0)
            .build()
            .unwrap(),
    )
    .unwrap();
    (server, client)
}

/// 25 images and 25 audio files, alternating, newest first in listings.
fn library(client: &Client) {
    for n in 0..25 {
        for name in [format!("still-{n:02}.png"), format!("cue-{n:02}.wav")] {
            client.upload_bytes(name, vec![n as u8; 8]).send().unwrap();
        }
    }
}

#[test]
fn iter_reads_three_pages_of_images_and_stops() {
    let (server, client) = start();
    library(&client);

    let names: Vec<String> = client
        .list_assets()
        .kind(AssetKind::Image)
        .limit(10u32)
        .iter()
        .map(|asset| asset.unwrap().name)
        .collect();

    let expected: Vec<String> = (0..25).rev().map(|n| format!("still-{n:02}.png")).collect();
    assert_eq!(names, expected);
    assert_eq!(server.request_count("list_assets"), Ok(3));
}

#[test]
fn a_failed_page_is_an_err_item_that_ends_the_iteration() {
    let (server, client) = start();
    library(&client);
    let mut assets = client.list_assets().limit(10u32).iter();
    for _ in 0..10 {
        assets.next().unwrap().unwrap();
    }
    server
        .fail_next(
            "list_assets",
            1,
            Fault::Status {
                status: 500,
                retry_after: None,
            },
        )
        .unwrap();

    let error = assets.next().unwrap().unwrap_err();

    assert_eq!(error.kind(), &ErrorKind::Server);
    assert_eq!(error.status().map(|s| s.as_u16()), Some(500));
    assert!(assets.next().is_none(), "no page after the failed one");
    assert_eq!(server.request_count("list_assets"), Ok(2));
}

#[test]
fn inside_a_runtime_iter_yields_one_configuration_error() {
    let (server, client) = start();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();

    let items: Vec<_> = runtime.block_on(async { client.list_assets().iter().collect() });

    assert_eq!(items.len(), 1);
    let error = items.into_iter().next().unwrap().unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::Configuration);
    assert_eq!(server.request_count("list_assets"), Ok(0));
}

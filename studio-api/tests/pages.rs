//! `stream()` on list builders: every page in order, filters kept on each,
//! no request past the last page, and a failed page as an `Err` item.

use crate::common;

use common::start;
use futures_util::StreamExt;
use studio_api::types::{AssetKind, Frame};
use studio_api::{Client, ErrorKind};
use studio_mock::Fault;

/// A project with `frames` frames scripted `Shot 1`, `Shot 2`, …
async fn storyboard(client: &Client, frames: usize) -> String {
    let project = client
        .create_project()
        .body_map(|b| b.name("Paging"))
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    for n in 1..=frames {
        client
            .create_frame()
            .project_id(&project.id)
            .body_map(|b| b.script(format!("Shot {n}")))
            .send()
            .await
            .unwrap();
    }
    project.id
}

fn positions(frames: &[Frame]) -> Vec<i32> {
    frames.iter().map(|f| f.position).collect()
}

#[tokio::test]
async fn forty_five_frames_in_pages_of_twenty_take_three_requests() {
    let (server, client) = start();
    let project = storyboard(&client, 45).await;
    let before = server.request_count("list_frames").unwrap();

    let frames = client
        .list_frames()
        .project_id(&project)
        .limit(20u32)
        .stream()
        .try_collect()
        .await
        .unwrap();

    assert_eq!(positions(&frames), (1..=45).collect::<Vec<_>>());
    assert!(
        frames
            .iter()
            .all(|f| f.script == format!("Shot {}", f.position))
    );
    assert_eq!(server.request_count("list_frames").unwrap() - before, 3);
}

#[tokio::test]
async fn filters_hold_on_every_page() {
    let (server, client) = start();
    let project = storyboard(&client, 0).await;
    for n in 0..25 {
        // Images of the project, mixed with audio of the same project and
        // images of no project, which the filters leave out.
        client
            .upload_bytes(format!("keeper-{n:02}.png"), vec![n as u8; 16])
            .project_id(project.as_str())
            .send()
            .await
            .unwrap();
        if n % 2 == 0 {
            client
                .upload_bytes(format!("wind-{n:02}.wav"), vec![1; 16])
                .project_id(project.as_str())
                .send()
                .await
                .unwrap();
            client
                .upload_bytes(format!("loose-{n:02}.png"), vec![2; 16])
                .send()
                .await
                .unwrap();
        }
    }
    let images = || {
        client
            .list_assets()
            .project_id(project.as_str())
            .kind(AssetKind::Image)
    };
    let one_page = images()
        .limit(100u32)
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    assert_eq!(one_page.len(), 25);
    let before = server.request_count("list_assets").unwrap();

    let streamed = images().limit(10u32).stream().try_collect().await.unwrap();

    assert_eq!(
        streamed, one_page,
        "pages of 10 give the same assets in the same order"
    );
    assert!(
        streamed.iter().all(
            |a| a.kind == AssetKind::Image && a.project_id.as_deref() == Some(project.as_str())
        )
    );
    assert_eq!(server.request_count("list_assets").unwrap() - before, 3);
}

#[tokio::test]
async fn pages_are_requested_only_as_items_are_read() {
    let (server, client) = start();
    let project = storyboard(&client, 45).await;
    let before = server.request_count("list_frames").unwrap();

    let first: Vec<_> = client
        .list_frames()
        .project_id(&project)
        .limit(20u32)
        .stream()
        .take(20)
        .collect()
        .await;

    assert_eq!(first.len(), 20);
    assert_eq!(server.request_count("list_frames").unwrap() - before, 1);
}

#[tokio::test]
async fn an_empty_list_is_one_request_and_no_items() {
    let (server, client) = start();
    let project = storyboard(&client, 0).await;

    let mut frames = client.list_frames().project_id(&project).stream();

    assert!(frames.next().await.is_none());
    assert!(frames.next().await.is_none(), "stays ended");
    assert_eq!(server.request_count("list_frames"), Ok(1));
}

#[tokio::test]
async fn a_failed_page_is_an_err_item_that_ends_the_stream() {
    let (server, client) = start();
    let project = storyboard(&client, 45).await;
    let mut frames = client
        .list_frames()
        .project_id(&project)
        .limit(20u32)
        .stream();
    for position in 1..=20 {
        assert_eq!(frames.next().await.unwrap().unwrap().position, position);
    }
    server
        .fail_next(
            "list_frames",
            1,
            Fault::Status {
                status: 500,
                retry_after: None,
            },
        )
        .unwrap();

    let error = frames.next().await.unwrap().unwrap_err();

    assert_eq!(error.kind(), &ErrorKind::Server);
    assert_eq!(error.status().map(|s| s.as_u16()), Some(500));
    assert_eq!(error.operation(), "list_frames");
    assert!(
        frames.next().await.is_none(),
        "no page after the failed one"
    );
    assert_eq!(server.request_count("list_frames"), Ok(2));
}

#[tokio::test]
async fn an_invalid_setter_fails_the_first_page_without_a_request() {
    let (server, client) = start();

    let mut frames = client
        .list_frames()
        .project_id("prj_x")
        .limit(0u32)
        .stream();

    let error = frames.next().await.unwrap().unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::InvalidInput);
    assert!(frames.next().await.is_none());
    assert_eq!(server.request_count("list_frames"), Ok(0));
}

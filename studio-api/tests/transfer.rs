//! Uploads from a path or bytes and downloads to a path or a writer,
//! against the local server.

use crate::common;

use common::start;
use studio_api::ErrorKind;

/// `len` bytes that are not all alike, so a reordered or dropped chunk shows.
fn varied_bytes(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i * 31 % 251) as u8 ^ (i >> 12) as u8)
        .collect()
}

#[tokio::test]
async fn a_multi_megabyte_file_goes_up_from_a_path_and_comes_back_identical() {
    let (server, client) = start();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lighthouse take 3.mp4");
    let bytes = varied_bytes(5 * 1024 * 1024 + 17);
    std::fs::write(&path, &bytes).unwrap();

    let asset = client
        .upload_file(&path)
        .unwrap()
        .tags(vec![
            "keeper".try_into().unwrap(),
            "night".try_into().unwrap(),
        ])
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;

    assert_eq!(asset.name, "lighthouse take 3.mp4");
    assert_eq!(asset.content_type, "video/mp4");
    assert_eq!(asset.size_bytes, bytes.len() as i64);
    assert_eq!(asset.tags, ["keeper", "night"]);
    assert_eq!(server.request_count("upload_asset"), Ok(1));

    let copy = dir.path().join("copy.mp4");
    let written = client.download(&asset.url, &copy).await.unwrap();
    assert_eq!(written, bytes.len() as u64);
    assert!(std::fs::read(&copy).unwrap() == bytes, "the file on disk");
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["copy.mp4", "lighthouse take 3.mp4"],
        "no partial file left"
    );

    let mut buffer = Vec::new();
    let written = client
        .download_to_writer(&asset.url, &mut buffer)
        .await
        .unwrap();
    assert_eq!(written, bytes.len() as u64);
    assert!(buffer == bytes, "the bytes in the writer");
}

async fn sent(upload: studio_api::builder::UploadAsset<'_>) -> studio_api::types::Asset {
    upload.send().await.unwrap().into_inner().data
}

#[tokio::test]
async fn the_content_type_comes_from_the_extension_unless_overridden() {
    let (_server, client) = start();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shot-list.pdf");
    std::fs::write(&path, b"%PDF-1.7").unwrap();

    let inferred = sent(client.upload_file(&path).unwrap()).await;
    let overridden = sent(
        client
            .upload_file(&path)
            .unwrap()
            .content_type("application/x-storyboard"),
    )
    .await;
    let from_bytes = sent(client.upload_bytes("cue.json", r#"{"cue": 1}"#)).await;
    let unknown = sent(client.upload_bytes("take.zzz9", vec![7; 8])).await;

    assert_eq!(inferred.content_type, "application/pdf");
    assert_eq!(overridden.content_type, "application/x-storyboard");
    assert_eq!(from_bytes.content_type, "application/json");
    assert_eq!(from_bytes.name, "cue.json");
    assert_eq!(unknown.content_type, "application/octet-stream");
}

#[tokio::test]
async fn a_missing_file_or_a_directory_fails_before_any_request() {
    let (server, client) = start();
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-take.png");

    let error = client.upload_file(&missing).unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::InvalidInput);
    assert_eq!(error.operation(), "upload_asset");
    assert!(
        error.message().contains(&missing.display().to_string()),
        "{error}"
    );
    assert_eq!(error.status(), None);

    let error = client.upload_file(dir.path()).unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::InvalidInput);
    assert!(error.message().contains("not a regular file"), "{error}");

    assert_eq!(server.request_count("upload_asset"), Ok(0));
}

#[tokio::test]
async fn a_missing_download_is_a_404_error_and_writes_nothing() {
    let (server, client) = start();
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("never.png");
    let url = format!(
        "{}/files/ast_missing.png",
        server.base_url().trim_end_matches("/api/v1")
    );

    let error = client.download(&url, &target).await.unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::NotFound);
    assert_eq!(error.status().map(|s| s.as_u16()), Some(404));
    assert_eq!(error.operation(), "download");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);

    let mut buffer = Vec::new();
    let error = client
        .download_to_writer(&url, &mut buffer)
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(404));
    assert!(buffer.is_empty());
}

#[tokio::test]
async fn a_download_into_a_missing_folder_is_an_io_error() {
    let (_server, client) = start();
    let asset = client
        .upload_bytes("beat.txt", "pause")
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("no-such-folder").join("beat.txt");

    let error = client.download(&asset.url, &target).await.unwrap_err();

    assert_eq!(error.kind(), &ErrorKind::Io);
    assert_eq!(error.status(), None);
    assert!(error.message().contains("no-such-folder"), "{error}");
    assert_eq!(error.attempts(), 0, "refused before any request");
}

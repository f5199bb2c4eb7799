//! Blocking uploads and downloads: a round trip through the local server.

use studio_api::ErrorKind;
use studio_api_blocking::{Client, Credential};
use studio_mock::MockServer;

#[test]
fn a_file_goes_up_from_a_path_and_comes_back_to_a_path_and_a_writer() {
    let server = MockServer::builder().no_rate_limit().start().unwrap();
    let client =
        Client::with_credential(server.base_url(), Credential::api_key(server.api_key())).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("score.wav");
    let bytes: Vec<u8> = (0..3 * 1024 * 1024).map(|i: u32| (i % 253) as u8).collect();
    std::fs::write(&path, &bytes).unwrap();

    let asset = client
        .upload_file(&path)
        .unwrap()
        .send()
        .unwrap()
        .into_inner()
        .data;
    assert_eq!(asset.name, "score.wav");
    assert!(
        asset.content_type.starts_with("audio/"),
        "{}",
        asset.content_type
    );

    let copy = dir.path().join("copy.wav");
    assert_eq!(
        client.download(&asset.url, &copy).unwrap(),
        bytes.len() as u64
    );
    assert!(std::fs::read(&copy).unwrap() == bytes, "the file on disk");

    let mut buffer = Vec::new();
    let written = client.download_to_writer(&asset.url, &mut buffer).unwrap();
    assert_eq!(written, bytes.len() as u64);
    assert!(buffer == bytes, "the bytes in the writer");

    let error = client
        .upload_file(dir.path().join("missing.wav"))
        .unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::InvalidInput);
    assert_eq!(server.request_count("upload_asset"), Ok(1));
}

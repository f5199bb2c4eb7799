//! Credentials stay at the API's origin: a redirect to another origin is
//! not followed (its error says where it pointed), so nothing — no
//! credential, no body, no `Referer` — reaches the second origin, whatever
//! the status, method or credential. Downloads, which carry no credential,
//! follow redirects but never from https to plain http.

use studio_api::{Client, ClientBuilder, Credential, ErrorKind};
use studio_tests::RecordingServer;
use studio_tests::faults::{FaultServer, Reply, http};
use studio_tests::tls::TlsServer;

const KEY: &str = "sk_live_origin_test";
const PROJECT: &str = r#"{"success":true,"data":{"id":"prj_1","name":"P","aspect_ratio":"16:9","frame_count":0,"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}}"#;

/// A server on a second loopback address, recording whatever arrives.
fn elsewhere() -> RecordingServer {
    RecordingServer::start_at("127.0.0.2", 200, "application/json", PROJECT.into())
}

fn redirecting_to(status: u16, target: &str) -> FaultServer {
    FaultServer::start(vec![Reply::Raw(http(status, &[("location", target)], ""))])
}

fn builder(base_url: &str, credential: &Credential) -> ClientBuilder {
    Client::builder()
        .base_url(base_url)
        .credential(credential.clone())
        .pacing(false)
}

#[tokio::test]
async fn no_redirect_to_another_origin_is_followed_by_any_call() {
    let credentials = [Credential::api_key(KEY), Credential::bearer(KEY)];
    for status in [301, 302, 303, 307, 308] {
        for credential in &credentials {
            for write in [false, true] {
                let target = elsewhere();
                let api = redirecting_to(status, &format!("{}/projects/prj_1", target.base_url()));
                let client = builder(api.base_url(), credential).build().unwrap();
                let error = if write {
                    client
                        .create_project()
                        .body_map(|b| b.name("Moved"))
                        .send()
                        .await
                        .unwrap_err()
                } else {
                    client
                        .get_project()
                        .project_id("prj_1")
                        .send()
                        .await
                        .unwrap_err()
                };
                assert_eq!(error.status().map(|s| s.as_u16()), Some(status));
                assert_eq!(error.kind(), &ErrorKind::UnexpectedStatus);
                assert!(
                    error.message().contains(target.base_url()),
                    "the error says where it pointed: {error}"
                );
                // A redirect after a write may follow its success (303).
                assert_eq!(error.outcome_unknown(), write, "{error}");
                assert_eq!(api.received(), 1, "sent once, not retried");
                assert!(
                    target.requests().is_empty(),
                    "{status} {credential:?}: the second origin got {:?}",
                    target.requests()
                );
            }
        }
    }
}

#[test]
fn the_blocking_client_follows_no_redirect_either() {
    let target = elsewhere();
    let api = redirecting_to(307, &format!("{}/projects", target.base_url()));
    let client = studio_api_blocking::Client::from_async(
        builder(api.base_url(), &Credential::api_key(KEY))
            .build()
            .unwrap(),
    )
    .unwrap();
    let error = client
        .create_project()
        .body_map(|b| b.name("Moved"))
        .send()
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(307));
    assert!(target.requests().is_empty());
}

#[tokio::test]
async fn https_trusts_an_added_authority_and_never_redirects_to_plain_http() {
    let target = elsewhere();
    let plain = format!("{}/projects/prj_1", target.base_url());
    let api = TlsServer::start(move |head| {
        if head.starts_with("get /api/v1/projects/prj_1 ") {
            http(200, &[("content-type", "application/json")], PROJECT)
        } else {
            http(302, &[("location", &plain)], "")
        }
    });
    let client = builder(
        &format!("{}/api/v1", api.origin()),
        &Credential::api_key(KEY),
    )
    .add_root_certificate(api.authority())
    .build()
    .unwrap();
    let project = client.get_project().project_id("prj_1").send().await;
    assert_eq!(
        project.expect("TLS with the added authority").data.id,
        "prj_1"
    );
    assert!(api.heads()[0].contains(&format!("x-api-key: {KEY}")));

    let error = client
        .get_project()
        .project_id("prj_2")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(302));
    assert!(target.requests().is_empty(), "{:?}", target.requests());
}

#[tokio::test]
async fn an_authority_given_as_pem_is_trusted_for_https_too() {
    let api = TlsServer::start(|_| http(200, &[("content-type", "application/json")], PROJECT));
    let base_url = format!("{}/api/v1", api.origin());
    let call = |builder: ClientBuilder| async move {
        let client = builder.build().unwrap();
        client.get_project().project_id("prj_1").send().await
    };
    let credential = Credential::api_key(KEY);
    let untrusted = call(builder(&base_url, &credential)).await.unwrap_err();
    assert_eq!(untrusted.kind(), &ErrorKind::Connection, "{untrusted}");
    let trusted = builder(&base_url, &credential).add_root_certificates_pem(api.authority_pem());
    let project = call(trusted).await.expect("TLS with the added authority");
    assert_eq!(project.data.id, "prj_1");

    let refused = builder(&base_url, &credential)
        .add_root_certificates_pem(api.authority_pem())
        .add_root_certificates_pem("not a certificate")
        .build()
        .unwrap_err();
    assert_eq!(refused.kind(), &ErrorKind::Configuration, "{refused}");
    assert!(
        refused.to_string().contains("add_root_certificates_pem"),
        "{refused}"
    );
}

#[tokio::test]
async fn downloads_follow_https_redirects_without_a_credential_but_not_down_to_http() {
    let target = elsewhere();
    let plain = format!("{}/files/copy.png", target.base_url());
    let files = TlsServer::start(move |head| match head.split(' ').nth(1) {
        Some("/files/moved.png") => http(302, &[("location", "/files/here.png")], ""),
        Some("/files/here.png") => http(200, &[("content-type", "image/png")], "PNG"),
        _ => http(307, &[("location", &plain)], ""),
    });
    let client = builder(
        &format!("{}/api/v1", files.origin()),
        &Credential::api_key(KEY),
    )
    .add_root_certificate(files.authority())
    .build()
    .unwrap();
    let mut copy = Vec::new();
    let url = format!("{}/files/moved.png", files.origin());
    client.download_to_writer(&url, &mut copy).await.unwrap();
    assert_eq!(copy, b"PNG");
    for head in files.heads() {
        assert!(
            !head.contains("x-api-key"),
            "no credential on a download: {head}"
        );
        assert!(!head.contains("referer"), "{head}");
    }

    let url = format!("{}/files/down.png", files.origin());
    let error = client
        .download_to_writer(&url, &mut Vec::new())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::Connection, "{error}");
    assert!(error.message().contains("https to plain http"), "{error}");
    assert!(
        !error.to_string().contains("down.png"),
        "no URL, which may be signed: {error}"
    );
    assert!(target.requests().is_empty(), "{:?}", target.requests());
}

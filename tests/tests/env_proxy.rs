//! A plain-http base URL (allowed for loopback) never goes through a proxy
//! named by the environment, which would see the credential in clear text.
//! Alone in its binary: it sets process-wide environment variables.

use serde_json::json;
use studio_api::Client;
use studio_tests::RecordingServer;

#[tokio::test]
async fn a_loopback_base_url_ignores_the_environments_proxy() {
    let proxy = RecordingServer::start_at("127.0.0.2", 200, "application/json", "{}".into());
    let api = RecordingServer::json(200, json!({"success": true, "data": []}));
    let proxy_url = proxy.base_url().trim_end_matches("/api/v1").to_string();
    // SAFETY: no other test in this binary reads or writes the environment.
    unsafe {
        for name in ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"] {
            std::env::set_var(name, &proxy_url);
        }
        std::env::remove_var("NO_PROXY");
        std::env::remove_var("no_proxy");
    }
    for base_url in [
        api.base_url().replace("127.0.0.1", "localhost"),
        api.base_url().to_string(),
    ] {
        let client = Client::builder()
            .api_key("sk_live_secret")
            .base_url(base_url)
            .pacing(false)
            .build()
            .unwrap();
        let _ = client.list_projects().send().await;
    }
    assert!(
        proxy.requests().is_empty(),
        "the proxy got {:?}",
        proxy.requests()
    );
    assert_eq!(api.requests().len(), 2);
}

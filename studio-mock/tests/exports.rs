//! The lines the standalone server prints on start, pasted into a shell as
//! they are, configure a client through `Client::from_env`.
//!
//! This file holds one test: it sets the process's environment, which no
//! other test may read or write meanwhile.

mod common;

use common::assert_error;
use common::binary::Running;
use std::process::Command;
use studio_api::{Client, Credential};

#[cfg(unix)]
#[test]
fn the_printed_exports_configure_a_client_from_the_environment() {
    let server = Running::start(&["--scopes", "projects"]);

    // Every line is shell: comments for people, then the three exports.
    for line in &server.banner {
        assert!(
            line.starts_with("# ") || line.starts_with("export "),
            "{line:?} is neither a comment nor an export"
        );
    }
    let exported: Vec<&str> = server
        .banner
        .iter()
        .filter_map(|line| line.strip_prefix("export ")?.split_once('='))
        .map(|(name, _)| name)
        .collect();
    assert_eq!(
        exported,
        ["STUDIO_BASE_URL", "STUDIO_API_KEY", "STUDIO_BEARER_TOKEN"]
    );

    // Pasted into a shell, the whole banner sets the variables.
    let script = format!(
        "set -e\n{}\nprintf '%s\\n' \"$STUDIO_BASE_URL\" \"$STUDIO_API_KEY\" \"$STUDIO_BEARER_TOKEN\"\n",
        server.banner.join("\n")
    );
    let shell = Command::new("sh")
        .arg("-c")
        .arg(&script)
        .env_remove("STUDIO_BASE_URL")
        .env_remove("STUDIO_API_KEY")
        .env_remove("STUDIO_BEARER_TOKEN")
        .output()
        .expect("sh runs");
    assert!(shell.status.success(), "{script}\n{shell:?}");
    let stdout = String::from_utf8(shell.stdout).expect("text");
    let values: Vec<&str> = stdout.lines().collect();
    let [base_url, key, token] = values[..] else {
        panic!("three values from {stdout:?}");
    };
    assert!(
        base_url.starts_with("http://127.0.0.1:") && base_url.ends_with("/api/v1"),
        "{base_url}"
    );
    assert!(key.starts_with("sk_test_"), "{key}");
    assert!(token.starts_with("tok_"), "{token}");

    // SAFETY: this is the only test in its binary, and no other thread
    // reads or writes the environment while it runs.
    unsafe {
        std::env::set_var("STUDIO_BASE_URL", base_url);
        std::env::set_var("STUDIO_API_KEY", key);
        std::env::set_var("STUDIO_BEARER_TOKEN", token);
    }
    let client = Client::from_env().expect("a client from the environment");
    assert_eq!(client.base_url(), base_url);
    // With both set, the API key is the credential sent.
    assert!(
        matches!(client.credential(), Some(Credential::ApiKey(_))),
        "the API key is sent"
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let project = client
            .create_project()
            .body_map(|b| b.name("From the shell"))
            .send()
            .await
            .expect("the printed base URL and key work");
        assert_eq!(project.status(), 201);
        assert_eq!(project.data.name, "From the shell");
        // The key sent is the printed one, limited to `projects`.
        let error = client.list_voices().send().await.unwrap_err();
        assert_error(error, 403, "API key missing required scope: voices");
    });
}

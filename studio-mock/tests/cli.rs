//! The standalone server as its users run it: the built binary, its
//! flags, what it prints, and what its printed credentials can do.

use crate::common;

use common::assert_error;
use common::binary::{Running, refused};
use studio_api::{Client, Credential};

/// A client for the running binary with `credential`, showing the
/// server's answers as they are (no retries, no pacing).
fn client(server: &Running, credential: Credential) -> Client {
    Client::builder()
        .base_url(server.base_url())
        .credential(credential)
        .max_retries(0)
        .pacing(false)
        .build()
        .expect("a valid client")
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn an_unknown_operation_in_fail_is_refused_before_the_server_starts() {
    let output = refused(&["--fail", "bogus_op=503"]);
    assert!(!output.status.success(), "{output:?}");
    let message = stderr(&output);
    assert!(message.contains("bogus_op"), "{message}");
    assert!(message.contains("unknown operation"), "{message}");
    assert!(
        !String::from_utf8_lossy(&output.stdout).contains("export"),
        "no server started: {output:?}"
    );

    let output = refused(&["--fail", "create_projet=503"]);
    assert!(!output.status.success(), "{output:?}");
    assert!(
        stderr(&output).contains("did you mean `create_project`?"),
        "{output:?}"
    );
}

#[test]
fn a_malformed_fail_value_is_refused_saying_why() {
    for (value, says) in [
        ("create_project", "OP=STATUS[:COUNT]"),
        ("create_project=abc", "`abc` is not an error status"),
        ("create_project=200", "`200` is not an error status"),
        ("create_project=503:0", "`0` is not a count"),
        ("create_project=503:two", "`two` is not a count"),
    ] {
        let output = refused(&["--fail", value]);
        assert!(!output.status.success(), "{value}: {output:?}");
        let message = stderr(&output);
        assert!(message.contains(says), "{value}: {message}");
        assert!(message.contains("--fail"), "{value}: {message}");
    }
}

#[test]
fn an_unknown_scope_is_refused_listing_the_scopes() {
    let output = refused(&["--scopes", "frames,projcts"]);
    assert!(!output.status.success(), "{output:?}");
    let message = stderr(&output);
    assert!(message.contains("projcts"), "{message}");
    assert!(message.contains("--scopes"), "{message}");
    assert!(
        message.contains("projects, frames, image_generation"),
        "{message}"
    );
}

#[tokio::test]
async fn a_fail_flag_answers_the_first_call_then_the_next_succeeds() {
    let server = Running::start(&["--fail", "create_project=503"]);
    assert!(
        server
            .banner
            .contains(&"# the next create_project call: status 503".to_string()),
        "{:?}",
        server.banner
    );
    let c = client(&server, Credential::api_key(server.api_key()));
    let create = || c.create_project().body_map(|b| b.name("Pilot")).send();
    let error = create().await.unwrap_err();
    assert_error(error, 503, "Service Unavailable");
    let project = create().await.unwrap();
    assert_eq!(project.status(), 201);
    assert_eq!(project.data.name, "Pilot");
}

#[tokio::test]
async fn fail_flags_take_a_count_and_repeat_in_order() {
    let server = Running::start(&[
        "--fail",
        "list_projects=502:2",
        "--fail",
        "list_projects=429",
        "--fail",
        "list_voices=500",
    ]);
    let announced: Vec<&str> = server
        .banner
        .iter()
        .filter(|line| line.starts_with("# the next"))
        .map(String::as_str)
        .collect();
    assert_eq!(
        announced,
        [
            "# the next 2 list_projects calls: status 502",
            "# the next list_projects call: status 429",
            "# the next list_voices call: status 500",
        ]
    );
    let c = client(&server, Credential::api_key(server.api_key()));
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let error = c.list_projects().send().await.unwrap_err();
        statuses.push(error.status().map(|s| s.as_u16()));
    }
    assert_eq!(statuses, [Some(502), Some(502), Some(429)]);
    c.list_projects().send().await.unwrap();
    let error = c.list_voices().send().await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(500));
    c.list_voices().send().await.unwrap();
}

#[tokio::test]
async fn a_scoped_key_is_refused_other_scopes_and_allowed_its_own() {
    let server = Running::start(&["--scopes", "frames"]);
    assert!(
        server.banner.contains(
            &"# the API key has scope frames; the bearer token has every scope".to_string()
        ),
        "{:?}",
        server.banner
    );
    let key = client(&server, Credential::api_key(server.api_key()));
    let error = key
        .create_project()
        .body_map(|b| b.name("Not mine"))
        .send()
        .await
        .unwrap_err();
    assert_error(error, 403, "API key missing required scope: projects");

    // The bearer token keeps every scope; the key may then work on frames.
    let bearer = client(&server, Credential::bearer(server.bearer_token()));
    let project = bearer
        .create_project()
        .body_map(|b| b.name("Shared"))
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    let frame = key
        .create_frame()
        .project_id(&project.id)
        .body_map(|b| b.script("Dawn over the harbour"))
        .send()
        .await
        .unwrap();
    assert_eq!(frame.status(), 201);
    let frames = key
        .list_frames()
        .project_id(&project.id)
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].script, "Dawn over the harbour");
}

#[tokio::test]
async fn several_scopes_are_comma_separated() {
    let server = Running::start(&["--scopes", "frames,projects"]);
    let key = client(&server, Credential::api_key(server.api_key()));
    key.create_project()
        .body_map(|b| b.name("Allowed"))
        .send()
        .await
        .unwrap();
    let error = key.list_voices().send().await.unwrap_err();
    assert_error(error, 403, "API key missing required scope: voices");
}

#[tokio::test]
async fn without_scopes_the_printed_key_has_every_scope() {
    let server = Running::start(&[]);
    assert!(
        server
            .banner
            .contains(&"# the API key has scope *; the bearer token has every scope".to_string()),
        "{:?}",
        server.banner
    );
    let key = client(&server, Credential::api_key(server.api_key()));
    key.list_voices().send().await.unwrap();
    key.create_project()
        .body_map(|b| b.name("Anything"))
        .send()
        .await
        .unwrap();
}

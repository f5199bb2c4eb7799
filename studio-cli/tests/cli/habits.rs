//! The built `studio` binary's habits with a shell user, against
//! studio-mock: partial results, plain messages that name flags and
//! variables, confirmation before deleting, downloads, closed pipes.

use super::{json, project_with_frame, server, stderr, studio, studio_with};
use serde_json::Value;
use std::process::Output;
use std::time::Duration;
use studio_mock::{Fault, MockServer};

/// What no message to a shell user holds: Rust paths, calls, `Debug`
/// forms, the SDK's type and method names, and operation ids.
pub(super) fn assert_plain(text: &str) {
    let rust = [
        "::",
        "()",
        "Some(",
        "None",
        " { ",
        "ErrorKind",
        "JobStatus",
        "ClientBuilder",
        ".credential",
        "allow_insecure_http",
        "with_env",
        "shared_quota",
        "clap",
        "serde",
    ];
    for word in rust {
        assert!(!text.contains(word), "{word:?} in: {text}");
    }
    for operation in studio_api::operations::OPERATIONS {
        let named = text
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .any(|w| w == operation.id);
        assert!(!named, "the operation id {} in: {text}", operation.id);
    }
    // A variant's name (`NotFound`, `JobFailed`…) is two capitalised words
    // run together.
    for word in text.split(|c: char| !c.is_alphanumeric()) {
        let capitals = word.chars().filter(char::is_ascii_uppercase).count();
        let camel = capitals >= 2
            && word.starts_with(|c: char| c.is_ascii_uppercase())
            && word.chars().any(|c| c.is_ascii_lowercase())
            && !word.starts_with("HTTP");
        assert!(!camel, "{word:?} in: {text}");
    }
}

#[test]
fn every_kind_of_message_is_plain_and_names_what_to_check() {
    let server = server(Duration::from_millis(200));
    let (_, frame) = project_with_frame(&server);
    let key = server.mint_api_key(None);
    let created = server.request_count("create_project").unwrap();
    let with = |env: &[(&str, &str)], args: &[&str]| -> Output {
        let mut all = vec![
            ("STUDIO_BASE_URL", server.base_url()),
            ("STUDIO_API_KEY", key.as_str()),
        ];
        all.extend_from_slice(env);
        studio_with(&all, args, None)
    };
    // A server of its own whose every `list_projects` answers `status`.
    let failing = |status: u16| {
        let server = super::server(Duration::from_millis(200));
        server
            .fail_next(
                "list_projects",
                20,
                Fault::Status {
                    status,
                    retry_after: Some(0),
                },
            )
            .unwrap();
        studio(&server, &["projects", "list"])
    };
    let mut cases: Vec<(Output, i32, &[&str])> = Vec::new();
    cases.push((
        with(
            &[("STUDIO_API_KEY", "sk_test_wrong")],
            &["projects", "list"],
        ),
        3,
        &["STUDIO_API_KEY", "--api-key"],
    ));
    let scoped = server.mint_api_key(Some(&[studio_api::operations::Scope::Projects]));
    cases.push((
        with(&[("STUDIO_API_KEY", &scoped)], &["voices", "list"]),
        5,
        &["scope"],
    ));
    cases.push((
        with(&[], &["projects", "get", "--project-id", "prj_none"]),
        6,
        &["studio projects get"],
    ));
    cases.push((
        with(&[], &["projects", "create", "--name", &"n".repeat(300)]),
        17,
        &["--name", "nothing was sent"],
    ));
    cases.push((
        with(
            &[],
            &[
                "frames",
                "reorder",
                "--project-id",
                "prj_1",
                "--frame-id",
                "frm_x",
            ],
        ),
        6,
        &["studio frames reorder"],
    ));
    let position = [
        "frames",
        "create",
        "--project-id",
        "prj_1",
        "--script",
        "s",
        "--position",
        "99999999999",
    ];
    cases.push((
        with(&[], &position),
        17,
        &["--position", "from -2147483648 to 2147483647"],
    ));
    let fps = [
        "renders",
        "create",
        "--project-id",
        "prj_1",
        "--codec",
        "h264",
        "--fps",
        "0",
        "--width",
        "64",
        "--height",
        "64",
    ];
    cases.push((with(&[], &fps), 17, &["--fps", "from 1"]));
    cases.push((failing(429), 8, &["STUDIO_QUOTA_URL"]));
    cases.push((failing(503), 9, &["studio projects list"]));
    let closed = studio_tests::scripted::Refusing::new();
    cases.push((
        with(
            &[("STUDIO_BASE_URL", closed.base_url())],
            &["projects", "list"],
        ),
        11,
        &["--base-url", "STUDIO_BASE_URL"],
    ));
    server.set_wallet(0.0);
    cases.push((
        with(&[], &["frames", "generate-image", "--frame-id", &frame]),
        4,
        &["credits"],
    ));
    server.set_wallet(1000.0);
    // The environment of each misconfigured run, and what its error names.
    type Misconfigured<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str]);
    let config: [Misconfigured; 7] = [
        (
            &[("STUDIO_BASE_URL", "http://studio.example.com/api/v1")],
            &["STUDIO_BASE_URL", "https"],
        ),
        (
            &[("STUDIO_BASE_URL", "https://me:secret@studio.example.com")],
            &["STUDIO_BASE_URL", "--api-key"],
        ),
        (
            &[("STUDIO_BASE_URL", "ftp://studio.example.com")],
            &["STUDIO_BASE_URL"],
        ),
        (&[("STUDIO_BASE_URL", "not a url")], &["STUDIO_BASE_URL"]),
        (&[("STUDIO_API_KEY", "")], &["STUDIO_API_KEY", "empty"]),
        (
            &[("STUDIO_API_KEY", "sk_test_a b")],
            &["STUDIO_API_KEY", "position 10"],
        ),
        (&[("STUDIO_QUOTA_URL", "nope")], &["STUDIO_QUOTA_URL"]),
    ];
    for (env, names) in config {
        cases.push((with(env, &["projects", "list"]), 16, names));
    }
    let no_key = studio_with(
        &[("STUDIO_BASE_URL", server.base_url())],
        &["projects", "list"],
        None,
    );
    cases.push((no_key, 16, &["STUDIO_API_KEY", "--api-key", "--token"]));
    let flag = with(
        &[],
        &[
            "--base-url",
            "http://studio.example.com",
            "projects",
            "list",
        ],
    );
    cases.push((flag, 16, &["--base-url"]));
    for (output, code, names) in &cases {
        let text = stderr(output);
        assert_eq!(output.status.code(), Some(*code), "{text}");
        assert!(text.starts_with("error: "), "one format: {text}");
        for name in *names {
            assert!(text.contains(name), "{name} in: {text}");
        }
        assert_plain(&text);
    }
    assert_eq!(
        server.request_count("create_project").unwrap(),
        created,
        "a name too long is refused before sending"
    );
}

#[test]
fn waiting_on_several_prints_and_downloads_what_finished_and_names_every_failure() {
    let server = server(Duration::from_millis(600));
    let (project, _) = project_with_frame(&server);
    let mut ids = super::image_jobs(&server, &project, 0..2);
    server.set_failure_rate(1.0);
    ids.extend(super::image_jobs(&server, &project, 2..4));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("not/yet/there");
    let mut args = vec!["jobs", "wait"];
    args.extend(ids.iter().map(String::as_str));
    args.extend(["--download", out.to_str().unwrap()]);
    let output = studio(&server, &args);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(13), "{text}");
    let states: Value = serde_json::from_slice(&output.stdout).expect("every state is printed");
    let statuses: Vec<&str> = states
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["completed", "completed", "failed", "failed"],
        "{states}"
    );
    assert_eq!(states[2]["id"], ids[2].as_str());
    assert!(
        states[3]["error"].is_string(),
        "a failed one has its error: {states}"
    );
    assert_eq!(
        std::fs::read_dir(&out).unwrap().count(),
        2,
        "the finished ones are saved"
    );
    for failed in &ids[2..] {
        assert!(
            text.contains(&format!("error: {failed} failed: ")),
            "{failed}: {text}"
        );
    }
    assert!(text.contains("2 of 4 failed"), "{text}");
    assert_plain(&text);
}

#[test]
fn body_json_refuses_keys_the_request_does_not_have_and_names_missing_flags() {
    let server = server(Duration::from_millis(200));
    let cases = [
        (
            r#"{"name": "x", "sytle": "y"}"#,
            &["\"sytle\"", "did you mean \"style\""][..],
        ),
        (r#"{"style": "noir"}"#, &["--name is required"]),
        (r#"{"name": 7}"#, &["\"name\"", "text", "--name"]),
        (
            r#"{"name": "x", "aspect_ratio": "32:9"}"#,
            &["16:9", "--aspect-ratio"],
        ),
    ];
    for (body, expected) in cases {
        let key = server.mint_api_key(None);
        let output = studio_with(
            &[
                ("STUDIO_BASE_URL", server.base_url()),
                ("STUDIO_API_KEY", &key),
            ],
            &["projects", "create", "--body-json", "-"],
            Some(body),
        );
        let text = stderr(&output);
        assert_eq!(output.status.code(), Some(17), "{body}: {text}");
        for words in expected {
            assert!(text.contains(words), "{words} for {body}: {text}");
        }
        assert_plain(&text);
    }
    assert_eq!(
        server.request_count("create_project").unwrap(),
        0,
        "nothing sent"
    );
}

#[test]
fn deleting_without_yes_on_a_pipe_is_refused_and_sends_nothing() {
    let server = server(Duration::from_millis(200));
    let (project, _) = project_with_frame(&server);
    let refused = studio(&server, &["projects", "delete", "--project-id", &project]);
    assert_eq!(refused.status.code(), Some(17), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("--yes"), "{}", stderr(&refused));
    assert_eq!(server.request_count("delete_project").unwrap(), 0);
    let deleted = studio(
        &server,
        &["projects", "delete", "--project-id", &project, "--yes"],
    );
    assert_eq!(deleted.status.code(), Some(0), "{}", stderr(&deleted));
    assert_eq!(server.request_count("delete_project").unwrap(), 1);
}

#[test]
fn a_download_needs_no_credential_makes_missing_folders_and_never_a_dotfile() {
    let server = server(Duration::from_millis(200));
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("keeper.png");
    std::fs::write(&source, b"\x89PNG bytes").unwrap();
    let asset = json(&studio(
        &server,
        &["assets", "upload", source.to_str().unwrap()],
    ));
    let url = asset["url"].as_str().unwrap();
    let target = dir.path().join("a/b/copy.png");
    let anonymous = [("STUDIO_BASE_URL", server.base_url())];
    let saved = studio_with(
        &anonymous,
        &["download", url, target.to_str().unwrap()],
        None,
    );
    assert_eq!(saved.status.code(), Some(0), "{}", stderr(&saved));
    assert_eq!(std::fs::read(&target).unwrap(), b"\x89PNG bytes");
    // A folder, there already or named with a trailing `/`, gets the
    // URL's file name inside it.
    let name = url.rsplit('/').next().unwrap();
    let root = dir.path().display();
    for folder in [format!("{root}/a"), format!("{root}/c/d/")] {
        let saved = studio_with(&anonymous, &["download", url, &folder], None);
        assert_eq!(saved.status.code(), Some(0), "{}", stderr(&saved));
        let inside = std::path::Path::new(&folder).join(name);
        assert_eq!(
            std::fs::read(&inside).unwrap(),
            b"\x89PNG bytes",
            "{folder}"
        );
    }

    let dotfile = format!("{}/files/.bashrc", server.base_url());
    let refused = std::process::Command::new(env!("CARGO_BIN_EXE_studio"))
        .args(["download", &dotfile])
        .current_dir(dir.path())
        .env_clear()
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(17), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("hidden file"),
        "{}",
        stderr(&refused)
    );
    assert!(!dir.path().join(".bashrc").exists());
}

#[test]
fn printers_end_quietly_on_a_closed_pipe() {
    let server = server(Duration::from_millis(200));
    for _ in 0..3 {
        project_with_frame(&server);
    }
    let key = server.mint_api_key(None);
    for command in [
        "completions zsh",
        "completions bash",
        "projects list --all --limit 1",
        "--help",
    ] {
        let output = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!(
                "\"$STUDIO\" {command} | head -c 1 >/dev/null; echo \"exit ${{PIPESTATUS[0]}}\" >&2"
            ))
            .env("STUDIO", env!("CARGO_BIN_EXE_studio"))
            .env("STUDIO_BASE_URL", server.base_url())
            .env("STUDIO_API_KEY", &key)
            .output()
            .unwrap();
        let text = stderr(&output);
        assert!(text.ends_with("exit 0\n"), "{command}: {text}");
        assert!(!text.contains("panicked"), "{command}: {text}");
    }
}

#[test]
fn help_names_each_areas_purpose_and_why_the_environment_beats_a_flag() {
    let output = studio_with(&[], &["--help"], None);
    let help = String::from_utf8(output.stdout).unwrap();
    assert!(
        !help.contains(" commands."),
        "no area says only its name: {help}"
    );
    for line in [
        "projects     Create and manage storyboard projects.",
        "comments     Comment on frames",
        "renders      Render a project with Remotion",
    ] {
        assert!(help.contains(line), "{line} in: {help}");
    }
    let words = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains("Prefer the environment on a shared machine")
            && words.contains("every local user can read"),
        "{help}"
    );
}

/// `studio args…` on a pseudo-terminal (through `script`), typing
/// `typed`: its exit code.
fn typed_on_a_terminal(server: &MockServer, args: &[&str], typed: &str) -> Option<i32> {
    let command = std::iter::once(env!("CARGO_BIN_EXE_studio"))
        .chain(args.iter().copied())
        .collect::<Vec<_>>()
        .join(" ");
    let mut child = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("STUDIO_BASE_URL", server.base_url())
        .env("STUDIO_API_KEY", server.mint_api_key(None))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("script (util-linux) runs");
    // The question is asked before the answer is read.
    std::thread::sleep(Duration::from_millis(500));
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), typed.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    let shown = String::from_utf8_lossy(&output.stdout);
    assert!(shown.contains("This cannot be undone. [y/N]"), "{shown}");
    output.status.code()
}

#[test]
fn deleting_on_a_terminal_asks_first() {
    let server = server(Duration::from_millis(200));
    let (project, _) = project_with_frame(&server);
    let args = ["projects", "delete", "--project-id", &project];
    assert_eq!(typed_on_a_terminal(&server, &args, "n\n"), Some(17));
    assert_eq!(
        server.request_count("delete_project").unwrap(),
        0,
        "not deleted"
    );
    assert_eq!(typed_on_a_terminal(&server, &args, "y\n"), Some(0));
    assert_eq!(
        server.request_count("delete_project").unwrap(),
        1,
        "deleted"
    );
}

#[test]
fn a_negative_number_is_a_value_not_a_flag() {
    let server = server(Duration::from_millis(200));
    let output = studio(&server, &["projects", "list", "--limit", "-5"]);
    let text = stderr(&output);
    assert_eq!(
        output.status.code(),
        Some(17),
        "refused by the bound, not by parsing: {text}"
    );
    assert!(text.contains("--limit must be between 1 and 100"), "{text}");
}

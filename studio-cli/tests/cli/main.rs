//! The built `studio` binary against studio-mock started here: what it
//! sent (counted at the server), what it printed and how it exited.

use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;
use studio_mock::{Fault, MockServer};

/// `studio` with `args`, the environment holding only what `env` gives.
fn studio_with(env: &[(&str, &str)], args: &[&str], stdin: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_studio"));
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("studio runs");
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

/// `studio` against `server` with a fresh API key of every scope.
fn studio(server: &MockServer, args: &[&str]) -> Output {
    let key = server.mint_api_key(None);
    studio_with(
        &[
            ("STUDIO_BASE_URL", server.base_url()),
            ("STUDIO_API_KEY", &key),
        ],
        args,
        None,
    )
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The one JSON document a successful command printed.
fn json(output: &Output) -> Value {
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(output));
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("stdout is one JSON document ({e}): {output:?}"))
}

fn id(value: &Value) -> String {
    value["id"].as_str().expect("an id").to_string()
}

fn server(job: Duration) -> MockServer {
    MockServer::builder()
        .job_duration(job)
        .no_rate_limit()
        .start()
        .expect("studio-mock starts")
}

fn project_with_frame(server: &MockServer) -> (String, String) {
    let project = id(&json(&studio(
        server,
        &["projects", "create", "--name", "Lighthouse"],
    )));
    let frame = json(&studio(
        server,
        &[
            "frames",
            "create",
            "--project-id",
            &project,
            "--script",
            "INT. LIGHTHOUSE - NIGHT",
        ],
    ));
    (project, id(&frame))
}

#[test]
fn a_command_of_each_area_sends_its_request_and_prints_the_resource() {
    let server = server(Duration::from_millis(200));
    let (project, frame) = project_with_frame(&server);
    let listed = json(&studio(
        &server,
        &["projects", "list", "--search", "lighthouse"],
    ));
    assert_eq!(listed[0]["id"], project.as_str());
    assert_eq!(listed.as_array().unwrap().len(), 1);

    let updated = json(&studio(
        &server,
        &[
            "frames",
            "update",
            "--frame-id",
            &frame,
            "--shot-type",
            "close_up",
            "--duration-seconds",
            "4.5",
        ],
    ));
    assert_eq!(updated["shot_type"], "close_up");
    assert_eq!(updated["duration_seconds"], 4.5);
    let cleared = json(&studio(
        &server,
        &[
            "frames",
            "update",
            "--frame-id",
            &frame,
            "--clear-shot-type",
        ],
    ));
    assert!(
        cleared.get("shot_type").is_none_or(Value::is_null),
        "{cleared}"
    );
    assert_eq!(cleared["duration_seconds"], 4.5, "other fields stay");

    let comment = json(&studio(
        &server,
        &[
            "comments",
            "create",
            "--frame-id",
            &frame,
            "--body",
            "Warmer light",
        ],
    ));
    assert_eq!(comment["body"], "Warmer light");
    let track = json(&studio(
        &server,
        &[
            "audio",
            "create",
            "--project-id",
            &project,
            "--kind",
            "music",
            "--name",
            "Theme",
            "--volume",
            "0.5",
        ],
    ));
    assert_eq!(
        (track["kind"].as_str(), track["volume"].as_f64()),
        (Some("music"), Some(0.5))
    );
    let team = json(&studio(
        &server,
        &["teams", "create", "--name", "Night crew"],
    ));
    assert_eq!(team["name"], "Night crew");
    let voices = json(&studio(&server, &["voices", "list"]));
    assert!(voices.as_array().is_some_and(|v| !v.is_empty()), "{voices}");
    let jobs = json(&studio(
        &server,
        &["jobs", "list", "--project-id", &project],
    ));
    assert_eq!(jobs, Value::Array(vec![]));
    let export = json(&studio(
        &server,
        &[
            "exports",
            "create",
            "--project-id",
            &project,
            "--format",
            "pdf",
        ],
    ));
    assert_eq!(export["status"], "queued");
    let render = json(&studio(
        &server,
        &[
            "renders",
            "create",
            "--project-id",
            &project,
            "--codec",
            "h264",
            "--fps",
            "24",
            "--width",
            "1280",
            "--height",
            "720",
        ],
    ));
    assert_eq!(render["width"], 1280);
    let deleted = json(&studio(
        &server,
        &["frames", "delete", "--frame-id", &frame, "--yes"],
    ));
    assert_eq!(
        deleted["success"], true,
        "a body without data is printed whole: {deleted}"
    );
    let gone = studio(&server, &["frames", "get", "--frame-id", &frame]);
    assert_eq!(gone.status.code(), Some(6), "{}", stderr(&gone));
    for operation in [
        "create_frame_comment",
        "create_audio_track",
        "create_team",
        "create_render",
        "delete_frame",
    ] {
        assert_eq!(server.request_count(operation).unwrap(), 1, "{operation}");
    }
}

#[test]
fn a_whole_body_comes_from_body_json_and_flags_override_it() {
    let server = server(Duration::from_millis(200));
    let body = r#"{"name": "From stdin", "description": "kept"}"#;
    let key = server.mint_api_key(None);
    let env = [
        ("STUDIO_BASE_URL", server.base_url()),
        ("STUDIO_API_KEY", key.as_str()),
    ];
    let project = json(&studio_with(
        &env,
        &["projects", "create", "--body-json", "-"],
        Some(body),
    ));
    assert_eq!(
        (project["name"].as_str(), project["description"].as_str()),
        (Some("From stdin"), Some("kept"))
    );
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), body).unwrap();
    let path = file.path().to_str().unwrap();
    let project = json(&studio(
        &server,
        &[
            "projects",
            "create",
            "--body-json",
            path,
            "--name",
            "Flag wins",
        ],
    ));
    assert_eq!(
        (project["name"].as_str(), project["description"].as_str()),
        (Some("Flag wins"), Some("kept"))
    );
}

#[test]
fn all_streams_every_item_of_every_page_as_json_lines() {
    let server = server(Duration::from_millis(200));
    let project = id(&json(&studio(
        &server,
        &["projects", "create", "--name", "Pages"],
    )));
    for shot in 0..5 {
        json(&studio(
            &server,
            &[
                "frames",
                "create",
                "--project-id",
                &project,
                "--script",
                &format!("Shot {shot}"),
            ],
        ));
    }
    let before = server.request_count("list_frames").unwrap();
    let output = studio(
        &server,
        &[
            "frames",
            "list",
            "--project-id",
            &project,
            "--limit",
            "2",
            "--all",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let lines: Vec<Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is one JSON document"))
        .collect();
    let scripts: Vec<&str> = lines
        .iter()
        .map(|f| f["script"].as_str().unwrap())
        .collect();
    assert_eq!(scripts, ["Shot 0", "Shot 1", "Shot 2", "Shot 3", "Shot 4"]);
    assert_eq!(
        server.request_count("list_frames").unwrap() - before,
        3,
        "three pages of two"
    );
}

#[test]
fn wait_prints_ordered_progress_lines_then_the_finished_job() {
    let server = server(Duration::from_secs(3));
    let (_, frame) = project_with_frame(&server);
    let output = studio(
        &server,
        &[
            "frames",
            "generate-image",
            "--frame-id",
            &frame,
            "--prompt",
            "dusk",
            "--wait",
        ],
    );
    let job = json(&output);
    assert_eq!(job["status"], "completed");
    assert!(job["result"]["image_url"].is_string(), "{job}");
    let lines: Vec<String> = stderr(&output).lines().map(str::to_string).collect();
    let job_id = id(&job);
    assert!(
        lines.iter().all(|l| l.starts_with(&format!("{job_id} "))),
        "{lines:?}"
    );
    assert_eq!(lines.last().unwrap(), &format!("{job_id} completed 100%"));
    let percents: Vec<u32> = lines
        .iter()
        .map(|l| {
            l.rsplit(' ')
                .next()
                .unwrap()
                .trim_end_matches('%')
                .parse()
                .unwrap()
        })
        .collect();
    assert!(
        percents.windows(2).all(|w| w[0] <= w[1]),
        "progress only rises: {lines:?}"
    );
    assert!(lines.len() >= 2, "a line before the last: {lines:?}");
}

/// A frame of `project` for each of `shots`, each with an image job
/// started: the jobs' ids.
fn image_jobs(server: &MockServer, project: &str, shots: std::ops::Range<usize>) -> Vec<String> {
    shots
        .map(|shot| {
            let frame = id(&json(&studio(
                server,
                &[
                    "frames",
                    "create",
                    "--project-id",
                    project,
                    "--script",
                    &format!("{shot}"),
                ],
            )));
            id(&json(&studio(
                server,
                &["frames", "generate-image", "--frame-id", &frame],
            )))
        })
        .collect()
}

#[test]
fn jobs_wait_waits_on_several_through_shared_listings_and_downloads_results() {
    let server = server(Duration::from_secs(4));
    let (project, _) = project_with_frame(&server);
    let ids = image_jobs(&server, &project, 0..3);
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["jobs", "wait"];
    args.extend(ids.iter().map(String::as_str));
    args.extend(["--download", dir.path().to_str().unwrap()]);
    let done = json(&studio(&server, &args));
    let states = done.as_array().expect("one state each");
    assert_eq!(states.iter().map(id).collect::<Vec<_>>(), ids);
    assert!(states.iter().all(|s| s["status"] == "completed"), "{done}");
    // An id alone does not say which project to list: one look each finds
    // out, and the polls after it are listings shared by all three.
    assert_eq!(
        server.request_count("get_generation_job").unwrap(),
        3,
        "one look each"
    );
    assert!(server.request_count("list_generation_jobs").unwrap() >= 1);
    let saved = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(saved, 3, "one image each");
}

#[test]
fn a_timeout_stops_waiting_without_canceling_and_says_how_to_resume() {
    let server = server(Duration::from_secs(30));
    let (_, frame) = project_with_frame(&server);
    let output = studio(
        &server,
        &[
            "frames",
            "generate-image",
            "--frame-id",
            &frame,
            "--wait",
            "--timeout",
            "0.5",
        ],
    );
    assert_eq!(output.status.code(), Some(14), "{}", stderr(&output));
    assert_resumable(&server, &stderr(&output));
}

/// `text` names the job whose wait stopped and the command that resumes
/// it, and the job still runs.
fn assert_resumable(server: &MockServer, text: &str) {
    let job = text
        .lines()
        .find_map(|l| l.strip_prefix("resume with: studio jobs wait "))
        .unwrap_or_else(|| panic!("the command that resumes: {text}"));
    assert!(job.starts_with("job_"), "{text}");
    let state = json(&studio(server, &["jobs", "get", "--job-id", job]));
    assert!(
        ["queued", "processing"].contains(&state["status"].as_str().unwrap()),
        "the job goes on: {state}"
    );
}

#[test]
fn an_upload_then_a_download_round_trips_the_bytes() {
    let server = server(Duration::from_millis(200));
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("reference.png");
    let bytes: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&source, &bytes).unwrap();
    let asset = json(&studio(
        &server,
        &[
            "assets",
            "upload",
            source.to_str().unwrap(),
            "--tag",
            "ref",
            "--tag",
            "night",
        ],
    ));
    assert_eq!(asset["name"], "reference.png");
    assert_eq!(asset["size_bytes"], 200_000);
    assert_eq!(asset["tags"], serde_json::json!(["ref", "night"]));
    let url = asset["url"].as_str().expect("a download url");
    let target = dir.path().join("copy.png");
    let saved = json(&studio(
        &server,
        &["download", url, target.to_str().unwrap()],
    ));
    assert_eq!(saved["path"], target.to_str().unwrap());
    assert_eq!(std::fs::read(&target).unwrap(), bytes);
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "no partial file left: {names:?}");
}

#[test]
fn a_failed_download_leaves_no_file() {
    let server = server(Duration::from_millis(200));
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("missing.png");
    let url = format!(
        "{}/files/nope.png",
        server.base_url().trim_end_matches("/api/v1")
    );
    let output = studio(&server, &["download", &url, target.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(6), "{}", stderr(&output));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

/// The exit code and stderr of `args` against a server whose next
/// `operation` answers `status` every time.
fn failing(operation: &str, status: u16, args: &[&str]) -> (Option<i32>, String) {
    let server = server(Duration::from_millis(200));
    server
        .fail_next(
            operation,
            20,
            Fault::Status {
                status,
                retry_after: Some(0),
            },
        )
        .unwrap();
    let output = studio(&server, args);
    (output.status.code(), stderr(&output))
}

#[test]
fn each_error_kind_exits_with_its_documented_code() {
    let (code, text) = failing("list_projects", 429, &["projects", "list"]);
    assert_eq!(code, Some(8), "{text}");
    assert!(
        text.contains("rate limited, after the retries (HTTP 429)")
            && text.contains("command: studio projects list"),
        "{text}"
    );
    assert_eq!(
        failing("list_projects", 503, &["projects", "list"]).0,
        Some(9)
    );
    assert_eq!(
        failing(
            "get_project",
            404,
            &["projects", "get", "--project-id", "prj_x"]
        )
        .0,
        Some(6)
    );

    let server = server(Duration::from_millis(200));
    let wrong_key = studio_with(
        &[
            ("STUDIO_BASE_URL", server.base_url()),
            ("STUDIO_API_KEY", "sk_test_not_a_real_key"),
        ],
        &["projects", "list"],
        None,
    );
    assert_eq!(wrong_key.status.code(), Some(3), "{}", stderr(&wrong_key));
    assert!(
        stderr(&wrong_key).contains("error: the API key or token was refused (HTTP 401)")
            && stderr(&wrong_key).contains("check STUDIO_API_KEY or --api-key"),
        "{}",
        stderr(&wrong_key)
    );

    let scoped = server.mint_api_key(Some(&[studio_api::operations::Scope::Projects]));
    let env = [
        ("STUDIO_BASE_URL", server.base_url()),
        ("STUDIO_API_KEY", scoped.as_str()),
    ];
    let forbidden = studio_with(&env, &["voices", "list"], None);
    assert_eq!(forbidden.status.code(), Some(5), "{}", stderr(&forbidden));
    assert!(
        stderr(&forbidden).contains("error: the credential lacks the scope voices (HTTP 403)"),
        "{}",
        stderr(&forbidden)
    );

    let invalid = studio(&server, &["projects", "create", "--name", ""]);
    assert_eq!(
        invalid.status.code(),
        Some(17),
        "refused before sending: {}",
        stderr(&invalid)
    );
    let (project, frame) = project_with_frame(&server);
    let unprocessable = studio(
        &server,
        &[
            "frames",
            "reorder",
            "--project-id",
            &project,
            "--frame-id",
            "frm_missing",
        ],
    );
    assert_eq!(
        unprocessable.status.code(),
        Some(7),
        "{}",
        stderr(&unprocessable)
    );

    server.set_wallet(0.0);
    let unpaid = studio(&server, &["frames", "generate-image", "--frame-id", &frame]);
    assert_eq!(unpaid.status.code(), Some(4), "{}", stderr(&unpaid));

    let closed = studio_tests::scripted::Refusing::new();
    let refused = studio_with(
        &[
            ("STUDIO_BASE_URL", closed.base_url()),
            ("STUDIO_API_KEY", "sk_test_x"),
        ],
        &["projects", "list"],
        None,
    );
    assert_eq!(refused.status.code(), Some(11), "{}", stderr(&refused));

    let usage = studio(&server, &["projects", "list", "--limit", "many"]);
    assert_eq!(usage.status.code(), Some(2), "{}", stderr(&usage));
}

#[test]
fn no_credential_is_a_configuration_error_and_sends_nothing() {
    let server = server(Duration::from_millis(200));
    let output = studio_with(
        &[("STUDIO_BASE_URL", server.base_url())],
        &["projects", "list"],
        None,
    );
    assert_eq!(output.status.code(), Some(16), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("no credential"),
        "{}",
        stderr(&output)
    );
    let malformed = studio_with(
        &[("STUDIO_BASE_URL", server.base_url())],
        &["projects", "list", "--api-key", "sk with spaces"],
        None,
    );
    assert_eq!(malformed.status.code(), Some(16), "{}", stderr(&malformed));
    assert!(
        !stderr(&malformed).contains("sk with spaces"),
        "{}",
        stderr(&malformed)
    );
    assert_eq!(server.request_count("list_projects").unwrap(), 0);
}

#[test]
fn a_verbose_run_shows_the_requests_and_never_the_secret() {
    let server = server(Duration::from_millis(200));
    let key = server.mint_api_key(None);
    for args in [
        vec!["--verbose", "projects", "create", "--name", "Loud"],
        vec![
            "-v",
            "projects",
            "get",
            "--project-id",
            "prj_missing",
            "--api-key",
            key.as_str(),
        ],
    ] {
        let output = studio_with(
            &[
                ("STUDIO_BASE_URL", server.base_url()),
                ("STUDIO_API_KEY", key.as_str()),
            ],
            &args,
            None,
        );
        let everything = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            stderr(&output)
        );
        assert!(!stderr(&output).is_empty(), "verbose says something");
        assert!(!everything.contains(&key), "{everything}");
        assert!(
            !everything.contains(&key[8..]),
            "not even part of it: {everything}"
        );
    }
}

#[test]
fn completions_are_printed_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let output = studio_with(&[], &["completions", shell], None);
        assert_eq!(output.status.code(), Some(0), "{shell}");
        let script = String::from_utf8(output.stdout).unwrap();
        assert!(
            script.contains("generate-image"),
            "{shell} completes every command"
        );
    }
}

#[test]
fn help_lists_every_exit_code() {
    let output = studio_with(&[], &["--help"], None);
    let help = String::from_utf8(output.stdout).unwrap();
    for code in [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 130] {
        assert!(
            help.lines()
                .any(|l| l.trim_start().starts_with(&format!("{code}  "))),
            "{code} in:\n{help}"
        );
    }
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .unwrap();
    let table = help.split("Exit codes:\n").nth(1).expect("a table");
    assert!(
        readme.contains(table.trim_end()),
        "the README shows the same table:\n{table}"
    );
}

#[test]
fn a_failed_job_exits_with_its_code_and_a_bad_timeout_is_a_usage_error() {
    let server = MockServer::builder()
        .job_duration(Duration::from_millis(300))
        .failure_rate(1.0)
        .no_rate_limit()
        .start()
        .unwrap();
    let (_, frame) = project_with_frame(&server);
    let failed = studio(
        &server,
        &["frames", "generate-image", "--frame-id", &frame, "--wait"],
    );
    assert_eq!(failed.status.code(), Some(13), "{}", stderr(&failed));
    assert!(
        stderr(&failed).contains("error: job_") && stderr(&failed).contains(" failed: "),
        "{}",
        stderr(&failed)
    );
    habits::assert_plain(&stderr(&failed));
    let job: Value = serde_json::from_slice(&failed.stdout).expect("the failed job is printed");
    assert_eq!(job["status"], "failed", "{job}");
    assert!(job["error"].is_string(), "{job}");
    let before = server.request_count("generate_frame_image").unwrap();
    for timeout in ["inf", "-1", "NaN", "soon"] {
        let output = studio(
            &server,
            &[
                "frames",
                "generate-image",
                "--frame-id",
                &frame,
                "--wait",
                "--timeout",
                timeout,
            ],
        );
        assert_eq!(
            output.status.code(),
            Some(2),
            "{timeout}: {}",
            stderr(&output)
        );
    }
    let without_wait = studio(
        &server,
        &[
            "frames",
            "generate-image",
            "--frame-id",
            &frame,
            "--download",
            "out",
        ],
    );
    assert_eq!(
        without_wait.status.code(),
        Some(2),
        "--download needs --wait"
    );
    assert_eq!(
        server.request_count("generate_frame_image").unwrap(),
        before,
        "nothing sent"
    );
}

/// Runs `count` `studio projects list` one after another, as a shell loop
/// does, each its own process; the requests the server saw.
fn shell_loop(server: &MockServer, key: &str, quota_url: Option<&str>, count: usize) -> usize {
    let before = server.request_count("list_projects").unwrap();
    for _ in 0..count {
        let mut env = vec![
            ("STUDIO_BASE_URL", server.base_url()),
            ("STUDIO_API_KEY", key),
        ];
        env.extend(quota_url.map(|url| ("STUDIO_QUOTA_URL", url)));
        let output = studio_with(&env, &["projects", "list"], None);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    }
    server.request_count("list_projects").unwrap() - before
}

#[test]
fn separate_invocations_share_one_quota_through_redis() {
    let test = "separate_invocations_share_one_quota_through_redis";
    let Some(redis) = studio_tests::redis_server::RedisServer::start(test) else {
        return;
    };
    let window = Duration::from_secs(1);
    let server = MockServer::builder()
        .rate_limit(4, 4, window)
        .start()
        .unwrap();
    // Alone, each invocation starts with a budget of its own: past the
    // quota the server refuses (429) and the call is sent again.
    let alone = shell_loop(&server, &server.mint_api_key(None), None, 10);
    assert!(
        alone > 10,
        "429s were met and retried: {alone} requests for 10 calls"
    );
    let url = redis.url();
    let shared = shell_loop(&server, &server.mint_api_key(None), Some(&url), 10);
    assert_eq!(
        shared, 10,
        "through Redis each call was served at its first try"
    );
}

#[test]
fn ctrl_c_stops_waiting_without_canceling_and_says_how_to_resume() {
    let server = server(Duration::from_secs(30));
    let (_, frame) = project_with_frame(&server);
    let key = server.mint_api_key(None);
    let child = Command::new(env!("CARGO_BIN_EXE_studio"))
        .args(["frames", "generate-image", "--frame-id", &frame, "--wait"])
        .env_clear()
        .env("STUDIO_BASE_URL", server.base_url())
        .env("STUDIO_API_KEY", &key)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Once the job is submitted, the wait is under way.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while server.request_count("generate_frame_image").unwrap() == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the job was submitted"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    let signal = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(signal.success());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(130), "{}", stderr(&output));
    let text = stderr(&output);
    assert!(text.contains("stopped waiting (interrupted)"), "{text}");
    assert_resumable(&server, &text);
}

#[test]
fn a_download_replaces_a_link_at_its_path_and_never_writes_through_one() {
    let server = server(Duration::from_millis(200));
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("source.png");
    std::fs::write(&source, "the server's bytes").unwrap();
    let asset = json(&studio(
        &server,
        &["assets", "upload", source.to_str().unwrap()],
    ));
    let url = asset["url"].as_str().expect("a download url");
    let elsewhere = tempfile::tempdir().unwrap();
    let victim = elsewhere.path().join("victim");
    std::fs::write(&victim, "precious").unwrap();
    let target = dir.path().join("copy.png");
    std::os::unix::fs::symlink(&victim, dir.path().join("copy.png.part")).unwrap();
    std::os::unix::fs::symlink(&victim, &target).unwrap();

    let output = studio(&server, &["download", url, target.to_str().unwrap()]);

    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert!(std::fs::symlink_metadata(&target).unwrap().is_file());
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        "the server's bytes"
    );
}

mod habits;
mod hostile;

//! The built `studio` binary against a hostile server scripted here: what
//! reaches the terminal, what a pasted resume line runs, and what is
//! printed when the server sends values and fields this version does not
//! know.

use super::{stderr, studio_with};
use serde_json::{Value, json};
use std::process::Output;
use studio_tests::scripted::{Response, Script, ScriptedServer, Step};

/// What the server puts in every text the CLI may print: a title change
/// (OSC), a bell, a screen clear (CSI), C1 CSI and OSC, DEL and a
/// right-to-left override.
const HOSTILE: &str = "x \u{1b}]0;pwned\u{7}\u{1b}[2J \u{9b}31m \u{9d}8;; \u{7f} \u{202e}txt.exe";

/// `studio` against `server` with a key.
fn studio(server: &ScriptedServer, args: &[&str]) -> Output {
    studio_with(
        &[
            ("STUDIO_BASE_URL", server.base_url()),
            ("STUDIO_API_KEY", "sk_test_hostile"),
        ],
        args,
        None,
    )
}

/// The characters a terminal acts on that `bytes` holds raw, besides the
/// newlines that end lines.
fn raw_controls(bytes: &[u8]) -> Vec<char> {
    String::from_utf8_lossy(bytes)
        .chars()
        .filter(|&c| {
            (c.is_control() && c != '\n')
                || ('\u{202a}'..='\u{202e}').contains(&c)
                || ('\u{2066}'..='\u{2069}').contains(&c)
        })
        .collect()
}

fn assert_nothing_raw(output: &Output) {
    assert_eq!(
        raw_controls(&output.stderr),
        Vec::<char>::new(),
        "stderr: {}",
        stderr(output)
    );
    assert_eq!(
        raw_controls(&output.stdout),
        Vec::<char>::new(),
        "stdout: {}",
        String::from_utf8_lossy(&output.stdout)
    );
}

fn error(status: u16, message: &str) -> Step {
    Step::Answer(Response::json(
        status,
        &json!({"success": false, "message": message}),
    ))
}

/// A generation job as the server sends it, with `status`.
fn job(id: &str, status: &str) -> Value {
    json!({
        "id": id, "type": "image", "status": status, "progress": 40,
        "project_id": "prj_1", "frame_id": "frm_1",
        "created_at": "2026-12-08T10:00:00Z", "updated_at": "2026-12-08T10:00:01Z",
    })
}

fn data(status: u16, value: &Value) -> Step {
    Step::Answer(Response::json(
        status,
        &json!({"success": true, "data": value}),
    ))
}

#[test]
fn server_text_in_every_error_reaches_stderr_escaped() {
    let validation = Response::json(
        422,
        &json!({
            "success": false, "message": HOSTILE,
            "errors": {"name": [HOSTILE], HOSTILE: ["bad"]},
        }),
    );
    let server = ScriptedServer::start(
        Script::new()
            .route("GET", "/api/v1/projects/p1", [error(404, HOSTILE)])
            .route("POST", "/api/v1/projects", [Step::Answer(validation)])
            .route(
                "GET",
                "/api/v1/projects/p2",
                [Step::Answer(Response::text(
                    500,
                    "text/html",
                    format!("<h1>{HOSTILE}</h1>"),
                ))],
            )
            .route(
                "GET",
                "/api/v1/projects/p3",
                [Step::Answer(Response::text(
                    200,
                    "application/json",
                    HOSTILE,
                ))],
            ),
    );
    for args in [
        &["projects", "get", "--project-id", "p1"][..],
        &["projects", "create", "--name", "n"],
        &["projects", "get", "--project-id", "p2"],
        &["projects", "get", "--project-id", "p3"],
    ] {
        let output = studio(&server, args);
        assert_ne!(output.status.code(), Some(0), "{args:?}");
        assert_nothing_raw(&output);
        assert!(
            stderr(&output)
                .contains(r"x \x1b]0;pwned\x07\x1b[2J \u{9b}31m \u{9d}8;; \x7f \u{202e}txt.exe"),
            "{args:?}: the text is shown, escaped: {}",
            stderr(&output)
        );
    }
    let validation = studio(&server, &["projects", "create", "--name", "n"]);
    assert!(
        stderr(&validation).contains(r"--name: x \x1b]0;pwned"),
        "a field is named by its flag: {}",
        stderr(&validation)
    );
}

#[test]
fn a_success_whose_data_does_not_fit_is_told_in_jsons_words() {
    let server = ScriptedServer::start(Script::new().route(
        "GET",
        "/api/v1/projects/prj_1",
        [data(200, &json!("x"))],
    ));
    let output = studio(&server, &["projects", "get", "--project-id", "prj_1"]);
    assert_eq!(output.status.code(), Some(12), "{}", stderr(&output));
    let text = stderr(&output);
    assert!(text.contains("expected an object"), "{text}");
    super::habits::assert_plain(&text);
}

#[test]
fn json_on_stdout_escapes_what_a_terminal_acts_on_and_keeps_the_value() {
    let project = json!({
        "id": "prj_1", "name": HOSTILE, "aspect_ratio": "16:9", "frame_count": 0,
        "created_at": "2026-12-08T10:00:00Z", "updated_at": "2026-12-08T10:00:00Z",
    });
    let server = ScriptedServer::start(Script::new().route(
        "GET",
        "/api/v1/projects/prj_1",
        [data(200, &project)],
    ));
    let output = studio(&server, &["projects", "get", "--project-id", "prj_1"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_nothing_raw(&output);
    let printed: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(printed, project, "the same value once parsed");
}

/// `value` with `key` set to `to`.
fn with(mut value: Value, key: &str, to: Value) -> Value {
    value[key] = to;
    value
}

/// One page holding `items`.
fn page(items: &[Value]) -> Step {
    Step::Answer(Response::json(
        200,
        &json!({
            "success": true, "data": items,
            "pagination": {"page": 1, "limit": 20, "total": items.len(), "total_pages": 1},
        }),
    ))
}

/// Answers with `early` for the first `n` requests to the server, then
/// with `late`.
fn after(n: usize, early: Step, late: Step) -> Step {
    Step::decide(move |seen| {
        if seen.len() <= n {
            early.clone()
        } else {
            late.clone()
        }
    })
}

/// A server whose job `job_1` is `early` for the first two requests, then
/// `late`, looked at by id or in a listing.
fn job_server(early: &Value, late: &Value) -> ScriptedServer {
    ScriptedServer::start(
        Script::new()
            .route(
                "GET",
                "/api/v1/generation-jobs/job_1",
                [after(2, data(200, early), data(200, late))],
            )
            .route(
                "GET",
                "/api/v1/generation-jobs",
                [after(
                    2,
                    page(std::slice::from_ref(early)),
                    page(std::slice::from_ref(late)),
                )],
            ),
    )
}

#[test]
fn progress_lines_show_an_unknown_status_and_failure_text_escaped() {
    let unknown = with(
        job("job_1", "queued"),
        "status",
        json!(format!("new {HOSTILE}")),
    );
    let failed = with(job("job_1", "failed"), "error", json!(HOSTILE));
    let server = job_server(&unknown, &failed);
    let output = studio(&server, &["jobs", "wait", "job_1"]);
    assert_eq!(output.status.code(), Some(13), "{}", stderr(&output));
    assert_nothing_raw(&output);
    let text = stderr(&output);
    assert!(
        text.contains(r"job_1 new x \x1b]0;pwned\x07"),
        "the unknown status, escaped: {text}"
    );
    assert!(
        text.contains(r"job_1 failed: x \x1b]0;pwned\x07"),
        "the failure, escaped: {text}"
    );
    let printed: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(printed, failed, "the failed job as the server sent it");
}

/// A fake `studio` in a folder of its own, which writes the arguments it
/// gets to `args`, one a line.
fn fake_studio(dir: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    let script = dir.join("studio");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > {}/args\n",
            dir.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// `segment` as a URL path segment: RFC 3986's `pchar`s as they are,
/// every other byte percent-encoded.
fn in_path(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => (b as char).to_string(),
            b if b"-._~!$&'()*+,;=:@".contains(&b) => (b as char).to_string(),
            b => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn the_resume_line_pasted_into_a_shell_runs_nothing_the_server_chose() {
    let dir = tempfile::tempdir().unwrap();
    fake_studio(dir.path());
    let pwned = dir.path().join("pwned");
    let id = format!(
        "job_1;touch${{IFS}}{}`touch {0}`$(touch {0})'\u{1b}c\u{7}",
        pwned.display()
    );
    let queued = job(&id, "queued");
    let server = ScriptedServer::start(
        Script::new()
            .route(
                "POST",
                "/api/v1/frames/frm_1/image/generate",
                [data(202, &queued)],
            )
            .route(
                "GET",
                &format!("/api/v1/generation-jobs/{}", in_path(&id)),
                [data(200, &queued)],
            )
            .route(
                "GET",
                "/api/v1/generation-jobs",
                [page(std::slice::from_ref(&queued))],
            ),
    );
    let output = studio(
        &server,
        &[
            "frames",
            "generate-image",
            "--frame-id",
            "frm_1",
            "--wait",
            "--timeout",
            "1.5",
        ],
    );
    assert_eq!(output.status.code(), Some(14), "{}", stderr(&output));
    assert_nothing_raw(&output);
    let text = stderr(&output);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("resume with: "))
        .unwrap_or_else(|| panic!("a resume line: {text}"));
    let ran = std::process::Command::new("sh")
        .arg("-c")
        .arg(line)
        .env("PATH", format!("{}:/usr/bin:/bin", dir.path().display()))
        .status()
        .unwrap();
    assert!(ran.success(), "{line}");
    assert!(!pwned.exists(), "nothing the server chose ran: {line}");
    let args = std::fs::read_to_string(dir.path().join("args")).unwrap();
    let shown = id.replace('\u{1b}', r"\x1b").replace('\u{7}', r"\x07");
    assert_eq!(
        args,
        format!("jobs\nwait\n{shown}\n"),
        "one word, the id: {line}"
    );
}

#[test]
fn values_and_fields_this_version_does_not_know_are_printed_as_sent() {
    let project = json!({
        "id": "prj_1", "name": "Teaser", "aspect_ratio": "32:9", "frame_count": 2,
        "created_at": "2026-12-08T10:00:00Z", "updated_at": "2026-12-08T10:00:00Z",
        "color_grade": {"lut": "teal-orange", "strength": [0.5, 1]},
    });
    let scheduled = with(job("job_7", "scheduled"), "priority", json!("rush"));
    let done = with(
        with(job("job_7", "completed"), "progress", json!(100)),
        "seed_used",
        json!(42),
    );
    let server = ScriptedServer::start(
        Script::new()
            .route("GET", "/api/v1/projects/prj_1", [data(200, &project)])
            .route(
                "GET",
                "/api/v1/projects",
                [page(&[project.clone(), project.clone()])],
            )
            .route(
                "POST",
                "/api/v1/frames/frm_1/image/generate",
                [data(202, &scheduled)],
            )
            .route("GET", "/api/v1/generation-jobs/job_7", [data(200, &done)])
            .route(
                "GET",
                "/api/v1/generation-jobs",
                [page(std::slice::from_ref(&done))],
            ),
    );
    let printed = |args: &[&str]| {
        let output = studio(&server, args);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{args:?}: {}",
            stderr(&output)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let parse = |text: &str| serde_json::from_str::<Value>(text).unwrap();
    assert_eq!(
        parse(&printed(&["projects", "get", "--project-id", "prj_1"])),
        project
    );
    assert_eq!(
        parse(&printed(&["projects", "list"])),
        json!([project, project])
    );
    let lines = printed(&["projects", "list", "--all"]);
    let items: Vec<Value> = lines.lines().map(parse).collect();
    assert_eq!(items, vec![project.clone(), project.clone()]);
    let started = parse(&printed(&[
        "frames",
        "generate-image",
        "--frame-id",
        "frm_1",
    ]));
    assert_eq!(
        started, scheduled,
        "a received submission is printed, job id and all"
    );
    let waited = parse(&printed(&[
        "frames",
        "generate-image",
        "--frame-id",
        "frm_1",
        "--wait",
    ]));
    assert_eq!(waited, done);
    assert_eq!(parse(&printed(&["jobs", "wait", "job_7"])), done);
}

#[test]
fn an_undecodable_202_exits_18_with_the_body_under_the_error() {
    // The id comes after the first 512 bytes, beyond any snippet.
    let body = format!(
        r#"{{"success": true, "data": {{"prompt": "{}", "progress": "forty", "id": "job_9"}}}}"#,
        "a lighthouse ".repeat(60)
    );
    let server = ScriptedServer::start(
        Script::new()
            .route(
                "POST",
                "/api/v1/frames/frm_1/image/generate",
                [Step::Answer(Response::text(
                    202,
                    "application/json",
                    body.clone(),
                ))],
            )
            .route("GET", "/api/v1/generation-jobs", [page(&[])]),
    );
    let output = studio(
        &server,
        &["frames", "generate-image", "--frame-id", "frm_1"],
    );
    assert_eq!(output.status.code(), Some(18), "{}", stderr(&output));
    let text = stderr(&output);
    assert!(text.contains(&format!("the response: {body}")), "{text}");
    assert!(text.contains("job_9"), "the id the server sent: {text}");
    assert!(text.starts_with("error: sent, outcome unknown: "), "{text}");
    super::habits::assert_plain(&text);
    assert!(text.contains("may have acted on it"), "{text}");
    assert!(text.contains("a second run may pay twice"), "{text}");
    assert_eq!(
        server.count("POST", "/api/v1/frames/frm_1/image/generate"),
        1
    );
}

#[test]
fn a_write_the_server_may_have_acted_on_exits_18_and_a_read_does_not() {
    let server = ScriptedServer::start(
        Script::new()
            .route("POST", "/api/v1/projects", [Step::Close])
            .route("GET", "/api/v1/projects/prj_1", [Step::Close]),
    );
    let write = studio(&server, &["projects", "create", "--name", "n"]);
    assert_eq!(write.status.code(), Some(18), "{}", stderr(&write));
    assert!(
        stderr(&write).starts_with("error: sent, outcome unknown: "),
        "exit 18's own first line: {}",
        stderr(&write)
    );
    assert!(
        stderr(&write).contains("the request was sent and the server may have acted on it"),
        "{}",
        stderr(&write)
    );
    assert_eq!(server.count("POST", "/api/v1/projects"), 1, "sent once");
    let read = studio(&server, &["projects", "get", "--project-id", "prj_1"]);
    assert_eq!(read.status.code(), Some(11), "{}", stderr(&read));
    assert!(
        !stderr(&read).contains("may have acted"),
        "{}",
        stderr(&read)
    );
}

/// `studio args…` against `server` on a pseudo-terminal (through
/// `script`), so that it draws its progress bars: everything it wrote.
fn on_a_terminal(server: &ScriptedServer, args: &[&str]) -> String {
    let command = std::iter::once(env!("CARGO_BIN_EXE_studio"))
        .chain(args.iter().copied())
        .map(|word| format!("'{}'", word.replace('\'', r"'\''")))
        .collect::<Vec<_>>()
        .join(" ");
    let output = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("STUDIO_BASE_URL", server.base_url())
        .env("STUDIO_API_KEY", "sk_test_hostile")
        .env("TERM", "xterm")
        .output()
        .expect("script (util-linux) runs");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn progress_bars_on_a_terminal_show_server_text_escaped() {
    let unknown = with(
        job("job_1", "queued"),
        "status",
        json!(format!("new {HOSTILE}")),
    );
    let done = with(
        with(job("job_1", "completed"), "progress", json!(100)),
        "result",
        json!({"image_url": "/files/shot\u{202e}gnp.exe"}),
    );
    let server = job_server(&unknown, &done);
    let drawn = on_a_terminal(&server, &["jobs", "wait", "job_1"]);
    assert!(drawn.contains("job_1"), "bars were drawn: {drawn:?}");
    for raw in [
        "\u{1b}]0;pwned",
        "\u{7}",
        "\u{9b}",
        "\u{9d}",
        "\u{202e}",
        "\u{1b}[2J",
    ] {
        assert!(!drawn.contains(raw), "{raw:?} raw in {drawn:?}");
    }
    assert!(drawn.contains(r"\x1b]0;pwned\x07"), "escaped: {drawn:?}");
}

#[test]
fn a_file_name_the_server_chose_never_makes_a_dotfile_or_a_disguised_name() {
    // The result's URLs are the server's own, read from the request.
    let done = Step::decide(|seen| {
        let host = seen
            .last()
            .and_then(|r| r.header("host"))
            .unwrap_or_default();
        let files = format!("http://{host}/files");
        let done = with(
            with(job("job_1", "completed"), "progress", json!(100)),
            "result",
            json!({
                "image_url": format!("{files}/.bashrc"),
                "video_url": format!("{files}/shot\u{202e}4pm.exe"),
                "audio_url": format!("{files}/voice.wav"),
            }),
        );
        match seen.last().map(|r| r.path.as_str()) {
            Some("/api/v1/generation-jobs") => page(&[done]),
            _ => data(200, &done),
        }
    });
    let server = ScriptedServer::start(
        Script::new()
            .route("GET", "/api/v1/generation-jobs/job_1", [done.clone()])
            .route("GET", "/api/v1/generation-jobs", [done])
            .route(
                "GET",
                "/files/voice.wav",
                [Step::Answer(Response::text(200, "audio/wav", "RIFF"))],
            ),
    );
    let dir = tempfile::tempdir().unwrap();
    let output = studio(
        &server,
        &[
            "jobs",
            "wait",
            "job_1",
            "--download",
            dir.path().to_str().unwrap(),
        ],
    );
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(15), "{text}");
    assert_nothing_raw(&output);
    let saved: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(saved, ["voice.wav"], "{text}");
    assert!(text.contains("hidden file"), "{text}");
    assert!(text.contains("not a plain file name"), "{text}");
}

/// A server whose `job_1` is completed with the result `result` makes
/// from the server's files URL, whose `job_2` stays queued, whose `job_3`
/// failed, and whose `/files/slow.png` sends its head and then nothing.
fn results_server(result: fn(&str) -> Value) -> ScriptedServer {
    let answer = move |seen: &[studio_tests::scripted::Seen]| {
        let request = seen.last().expect("the request");
        let files = format!(
            "http://{}/files",
            request.header("host").unwrap_or_default()
        );
        let done = with(
            with(job("job_1", "completed"), "progress", json!(100)),
            "result",
            result(&files),
        );
        let queued = job("job_2", "queued");
        let failed = with(job("job_3", "failed"), "error", json!("no lighthouse"));
        match request.path.as_str() {
            "/api/v1/generation-jobs" => page(&[done, queued, failed]),
            "/api/v1/generation-jobs/job_2" => data(200, &queued),
            "/api/v1/generation-jobs/job_3" => data(200, &failed),
            _ => data(200, &done),
        }
    };
    let route = |path: &str, script: Script| script.route("GET", path, [Step::decide(answer)]);
    let script = [
        "/api/v1/generation-jobs",
        "/api/v1/generation-jobs/job_1",
        "/api/v1/generation-jobs/job_2",
        "/api/v1/generation-jobs/job_3",
    ]
    .into_iter()
    .fold(Script::new(), |script, path| route(path, script));
    ScriptedServer::start(script.route(
        "GET",
        "/files/slow.png",
        [Step::Stall {
            response: Response::text(200, "image/png", vec![7u8; 1 << 20]),
            sent: 1024,
            pause: std::time::Duration::from_secs(30),
        }],
    ))
}

/// `studio args…` against `server`, sent SIGINT once `dir` holds a file
/// (a download under way): its output.
fn interrupted_while_saving(
    server: &ScriptedServer,
    args: &[&str],
    dir: &std::path::Path,
) -> Output {
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_studio"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("STUDIO_BASE_URL", server.base_url())
        .env("STUDIO_API_KEY", "sk_test_hostile")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let writing = || walk(dir).iter().any(|name| name.ends_with(".part"));
    while !writing() {
        assert!(std::time::Instant::now() < deadline, "a download began");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let signal = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(signal.success());
    child.wait_with_output().unwrap()
}

/// Every file name under `dir`, its folders' included.
fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        names.push(entry.file_name().to_string_lossy().into_owned());
        if entry.path().is_dir() {
            names.extend(walk(&entry.path()));
        }
    }
    names
}

#[test]
fn ctrl_c_stops_a_download_and_leaves_nothing_half_written() {
    let server = results_server(|_| json!({}));
    let url = format!(
        "{}/files/slow.png",
        server.base_url().trim_end_matches("/api/v1")
    );
    let dir = tempfile::tempdir().unwrap();
    let output = interrupted_while_saving(&server, &["download", &url], dir.path());
    assert_eq!(output.status.code(), Some(130), "{}", stderr(&output));
    assert_eq!(walk(dir.path()), Vec::<String>::new(), "nothing left");
}

#[test]
fn ctrl_c_stops_the_downloads_of_a_wait_and_the_resume_line_keeps_the_folder() {
    let server = results_server(|files| json!({"image_url": format!("{files}/slow.png")}));
    let dir = tempfile::tempdir().unwrap();
    let output = interrupted_while_saving(
        &server,
        &["jobs", "wait", "job_1", "--download", "saved here"],
        dir.path(),
    );
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(130), "{text}");
    assert_eq!(walk(dir.path()), ["saved here"], "an empty folder: {text}");
    assert!(
        text.contains("resume with: studio jobs wait job_1 --download 'saved here'"),
        "{text}"
    );
    let printed: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(printed["id"], "job_1", "printed before the downloads");
}

#[test]
fn a_failed_download_names_its_url_and_file_and_the_others_still_happen() {
    let server = results_server(
        |files| json!({"image_url": format!("{files}/.bashrc"), "audio_url": format!("{files}/gone.wav")}),
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let out = out.to_str().unwrap();
    let output = studio(&server, &["jobs", "wait", "job_1", "--download", out]);
    let text = stderr(&output);
    assert_eq!(
        output.status.code(),
        Some(15),
        "the first failure's: {text}"
    );
    assert!(text.contains("error: job_1: local file: the URL"), "{text}");
    assert!(text.contains("hidden file"), "{text}");
    assert!(text.contains("not found (HTTP 404)"), "{text}");
    let files = server.base_url().trim_end_matches("/api/v1").to_string() + "/files";
    assert!(
        text.contains(&format!("saving {files}/gone.wav to {out}/gone.wav")),
        "{text}"
    );
    assert!(text.contains("1 of 1 failed"), "{text}");
}

#[test]
fn a_wait_stopped_by_its_timeout_names_each_failure_downloads_nothing_more_and_resumes_into_the_folder()
 {
    let server = results_server(|files| json!({"image_url": format!("{files}/slow.png")}));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let out = out.to_str().unwrap();
    let args = [
        "jobs",
        "wait",
        "job_1",
        "job_2",
        "job_3",
        "--download",
        out,
        "--timeout",
        "1.5",
    ];
    let output = studio(&server, &args);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(14), "{text}");
    assert!(
        text.contains("error: job_3 failed: no lighthouse"),
        "{text}"
    );
    assert!(text.contains("1 of 3 failed"), "{text}");
    assert_eq!(
        walk(dir.path()),
        Vec::<String>::new(),
        "nothing downloaded: {text}"
    );
    assert_eq!(server.count("GET", "/files/slow.png"), 0, "{text}");
    assert!(
        text.contains(&format!(
            "resume with: studio jobs wait job_1 job_2 --download {out}"
        )),
        "{text}"
    );
}

#[test]
fn the_timeout_bounds_the_downloads_too() {
    let server = results_server(|files| json!({"image_url": format!("{files}/slow.png")}));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let out = out.to_str().unwrap();
    let started = std::time::Instant::now();
    let args = [
        "jobs",
        "wait",
        "job_1",
        "--download",
        out,
        "--timeout",
        "1.5",
    ];
    let output = studio(&server, &args);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(14), "{text}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "{text}"
    );
    assert_eq!(
        server.count("GET", "/files/slow.png"),
        1,
        "the download began: {text}"
    );
    assert_eq!(walk(dir.path()), ["out"], "no partial file: {text}");
    assert!(
        text.contains(&format!(
            "resume with: studio jobs wait job_1 --download {out}"
        )),
        "{text}"
    );
}

#[test]
fn an_unreadable_success_shows_a_bounded_part_of_a_huge_body() {
    let body = format!(r#"{{"success": true, "data": "{}"}}"#, "x".repeat(5 << 20));
    let server = ScriptedServer::start(Script::new().route(
        "GET",
        "/api/v1/projects/prj_1",
        [Step::Answer(Response::text(
            200,
            "application/json",
            body.clone(),
        ))],
    ));
    let output = studio(&server, &["projects", "get", "--project-id", "prj_1"]);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(12));
    assert!(text.len() < 80 << 10, "{} bytes on stderr", text.len());
    assert!(
        text.contains(&format!("(the first 65536 of {} bytes)", body.len())),
        "{}",
        &text[text.len() - 300..]
    );
}

#[test]
fn a_long_status_is_cut_in_progress_lines_and_bars() {
    let long = with(job("job_1", "queued"), "status", json!("s".repeat(1 << 20)));
    let done = with(job("job_1", "completed"), "progress", json!(100));
    let server = job_server(&long, &done);
    let output = studio(&server, &["jobs", "wait", "job_1"]);
    let text = stderr(&output);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        &text[..text.len().min(300)]
    );
    assert!(text.len() < 8 << 10, "{} bytes of progress", text.len());
    assert!(
        text.contains(&format!("(the first 1024 of {} bytes)", 1 << 20)),
        "{text}"
    );
    let drawn = on_a_terminal(&job_server(&long, &done), &["jobs", "wait", "job_1"]);
    assert!(drawn.len() < 64 << 10, "{} bytes drawn", drawn.len());
}

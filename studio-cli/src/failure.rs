//! Why a command failed, how that is told on stderr, and the exit code
//! of each kind of failure.
//!
//! Every report is plain words for a shell user: what happened, the
//! server's message (escaped, see `terminal`), the flags or variables to
//! check, and whether the request may have been acted on. One format per
//! exit code: the first line is `error: <what the code means>…`.

use crate::generated::COMMANDS;
use crate::table::Command;
use crate::terminal::{clipped, shell_word, shown};
use std::fmt::Write as _;
use std::path::PathBuf;
use studio_api::ErrorKind;

/// Why a command failed.
#[derive(Debug)]
pub enum Failure {
    /// The SDK's error, with its kind, status, message and request id.
    Api(studio_api::Error),
    /// A flag, file or body the command cannot use; nothing was sent.
    Input(String),
    /// The credential, URL or settings, from the flag or variable named
    /// in the message; nothing was sent.
    Config(String),
    /// A local file could not be read or written.
    Io(String),
    /// A response arrived but cannot be read or shown.
    Unreadable(String),
    /// Waiting stopped (Ctrl-C or `--timeout`) while the work goes on.
    Stopped {
        /// What stopped the wait.
        reason: &'static str,
        /// The ids still being worked on.
        ids: Vec<String>,
        /// The `--download` folder the resumed wait should save into.
        download: Option<PathBuf>,
    },
    /// A download failed: the URL, where it was going, and why.
    Saving {
        /// The URL.
        url: String,
        /// The file it was saved to.
        path: PathBuf,
        /// Why it failed.
        failure: Box<Failure>,
    },
    /// Some of several pieces of work failed: each failure with its id,
    /// in the order the ids were given, of `of` in all.
    Several {
        /// Each failure with its id.
        failures: Vec<(String, Failure)>,
        /// How many pieces of work there were.
        of: usize,
    },
}

impl Failure {
    /// Input the command cannot use.
    pub fn input(message: impl Into<String>) -> Self {
        Failure::Input(message.into())
    }

    /// A required flag that was not given.
    pub fn missing(flag: &str) -> Self {
        Failure::Input(format!("--{flag} is required"))
    }

    /// A local file that could not be read or written.
    pub fn io(message: impl Into<String>) -> Self {
        Failure::Io(message.into())
    }

    /// The process's exit code for this failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Api(error) if error.outcome_unknown() => OUTCOME_UNKNOWN,
            Failure::Api(error) => code(error.kind()),
            Failure::Input(_) => INVALID_INPUT,
            Failure::Config(_) => CONFIGURATION,
            Failure::Io(_) => IO,
            Failure::Unreadable(_) => UNREADABLE,
            Failure::Stopped { reason, .. } if *reason == INTERRUPTED => 130,
            Failure::Stopped { .. } => DEADLINE_PASSED,
            Failure::Several { failures, .. } => failures.first().map_or(1, |(_, f)| f.exit_code()),
            Failure::Saving { failure, .. } => failure.exit_code(),
        }
    }

    /// What stderr says.
    pub fn report(&self) -> String {
        match self {
            Failure::Api(error) => api_report(error),
            Failure::Input(message) => {
                format!("error: invalid input: {message}\n  nothing was sent")
            }
            Failure::Config(message) => {
                format!("error: configuration: {message}\n  nothing was sent")
            }
            Failure::Io(message) => format!("error: local file: {}", shown(message)),
            Failure::Unreadable(message) => format!(
                "error: the response could not be read: {}",
                shown(&in_json_words(message))
            ),
            Failure::Stopped { reason, ids, .. } if ids.is_empty() => {
                format!("error: stopped ({reason}); nothing half-written was left")
            }
            Failure::Stopped {
                reason,
                ids,
                download,
            } => {
                let mut words: Vec<String> = ids.iter().map(|id| shell_word(id)).collect();
                if let Some(dir) = download {
                    words.push("--download".into());
                    words.push(shell_word(&dir.to_string_lossy()));
                }
                format!(
                    "error: stopped waiting ({reason}); the work goes on: {}\n\
                     resume with: studio jobs wait {}",
                    ids.iter().map(|id| shown(id)).collect::<Vec<_>>().join(" "),
                    words.join(" "),
                )
            }
            Failure::Saving { url, path, failure } => format!(
                "{}\n  saving {} to {}",
                failure.report(),
                shown(url),
                shown(&path.display().to_string())
            ),
            Failure::Several { failures, of } => {
                let mut out = String::new();
                for (id, failure) in failures {
                    let report = failure.report();
                    let id = shown(id);
                    // Each failure names its id once.
                    let report = match report.contains(&*id) {
                        true => report,
                        false => report.replacen("error: ", &format!("error: {id}: "), 1),
                    };
                    let _ = writeln!(out, "{report}");
                }
                let mut failed: Vec<&String> = failures.iter().map(|(id, _)| id).collect();
                failed.dedup();
                let _ = write!(
                    out,
                    "error: {} of {of} failed; the exit code is the first failure's",
                    failed.len()
                );
                out
            }
        }
    }
}

impl From<studio_api::Error> for Failure {
    fn from(error: studio_api::Error) -> Self {
        Failure::Api(error)
    }
}

/// The report of an SDK error: what happened and its status, the server's
/// message, the fields it named (as flags), what to check, the command,
/// the request id, and whether the server may have acted.
fn api_report(error: &studio_api::Error) -> String {
    // Waiting is no command of its own: the id says what ended.
    let waited = matches!(
        error.kind(),
        ErrorKind::JobFailed { .. }
            | ErrorKind::JobCanceled { .. }
            | ErrorKind::DeadlinePassed { .. }
    );
    let command = command_of(error.operation()).filter(|_| !waited);
    let mut out = format!("error: {}", headline(error));
    for (field, problems) in error.field_errors() {
        let _ = write!(
            out,
            "\n  {}: {}",
            flag_of(field, command),
            shown(&problems.join("; "))
        );
    }
    // What the server sent, whole when the SDK kept it (a success it
    // could not read, which may name what a billed request made).
    match (error.body(), error.kind()) {
        (Some(body), _) if !body.is_empty() => {
            let body = String::from_utf8_lossy(body);
            let _ = write!(
                out,
                "\n  the response: {}",
                shown(&clipped(&body, BODY_SHOWN))
            );
        }
        (_, ErrorKind::UndecodableResponse { snippet }) if !snippet.is_empty() => {
            let _ = write!(out, "\n  the response began: {}", shown(snippet));
        }
        _ => {}
    }
    if let (_, Some(hint)) = plain(error.kind()) {
        let _ = write!(out, "\n  {hint}");
    }
    if let Some(command) = command {
        let _ = write!(out, "\n  command: studio {} {}", command.area, command.verb);
    }
    if let Some(id) = error.request_id() {
        let _ = write!(out, "\n  request id: {}", shown(id));
    }
    if error.outcome_unknown() {
        out.push_str(
            "\n  the request was sent and the server may have acted on it: \
             check (e.g. with a list command) before running it again",
        );
        if studio_api::operations::find(error.operation()).is_some_and(|o| o.paid) {
            out.push_str("; it is billed, so a second run may pay twice");
        }
    } else if matches!(
        error.kind(),
        ErrorKind::InvalidInput | ErrorKind::Configuration
    ) {
        out.push_str("\n  nothing was sent");
    }
    out
}

/// The first line of an error's report, without `error: `: what went
/// wrong and its status, then the server's message (escaped, cut when
/// long). It is also what a progress line says of work that ended in it.
pub fn headline(error: &studio_api::Error) -> String {
    let (what, _) = plain(error.kind());
    // Exit 18's own first line: whatever went wrong, it went wrong after
    // the request was sent.
    let mut out = match error.outcome_unknown() {
        true => format!("sent, outcome unknown: {what}"),
        false => what,
    };
    if let Some(status) = error.status() {
        let _ = write!(out, " (HTTP {})", status.as_u16());
    }
    let message = match error.kind() {
        ErrorKind::InvalidInput => in_flags(error.message(), command_of(error.operation())),
        ErrorKind::Configuration => in_shell_words(error.message()),
        ErrorKind::UndecodableResponse { .. } => in_json_words(error.message()),
        ErrorKind::JobFailed { message, .. } => reason(message.as_deref()).to_string(),
        _ => error.message().to_string(),
    };
    let _ = write!(out, ": {}", shown(&clipped(&message, MESSAGE_SHOWN)));
    out
}

/// A failed job's reason, as the server gave it.
pub fn reason(message: Option<&str>) -> &str {
    message.unwrap_or("no reason given")
}

/// What an error of `kind` means, in a shell user's words, and what to
/// check, if there is something.
fn plain(kind: &ErrorKind) -> (String, Option<String>) {
    let (what, hint): (String, Option<&str>) = match kind {
        ErrorKind::Unauthorized => (
            "the API key or token was refused".into(),
            Some("check STUDIO_API_KEY or --api-key (STUDIO_BEARER_TOKEN or --token for a token)"),
        ),
        ErrorKind::PaymentRequired => ("payment required: not enough credits".into(), None),
        ErrorKind::MissingScope { scope } => (
            format!("the credential lacks the scope {}", shown(scope)),
            Some("use an API key or token that has that scope"),
        ),
        ErrorKind::NotAvailableViaApiKey => (
            "this command needs a bearer token, not an API key".into(),
            Some("pass --token or set STUDIO_BEARER_TOKEN"),
        ),
        ErrorKind::Forbidden => ("forbidden".into(), None),
        ErrorKind::NotFound => ("not found".into(), None),
        ErrorKind::Validation { .. } => ("the server refused the input".into(), None),
        ErrorKind::RateLimited { .. } => (
            "rate limited, after the retries".into(),
            Some(
                "wait a minute and run it again; STUDIO_QUOTA_URL=redis://… paces every run \
                 that shares the key",
            ),
        ),
        ErrorKind::Server => ("the server failed".into(), None),
        ErrorKind::Timeout => ("timed out".into(), None),
        ErrorKind::Connection => (
            "could not connect".into(),
            Some("check --base-url or STUDIO_BASE_URL, and the network"),
        ),
        ErrorKind::UndecodableResponse { .. } => ("the response could not be read".into(), None),
        ErrorKind::InvalidInput => ("invalid input".into(), None),
        ErrorKind::Configuration => ("configuration".into(), None),
        ErrorKind::Io => ("local file".into(), None),
        ErrorKind::JobFailed { id, .. } => (format!("{} failed", shown(id)), None),
        ErrorKind::JobCanceled { id } => (format!("{} was canceled", shown(id)), None),
        ErrorKind::DeadlinePassed { id, .. } => {
            (format!("stopped waiting for {}", shown(id)), None)
        }
        _ => ("the server answered with an unexpected status".into(), None),
    };
    (what, hint.map(str::to_string))
}

/// The command of the operation `id`.
fn command_of(id: &str) -> Option<&'static Command> {
    COMMANDS.iter().find(|c| c.id == id)
}

/// The flag of the field `key` of `command`, if it has one.
fn flag(key: &str, command: Option<&Command>) -> Option<String> {
    command
        .and_then(|c| c.fields.iter().find(|f| f.key == key))
        .map(|f| format!("--{}", f.flag))
}

/// The flag of the field `key` of `command`, or the key when it has none.
fn flag_of(key: &str, command: Option<&Command>) -> String {
    flag(key, command).unwrap_or_else(|| shown(key).into_owned())
}

/// `message`, from the SDK about a request, with the field of `command`
/// it is about written as that field's flag: its first word (a setter's
/// `name: …`, a bound's `name must be …`) or the word after `parameter`.
fn in_flags(message: &str, command: Option<&Command>) -> String {
    let mut words: Vec<String> = message.split(' ').map(str::to_string).collect();
    for at in 0..words.len() {
        let named = at == 0 || words[at - 1] == "parameter";
        let word = words[at].trim_end_matches(':');
        if let (true, Some(flag)) = (named, flag(word, command)) {
            let rest = words[at][word.len()..].to_string();
            words[at] = flag + &rest;
        }
    }
    words.join(" ")
}

/// A configuration message of the SDK, about its builder's settings, in
/// the flags and variables of the CLI that set them.
pub fn in_shell_words(message: &str) -> String {
    const WORDS: [(&str, &str); 4] = [
        (
            "; pass the credential with .credential() instead",
            "; pass the key with STUDIO_API_KEY or --api-key instead",
        ),
        ("use https or .allow_insecure_http(true)", "use https"),
        ("shared_quota or STUDIO_QUOTA_URL", "STUDIO_QUOTA_URL"),
        (", or call .credential()", ""),
    ];
    WORDS
        .iter()
        .fold(message.to_string(), |text, (sdk, shell)| {
            text.replace(sdk, shell)
        })
}

/// `message`, from serde about JSON that does not fit a type, in JSON's
/// words rather than Rust's (`expected i32`, `struct Project`).
pub fn in_json_words(message: &str) -> String {
    const WORDS: [(&str, &str); 10] = [
        ("a nonzero u32", "a whole number from 1 to 4294967295"),
        (
            "expected i32",
            "expected a whole number from -2147483648 to 2147483647",
        ),
        (
            "expected u32",
            "expected a whole number from 0 to 4294967295",
        ),
        ("expected i64", "expected a whole number"),
        ("expected u64", "expected a whole number from 0"),
        ("expected f64", "expected a number"),
        ("invalid type: sequence", "invalid type: list"),
        ("invalid type: map", "invalid type: object"),
        ("expected a sequence", "expected a list"),
        ("expected a map", "expected an object"),
    ];
    let mut text = WORDS
        .iter()
        .fold(message.to_string(), |text, (rust, json)| {
            text.replace(rust, json)
        });
    // A type's name follows these; the words say what the JSON must be.
    for (before, instead) in [
        ("struct ", "an object"),
        ("a string value for ", "text"),
        ("enum ", "one of its values"),
    ] {
        while let Some(at) = text.find(before) {
            let name = at + before.len();
            let end = text[name..]
                .find(|c: char| !c.is_alphanumeric())
                .map_or(text.len(), |length| name + length);
            text.replace_range(at..end, instead);
        }
    }
    text
}

/// How much of an unreadable success's body a report shows: enough for
/// the ids of every job a large multi-shot starts, not a terminal's worth
/// of a hostile server's megabytes.
const BODY_SHOWN: usize = 64 << 10;
/// How much of a message a report shows.
const MESSAGE_SHOWN: usize = 4 << 10;

/// The reason a wait stopped on Ctrl-C.
pub const INTERRUPTED: &str = "interrupted";

const INVALID_INPUT: u8 = 17;
const CONFIGURATION: u8 = 16;
const IO: u8 = 15;
const UNREADABLE: u8 = 12;
const DEADLINE_PASSED: u8 = 14;
const OUTCOME_UNKNOWN: u8 = 18;

/// Every exit code: the code, what it means, and the `ErrorKind`s it
/// stands for.
pub const EXIT_CODES: &[(u8, &str, &[&str])] = &[
    (0, "success", &[]),
    (1, "an unexpected response status", &["UnexpectedStatus"]),
    (
        2,
        "usage: a flag or command that could not be parsed (see --help)",
        &[],
    ),
    (3, "authentication failed (401)", &["Unauthorized"]),
    (4, "payment required (402)", &["PaymentRequired"]),
    (
        5,
        "forbidden: a missing scope, an operation an API key may not call, or another 403",
        &["MissingScope", "NotAvailableViaApiKey", "Forbidden"],
    ),
    (6, "not found (404)", &["NotFound"]),
    (7, "validation failed (422)", &["Validation"]),
    (8, "rate limited (429) past the retries", &["RateLimited"]),
    (9, "server error (5xx)", &["Server"]),
    (10, "timed out", &["Timeout"]),
    (11, "could not connect", &["Connection"]),
    (
        UNREADABLE,
        "a response that could not be decoded",
        &["UndecodableResponse"],
    ),
    (
        13,
        "a job failed or was canceled",
        &["JobFailed", "JobCanceled"],
    ),
    (
        DEADLINE_PASSED,
        "a deadline (--timeout) passed while waiting; the work goes on",
        &["DeadlinePassed"],
    ),
    (IO, "a local file could not be read or written", &["Io"]),
    (
        CONFIGURATION,
        "configuration: the credential, URL or settings; nothing was sent",
        &["Configuration"],
    ),
    (
        INVALID_INPUT,
        "invalid input, refused before any request",
        &["InvalidInput"],
    ),
    (
        OUTCOME_UNKNOWN,
        "sent, outcome unknown: the server may have acted on it; check before running it again",
        &[],
    ),
    (
        130,
        "interrupted (Ctrl-C) while waiting; the work goes on",
        &[],
    ),
];

/// The exit code of an SDK error of `kind`.
pub fn code(kind: &ErrorKind) -> u8 {
    let name = kind_name(kind);
    EXIT_CODES
        .iter()
        .find(|(_, _, kinds)| kinds.contains(&name.as_str()))
        .map_or(1, |(code, _, _)| *code)
}

/// The variant's name of `kind`, as its `Debug` starts: one list of the
/// variants (`ErrorKind` itself), so a kind newer than the table is still
/// named, and exits 1.
fn kind_name(kind: &ErrorKind) -> String {
    let debug = format!("{kind:?}");
    debug
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The table for `studio --help` and the README.
pub fn exit_code_table() -> String {
    let mut out = String::from("Exit codes:\n");
    for (code, meaning, _) in EXIT_CODES {
        let _ = writeln!(out, "  {code:>3}  {meaning}");
    }
    out.push_str(
        "\nA request that was sent exits 18 whenever the server may have acted on it, \
         whatever the error. Waiting on several: every result is printed (failed ones \
         with their error), every failure is named on stderr, and the exit code is the \
         first failure's, in the order the ids were given.\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The variant names of `ErrorKind`, read from its source.
    fn error_kinds() -> Vec<String> {
        let source = include_str!("../../studio-api/src/error.rs");
        let body = source
            .split("pub enum ErrorKind {")
            .nth(1)
            .and_then(|rest| rest.split("\n}\n").next())
            .expect("error.rs declares ErrorKind");
        body.lines()
            .map(str::trim)
            .filter(|line| line.starts_with(|c: char| c.is_ascii_uppercase()))
            .map(|line| {
                line.split(|c: char| !c.is_alphanumeric())
                    .next()
                    .unwrap()
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn the_sdks_field_names_become_flags_where_a_message_names_its_field() {
        let create = command_of("create_project");
        let get = command_of("get_project");
        assert_eq!(
            in_flags("name: longer than 200 characters", create),
            "--name: longer than 200 characters"
        );
        assert_eq!(
            in_flags("the path parameter project_id is empty (\"\")", get),
            "the path parameter --project-id is empty (\"\")"
        );
        let prose = "the style of this name is not a name";
        assert_eq!(in_flags(prose, create), prose, "only the named field");
    }

    #[test]
    fn serdes_rust_words_become_jsons() {
        for (serde, plain) in [
            (
                "invalid value: integer `99999999999`, expected i32",
                "invalid value: integer `99999999999`, expected a whole number from -2147483648 to 2147483647",
            ),
            (
                "invalid value: integer `0`, expected a nonzero u32",
                "invalid value: integer `0`, expected a whole number from 1 to 4294967295",
            ),
            (
                "invalid type: sequence, expected a map",
                "invalid type: list, expected an object",
            ),
            (
                "invalid type: string \"x\", expected struct Project at line 1 column 30",
                "invalid type: string \"x\", expected an object at line 1 column 30",
            ),
            (
                "invalid type: integer `7`, expected a string value for AspectRatio",
                "invalid type: integer `7`, expected text",
            ),
        ] {
            assert_eq!(in_json_words(serde), plain);
        }
    }

    #[test]
    fn every_error_kind_has_one_exit_code_and_every_listed_kind_exists() {
        let kinds = error_kinds();
        assert!(kinds.len() >= 18, "{kinds:?}");
        for kind in &kinds {
            let rows = EXIT_CODES
                .iter()
                .filter(|(_, _, k)| k.contains(&kind.as_str()));
            assert_eq!(rows.count(), 1, "{kind} is in exactly one row");
        }
        for (_, _, listed) in EXIT_CODES {
            for kind in *listed {
                assert!(kinds.iter().any(|k| k == kind), "{kind} is an ErrorKind");
            }
        }
    }

    #[test]
    fn each_kind_maps_to_its_rows_code() {
        let cases = [
            (ErrorKind::Unauthorized, 3),
            (ErrorKind::PaymentRequired, 4),
            (ErrorKind::MissingScope { scope: "x".into() }, 5),
            (ErrorKind::NotAvailableViaApiKey, 5),
            (ErrorKind::Forbidden, 5),
            (ErrorKind::NotFound, 6),
            (
                ErrorKind::Validation {
                    errors: Default::default(),
                },
                7,
            ),
            (ErrorKind::RateLimited { retry_after: None }, 8),
            (ErrorKind::Server, 9),
            (ErrorKind::UnexpectedStatus, 1),
            (ErrorKind::Timeout, 10),
            (ErrorKind::Connection, 11),
            (
                ErrorKind::UndecodableResponse {
                    snippet: String::new(),
                },
                12,
            ),
            (ErrorKind::InvalidInput, 17),
            (ErrorKind::Configuration, 16),
            (ErrorKind::Io, 15),
            (
                ErrorKind::JobFailed {
                    id: "j".into(),
                    message: None,
                },
                13,
            ),
            (ErrorKind::JobCanceled { id: "j".into() }, 13),
            (
                ErrorKind::DeadlinePassed {
                    id: "j".into(),
                    last_status: None,
                    last_progress: None,
                },
                14,
            ),
        ];
        assert_eq!(cases.len(), error_kinds().len(), "a case for every kind");
        for (kind, expected) in cases {
            assert_eq!(code(&kind), expected, "{kind:?}");
        }
    }
}

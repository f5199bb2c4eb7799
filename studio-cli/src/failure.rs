//! Why a command failed, how that is told on stderr, and the exit code
//! of each kind of failure.

use std::fmt::Write as _;
use studio_api::ErrorKind;

/// Why a command failed.
#[derive(Debug)]
pub enum Failure {
    /// The SDK's error, with its kind, status, message and request id.
    Api(studio_api::Error),
    /// A flag, file or body the command cannot use; nothing was sent.
    Input(String),
    /// A local file could not be read or written.
    Io(String),
    /// Waiting stopped (Ctrl-C or `--timeout`) while the work goes on.
    Stopped {
        /// What stopped the wait.
        reason: &'static str,
        /// The ids still being worked on.
        ids: Vec<String>,
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
            Failure::Api(error) => code(error.kind()),
            Failure::Input(_) => INVALID_INPUT,
            Failure::Io(_) => IO,
            Failure::Stopped { reason, .. } if *reason == INTERRUPTED => 130,
            Failure::Stopped { .. } => DEADLINE_PASSED,
        }
    }

    /// What stderr says: the kind, status, message and request id, and for
    /// a stopped wait the ids and how to resume.
    pub fn report(&self) -> String {
        match self {
            Failure::Api(error) => {
                let mut out = format!("error: {}", kind_name(error.kind()));
                if let Some(status) = error.status() {
                    let _ = write!(out, " (HTTP {})", status.as_u16());
                }
                let _ = write!(out, " in {}: {}", error.operation(), error.message());
                for (field, problems) in error.field_errors() {
                    let _ = write!(out, "\n  {field}: {}", problems.join("; "));
                }
                if let Some(id) = error.request_id() {
                    let _ = write!(out, "\n  request id: {id}");
                }
                if error.outcome_unknown() {
                    out.push_str("\n  the server may have acted on the request");
                }
                out
            }
            Failure::Input(message) => format!("error: invalid input: {message}"),
            Failure::Io(message) => format!("error: i/o: {message}"),
            Failure::Stopped { reason, ids } => format!(
                "stopped waiting ({reason}); the work goes on: {ids}\n\
                 resume with: studio jobs wait {ids}",
                ids = ids.join(" "),
            ),
        }
    }
}

impl From<studio_api::Error> for Failure {
    fn from(error: studio_api::Error) -> Self {
        Failure::Api(error)
    }
}

/// The reason a wait stopped on Ctrl-C.
pub const INTERRUPTED: &str = "interrupted";

const INVALID_INPUT: u8 = 17;
const IO: u8 = 15;
const DEADLINE_PASSED: u8 = 14;

/// Every exit code: the code, what it means, and the `ErrorKind`s it
/// stands for.
pub const EXIT_CODES: &[(u8, &str, &[&str])] = &[
    (0, "success", &[]),
    (1, "an unexpected response status", &["UnexpectedStatus"]),
    (2, "usage: a flag or command clap could not parse", &[]),
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
        12,
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
        16,
        "configuration: the credential, URL or settings",
        &["Configuration"],
    ),
    (
        INVALID_INPUT,
        "invalid input, refused before any request",
        &["InvalidInput"],
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

//! The promises, as checks of what a case's client returned against what
//! the servers logged, and the time each operation may take.

use super::play::{self, Files, Observed, Outcome};
use super::{Case, Fault, Operation, RetryAfter};
use crate::edges::Answer;
use crate::edges::Op;
use serde_json::Value;
use std::fmt;
use std::time::Duration;
use studio_api::types::{GenerationJob, JobStatus};
use studio_api::{Error, ErrorKind};
use studio_tests::scripted::Seen;

/// What a call or wait may take past its deadline or its bound: generous
/// for a loaded 2-core machine.
pub const SLACK: Duration = Duration::from_millis(500);
/// What pacing may add to a request after a 429 emptied the budget (it
/// refills at one request a second for an API key).
const PACED: Duration = Duration::from_millis(1100);
/// The longest backoff step the cases' clients use.
const BACKOFF: Duration = Duration::from_millis(5);
/// How long past its bound a client is waited for before it is given up.
const GRACE: Duration = Duration::from_millis(500);

/// A promise, each a way of breaking one of README's; numbered as the
/// invariants of the checker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    BilledResent,
    ReadOutcomeUnknown,
    RefusedOutcomeUnknown,
    UnsentOutcomeUnknown,
    RefusedWriteOutcomeUnknown,
    ReadWriteNotUnknown,
    FewerAttemptsThanArrivals,
    MoreAttemptsThanRetries,
    AttemptsUnread,
    StatusLost,
    RequestIdLost,
    PastDeadline,
    PastBound,
    WaitPastDeadline,
    WaitPastBound,
    Hung,
    WrongJob,
    WrongWaitResult,
    CredentialLeaked,
    HeaderLeaked,
    VictimWritten,
    StrayFile,
    WrongDownload,
    Panicked,
    NotAsSent,
}

impl Rule {
    /// The invariant it belongs to, and what it says.
    fn promise(self) -> (u8, &'static str) {
        match self {
            Rule::BilledResent => (
                1,
                "a billed request arrived again after an answer other than 429",
            ),
            Rule::ReadOutcomeUnknown => (2, "a failed read reported outcome_unknown()"),
            Rule::RefusedOutcomeUnknown => (
                2,
                "a write whose connections were refused reported outcome_unknown()",
            ),
            Rule::UnsentOutcomeUnknown => (
                2,
                "a write that never reached the server reported outcome_unknown()",
            ),
            Rule::RefusedWriteOutcomeUnknown => (
                2,
                "a write whose last arrival got a 4xx, with no later attempt, reported outcome_unknown()",
            ),
            Rule::ReadWriteNotUnknown => (
                2,
                "a write the server read and gave no 4xx reported !outcome_unknown()",
            ),
            Rule::FewerAttemptsThanArrivals => {
                (3, "attempts() is less than the arrivals the server logged")
            }
            Rule::MoreAttemptsThanRetries => (3, "attempts() exceeds max_retries + 1"),
            Rule::AttemptsUnread => (
                3,
                "attempts() differs from the arrivals though every attempt was read",
            ),
            Rule::StatusLost => (3, "the error lacks the last response's status"),
            Rule::RequestIdLost => (3, "the error lacks the last response's x-request-id"),
            Rule::PastDeadline => (4, "a call returned past its deadline + slack"),
            Rule::PastBound => (
                4,
                "a call returned past the bound of its timeouts, retries and waits",
            ),
            Rule::WaitPastDeadline => (4, "wait_until(d) returned past d + timeout + slack"),
            Rule::WaitPastBound => (4, "wait() returned past the bound of its polls and waits"),
            Rule::Hung => (4, "the operation had not returned well past its bound"),
            Rule::WrongJob => (
                5,
                "a recovered answer is not the job the server started for the submission",
            ),
            Rule::WrongWaitResult => (5, "a wait returned a state that is not its job's"),
            Rule::CredentialLeaked => (6, "the credential reached another origin"),
            Rule::HeaderLeaked => (6, "an option header reached another origin"),
            Rule::VictimWritten => (7, "a download wrote through the symlink at <target>.part"),
            Rule::StrayFile => (7, "a download left a file it did not finish"),
            Rule::WrongDownload => (
                7,
                "a successful download's target does not hold exactly the body",
            ),
            Rule::Panicked => (8, "the client panicked"),
            Rule::NotAsSent => (
                9,
                "an answer does not serialise back to what the server sent (a newer server's values and fields)",
            ),
        }
    }
}

/// A broken promise, with what showed it.
#[derive(Debug, Clone)]
pub struct Violation {
    pub rule: Rule,
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (number, promise) = self.rule.promise();
        write!(
            f,
            "invariant {number} ({:?}): {promise}: {}",
            self.rule, self.detail
        )
    }
}

/// Collects the violations of one case.
struct Verdict(Vec<Violation>);

impl Verdict {
    fn broken(&mut self, rule: Rule, detail: impl Into<String>) {
        self.0.push(Violation {
            rule,
            detail: detail.into(),
        });
    }

    fn unless(&mut self, kept: bool, rule: Rule, detail: impl FnOnce() -> String) {
        if !kept {
            self.broken(rule, detail());
        }
    }
}

/// Every promise `case` broke, as `observed` shows.
pub fn check(case: &Case, observed: &Observed) -> Vec<Violation> {
    let mut verdict = Verdict(Vec::new());
    leaks(&observed.other, &mut verdict);
    let op = play::op(&case.operation);
    if let Some(op) = op.as_ref().filter(|op| op.billed()) {
        billed_once(&own(op, &observed.api), &mut verdict);
    }
    match &observed.outcome {
        Outcome::Panicked(message) => verdict.broken(Rule::Panicked, message.clone()),
        Outcome::Hung(limit) => {
            verdict.broken(Rule::Hung, format!("still running after {limit:?}"))
        }
        Outcome::Call(result, took) => call(
            case,
            op.as_ref().expect("a call"),
            observed,
            result,
            *took,
            &mut verdict,
        ),
        Outcome::Waits(waits) => {
            for (id, result, at) in waits {
                wait(case, id, result, *at, &mut verdict);
            }
        }
        Outcome::Download(result, took) => {
            let files = observed.files.as_ref().expect("the download's files");
            download(case, result, *took, files, &mut verdict);
        }
    }
    verdict.0
}

/// How long the client is waited for before the case is given up as hung.
pub fn limit(case: &Case) -> Duration {
    let bound = bound(case);
    let deadline = deadline(case).map_or(bound, |d| d.min(bound));
    deadline + SLACK + GRACE
}

fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

/// The wait a `Retry-After` asks for, if `fault` carries one.
fn hint(fault: Fault) -> Option<Duration> {
    match fault {
        Fault::TooMany(RetryAfter::Seconds(n) | RetryAfter::Date(n)) => {
            Some(Duration::from_secs(n))
        }
        Fault::TooMany(RetryAfter::Huge) => Some(Duration::from_secs(3600)),
        Fault::RetryAfterOnOk => Some(Duration::from_secs(30)),
        _ => None,
    }
}

/// The longest a call may wait between two attempts on a route that
/// meets `faults`: a backoff step or a hint within the cap, and pacing.
fn between(case: &Case, faults: &[Fault]) -> Duration {
    let cap = ms(case.settings.retry_after_cap_ms);
    let hinted = faults
        .iter()
        .filter_map(|f| hint(*f))
        .filter(|h| *h <= cap)
        .max()
        .unwrap_or_default();
    hinted.max(BACKOFF) + paced(case)
}

fn paced(case: &Case) -> Duration {
    if case.settings.pacing {
        PACED
    } else {
        Duration::ZERO
    }
}

/// The longest one call on a route that meets `faults` may take.
fn call_bound(case: &Case, faults: &[Fault]) -> Duration {
    let s = &case.settings;
    ms(s.timeout_ms) * (s.max_retries + 1) + between(case, faults) * s.max_retries
}

/// The longest `case`'s operation may take with no deadline.
fn bound(case: &Case) -> Duration {
    let s = &case.settings;
    let timeout = ms(s.timeout_ms);
    match &case.operation {
        Operation::Read | Operation::Write => call_bound(case, &case.faults.0),
        Operation::Billed | Operation::MultiShot => {
            call_bound(case, &case.faults.0) + call_bound(case, &case.lookup.0)
        }
        Operation::Wait { done_ms, .. } => {
            let cap = ms(s.retry_after_cap_ms);
            let poll = ms(s.poll_max_ms);
            let wait_after = |fault: Fault| match (fault, hint(fault)) {
                (Fault::RetryAfterOnOk, Some(h)) => h.min(cap),
                (_, Some(h)) if h <= cap => h.max(poll),
                _ => poll,
            };
            let faults: Duration = case
                .faults
                .0
                .iter()
                .map(|f| timeout + wait_after(*f) + paced(case))
                .sum();
            ms(*done_ms) + faults + (timeout + poll + paced(case)) * 2
        }
        // Each wait is held to its own deadline; this bound only says how
        // long to wait for a late one, so that its lateness is measured.
        Operation::Coalesced { until_ms, .. } => {
            let last = ms(until_ms.0.iter().copied().max().unwrap_or(0));
            last + timeout + call_bound(case, &case.lookup.0) + call_bound(case, &case.faults.0)
        }
        Operation::Download { .. } => timeout,
    }
}

/// The deadline `case`'s operation must keep, if it has one.
fn deadline(case: &Case) -> Option<Duration> {
    let timeout = ms(case.settings.timeout_ms);
    match &case.operation {
        Operation::Wait { until_ms, .. } => until_ms.map(|u| ms(u) + timeout),
        Operation::Coalesced { .. } | Operation::Download { .. } => None,
        _ => case.settings.deadline_ms.map(ms),
    }
}

/// The requests of `op` the server read, with their places in its log.
fn own<'a>(op: &Op, log: &'a [Seen]) -> Vec<(usize, &'a Seen)> {
    log.iter()
        .enumerate()
        .filter(|(_, s)| s.method == op.method() && s.path == op.path())
        .collect()
}

/// The fault of the `n`th request of a route with `faults`.
fn fault_at(faults: &[Fault], n: usize) -> Fault {
    faults.get(n).copied().unwrap_or(Fault::Answer)
}

/// Invariant 9: an answer serialises back; from a newer server, with the
/// values and the field this version does not know as they were sent.
fn as_sent(json: &Result<Value, String>, newer: bool, verdict: &mut Verdict) {
    let json = match json {
        Ok(json) => json,
        Err(error) => return verdict.broken(Rule::NotAsSent, format!("not serialised: {error}")),
    };
    if !newer {
        return;
    }
    let objects: Vec<&Value> = match json {
        Value::Array(items) => items.iter().collect(),
        object => vec![object],
    };
    for object in objects {
        let kept = object[play::NEWER_FIELD] == play::newer_value()
            && object
                .get("aspect_ratio")
                .is_none_or(|v| v == play::NEWER_ASPECT_RATIO)
            && object.get("status").is_none_or(|v| v == play::NEWER_STATUS);
        verdict.unless(kept, Rule::NotAsSent, || format!("serialised as {object}"));
    }
}

/// Invariant 1.
fn billed_once(own: &[(usize, &Seen)], verdict: &mut Verdict) {
    let answers: Vec<_> = own.iter().map(|(_, s)| s.answered).collect();
    let resent = answers.len() > 1 && answers[..answers.len() - 1].iter().any(|a| *a != Some(429));
    verdict.unless(!resent, Rule::BilledResent, || {
        format!("arrivals answered {answers:?}")
    });
}

/// Invariant 6.
fn leaks(other: &[Seen], verdict: &mut Verdict) {
    for seen in other {
        let at = || format!("{} {} carried {}", seen.method, seen.path, seen.head);
        let credential = seen.header("authorization").or(seen.header("x-api-key"));
        verdict.unless(credential.is_none(), Rule::CredentialLeaked, at);
        verdict.unless(seen.header("x-checker").is_none(), Rule::HeaderLeaked, at);
    }
}

/// What an error said, for a violation's detail.
fn summary(error: &Error) -> String {
    format!(
        "{:?}, status {:?}, request id {:?}, outcome_unknown {}, attempts {}: {error}",
        error.kind(),
        error.status().map(|s| s.as_u16()),
        error.request_id(),
        error.outcome_unknown(),
        error.attempts()
    )
}

/// Invariants 2 to 5 for a call.
fn call(
    case: &Case,
    op: &Op,
    observed: &Observed,
    result: &Result<Answer, Error>,
    took: Duration,
    verdict: &mut Verdict,
) {
    let bound = bound(case);
    verdict.unless(took <= bound + SLACK, Rule::PastBound, || {
        format!("took {took:?}, bound {bound:?}")
    });
    if let Some(deadline) = deadline(case) {
        verdict.unless(took <= deadline + SLACK, Rule::PastDeadline, || {
            format!("took {took:?}, deadline {deadline:?}")
        });
    }
    let own = own(op, &observed.api);
    let error = match result {
        Ok(answer) => {
            let ids = &answer.ids;
            let started: Vec<String> = play::started_jobs(op).into_iter().map(|j| j.0).collect();
            if op.billed() {
                verdict.unless(*ids == started, Rule::WrongJob, || {
                    format!("answered {ids:?}, the server started {started:?}")
                });
            }
            // The last arrival's answer is the call's, unless a lookup
            // found the jobs instead.
            let answered_by = own
                .len()
                .checked_sub(1)
                .map(|last| fault_at(&case.faults.0, last));
            let direct = own
                .last()
                .is_some_and(|(_, s)| s.answered == Some(op.status()));
            as_sent(
                &answer.json,
                direct && answered_by == Some(Fault::Newer),
                verdict,
            );
            return;
        }
        Err(error) => error,
    };
    let last = own.last().copied();
    let unknown = error.outcome_unknown();
    let read = op.method() == "GET";
    let s = summary(error);
    // An attempt after the last arrival that the server closed unread:
    // the client cannot tell whether it was sent.
    let unread_later = observed
        .api_unread
        .iter()
        .filter(|at| last.is_none_or(|(_, seen)| **at > seen.at))
        .count();
    if read {
        verdict.unless(!unknown, Rule::ReadOutcomeUnknown, || s.clone());
    } else if case.refused {
        verdict.unless(!unknown, Rule::RefusedOutcomeUnknown, || s.clone());
    } else if unread_later == 0 {
        match last.map(|(_, seen)| seen.answered) {
            None => verdict.unless(!unknown, Rule::UnsentOutcomeUnknown, || s.clone()),
            Some(Some(status)) if (400..500).contains(&status) => {
                verdict.unless(!unknown, Rule::RefusedWriteOutcomeUnknown, || {
                    format!("last arrival answered {status}; {s}")
                })
            }
            Some(answered) => verdict.unless(unknown, Rule::ReadWriteNotUnknown, || {
                format!("last arrival answered {answered:?}; {s}")
            }),
        }
    }
    let attempts = error.attempts() as usize;
    let retries = case.settings.max_retries as usize;
    verdict.unless(
        attempts >= own.len(),
        Rule::FewerAttemptsThanArrivals,
        || format!("{} arrivals; {s}", own.len()),
    );
    verdict.unless(
        attempts <= retries + 1,
        Rule::MoreAttemptsThanRetries,
        || s.clone(),
    );
    if !case.refused {
        let most = own.len() + observed.api_unread.len();
        verdict.unless(attempts <= most, Rule::AttemptsUnread, || {
            format!(
                "{} arrivals, {} connections closed unread; {s}",
                own.len(),
                observed.api_unread.len()
            )
        });
    }
    if let Some((index, seen)) = last
        && let Some(status) = seen.answered
        && attempts == own.len()
    {
        let got = error.status().map(|s| s.as_u16());
        verdict.unless(got == Some(status), Rule::StatusLost, || {
            format!("last arrival answered {status}; {s}")
        });
        let id = format!("req-{index}");
        verdict.unless(
            error.request_id() == Some(id.as_str()),
            Rule::RequestIdLost,
            || format!("last arrival answered {status} as {id}; {s}"),
        );
    }
}

/// Invariants 2 to 5 for the wait on `id`, which returned `at` after the start.
fn wait(
    case: &Case,
    id: &str,
    result: &Result<GenerationJob, Error>,
    at: Duration,
    verdict: &mut Verdict,
) {
    let timeout = ms(case.settings.timeout_ms);
    let until = match &case.operation {
        Operation::Wait { until_ms, .. } => *until_ms,
        Operation::Coalesced { until_ms, .. } => {
            let index = play::coalesced_ids(until_ms.0.len())
                .iter()
                .position(|i| i == id);
            index.map(|i| until_ms.0[i])
        }
        _ => None,
    };
    match until {
        Some(until) => {
            let most = ms(until) + timeout + SLACK;
            verdict.unless(at <= most, Rule::WaitPastDeadline, || {
                format!("{id} returned {at:?} after the start, its deadline {until} ms, timeout {timeout:?}")
            });
        }
        None => {
            let bound = bound(case);
            verdict.unless(at <= bound + SLACK, Rule::WaitPastBound, || {
                format!("{id} returned {at:?} after the start, bound {bound:?}")
            });
        }
    }
    match result {
        Ok(job) => {
            verdict.unless(
                job.id == id && job.status == JobStatus::Completed,
                Rule::WrongWaitResult,
                || format!("the wait on {id} returned {} {}", job.id, job.status),
            );
            as_sent(
                &serde_json::to_value(job).map_err(|e| e.to_string()),
                false,
                verdict,
            );
        }
        Err(error) => {
            let own = match error.kind() {
                ErrorKind::DeadlinePassed { id: got, .. } => got == id,
                ErrorKind::JobFailed { .. } | ErrorKind::JobCanceled { .. } => false,
                _ => true,
            };
            verdict.unless(own, Rule::WrongWaitResult, || {
                format!("the wait on {id}: {}", summary(error))
            });
            verdict.unless(!error.outcome_unknown(), Rule::ReadOutcomeUnknown, || {
                summary(error)
            });
            let retries = case.settings.max_retries;
            verdict.unless(
                error.attempts() <= retries + 1,
                Rule::MoreAttemptsThanRetries,
                || summary(error),
            );
        }
    }
}

/// Invariants 4 and 7 for a download.
fn download(
    case: &Case,
    result: &Result<u64, Error>,
    took: Duration,
    files: &Files,
    verdict: &mut Verdict,
) {
    let bound = bound(case);
    verdict.unless(took <= bound + SLACK, Rule::PastBound, || {
        format!("took {took:?}, bound {bound:?}")
    });
    verdict.unless(
        files.victim == play::VICTIM_TEXT,
        Rule::VictimWritten,
        || {
            format!(
                "the victim holds {} bytes: {:?}",
                files.victim.len(),
                result.as_ref().map_err(summary)
            )
        },
    );
    let Operation::Download { size, symlink } = case.operation else {
        return;
    };
    let mut expected = vec![play::VICTIM.to_string()];
    if symlink {
        // The symlink is the test's own; a client may leave it or remove it.
        expected.push(play::PARTIAL.to_string());
    }
    match result {
        Ok(written) => {
            expected.push(play::TARGET.to_string());
            let first = case.faults.0.first().copied().unwrap_or(Fault::Answer);
            let body = play::delivered(first, size);
            let held = files.target.as_ref();
            verdict.unless(
                held.is_some()
                    && held == body.as_ref()
                    && *written as usize == held.map_or(0, Vec::len),
                Rule::WrongDownload,
                || {
                    format!(
                        "wrote {written}, the target holds {:?} bytes, the server sent {:?}",
                        held.map(Vec::len),
                        body.as_ref().map(Vec::len)
                    )
                },
            );
        }
        Err(error) => verdict.unless(!files.target_exists, Rule::StrayFile, || {
            format!("the target exists after {}", summary(error))
        }),
    }
    let stray: Vec<&String> = files
        .names
        .iter()
        .filter(|n| !expected.contains(n))
        .collect();
    verdict.unless(stray.is_empty(), Rule::StrayFile, || {
        format!(
            "left {stray:?} after {:?}",
            result.as_ref().map_err(summary)
        )
    });
}

//! Waiting on generation jobs, exports and renders with progress: `--wait`
//! on the commands that start them, and `studio jobs wait ID…`, which waits
//! on many at once through the SDK's coalesced waiting.
//!
//! On a terminal each piece of work has a bar (status and percent) under a
//! total; otherwise a line goes to stderr whenever one changes. Ctrl-C or
//! `--timeout` stops waiting, never the work, and says how to resume.

use crate::failure::{Failure, INTERRUPTED};
use crate::files;
use crate::reply::{print, to_json};
use crate::table::Starts;
use crate::terminal::{clipped, say, shown};
use clap::{Arg, ArgAction, ArgMatches, value_parser};
use futures_util::StreamExt;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Deserialize;
use serde_json::Value;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;
use studio_api::types::{Export, GenerationJob, JobStatus, Render};
use studio_api::{Client, ErrorKind, Handle, Pollable, Work, progress_all};

/// `studio jobs wait ID…`.
pub fn command() -> clap::Command {
    let command = clap::Command::new("wait")
        .about("Wait for generation jobs, exports or renders (job_…, exp_…, rnd_…) to finish.")
        .long_about(
            "Wait for generation jobs, exports or renders to finish, all at once: their \
             polls are shared, a listing per project rather than a request per job. Prints \
             each one's final state. Stopping (Ctrl-C or --timeout) never cancels the work.",
        )
        .arg(
            Arg::new("id")
                .value_name("ID")
                .required(true)
                .num_args(1..)
                .help("Ids of generation jobs (job_…), exports (exp_…) or renders (rnd_…)."),
        );
    limits(command)
}

/// `--wait`, and `--timeout` and `--download`, which need it, for a
/// command that starts work.
pub fn wait_flags(command: clap::Command) -> clap::Command {
    limits(
        command.arg(
            Arg::new("wait")
                .long("wait")
                .action(ArgAction::SetTrue)
                .help("Wait until the work is done, with progress, and print its final state."),
        ),
    )
    .mut_arg("timeout", |arg| arg.requires("wait"))
    .mut_arg("download", |arg| arg.requires("wait"))
}

fn limits(command: clap::Command) -> clap::Command {
    command
        .arg(
            Arg::new("timeout")
                .long("timeout")
                .value_name("SECONDS")
                .value_parser(seconds)
                .help("Stop waiting and downloading after this long (the work goes on); exit code 14."),
        )
        .arg(
            Arg::new("download")
                .long("download")
                .value_name("DIR")
                .value_parser(value_parser!(PathBuf))
                .help("Save what the finished work produced into DIR, with progress."),
        )
}

/// The response of a command that started work, printed as it is, or,
/// with `--wait`, the work's final state once it is done.
pub async fn started(
    client: &Client,
    starts: Starts,
    value: Value,
    matches: &ArgMatches,
) -> Result<(), Failure> {
    if !matches.get_flag("wait") {
        return print(&value);
    }
    let handles: Result<Vec<Handle<Work>>, _> = match starts {
        Starts::Jobs => match &value {
            Value::Array(jobs) => jobs
                .iter()
                .map(|job| GenerationJob::deserialize(job).map(|job| client.job(&job).into_work()))
                .collect(),
            single => {
                GenerationJob::deserialize(single).map(|job| vec![client.job(&job).into_work()])
            }
        },
        Starts::Export => {
            Export::deserialize(&value).map(|export| vec![client.export(&export).into_work()])
        }
        Starts::Render => {
            Render::deserialize(&value).map(|render| vec![client.render(&render).into_work()])
        }
    };
    match handles {
        Ok(handles) => wait(client, handles, matches).await,
        Err(e) => {
            // The work was started: what the server said is printed, so
            // that its id is not lost.
            print(&value)?;
            Err(Failure::Unreadable(format!(
                "the work was started, but its response cannot be waited on: {e}"
            )))
        }
    }
}

/// `studio jobs wait ID…`.
pub async fn wait_ids(client: &Client, matches: &ArgMatches) -> Result<(), Failure> {
    let handles = matches
        .get_many::<String>("id")
        .into_iter()
        .flatten()
        .map(|id| match id.split_once('_').map(|(prefix, _)| prefix) {
            Some("job") => Ok(client.job_by_id(id).into_work()),
            Some("exp") => Ok(client.export_by_id(id).into_work()),
            Some("rnd") => Ok(client.render_by_id(id).into_work()),
            _ => Err(Failure::input(format!(
                "{} is not the id of a job (job_…), export (exp_…) or render (rnd_…)",
                shown(id)
            ))),
        })
        .collect::<Result<Vec<_>, _>>()?;
    wait(client, handles, matches).await
}

/// Where one piece of work got to.
#[derive(Default)]
struct Tracked {
    /// The last state the server sent for it.
    last: Option<Work>,
    /// How it ended: `None` while it goes on.
    end: Option<Result<(), studio_api::Error>>,
}

/// Waits on every handle with progress, prints the last state of each
/// (one, or an array of all, in order: the final state the server sent, a
/// failed one's included), then downloads what the finished ones made
/// (with `--download`). Some failing fails the command after all of that;
/// `--timeout` or Ctrl-C stops the wait or the downloads, with the same
/// output and a resume line for what was left.
async fn wait(
    client: &Client,
    handles: Vec<Handle<Work>>,
    matches: &ArgMatches,
) -> Result<(), Failure> {
    let ids: Vec<String> = handles.iter().map(|h| h.id().to_string()).collect();
    let mut tracked: Vec<Tracked> = ids.iter().map(|_| Tracked::default()).collect();
    let mut display = Display::new(&ids);
    let mut changes = progress_all(handles);
    let timeout = matches.get_one::<Duration>("timeout").copied();
    // `--timeout` bounds the downloads too; without it, none (tokio
    // reads an end past its range as far in the future).
    let deadline = tokio::time::sleep(timeout.unwrap_or(Duration::MAX));
    tokio::pin!(deadline);
    let interrupt = tokio::signal::ctrl_c();
    tokio::pin!(interrupt);
    let stopped = loop {
        tokio::select! {
            change = changes.next() => match change {
                None => break None,
                Some((index, state)) => {
                    display.show(index, &state);
                    let entry = &mut tracked[index];
                    match state {
                        Ok(work) => {
                            if is_final(work.status()) {
                                entry.end = Some(Ok(()));
                            }
                            entry.last = Some(work);
                        }
                        Err(error) => {
                            if let Some(work) = error.final_state() {
                                entry.last = Some(work.clone());
                            }
                            entry.end = Some(Err(error));
                        }
                    }
                }
            },
            _ = &mut deadline => break Some("--timeout passed"),
            _ = &mut interrupt => break Some(INTERRUPTED),
        }
    };
    display.finish();
    drop(changes);
    let unfinished: Vec<&String> = ids
        .iter()
        .zip(&tracked)
        .filter(|(_, entry)| entry.end.is_none())
        .map(|(id, _)| id)
        .collect();
    let mut failures = Vec::new();
    let mut downloads = Vec::new();
    for (id, entry) in ids.iter().zip(&mut tracked) {
        match (entry.end.take(), &entry.last) {
            (Some(Ok(())), Some(work)) => {
                downloads.extend(result_urls(work).into_iter().map(|url| (id.clone(), url)));
            }
            (Some(Err(error)), _) => failures.push((id.clone(), Failure::Api(error))),
            _ => {}
        }
    }
    // Printed before any download, so that what the server said is out
    // whatever happens to them.
    let mut values: Vec<Value> = ids
        .iter()
        .zip(&tracked)
        .map(|(id, entry)| match &entry.last {
            Some(work) => work_json(work),
            None => Ok(serde_json::json!({ "id": id })),
        })
        .collect::<Result<_, _>>()?;
    print(&if values.len() == 1 {
        values.remove(0)
    } else {
        Value::Array(values)
    })?;
    let dir = matches.get_one::<PathBuf>("download");
    let mut stopped = stopped;
    // After a stop nothing more is done: resuming downloads.
    let mut saved = 0;
    if let (Some(dir), None) = (dir, stopped) {
        let saving = async {
            for (id, url) in &downloads {
                if let Err(failure) = files::download_into(client, url, dir).await {
                    failures.push((id.clone(), failure));
                }
                saved += 1;
            }
        };
        // The download a stop cuts leaves nothing.
        tokio::select! {
            () = saving => {}
            _ = &mut deadline => stopped = Some("--timeout passed"),
            _ = &mut interrupt => stopped = Some(INTERRUPTED),
        }
    }
    let unsaved: Vec<&String> = match dir {
        Some(_) => downloads[saved..].iter().map(|(id, _)| id).collect(),
        None => Vec::new(),
    };
    // The first failure is the first id's.
    failures.sort_by_key(|(id, _)| ids.iter().position(|i| i == id));
    if let Some(reason) = stopped {
        if !failures.is_empty() {
            say(&Failure::Several {
                failures,
                of: ids.len(),
            }
            .report());
        }
        let resume = ids
            .iter()
            .filter(|id| unfinished.contains(id) || unsaved.contains(id))
            .cloned()
            .collect();
        return Err(Failure::Stopped {
            reason,
            ids: resume,
            download: dir.cloned(),
        });
    }
    match failures.len() {
        0 => Ok(()),
        1 if ids.len() == 1 => Err(failures.remove(0).1),
        _ => Err(Failure::Several {
            failures,
            of: ids.len(),
        }),
    }
}

/// `--timeout`'s value: seconds, a finite number of them, not negative.
fn seconds(text: &str) -> Result<Duration, String> {
    text.parse::<f64>()
        .ok()
        .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok())
        .ok_or_else(|| "expected a number of seconds, 0 or more".to_string())
}

fn is_final(status: &JobStatus) -> bool {
    matches!(
        status,
        JobStatus::Completed | JobStatus::Failed | JobStatus::Canceled
    )
}

fn work_json(work: &Work) -> Result<Value, Failure> {
    match work {
        Work::Job(job) => to_json(job),
        Work::Export(export) => to_json(export),
        Work::Render(render) => to_json(render),
    }
}

/// The files a finished piece of work produced.
fn result_urls(work: &Work) -> Vec<String> {
    match work {
        Work::Job(job) => job
            .result
            .iter()
            .flat_map(|r| [&r.image_url, &r.video_url, &r.audio_url])
            .flatten()
            .map(|url| url.to_string())
            .collect(),
        Work::Export(export) => export.url.iter().map(|u| u.to_string()).collect(),
        Work::Render(render) => render.output_url.iter().map(|u| u.to_string()).collect(),
    }
}

/// How much of a status or an ending a progress line or bar shows.
const STATUS_SHOWN: usize = 1 << 10;

/// How a piece of work that ended in `error` is shown beside its id.
fn ended(error: &studio_api::Error) -> String {
    match error.kind() {
        ErrorKind::JobFailed { message, .. } => {
            format!("failed: {}", crate::failure::reason(message.as_deref()))
        }
        ErrorKind::JobCanceled { .. } => "canceled".to_string(),
        _ => crate::failure::headline(error),
    }
}

/// Bars on a terminal, lines on stderr otherwise.
enum Display {
    Bars {
        bars: Vec<ProgressBar>,
        total: ProgressBar,
        _group: MultiProgress,
    },
    /// Each id with the last status and percent printed for it.
    Lines(Vec<(String, Option<(String, u64)>)>),
}

impl Display {
    fn new(ids: &[String]) -> Self {
        if !std::io::stderr().is_terminal() {
            return Display::Lines(ids.iter().map(|id| (id.clone(), None)).collect());
        }
        let group = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{prefix:>12} [{bar:30}] {pos:>3}% {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        let bars = ids
            .iter()
            .map(|id| {
                let bar = group.add(ProgressBar::new(100).with_style(style.clone()));
                bar.set_prefix(shown(id).into_owned());
                bar
            })
            .collect::<Vec<_>>();
        let total = group.add(
            ProgressBar::new(ids.len() as u64).with_style(
                ProgressStyle::with_template("{prefix:>12} {pos}/{len} done")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            ),
        );
        total.set_prefix("total");
        Display::Bars {
            bars,
            total,
            _group: group,
        }
    }

    fn show(&mut self, index: usize, state: &Result<Work, studio_api::Error>) {
        let (status, percent) = match state {
            Ok(work) => (
                work.status().to_string(),
                if *work.status() == JobStatus::Completed {
                    100
                } else {
                    work.progress().unwrap_or(0).clamp(0, 100) as u64
                },
            ),
            Err(error) => (ended(error), 0),
        };
        // A bar is one line: a server's long status is cut, as on stderr.
        let status = shown(&clipped(&status, STATUS_SHOWN)).into_owned();
        match self {
            Display::Bars { bars, total, .. } => {
                bars[index].set_position(percent);
                bars[index].set_message(status);
                let finished = state.as_ref().map_or(true, |w| is_final(w.status()));
                if finished {
                    total.inc(1);
                }
            }
            Display::Lines(lines) => {
                let (id, last) = &mut lines[index];
                let now = Some((status, percent));
                if *last != now {
                    if let Some((status, percent)) = &now {
                        let line = match state {
                            Ok(_) => format!("{} {status} {percent}%", shown(id)),
                            Err(_) => format!("{} {status}", shown(id)),
                        };
                        say(&line);
                    }
                    *last = now;
                }
            }
        }
    }

    fn finish(&self) {
        if let Display::Bars { bars, total, .. } = self {
            bars.iter().for_each(ProgressBar::abandon);
            total.abandon();
        }
    }
}

//! Waiting on generation jobs, exports and renders with progress: `--wait`
//! on the commands that start them, and `studio jobs wait ID…`, which waits
//! on many at once through the SDK's coalesced waiting.
//!
//! On a terminal each piece of work has a bar (status and percent) under a
//! total; otherwise a line goes to stderr whenever one changes. Ctrl-C or
//! `--timeout` stops waiting, never the work, and says how to resume.

use crate::failure::{Failure, INTERRUPTED};
use crate::files;
use crate::reply::to_json;
use crate::table::Starts;
use clap::{Arg, ArgAction, ArgMatches, value_parser};
use futures_util::StreamExt;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::Value;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;
use studio_api::types::{Export, GenerationJob, JobStatus, Render};
use studio_api::{Client, Handle, Pollable, Work, progress_all};

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
                .help("Stop waiting after this long (the work goes on); exit code 14."),
        )
        .arg(
            Arg::new("download")
                .long("download")
                .value_name("DIR")
                .value_parser(value_parser!(PathBuf))
                .help("Save what the finished work produced into DIR, with progress."),
        )
}

/// The response of a command that started work: as it is, or, with
/// `--wait`, the work's final state once it is done.
pub async fn started(
    client: &Client,
    starts: Starts,
    value: Value,
    matches: &ArgMatches,
) -> Result<Value, Failure> {
    if !matches.get_flag("wait") {
        return Ok(value);
    }
    let decode = |what: &str| Failure::input(format!("the response is not {what}"));
    let handles: Vec<Handle<Work>> = match starts {
        Starts::Jobs => {
            let jobs: Vec<GenerationJob> = match value {
                Value::Array(_) => serde_json::from_value(value),
                single => serde_json::from_value(single).map(|job| vec![job]),
            }
            .map_err(|_| decode("a generation job"))?;
            jobs.iter().map(|job| client.job(job).into_work()).collect()
        }
        Starts::Export => {
            let export: Export = serde_json::from_value(value).map_err(|_| decode("an export"))?;
            vec![client.export(&export).into_work()]
        }
        Starts::Render => {
            let render: Render = serde_json::from_value(value).map_err(|_| decode("a render"))?;
            vec![client.render(&render).into_work()]
        }
    };
    wait(client, handles, matches).await
}

/// `studio jobs wait ID…`.
pub async fn wait_ids(client: &Client, matches: &ArgMatches) -> Result<Value, Failure> {
    let handles = matches
        .get_many::<String>("id")
        .into_iter()
        .flatten()
        .map(|id| match id.split_once('_').map(|(prefix, _)| prefix) {
            Some("job") => Ok(client.job_by_id(id).into_work()),
            Some("exp") => Ok(client.export_by_id(id).into_work()),
            Some("rnd") => Ok(client.render_by_id(id).into_work()),
            _ => Err(Failure::input(format!(
                "{id} is not the id of a job (job_…), export (exp_…) or render (rnd_…)"
            ))),
        })
        .collect::<Result<Vec<_>, _>>()?;
    wait(client, handles, matches).await
}

/// Waits on every handle with progress; the final state (or states, for
/// more than one) once all are done, or the first failure after all are.
async fn wait(
    client: &Client,
    handles: Vec<Handle<Work>>,
    matches: &ArgMatches,
) -> Result<Value, Failure> {
    let ids: Vec<String> = handles.iter().map(|h| h.id().to_string()).collect();
    let mut done: Vec<Option<Result<Work, studio_api::Error>>> = vec![None; ids.len()];
    let mut display = Display::new(&ids);
    let mut changes = progress_all(handles);
    let timeout = matches.get_one::<Duration>("timeout").copied();
    let deadline = async {
        match timeout {
            Some(timeout) => tokio::time::sleep(timeout).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(deadline);
    let interrupt = tokio::signal::ctrl_c();
    tokio::pin!(interrupt);
    let stopped = |reason, done: &[Option<_>]| Failure::Stopped {
        reason,
        ids: ids
            .iter()
            .zip(done)
            .filter(|(_, state)| state.is_none())
            .map(|(id, _)| id.clone())
            .collect(),
    };
    loop {
        tokio::select! {
            change = changes.next() => match change {
                None => break,
                Some((index, state)) => {
                    display.show(index, &state);
                    let finished = match &state {
                        Ok(work) => is_final(work.status()),
                        Err(_) => true,
                    };
                    if finished {
                        done[index] = Some(state);
                    }
                }
            },
            _ = &mut deadline => {
                display.finish();
                return Err(stopped("--timeout passed", &done));
            }
            _ = &mut interrupt => {
                display.finish();
                return Err(stopped(INTERRUPTED, &done));
            }
        }
    }
    display.finish();
    let (states, failures): (Vec<_>, Vec<_>) = done.into_iter().flatten().partition(Result::is_ok);
    let states: Vec<Work> = states.into_iter().flatten().collect();
    if let Some(Err(failure)) = failures.into_iter().next() {
        // What did finish is still shown; the exit code tells of the failure.
        if !states.is_empty() {
            crate::reply::print(&Value::Array(
                states.iter().map(work_json).collect::<Result<_, _>>()?,
            ))?;
        }
        return Err(failure.into());
    }
    if let Some(dir) = matches.get_one::<PathBuf>("download") {
        for work in &states {
            for url in result_urls(work) {
                files::download_into(client, &url, dir).await?;
            }
        }
    }
    let mut values = states
        .iter()
        .map(work_json)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(if values.len() == 1 {
        values.remove(0)
    } else {
        Value::Array(values)
    })
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
                bar.set_prefix(id.clone());
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
            Err(error) => (format!("{:?}", error.kind()), 0),
        };
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
                        eprintln!("{id} {status} {percent}%");
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

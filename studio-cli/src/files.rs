//! Files with byte progress: uploads streamed from disk, and downloads
//! saved as the SDK saves them (under a random name, renamed only once
//! complete).

use crate::failure::{Failure, INTERRUPTED};
use crate::input::Input;
use crate::reply::Reply;
use crate::terminal::shown;
use clap::{Arg, ArgMatches, value_parser};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use studio_api::Client;
use studio_api::builder::UploadAsset;
use tokio_util::io::ReaderStream;

/// `studio download URL [PATH]`.
pub fn download_command() -> clap::Command {
    clap::Command::new("download")
        .about("Download a result URL to PATH (default: its file name here), with progress.")
        .arg(Arg::new("url").value_name("URL").required(true))
        .arg(
            Arg::new("path")
                .value_name("PATH")
                .value_parser(value_parser!(PathBuf)),
        )
}

/// A byte counter on stderr when it is a terminal; hidden otherwise.
fn bar(what: &str, length: Option<u64>) -> ProgressBar {
    let target = if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(length, target).with_style(style(length));
    bar.set_prefix(shown(what).into_owned());
    bar
}

/// A bar for `length` bytes, or a spinner while the length is unknown.
fn style(length: Option<u64>) -> ProgressStyle {
    let template = match length {
        Some(_) => "{prefix} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}",
        None => "{prefix} {spinner} {bytes} {bytes_per_sec}",
    };
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

/// Sends each file of `input` with `upload_asset`, the query flags applied
/// by `flags`; the asset, or every asset for more than one file. Every
/// file is opened before the first is sent, so that a missing one sends
/// nothing; should a later upload fail, the assets already made are
/// printed, and the failure is reported as one of several.
pub async fn upload<'a>(
    client: &'a Client,
    input: &Input<'_>,
    flags: impl Fn(UploadAsset<'a>) -> Result<UploadAsset<'a>, Failure>,
) -> Result<Reply<'a>, Failure> {
    let mut opened = Vec::new();
    for path in input.files() {
        let call = client.upload_file(&path)?;
        let file = tokio::fs::File::open(&path)
            .await
            .map_err(|e| Failure::io(format!("reading {}: {e}", path.display())))?;
        opened.push((path, call, file));
    }
    let mut assets = Vec::new();
    for (path, call, file) in opened {
        let length = file.metadata().await.ok().map(|m| m.len());
        let bar = bar(&path.display().to_string(), length);
        let body = reqwest::Body::wrap_stream(ReaderStream::new(bar.wrap_async_read(file)));
        let sent = flags(call.body(body))?.send().await;
        bar.finish_and_clear();
        match Reply::of(sent) {
            Ok(Reply::Value(asset)) => assets.push(asset),
            Ok(Reply::Items(_)) => unreachable!("an upload answers one asset"),
            Err(failure) if assets.is_empty() => return Err(failure),
            // Some were made: they are printed, and the failure is one of
            // several, named by its file.
            Err(failure) => {
                crate::reply::print(&serde_json::Value::Array(assets))?;
                return Err(Failure::Several {
                    failures: vec![(path.display().to_string(), failure)],
                    of: input.files().len(),
                });
            }
        }
    }
    Ok(Reply::Value(if assets.len() == 1 {
        assets.remove(0)
    } else {
        serde_json::Value::Array(assets)
    }))
}

/// `studio download URL [PATH]`: the path written. A PATH that is a
/// folder, or ends in `/`, gets the URL's file name inside it; missing
/// folders are made. Ctrl-C stops it and leaves nothing half-written.
pub async fn download(client: &Client, matches: &ArgMatches) -> Result<PathBuf, Failure> {
    let url = matches.get_one::<String>("url").map_or("", String::as_str);
    let named = |problem: String| Failure::input(format!("{problem}; give the PATH to save it to"));
    let path = match matches.get_one::<PathBuf>("path") {
        Some(dir) if dir.is_dir() || dir.as_os_str().to_string_lossy().ends_with('/') => {
            dir.join(file_name(url).map_err(named)?)
        }
        Some(path) => path.clone(),
        None => PathBuf::from(file_name(url).map_err(named)?),
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_dir(parent).await?;
    }
    tokio::select! {
        saved = save(client, url, &path) => saved?,
        // Dropping the download removes the file it was writing.
        _ = tokio::signal::ctrl_c() => {
            return Err(Failure::Stopped { reason: INTERRUPTED, ids: Vec::new(), download: None });
        }
    }
    Ok(path)
}

/// Saves `url` into `dir` (made if missing) under its own file name.
pub async fn download_into(client: &Client, url: &str, dir: &Path) -> Result<PathBuf, Failure> {
    create_dir(dir).await?;
    // Other downloads went ahead: this one is a file not written.
    let name = file_name(url).map_err(|problem| Failure::io(format!("{problem}; not saved")))?;
    let path = dir.join(name);
    save(client, url, &path).await?;
    Ok(path)
}

async fn create_dir(dir: &Path) -> Result<(), Failure> {
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| Failure::io(format!("creating {}: {e}", dir.display())))
}

/// The last segment of `url`'s path, which must be a plain file name and
/// not a hidden one: a name the server chose must not make or replace a
/// dotfile (`.bashrc`). Otherwise, what is wrong with it.
fn file_name(url: &str) -> Result<String, String> {
    let path = url.split(['?', '#']).next().unwrap_or_default();
    let name = path.rsplit('/').next().unwrap_or_default();
    let problem = if name.is_empty() || name == "." || name == ".." {
        "does not end in a file name"
    } else if name.starts_with('.') {
        "ends in a hidden file's name (it starts with `.`)"
    } else if name.contains('\\') || shown(name) != name {
        "ends in a name that is not a plain file name"
    } else {
        return Ok(name.to_string());
    };
    Err(format!("the URL {} {problem}", shown(url)))
}

/// Saves `url` at `path` (see `studio_api::Client::download`: a file with
/// a random name beside it, renamed once complete), with a byte counter.
async fn save(client: &Client, url: &str, path: &Path) -> Result<(), Failure> {
    let bar = bar(&path.display().to_string(), None);
    client
        .download_with_progress(url, path, |written, length| {
            if let (Some(length), None) = (length, bar.length()) {
                bar.set_length(length);
                bar.set_style(style(Some(length)));
            }
            bar.set_position(written);
        })
        .await
        .map_err(|error| Failure::Saving {
            url: url.to_string(),
            path: path.to_path_buf(),
            failure: Box::new(error.into()),
        })?;
    bar.finish_and_clear();
    Ok(())
}

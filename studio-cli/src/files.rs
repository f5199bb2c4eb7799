//! Files with byte progress: uploads streamed from disk, and downloads
//! written under a temporary name that is renamed only once complete.

use crate::failure::Failure;
use crate::input::Input;
use crate::reply::Reply;
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
    let template = match length {
        Some(_) => "{prefix} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}",
        None => "{prefix} {spinner} {bytes} {bytes_per_sec}",
    };
    let bar = ProgressBar::with_draw_target(length, target).with_style(
        ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_prefix(what.to_string());
    bar
}

/// Sends each file of `input` with `upload_asset`, the query flags applied
/// by `flags`; the asset, or every asset for more than one file.
pub async fn upload<'a>(
    client: &'a Client,
    input: &Input<'_>,
    flags: impl Fn(UploadAsset<'a>) -> Result<UploadAsset<'a>, Failure>,
) -> Result<Reply<'a>, Failure> {
    let mut assets = Vec::new();
    for path in input.files() {
        let call = client.upload_file(&path)?;
        let file = tokio::fs::File::open(&path)
            .await
            .map_err(|e| Failure::io(format!("reading {}: {e}", path.display())))?;
        let length = file.metadata().await.ok().map(|m| m.len());
        let bar = bar(&path.display().to_string(), length);
        let body = reqwest::Body::wrap_stream(ReaderStream::new(bar.wrap_async_read(file)));
        let sent = flags(call.body(body))?.send().await;
        bar.finish_and_clear();
        match Reply::of(sent)? {
            Reply::Value(asset) => assets.push(asset),
            Reply::Items(_) => unreachable!("an upload answers one asset"),
        }
    }
    Ok(Reply::Value(if assets.len() == 1 {
        assets.remove(0)
    } else {
        serde_json::Value::Array(assets)
    }))
}

/// `studio download URL [PATH]`: the path written.
pub async fn download(client: &Client, matches: &ArgMatches) -> Result<PathBuf, Failure> {
    let url = matches.get_one::<String>("url").map_or("", String::as_str);
    let path = match matches.get_one::<PathBuf>("path") {
        Some(path) => path.clone(),
        None => PathBuf::from(file_name(url)?),
    };
    save(client, url, &path).await?;
    Ok(path)
}

/// Saves `url` into `dir` under its own file name.
pub async fn download_into(client: &Client, url: &str, dir: &Path) -> Result<PathBuf, Failure> {
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| Failure::io(format!("creating {}: {e}", dir.display())))?;
    let path = dir.join(file_name(url)?);
    save(client, url, &path).await?;
    Ok(path)
}

/// The last segment of `url`'s path, which must be a plain file name.
fn file_name(url: &str) -> Result<String, Failure> {
    let path = url.split(['?', '#']).next().unwrap_or_default();
    let name = path.rsplit('/').next().unwrap_or_default();
    if name.is_empty() || name == "." || name == ".." || name.contains('\\') {
        return Err(Failure::input(
            "the URL does not end in a file name; give the PATH to save it to",
        ));
    }
    Ok(name.to_string())
}

/// Writes `url` to a temporary file beside `path`, renamed to `path` once
/// every byte has arrived; a failed download leaves nothing behind.
async fn save(client: &Client, url: &str, path: &Path) -> Result<(), Failure> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let io = |e: std::io::Error| Failure::io(format!("writing {}: {e}", path.display()));
    let mut partial = tempfile::Builder::new();
    partial.prefix(".studio-download-").suffix(".part");
    // A saved result is an ordinary file, not the owner-only one a
    // temporary file starts as.
    #[cfg(unix)]
    partial.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
    let partial = partial.tempfile_in(dir).map_err(io)?;
    let bar = bar(&path.display().to_string(), None);
    let mut writer = bar.wrap_async_write(tokio::fs::File::from_std(partial.reopen().map_err(io)?));
    client.download_to_writer(url, &mut writer).await?;
    tokio::io::AsyncWriteExt::flush(&mut writer)
        .await
        .map_err(io)?;
    bar.finish_and_clear();
    partial.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

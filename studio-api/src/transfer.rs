//! Uploading files and bytes as assets, and downloading what the API serves.
//!
//! Uploads go through the generated `upload_asset` builder, with the body
//! streamed from disk for a file. Downloads stream the response body chunk
//! by chunk to a file or a writer, so neither side holds a whole file in
//! memory.

use crate::call::Record;
use crate::{Client, Error, ErrorKind, builder};
use progenitor_client::{ClientInfo, Error as RawError};
use std::ffi::OsString;
use std::fmt::Display;
use std::future::Future;
use std::path::Path;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio_util::io::ReaderStream;

/// The operation upload errors found before sending are reported under.
const UPLOAD: &str = "upload_asset";

/// The operation download errors are reported under.
const DOWNLOAD: &str = "download";

/// How much of a file is read from disk at a time while uploading it.
const CHUNK_BYTES: usize = 64 * 1024;

impl Client {
    /// An `upload_asset` request for the file at `path`, streamed from disk
    /// rather than read into memory: file name from the path, content type
    /// from its extension. Set `project_id`, `tags` or another
    /// `content_type` on the builder, then `send()`.
    ///
    /// A path that is missing or not a file fails here, before any request.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), studio_api::Error> {
    /// # let server = studio_mock::MockServer::builder().no_rate_limit().start().unwrap();
    /// # let client = studio_api::Client::with_credential(
    /// #     server.base_url(),
    /// #     studio_api::Credential::api_key(server.api_key()),
    /// # )?;
    /// # let dir = std::env::temp_dir().join(format!("studio-upload-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let path = dir.join("keeper.png");
    /// # std::fs::write(&path, b"\x89PNG not really").unwrap();
    /// let asset = client
    ///     .upload_file(&path)?
    ///     .tags(vec!["keeper".try_into().expect("a short tag")])
    ///     .send()
    ///     .await?
    ///     .into_inner()
    ///     .data;
    /// assert_eq!(asset.name, "keeper.png");
    /// assert_eq!(asset.content_type, "image/png");
    ///
    /// let missing = client.upload_file(dir.join("nope.png")).unwrap_err();
    /// assert_eq!(missing.kind(), &studio_api::ErrorKind::InvalidInput);
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok(())
    /// # }
    /// ```
    pub fn upload_file(&self, path: impl AsRef<Path>) -> Result<builder::UploadAsset<'_>, Error> {
        let path = path.as_ref();
        let unusable = |reason: String| {
            Error::local(
                UPLOAD,
                ErrorKind::InvalidInput,
                format!("cannot upload {}: {reason}", path.display()),
            )
        };
        let file = std::fs::File::open(path).map_err(|e| unusable(e.to_string()))?;
        let metadata = file.metadata().map_err(|e| unusable(e.to_string()))?;
        if !metadata.is_file() {
            return Err(unusable("not a regular file".into()));
        }
        let filename = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let stream = ReaderStream::with_capacity(tokio::fs::File::from_std(file), CHUNK_BYTES);
        Ok(self.upload(filename, reqwest::Body::wrap_stream(stream)))
    }

    /// An `upload_asset` request for `bytes` stored as `filename`, with the
    /// content type its extension suggests (override it with `content_type`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), studio_api::Error> {
    /// # let server = studio_mock::MockServer::builder().no_rate_limit().start().unwrap();
    /// # let client = studio_api::Client::with_credential(
    /// #     server.base_url(),
    /// #     studio_api::Credential::api_key(server.api_key()),
    /// # )?;
    /// let asset = client
    ///     .upload_bytes("notes.txt", "INT. LIGHTHOUSE - NIGHT")
    ///     .send()
    ///     .await?
    ///     .into_inner()
    ///     .data;
    /// assert_eq!(asset.content_type, "text/plain");
    ///
    /// let mut copy = Vec::new();
    /// client.download_to_writer(&asset.url, &mut copy).await?;
    /// assert_eq!(copy, b"INT. LIGHTHOUSE - NIGHT");
    /// # Ok(())
    /// # }
    /// ```
    pub fn upload_bytes(
        &self,
        filename: impl Into<String>,
        bytes: impl Into<reqwest::Body>,
    ) -> builder::UploadAsset<'_> {
        self.upload(filename.into(), bytes.into())
    }

    /// `upload_asset` with the content type `filename`'s extension suggests,
    /// or `application/octet-stream` for an unknown one.
    fn upload(&self, filename: String, body: reqwest::Body) -> builder::UploadAsset<'_> {
        let content_type = mime_guess::from_path(&filename)
            .first_or_octet_stream()
            .to_string();
        self.upload_asset()
            .filename(filename)
            .content_type(content_type)
            .body(body)
    }

    /// Downloads `url` (an asset's `url`, a finished job's or export's
    /// result) to the file at `path`, chunk by chunk; returns the number of
    /// bytes written.
    ///
    /// The body goes to a new file with a random name beside `path`,
    /// created only if no file or link has that name, and renamed over
    /// `path` once complete: a failed download leaves neither a partial
    /// file nor a changed target behind, and a link at `path` is replaced,
    /// never written through. The file gets the mode a newly created file
    /// gets (0666 less the umask, so usually 0644). No credential is sent:
    /// download URLs need none. Redirects (to a CDN, say) are followed up
    /// to 10 times, never from https to plain http. Errors leave out the
    /// URL, which may be signed. The client's timeout (or a per-call
    /// option's) covers the whole download, and so does a per-call deadline.
    pub async fn download(&self, url: &str, path: impl AsRef<Path>) -> Result<u64, Error> {
        self.download_with_progress(url, path, |_, _| {}).await
    }

    /// Downloads `url` to the file at `path` like
    /// [`download`](Client::download), calling `progress` after each chunk
    /// with the bytes written so far and the length the server announced,
    /// if it did: for a progress bar.
    pub async fn download_with_progress(
        &self,
        url: &str,
        path: impl AsRef<Path>,
        mut progress: impl FnMut(u64, Option<u64>),
    ) -> Result<u64, Error> {
        let path = path.as_ref();
        let partial = partial_file(path)?;
        let (file, partial) = partial.into_parts();
        let mut file = tokio::fs::File::from_std(file);
        let written = self
            .within_deadline(async {
                let response = self.fetch(url).await?;
                copy(response, &mut file, &path.display(), &mut progress).await
            })
            .await?;
        drop(file);
        // Dropping `partial` on an error above removes the file.
        partial
            .persist(path)
            .map_err(|e| write_error(&path.display(), e.error))?;
        Ok(written)
    }

    /// Downloads `url` into `writer`, chunk by chunk; returns the number of
    /// bytes written. See [`download`](Client::download).
    pub async fn download_to_writer<W>(&self, url: &str, writer: &mut W) -> Result<u64, Error>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        self.within_deadline(async {
            let response = self.fetch(url).await?;
            copy(response, writer, &"the writer", &mut |_, _| {}).await
        })
        .await
    }

    /// Runs a download within the client's per-call deadline, if it has
    /// one (see [`CallOptions::deadline`](crate::CallOptions::deadline)).
    async fn within_deadline<T>(
        &self,
        download: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        let Some(deadline) = self.inner().limits.deadline else {
            return download.await;
        };
        let sent = Record {
            attempts: 1,
            ..Record::default()
        };
        tokio::time::timeout(deadline, download)
            .await
            .unwrap_or_else(|_| Err(Error::gave_up(DOWNLOAD, false, deadline, &sent)))
    }

    /// Sends the GET and turns a failure status into an error.
    async fn fetch(&self, url: &str) -> Result<reqwest::Response, Error> {
        let request = self.inner().downloads().get(url);
        let response = match request.timeout(self.inner().limits.timeout).send().await {
            Ok(response) => response,
            Err(e) => {
                return Err(Error::from_raw(
                    DOWNLOAD,
                    RawError::CommunicationError(e.without_url()),
                )
                .await);
            }
        };
        if response.status().is_success() {
            Ok(response)
        } else {
            Err(Error::from_raw(DOWNLOAD, RawError::UnexpectedResponse(response)).await)
        }
    }
}

/// Writes the body of `response` to `writer` (named `target` in errors),
/// telling `progress` the bytes written so far and the announced length.
async fn copy<W>(
    mut response: reqwest::Response,
    writer: &mut W,
    target: &dyn Display,
    progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<u64, Error>
where
    W: AsyncWrite + Unpin + ?Sized,
{
    let length = response.content_length();
    let mut written = 0;
    loop {
        let chunk = match response.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(e) => {
                return Err(Error::from_raw(
                    DOWNLOAD,
                    RawError::ResponseBodyError(e.without_url()),
                )
                .await);
            }
        };
        writer
            .write_all(&chunk)
            .await
            .map_err(|e| write_error(target, e))?;
        written += chunk.len() as u64;
        progress(written, length);
    }
    writer.flush().await.map_err(|e| write_error(target, e))?;
    Ok(written)
}

/// A new, empty file beside `path` for its download, under a random name
/// (`.<name>.<random>.part`) that no file or link had: opened with
/// `O_EXCL`, so a link planted there is never followed.
fn partial_file(path: &Path) -> Result<tempfile::NamedTempFile, Error> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let Some(name) = path.file_name() else {
        return Err(Error::local(
            DOWNLOAD,
            ErrorKind::InvalidInput,
            format!(
                "cannot download to {}: it does not name a file",
                path.display()
            ),
        ));
    };
    let mut prefix = OsString::from(".");
    prefix.push(name);
    prefix.push(".");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".part");
    // As `File::create` would: 0666, less the umask.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    builder
        .tempfile_in(dir)
        .map_err(|e| write_error(&path.display(), e))
}

fn write_error(target: &dyn Display, error: std::io::Error) -> Error {
    Error::local(
        DOWNLOAD,
        ErrorKind::Io,
        format!("cannot write {target}: {error}"),
    )
}

//! Uploading files and bytes as assets, and downloading what the API
//! serves: the blocking forms of `studio_api`'s.

use crate::{Client, builder};
use std::io::Write;
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};
use studio_api::Error;
use tokio::io::AsyncWrite;

/// The operation download errors are reported under.
const DOWNLOAD: &str = "download";

impl Client {
    /// The blocking form of [`studio_api::Client::upload_file`]: the
    /// generated `upload_asset` builder with the file at `path` as its
    /// streamed body. A missing path fails here, before any request.
    ///
    /// ```
    /// # let server = studio_mock::MockServer::builder().no_rate_limit().start().unwrap();
    /// # let client = studio_api_blocking::Client::with_credential(
    /// #     server.base_url(),
    /// #     studio_api_blocking::Credential::api_key(server.api_key()),
    /// # )?;
    /// # let dir = std::env::temp_dir().join(format!("studio-blocking-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let path = dir.join("keeper.png");
    /// # std::fs::write(&path, b"\x89PNG not really").unwrap();
    /// let asset = client.upload_file(&path)?.send()?.into_inner().data;
    /// assert_eq!(asset.content_type, "image/png");
    ///
    /// client.download(&asset.url, dir.join("copy.png"))?;
    /// assert_eq!(std::fs::read(dir.join("copy.png")).unwrap(), b"\x89PNG not really");
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), studio_api_blocking::Error>(())
    /// ```
    pub fn upload_file(&self, path: impl AsRef<Path>) -> Result<builder::UploadAsset<'_>, Error> {
        let inner = self.as_async().upload_file(path)?;
        Ok(builder::UploadAsset {
            client: self,
            inner,
        })
    }

    /// The blocking form of [`studio_api::Client::upload_bytes`]: the
    /// generated `upload_asset` builder with `bytes` stored as `filename`.
    pub fn upload_bytes(
        &self,
        filename: impl Into<String>,
        bytes: impl Into<reqwest::Body>,
    ) -> builder::UploadAsset<'_> {
        let inner = self.as_async().upload_bytes(filename, bytes);
        builder::UploadAsset {
            client: self,
            inner,
        }
    }

    /// Downloads `url` (an asset's `url`, a finished job's or export's
    /// result) to the file at `path`, chunk by chunk; returns the number of
    /// bytes written. See [`studio_api::Client::download`].
    pub fn download(&self, url: &str, path: impl AsRef<Path>) -> Result<u64, Error> {
        self.block_on(DOWNLOAD, self.as_async().download(url, path))
    }

    /// Downloads `url` to the file at `path`, calling `progress` after each
    /// chunk with the bytes written so far and the announced length. See
    /// [`studio_api::Client::download_with_progress`].
    pub fn download_with_progress(
        &self,
        url: &str,
        path: impl AsRef<Path>,
        progress: impl FnMut(u64, Option<u64>),
    ) -> Result<u64, Error> {
        self.block_on(
            DOWNLOAD,
            self.as_async().download_with_progress(url, path, progress),
        )
    }

    /// Downloads `url` into `writer`, chunk by chunk; returns the number of
    /// bytes written. See [`studio_api::Client::download_to_writer`].
    pub fn download_to_writer<W>(&self, url: &str, writer: &mut W) -> Result<u64, Error>
    where
        W: Write + ?Sized,
    {
        let mut writer = BlockingWriter(writer);
        self.block_on(
            DOWNLOAD,
            self.as_async().download_to_writer(url, &mut writer),
        )
    }
}

/// A `std::io::Write` used where an async writer is expected. Writing
/// blocks, which is what the caller of a blocking download asked for:
/// `block_on` runs the download on the caller's own thread.
struct BlockingWriter<'w, W: ?Sized>(&'w mut W);

impl<W: Write + ?Sized> AsyncWrite for BlockingWriter<'_, W> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Poll::Ready(self.0.write(buf))
    }

    fn poll_flush(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(self.0.flush())
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

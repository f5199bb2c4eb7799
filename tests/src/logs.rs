//! What `tracing` writes during a test, as text.

use std::sync::{Arc, LazyLock, Mutex};
use tracing::Dispatch;
use tracing::subscriber::NoSubscriber;
use tracing_subscriber::fmt::format::FmtSpan;

/// Everything a subscriber writes, as text.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    /// What was written so far.
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

/// A dispatcher alive for the whole process, so that there are always at
/// least two. With only one registered, tracing-core asks the default of
/// whichever thread first reaches a callsite whether it is enabled: a log
/// line first reached by a test on a thread without a capture would be
/// cached as never enabled, and lost to a capture running on another
/// thread of the same test binary.
static SECOND_DISPATCHER: LazyLock<Dispatch> =
    LazyLock::new(|| Dispatch::new(NoSubscriber::default()));

/// A TRACE subscriber that writes every event and every span's close
/// (with its recorded fields) to what it returns.
pub fn capturing() -> (Captured, impl tracing::Subscriber + Send + Sync) {
    LazyLock::force(&SECOND_DISPATCHER);
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::CLOSE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    (logs, subscriber)
}

/// Runs `work` on a runtime of its own with [`capturing`]'s subscriber;
/// returns what it wrote.
pub fn traced(work: impl std::future::Future<Output = ()>) -> String {
    let (logs, subscriber) = capturing();
    tracing::subscriber::with_default(subscriber, || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(work)
    });
    logs.text()
}

//! What `tracing` writes during a test, as text.

use std::sync::{Arc, Mutex};
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

/// A TRACE subscriber that writes every event and every span's close
/// (with its recorded fields) to what it returns.
pub fn capturing() -> (Captured, impl tracing::Subscriber + Send + Sync) {
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

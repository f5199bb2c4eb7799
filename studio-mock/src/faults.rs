//! Faults scripted for the next calls of an operation, so users can test
//! their own error handling.

use std::time::Duration;

/// What the server does instead of (or before) answering normally.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Answer with `status` and an error body, with `Retry-After` when given.
    Status {
        /// The HTTP status to answer with.
        status: u16,
        /// Seconds for a `Retry-After` header.
        retry_after: Option<u64>,
    },
    /// Wait this long, then handle the request normally.
    Delay(Duration),
    /// Close the connection without answering (after reading the request,
    /// before handling it: nothing happens).
    DropConnection,
    /// Handle the request, then close the connection without answering:
    /// the work is done but the caller never hears of it.
    DropResponse,
    /// Answer with `status` and an HTML body instead of JSON.
    NonJson {
        /// The HTTP status to answer with.
        status: u16,
    },
}

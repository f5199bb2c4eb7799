//! The connection loop: how many connections are served at once, how long
//! a request head may take to arrive, and pausing when `accept` fails.

use axum::Router;
use axum::body::Body;
use axum::response::Response;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower::ServiceExt;

/// Limits on connections, which keep slow or idle clients from holding the
/// server's descriptors or its accept loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// How long a client has to send a request's whole head (request line
    /// and headers), from when the server starts waiting for it, including
    /// while a kept-alive connection is idle between requests; past it the
    /// connection is closed unanswered. 10 s by default: a client sends a
    /// head in one go, so only a stalled or hostile one takes that long.
    pub head_timeout: Duration,
    /// How many connections are served at once, 512 by default (half the
    /// usual limit of 1024 open files). Further connections are not
    /// accepted but wait in the listen backlog until one closes.
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            head_timeout: Duration::from_secs(10),
            max_connections: 512,
        }
    }
}

/// The first pause after `accept` fails (out of file descriptors, say).
const FIRST_PAUSE: Duration = Duration::from_millis(50);
/// The longest pause: each failure in a row doubles it up to this.
const LONGEST_PAUSE: Duration = Duration::from_secs(1);

/// Marks a response whose connection must be closed without answering.
#[derive(Debug, Clone, Copy)]
struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by a scripted fault")
    }
}

impl std::error::Error for DropConnection {}

/// Marks `response` so that its connection is closed instead of answered.
pub fn dropped(mut response: Response) -> Response {
    response.extensions_mut().insert(DropConnection);
    response
}

/// Serves `router` on `listener` within `limits` until `shutdown` resolves.
///
/// Connections are served by hyper directly (not `axum::serve`) so that a
/// response marked by [`dropped`] can close its connection without a reply.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.head_timeout);
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let mut pause = FIRST_PAUSE;
    tokio::pin!(shutdown);
    loop {
        let (stream, slot) = tokio::select! {
            next = next_connection(&listener, &slots, &mut pause) => next,
            () = &mut shutdown => return,
        };
        let router = router.clone();
        let http = http.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(
                move |request: hyper::Request<hyper::body::Incoming>| {
                    let router = router.clone();
                    async move {
                        let response = router
                            .oneshot(request.map(Body::new))
                            .await
                            .unwrap_or_else(|never| match never {});
                        if response.extensions().get::<DropConnection>().is_some() {
                            return Err(DropConnection);
                        }
                        Ok(response)
                    }
                },
            );
            let _ = http.serve_connection(TokioIo::new(stream), service).await;
            drop(slot);
        });
    }
}

/// Waits for a free slot, then accepts a connection into it. When `accept`
/// fails (as it does at once, again and again, while the process is out of
/// file descriptors) it waits `pause` before trying again, doubling the
/// pause up to [`LONGEST_PAUSE`]; a connection accepted resets it.
async fn next_connection(
    listener: &TcpListener,
    slots: &Arc<Semaphore>,
    pause: &mut Duration,
) -> (TcpStream, OwnedSemaphorePermit) {
    let slot = slots
        .clone()
        .acquire_owned()
        .await
        .expect("the semaphore is never closed");
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                *pause = FIRST_PAUSE;
                return (stream, slot);
            }
            Err(_) => {
                tokio::time::sleep(*pause).await;
                *pause = (*pause * 2).min(LONGEST_PAUSE);
            }
        }
    }
}

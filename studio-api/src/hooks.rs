//! The `ClientHooks` implementation the generated client calls around every request.

use crate::call::ResponseMeta;
use crate::call::note;
use crate::retry::RetryEvent;
use crate::{Client, ClientState};
use progenitor_client::{ClientHooks, ClientInfo, Error, OperationInfo};

/// The largest response body read (32 MiB); API responses are pages of
/// at most 100 items, far smaller.
pub(crate) const MAX_BODY_BYTES: usize = 32 << 20;

#[doc(hidden)]
impl ClientHooks<ClientState> for Client {
    /// Adds the credential's header (marked sensitive, and only for the
    /// base URL's origin) and the User-Agent, then waits for quota. A wait
    /// the server asked for that is longer than the retry-after cap is
    /// not waited out: the call fails at once as rate limited.
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> Result<(), Error<E>> {
        let state = self.inner();
        if let Err(problem) = &state.limits.headers {
            return Err(Error::InvalidRequest(problem.clone()));
        }
        state.decorate(request);
        *request.timeout_mut() = Some(state.limits.timeout);
        if let Some(pacer) = state.pacer()
            && let Err(wait) = pacer.acquire(state.retry().retry_after_cap).await
        {
            note(|record| record.refused_for = Some(wait));
            return Err(Error::Custom(format!(
                "the server asked for no requests for another {} s, longer than the retry-after cap of {} s; nothing was sent",
                wait.as_secs_f64().ceil(),
                state.retry().retry_after_cap.as_secs_f64()
            )));
        }
        Ok(())
    }

    /// Sends the request, and sends it again when the retry policy allows;
    /// notes each attempt and response in the call's record. The response
    /// comes back with its body already read, within a bound.
    async fn exec(
        &self,
        mut request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let state = self.inner();
        let read = request.method() == reqwest::Method::GET;
        let mut attempt = 0;
        loop {
            let again = request.try_clone();
            attempt += 1;
            note(|record| {
                record.attempts = attempt;
                record.last_sent = Some(chrono::Utc::now());
                record.response = None;
                record.oversized = false;
                record.not_connected = false;
            });
            let mut outcome = self.client().execute(request).await;
            match &outcome {
                Ok(response) => self.observe(response).await,
                Err(error) if error.is_connect() => note(|record| record.not_connected = true),
                Err(_) => {}
            }
            // The body is read here, within its bound, so that a read whose
            // body is cut short or stalls is retried like any broken read.
            if let Ok(response) = outcome {
                outcome = whole(response).await;
            }
            let (Some((delay, reason)), Some(again)) =
                (state.retry().decide(attempt, &outcome, read), again)
            else {
                return outcome;
            };
            let event = RetryEvent {
                operation: info.operation_id,
                attempt,
                delay,
                reason,
            };
            tracing::info!(
                operation = event.operation,
                attempt = event.attempt,
                delay_ms = event.delay.as_millis() as u64,
                reason = %event.reason,
                "retrying"
            );
            if let Some(callback) = &state.retry().on_retry {
                callback(&event);
            }
            tokio::time::sleep(delay).await;
            if let Some(pacer) = state.pacer()
                && pacer.acquire(state.retry().retry_after_cap).await.is_err()
            {
                return outcome;
            }
            request = again;
        }
    }
}

impl Client {
    /// Lets a response's head correct the quota budget and the server
    /// clock, and keeps it for the call's error, should the body fail.
    async fn observe(&self, response: &reqwest::Response) {
        let state = self.inner();
        if let Some(pacer) = state.pacer() {
            pacer.observe(response.status(), response.headers()).await;
        }
        state
            .clock()
            .observe(response.headers(), chrono::Utc::now());
        note(|record| record.response = Some(ResponseMeta::of(response)));
    }
}

/// `response` with its body read in full, or the failure reading it. A
/// body longer than [`MAX_BODY_BYTES`] is read no further: the call gets
/// its start, which does not decode, and the record says why.
async fn whole(mut response: reqwest::Response) -> reqwest::Result<reqwest::Response> {
    use reqwest::ResponseBuilderExt;
    let mut whole = http::Response::builder()
        .status(response.status())
        .version(response.version())
        .url(response.url().clone());
    let expected = response.content_length().unwrap_or(0);
    if let Some(headers) = whole.headers_mut() {
        *headers = std::mem::take(response.headers_mut());
    }
    let mut body =
        Vec::with_capacity(usize::try_from(expected.min(MAX_BODY_BYTES as u64)).unwrap_or(0));
    while let Some(chunk) = response.chunk().await? {
        let room = MAX_BODY_BYTES - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if chunk.len() > room {
            note(|record| record.oversized = true);
            break;
        }
    }
    // The parts came from a valid response, so building cannot fail.
    Ok(whole.body(body).unwrap_or_default().into())
}

//! The `ClientHooks` implementation the generated client calls around every request.

use crate::retry::RetryEvent;
use crate::{Client, ClientState};
use progenitor_client::{ClientHooks, ClientInfo, Error, OperationInfo};

impl ClientHooks<ClientState> for Client {
    /// Adds the credential's header (marked sensitive) and the User-Agent.
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> Result<(), Error<E>> {
        self.inner().decorate(request.headers_mut());
        Ok(())
    }

    /// Sends the request, waiting for quota first, and sends it again
    /// when the retry policy allows; notes each response's status and
    /// headers for the error mapping.
    async fn exec(
        &self,
        mut request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let state = self.inner();
        let paid = crate::operations::find(info.operation_id).is_some_and(|op| op.paid);
        let mut retry = 0;
        loop {
            let again = request.try_clone();
            if let Some(pacer) = state.pacer() {
                pacer.acquire().await;
            }
            let outcome = self.client().execute(request).await;
            if let Ok(response) = &outcome {
                if let Some(pacer) = state.pacer() {
                    pacer.observe(response.status(), response.headers());
                }
                crate::error::record_response(response);
            }
            retry += 1;
            let (Some((delay, reason)), Some(again)) =
                (state.retry().decide(retry, &outcome, paid), again)
            else {
                return outcome;
            };
            let event = RetryEvent {
                operation: info.operation_id,
                attempt: retry,
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
            request = again;
        }
    }
}

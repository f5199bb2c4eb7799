//! The `ClientHooks` implementation the generated client calls around every request.

use crate::error::may_have_run;
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
        let operation = crate::operations::find(info.operation_id);
        let paid = operation.is_some_and(|op| op.paid);
        // What the job lookup needs, kept only where it may run.
        let submission = paid.then(|| (request.url().clone(), chrono::Utc::now()));
        let mut retry = 0;
        loop {
            let again = request.try_clone();
            let outcome = self.send_paced(request).await;
            if let Ok(response) = &outcome {
                crate::error::record_response(response);
            }
            retry += 1;
            let (Some((delay, reason)), Some(again)) =
                (state.retry().decide(retry, &outcome, paid), again)
            else {
                return match (operation, &submission) {
                    (Some(op), Some((url, submitted)))
                        if may_have_run(outcome.as_ref().map(reqwest::Response::status)) =>
                    {
                        self.find_started_job(op, url, *submitted)
                            .await
                            .map_or(outcome, Ok)
                    }
                    _ => outcome,
                };
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

impl Client {
    /// Sends one request once, waiting for quota first and letting the
    /// response's rate-limit headers correct the budget.
    async fn send_paced(&self, request: reqwest::Request) -> reqwest::Result<reqwest::Response> {
        let pacer = self.inner().pacer();
        if let Some(pacer) = pacer {
            pacer.acquire().await;
        }
        let outcome = self.client().execute(request).await;
        if let (Some(pacer), Ok(response)) = (pacer, &outcome) {
            pacer.observe(response.status(), response.headers());
        }
        outcome
    }

    /// Looks for the generation job a billed submission to `url` started
    /// despite its failure (see `recovery`), answering with it if found.
    async fn find_started_job(
        &self,
        op: &crate::operations::Operation,
        url: &reqwest::Url,
        submitted: chrono::DateTime<chrono::Utc>,
    ) -> Option<reqwest::Response> {
        let lookup = crate::recovery::lookup_url(op, self.baseurl(), url, submitted)?;
        let mut request = reqwest::Request::new(reqwest::Method::GET, lookup);
        self.inner().decorate(request.headers_mut());
        let response = self.send_paced(request).await.ok()?;
        if !response.status().is_success() {
            return None;
        }
        let body = response.bytes().await.ok()?;
        let found = crate::recovery::recovered_response(op, &body)?;
        tracing::info!(
            operation = op.id,
            "the submission's answer was lost; found the job it started"
        );
        crate::error::record_response(&found);
        Some(found)
    }
}

//! The `ClientHooks` implementation the generated client calls around every request.

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

    /// Sends the request and notes the response's status and headers for
    /// the error mapping.
    async fn exec(
        &self,
        request: reqwest::Request,
        _info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let response = self.client().execute(request).await?;
        crate::error::record_response(&response);
        Ok(response)
    }
}

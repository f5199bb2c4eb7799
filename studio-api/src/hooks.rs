//! The `ClientHooks` implementation the generated client calls around every request.

use crate::{Client, ClientState};
use progenitor_client::{ClientHooks, ClientInfo, Error, OperationInfo};
use reqwest::header::{HeaderName, HeaderValue};

impl ClientHooks<ClientState> for Client {
    /// Adds the credential's header to the request.
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> Result<(), Error<E>> {
        if let Some(credential) = self.inner().credential() {
            let (name, value) = credential.header();
            let mut value = HeaderValue::from_str(&value).map_err(|_| {
                Error::InvalidRequest("the credential is not a valid header value".into())
            })?;
            value.set_sensitive(true);
            request
                .headers_mut()
                .insert(HeaderName::from_static(name), value);
        }
        Ok(())
    }
}

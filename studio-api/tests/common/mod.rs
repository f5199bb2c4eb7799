//! What the integration tests share: a local server and a client for it.

use studio_api::Client;
use studio_mock::{MockBuilder, MockServer};

/// A local server without quotas, and a client for it that neither paces
/// nor retries, so the requests the server counts are the ones the code
/// under test made.
pub fn start() -> (MockServer, Client) {
    start_with(MockServer::builder().no_rate_limit())
}

/// Like [`start`], with the server built from `builder`.
pub fn start_with(builder: MockBuilder) -> (MockServer, Client) {
    let server = builder.start().unwrap();
    let client = Client::builder()
        .base_url(server.base_url())
        .api_key(server.api_key())
        .pacing(false)
        .max_retries(0)
        .build()
        .unwrap();
    (server, client)
}

//! What the examples share: choosing between the real service and a local
//! `studio-mock` server.

use studio_api::Credential;
use studio_mock::MockServer;

/// The production base URL, used when `STUDIO_BASE_URL` is unset.
pub const DEFAULT_BASE_URL: &str = "https://mstudio.ai/api/v1";

/// Where the example sends its requests.
pub struct Target {
    /// The base URL, ending in `/api/v1`.
    pub base_url: String,
    /// The credential to send.
    pub credential: Credential,
    /// The local server, kept alive for as long as the example runs.
    pub local: Option<MockServer>,
}

/// Uses `STUDIO_API_KEY` or `STUDIO_BEARER_TOKEN` (and `STUDIO_BASE_URL`)
/// when set; otherwise starts a local mock server in this process. The
/// first line printed says which.
pub fn target() -> std::io::Result<Target> {
    let from_env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let credential = from_env("STUDIO_API_KEY")
        .map(Credential::api_key)
        .or_else(|| from_env("STUDIO_BEARER_TOKEN").map(Credential::bearer));
    if let Some(credential) = credential {
        let base_url = from_env("STUDIO_BASE_URL").unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
        println!("Using the Studio API at {base_url} with the credential from the environment.");
        return Ok(Target {
            base_url,
            credential,
            local: None,
        });
    }
    let server = MockServer::builder()
        .job_duration(std::time::Duration::from_millis(1200))
        .start()?;
    println!(
        "No STUDIO_API_KEY or STUDIO_BEARER_TOKEN set: running against a local studio-mock server at {}.",
        server.base_url()
    );
    Ok(Target {
        base_url: server.base_url().to_string(),
        credential: Credential::api_key(server.api_key()),
        local: Some(server),
    })
}

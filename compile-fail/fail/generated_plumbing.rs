// progenitor's own error type, client trait, prelude and constructors are
// not part of the API: a client is made by `Client::builder()` and an
// operation's builder by its `Client` method.
use studio_api::ClientInfo;
use studio_api::prelude::*;

fn main() {
    let client = studio_api::Client::builder().api_key("sk_live_x").build().unwrap();
    let _ = studio_api::builder::ListProjects::new(&client);
    let _: Option<studio_api::Error<studio_api::types::ErrorResponse>> = None;
}

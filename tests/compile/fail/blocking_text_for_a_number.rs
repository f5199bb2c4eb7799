// The blocking builders take the same values as the async ones.
fn main() {
    let client =
        studio_api_blocking::Client::new(studio_api::ClientBuilder::new().api_key("sk_live_x")).unwrap();
    let _ = client.list_projects().limit("20");
}

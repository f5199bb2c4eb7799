// The blocking builders take the same values as the async ones.
fn main() {
    let client = studio_api_blocking::Client::builder().api_key("sk_live_x").build().unwrap();
    let _ = client.list_projects().limit("20");
}

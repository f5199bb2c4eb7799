// A page size is a number, not its text.
fn main() {
    let client = studio_api::Client::builder().api_key("sk_live_x").build().unwrap();
    let _ = client.list_projects().limit("20");
}

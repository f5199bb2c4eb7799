// A project name is text.
fn main() {
    let client = studio_api::Client::builder().api_key("sk_live_x").build().unwrap();
    let _ = client.create_project().body_map(|b| b.name(42));
}

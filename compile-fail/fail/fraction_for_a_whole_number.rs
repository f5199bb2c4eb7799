// A frame count is a whole number.
fn main() {
    let client = studio_api::Client::builder().api_key("sk_live_x").build().unwrap();
    let _ = client.generate_script().project_id("prj_1").body_map(|b| b.prompt("x").frame_count(2.5));
}

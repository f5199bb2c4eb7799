// An aspect ratio is an AspectRatio or its wire string, not another enum.
fn main() {
    let client = studio_api::Client::builder().api_key("sk_live_x").build().unwrap();
    let _ = client
        .create_project()
        .body_map(|b| b.name("x").aspect_ratio(studio_api::types::ExportFormat::Mp4));
}

//! The whole storyboard flow with the blocking client (no async, no runtime): a project, its AI script,
//! an image for every frame, a video for the first frame, a voiceover and an
//! MP4 export.
//!
//! ```sh
//! cargo run --example storyboard_blocking                        # against a local studio-mock
//! STUDIO_API_KEY=sk_live_... cargo run --example storyboard_blocking   # against the real service
//! ```

use studio_api_blocking::{Client, Handle, Pollable, types, wait_all};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn main() -> Result<()> {
    let target = studio_examples::target()?;
    let client = Client::with_credential(&target.base_url, target.credential.clone())?;

    let project = client
        .create_project()
        .body_map(|b| {
            b.name("The Lighthouse Keeper")
                .aspect_ratio("16:9")
                .style("moody watercolor")
        })
        .send()?
        .into_inner()
        .data;
    println!("Created project {} ({})", project.name, project.id);

    let script = client
        .generate_script()
        .project_id(&project.id)
        .body_map(|b| {
            b.prompt("An old lighthouse keeper guides a lost ship home through a storm")
                .frame_count(4)
        })
        .send()?
        .into_inner()
        .data;
    println!("Script written: {} frames", script.frames.len());

    let mut image_jobs = Vec::new();
    for frame in &script.frames {
        let job = client.generate_frame_image().frame_id(&frame.id).send()?;
        image_jobs.push(client.job(&job.into_inner().data));
    }
    println!("Generating {} images...", image_jobs.len());
    for image in wait_all(image_jobs) {
        let image = image?;
        println!("  image {}: {}", image.id, image.status);
    }

    let first = &script.frames[0];
    let video_job = client
        .generate_frame_video()
        .frame_id(&first.id)
        .body_map(|b| b.duration_seconds(4))
        .send()?
        .into_inner()
        .data;
    println!("Generating a video for frame 1...");
    let video = follow("video", client.job(&video_job))?;

    let voices = client.list_voices().send()?.into_inner().data;
    let voice = voices.first().ok_or("the voice library is empty")?;
    let voice_job = client
        .generate_voiceover()
        .project_id(&project.id)
        .body_map(|b| {
            b.text(&first.script)
                .voice_id(&voice.id)
                .frame_id(&first.id)
        })
        .send()?
        .into_inner()
        .data;
    println!("Recording a voiceover with {}...", voice.name);
    let voiceover = follow("voiceover", client.job(&voice_job))?;

    let export = client
        .create_export()
        .project_id(&project.id)
        .body_map(|b| b.format("mp4").include_audio(true))
        .send()?
        .into_inner()
        .data;
    println!("Exporting an MP4...");
    let export = follow("export", client.export(&export))?;

    // Every frame, however many pages the list takes.
    let frames: Vec<types::Frame> = client
        .list_frames()
        .project_id(&project.id)
        .iter()
        .collect::<std::result::Result<_, _>>()?;
    println!();
    println!("Project: {} ({})", project.name, project.id);
    for frame in &frames {
        let image = frame.image_url.as_deref().unwrap_or("(no image)");
        println!("  frame {}: {}", frame.position, image);
    }
    let result = |job: &types::GenerationJob| job.result.clone().unwrap_or_else(empty_result);
    println!(
        "Video:     {}",
        result(&video).video_url.unwrap_or_default()
    );
    println!(
        "Voiceover: {}",
        result(&voiceover).audio_url.unwrap_or_default()
    );
    println!("Export:    {}", export.url.unwrap_or_default());
    if target.local.is_some() {
        println!(
            "(These URLs are served by the local server, which stops when this example exits.)"
        );
    }
    Ok(())
}

fn empty_result() -> types::JobResult {
    types::JobResult {
        asset_id: None,
        audio_url: None,
        image_url: None,
        version_id: None,
        video_url: None,
        unknown_fields: Default::default(),
    }
}

/// Waits for the work behind `handle`, printing each change of its status
/// or progress, and returns its final state.
fn follow<T: Pollable>(label: &str, handle: Handle<T>) -> Result<T> {
    let mut last = None;
    for state in handle.progress() {
        let state = state?;
        println!(
            "  {label}: {} {}%",
            state.status(),
            state.progress().unwrap_or(0)
        );
        last = Some(state);
    }
    Ok(last.ok_or("the work reported no state")?)
}

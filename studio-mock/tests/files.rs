//! Files served under `/files/`, which ask for no credential: each is
//! named with 128 random bits, so that no one finds another's upload or
//! artifact by counting.

use crate::common;

use common::{client, download, frame, project, wait_for_job};

/// The random part of a served file's URL, `…/files/<kind>_<random>.<ext>`,
/// as a number; panics unless it is 32 hex digits (128 bits).
#[track_caller]
fn random_part(url: &str) -> u128 {
    let name = url.rsplit_once("/files/").expect("a /files/ URL").1;
    let stem = name.split_once('.').map_or(name, |(stem, _)| stem);
    let random = stem.rsplit_once('_').map_or(stem, |(_, random)| random);
    assert!(
        random.len() == 32 && random.chars().all(|c| c.is_ascii_hexdigit()),
        "{url} is not named with 32 random hex digits"
    );
    u128::from_str_radix(random, 16).unwrap()
}

#[tokio::test]
async fn served_files_have_unguessable_names() {
    let server = common::start();
    let c = client(&server);
    let upload = |bytes: &'static [u8]| {
        let c = c.clone();
        async move {
            let asset = c.upload_asset().filename("mine.bin").body(bytes.to_vec());
            asset.send().await.unwrap().into_inner().data
        }
    };
    let first = upload(b"first upload").await;
    let second = upload(b"second upload").await;
    let (a, b) = (random_part(&first.url), random_part(&second.url));
    assert!(
        a.abs_diff(b) > u128::from(u64::MAX),
        "{} and {} follow each other",
        first.url,
        second.url
    );

    // Counting from 1 in the style of the ids finds nothing.
    let origin = server.base_url().trim_end_matches("/api/v1");
    let guesser = reqwest::Client::new();
    for n in 0..=50 {
        for guess in [format!("ast_{n}.bin"), format!("ast_{n:06}.bin")] {
            let url = format!("{origin}/files/{guess}");
            let response = guesser.get(&url).send().await.unwrap();
            assert_eq!(response.status(), 404, "GET {url}");
        }
    }

    // The real URLs serve the bytes.
    assert_eq!(download(&first.url).await.1, b"first upload");
    assert_eq!(download(&second.url).await.1, b"second upload");

    // So are what the server makes: voice previews and generated images.
    let voices = c.list_voices().send().await.unwrap().into_inner().data;
    for voice in &voices {
        random_part(voice.preview_url.as_deref().expect("a preview"));
    }
    let prj = project(&c, "Files").await;
    let frm = frame(&c, &prj.id, "A lighthouse").await;
    let job = c.generate_frame_image().frame_id(&frm.id).send().await;
    let job = job.unwrap().into_inner().data;
    let done = wait_for_job(&c, &job.id).await.pop().unwrap();
    let image = done.result.and_then(|r| r.image_url).expect("an image URL");
    random_part(&image);
    assert_eq!(download(&image).await.0, "image/png");
}

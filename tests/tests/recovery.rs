//! A billed generation request whose answer is lost is never sent again:
//! the client finds the job it started, or says the outcome is unknown.

use studio_api::{Client, Credential, types};
use studio_mock::{Fault, MockServer};

async fn setup() -> (MockServer, Client, String) {
    let server = MockServer::builder().no_rate_limit().start().unwrap();
    let client =
        Client::with_credential(server.base_url(), Credential::api_key(server.api_key())).unwrap();
    let project = client
        .create_project()
        .body_map(|b| b.name("Lost answers"))
        .send()
        .await
        .unwrap();
    let frame = client
        .create_frame()
        .project_id(&project.data.id)
        .body_map(|b| b.script("A keeper lights the lamp"))
        .send()
        .await
        .unwrap();
    (server, client, frame.data.id.clone())
}

/// `generate_frame_image` on `frame`.
async fn image(
    client: &Client,
    frame: &str,
) -> Result<studio_api::ResponseValue<types::GenerationJobResponse>, studio_api::Error> {
    client.generate_frame_image().frame_id(frame).send().await
}

async fn jobs_on(client: &Client, frame: &str) -> Vec<types::GenerationJob> {
    client
        .list_generation_jobs()
        .frame_id(frame)
        .send()
        .await
        .unwrap()
        .into_inner()
        .data
}

#[tokio::test]
async fn a_lost_answer_is_recovered_from_the_job_list_not_resent() {
    let (server, client, frame) = setup().await;
    let wallet = server.wallet();
    server
        .fail_next("generate_frame_image", 1, Fault::DropResponse)
        .unwrap();
    let job = image(&client, &frame)
        .await
        .expect("the job the lost request started")
        .into_inner()
        .data;
    assert_eq!(job.type_, types::JobType::Image);
    assert_eq!(job.frame_id.as_deref(), Some(frame.as_str()));
    assert_eq!(
        server.request_count("generate_frame_image"),
        Ok(1),
        "sent once"
    );
    let jobs = jobs_on(&client, &frame).await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].id, job.id);
    assert_eq!(server.wallet(), wallet - 1.0, "paid once");
}

#[tokio::test]
async fn when_no_job_was_started_the_error_says_the_outcome_is_unknown() {
    let (server, client, frame) = setup().await;
    server
        .fail_next("generate_frame_image", 1, Fault::DropConnection)
        .unwrap();
    let error = image(&client, &frame).await.unwrap_err();
    assert!(error.outcome_unknown(), "{error}");
    assert_eq!(
        server.request_count("generate_frame_image"),
        Ok(1),
        "never resent"
    );
    assert!(jobs_on(&client, &frame).await.is_empty());
}

#[tokio::test]
async fn a_5xx_on_a_billed_call_is_neither_resent_nor_mistaken_for_a_job() {
    let (server, client, frame) = setup().await;
    server
        .fail_next(
            "generate_frame_video",
            1,
            Fault::Status {
                status: 503,
                retry_after: None,
            },
        )
        .unwrap();
    let error = client
        .generate_frame_video()
        .frame_id(&frame)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert!(error.outcome_unknown());
    assert_eq!(server.request_count("generate_frame_video"), Ok(1));
}

/// A project with two frames, as (server, client, project, frames).
async fn two_frames() -> (MockServer, Client, String, [String; 2]) {
    let (server, client, first) = setup().await;
    let project = client
        .get_frame()
        .frame_id(&first)
        .send()
        .await
        .unwrap()
        .into_inner()
        .data
        .project_id;
    let second = client
        .create_frame()
        .project_id(&project)
        .body_map(|b| b.script("The lamp turns"))
        .send()
        .await
        .unwrap()
        .into_inner()
        .data
        .id;
    (server, client, project, [first, second])
}

#[tokio::test]
async fn a_lost_multi_shot_is_recovered_as_one_job_per_frame_of_the_project() {
    let (server, client, project, frames) = two_frames().await;
    server
        .fail_next("generate_multi_shot", 1, Fault::DropResponse)
        .unwrap();
    let jobs = client
        .generate_multi_shot()
        .project_id(&project)
        .send()
        .await
        .expect("one job per frame, found by the lookup")
        .into_inner()
        .data;
    let found: Vec<_> = jobs
        .iter()
        .map(|job| job.frame_id.clone().unwrap())
        .collect();
    assert_eq!(found, frames);
    assert!(
        jobs.iter()
            .all(|job| job.type_ == types::JobType::MultiShot)
    );
    assert_eq!(
        server.request_count("generate_multi_shot"),
        Ok(1),
        "sent once"
    );
}

#[tokio::test]
async fn a_lost_multi_shot_of_named_frames_is_recovered_for_those_frames() {
    let (server, client, project, [_, second]) = two_frames().await;
    server
        .fail_next("generate_multi_shot", 1, Fault::DropResponse)
        .unwrap();
    let jobs = client
        .generate_multi_shot()
        .project_id(&project)
        .body_map(|b| b.frame_ids([&second]))
        .send()
        .await
        .expect("the one job")
        .into_inner()
        .data;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].frame_id.as_deref(), Some(second.as_str()));
    assert_eq!(server.request_count("generate_multi_shot"), Ok(1));
}

#[tokio::test]
async fn a_lost_submission_right_after_anothers_job_on_the_frame_is_doubt_not_a_guess() {
    let (server, client, frame) = setup().await;
    // Another client (another process, say) starts a job on the frame.
    let other =
        Client::with_credential(server.base_url(), Credential::api_key(server.api_key())).unwrap();
    image(&other, &frame).await.unwrap();
    server
        .fail_next("generate_frame_image", 1, Fault::DropResponse)
        .unwrap();
    let error = image(&client, &frame).await.unwrap_err();
    // Both jobs may have started after the submission as far as whole-second
    // clocks can tell, so neither is returned as this call's job.
    assert!(error.outcome_unknown(), "{error}");
    assert_eq!(jobs_on(&client, &frame).await.len(), 2);
    assert_eq!(server.request_count("generate_frame_image"), Ok(2));
}

#[tokio::test]
async fn a_lost_submission_right_after_this_clients_own_job_is_recovered() {
    let (server, client, frame) = setup().await;
    let first = image(&client, &frame).await.unwrap().into_inner().data;
    server
        .fail_next("generate_frame_image", 1, Fault::DropResponse)
        .unwrap();
    let second = image(&client, &frame)
        .await
        .expect("the earlier job is this client's own, so only the new one is a candidate")
        .into_inner()
        .data;
    assert_ne!(second.id, first.id);
    assert_eq!(jobs_on(&client, &frame).await.len(), 2);
}

#[tokio::test]
async fn a_job_an_earlier_call_started_is_never_a_later_calls_answer() {
    let (server, client, frame) = setup().await;
    let first = image(&client, &frame).await.unwrap().into_inner().data;
    // Refused before it is handled: this submission starts nothing.
    server
        .fail_next(
            "generate_frame_image",
            1,
            Fault::Status {
                status: 503,
                retry_after: None,
            },
        )
        .unwrap();
    let error = image(&client, &frame)
        .await
        .expect_err("the earlier call's job is not this call's");
    assert!(error.outcome_unknown(), "{error}");
    let jobs = jobs_on(&client, &frame).await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].id, first.id);
}

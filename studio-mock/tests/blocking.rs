//! The blocking client against the same server, from plain threads.

use crate::common;

use common::assert_error;
use std::time::{Duration, Instant};
use studio_api_blocking::{Client, Credential, types};
use studio_mock::{MockServer, Scope};

fn key_client(server: &MockServer, key: &str) -> Client {
    Client::from_async(
        common::plain(server, Credential::api_key(key))
            .build()
            .unwrap(),
    )
    .unwrap()
}

#[test]
fn the_blocking_client_meets_the_same_rules() {
    let server = common::start();
    let projects_only = key_client(&server, &server.mint_api_key(Some(&[Scope::Projects])));
    let prj = projects_only
        .create_project()
        .body_map(|b| b.name("Blocking"))
        .send()
        .unwrap();
    assert_eq!(prj.status(), 201);

    let error = projects_only
        .list_frames()
        .project_id(&prj.data.id)
        .send()
        .unwrap_err();
    assert_error(error, 403, "API key missing required scope: frames");

    let error = key_client(&server, "sk_test_unknown")
        .list_projects()
        .send()
        .unwrap_err();
    assert_error(error, 401, "Missing or invalid API key / token.");

    let star = key_client(&server, server.api_key());
    let team = star
        .create_team()
        .body_map(|b| b.name("Crew"))
        .send()
        .unwrap();
    let error = star
        .delete_team()
        .team_id(&team.data.id)
        .send()
        .unwrap_err();
    assert_error(error, 403, "endpoint not available via API key");
    let bearer = Client::from_async(
        common::plain(&server, Credential::bearer(server.bearer_token()))
            .build()
            .unwrap(),
    )
    .unwrap();
    bearer.delete_team().team_id(&team.data.id).send().unwrap();
}

#[test]
fn the_blocking_client_runs_a_job_to_completion() {
    let server = common::start();
    let c = key_client(&server, server.api_key());
    let prj = c
        .create_project()
        .body_map(|b| b.name("Blocking job"))
        .send()
        .unwrap()
        .into_inner()
        .data;
    let frm = c
        .create_frame()
        .project_id(&prj.id)
        .body_map(|b| b.script("A quiet street"))
        .send()
        .unwrap()
        .into_inner()
        .data;
    let job = c.generate_frame_image().frame_id(&frm.id).send().unwrap();
    assert_eq!(job.status(), 202);
    assert_eq!(job.data.status, types::JobStatus::Queued);

    let deadline = Instant::now() + Duration::from_secs(10);
    let done = loop {
        let current = c
            .get_generation_job()
            .job_id(&job.data.id)
            .send()
            .unwrap()
            .into_inner()
            .data;
        if common::is_final(&current.status) {
            break current;
        }
        assert!(Instant::now() < deadline, "the job never finished");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(done.status, types::JobStatus::Completed);
    let image_url = done.result.unwrap().image_url;
    assert!(image_url.is_some());
    let frame = c.get_frame().frame_id(&frm.id).send().unwrap();
    assert_eq!(frame.data.image_url, image_url);
    assert_eq!(server.wallet(), 999.0);
}

//! Scripted faults: what the client sees for each, that they apply to the
//! next calls of one operation only, and that requests are counted.

use crate::common;

use common::{assert_error, client, header, project};
use std::time::{Duration, Instant};
use studio_api::ErrorKind;
use studio_mock::Fault;

#[tokio::test]
async fn a_status_fault_answers_once_with_retry_after_then_the_call_succeeds() {
    let server = common::start();
    let c = client(&server);
    let prj = project(&c, "Flaky").await;
    server
        .fail_next(
            "get_project",
            1,
            Fault::Status {
                status: 503,
                retry_after: Some(7),
            },
        )
        .unwrap();

    // 503 is not a status the spec declares; the error still carries the
    // status, the server's message and the headers.
    let error = c
        .get_project()
        .project_id(&prj.id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::Server);
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(error.message(), "Service Unavailable");
    assert_eq!(header(error.headers().unwrap(), "retry-after"), "7");

    let fetched = c.get_project().project_id(&prj.id).send().await.unwrap();
    assert_eq!(fetched.data.id, prj.id);
    assert_eq!(server.request_count("get_project"), Ok(2));
}

#[tokio::test]
async fn a_declared_status_fault_decodes_as_an_error_response() {
    let server = common::start();
    let c = client(&server);
    server
        .fail_next(
            "list_projects",
            2,
            Fault::Status {
                status: 429,
                retry_after: None,
            },
        )
        .unwrap();
    for _ in 0..2 {
        let error = c.list_projects().send().await.unwrap_err();
        let error = assert_error(error, 429, "Too Many Requests");
        assert_eq!(error.kind(), &ErrorKind::RateLimited { retry_after: None });
    }
    c.list_projects().send().await.unwrap();
    assert_eq!(server.request_count("list_projects"), Ok(3));
}

#[tokio::test]
async fn a_non_json_fault_keeps_its_status_visible() {
    let server = common::start();
    let c = client(&server);
    server
        .fail_next("list_voices", 1, Fault::NonJson { status: 502 })
        .unwrap();
    let error = c.list_voices().send().await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(502));
    assert_eq!(error.kind(), &ErrorKind::Server);
    assert_eq!(
        header(error.headers().unwrap(), "content-type"),
        "text/html"
    );
    assert!(error.message().contains("<html>"), "{error}");
    c.list_voices().send().await.unwrap();
}

#[tokio::test]
async fn a_dropped_connection_is_a_communication_error_with_no_effect() {
    let server = common::start();
    let c = client(&server);
    let prj = project(&c, "Dropped").await;
    server
        .fail_next("create_frame", 1, Fault::DropConnection)
        .unwrap();
    let create = || {
        c.create_frame()
            .project_id(&prj.id)
            .body_map(|b| b.script("Maybe"))
            .send()
    };
    let error = create().await.unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::Connection, "{error:?}");
    assert_eq!(error.status(), None);
    // The dropped request created nothing; the next one does.
    assert_eq!(common::get_project(&c, &prj.id).await.frame_count, 0);
    let created = create().await.unwrap();
    assert_eq!(created.data.position, 1);
    assert_eq!(server.request_count("create_frame"), Ok(2));
}

#[tokio::test]
async fn a_delay_fault_answers_normally_but_late() {
    let server = common::start();
    let c = client(&server);
    let delay = Duration::from_millis(300);
    server
        .fail_next("list_projects", 1, Fault::Delay(delay))
        .unwrap();
    let started = Instant::now();
    let response = c.list_projects().send().await.unwrap();
    assert!(started.elapsed() >= delay, "took {:?}", started.elapsed());
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn faults_queue_in_order_for_one_operation_only() {
    let server = common::start();
    let c = client(&server);
    server
        .fail_next(
            "list_teams",
            1,
            Fault::Status {
                status: 500,
                retry_after: None,
            },
        )
        .unwrap();
    server
        .fail_next("list_teams", 1, Fault::NonJson { status: 502 })
        .unwrap();

    // Other operations are unaffected.
    c.list_projects().send().await.unwrap();
    c.list_voices().send().await.unwrap();

    let statuses = [
        c.list_teams().send().await.unwrap_err().status(),
        c.list_teams().send().await.unwrap_err().status(),
    ];
    let statuses = statuses.map(|s| s.map(|s| s.as_u16()));
    assert_eq!(statuses, [Some(500), Some(502)]);
    c.list_teams().send().await.unwrap();

    assert_eq!(server.request_count("list_teams"), Ok(3));
    assert_eq!(server.request_count("list_projects"), Ok(1));
    assert_eq!(server.request_count("list_voices"), Ok(1));
    assert_eq!(server.request_count("delete_team"), Ok(0));
}

#[tokio::test]
async fn request_count_includes_refused_requests() {
    let server = common::start();
    let stranger = common::anonymous_client(&server);
    for _ in 0..3 {
        stranger.list_projects().send().await.unwrap_err();
    }
    assert_eq!(server.request_count("list_projects"), Ok(3));
    assert_eq!(server.request_count("create_project"), Ok(0));
}

#[tokio::test]
async fn a_misspelt_operation_is_refused_by_name_and_scripts_nothing() {
    let server = common::start();
    let c = client(&server);
    let unavailable = Fault::Status {
        status: 503,
        retry_after: None,
    };
    let error = server
        .fail_next("create_projects", 1, unavailable.clone())
        .unwrap_err();
    assert_eq!(error.name(), "create_projects");
    assert_eq!(error.suggestion(), Some("create_project"));
    assert_eq!(
        error.to_string(),
        "unknown operation `create_projects`; did you mean `create_project`?"
    );
    let error = server.fail_next("bogus_op", 1, unavailable).unwrap_err();
    assert_eq!(error.suggestion(), None);
    assert!(error.to_string().contains("`bogus_op`"), "{error}");

    // The operation meant is untouched.
    project(&c, "Unscripted").await;
    assert_eq!(server.request_count("create_project"), Ok(1));
}

#[tokio::test]
async fn request_count_refuses_a_misspelt_operation() {
    let server = common::start();
    let error = server.request_count("list_project").unwrap_err();
    assert_eq!(error.name(), "list_project");
    assert_eq!(error.suggestion(), Some("list_projects"));
}

#[tokio::test]
async fn faults_scripted_on_the_builder_meet_the_first_calls() {
    let server = common::builder()
        .fail_next("list_projects", 2, Fault::NonJson { status: 502 })
        .unwrap()
        .fail_next(
            "list_projects",
            1,
            Fault::Status {
                status: 503,
                retry_after: None,
            },
        )
        .unwrap()
        .start()
        .unwrap();
    let c = client(&server);
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let error = c.list_projects().send().await.unwrap_err();
        statuses.push(error.status().map(|s| s.as_u16()));
    }
    assert_eq!(statuses, [Some(502), Some(502), Some(503)]);
    c.list_projects().send().await.unwrap();

    let refused = common::builder().fail_next("list_projcts", 1, Fault::DropConnection);
    assert_eq!(refused.unwrap_err().name(), "list_projcts");
}

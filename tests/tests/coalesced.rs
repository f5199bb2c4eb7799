//! Coalesced waiting against studio-mock: handles of one client that wait at
//! the same time share their polls through `list_generation_jobs` and
//! `list_exports`, and fall back to polls by id where a listing cannot
//! show their work.

use axum::extract::{Request, State};
use axum::response::Response;
use futures_util::StreamExt;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use studio_api::types::{ExportFormat, GenerationJob, JobStatus};
use studio_api::{Client, Credential, ErrorKind, PollSchedule, progress_all, wait_all};
use studio_mock::{Fault, MockServer};

/// Polls every 20 ms at first, at most every 200 ms.
const QUICK: PollSchedule = PollSchedule {
    first: Duration::from_millis(20),
    factor: 2.0,
    max: Duration::from_millis(200),
};

fn server(job: Duration) -> MockServer {
    MockServer::builder()
        .job_duration(job)
        .no_rate_limit()
        .start()
        .expect("studio-mock starts")
}

/// A server whose next `times` calls of `operation` meet `fault`.
fn failing(job: Duration, operation: &str, times: usize, fault: Fault) -> MockServer {
    MockServer::builder()
        .job_duration(job)
        .no_rate_limit()
        .fail_next(operation, times, fault)
        .expect("a known operation")
        .start()
        .expect("studio-mock starts")
}

fn client(base_url: &str, key: String) -> Client {
    Client::builder()
        .base_url(base_url)
        .credential(Credential::api_key(key))
        .pacing(false)
        .poll_schedule(QUICK)
        .build()
        .expect("a client")
}

/// `count` image jobs in a new project, one frame each.
async fn jobs(client: &Client, count: usize) -> Vec<GenerationJob> {
    let project = client
        .create_project()
        .body_map(|b| b.name("Coalesced"))
        .send()
        .await
        .expect("a project")
        .into_inner()
        .data;
    let mut jobs = Vec::new();
    for shot in 0..count {
        let frame = client
            .create_frame()
            .project_id(&project.id)
            .body_map(|b| b.script(format!("Shot {shot}")))
            .send()
            .await
            .expect("a frame")
            .into_inner()
            .data;
        let job = client
            .generate_frame_image()
            .frame_id(&frame.id)
            .send()
            .await
            .expect("a job")
            .into_inner()
            .data;
        jobs.push(job);
    }
    jobs
}

fn polls(server: &MockServer) -> (usize, usize) {
    (
        server.request_count("list_generation_jobs").unwrap(),
        server.request_count("get_generation_job").unwrap(),
    )
}

/// A group of one polls by id, as the pool documents: the wait left last
/// in each of `projects` (its job created last, so finishing last) may
/// look by id a few times once the others are done, more on a loaded
/// machine, where the jobs are created further apart. Every other look
/// must have been a shared listing.
fn assert_few_by_id(by_id: usize, projects: usize) {
    assert!(
        by_id <= 3 * projects,
        "{by_id} polls by id: only a wait left alone in its project polls by id"
    );
}

/// Waits on each job in a task of its own; the completed states by id.
async fn wait_in_tasks(client: &Client, jobs: &[GenerationJob]) -> HashMap<String, GenerationJob> {
    let tasks: Vec<_> = jobs
        .iter()
        .map(|job| {
            let handle = client.job(job);
            tokio::spawn(async move { handle.wait().await })
        })
        .collect();
    let mut done = HashMap::new();
    for task in tasks {
        let job = task
            .await
            .expect("the task ends")
            .expect("the job completes");
        done.insert(job.id.clone(), job);
    }
    done
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waits_in_separate_tasks_share_one_listing_per_project() {
    let job = Duration::from_millis(1500);
    let server = server(job);
    let client = client(server.base_url(), server.mint_api_key(None));
    let mut all = Vec::new();
    // The first project's 120 need a second page at every tick.
    for count in [120, 80, 50] {
        all.extend(jobs(&client, count).await);
    }
    let started = Instant::now();
    let done = wait_in_tasks(&client, &all).await;
    let took = started.elapsed();

    assert_eq!(done.len(), 250);
    for job in &all {
        let finished = &done[&job.id];
        assert_eq!(finished.status, JobStatus::Completed, "{}", job.id);
        assert_eq!(finished.project_id, job.project_id);
        assert!(finished.result.is_some(), "{} has its result", job.id);
    }
    let (listed, by_id) = polls(&server);
    eprintln!("250 jobs in {took:?}: {listed} listings, {by_id} polls by id");
    // Three projects; at most two pages each per tick, and a tick at most
    // every 20 ms (the schedule's first step) while the jobs run.
    let ticks = took.as_millis() as usize / 20 + 1;
    assert!(listed <= 3 * 2 * ticks, "{listed} listings in {took:?}");
    assert!(
        listed + by_id < 250,
        "fewer polls than jobs: {listed} listings and {by_id} polls by id for 250 jobs"
    );
    assert_few_by_id(by_id, 3);
}

#[tokio::test]
async fn a_lone_handle_polls_by_id_as_before() {
    let server = server(Duration::from_millis(300));
    let client = client(server.base_url(), server.mint_api_key(None));
    let job = jobs(&client, 1).await.remove(0);
    let done = client.job(&job).wait().await.expect("the job completes");
    assert_eq!(done.status, JobStatus::Completed);
    let (listed, by_id) = polls(&server);
    assert_eq!(listed, 0);
    assert!(by_id >= 1);
}

#[tokio::test]
async fn handles_of_option_clients_share_their_parents_pool() {
    let server = server(Duration::from_millis(600));
    let client = client(server.base_url(), server.mint_api_key(None));
    let jobs = jobs(&client, 20).await;
    let slower = PollSchedule {
        max: Duration::from_millis(400),
        ..QUICK
    };
    let patient = client.with_options(|o| o.poll_schedule(slower));
    let handles = jobs.iter().enumerate().map(|(i, job)| {
        if i % 2 == 0 {
            client.job(job)
        } else {
            patient.job(job)
        }
    });
    let results = wait_all(handles).await;
    assert!(
        results
            .iter()
            .all(|r| r.as_ref().is_ok_and(|j| j.status == JobStatus::Completed))
    );
    let (listed, by_id) = polls(&server);
    assert_few_by_id(by_id, 1);
    assert!(listed < 20, "{listed} listings for 20 jobs");
}

#[tokio::test]
async fn without_coalescing_each_handle_polls_by_id() {
    let server = server(Duration::from_millis(300));
    let client = Client::builder()
        .base_url(server.base_url())
        .credential(Credential::api_key(server.mint_api_key(None)))
        .pacing(false)
        .poll_schedule(QUICK)
        .coalesced_waiting(false)
        .build()
        .unwrap();
    let jobs = jobs(&client, 5).await;
    let results = wait_all(jobs.iter().map(|j| client.job(j))).await;
    assert!(results.iter().all(Result::is_ok));
    let (listed, by_id) = polls(&server);
    assert_eq!(listed, 0);
    assert!(by_id >= 5);
}

#[tokio::test]
async fn a_listing_refused_for_good_falls_back_to_polls_by_id() {
    let refusal = Fault::Status {
        status: 403,
        retry_after: None,
    };
    let server = failing(
        Duration::from_millis(300),
        "list_generation_jobs",
        100,
        refusal,
    );
    let client = client(server.base_url(), server.mint_api_key(None));
    let jobs = jobs(&client, 6).await;
    let results = wait_all(jobs.iter().map(|j| client.job(j))).await;
    assert!(
        results
            .iter()
            .all(|r| r.as_ref().is_ok_and(|j| j.status == JobStatus::Completed))
    );
    let (listed, by_id) = polls(&server);
    assert_eq!(listed, 1, "one refusal is enough to stop listing");
    assert!(by_id >= 6);
}

#[tokio::test]
async fn a_deadline_returns_each_unfinished_handles_state() {
    let server = server(Duration::from_secs(30));
    let client = client(server.base_url(), server.mint_api_key(None));
    let jobs = jobs(&client, 8).await;
    let deadline = Instant::now() + Duration::from_millis(500);
    let waits = jobs.iter().map(|job| {
        let handle = client.job(job);
        async move { handle.wait_until(deadline).await }
    });
    let results = futures_util::future::join_all(waits).await;
    assert!(Instant::now() < deadline + Duration::from_secs(2));
    for (job, result) in jobs.iter().zip(results) {
        let error = result.expect_err("still running at the deadline");
        let ErrorKind::DeadlinePassed {
            id, last_status, ..
        } = error.kind()
        else {
            panic!("{error}");
        };
        assert_eq!(id, &job.id);
        assert!(
            matches!(last_status, Some(JobStatus::Queued | JobStatus::Processing)),
            "{last_status:?}"
        );
    }
    assert!(polls(&server).0 >= 1, "the waits shared listings");
}

#[tokio::test]
async fn progress_all_reports_every_handle_to_its_end() {
    let server = server(Duration::from_millis(400));
    let client = client(server.base_url(), server.mint_api_key(None));
    let jobs = jobs(&client, 4).await;
    let project = jobs[0].project_id.clone();
    let export = client
        .create_export()
        .project_id(&project)
        .body_map(|b| b.format(ExportFormat::Pdf))
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    let mut handles: Vec<_> = jobs.iter().map(|j| client.job(j).into_work()).collect();
    handles.push(client.export(&export).into_work());
    let mut last: HashMap<usize, JobStatus> = HashMap::new();
    let mut changes = progress_all(handles);
    while let Some((index, state)) = changes.next().await {
        let state = state.expect("no error");
        use studio_api::Pollable;
        assert!(
            last.get(&index) != Some(&JobStatus::Completed),
            "nothing after the end"
        );
        last.insert(index, state.status().clone());
    }
    assert_eq!(last.len(), 5);
    assert!(
        last.values().all(|s| *s == JobStatus::Completed),
        "{last:?}"
    );
}

/// A server that ignores the listing's filters: `list_generation_jobs`
/// reaches studio-mock with only its page and limit.
fn ignoring_filters(upstream: String) -> String {
    async fn forward(State(upstream): State<String>, request: Request) -> Response {
        let path = request.uri().path().to_string();
        let mut query = request.uri().query().unwrap_or("").to_string();
        if path.ends_with("/generation-jobs") {
            query = query
                .split('&')
                .filter(|pair| pair.starts_with("page=") || pair.starts_with("limit="))
                .collect::<Vec<_>>()
                .join("&");
        }
        let base = upstream.trim_end_matches("/api/v1");
        let url = format!("{base}{path}?{query}");
        let mut outgoing = reqwest::Client::new().request(request.method().clone(), url);
        for (name, value) in request.headers() {
            if name != "host" {
                outgoing = outgoing.header(name, value);
            }
        }
        let body = axum::body::to_bytes(request.into_body(), usize::MAX)
            .await
            .unwrap();
        let answer = outgoing.body(body).send().await.unwrap();
        let mut response = Response::builder().status(answer.status());
        for (name, value) in answer.headers() {
            response = response.header(name, value);
        }
        response
            .body(axum::body::Body::from(answer.bytes().await.unwrap()))
            .unwrap()
    }
    let app = axum::Router::new().fallback(forward).with_state(upstream);
    studio_tests::serve_on_loopback(app)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_ignoring_the_filters_still_gives_the_right_results() {
    let server = server(Duration::from_millis(800));
    let proxy = ignoring_filters(server.base_url().to_string());
    let key = server.mint_api_key(None);
    let setup = client(server.base_url(), key.clone());
    // Jobs in another project, created later, crowd the unfiltered
    // listing: ours are on its third page, past what a tick reads.
    let ours = jobs(&setup, 30).await;
    let _theirs = jobs(&setup, 220).await;
    let client = client(&proxy, key);
    let done = wait_in_tasks(&client, &ours).await;
    for job in &ours {
        let finished = &done[&job.id];
        assert_eq!(finished.status, JobStatus::Completed);
        assert_eq!(finished.project_id, job.project_id);
    }
    let (listed, by_id) = polls(&server);
    assert!(listed >= 1, "the waits tried the listing");
    assert!(
        by_id >= 1,
        "jobs the listing did not show were polled by id"
    );
}

#[test]
fn blocking_waits_on_separate_threads_share_listings_and_progress_all_iterates() {
    use studio_api_blocking as blocking;
    let server = server(Duration::from_millis(500));
    let client = blocking::Client::builder()
        .base_url(server.base_url())
        .credential(Credential::api_key(server.mint_api_key(None)))
        .pacing(false)
        .poll_schedule(QUICK)
        .build()
        .unwrap();
    let project = client
        .create_project()
        .body_map(|b| b.name("Threads"))
        .send()
        .unwrap()
        .into_inner()
        .data;
    let jobs: Vec<_> = (0..12)
        .map(|shot| {
            let frame = client
                .create_frame()
                .project_id(&project.id)
                .body_map(|b| b.script(format!("Shot {shot}")))
                .send()
                .unwrap();
            client
                .generate_frame_image()
                .frame_id(&frame.data.id)
                .send()
                .unwrap()
                .into_inner()
                .data
        })
        .collect();
    let (threaded, followed) = jobs.split_at(6);
    std::thread::scope(|scope| {
        for job in threaded {
            let handle = client.job(job);
            scope.spawn(move || {
                let done = handle.wait().expect("completes");
                assert_eq!(done.status, JobStatus::Completed);
            });
        }
        let mut finals = 0;
        for (index, state) in blocking::progress_all(followed.iter().map(|j| client.job(j))) {
            let state = state.expect("no error");
            assert_eq!(state.id, followed[index].id);
            finals += usize::from(state.status == JobStatus::Completed);
        }
        assert_eq!(finals, 6);
    });
    let (listed, by_id) = polls(&server);
    assert_few_by_id(by_id, 1);
    assert!(listed < 12 * 3, "{listed} listings for 12 jobs");
}

#[tokio::test]
async fn a_429_on_the_listing_holds_every_wait_for_its_retry_after() {
    // More 429s than the client's retries: the tick itself sees the refusal.
    let refusal = Fault::Status {
        status: 429,
        retry_after: Some(1),
    };
    let server = failing(
        Duration::from_millis(200),
        "list_generation_jobs",
        2,
        refusal,
    );
    let client = Client::builder()
        .base_url(server.base_url())
        .credential(Credential::api_key(server.mint_api_key(None)))
        .pacing(false)
        .max_retries(0)
        .poll_schedule(QUICK)
        .build()
        .unwrap();
    let jobs = jobs(&client, 4).await;
    let started = Instant::now();
    let results = wait_all(jobs.iter().map(|j| client.job(j))).await;
    assert!(
        results
            .iter()
            .all(|r| r.as_ref().is_ok_and(|j| j.status == JobStatus::Completed))
    );
    let (listed, by_id) = polls(&server);
    assert_eq!(
        by_id, 0,
        "a refused listing is retried, not replaced by polls by id"
    );
    assert!(listed >= 3, "two refusals, then the listing: {listed}");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was waited out"
    );
}

#[tokio::test]
async fn failed_jobs_end_their_waits_with_the_servers_reason() {
    let server = MockServer::builder()
        .job_duration(Duration::from_millis(300))
        .failure_rate(1.0)
        .no_rate_limit()
        .start()
        .unwrap();
    let client = client(server.base_url(), server.mint_api_key(None));
    let jobs = jobs(&client, 5).await;
    for (job, result) in jobs
        .iter()
        .zip(wait_all(jobs.iter().map(|j| client.job(j))).await)
    {
        let error = result.expect_err("the job failed");
        assert!(
            matches!(error.kind(), ErrorKind::JobFailed { id, .. } if *id == job.id),
            "{error}"
        );
    }
    assert!(polls(&server).0 >= 1);
}

#[tokio::test]
async fn exports_of_one_project_share_a_listing_too() {
    let server = server(Duration::from_millis(400));
    let client = client(server.base_url(), server.mint_api_key(None));
    let project = jobs(&client, 1).await.remove(0).project_id;
    let mut handles = Vec::new();
    for format in [ExportFormat::Pdf, ExportFormat::Mp4, ExportFormat::Pdf] {
        let export = client
            .create_export()
            .project_id(&project)
            .body_map(|b| b.format(format))
            .send()
            .await
            .unwrap();
        handles.push(client.export(&export.data));
    }
    for result in wait_all(handles).await {
        assert!(result.expect("completes").url.is_some());
    }
    assert!(server.request_count("list_exports").unwrap() >= 1);
    assert_eq!(server.request_count("get_export").unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wait_dropped_mid_tick_leaves_the_others_waiting_and_served() {
    // The first listing takes 600 ms; one of the two waits gives up after
    // 200 ms, perhaps while it runs that tick.
    let server = failing(
        Duration::from_millis(300),
        "list_generation_jobs",
        1,
        Fault::Delay(Duration::from_millis(600)),
    );
    let client = client(server.base_url(), server.mint_api_key(None));
    let jobs = jobs(&client, 2).await;
    let (quitter, stayer) = (client.job(&jobs[0]), client.job(&jobs[1]));
    let quit = tokio::time::timeout(Duration::from_millis(200), quitter.wait());
    let stay = tokio::time::timeout(Duration::from_secs(10), stayer.wait());
    let (quit, stay) = tokio::join!(quit, stay);
    assert!(quit.is_err(), "the first wait gave up");
    let done = stay.expect("the other wait ends").expect("and completes");
    assert_eq!(done.status, JobStatus::Completed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deadline_is_kept_while_another_wait_runs_a_slow_tick() {
    let server = failing(
        Duration::from_secs(30),
        "list_generation_jobs",
        1,
        Fault::Delay(Duration::from_secs(3)),
    );
    let client = client(server.base_url(), server.mint_api_key(None));
    let jobs = jobs(&client, 3).await;
    // Two waits form a group whose first listing takes 3 s ...
    let patient: Vec<_> = jobs[..2]
        .iter()
        .map(|job| {
            let handle = client.job(job);
            tokio::spawn(async move { handle.wait().await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(polls(&server).0, 1, "the slow listing is under way");
    // ... and a third, joining meanwhile, has 300 ms.
    let started = Instant::now();
    let error = client
        .job(&jobs[2])
        .wait_until(started + Duration::from_millis(300))
        .await
        .expect_err("still running");
    assert!(
        matches!(error.kind(), ErrorKind::DeadlinePassed { .. }),
        "{error}"
    );
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "the deadline was kept: {:?}",
        started.elapsed()
    );
    patient.iter().for_each(tokio::task::JoinHandle::abort);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wait_running_a_slow_listing_still_returns_by_its_own_deadline() {
    // The listing answers, correctly, only after 10 s; by id, the jobs are
    // done from 2 s.
    let server = failing(
        Duration::from_secs(2),
        "list_generation_jobs",
        100,
        Fault::Delay(Duration::from_secs(10)),
    );
    let client = client(server.base_url(), server.mint_api_key(None));
    let queued = jobs(&client, 10).await;
    let start = Instant::now();
    let deadline = start + Duration::from_secs(4);
    let tasks: Vec<_> = queued
        .iter()
        .map(|job| {
            let handle = client.job(job);
            tokio::spawn(async move {
                let result = handle.wait_until(deadline).await;
                (result, start.elapsed())
            })
        })
        .collect();
    for task in tasks {
        let (result, took) = task.await.expect("the task ends");
        // Whichever wait ran the listing gave it up at its deadline and
        // had its last look by id, as the others did.
        assert!(took < Duration::from_millis(5000), "a wait took {took:?}");
        let done = result.expect("the last look by id sees it completed");
        assert_eq!(done.status, JobStatus::Completed);
    }
    let (listed, _) = polls(&server);
    assert!(listed >= 1, "the waits shared a listing");
}

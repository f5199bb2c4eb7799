//! Many simultaneous requests leave the state consistent.

use crate::common;

use common::{all_frames, client, frame, get_project, project};
use std::collections::HashSet;
use tokio::task::JoinSet;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_creates_leave_positions_1_to_1000() {
    const N: usize = 1000;
    // The burst opens a connection per request, past the default limit of
    // 512; the rest would wait for idle ones to be closed 10 s later.
    let server = common::builder().max_connections(N).start().unwrap();
    let c = client(&server);
    let prj = project(&c, "Crowd").await;

    let mut tasks = JoinSet::new();
    for n in 0..N {
        let (c, project_id) = (c.clone(), prj.id.clone());
        tasks.spawn(async move { frame(&c, &project_id, &format!("Shot {n}")).await });
    }
    let created: Vec<_> = tasks.join_all().await;

    // Each create saw its own slot at the end of the storyboard.
    let mut positions: Vec<i32> = created.iter().map(|f| f.position).collect();
    positions.sort_unstable();
    assert_eq!(positions, (1..=N as i32).collect::<Vec<_>>());

    // `all_frames` checks positions 1..=1000 across ten pages of 100.
    let stored = all_frames(&c, &prj.id).await;
    assert_eq!(stored.len(), N);
    let created_ids: HashSet<_> = created.into_iter().map(|f| f.id).collect();
    let stored_ids: HashSet<_> = stored.into_iter().map(|f| f.id).collect();
    assert_eq!(created_ids.len(), N);
    assert_eq!(stored_ids, created_ids);
    assert_eq!(get_project(&c, &prj.id).await.frame_count, N as i32);
    assert_eq!(server.request_count("create_frame"), Ok(N));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_paid_jobs_never_overdraw_the_wallet() {
    const CREDITS: usize = 30;
    const ATTEMPTS: usize = 50;
    let server = common::builder().wallet(CREDITS as f64).start().unwrap();
    let c = client(&server);
    let prj = project(&c, "Budget").await;
    let frm = frame(&c, &prj.id, "Expensive").await;

    let mut tasks = JoinSet::new();
    for _ in 0..ATTEMPTS {
        let (c, frame_id) = (c.clone(), frm.id.clone());
        tasks.spawn(async move {
            let result = c.generate_frame_image().frame_id(&frame_id).send().await;
            match result {
                Ok(response) => response.status().as_u16(),
                Err(error) => error.status().expect("an HTTP answer").as_u16(),
            }
        });
    }
    let statuses = tasks.join_all().await;
    let accepted = statuses.iter().filter(|s| **s == 202).count();
    let refused = statuses.iter().filter(|s| **s == 402).count();
    assert_eq!((accepted, refused), (CREDITS, ATTEMPTS - CREDITS));
    assert_eq!(server.wallet(), 0.0);
    let jobs = c.list_generation_jobs().send().await.unwrap();
    assert_eq!(jobs.pagination.total, CREDITS as i32);
}

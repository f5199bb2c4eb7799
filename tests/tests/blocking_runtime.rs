//! The blocking client owns one runtime, shared by all its clones. Alone in
//! its own test binary so no other test's runtime threads are counted.

use serde_json::json;
use studio_api::Credential;
use studio_tests::RecordingServer;

/// Threads of this process whose name starts like the blocking runtime's workers.
fn runtime_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .filter(|name| name.starts_with("studio-api-bloc"))
        .count()
}

#[test]
fn clones_share_one_runtime_across_threads() {
    let server = RecordingServer::json(200, json!({"success": true, "message": "Team deleted"}));
    assert_eq!(runtime_threads(), 0);
    let client =
        studio_api_blocking::Client::with_credential(server.base_url(), Credential::bearer("tok"))
            .unwrap();
    let workers: Vec<_> = (0..4)
        .map(|i| {
            let client = client.clone();
            std::thread::spawn(move || {
                let team = format!("team_{i}");
                let response = client.delete_team().team_id(team).send().unwrap();
                assert_eq!(response.message, "Team deleted");
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    assert_eq!(server.requests().len(), 4);
    assert_eq!(
        runtime_threads(),
        1,
        "one worker thread for the client and all its clones"
    );
}

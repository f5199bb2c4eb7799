//! Downloads write only the file they were asked for, in both crates:
//! through a new file with a random name, renamed over the target, so a
//! link planted beside or at the target is never written through.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use studio_api::Credential;
use studio_mock::MockServer;

/// The link `at` pointing to `to`.
fn plant(to: &Path, at: &Path) {
    std::os::unix::fs::symlink(to, at).unwrap();
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_download_never_writes_through_a_planted_link_in_either_crate() {
    let server = MockServer::builder().no_rate_limit().start().unwrap();
    let client = studio_api_blocking::Client::with_credential(
        server.base_url(),
        Credential::api_key(server.api_key()),
    )
    .unwrap();
    let asset = client
        .upload_bytes("result.png", "the server's bytes")
        .send()
        .unwrap()
        .into_inner()
        .data;
    let elsewhere = tempfile::tempdir().unwrap();
    let victim = elsewhere.path().join("victim");
    std::fs::write(&victim, "precious").unwrap();
    type Download<'a> = Box<dyn Fn(&str, &Path) -> Result<u64, studio_api::Error> + 'a>;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let crates: [(&str, Download); 2] = [
        ("blocking", Box::new(|url, path| client.download(url, path))),
        (
            "async",
            Box::new(|url, path| runtime.block_on(client.as_async().download(url, path))),
        ),
    ];
    for (name, download) in crates {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("result.png");
        // The partial name a download once used, and the target itself.
        plant(&victim, &dir.path().join("result.png.part"));
        let linked = dir.path().join("linked.png");
        plant(&victim, &linked);

        assert_eq!(download(&asset.url, &target).unwrap(), 18, "{name}");
        assert_eq!(download(&asset.url, &linked).unwrap(), 18, "{name}");

        assert_eq!(
            std::fs::read_to_string(&victim).unwrap(),
            "precious",
            "{name}"
        );
        for path in [&target, &linked] {
            let file = std::fs::symlink_metadata(path).unwrap();
            assert!(
                file.is_file(),
                "{name}: {} is a file of its own",
                path.display()
            );
            assert_eq!(std::fs::read_to_string(path).unwrap(), "the server's bytes");
            // The mode a new file gets here: 0666 less the umask.
            let fresh = dir.path().join("fresh");
            std::fs::File::create(&fresh).unwrap();
            let umasked = std::fs::metadata(&fresh).unwrap().permissions().mode();
            std::fs::remove_file(&fresh).unwrap();
            assert_eq!(file.permissions().mode(), umasked, "{name}");
        }
        assert_eq!(
            names(dir.path()),
            ["linked.png", "result.png", "result.png.part"],
            "{name}: nothing else is left"
        );

        // A failed download leaves the folder as it was.
        let folder = asset.url.rsplit_once('/').expect("a path").0;
        let missing = format!("{folder}/missing.png");
        let error = download(&missing, &dir.path().join("missing.png")).unwrap_err();
        assert_eq!(error.status().map(|s| s.as_u16()), Some(404), "{name}");
        assert_eq!(names(dir.path()).len(), 3, "{name}: no partial file left");
    }
}

#[test]
fn a_download_keeps_the_deadline_and_timeout_of_its_client_in_either_crate() {
    use std::time::{Duration, Instant};
    use studio_tests::scripted::{Response, Script, ScriptedServer, Step};
    let dripping = Step::Stall {
        response: Response::text(200, "image/png", vec![7u8; 1000]),
        sent: 10,
        pause: Duration::from_secs(8),
    };
    let files = ScriptedServer::start(Script::new().route("GET", "/files/slow.png", [dripping]));
    let url = files.base_url().replace("/api/v1", "/files/slow.png");
    let base = studio_api::Client::builder()
        .base_url("http://127.0.0.1:9/api/v1")
        .api_key("sk_test_downloads")
        .build()
        .unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for (what, client) in [
        (
            "deadline",
            base.with_options(|o| o.deadline(Duration::from_millis(400))),
        ),
        (
            "timeout",
            base.with_options(|o| o.timeout(Duration::from_millis(400))),
        ),
    ] {
        let blocking = studio_api_blocking::Client::from_async(client.clone()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("slow.png");
        let start = Instant::now();
        let from_async = runtime
            .block_on(client.download(&url, &target))
            .unwrap_err();
        let from_blocking = blocking.download(&url, &target).unwrap_err();
        let took = start.elapsed();
        for error in [from_async, from_blocking] {
            assert_eq!(
                error.kind(),
                &studio_api::ErrorKind::Timeout,
                "{what}: {error}"
            );
            assert!(!error.outcome_unknown(), "{what}: a download is a read");
        }
        assert!(
            took < Duration::from_millis(2400),
            "{what}: two downloads took {took:?}"
        );
        assert!(names(dir.path()).is_empty(), "{what}: nothing left behind");
    }
}

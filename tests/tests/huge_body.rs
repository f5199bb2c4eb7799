//! A hostile server cannot make the client hold a huge body: it reads at
//! most 32 MiB of any response and reports the rest as undecodable.
//! Alone in its binary, so the process's peak memory is this test's.

use std::io::{Read, Write};
use studio_api::{Client, ErrorKind};

/// The process's peak resident memory, in MiB.
fn peak_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace()
        .nth(1)
        .unwrap()
        .parse::<u64>()
        .unwrap()
        / 1024
}

/// Answers every request with `status` and a body of `size` bytes of `x`.
fn huge(status: u16, size: usize) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut head = Vec::new();
                let mut buffer = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buffer) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buffer[..n]),
                    }
                }
                let head = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {size}\r\n\r\n"
                );
                let _ = stream.write_all(head.as_bytes());
                let chunk = vec![b'x'; 1 << 20];
                for _ in 0..size / chunk.len() {
                    if stream.write_all(&chunk).is_err() {
                        return;
                    }
                }
            });
        }
    });
    format!("http://{address}/api/v1")
}

#[tokio::test]
async fn a_400_mib_body_is_read_no_further_than_32_mib() {
    let before = peak_mib();
    for (status, kind) in [
        (404, ErrorKind::NotFound),
        (
            200,
            ErrorKind::UndecodableResponse {
                snippet: String::new(),
            },
        ),
    ] {
        let client = Client::builder()
            .api_key("sk_live_x")
            .base_url(huge(status, 400 << 20))
            .pacing(false)
            .max_retries(0)
            .build()
            .unwrap();
        let error = client
            .get_project()
            .project_id("prj_1")
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            std::mem::discriminant(error.kind()),
            std::mem::discriminant(&kind),
            "{error}"
        );
        assert_eq!(error.status().map(|s| s.as_u16()), Some(status));
        assert!(error.message().contains("longer than 32 MiB"), "{error}");
    }
    let grown = peak_mib() - before;
    assert!(grown < 120, "peak memory grew by {grown} MiB");
}

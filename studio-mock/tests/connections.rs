//! Connections: a request head must arrive whole within a time limit, at
//! most so many connections are served at once (more wait to be accepted),
//! and a shortage of file descriptors neither spins the server nor stops it
//! answering.

use crate::common;

use common::address;
use common::binary::Running;
use common::wire::{get, read_answer, write_get};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{sleep, timeout};

const PROJECTS: &str = "/api/v1/projects";

async fn connect(at: SocketAddr) -> TcpStream {
    TcpStream::connect(at).await.expect("connect")
}

/// Waits (at most 5 s) until the server closes `stream`, reading and
/// dropping anything it sends; returns how long that took.
async fn closed_after(stream: &mut (impl AsyncReadExt + Unpin), since: Instant) -> Duration {
    let mut buffer = [0u8; 1024];
    let closing = async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return since.elapsed(),
                Ok(_) => {}
            }
        }
    };
    timeout(Duration::from_secs(5), closing)
        .await
        .expect("the server closed the connection within 5 s")
}

#[tokio::test]
async fn a_head_not_sent_whole_in_time_closes_the_connection() {
    const LIMIT: Duration = Duration::from_millis(500);
    let server = common::builder().head_timeout(LIMIT).start().unwrap();
    let at = address(server.base_url());
    let started = Instant::now();

    // One client sends nothing, one stops halfway through its head, and
    // one trickles a byte of an endless header every 50 ms.
    let silent = async { closed_after(&mut connect(at).await, started).await };
    let partial = async {
        let mut stream = connect(at).await;
        let half = format!("GET {PROJECTS} HTTP/1.1\r\nhost: {at}\r\nx-api-");
        stream.write_all(half.as_bytes()).await.unwrap();
        closed_after(&mut stream, started).await
    };
    let trickle = async {
        let (mut reader, mut writer) = connect(at).await.into_split();
        let head = format!("GET {PROJECTS} HTTP/1.1\r\nhost: {at}\r\nx-padding: ");
        writer.write_all(head.as_bytes()).await.unwrap();
        let writing = tokio::spawn(async move {
            while writer.write_all(b"a").await.is_ok() {
                sleep(Duration::from_millis(50)).await;
            }
        });
        let after = closed_after(&mut reader, started).await;
        writing.abort();
        after
    };
    let (silent, partial, trickle) = tokio::join!(silent, partial, trickle);
    for (client, after) in [
        ("silent", silent),
        ("partial", partial),
        ("trickle", trickle),
    ] {
        assert!(
            after >= LIMIT - Duration::from_millis(50) && after < LIMIT * 3,
            "the {client} connection was closed after {after:?}, not at the limit of {LIMIT:?}"
        );
    }

    // A head sent whole is answered as ever.
    let key = [("x-api-key", server.api_key())];
    assert_eq!(get(&mut connect(at).await, PROJECTS, &key).await.0, 200);
}

#[tokio::test]
async fn past_the_connection_limit_new_connections_wait_and_open_ones_are_served() {
    let server = common::builder().max_connections(2).start().unwrap();
    let at = address(server.base_url());
    let key = [("x-api-key", server.api_key())];
    let mut first = connect(at).await;
    let mut second = connect(at).await;
    assert_eq!(get(&mut first, PROJECTS, &key).await.0, 200);
    assert_eq!(get(&mut second, PROJECTS, &key).await.0, 200);

    // Both slots are taken by open connections: a third waits unaccepted.
    let mut third = connect(at).await;
    write_get(&mut third, PROJECTS, &key).await;
    assert!(
        timeout(Duration::from_millis(500), read_answer(&mut third))
            .await
            .is_err(),
        "a connection past the limit was answered"
    );

    // The open connections are still served.
    assert_eq!(get(&mut first, PROJECTS, &key).await.0, 200);
    assert_eq!(get(&mut second, PROJECTS, &key).await.0, 200);

    // Once one closes, the waiting one is accepted and answered.
    drop(second);
    let (status, _) = timeout(Duration::from_secs(5), read_answer(&mut third))
        .await
        .expect("answered once a slot was free");
    assert_eq!(status, 200);
}

/// The CPU time (user and system) process `pid` has used.
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc/<pid>/stat");
    // After the parenthesised command name: state is field 3, utime 14, stime 15.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .expect("a command name")
        .1
        .split_whitespace()
        .collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // /proc counts in USER_HZ, 100 a second on Linux.
    Duration::from_millis(ticks * 10)
}

/// How many file descriptors process `pid` holds.
fn open_files(pid: u32) -> u64 {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("/proc/<pid>/fd")
        .count() as u64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_of_descriptors_the_server_neither_spins_nor_stops_answering() {
    const OPEN_FILES: u64 = 64;
    let server = Running::start_with_open_files(OPEN_FILES, &[]);
    let pid = server.id();
    let at = address(server.base_url());
    let key = [("x-api-key", server.api_key())];
    let mut open = connect(at).await;
    assert_eq!(get(&mut open, PROJECTS, &key).await.0, 200);

    // Twice as many idle connections as it has descriptors.
    let mut idle = Vec::new();
    for _ in 0..2 * OPEN_FILES {
        idle.push(connect(at).await);
    }
    sleep(Duration::from_millis(300)).await;
    assert!(
        open_files(pid) >= OPEN_FILES - 2,
        "the server holds {} descriptors, short of its {OPEN_FILES}",
        open_files(pid)
    );

    // Failing to accept, it waits between attempts rather than spinning.
    let before = cpu_time(pid);
    sleep(Duration::from_secs(2)).await;
    let spent = cpu_time(pid) - before;
    assert!(
        spent < Duration::from_millis(500),
        "the server used {spent:?} of CPU in 2 s while out of descriptors"
    );

    // A connection it already holds is still answered.
    assert_eq!(get(&mut open, PROJECTS, &key).await.0, 200);

    // Once the idle connections close, a new one is accepted and answered.
    drop(idle);
    let answer = timeout(Duration::from_secs(5), async {
        get(&mut connect(at).await, PROJECTS, &key).await
    })
    .await
    .expect("a new connection answered within 5 s of the idle ones closing");
    assert_eq!(answer.0, 200);
}

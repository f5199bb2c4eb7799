//! Raw HTTP/1.1 requests with generated bodies: bodies too large to hold,
//! framed by `Content-Length` or chunked, whose answer is read while the
//! body is still being sent (as a server that refuses early answers); and
//! plain `GET`s on a connection the test holds open.

use serde_json::Value;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How a request frames its body.
#[derive(Debug, Clone, Copy)]
pub enum Framing {
    /// `Content-Length` of the whole generated body.
    Length,
    /// `Content-Length` claiming this many bytes, whatever is then sent.
    Claimed(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
}

/// A request whose body is generated as it is written: `size` bytes of
/// `x`, or with `json_field`, a JSON object whose one field is a string
/// of that many `x`s.
#[derive(Debug, Clone)]
pub struct Raw {
    /// `POST`, `PATCH`, …
    pub method: &'static str,
    /// The path and query, e.g. `/api/v1/assets?filename=x.bin`.
    pub target: String,
    /// Extra headers, such as the credential.
    pub headers: Vec<(&'static str, String)>,
    /// How the body is framed.
    pub framing: Framing,
    /// How many bytes of `x` to offer; writing stops once the answer is in.
    pub size: u64,
    /// Wraps the `x`s as `{"<field>":"xx…x"}`.
    pub json_field: Option<&'static str>,
}

impl Raw {
    /// A `POST` to `target` (below the host) offering `size` bytes framed by `framing`.
    pub fn post(target: impl Into<String>, framing: Framing, size: u64) -> Self {
        Raw {
            method: "POST",
            target: target.into(),
            headers: Vec::new(),
            framing,
            size,
            json_field: None,
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// Sends the `x`s as the string value of `field` in a JSON object.
    pub fn json_field(mut self, field: &'static str) -> Self {
        self.json_field = Some(field);
        self
    }
}

/// The server's answer to a [`Raw`] request.
#[derive(Debug)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// The body, parsed as JSON.
    pub body: Value,
    /// How many body bytes had been written when the answer was complete.
    pub sent: u64,
}

/// How much of the body one write carries.
const CHUNK: usize = 64 * 1024;

/// Sends `request` to `address`, writing its body until the server has
/// answered (or the whole body is written), and returns the answer.
/// Panics when no complete answer arrives within a minute.
pub async fn send(address: SocketAddr, request: Raw) -> Answer {
    tokio::time::timeout(Duration::from_secs(60), exchange(address, request))
        .await
        .expect("the server answered within a minute")
}

async fn exchange(address: SocketAddr, request: Raw) -> Answer {
    let stream = TcpStream::connect(address).await.expect("connect");
    let (mut reader, writer) = stream.into_split();
    let sent = Arc::new(AtomicU64::new(0));
    let writing = tokio::spawn(write_request(writer, request, sent.clone()));
    let (status, body) = read_answer(&mut reader).await;
    let sent = sent.load(Ordering::SeqCst);
    writing.abort();
    Answer { status, body, sent }
}

/// Writes the head, then the generated body; stops at the first write
/// error (the server closed the connection after answering). The write
/// side stays open until the answer is read: closing it early would read
/// to the server as a client that gave up.
async fn write_request(
    mut writer: tokio::net::tcp::OwnedWriteHalf,
    request: Raw,
    sent: Arc<AtomicU64>,
) {
    let (prefix, suffix) = match request.json_field {
        Some(field) => (format!("{{\"{field}\":\""), "\"}"),
        None => (String::new(), ""),
    };
    let mut head = format!(
        "{} {} HTTP/1.1\r\nhost: {}\r\n",
        request.method,
        request.target,
        writer.peer_addr().expect("a peer address")
    );
    let whole = prefix.len() as u64 + request.size + suffix.len() as u64;
    match request.framing {
        Framing::Length => head.push_str(&format!("content-length: {whole}\r\n")),
        Framing::Claimed(claimed) => head.push_str(&format!("content-length: {claimed}\r\n")),
        Framing::Chunked => head.push_str("transfer-encoding: chunked\r\n"),
    }
    if request.json_field.is_some() {
        head.push_str("content-type: application/json\r\n");
    }
    for (name, value) in &request.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let filler = [b'x'; CHUNK];
    let chunked = matches!(request.framing, Framing::Chunked);
    let write = async {
        writer.write_all(head.as_bytes()).await?;
        let pieces = std::iter::once(prefix.as_bytes())
            .chain((0..request.size.div_ceil(CHUNK as u64)).map(|n| {
                let left = request.size - n * CHUNK as u64;
                &filler[..left.min(CHUNK as u64) as usize]
            }))
            .chain(std::iter::once(suffix.as_bytes()))
            .filter(|piece| !piece.is_empty());
        for piece in pieces {
            if chunked {
                writer
                    .write_all(format!("{:x}\r\n", piece.len()).as_bytes())
                    .await?;
            }
            writer.write_all(piece).await?;
            if chunked {
                writer.write_all(b"\r\n").await?;
            }
            sent.fetch_add(piece.len() as u64, Ordering::SeqCst);
        }
        if chunked {
            writer.write_all(b"0\r\n\r\n").await?;
        }
        std::io::Result::Ok(())
    };
    let _ = write.await;
    std::future::pending::<()>().await;
}

/// Writes a `GET` of `target` with `headers` on `stream`, which stays open.
pub async fn write_get(stream: &mut TcpStream, target: &str, headers: &[(&str, &str)]) {
    let mut head = format!(
        "GET {target} HTTP/1.1\r\nhost: {}\r\n",
        stream.peer_addr().expect("a peer address")
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream
        .write_all(head.as_bytes())
        .await
        .expect("write the request");
}

/// Sends a `GET` of `target` with `headers` on `stream` and reads the
/// answer; the connection stays open for the next request.
pub async fn get(stream: &mut TcpStream, target: &str, headers: &[(&str, &str)]) -> (u16, Value) {
    write_get(stream, target, headers).await;
    read_answer(stream).await
}

/// Reads one response: status line, headers, and a `Content-Length` body.
pub async fn read_answer(reader: &mut (impl AsyncRead + Unpin)) -> (u16, Value) {
    let mut received = Vec::new();
    let mut buffer = [0u8; 8192];
    let head_end = loop {
        if let Some(at) = received.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = reader.read(&mut buffer).await.expect("read the answer");
        assert!(n > 0, "connection closed before an answer: {received:?}");
        received.extend_from_slice(&buffer[..n]);
    };
    let head = String::from_utf8_lossy(&received[..head_end]).to_string();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("a status line in {head:?}"));
    let length: usize = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or_else(|| panic!("a content-length in {head:?}"));
    while received.len() < head_end + length {
        let n = reader.read(&mut buffer).await.expect("read the answer");
        assert!(n > 0, "connection closed inside the answer: {received:?}");
        received.extend_from_slice(&buffer[..n]);
    }
    let body = serde_json::from_slice(&received[head_end..head_end + length])
        .unwrap_or_else(|e| panic!("a JSON answer ({e}) in {received:?}"));
    (status, body)
}

//! A raw TCP server that misbehaves in scripted ways a real server (or
//! studio-mock) cannot: closing before or after reading the request,
//! stalling mid-body, sending bytes that are not a valid answer.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the server does with one connection.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Reads the request and answers with these raw bytes.
    Raw(Vec<u8>),
    /// Closes the connection at once, before reading anything.
    CloseOnAccept,
    /// Reads the request, then closes without answering.
    CloseAfterRequest,
    /// Reads the request, sends `start`, waits `pause`, then sends `rest`.
    Stall {
        /// Sent at once (usually the head and part of the body).
        start: Vec<u8>,
        /// How long to wait before the rest.
        pause: Duration,
        /// Sent after the pause.
        rest: Vec<u8>,
    },
}

/// A full HTTP/1.1 response with `Connection: close`.
pub fn http(status: u16, headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut head = format!(
        "HTTP/1.1 {status} X\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    head.push_str(body);
    head.into_bytes()
}

/// A loopback server answering connection *n* with reply *n* of its script
/// (the last reply repeats), recording the method and path of every
/// request it read in full.
pub struct FaultServer {
    base_url: String,
    received: Arc<Mutex<Vec<String>>>,
}

impl FaultServer {
    /// Starts serving `script` on a free port.
    pub fn start(script: Vec<Reply>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let base_url = format!("http://{}/api/v1", listener.local_addr().expect("address"));
        let received = Arc::new(Mutex::new(Vec::new()));
        let counter = received.clone();
        let script = Arc::new(Mutex::new(script));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let reply = {
                    let mut script = script.lock().unwrap();
                    if script.len() > 1 {
                        script.remove(0)
                    } else {
                        script[0].clone()
                    }
                };
                let counter = counter.clone();
                std::thread::spawn(move || serve(stream, reply, &counter));
            }
        });
        FaultServer { base_url, received }
    }

    /// The base URL to give a client.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// How many requests arrived in full.
    pub fn received(&self) -> usize {
        self.received.lock().unwrap().len()
    }

    /// How many requests with this method arrived in full.
    pub fn received_with(&self, method: &str) -> usize {
        let prefix = format!("{method} ");
        self.received
            .lock()
            .unwrap()
            .iter()
            .filter(|line| line.starts_with(&prefix))
            .count()
    }
}

fn serve(mut stream: TcpStream, reply: Reply, received: &Mutex<Vec<String>>) {
    if matches!(reply, Reply::CloseOnAccept) {
        return;
    }
    let Some(request_line) = read_request(&mut stream) else {
        return;
    };
    received.lock().unwrap().push(request_line);
    match reply {
        Reply::Raw(bytes) => {
            let _ = stream.write_all(&bytes);
        }
        Reply::Stall { start, pause, rest } => {
            let _ = stream.write_all(&start);
            let _ = stream.flush();
            std::thread::sleep(pause);
            let _ = stream.write_all(&rest);
        }
        Reply::CloseAfterRequest | Reply::CloseOnAccept => {}
    }
}

/// Reads one request and returns its method and path; `None` if the
/// connection ended first.
fn read_request(stream: &mut TcpStream) -> Option<String> {
    let request = crate::scripted::read_request(stream, &mut Vec::new())?;
    Some(format!("{} {}", request.method, request.path))
}

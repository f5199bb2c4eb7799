//! A raw HTTP/1.1 server driven by a script, for the failures a real
//! server (or studio-mock) only shows by accident.
//!
//! Two scripts run side by side. The accept script says what happens to
//! each new connection, in order (closed before anything is read, or
//! served); once it is used up, connections are served. Each route (a
//! method and an exact path) has a script of steps, one per request that
//! arrives on that route, whatever connection it came on, so one
//! keep-alive connection can serve several requests; the last step of a
//! route repeats. A request no route names is answered 404.
//!
//! Every request read in full is logged with its head, its time of arrival
//! and what the server answered, so tests can count what reached the
//! server per method and path, see the headers it carried, and scripted
//! answers (a job list, say) can depend on what came before; connections
//! closed before anything was read are logged by time. Answers carry a
//! correct `Date` unless the script says otherwise, and an `x-request-id`
//! naming the request's place in the log when the script asks.

use axum::http::StatusCode;
use std::collections::VecDeque;
use std::fmt;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// What happens to a new connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accept {
    /// Its requests are read and answered by the route scripts.
    Serve,
    /// It is closed at once, before anything is read.
    Close,
}

/// What the server does with a connection after answering on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    /// Closes it (the answer says `connection: close`).
    Close,
    /// Keeps it open for the next request, however long that takes.
    KeepAlive,
    /// Keeps it open, but closes it (FIN) when no request came within the
    /// duration, as servers drop idle keep-alive connections.
    IdleClose(Duration),
    /// The same, resetting it (RST) instead.
    IdleReset(Duration),
}

/// One answer: status, headers and body; `content-length` and `Date` are
/// added when it is sent.
#[derive(Clone)]
pub struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    retry_after_in: Option<Duration>,
    after: After,
}

impl Response {
    /// An answer with `status` and an empty body.
    pub fn empty(status: u16) -> Self {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            retry_after_in: None,
            after: After::Close,
        }
    }

    /// An answer with `status`, an empty body and `Retry-After` as the
    /// HTTP date `wait` after the moment it is sent.
    pub fn retry_at(status: u16, wait: Duration) -> Self {
        Response {
            retry_after_in: Some(wait),
            ..Self::empty(status)
        }
    }

    /// An answer with `body` as `content_type`.
    pub fn text(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        let mut response = Self::empty(status).header("content-type", content_type);
        response.body = body.into();
        response
    }

    /// An answer with `body` as JSON.
    pub fn json(status: u16, body: &serde_json::Value) -> Self {
        Self::text(status, "application/json", body.to_string())
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: impl fmt::Display) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// What to do with the connection after this answer (default: close).
    pub fn then(mut self, after: After) -> Self {
        self.after = after;
        self
    }

    /// The status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The body.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The head (with `date` and `x-request-id` when given) and the body,
    /// as sent now.
    fn encode(&self, stamp: &Stamp) -> (Vec<u8>, &[u8]) {
        let reason = StatusCode::from_u16(self.status)
            .ok()
            .and_then(|status| status.canonical_reason())
            .unwrap_or("Whatever");
        let mut head = format!(
            "HTTP/1.1 {} {reason}\r\ncontent-length: {}\r\n",
            self.status,
            self.body.len()
        );
        if self.after == After::Close {
            head.push_str("connection: close\r\n");
        }
        if let Some(date) = stamp.date {
            head.push_str(&format!("date: {}\r\n", httpdate::fmt_http_date(date)));
        }
        if let Some(id) = &stamp.request_id {
            head.push_str(&format!("x-request-id: {id}\r\n"));
        }
        if let Some(wait) = self.retry_after_in {
            let at = httpdate::fmt_http_date(SystemTime::now() + wait);
            head.push_str(&format!("retry-after: {at}\r\n"));
        }
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        (head.into_bytes(), &self.body)
    }
}

/// What the server adds to the head of every answer it sends.
struct Stamp {
    date: Option<SystemTime>,
    request_id: Option<String>,
}

/// Makes a step from every request logged so far (the one to answer last).
pub type Decision = Arc<dyn Fn(&[Seen]) -> Step + Send + Sync>;

/// What the server does with one request.
#[derive(Clone)]
pub enum Step {
    /// Answers.
    Answer(Response),
    /// Sends these bytes as they are, then closes.
    Raw(Vec<u8>),
    /// Closes the connection without answering.
    Close,
    /// Resets the connection (SO_LINGER 0) without answering.
    Reset,
    /// Says nothing for the duration, then closes.
    Silent(Duration),
    /// Sends the head and the first `sent` bytes of the body, says nothing
    /// for `pause`, then closes.
    Stall {
        /// The answer begun.
        response: Response,
        /// How many bytes of its body are sent.
        sent: usize,
        /// How long the rest is held back.
        pause: Duration,
    },
    /// Sends the head, then the body one byte every `every`, then closes
    /// (or keeps the connection as the answer says).
    Drip {
        /// The answer sent slowly.
        response: Response,
        /// The pause before each byte of the body.
        every: Duration,
    },
    /// Sends the head (with the full `content-length`) and the first
    /// `sent` bytes of the body, then closes.
    Truncate {
        /// The answer cut short.
        response: Response,
        /// How many bytes of its body are sent.
        sent: usize,
    },
    /// Decides when the request arrives, from every request logged so far
    /// (this one last).
    Decide(Decision),
}

impl Step {
    /// A step decided when its request arrives.
    pub fn decide(decide: impl Fn(&[Seen]) -> Step + Send + Sync + 'static) -> Self {
        Step::Decide(Arc::new(decide))
    }

    /// The status this step answers with, if it answers.
    fn status(&self) -> Option<u16> {
        match self {
            Step::Answer(response)
            | Step::Stall { response, .. }
            | Step::Drip { response, .. }
            | Step::Truncate { response, .. } => Some(response.status),
            Step::Raw(bytes) => std::str::from_utf8(bytes.get(9..12)?).ok()?.parse().ok(),
            Step::Close | Step::Reset | Step::Silent(_) | Step::Decide(_) => None,
        }
    }
}

/// Which `Date` the server's answers carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dates {
    /// The true time.
    True,
    /// The true time shifted by this many seconds (a server that lies, or
    /// whose clock is off).
    Shifted(i64),
    /// None at all.
    Omitted,
}

/// What the server does, connection by connection and request by request.
#[derive(Clone)]
pub struct Script {
    accept: VecDeque<Accept>,
    routes: Vec<Route>,
    dates: Dates,
    request_ids: bool,
}

#[derive(Clone)]
struct Route {
    method: String,
    path: String,
    steps: VecDeque<Step>,
}

impl Default for Script {
    fn default() -> Self {
        Script {
            accept: VecDeque::new(),
            routes: Vec::new(),
            dates: Dates::True,
            request_ids: false,
        }
    }
}

impl Script {
    /// Serves every connection and answers every request 404.
    pub fn new() -> Self {
        Self::default()
    }

    /// What happens to the first new connections, in order.
    pub fn accept(mut self, accept: impl IntoIterator<Item = Accept>) -> Self {
        self.accept.extend(accept);
        self
    }

    /// The steps for requests to `method` `path` (exact, without query),
    /// one per request; the last repeats.
    pub fn route(
        mut self,
        method: &str,
        path: &str,
        steps: impl IntoIterator<Item = Step>,
    ) -> Self {
        self.routes.push(Route {
            method: method.to_ascii_uppercase(),
            path: path.to_string(),
            steps: steps.into_iter().collect(),
        });
        self
    }

    /// Which `Date` answers carry (default: the true time).
    pub fn dates(mut self, dates: Dates) -> Self {
        self.dates = dates;
        self
    }

    /// Whether answers carry `x-request-id: req-N`, N being the request's
    /// index in [`ScriptedServer::requests`] (default: no).
    pub fn request_ids(mut self, on: bool) -> Self {
        self.request_ids = on;
        self
    }

    fn date(&self) -> Option<SystemTime> {
        let now = SystemTime::now();
        match self.dates {
            Dates::True => Some(now),
            Dates::Shifted(seconds) if seconds >= 0 => {
                Some(now + Duration::from_secs(seconds.unsigned_abs()))
            }
            Dates::Shifted(seconds) => Some(now - Duration::from_secs(seconds.unsigned_abs())),
            Dates::Omitted => None,
        }
    }

    /// The step for a request, consuming it unless it is its route's last.
    fn next_step(&mut self, method: &str, path: &str) -> Step {
        let route = self
            .routes
            .iter_mut()
            .find(|route| route.method == method && route.path == path);
        let step = route.and_then(|route| match route.steps.len() {
            0 => None,
            1 => route.steps.front().cloned(),
            _ => route.steps.pop_front(),
        });
        step.unwrap_or_else(|| {
            Step::Answer(Response::json(
                404,
                &serde_json::json!({"success": false, "message": format!("nothing scripted for {method} {path}")}),
            ))
        })
    }
}

/// One request the server read in full.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The request line and headers, as sent.
    pub head: String,
    /// The method, upper case.
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query, if any.
    pub query: Option<String>,
    /// The body.
    pub body: Vec<u8>,
    /// When the server had read it, on its clock.
    pub at: SystemTime,
    /// Which connection it came on (0 for the first accepted).
    pub connection: usize,
    /// The status the server answered with; `None` when it did not answer.
    pub answered: Option<u16>,
}

impl Seen {
    /// The body as JSON (`null` when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_default()
    }

    /// The value of header `name` (any case), if the request carried it.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then_some(value.trim())
        })
    }
}

struct State {
    /// Set when the server is dropped: the accept loop ends.
    stopped: std::sync::atomic::AtomicBool,
    script: Mutex<Script>,
    log: Mutex<Vec<Seen>>,
    connections: Mutex<usize>,
    /// When each connection closed before reading was accepted.
    unread: Mutex<Vec<SystemTime>>,
}

/// A loopback server playing a [`Script`], on threads of its own (so async
/// and blocking clients alike can use it).
pub struct ScriptedServer {
    base_url: String,
    address: std::net::SocketAddr,
    state: Arc<State>,
}

impl ScriptedServer {
    /// Starts playing `script` on a free port of 127.0.0.1.
    pub fn start(script: Script) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let address = listener.local_addr().expect("address");
        let base_url = format!("http://{address}/api/v1");
        let state = Arc::new(State {
            stopped: std::sync::atomic::AtomicBool::new(false),
            script: Mutex::new(script),
            log: Mutex::new(Vec::new()),
            connections: Mutex::new(0),
            unread: Mutex::new(Vec::new()),
        });
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                if shared.stopped.load(std::sync::atomic::Ordering::SeqCst) {
                    break;
                }
                let (number, accept) = {
                    let mut count = shared.connections.lock().unwrap();
                    *count += 1;
                    let accept = shared.script.lock().unwrap().accept.pop_front();
                    (*count - 1, accept.unwrap_or(Accept::Serve))
                };
                if accept == Accept::Close {
                    shared.unread.lock().unwrap().push(SystemTime::now());
                    drop(stream);
                    continue;
                }
                let shared = shared.clone();
                std::thread::spawn(move || serve(stream, number, &shared));
            }
        });
        ScriptedServer {
            base_url,
            address,
            state,
        }
    }

    /// The base URL to give a client, ending in `/api/v1`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// How many requests to `method` `path` (without query) were read in full.
    pub fn count(&self, method: &str, path: &str) -> usize {
        self.state
            .log
            .lock()
            .unwrap()
            .iter()
            .filter(|seen| seen.method.eq_ignore_ascii_case(method) && seen.path == path)
            .count()
    }

    /// Every request read in full, oldest first.
    pub fn requests(&self) -> Vec<Seen> {
        self.state.log.lock().unwrap().clone()
    }

    /// How many connections were accepted.
    pub fn connections(&self) -> usize {
        *self.state.connections.lock().unwrap()
    }

    /// When each connection the accept script closed before reading
    /// anything was accepted, oldest first.
    pub fn unread(&self) -> Vec<SystemTime> {
        self.state.unread.lock().unwrap().clone()
    }
}

/// Stops accepting and closes the listener (connections already accepted
/// play on), so that a long run of servers does not run out of descriptors.
impl Drop for ScriptedServer {
    fn drop(&mut self) {
        self.state
            .stopped
            .store(true, std::sync::atomic::Ordering::SeqCst);
        // Wakes the accept loop, which then sees it is stopped.
        let _ = TcpStream::connect_timeout(&self.address, Duration::from_secs(1));
    }
}

/// A loopback port where nothing listens, held for as long as this lives:
/// its socket is bound but never listens, so connections to it are refused
/// and no other server can take the port meanwhile.
pub struct Refusing {
    _socket: socket2::Socket,
    base_url: String,
}

impl Refusing {
    /// Binds a free loopback port without listening on it.
    pub fn new() -> Self {
        let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
            .expect("a socket");
        let any: std::net::SocketAddr = "127.0.0.1:0".parse().expect("an address");
        socket.bind(&any.into()).expect("a free loopback port");
        let port = socket
            .local_addr()
            .ok()
            .and_then(|address| address.as_socket())
            .expect("a bound address")
            .port();
        Refusing {
            _socket: socket,
            base_url: format!("http://127.0.0.1:{port}/api/v1"),
        }
    }

    /// The base URL on that port, ending in `/api/v1`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }
}

impl Default for Refusing {
    fn default() -> Self {
        Self::new()
    }
}

/// Serves the requests of one connection until a step or the client ends it.
fn serve(mut stream: TcpStream, connection: usize, state: &State) {
    let mut pending = Vec::new();
    let mut idle: Option<(Duration, bool)> = None;
    loop {
        let _ = stream.set_read_timeout(idle.map(|(wait, _)| wait));
        let Some(request) = read_request(&mut stream, &mut pending) else {
            if let Some((_, true)) = idle {
                reset(stream);
            }
            return;
        };
        let (step, stamp) = {
            let mut log = state.log.lock().unwrap();
            let index = log.len();
            log.push(Seen {
                head: request.head,
                method: request.method,
                path: request.path,
                query: request.query,
                body: request.body,
                at: SystemTime::now(),
                connection,
                answered: None,
            });
            let seen = log.last().expect("just logged");
            let mut script = state.script.lock().unwrap();
            let mut step = script.next_step(&seen.method, &seen.path);
            while let Step::Decide(decide) = step {
                step = decide(&log);
            }
            log.last_mut().expect("just logged").answered = step.status();
            let stamp = Stamp {
                date: script.date(),
                request_id: script.request_ids.then(|| format!("req-{index}")),
            };
            (step, stamp)
        };
        match play(&mut stream, step, &stamp) {
            Some(After::KeepAlive) => idle = None,
            Some(After::IdleClose(wait)) => idle = Some((wait, false)),
            Some(After::IdleReset(wait)) => idle = Some((wait, true)),
            Some(After::Close) | None => return,
        }
    }
}

/// Plays `step` on the connection; what to do with it next, or `None` when
/// it is done with.
fn play(stream: &mut TcpStream, step: Step, stamp: &Stamp) -> Option<After> {
    match step {
        Step::Answer(response) => {
            let (head, body) = response.encode(stamp);
            let sent = stream.write_all(&head).and_then(|_| stream.write_all(body));
            if sent.is_err() || response.after == After::Close {
                let _ = stream.shutdown(Shutdown::Both);
                return None;
            }
            Some(response.after)
        }
        Step::Raw(bytes) => {
            let _ = stream.write_all(&bytes);
            None
        }
        Step::Close => None,
        Step::Reset => {
            reset(stream.try_clone().ok()?);
            None
        }
        Step::Silent(wait) => {
            std::thread::sleep(wait);
            None
        }
        Step::Stall {
            response,
            sent,
            pause,
        } => {
            let (head, body) = response.encode(stamp);
            let _ = stream.write_all(&head);
            let _ = stream.write_all(&body[..sent.min(body.len())]);
            let _ = stream.flush();
            std::thread::sleep(pause);
            None
        }
        Step::Drip { response, every } => {
            let (head, body) = response.encode(stamp);
            stream.write_all(&head).ok()?;
            for byte in body {
                std::thread::sleep(every);
                stream.write_all(std::slice::from_ref(byte)).ok()?;
            }
            if response.after == After::Close {
                let _ = stream.shutdown(Shutdown::Both);
                return None;
            }
            Some(response.after)
        }
        Step::Truncate { response, sent } => {
            let (head, body) = response.encode(stamp);
            let _ = stream.write_all(&head);
            let _ = stream.write_all(&body[..sent.min(body.len())]);
            None
        }
        Step::Decide(_) => unreachable!("decided before playing"),
    }
}

/// Closes with a reset instead of an orderly FIN.
fn reset(stream: TcpStream) {
    let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
    drop(stream);
}

/// A request as read off the wire.
pub(crate) struct Request {
    /// The request line and headers, as sent.
    pub(crate) head: String,
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) query: Option<String>,
    pub(crate) body: Vec<u8>,
}

/// Reads one request (head and `content-length` body) from `stream`,
/// starting with the bytes in `pending` and leaving there what came after
/// it; `None` if the connection ended (or the read timed out) first.
pub(crate) fn read_request(stream: &mut impl Read, pending: &mut Vec<u8>) -> Option<Request> {
    let mut buffer = [0u8; 4096];
    loop {
        if let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&pending[..end]).into_owned();
            let length: usize = head
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length").then_some(value)
                })
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if pending.len() >= end + 4 + length {
                let body = pending[end + 4..end + 4 + length].to_vec();
                pending.drain(..end + 4 + length);
                let mut words = head.lines().next()?.split_whitespace();
                let method = words.next()?.to_ascii_uppercase();
                let target = words.next()?;
                let (path, query) = match target.split_once('?') {
                    Some((path, query)) => (path.to_string(), Some(query.to_string())),
                    None => (target.to_string(), None),
                };
                return Some(Request {
                    head,
                    method,
                    path,
                    query,
                    body,
                });
            }
        }
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return None,
            Ok(n) => pending.extend_from_slice(&buffer[..n]),
        }
    }
}

//! A real Redis for the tests and benchmarks of the shared quota:
//! `redis-server` (or `valkey-server`) from Debian's packages, on a free
//! loopback port, with no persistence, killed when dropped; plain, or
//! speaking only TLS with a certificate from an authority made for it
//! ([`RedisServer::start_tls`]).
//!
//! Without a server installed, [`RedisServer::start`] says on the
//! terminal which test it skips and how to install one, and the test
//! returns early; with `CI` set, a missing server fails the test instead.

use crate::tls::Issued;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The password every test server requires, so that the tests also see
/// that it is never printed.
pub const PASSWORD: &str = "quota-store-password-7f3a";

/// A Redis server run by a test.
pub struct RedisServer {
    program: PathBuf,
    port: u16,
    tls: Option<Tls>,
    child: Option<Child>,
}

/// What a TLS server is started with: its certificate, key and
/// authority, in files for `redis-server`.
struct Tls {
    authority_pem: String,
    files: tempfile::TempDir,
}

impl RedisServer {
    /// Starts a server for the test named `test`; `None` (the test is
    /// skipped, and says so) when none is installed, unless `CI` is set.
    pub fn start(test: &str) -> Option<RedisServer> {
        Self::launch(test, None)
    }

    /// Like [`start`](Self::start), but the server speaks only TLS
    /// (`rediss://`), with a certificate for `127.0.0.1` from an authority
    /// made for it ([`authority_pem`](Self::authority_pem)), and asks
    /// clients for no certificate.
    pub fn start_tls(test: &str) -> Option<RedisServer> {
        let issued = Issued::new();
        let files = tempfile::tempdir().expect("a directory for the certificates");
        for (name, pem) in [
            ("server.pem", issued.certificate.pem()),
            ("server.key", issued.key.serialize_pem()),
            ("authority.pem", issued.authority_pem.clone()),
        ] {
            std::fs::write(files.path().join(name), pem).expect("write a certificate file");
        }
        let tls = Tls {
            authority_pem: issued.authority_pem,
            files,
        };
        Self::launch(test, Some(tls))
    }

    /// Starts the server, plain or with `tls`.
    fn launch(test: &str, tls: Option<Tls>) -> Option<RedisServer> {
        let Some(program) = installed() else {
            let how = "install it with `apt-get install redis-server`";
            if std::env::var_os("CI").is_some() {
                panic!("{test}: redis-server is not installed and CI is set; {how}");
            }
            // Straight to the terminal: the test harness captures `eprintln!`.
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {test}: redis-server (or valkey-server) is not installed; {how}"
            );
            return None;
        };
        let mut server = RedisServer {
            program,
            port: 0,
            tls,
            child: None,
        };
        // A port found free may be taken by another process before the
        // server binds it: then it exits, and another port is tried.
        for _ in 0..5 {
            server.port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|listener| listener.local_addr())
                .expect("a free loopback port")
                .port();
            if server.spawn() {
                return Some(server);
            }
        }
        panic!("redis-server did not start (with TLS, it needs a build with TLS, as Debian's is)");
    }

    /// Its URL, password included: `rediss://` for a TLS server.
    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() {
            "rediss"
        } else {
            "redis"
        };
        format!("{scheme}://:{PASSWORD}@127.0.0.1:{}/", self.port)
    }

    /// The certificate (PEM) of the authority that issued a TLS server's
    /// certificate; `None` for a plain server.
    pub fn authority_pem(&self) -> Option<&str> {
        self.tls.as_ref().map(|tls| tls.authority_pem.as_str())
    }

    /// Kills the server; its data is gone.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server (again) on the same port, empty, and waits until
    /// it answers.
    pub fn start_again(&mut self) {
        assert!(
            self.spawn(),
            "redis-server did not start again on port {}",
            self.port
        );
    }

    /// Starts the server on its port, empty; whether it answers before
    /// exiting (it exits when the port is taken) or 10 s pass.
    fn spawn(&mut self) -> bool {
        self.stop();
        let port = self.port.to_string();
        let mut command = Command::new(&self.program);
        match &self.tls {
            None => command.args(["--port", &port]),
            Some(tls) => {
                let file = |name: &str| tls.files.path().join(name);
                command
                    .args(["--port", "0", "--tls-port", &port])
                    .arg("--tls-cert-file")
                    .arg(file("server.pem"))
                    .arg("--tls-key-file")
                    .arg(file("server.key"))
                    .arg("--tls-ca-cert-file")
                    .arg(file("authority.pem"))
                    .args(["--tls-auth-clients", "no"])
            }
        };
        let child = command
            .args(["--bind", "127.0.0.1"])
            .args([
                "--save",
                "",
                "--appendonly",
                "no",
                "--requirepass",
                PASSWORD,
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.connection().is_err() {
            let exited = self
                .child
                .as_mut()
                .is_none_or(|child| child.try_wait().ok().flatten().is_some());
            if exited || Instant::now() >= deadline {
                self.stop();
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        true
    }

    /// A connection to it, answering PING; over TLS, trusting its authority.
    pub fn connection(&self) -> redis::RedisResult<redis::Connection> {
        let client = match &self.tls {
            None => redis::Client::open(self.url())?,
            Some(tls) => redis::Client::build_with_tls(
                self.url(),
                redis::TlsCertificates {
                    client_tls: None,
                    root_cert: Some(tls.authority_pem.clone().into_bytes()),
                },
            )?,
        };
        let mut connection = client.get_connection()?;
        redis::cmd("PING").query::<String>(&mut connection)?;
        Ok(connection)
    }

    /// Every key it holds (found with SCAN), with its type and everything
    /// in it, as text: one line per key.
    pub fn dump(&self) -> Vec<String> {
        let mut connection = self.connection().expect("redis-server answers");
        let mut keys: Vec<String> = Vec::new();
        let mut cursor = 0u64;
        loop {
            let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("COUNT")
                .arg(1000)
                .query(&mut connection)
                .expect("SCAN");
            keys.extend(batch);
            if next == 0 {
                break;
            }
            cursor = next;
        }
        keys.into_iter()
            .map(|key| {
                let kind: String = redis::cmd("TYPE").arg(&key).query(&mut connection).unwrap();
                let (command, rest): (&str, &[&str]) = match kind.as_str() {
                    "string" => ("GET", &[]),
                    "hash" => ("HGETALL", &[]),
                    "list" => ("LRANGE", &["0", "-1"]),
                    "set" => ("SMEMBERS", &[]),
                    "zset" => ("ZRANGE", &["0", "-1", "WITHSCORES"]),
                    "stream" => ("XRANGE", &["-", "+"]),
                    other => panic!("{key} has an unexpected type {other}"),
                };
                let value: redis::Value = redis::cmd(command)
                    .arg(&key)
                    .arg(rest)
                    .query(&mut connection)
                    .unwrap();
                format!("{key} {kind} {}", text(&value))
            })
            .collect()
    }
}

/// A reply as text: strings as they are, collections joined by spaces.
fn text(value: &redis::Value) -> String {
    use redis::Value;
    match value {
        Value::BulkString(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        Value::SimpleString(text) => text.clone(),
        Value::Array(items) | Value::Set(items) => {
            items.iter().map(text).collect::<Vec<_>>().join(" ")
        }
        Value::Map(pairs) => pairs
            .iter()
            .map(|(k, v)| format!("{} {}", text(k), text(v)))
            .collect::<Vec<_>>()
            .join(" "),
        other => format!("{other:?}"),
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The first of `redis-server` and `valkey-server` found on `PATH`.
fn installed() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    ["redis-server", "valkey-server"].iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

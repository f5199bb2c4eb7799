//! The built `studio-mock` binary, run as users run it: started with
//! flags, read from its printed output, stopped when the test is done.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The built server binary.
pub const BINARY: &str = env!("CARGO_BIN_EXE_studio-mock");

/// Flags every run here uses: any free port, no quotas, short jobs.
const BASE_FLAGS: [&str; 5] = ["--port", "0", "--no-rate-limit", "--job-seconds", "0.3"];

/// A running `studio-mock` process; killed when dropped.
pub struct Running {
    child: Child,
    /// What it printed on start, up to its last `export` line.
    pub banner: Vec<String>,
}

impl Running {
    /// Starts the binary with [`BASE_FLAGS`] and `flags`, and waits (up to
    /// 30 s) until it has printed its `export STUDIO_BEARER_TOKEN=` line.
    pub fn start(flags: &[&str]) -> Running {
        Running::spawn(Command::new(BINARY), flags)
    }

    /// As [`Running::start`], in a process that may hold at most
    /// `open_files` file descriptors (`ulimit -n`, set by a shell that
    /// then becomes the server, so that [`Running::id`] is the server's).
    pub fn start_with_open_files(open_files: u64, flags: &[&str]) -> Running {
        let mut shell = Command::new("sh");
        shell.args([
            "-c",
            r#"ulimit -n "$1" && shift && exec "$@""#,
            "sh",
            &open_files.to_string(),
            BINARY,
        ]);
        Running::spawn(shell, flags)
    }

    /// Runs `command` (the binary, or what execs it) with [`BASE_FLAGS`]
    /// and `flags`, and waits for its banner.
    fn spawn(mut command: Command, flags: &[&str]) -> Running {
        let mut child = command
            .args(BASE_FLAGS)
            .args(flags)
            .stdout(Stdio::piped())
            // One line per request goes to stderr; nothing here reads it.
            .stderr(Stdio::null())
            .spawn()
            .expect("the binary starts");
        let stdout = child.stdout.take().expect("a piped stdout");
        let (lines, received) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        let mut running = Running {
            child,
            banner: Vec::new(),
        };
        loop {
            let line = received
                .recv_timeout(Duration::from_secs(30))
                .unwrap_or_else(|e| panic!("no bearer token line ({e}) in {:?}", running.banner));
            let last = line.starts_with("export STUDIO_BEARER_TOKEN=");
            running.banner.push(line);
            if last {
                return running;
            }
        }
    }

    /// The value of `export NAME=value` in the banner (printed unquoted).
    #[track_caller]
    pub fn exported(&self, name: &str) -> &str {
        let prefix = format!("export {name}=");
        self.banner
            .iter()
            .find_map(|line| line.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("no {prefix} line in {:?}", self.banner))
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// The printed base URL.
    pub fn base_url(&self) -> &str {
        self.exported("STUDIO_BASE_URL")
    }

    /// The printed API key.
    pub fn api_key(&self) -> &str {
        self.exported("STUDIO_API_KEY")
    }

    /// The printed bearer token.
    pub fn bearer_token(&self) -> &str {
        self.exported("STUDIO_BEARER_TOKEN")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the binary with [`BASE_FLAGS`] and `flags` when it is expected to
/// refuse them and exit, and returns how it exited (after at most 30 s).
pub fn refused(flags: &[&str]) -> Output {
    let child = Command::new(BINARY)
        .args(BASE_FLAGS)
        .args(flags)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let id = child.id();
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(child.wait_with_output());
    });
    match finished.recv_timeout(Duration::from_secs(30)) {
        Ok(output) => output.expect("the binary's output"),
        Err(_) => {
            let _ = Command::new("kill").arg(id.to_string()).status();
            panic!("studio-mock {flags:?} was still running after 30 s");
        }
    }
}

//! The two crates' clients behind one interface, so that every case holds
//! both to the same promises.

use super::Sdk;
use crate::edges::{Answer, Op};
use std::path::Path;
use std::time::Instant;
use studio_api::types::GenerationJob;
use studio_api::{CallOptions, ClientBuilder, Error};

/// What a case asks of a client.
pub trait Driver {
    /// Calls `op`; what it answered.
    fn call(&self, op: &Op) -> Result<Answer, Error>;
    /// Waits on the job `id`, until `until` if given.
    fn wait(&self, id: &str, until: Option<Instant>) -> Result<GenerationJob, Error>;
    /// Waits on each of `jobs` until its deadline, each in a task (or
    /// thread) of its own; each result with when it came.
    fn wait_each(
        &self,
        jobs: Vec<(GenerationJob, Instant)>,
    ) -> Vec<(Result<GenerationJob, Error>, Instant)>;
    /// Downloads `url` to `path`.
    fn download(&self, url: &str, path: &Path) -> Result<u64, Error>;
}

/// The client of `sdk` that `builder` makes, its calls with `options`.
pub fn driver(
    sdk: Sdk,
    builder: ClientBuilder,
    options: impl FnOnce(CallOptions) -> CallOptions,
) -> Box<dyn Driver> {
    let client = builder
        .build()
        .expect("a valid client")
        .with_options(options);
    match sdk {
        Sdk::Async => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("a runtime");
            Box::new(AsyncDriver { client, runtime })
        }
        Sdk::Blocking => Box::new(BlockingDriver(
            studio_api_blocking::Client::from_async(client).expect("a valid client"),
        )),
    }
}

/// The async client and the runtime it runs on.
struct AsyncDriver {
    client: studio_api::Client,
    runtime: tokio::runtime::Runtime,
}

impl Driver for AsyncDriver {
    fn call(&self, op: &Op) -> Result<Answer, Error> {
        let client = &self.client;
        call_op!(client, op, |sent| self.runtime.block_on(sent))
    }

    fn wait(&self, id: &str, until: Option<Instant>) -> Result<GenerationJob, Error> {
        let handle = self.client.job_by_id(id);
        self.runtime.block_on(async {
            match until {
                Some(until) => handle.wait_until(until).await,
                None => handle.wait().await,
            }
        })
    }

    fn wait_each(
        &self,
        jobs: Vec<(GenerationJob, Instant)>,
    ) -> Vec<(Result<GenerationJob, Error>, Instant)> {
        let tasks: Vec<_> = jobs
            .into_iter()
            .map(|(job, until)| {
                let handle = self.client.job(&job);
                self.runtime.spawn(async move {
                    let result = handle.wait_until(until).await;
                    (result, Instant::now())
                })
            })
            .collect();
        self.runtime.block_on(async {
            let mut results = Vec::new();
            for task in tasks {
                results.push(task.await.expect("a wait that does not panic"));
            }
            results
        })
    }

    fn download(&self, url: &str, path: &Path) -> Result<u64, Error> {
        self.runtime.block_on(self.client.download(url, path))
    }
}

/// The blocking client.
struct BlockingDriver(studio_api_blocking::Client);

impl Driver for BlockingDriver {
    fn call(&self, op: &Op) -> Result<Answer, Error> {
        let client = &self.0;
        call_op!(client, op, |sent| sent)
    }

    fn wait(&self, id: &str, until: Option<Instant>) -> Result<GenerationJob, Error> {
        let handle = self.0.job_by_id(id);
        match until {
            Some(until) => handle.wait_until(until),
            None => handle.wait(),
        }
    }

    fn wait_each(
        &self,
        jobs: Vec<(GenerationJob, Instant)>,
    ) -> Vec<(Result<GenerationJob, Error>, Instant)> {
        std::thread::scope(|scope| {
            let threads: Vec<_> = jobs
                .into_iter()
                .map(|(job, until)| {
                    let handle = self.0.job(&job);
                    scope.spawn(move || (handle.wait_until(until), Instant::now()))
                })
                .collect();
            threads
                .into_iter()
                .map(|thread| thread.join().expect("a wait that does not panic"))
                .collect()
        })
    }

    fn download(&self, url: &str, path: &Path) -> Result<u64, Error> {
        self.0.download(url, path)
    }
}

//! The edge cases of `edges`, played through the async client, driven by
//! a runtime of its own as an application's would be.

use crate::edges;

use std::sync::Arc;
use std::time::Duration;
use studio_api::{Client, ClientBuilder, Error};

/// The async client and the runtime it runs on.
struct AsyncSdk {
    client: Client,
    runtime: Arc<tokio::runtime::Runtime>,
}

impl edges::Sdk for AsyncSdk {
    fn build(builder: ClientBuilder) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        AsyncSdk {
            client: builder.build().expect("a valid client"),
            runtime: Arc::new(runtime),
        }
    }

    fn call(&self, op: &edges::Op) -> Result<Vec<String>, Error> {
        let client = &self.client;
        call_op!(client, op, |sent| self.runtime.block_on(sent)).map(|answer| answer.ids)
    }

    fn pause(&self, wait: Duration) {
        self.runtime
            .block_on(async { tokio::time::sleep(wait).await });
    }
}

edge_tests!(AsyncSdk);

//! The edge cases of `edges`, played through the blocking client, from
//! plain threads with no runtime of their own.

use crate::edges;

use std::time::Duration;
use studio_api::{ClientBuilder, Error};
use studio_api_blocking::Client;

/// The blocking client.
struct BlockingSdk(Client);

impl edges::Sdk for BlockingSdk {
    fn build(builder: ClientBuilder) -> Self {
        BlockingSdk(Client::from_async(builder.build().unwrap()).expect("a valid client"))
    }

    fn call(&self, op: &edges::Op) -> Result<Vec<String>, Error> {
        let client = &self.0;
        call_op!(client, op, |sent| sent).map(|answer| answer.ids)
    }

    fn pause(&self, wait: Duration) {
        std::thread::sleep(wait);
    }
}

edge_tests!(BlockingSdk);

//! The worker process the `shared_quota` benchmark starts; see
//! `studio_tests::quota_worker`.

fn main() {
    studio_tests::quota_worker::main();
}

//! The worker process the `shared_quota` benchmark starts (the tests
//! crate has its own, `quota_worker`, named apart so both build); see
//! `studio_tests::quota_worker`.

fn main() {
    studio_tests::quota_worker::main();
}

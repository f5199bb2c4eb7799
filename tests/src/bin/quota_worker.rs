//! See `studio_tests::quota_worker`.

fn main() {
    studio_tests::quota_worker::main();
}

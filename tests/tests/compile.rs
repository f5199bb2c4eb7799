//! What must not compile: values of the wrong type for a setter, and the
//! generated plumbing that is not part of the API. (What must compile, the
//! plain values a user has in hand, is written out in `wire.rs`,
//! `updates.rs` and the examples, which build with every test run.)

#[test]
fn wrong_types_and_hidden_plumbing_do_not_compile() {
    trybuild::TestCases::new().compile_fail("compile/fail/*.rs");
}

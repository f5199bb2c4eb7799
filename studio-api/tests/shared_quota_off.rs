//! Without the `shared-quota` feature, asking for a shared quota (with
//! `shared_quota` or `STUDIO_QUOTA_URL`) fails `build()` with a
//! configuration error that names the feature. (With the feature on, as in
//! a workspace build where the tests crate enables it, the tests crate's
//! `shared_quota` tests cover the store instead.)
#![cfg(not(feature = "shared-quota"))]

use studio_api::{Client, ErrorKind};

#[test]
fn a_shared_quota_without_the_feature_is_a_configuration_error_naming_it() {
    let error = Client::builder()
        .api_key("sk_live_example")
        .shared_quota("redis://:hunter2-password@127.0.0.1:6379/")
        .build()
        .unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::Configuration, "{error}");
    assert!(
        error.to_string().contains("`shared-quota` feature"),
        "{error}"
    );
    assert!(!error.to_string().contains("hunter2"), "{error}");
}

//! studio-api's integration tests against studio-mock, one module per
//! area, in one binary.

mod common;

mod jobs;
mod pages;
mod shared_quota_off;
mod transfer;

//! studio-api-blocking's integration tests against studio-mock, one module
//! per area, in one binary.

mod jobs;
mod pages;
mod transfer;

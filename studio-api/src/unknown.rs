//! The value of an enum that this client does not know.
//!
//! A newer server may send values an enum of [`types`](crate::types) does not
//! list yet (a new job status, say). Such a value decodes as that enum's
//! `Unknown` variant, holding an [`UnknownValue`], instead of failing the
//! whole response.

use std::fmt;

/// A string the server sent where this client expected one of an enum's
/// known values, kept as received.
///
/// It is only ever made by decoding a response: there is no public
/// constructor, so a request cannot be given a value the client does not
/// know, and an enum holding one fails to serialise rather than send it.
///
/// ```
/// use studio_api::types::JobStatus;
///
/// let status: JobStatus = serde_json::from_str(r#""expired""#).unwrap();
/// let JobStatus::Unknown(value) = &status else { panic!("{status:?}") };
/// assert_eq!(value.as_str(), "expired");
/// assert_eq!(value.to_string(), "expired");
/// assert!(serde_json::to_string(&status).is_err());
/// ```
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
pub struct UnknownValue(String);

impl UnknownValue {
    /// Keeps `value`, a string the client received.
    pub(crate) fn new(value: String) -> Self {
        UnknownValue(value)
    }

    /// The string as the server sent it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UnknownValue {
    /// Writes the string as the server sent it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

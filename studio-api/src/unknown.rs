//! The value of an enum that this client does not know.
//!
//! A newer server may send values an enum of [`types`](crate::types) does not
//! list yet (a new job status, say). Such a value decodes as that enum's
//! `Unknown` variant, holding an [`UnknownValue`], instead of failing the
//! whole response, and serialises back as the string the server sent, so a
//! response can be written out as it came. Only a request body refuses it:
//! every JSON body is serialised through [`Refusing`], and while it is, an
//! `Unknown` fails to serialise, so nothing is sent.

use serde::{Serialize, Serializer};
use std::cell::Cell;
use std::fmt;

/// A string the server sent where this client expected one of an enum's
/// known values, kept as received.
///
/// It is only ever made by decoding a response: there is no public
/// constructor. An enum holding one serialises as that string, except in a
/// request body, which it fails (so a request cannot carry a value the
/// client does not know).
///
/// ```
/// use studio_api::types::JobStatus;
///
/// let status: JobStatus = serde_json::from_str(r#""expired""#).unwrap();
/// let JobStatus::Unknown(value) = &status else { panic!("{status:?}") };
/// assert_eq!(value.as_str(), "expired");
/// assert_eq!(value.to_string(), "expired");
/// assert_eq!(serde_json::to_string(&status).unwrap(), r#""expired""#);
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

thread_local! {
    /// Whether a request body is being serialised on this thread.
    static REFUSING: Cell<bool> = const { Cell::new(false) };
}

/// A request body, serialised as itself except that an enum's `Unknown`
/// anywhere in it fails (see [`refusing`]).
///
/// A thread-local flag is enough: serde serialises synchronously, on the
/// calling thread, and so does reqwest's `RequestBuilder::json`, which the
/// generated requests give this wrapper; no `.await` happens while the
/// flag is set.
pub(crate) struct Refusing<'a, T: ?Sized>(pub(crate) &'a T);

impl<T: Serialize + ?Sized> Serialize for Refusing<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        /// Puts the flag back as it was, on success, error or panic.
        struct Restore(bool);
        impl Drop for Restore {
            fn drop(&mut self) {
                REFUSING.set(self.0);
            }
        }
        let _restore = Restore(REFUSING.replace(true));
        self.0.serialize(serializer)
    }
}

/// Whether a request body is being serialised on this thread, in which
/// case the generated enums' `Serialize` refuses their `Unknown` variant.
pub(crate) fn refusing() -> bool {
    REFUSING.get()
}

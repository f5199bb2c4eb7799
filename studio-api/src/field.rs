//! The values a generated setter accepts.
//!
//! Every setter of a request builder takes `impl IntoField<F>`, where `F` is
//! the field's type. `cargo xtask codegen` implements it, per field type, for
//! the field's own type and for the plain values a caller has in hand: `&str`
//! and `String` for text, any integer for an integer field, an enum or its
//! wire string, an array, slice or `Vec` for a list, and `None` for an
//! optional field. A value that cannot be one of the field (text too long,
//! an enum value the client does not know) is refused by the setter; a
//! number or a list's length outside the spec's bounds is refused when the
//! request is built, which also checks a body given whole. Either way
//! `send()` returns [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput)
//! naming the field, before anything is sent.

/// A value a setter accepts for a field of type `F`.
///
/// Implemented by the generated code for each field type; see the setter's
/// documentation for what it takes.
#[diagnostic::on_unimplemented(
    message = "this setter does not take a `{Self}`: its field is a `{F}`",
    label = "not a value this setter takes",
    note = "the setter's documentation says what it takes: for text a `&str` or `String`, for numbers an integer, for enums the enum or its wire string, for lists a `Vec`, array or slice, and `None` for an optional field"
)]
pub trait IntoField<F> {
    /// The field's value, or why this value cannot be one.
    fn into_field(self) -> Result<F, String>;
}

/// A number, or the length of a list, that a setter compares with the
/// bounds the spec gives; an absent optional value has none. Implemented
/// for the number types a generated field can have.
pub(crate) trait Measure {
    /// The quantity to check, if there is one.
    fn measure(&self) -> Option<f64>;
}

macro_rules! measure_as_f64 {
    ($($number:ty),*) => {$(
        impl Measure for $number {
            fn measure(&self) -> Option<f64> {
                Some(*self as f64)
            }
        }
    )*};
}
measure_as_f64!(i32, i64, u32, u64, f64);

impl Measure for std::num::NonZeroU32 {
    fn measure(&self) -> Option<f64> {
        Some(f64::from(self.get()))
    }
}

impl<T: Measure> Measure for Option<T> {
    fn measure(&self) -> Option<f64> {
        self.as_ref().and_then(Measure::measure)
    }
}

impl<T> Measure for Vec<T> {
    fn measure(&self) -> Option<f64> {
        Some(self.len() as f64)
    }
}

/// Whether `value` is finite and within `min..=max` (or is absent).
fn within<F: Measure>(value: &F, min: f64, max: f64) -> bool {
    value
        .measure()
        .is_none_or(|m| m.is_finite() && min <= m && m <= max)
}

/// `value`, or `message` (which states the range) when it is a number, or
/// a list's length, outside `min..=max` or not finite; an error passes
/// through.
pub(crate) fn bounded<F: Measure>(
    value: Result<F, String>,
    min: f64,
    max: f64,
    message: &str,
) -> Result<F, String> {
    value.and_then(|v| {
        if within(&v, min, max) {
            Ok(v)
        } else {
            Err(message.to_string())
        }
    })
}

/// Any other field: a value that cannot be converted gets its error,
/// prefixed with the field.
pub(crate) fn plain<F>(value: Result<F, String>, name: &str) -> Result<F, String> {
    value.map_err(|e| format!("{name}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_outside_the_range_or_not_finite_get_the_message() {
        let message = "volume must be between 0 and 1";
        assert_eq!(bounded(Ok(0.5), 0.0, 1.0, message), Ok(0.5));
        assert_eq!(bounded(Ok(Some(1.0)), 0.0, 1.0, message), Ok(Some(1.0)));
        assert_eq!(bounded(Ok(None::<f64>), 0.0, 1.0, message), Ok(None));
        assert_eq!(
            bounded(Ok(Some(None::<f64>)), 0.0, 1.0, message),
            Ok(Some(None))
        );
        for bad in [1.5, -0.1, f64::NAN, f64::INFINITY] {
            assert_eq!(bounded(Ok(bad), 0.0, 1.0, message), Err(message.into()));
            assert_eq!(
                bounded(Ok(Some(Some(bad))), 0.0, 1.0, message),
                Err(message.into())
            );
        }
        let items = "tags must have at most 2 items";
        assert_eq!(bounded(Ok(vec![1, 2]), 0.0, 2.0, items), Ok(vec![1, 2]));
        assert_eq!(
            bounded(Ok(vec![1, 2, 3]), 0.0, 2.0, items),
            Err(items.into())
        );
    }

    #[test]
    fn errors_pass_through() {
        let missing: Result<u32, String> = Err("frame_count is required".into());
        assert_eq!(bounded(missing.clone(), 1.0, 100.0, "x"), missing);
        assert_eq!(
            plain::<u32>(Err("longer than 64 characters".into()), "tag"),
            Err("tag: longer than 64 characters".into())
        );
    }
}

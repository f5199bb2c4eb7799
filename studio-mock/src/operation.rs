//! Operation ids given by users, checked against the spec's, so that a
//! misspelt one is refused instead of scripting a fault that never fires.

use studio_api::operations::{OPERATIONS, Operation};

/// An operation id that is not one of the API's (see
/// [`studio_api::operations::OPERATIONS`]), with the closest real one when
/// there is one near enough to be the likely meaning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownOperation {
    name: String,
    suggestion: Option<&'static str>,
}

impl UnknownOperation {
    /// The name as it was given.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The real operation id closest to the name, when one is close enough
    /// to be what was meant (e.g. `create_project` for `create_projet`).
    pub fn suggestion(&self) -> Option<&'static str> {
        self.suggestion
    }
}

impl std::fmt::Display for UnknownOperation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unknown operation `{}`", self.name)?;
        match self.suggestion {
            Some(id) => write!(f, "; did you mean `{id}`?"),
            None => f.write_str(
                "; operation ids are the spec's operationIds, which are also the \
                 client's method names, such as `create_project`",
            ),
        }
    }
}

impl std::error::Error for UnknownOperation {}

/// The operation whose id is `id`, or an [`UnknownOperation`] naming `id`
/// and suggesting the closest real id.
///
/// ```
/// assert_eq!(studio_mock::operation("create_project").unwrap().method, "POST");
/// let error = studio_mock::operation("create_projet").unwrap_err();
/// assert_eq!(error.suggestion(), Some("create_project"));
/// ```
pub fn operation(id: &str) -> Result<&'static Operation, UnknownOperation> {
    studio_api::operations::find(id).ok_or_else(|| UnknownOperation {
        name: id.to_string(),
        suggestion: closest(id),
    })
}

/// The operation id nearest to `name` by edit distance, ignoring case and
/// reading `-` as `_`, if it is within a third of the id's length (at
/// least two edits): near enough to be a slip, not a different word.
fn closest(name: &str) -> Option<&'static str> {
    let wanted: Vec<char> = name
        .chars()
        .map(|c| {
            if c == '-' {
                '_'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect();
    OPERATIONS
        .iter()
        .map(|op| {
            let id: Vec<char> = op.id.chars().collect();
            (distance(&wanted, &id), op.id)
        })
        .filter(|(edits, id)| *edits <= (id.len() / 3).max(2))
        .min_by_key(|(edits, _)| *edits)
        .map(|(_, id)| id)
}

/// Levenshtein distance: the fewest insertions, deletions and
/// substitutions turning `a` into `b`.
fn distance(a: &[char], b: &[char]) -> usize {
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitute.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_ids_are_found() {
        for op in OPERATIONS {
            assert_eq!(operation(op.id).map(|found| found.id), Ok(op.id));
        }
    }

    #[test]
    fn slips_suggest_the_id_meant() {
        let suggest = |name| operation(name).unwrap_err().suggestion();
        assert_eq!(suggest("create_projet"), Some("create_project"));
        assert_eq!(suggest("createProject"), Some("create_project"));
        assert_eq!(suggest("create-project"), Some("create_project"));
        assert_eq!(suggest("list_project"), Some("list_projects"));
        assert_eq!(suggest("bogus_op"), None);
        assert_eq!(suggest(""), None);
    }

    #[test]
    fn the_message_names_the_name_and_the_suggestion() {
        let error = operation("get_projcet").unwrap_err();
        assert_eq!(error.name(), "get_projcet");
        assert_eq!(
            error.to_string(),
            "unknown operation `get_projcet`; did you mean `get_project`?"
        );
        let error = operation("bogus_op").unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("unknown operation `bogus_op`; ")
        );
    }
}

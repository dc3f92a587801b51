//! Class names for a classifier's scores.
#![warn(clippy::indexing_slicing)]

/// One name per class: the caller's (comma-separated; classes it leaves out are `class i`,
/// names beyond the classes are dropped), or for two classes the Visual Wake Words
/// convention (output 0 is `person`, output 1 is `no person`), or `class i`.
pub fn names(given: Option<&str>, classes: usize) -> Vec<String> {
    let mut given: Vec<String> = match given {
        Some(list) => list.split(',').take(classes).map(|s| s.trim().to_string()).collect(),
        None if classes == 2 => vec!["person".into(), "no person".into()],
        None => Vec::new(),
    };
    given.extend((given.len()..classes).map(|i| format!("class {i}")));
    given
}

/// The index of the highest score (the first on ties), or `None` without scores.
pub fn best(scores: &[f32]) -> Option<usize> {
    scores.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(&a.0))).map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn best_takes_the_first_of_equal_scores() {
        assert_eq!(best(&[0.5, 0.5]), Some(0));
        assert_eq!(best(&[0.1, 0.9, 0.3]), Some(1));
        assert_eq!(best(&[]), None);
    }

    #[test]
    fn two_classes_are_person_and_no_person() {
        assert_eq!(names(None, 2), ["person", "no person"]);
        assert_eq!(names(Some("cat, dog"), 2), ["cat", "dog"]);
        assert_eq!(names(None, 3), ["class 0", "class 1", "class 2"]);
        assert_eq!(names(Some("cat"), 2), ["cat", "class 1"]);
        assert_eq!(names(Some("a,b,c"), 2), ["a", "b"]);
    }
}

//! Class names for a classifier's scores.
#![warn(clippy::indexing_slicing)]

/// One name per class: the `given` names as shown ([`shown`]); classes they leave out are
/// `class i`, names beyond the classes are dropped. No names are invented: a model that names
/// no classes gets `class i` for each.
pub fn names(given: &[String], classes: usize) -> Vec<String> {
    let mut names: Vec<String> = given
        .iter()
        .take(classes)
        .enumerate()
        .map(|(i, s)| Some(shown(s)).filter(|n| !n.is_empty()).unwrap_or_else(|| format!("class {i}")))
        .collect();
    names.extend((names.len()..classes).map(|i| format!("class {i}")));
    names
}

/// A class name as a user reads it: underscores as spaces, trimmed (`non_person` is
/// `non person`, MLTK's `_unknown_` is `unknown`); [`names`] calls a name left empty `class i`.
pub fn shown(name: &str) -> String {
    name.replace('_', " ").trim().to_string()
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
    fn names_are_given_or_class_i() {
        let given = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(names(&[], 2), ["class 0", "class 1"]);
        assert_eq!(names(&given(&["cat", "dog"]), 2), ["cat", "dog"]);
        assert_eq!(names(&given(&["cat"]), 2), ["cat", "class 1"]);
        assert_eq!(names(&given(&["a", "b", "c"]), 2), ["a", "b"]);
        assert_eq!(names(&given(&["person", "non_person"]), 2), ["person", "non person"]);
        assert_eq!(names(&given(&["_unknown_", "_"]), 2), ["unknown", "class 1"]);
    }
}

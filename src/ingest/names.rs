//! Column identifiers from source labels: `EGFR mutation status` → `egfr_mutation_status`,
//! `Weight (lbs)` → `weight_lbs`, `%GG` → `pct_gg`.

use std::collections::HashSet;

/// The snake_case identifier for a source label. Never empty; never starts with a digit.
pub fn snake_case(label: &str) -> String {
    let spelled = label
        .trim()
        .replace('%', " pct ")
        .replace('#', " num ")
        .replace('+', " plus ");
    let mut out = String::with_capacity(spelled.len());
    for c in spelled.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let trimmed = out.trim_matches('_');
    if trimmed.is_empty() {
        "column".to_string()
    } else if trimmed.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{trimmed}")
    } else {
        trimmed.to_string()
    }
}

/// Hands out unique identifiers: a repeated name gets `_2`, `_3`, … appended.
#[derive(Debug, Default)]
pub struct UniqueNames {
    taken: HashSet<String>,
}

impl UniqueNames {
    /// Starts with some names already taken (such as `subject_id`).
    pub fn reserving<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        UniqueNames {
            taken: names.into_iter().map(str::to_string).collect(),
        }
    }

    /// `name` if free, otherwise the first free `name_N`.
    pub fn claim(&mut self, name: String) -> String {
        let mut candidate = name.clone();
        let mut n = 2;
        while self.taken.contains(&candidate) {
            candidate = format!("{name}_{n}");
            n += 1;
        }
        self.taken.insert(candidate.clone());
        candidate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcia_labels_become_identifiers() {
        assert_eq!(snake_case("EGFR mutation status"), "egfr_mutation_status");
        assert_eq!(snake_case("Histology "), "histology");
        assert_eq!(snake_case("Weight (lbs)"), "weight_lbs");
        assert_eq!(snake_case("%GG"), "pct_gg");
        assert_eq!(
            snake_case("Tumor Location (choice=L Lingula)"),
            "tumor_location_choice_l_lingula"
        );
        assert_eq!(
            snake_case("Pleural invasion (elastic, visceral, or parietal)"),
            "pleural_invasion_elastic_visceral_or_parietal"
        );
        assert_eq!(snake_case("5-year survival"), "_5_year_survival");
        assert_eq!(snake_case("()"), "column");
    }

    #[test]
    fn repeated_names_get_suffixes() {
        let mut names = UniqueNames::reserving(["subject_id"]);
        assert_eq!(names.claim("subject_id".into()), "subject_id_2");
        assert_eq!(names.claim("age".into()), "age");
        assert_eq!(names.claim("age".into()), "age_2");
    }
}

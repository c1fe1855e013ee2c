//! Column identifiers from source labels: `EGFR mutation status` → `egfr_mutation_status`,
//! `Weight (lbs)` → `weight_lbs`, `%GG` → `pct_gg`; or, keeping the label's case,
//! `log-sigma-1-0-mm-3D_firstorder_Mean` → `log_sigma_1_0_mm_3D_firstorder_Mean`.

use std::collections::HashSet;

use crate::storage::fold;

/// The snake_case identifier for a source label. Never empty; never starts with a digit.
pub fn snake_case(label: &str) -> String {
    identifier(label).to_ascii_lowercase()
}

/// The identifier for a source label with the label's own case: every run of characters that
/// an identifier cannot hold becomes one `_` (`%`, `#` and `+` are spelled `pct`, `num` and
/// `plus`). Never empty; never starts with a digit. Names are matched without regard to case
/// (the catalog's name index folds them), so this only changes how a name is shown.
pub fn identifier(label: &str) -> String {
    let spelled = label
        .trim()
        .replace('%', " pct ")
        .replace('#', " num ")
        .replace('+', " plus ");
    let mut out = String::with_capacity(spelled.len());
    for c in spelled.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
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

/// Hands out unique identifiers: a repeated name gets `_2`, `_3`, … appended. Names that
/// differ only in case are the same name, as they are to every lookup.
#[derive(Debug, Default)]
pub struct UniqueNames {
    /// The names taken, folded as the name index folds them.
    taken: HashSet<String>,
}

impl UniqueNames {
    /// Starts with some names already taken (such as `subject_id`).
    pub fn reserving<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        UniqueNames {
            taken: names.into_iter().map(fold).collect(),
        }
    }

    /// `name` if free, otherwise the first free `name_N`.
    pub fn claim(&mut self, name: String) -> String {
        let mut candidate = name.clone();
        let mut n = 2;
        while self.taken.contains(&fold(&candidate)) {
            candidate = format!("{name}_{n}");
            n += 1;
        }
        self.taken.insert(fold(&candidate));
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
    fn pyradiomics_names_keep_their_case() {
        assert_eq!(
            identifier("original_shape_MeshVolume"),
            "original_shape_MeshVolume"
        );
        assert_eq!(
            identifier("log-sigma-1-0-mm-3D_firstorder_Mean"),
            "log_sigma_1_0_mm_3D_firstorder_Mean"
        );
        assert_eq!(
            snake_case("log-sigma-1-0-mm-3D_firstorder_Mean"),
            "log_sigma_1_0_mm_3d_firstorder_mean"
        );
        assert_eq!(identifier("3D %Volume"), "_3D_pct_Volume");
    }

    #[test]
    fn names_differing_in_case_are_one_name() {
        let mut names = UniqueNames::reserving(["subject_id"]);
        assert_eq!(names.claim("Subject_ID".into()), "Subject_ID_2");
        assert_eq!(names.claim("wavelet_LLH_x".into()), "wavelet_LLH_x");
        assert_eq!(names.claim("wavelet_llh_x".into()), "wavelet_llh_x_2");
    }

    #[test]
    fn repeated_names_get_suffixes() {
        let mut names = UniqueNames::reserving(["subject_id"]);
        assert_eq!(names.claim("subject_id".into()), "subject_id_2");
        assert_eq!(names.claim("age".into()), "age");
        assert_eq!(names.claim("age".into()), "age_2");
    }
}

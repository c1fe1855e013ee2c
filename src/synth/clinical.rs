//! `clinical.csv`: the TCIA clinical table's 40 columns, with its tokens and `M/D/YYYY` dates.

use std::path::Path;

use chrono::{Datelike, Days, NaiveDate};

use super::error::Result;
use super::{Cohort, Stream, Subject, io, normal, uniform};

/// The header of `NSCLCR01Radiogenomic_DATA_LABELS_2018-05-22_1500-shifted.csv`, exactly
/// (including the space after `Histology`).
pub const HEADER: [&str; 40] = [
    "Patient ID",
    "Patient affiliation",
    "Age at Histological Diagnosis",
    "Weight (lbs)",
    "Gender",
    "Ethnicity",
    "Smoking status",
    "Pack Years",
    "Quit Smoking Year",
    "%GG",
    "Tumor Location (choice=RUL)",
    "Tumor Location (choice=RML)",
    "Tumor Location (choice=RLL)",
    "Tumor Location (choice=LUL)",
    "Tumor Location (choice=LLL)",
    "Tumor Location (choice=L Lingula)",
    "Tumor Location (choice=Unknown)",
    "Histology ",
    "Pathological T stage",
    "Pathological N stage",
    "Pathological M stage",
    "Histopathological Grade",
    "Lymphovascular invasion",
    "Pleural invasion (elastic, visceral, or parietal)",
    "EGFR mutation status",
    "KRAS mutation status",
    "ALK translocation status",
    "Adjuvant Treatment",
    "Chemotherapy",
    "Radiation",
    "Recurrence",
    "Recurrence Location",
    "Date of Recurrence",
    "Date of Last Known Alive",
    "Survival Status",
    "Date of Death",
    "Time to Death (days)",
    "CT Date",
    "Days between CT and surgery",
    "PET Date",
];

pub(super) fn write(cohort: &Cohort, path: &Path) -> Result<()> {
    let file = std::fs::File::create(path).map_err(|e| io(path, e))?;
    let mut out = csv::Writer::from_writer(std::io::BufWriter::with_capacity(1 << 20, file));
    let fail = |e: csv::Error| io(path, std::io::Error::other(e));
    out.write_record(HEADER).map_err(fail)?;
    for subject in &cohort.subjects {
        out.write_record(row(cohort.spec.seed, subject))
            .map_err(fail)?;
    }
    out.flush().map_err(|e| io(path, e))
}

/// Picks among `choices` with the given weights (which sum to 1) using `u` in [0, 1).
fn pick<'a>(u: f64, choices: &[(&'a str, f64)]) -> &'a str {
    let mut acc = 0.0;
    for (choice, weight) in choices {
        acc += weight;
        if u < acc {
            return choice;
        }
    }
    choices.last().map_or("", |c| c.0)
}

fn date(days_since_1990: u32) -> String {
    let d = NaiveDate::from_ymd_opt(1990, 1, 1).expect("a valid date")
        + Days::new(u64::from(days_since_1990));
    format!("{}/{}/{}", d.month(), d.day(), d.year())
}

const NA: &str = "N/A";

fn row(seed: u64, s: &Subject) -> Vec<String> {
    let i = s.index as u64;
    // Column `k`'s own uniform draw.
    let u = |k: u64| uniform(seed, Stream::Clinical, i, k);
    let stanford = s.id.starts_with("R01");
    let ct = (uniform(seed, Stream::Dates, i, 0) * 3650.0) as u32;
    let surgery_gap = 1 + (uniform(seed, Stream::Dates, i, 1) * 120.0) as u32;
    let follow_up = s.follow_up.max(surgery_gap + 1);
    let weight = if u(3) < 0.1 {
        "Not Collected".to_string()
    } else {
        let mean = if s.male { 185.0 } else { 150.0 };
        let lbs = (mean + 30.0 * normal(seed, Stream::Clinical, i, 103)).max(90.0);
        if u(4) < 0.2 {
            format!("{}", (lbs * 1000.0).round() / 1000.0)
        } else {
            format!("{}", lbs.round())
        }
    };
    let smoking = ["Nonsmoker", "Former", "Current"][s.smoking as usize];
    let pack_years = if s.smoking == 0 {
        NA.to_string()
    } else {
        let years = (40.0 + 20.0 * normal(seed, Stream::Clinical, i, 107)).clamp(1.0, 150.0);
        format!("{}", years.round())
    };
    let ct_year = date(ct)
        .rsplit('/')
        .next()
        .unwrap_or("1995")
        .parse()
        .unwrap_or(1995);
    let quit = if s.smoking == 1 {
        format!("{}", ct_year - 1 - (u(8) * 40.0) as i32)
    } else {
        NA.to_string()
    };
    // Ground glass is commoner in EGFR-mutant adenocarcinoma.
    let gg = if !stanford {
        "Not Assessed"
    } else {
        let shift = if s.egfr_mutant { 0.35 } else { 0.0 };
        pick(
            (u(9) + shift).fract(),
            &[
                ("0%", 0.45),
                (">0 - 25%", 0.2),
                ("25 - 50%", 0.1),
                ("50 - 75%", 0.08),
                ("75 - < 100%", 0.07),
                ("100%", 0.05),
                ("Not Assessed", 0.05),
            ],
        )
    };
    let lobes = ["RUL", "RML", "RLL", "LUL", "LLL", "L Lingula"];
    let lobe = pick(
        u(10),
        &[
            ("RUL", 0.35),
            ("RML", 0.07),
            ("RLL", 0.2),
            ("LUL", 0.25),
            ("LLL", 0.1),
            ("L Lingula", 0.03),
        ],
    );
    let second = (u(11) < 0.03).then(|| lobes[(u(12) * 6.0) as usize % 6]);
    let histology = [
        "Adenocarcinoma",
        "Squamous cell carcinoma",
        "NSCLC NOS (not otherwise specified)",
    ][s.histology as usize];
    let collected = |token: &'static str, value: &'static str| {
        if stanford { value } else { token }
    };
    // Stage follows the tumour burden.
    let t_stage = collected(
        "Not Collected",
        pick(
            normal_cdf(s.burden + 0.3 * normal(seed, Stream::Clinical, i, 118)),
            &[
                ("Tis", 0.02),
                ("T1a", 0.25),
                ("T1b", 0.2),
                ("T2a", 0.28),
                ("T2b", 0.1),
                ("T3", 0.1),
                ("T4", 0.05),
            ],
        ),
    );
    let n_stage = collected(
        "Not Collected",
        pick(
            normal_cdf(0.7 * s.burden + 0.7 * normal(seed, Stream::Clinical, i, 119)),
            &[("N0", 0.72), ("N1", 0.15), ("N2", 0.13)],
        ),
    );
    let m_stage = collected(
        "Not Collected",
        pick(u(20), &[("M0", 0.96), ("M1a", 0.02), ("M1b", 0.02)]),
    );
    let grade = collected(
        "Not Collected",
        pick(
            u(21),
            &[
                ("G1 Well differentiated", 0.2),
                ("G2 Moderately differentiated", 0.4),
                ("G3 Poorly differentiated", 0.3),
                ("Other, Type I: Well to moderately differentiated", 0.05),
                ("Other, Type II: Moderately to poorly differentiated", 0.05),
            ],
        ),
    );
    let lvi = collected(
        "Not Collected",
        pick(u(22), &[("Absent", 0.8), ("Present", 0.2)]),
    );
    let pleural = collected("Not collected", pick(u(23), &[("No", 0.75), ("Yes", 0.25)]));
    let status = |mutant: bool, k: u64, positive: &'static str| match u(k) {
        x if x < 0.05 => "Not collected",
        x if x < 0.12 => "Unknown",
        _ if mutant => positive,
        _ => "Wildtype",
    };
    let alk_positive = !s.egfr_mutant && !s.kras_mutant && u(126) < 0.03;
    let yes_no = |k: u64, p: f64| {
        pick(
            u(k),
            &[("Not Collected", 0.03), ("Yes", p), ("No", 0.97 - p)],
        )
    };
    let (recurrence, where_, when) = match s.recurrence {
        _ if u(30) < 0.03 => ("Not collected", NA, NA.to_string()),
        Some(days) if days < follow_up => (
            "yes",
            pick(
                u(31),
                &[("local", 0.3), ("regional", 0.2), ("distant", 0.5)],
            ),
            date(ct + days),
        ),
        _ => ("no", NA, NA.to_string()),
    };
    let last_alive = date(ct + follow_up);
    let (survival, death, time_to_death) = if s.dead {
        (
            "Dead",
            last_alive.clone(),
            (follow_up - surgery_gap).to_string(),
        )
    } else {
        ("Alive", NA.to_string(), NA.to_string())
    };
    let pet = if u(39) < 0.6 {
        date(ct.saturating_sub((u(40) * 30.0) as u32))
    } else {
        "Not Collected".to_string()
    };
    let mut row = vec![
        s.id.clone(),
        if stanford { "Stanford" } else { "VA" }.to_string(),
        s.age.to_string(),
        weight,
        if s.male { "Male" } else { "Female" }.to_string(),
        pick(
            u(5),
            &[
                ("Caucasian", 0.7),
                ("Asian", 0.12),
                ("African-American", 0.06),
                ("Hispanic/Latino", 0.04),
                ("Native Hawaiian/Pacific Islander", 0.01),
                ("Not Recorded In Database", 0.07),
            ],
        )
        .to_string(),
        smoking.to_string(),
        pack_years,
        quit,
        gg.to_string(),
    ];
    for candidate in lobes {
        let checked = candidate == lobe || second == Some(candidate);
        row.push(if checked { "Checked" } else { "Unchecked" }.to_string());
    }
    row.push("Unchecked".to_string());
    row.extend(
        [
            histology,
            t_stage,
            n_stage,
            m_stage,
            grade,
            lvi,
            pleural,
            status(s.egfr_mutant, 124, "Mutant"),
            status(s.kras_mutant, 125, "Mutant"),
            status(alk_positive, 127, "Translocated"),
            yes_no(27, 0.25),
            yes_no(28, 0.3),
            yes_no(29, 0.15),
            recurrence,
            where_,
        ]
        .map(String::from),
    );
    row.extend([
        when,
        last_alive,
        survival.to_string(),
        death,
        time_to_death,
        date(ct),
        surgery_gap.to_string(),
        pet,
    ]);
    row
}

/// The standard normal CDF.
fn normal_cdf(x: f64) -> f64 {
    0.5 * crate::stats::dist::erfc(-x / std::f64::consts::SQRT_2)
}

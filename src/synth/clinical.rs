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

/// One subject's own draws for the clinical table, keyed by column.
struct Draws<'a> {
    seed: u64,
    subject: &'a Subject,
}

impl Draws<'_> {
    /// Column `k`'s own uniform draw.
    fn u(&self, k: u64) -> f64 {
        uniform(self.seed, Stream::Clinical, self.subject.index as u64, k)
    }

    /// Column `k`'s own standard normal draw.
    fn normal(&self, k: u64) -> f64 {
        normal(self.seed, Stream::Clinical, self.subject.index as u64, k)
    }

    /// Whether the subject is from Stanford (the `R01` IDs), whose pathology is collected.
    fn stanford(&self) -> bool {
        self.subject.id.starts_with("R01")
    }

    /// `value` for a Stanford subject, else the not-collected `token`.
    fn collected(&self, token: &'static str, value: &'static str) -> &'static str {
        if self.stanford() { value } else { token }
    }
}

/// The subject's dates: the CT (days since 1990), then surgery and follow-up in days after it.
struct Timeline {
    ct: u32,
    surgery_gap: u32,
    follow_up: u32,
}

impl Timeline {
    /// Draws the subject's CT date and surgery gap; follow-up ends after surgery.
    fn new(seed: u64, s: &Subject) -> Timeline {
        let i = s.index as u64;
        let ct = (uniform(seed, Stream::Dates, i, 0) * 3650.0) as u32;
        let surgery_gap = 1 + (uniform(seed, Stream::Dates, i, 1) * 120.0) as u32;
        Timeline {
            ct,
            surgery_gap,
            follow_up: s.follow_up.max(surgery_gap + 1),
        }
    }
}

/// One subject's 40 cells, in `HEADER` order.
fn row(seed: u64, s: &Subject) -> Vec<String> {
    let d = Draws { seed, subject: s };
    let t = Timeline::new(seed, s);
    let mut row = demographics(&d);
    row.extend(smoking(&d, &t));
    row.push(ground_glass(&d).to_string());
    row.extend(tumor_location(&d));
    row.extend(pathology(&d).map(String::from));
    row.extend(mutations_and_treatment(&d).map(String::from));
    row.extend(recurrence(&d, &t));
    row.extend(outcome(&d, &t));
    row
}

/// Patient ID, affiliation, age, weight, gender and ethnicity.
fn demographics(d: &Draws) -> Vec<String> {
    let s = d.subject;
    vec![
        s.id.clone(),
        if d.stanford() { "Stanford" } else { "VA" }.to_string(),
        s.age.to_string(),
        weight(d),
        if s.male { "Male" } else { "Female" }.to_string(),
        pick(
            d.u(5),
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
    ]
}

/// The weight in pounds, sometimes with decimals, sometimes not collected.
fn weight(d: &Draws) -> String {
    if d.u(3) < 0.1 {
        return "Not Collected".to_string();
    }
    let mean = if d.subject.male { 185.0 } else { 150.0 };
    let lbs = (mean + 30.0 * d.normal(103)).max(90.0);
    if d.u(4) < 0.2 {
        format!("{}", (lbs * 1000.0).round() / 1000.0)
    } else {
        format!("{}", lbs.round())
    }
}

/// Smoking status, pack years and (for former smokers) the year they quit, before the CT.
fn smoking(d: &Draws, t: &Timeline) -> [String; 3] {
    let s = d.subject;
    let smoking = ["Nonsmoker", "Former", "Current"][s.smoking as usize];
    let pack_years = if s.smoking == 0 {
        NA.to_string()
    } else {
        let years = (40.0 + 20.0 * d.normal(107)).clamp(1.0, 150.0);
        format!("{}", years.round())
    };
    let ct_year = date(t.ct)
        .rsplit('/')
        .next()
        .unwrap_or("1995")
        .parse()
        .unwrap_or(1995);
    let quit = if s.smoking == 1 {
        format!("{}", ct_year - 1 - (d.u(8) * 40.0) as i32)
    } else {
        NA.to_string()
    };
    [smoking.to_string(), pack_years, quit]
}

/// The `%GG` column. Ground glass is commoner in EGFR-mutant adenocarcinoma.
fn ground_glass(d: &Draws) -> &'static str {
    if !d.stanford() {
        return "Not Assessed";
    }
    let shift = if d.subject.egfr_mutant { 0.35 } else { 0.0 };
    pick(
        (d.u(9) + shift).fract(),
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
}

/// The seven `Tumor Location (choice=…)` checkboxes: one lobe, rarely a second.
fn tumor_location(d: &Draws) -> Vec<String> {
    let lobes = ["RUL", "RML", "RLL", "LUL", "LLL", "L Lingula"];
    let lobe = pick(
        d.u(10),
        &[
            ("RUL", 0.35),
            ("RML", 0.07),
            ("RLL", 0.2),
            ("LUL", 0.25),
            ("LLL", 0.1),
            ("L Lingula", 0.03),
        ],
    );
    let second = (d.u(11) < 0.03).then(|| lobes[(d.u(12) * 6.0) as usize % 6]);
    let mut cells: Vec<String> = lobes
        .iter()
        .map(|&candidate| {
            let checked = candidate == lobe || second == Some(candidate);
            if checked { "Checked" } else { "Unchecked" }.to_string()
        })
        .collect();
    cells.push("Unchecked".to_string());
    cells
}

/// Histology, the T, N and M stages, grade, lymphovascular and pleural invasion.
fn pathology(d: &Draws) -> [&'static str; 7] {
    let s = d.subject;
    let histology = [
        "Adenocarcinoma",
        "Squamous cell carcinoma",
        "NSCLC NOS (not otherwise specified)",
    ][s.histology as usize];
    // Stage follows the tumour burden.
    let t_stage = d.collected(
        "Not Collected",
        pick(
            normal_cdf(s.burden + 0.3 * d.normal(118)),
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
    let n_stage = d.collected(
        "Not Collected",
        pick(
            normal_cdf(0.7 * s.burden + 0.7 * d.normal(119)),
            &[("N0", 0.72), ("N1", 0.15), ("N2", 0.13)],
        ),
    );
    let m_stage = d.collected(
        "Not Collected",
        pick(d.u(20), &[("M0", 0.96), ("M1a", 0.02), ("M1b", 0.02)]),
    );
    [
        histology,
        t_stage,
        n_stage,
        m_stage,
        grade(d),
        d.collected(
            "Not Collected",
            pick(d.u(22), &[("Absent", 0.8), ("Present", 0.2)]),
        ),
        d.collected(
            "Not collected",
            pick(d.u(23), &[("No", 0.75), ("Yes", 0.25)]),
        ),
    ]
}

/// The histopathological grade.
fn grade(d: &Draws) -> &'static str {
    d.collected(
        "Not Collected",
        pick(
            d.u(21),
            &[
                ("G1 Well differentiated", 0.2),
                ("G2 Moderately differentiated", 0.4),
                ("G3 Poorly differentiated", 0.3),
                ("Other, Type I: Well to moderately differentiated", 0.05),
                ("Other, Type II: Moderately to poorly differentiated", 0.05),
            ],
        ),
    )
}

/// EGFR, KRAS and ALK status, then adjuvant treatment, chemotherapy and radiation.
fn mutations_and_treatment(d: &Draws) -> [&'static str; 6] {
    let s = d.subject;
    let status = |mutant: bool, k: u64, positive: &'static str| match d.u(k) {
        x if x < 0.05 => "Not collected",
        x if x < 0.12 => "Unknown",
        _ if mutant => positive,
        _ => "Wildtype",
    };
    let alk_positive = !s.egfr_mutant && !s.kras_mutant && d.u(126) < 0.03;
    let yes_no = |k: u64, p: f64| {
        pick(
            d.u(k),
            &[("Not Collected", 0.03), ("Yes", p), ("No", 0.97 - p)],
        )
    };
    [
        status(s.egfr_mutant, 124, "Mutant"),
        status(s.kras_mutant, 125, "Mutant"),
        status(alk_positive, 127, "Translocated"),
        yes_no(27, 0.25),
        yes_no(28, 0.3),
        yes_no(29, 0.15),
    ]
}

/// Recurrence, its location and its date (when it happens before the end of follow-up).
fn recurrence(d: &Draws, t: &Timeline) -> [String; 3] {
    let (recurrence, where_, when) = match d.subject.recurrence {
        _ if d.u(30) < 0.03 => ("Not collected", NA, NA.to_string()),
        Some(days) if days < t.follow_up => (
            "yes",
            pick(
                d.u(31),
                &[("local", 0.3), ("regional", 0.2), ("distant", 0.5)],
            ),
            date(t.ct + days),
        ),
        _ => ("no", NA, NA.to_string()),
    };
    [recurrence.to_string(), where_.to_string(), when]
}

/// Last known alive, survival status, date of and time to death, then the CT date, the days
/// between CT and surgery and the PET date.
fn outcome(d: &Draws, t: &Timeline) -> [String; 7] {
    let last_alive = date(t.ct + t.follow_up);
    let (survival, death, time_to_death) = if d.subject.dead {
        (
            "Dead",
            last_alive.clone(),
            (t.follow_up - t.surgery_gap).to_string(),
        )
    } else {
        ("Alive", NA.to_string(), NA.to_string())
    };
    let pet = if d.u(39) < 0.6 {
        date(t.ct.saturating_sub((d.u(40) * 30.0) as u32))
    } else {
        "Not Collected".to_string()
    };
    [
        last_alive,
        survival.to_string(),
        death,
        time_to_death,
        date(t.ct),
        t.surgery_gap.to_string(),
        pet,
    ]
}

/// The standard normal CDF.
fn normal_cdf(x: f64) -> f64 {
    0.5 * crate::stats::dist::erfc(-x / std::f64::consts::SQRT_2)
}

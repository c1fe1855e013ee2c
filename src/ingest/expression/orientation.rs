//! Which way an expression matrix lies: given, or detected from the subjects it names and,
//! failing that, from the word in its first header cell.

use super::records::Records;
use crate::ingest::IngestError;
use crate::ingest::names::snake_case;
use crate::ingest::stream::Stream;
use crate::storage::WriteTxn;

/// Which way a matrix lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Orientation {
    /// Decide from the file (see [`ExpressionImport`](super::ExpressionImport)).
    Auto,
    /// A gene per line, a subject per column (GEO's layout).
    GenesBySubjects,
    /// A subject per line, a gene per column.
    SubjectsByGenes,
}

impl std::str::FromStr for Orientation {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(Orientation::Auto),
            "genes-by-subjects" | "genes_by_subjects" => Ok(Orientation::GenesBySubjects),
            "subjects-by-genes" | "subjects_by_genes" => Ok(Orientation::SubjectsByGenes),
            other => Err(format!(
                "unknown orientation `{other}`: use auto, genes-by-subjects or subjects-by-genes"
            )),
        }
    }
}

/// First header cells that name a gene column: the matrix is genes by subjects.
const GENE_WORDS: &[&str] = &[
    "",
    "id_ref",
    "gene",
    "genes",
    "gene_id",
    "gene_symbol",
    "symbol",
    "probe",
    "probe_id",
    "id",
    "ensembl",
    "ensembl_id",
    "hugo",
];
/// First header cells that name a subject column: the matrix is subjects by genes.
const SUBJECT_WORDS: &[&str] = &[
    "pid",
    "subject",
    "subject_id",
    "sample",
    "sample_id",
    "patient",
    "patient_id",
    "case_id",
    "patientid",
];

/// Decides the orientation of a matrix (see [`ExpressionImport`](super::ExpressionImport)).
pub(super) fn detect(
    txn: &mut WriteTxn<'_>,
    stream: &Stream,
    records: &mut Records,
    header: &[String],
) -> Result<Orientation, IngestError> {
    let known = |txn: &WriteTxn<'_>, names: &mut dyn Iterator<Item = &str>| -> (usize, usize) {
        names.fold((0, 0), |(k, n), s| {
            let hit = matches!(txn.resolve_subject(s), Ok(Some(_)));
            (k + hit as usize, n + 1)
        })
    };
    let (k, n) = known(txn, &mut header.iter().skip(1).map(String::as_str));
    if n > 0 && k * 2 > n {
        return Ok(Orientation::GenesBySubjects);
    }
    let sample = records.peek(stream, 100)?;
    let firsts: Vec<String> = sample
        .iter()
        .filter_map(|r| {
            r.get(0)
                .map(|c| String::from_utf8_lossy(c).trim().to_string())
        })
        .collect();
    let (k, n) = known(txn, &mut firsts.iter().map(String::as_str));
    if n > 0 && k * 2 > n {
        return Ok(Orientation::SubjectsByGenes);
    }
    let word = snake_case(&header[0]);
    let word = if header[0].trim().is_empty() {
        String::new()
    } else {
        word
    };
    if GENE_WORDS.contains(&word.as_str()) {
        Ok(Orientation::GenesBySubjects)
    } else if SUBJECT_WORDS.contains(&word.as_str()) {
        Ok(Orientation::SubjectsByGenes)
    } else {
        Err(IngestError::UnknownOrientation {
            file: stream.file.clone(),
        })
    }
}

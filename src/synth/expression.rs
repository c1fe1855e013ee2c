//! `rnaseq_fpkm.txt`: an FPKM matrix as GEO ships GSE103584, a gene per line and a subject
//! per column, with an empty first header cell and `NA` cells.

use std::path::Path;

use super::error::Result;
use super::{
    Cohort, DRIVERS, GENE_BLOCK, Modality, Output, SIGNATURE, Stream, bits, mix, normal, normal_of,
    push_milli, uniform, write_parallel,
};
use crate::embedded;

pub(super) fn write(cohort: &Cohort, path: &Path) -> Result<()> {
    let seed = cohort.spec.seed;
    let subjects: Vec<_> = cohort.with(Modality::Rnaseq).collect();
    let names = gene_names(cohort.spec.genes);
    let egfr = names.iter().position(|n| n == "EGFR");
    // A cell is `NA` when 53 more of its bits fall below this.
    let na_below = cohort.spec.na_rate * (1u64 << 53) as f64;
    let mut out = Output::create(path)?;
    let mut header = Vec::new();
    for s in &subjects {
        header.push(b'\t');
        header.extend_from_slice(s.id.as_bytes());
    }
    header.push(b'\n');
    out.write(&header)?;
    write_parallel(&mut out, names.len(), 64, |g, line| {
        line.extend_from_slice(names[g].as_bytes());
        let mean = -1.0 + 7.0 * uniform(seed, Stream::GeneMean, g as u64, 0);
        let block = (g / GENE_BLOCK) as u64;
        let signature = if g < SIGNATURE.len() { 0.9 } else { 0.0 };
        for s in &subjects {
            line.push(b'\t');
            let i = s.index as u64;
            let r = bits(seed, Stream::GeneNoise, i, g as u64);
            if ((mix(r) >> 11) as f64) < na_below {
                line.extend_from_slice(b"NA");
                continue;
            }
            let noise = normal_of(r);
            let mut log2 = mean
                + 0.7 * normal(seed, Stream::GeneBlock, i, block)
                + 0.6 * noise
                + signature * s.burden;
            if Some(g) == egfr && s.egfr_mutant {
                log2 += 1.5;
            }
            let fpkm = log2.exp2() - 0.5;
            push_milli(line, fpkm.max(0.0));
        }
        line.push(b'\n');
    })?;
    out.finish()
}

/// The matrix's gene symbols: the signature, the drivers, the real symbols of the bundled
/// RNA-seq subset, then `SYN00001`, … as needed.
pub fn gene_names(genes: usize) -> Vec<String> {
    let mut names: Vec<String> = SIGNATURE
        .iter()
        .chain(&DRIVERS)
        .map(|s| s.to_string())
        .collect();
    let real = embedded::FILES
        .iter()
        .find(|f| f.name.starts_with("rnaseq"))
        .and_then(|f| f.bytes().ok())
        .unwrap_or_default();
    let header = real.split(|&b| b == b'\n').next().unwrap_or_default();
    for symbol in String::from_utf8_lossy(header).split('\t').skip(2) {
        if !names.iter().any(|n| n == symbol) {
            names.push(symbol.to_string());
        }
    }
    let mut next = names.len();
    names.truncate(genes);
    while names.len() < genes {
        next += 1;
        names.push(format!("SYN{next:05}"));
    }
    names
}

//! `rgdb radiomics`: features of an image and mask, or of a PyRadiomics batch, printed as
//! the `pyradiomics` command prints them (`--format csv`).

use std::io::Write;
use std::sync::atomic::AtomicBool;

use super::args::RadiomicsArgs;
use crate::error::Error;
use crate::radiomics::batch::{Case, Computed, read_batch, run as run_cases};
use crate::radiomics::{Params, RadiomicsError, python_float, read_params};

/// Runs the command; exit code 0, or 1 when a case failed (each is named on stderr), 2 when
/// nothing could be run.
pub(super) fn run(
    args: &RadiomicsArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<i32, Error> {
    let fail = |err: &mut dyn Write, e: RadiomicsError| {
        let _ = writeln!(err, "error[{}]: {e}", e.code());
        Ok(2)
    };
    let params = match &args.params {
        Some(p) => match read_params(p) {
            Ok(p) => p,
            Err(e) => return fail(err, e),
        },
        None => Params::default(),
    };
    let mut cases = match cases_of(args) {
        Ok(c) => c,
        Err(e) => return fail(err, e),
    };
    if let Some(label) = args.label {
        for case in &mut cases {
            case.label = Some(label);
        }
    }
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let stop = AtomicBool::new(false);
    let message = format!("radiomics: {} case(s)", cases.len());
    let results =
        crate::progress::while_running(true, &message, || run_cases(&cases, &params, jobs, &stop));
    write_csv(&cases, &results, out, err)
}

/// The cases of the command line: one image and mask, or a batch file's.
fn cases_of(args: &RadiomicsArgs) -> Result<Vec<Case>, RadiomicsError> {
    Ok(match args.inputs.as_slice() {
        [batch] => read_batch(batch)?,
        [image, mask] => {
            let absolute = |p: &std::path::Path| std::path::absolute(p).unwrap_or(p.to_path_buf());
            vec![Case {
                image: image.clone(),
                mask: mask.clone(),
                label: None,
                cells: vec![
                    ("Image".into(), absolute(image).display().to_string()),
                    ("Mask".into(), absolute(mask).display().to_string()),
                ],
                place: image.display().to_string(),
            }]
        }
        _ => unreachable!("clap takes one or two inputs"),
    })
}

/// PyRadiomics' CSV of the cases' results on `out`, each failure named on `err`; the exit code.
fn write_csv(
    cases: &[Case],
    results: &[Option<Result<Computed, RadiomicsError>>],
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<i32, Error> {
    // The header: the first computed case's columns (as PyRadiomics writes its first row's).
    let first = results.iter().flatten().find_map(|r| r.as_ref().ok());
    let mut header: Vec<String> = cases
        .first()
        .map(|c| c.cells.iter().map(|(k, _)| k.clone()).collect())
        .unwrap_or_default();
    if let Some(first) = first {
        header.extend(first.diagnostics.iter().map(|(k, _)| k.clone()));
        header.extend(first.features.iter().map(|(k, _)| k.clone()));
    }
    let mut writer = csv::WriterBuilder::new().from_writer(Vec::new());
    let _ = writer.write_record(&header);
    let mut failed = 0;
    for (case, result) in cases.iter().zip(results) {
        let mut row: Vec<String> = vec![String::new(); header.len()];
        let mut put = |name: &str, value: String| {
            if let Some(k) = header.iter().position(|h| h == name) {
                row[k] = value;
            }
        };
        for (k, v) in &case.cells {
            put(k, v.clone());
        }
        match result {
            Some(Ok(computed)) => {
                for (k, v) in &computed.diagnostics {
                    put(k, v.clone());
                }
                for (k, v) in &computed.features {
                    put(k, python_float(*v));
                }
                for w in &computed.warnings {
                    let _ = writeln!(err, "warning: {}: {w}", case.place);
                }
            }
            Some(Err(e)) => {
                failed += 1;
                let _ = writeln!(err, "error[{}]: {}: {e}", e.code(), case.place);
            }
            None => {}
        }
        let _ = writer.write_record(&row);
    }
    let bytes = writer.into_inner().unwrap_or_default();
    let _ = out.write_all(&bytes);
    Ok(if failed > 0 { 1 } else { 0 })
}

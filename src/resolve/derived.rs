//! Bases that are relations of their own columns: an analysis's result (`FROM (CORRELATE …)`),
//! a registered frame and a file read in place (`FROM 'f.parquet'`); how each is made and how
//! a column name finds its column.

use super::bound::{AnalysisBase, BExpr, DerivedBase, DerivedSource, FileFormat, Type};
use super::error::ResolveError;
use crate::storage::closest;
use crate::syntax::{Ident, StringLit};

/// A column of a derived base (a subquery, a `WITH` query, a frame, a file): `Some` when the
/// relation has it (and the name is not qualified with another); `None` when the name is left
/// to the stored tables, joined on the relation's `subject_id`; an error when it is qualified
/// with the relation's name, or the relation has no `subject_id` to join on.
pub(super) fn derived_column(
    derived: &DerivedBase,
    table: Option<&Ident>,
    name: &Ident,
) -> Result<Option<BExpr>, ResolveError> {
    let mine = table.is_none_or(|t| t.name.eq_ignore_ascii_case(&derived.name));
    let found = derived.columns.iter().find(|(n, _)| {
        if name.quoted {
            *n == name.name
        } else {
            n.eq_ignore_ascii_case(&name.name)
        }
    });
    if mine && let Some((column, ty)) = found {
        return Ok(Some(BExpr::Column {
            relation: derived.name.clone(),
            column: column.clone(),
            ty: *ty,
        }));
    }
    // Otherwise a stored table's column, joined on the relation's subject_id; a
    // relation without one has only its own columns.
    if (mine && table.is_some()) || !derived.has_subjects() {
        let names: Vec<&str> = derived.columns.iter().map(|(n, _)| n.as_str()).collect();
        return Err(ResolveError::UnknownColumn {
            name: name.name.clone(),
            table: Some(derived.name.clone()),
            candidates: closest(&name.name.to_ascii_lowercase(), names.into_iter()),
            span: name.span,
        });
    }
    Ok(None)
}

/// A column of an analysis result (`FROM (CORRELATE …)`): only its own columns exist.
pub(super) fn analysis_column(
    analysis: &AnalysisBase,
    table: Option<&Ident>,
    name: &Ident,
) -> Result<BExpr, ResolveError> {
    let names = || {
        analysis
            .schema
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect::<Vec<_>>()
    };
    if let Some(t) = table
        && !t.name.eq_ignore_ascii_case(analysis.name)
    {
        return Err(ResolveError::UnknownColumn {
            name: format!("{}.{}", t.name, name.name),
            table: Some(analysis.name.to_string()),
            candidates: names(),
            span: t.span.to(name.span),
        });
    }
    let field = analysis.schema.fields().iter().find(|f| {
        if name.quoted {
            f.name() == &name.name
        } else {
            f.name().eq_ignore_ascii_case(&name.name)
        }
    });
    match field {
        Some(f) => Ok(BExpr::Column {
            relation: analysis.name.to_string(),
            column: f.name().clone(),
            ty: arrow_type(f.data_type()),
        }),
        None => Err(ResolveError::UnknownColumn {
            name: name.name.clone(),
            table: Some(analysis.name.to_string()),
            candidates: closest(
                &name.name.to_ascii_lowercase(),
                names().iter().map(String::as_str),
            ),
            span: name.span,
        }),
    }
}

/// The language type of an Arrow column (an analysis's result, a file's column).
pub fn arrow_type(ty: &datafusion::arrow::datatypes::DataType) -> Type {
    use datafusion::arrow::datatypes::DataType;
    match ty {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Type::Text,
        DataType::Boolean => Type::Boolean,
        DataType::Float16 | DataType::Float32 | DataType::Float64 => Type::Float,
        DataType::Date32 => Type::Date,
        DataType::Timestamp(..) => Type::Timestamp,
        t if t.is_integer() => Type::Integer,
        _ => Type::Unknown,
    }
}

/// `FROM name` of a registered frame: its columns, typed as Arrow types map to the language's.
pub(super) fn frame_base(
    name: &str,
    batches: &[datafusion::arrow::record_batch::RecordBatch],
) -> DerivedBase {
    let columns = batches.first().map_or_else(Vec::new, |b| {
        b.schema()
            .fields()
            .iter()
            .map(|f| (f.name().clone(), arrow_type(f.data_type())))
            .collect()
    });
    DerivedBase {
        name: name.to_ascii_lowercase(),
        columns,
        source: DerivedSource::Frame(batches.to_vec()),
    }
}

/// `FROM 'file'`: a Parquet file, or a CSV or TSV file with a header row, read in place; its
/// columns come from the file (Parquet's schema; for text, the types arrow infers from the
/// first 1,000 rows). The relation is named by the alias or the file's name.
pub(super) fn file_base(
    path: &StringLit,
    alias: Option<&Ident>,
) -> Result<DerivedBase, ResolveError> {
    let unreadable = |message: String| ResolveError::UnreadableFile {
        path: path.value.clone(),
        message,
        span: path.span,
    };
    let file = std::path::Path::new(&path.value);
    let extension = file
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let format = match extension.as_str() {
        "parquet" | "pq" => FileFormat::Parquet,
        "csv" => FileFormat::Csv { delimiter: b',' },
        "tsv" | "tab" => FileFormat::Csv { delimiter: b'\t' },
        _ => {
            return Err(unreadable(
                "FROM reads .parquet, .csv and .tsv files (IMPORT reads the other formats)".into(),
            ));
        }
    };
    let opened = std::fs::File::open(file).map_err(|e| unreadable(e.to_string()))?;
    let schema = match format {
        FileFormat::Parquet => {
            datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
                opened,
            )
            .map(|b| b.schema().clone())
            .map_err(|e| unreadable(e.to_string()))?
        }
        FileFormat::Csv { delimiter } => {
            let (schema, _) = datafusion::arrow::csv::reader::Format::default()
                .with_header(true)
                .with_delimiter(delimiter)
                .infer_schema(std::io::BufReader::new(opened), Some(1_000))
                .map_err(|e| unreadable(e.to_string()))?;
            std::sync::Arc::new(schema)
        }
    };
    let name = match alias {
        Some(a) => a.name.to_ascii_lowercase(),
        None => file
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("file")
            .to_ascii_lowercase(),
    };
    Ok(DerivedBase {
        name,
        columns: schema
            .fields()
            .iter()
            .map(|f| (f.name().clone(), arrow_type(f.data_type())))
            .collect(),
        source: DerivedSource::File {
            path: path.value.clone(),
            format,
            schema,
        },
    })
}

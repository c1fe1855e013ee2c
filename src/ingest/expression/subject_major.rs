//! Subjects-by-genes matrices: which columns are genes (from a sample of lines), then each
//! line parsed straight into a row-major chunk that goes to the writer thread every
//! [`SUBJECT_MAJOR_CHUNK`] lines.

use std::collections::HashMap;
use std::sync::mpsc::{SyncSender, sync_channel};

use arrow::array::ArrayRef;
use csv::ByteRecord;

use super::chunks::{Job, RowChunk, unreachable_kind, write_jobs};
use super::records::{Records, text};
use super::{Kind, Matrix, SUBJECT_MAJOR_CHUNK};
use crate::ingest::IngestError;
use crate::ingest::infer::{TypedColumn, build_as, infer, parse_float};
use crate::ingest::names::snake_case;
use crate::ingest::stream::Stream;
use crate::ingest::subjects::check_subject_id;
use crate::storage::{ColumnRole, ColumnType, Level, NewColumn, TableWriter, WriteTxn};

/// Lines read to decide which columns of a subject-major file are genes.
const KIND_SAMPLE: usize = 256;

impl Matrix {
    /// Streams a subjects-by-genes matrix: each line is parsed straight into per-column
    /// buffers, and every [`SUBJECT_MAJOR_CHUNK`] lines the buffers go to the writer thread.
    pub(super) fn subjects_by_genes(
        &mut self,
        txn: &mut WriteTxn<'_>,
        stream: &Stream,
        records: &mut Records,
        header: &[String],
    ) -> Result<(TableWriter, u64), IngestError> {
        let sample = records.peek(stream, KIND_SAMPLE)?;
        if sample.is_empty() {
            return Err(IngestError::NoRows {
                file: self.file.clone(),
            });
        }
        let kinds = self.column_kinds(header, &sample);
        drop(sample);
        let mut writer = txn.table(&self.options.table, Level::Subject, "expression")?;
        self.properties(&mut writer, "subjects-by-genes");
        writer.set_chunk_rows(SUBJECT_MAJOR_CHUNK as u32)?;
        let mut declared = Vec::new();
        let mut kept = Vec::new();
        for (i, kind) in kinds.iter().enumerate().skip(1) {
            let column = match kind {
                Kind::Gene => {
                    let Some(name) = self.gene_name(&header[i], 1)? else {
                        continue;
                    };
                    self.genes += 1;
                    (self.gene_column(name), ColumnType::Float64)
                }
                Kind::Metadata(ty) => (
                    NewColumn {
                        name: snake_case(&header[i]),
                        label: header[i].clone(),
                        unit: None,
                        description: Some("sample metadata from the matrix file".into()),
                    },
                    *ty,
                ),
            };
            declared.push(column);
            kept.push((i, kinds[i]));
        }
        writer.begin_rows(&header[0], declared)?;
        // Ordinal k + 1 is the k-th kept column.
        writer.set_roles(|c| match kept[c.ordinal as usize - 1].1 {
            Kind::Metadata(_) => ColumnRole::Metadata,
            Kind::Gene => ColumnRole::Measurement,
        });
        let (sender, jobs) = sync_channel::<Job>(1);
        let fields = header.len();
        let writer = std::thread::scope(|scope| {
            let handle = scope.spawn(move || write_jobs(writer, jobs));
            let parsed = self.parse_subject_lines(txn, stream, records, fields, &kept, &sender);
            drop(sender);
            let written = handle.join().map_err(|_| {
                crate::storage::StorageError::Internal("writer thread panicked".into())
            });
            let rows = parsed?;
            Ok::<_, IngestError>((written??, rows))
        })?;
        self.report_repeats();
        Ok(writer)
    }

    /// Reads subject lines into column buffers, sending a chunk whenever one is full.
    fn parse_subject_lines(
        &mut self,
        txn: &mut WriteTxn<'_>,
        stream: &Stream,
        records: &mut Records,
        fields: usize,
        kept: &[(usize, Kind)],
        sender: &SyncSender<Job>,
    ) -> Result<u64, IngestError> {
        let mut chunk = RowChunk::new(kept);
        let mut seen: HashMap<u32, u64> = HashMap::new();
        let mut rows = 0u64;
        while let Some((line, record)) = records.next(stream)? {
            if record.len() != fields {
                return Err(IngestError::RaggedRow {
                    file: self.file.clone(),
                    line,
                    expected: fields,
                    found: record.len(),
                });
            }
            let id = self.row_subject(txn, line, &record, &mut seen)?;
            chunk.ids.push(id);
            let mut texts = chunk.texts.iter_mut();
            for (i, kind) in kept {
                match kind {
                    Kind::Gene => chunk.genes.push(self.number(line, *i, &record[*i])?),
                    Kind::Metadata(_) => {
                        let Some((cells, lines)) = texts.next() else {
                            return unreachable_kind();
                        };
                        cells.push(
                            text(&self.file, line, *i, &record[*i])?
                                .trim_matches('"')
                                .to_string(),
                        );
                        lines.push(line);
                    }
                }
            }
            rows += 1;
            if chunk.ids.len() == SUBJECT_MAJOR_CHUNK {
                let full = std::mem::replace(&mut chunk, RowChunk::new(kept));
                if sender.send(self.chunk_job(full, kept)?).is_err() {
                    return Ok(rows);
                }
            }
        }
        if rows == 0 {
            return Err(IngestError::NoRows {
                file: self.file.clone(),
            });
        }
        if !chunk.ids.is_empty() {
            let _ = sender.send(self.chunk_job(chunk, kept)?);
        }
        Ok(rows)
    }

    fn row_subject(
        &self,
        txn: &mut WriteTxn<'_>,
        line: u64,
        record: &ByteRecord,
        seen: &mut HashMap<u32, u64>,
    ) -> Result<u32, IngestError> {
        let name = text(&self.file, line, 0, &record[0])?
            .trim_matches('"')
            .to_string();
        if name.is_empty() {
            return Err(IngestError::EmptySubject {
                file: self.file.clone(),
                line,
                column: "subject".into(),
            });
        }
        check_subject_id(&name, || format!("{}:{line}", self.file))?;
        let id = match txn.resolve_subject(&name)? {
            Some(id) => id,
            None => txn.register_subject(&name),
        };
        if let Some(first) = seen.insert(id, line) {
            return Err(IngestError::DuplicateSubject {
                file: self.file.clone(),
                subject: name,
                first_line: first,
                line,
            });
        }
        Ok(id)
    }

    /// Gene or metadata, per column, decided from the first lines.
    fn column_kinds(&self, header: &[String], sample: &[ByteRecord]) -> Vec<Kind> {
        let counts = self
            .options
            .unit
            .as_deref()
            .is_some_and(|u| u.eq_ignore_ascii_case("counts"));
        (0..header.len())
            .map(|i| {
                let cells: Vec<String> = sample
                    .iter()
                    .filter_map(|r| r.get(i))
                    .map(|c| {
                        String::from_utf8_lossy(c)
                            .trim()
                            .trim_matches('"')
                            .to_string()
                    })
                    .collect();
                let present: Vec<&str> = cells
                    .iter()
                    .map(String::as_str)
                    .filter(|c| !self.options.null_tokens.is_null(c))
                    .collect();
                let numeric =
                    !present.is_empty() && present.iter().all(|c| parse_float(c).is_some());
                let flag = present.iter().all(|c| *c == "0" || *c == "1");
                if i > 0 && numeric && (counts || !flag) {
                    Kind::Gene
                } else {
                    let typed = infer(cells.iter().map(String::as_str), &self.options.null_tokens);
                    let ty = match typed.ty {
                        ColumnType::Int64 if flag => ColumnType::Boolean,
                        ty => ty,
                    };
                    Kind::Metadata(ty)
                }
            })
            .collect()
    }

    /// Turns a full chunk of buffers into the writer's job.
    fn chunk_job(&self, chunk: RowChunk, kept: &[(usize, Kind)]) -> Result<Job, IngestError> {
        let mut metadata = Vec::with_capacity(chunk.texts.len());
        let mut texts = chunk.texts.into_iter();
        for (slot, (i, kind)) in kept.iter().enumerate() {
            if let Kind::Metadata(ty) = kind {
                let Some((cells, lines)) = texts.next() else {
                    return unreachable_kind();
                };
                metadata.push((slot, self.metadata_array(&cells, &lines, *i, *ty)?.array));
            }
        }
        let slots = chunk.genes.slots.clone();
        let mut arrays: Vec<Option<ArrayRef>> = vec![None; kept.len()];
        for (slot, array) in slots.into_iter().zip(chunk.genes.columns()) {
            arrays[slot] = Some(array);
        }
        for (slot, array) in metadata {
            arrays[slot] = Some(array);
        }
        let arrays = arrays
            .into_iter()
            .collect::<Option<Vec<_>>>()
            .map_or_else(unreachable_kind, Ok)?;
        Ok(Job::Rows(chunk.ids, arrays))
    }

    fn metadata_array(
        &self,
        cells: &[String],
        lines: &[u64],
        i: usize,
        ty: ColumnType,
    ) -> Result<TypedColumn, IngestError> {
        // 0/1 flags (such as Recurrence) are stored as booleans.
        let flag = |c: &str| match (ty, c) {
            (ColumnType::Boolean, "0") => "false".to_string(),
            (ColumnType::Boolean, "1") => "true".to_string(),
            (_, c) => c.to_string(),
        };
        let cells: Vec<String> = cells.iter().map(|c| flag(c)).collect();
        build_as(
            ty,
            cells.iter().map(String::as_str),
            &self.options.null_tokens,
        )
        .map_err(|bad| IngestError::NotNumeric {
            file: self.file.clone(),
            line: lines[bad],
            column: i + 1,
            value: cells[bad].chars().take(40).collect(),
        })
    }
}

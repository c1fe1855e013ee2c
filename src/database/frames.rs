//! Frames a caller registers for its session ([`Database::register`]): held in memory, read
//! like files, never stored.

use std::sync::Arc;

use arrow::record_batch::RecordBatch;

use super::Database;
use crate::error::Result;

impl Database {
    /// Makes `batches` (a caller's frame: a pandas, polars or Arrow table) queryable by
    /// `name` for this session, as a source like a file read in place: `FROM name`, and with
    /// a `subject_id` column its rows join the stored tables. Nothing is written; the frame is
    /// held in memory until [`Database::unregister`] or the database is dropped. A name that
    /// is a table, a cohort or `subjects` is refused (E0214); registering a name again
    /// replaces its frame.
    pub fn register(
        &self,
        name: &str,
        schema: datafusion::arrow::datatypes::SchemaRef,
        batches: Vec<RecordBatch>,
    ) -> Result<()> {
        let folded = name.to_ascii_lowercase();
        let taken = |kind: &str| -> crate::Error {
            crate::resolve::ResolveError::NameTaken {
                name: folded.clone(),
                kind: kind.into(),
                hint: "register the frame under another name".into(),
                span: crate::syntax::Span::new(0, 0),
            }
            .into()
        };
        let snapshot = self.snapshot();
        if folded == "subjects" || crate::storage::RESERVED_TABLE_NAMES.contains(&folded.as_str()) {
            return Err(taken("built-in"));
        }
        if snapshot.find_table(&folded)?.is_some() {
            return Err(taken("table"));
        }
        if snapshot.find_cohort(&folded)?.is_some() {
            return Err(taken("cohort"));
        }
        if folded.is_empty()
            || !folded
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(crate::resolve::ResolveError::InvalidArgument {
                message: format!(
                    "`{name}` cannot name a frame: use letters, digits and _ (it is written bare in FROM)"
                ),
                span: crate::syntax::Span::new(0, 0),
            }
            .into());
        }
        // An empty frame keeps its columns in one empty batch.
        let batches = if batches.is_empty() {
            vec![RecordBatch::new_empty(schema)]
        } else {
            batches
        };
        let mut frames = self.frames.write().unwrap_or_else(|p| p.into_inner());
        let mut next = (**frames).clone();
        next.insert(folded, batches);
        *frames = Arc::new(next);
        Ok(())
    }

    /// Forgets a frame registered with [`Database::register`]; whether there was one.
    pub fn unregister(&self, name: &str) -> bool {
        let mut frames = self.frames.write().unwrap_or_else(|p| p.into_inner());
        let mut next = (**frames).clone();
        let had = next.remove(&name.to_ascii_lowercase()).is_some();
        *frames = Arc::new(next);
        had
    }

    /// The names of the registered frames.
    pub fn registered(&self) -> Vec<String> {
        let frames = self.frames.read().unwrap_or_else(|p| p.into_inner());
        frames.keys().cloned().collect()
    }

    /// The frames registered now, as resolving a statement sees them.
    pub(super) fn frames(&self) -> Arc<crate::resolve::Frames> {
        self.frames
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

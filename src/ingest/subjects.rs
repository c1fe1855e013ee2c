//! The bound on a subject ID, which every importer checks before it registers one.

use super::IngestError;

/// The longest subject ID, in bytes. TCIA IDs are about 10 characters, GEO accessions 10,
/// DICOM's PatientID at most 64; a longer "ID" is a damaged or misread file.
pub const MAX_SUBJECT_ID_BYTES: usize = 256;

/// Refuses a subject ID longer than [`MAX_SUBJECT_ID_BYTES`]; `place` says where it was read
/// (`file:line`, or the file).
pub fn check_subject_id(id: &str, place: impl FnOnce() -> String) -> Result<(), IngestError> {
    if id.len() <= MAX_SUBJECT_ID_BYTES {
        return Ok(());
    }
    Err(IngestError::SubjectIdTooLong {
        place: place(),
        length: id.len(),
        limit: MAX_SUBJECT_ID_BYTES,
        prefix: crate::storage::shorten(id),
    })
}

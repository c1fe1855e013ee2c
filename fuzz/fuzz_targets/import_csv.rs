//! The delimited-file importer (CSV/TSV, type inference, subjects).
#![no_main]

mod import_common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    import_common::import(
        data,
        "csv",
        "IMPORT TABLE fuzzed FROM '{path}' SUBJECT COLUMN 'Patient ID'",
    );
});

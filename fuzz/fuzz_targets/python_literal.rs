//! The Python-literal reader behind PyRadiomics `diagnostics_*` cells: it evaluates nothing,
//! and any text is read or refused.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = rgdb::ingest::parse_python_literal(text);
    }
});

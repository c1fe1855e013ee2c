//! The AIM importer (XML: quick-xml with entities and DOCTYPEs refused).
#![no_main]

mod import_common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    import_common::import(data, "xml", "IMPORT AIM FROM '{path}' AS fuzzed_aim");
});

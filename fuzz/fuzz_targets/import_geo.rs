//! The GEO series-matrix importer (metadata lines, the sample table, the probe matrix).
#![no_main]

mod import_common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    import_common::import(data, "txt", "IMPORT GEO FROM '{path}' AS fuzzed_geo");
});

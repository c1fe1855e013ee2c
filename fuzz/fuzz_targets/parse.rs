//! The statement parser: any text parses or is refused, and what parses prints back to text
//! that parses to the same tree.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(statements) = rgdb::syntax::parse_statements(text) {
        for statement in statements {
            let printed = statement.to_string();
            let again = rgdb::syntax::parse_statement(&printed)
                .unwrap_or_else(|e| panic!("printed text does not parse: {printed}: {e}"));
            assert_eq!(again, statement, "{printed}");
        }
    }
});

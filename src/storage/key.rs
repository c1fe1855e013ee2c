//! Every key of the store is built and parsed here, and only here: pure functions, no I/O.
//!
//! Integers are big-endian so that byte order is numeric order, which is what makes
//! "latest entry at or before version v" a single reverse range read. The layout is
//! specified in `docs/storage-format.md`; change the two together.

/// `format` → the format version (u32, big-endian).
pub const FORMAT: &[u8] = b"format";

/// `vacuum` → the last `VacuumRecord` (JSON): versions below its `oldest` were compacted.
pub const VACUUM: &[u8] = b"vacuum";

const VERSION: &[u8] = b"v\0";
const TABLE: &[u8] = b"t\0";
const SUBJECT_BY_NAME: &[u8] = b"s\0";
const SUBJECT_BY_ID: &[u8] = b"i\0";
const COLUMN: &[u8] = b"c\0";
const COLUMN_NAME: &[u8] = b"n\0";
const COHORT: &[u8] = b"k\0";
const ALIAS: &[u8] = b"a\0";
const SUBJECT_BLOCK: &[u8] = b"l\0";

/// Subject IDs per registry block (`l\0` keys).
pub const SUBJECT_BLOCK_SIZE: u32 = 4_096;

fn join(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// `v\0 <version u64>` → the version record.
pub fn version(v: u64) -> Vec<u8> {
    join(&[VERSION, &v.to_be_bytes()])
}

/// The prefix of every version record.
pub fn version_prefix() -> Vec<u8> {
    VERSION.to_vec()
}

/// Reads the version number back out of a version key.
pub fn parse_version(key: &[u8]) -> Option<u64> {
    let rest = key.strip_prefix(VERSION)?;
    Some(u64::from_be_bytes(rest.try_into().ok()?))
}

/// `t\0 <name> \0 <version u64>` → the table entry written at that version.
pub fn table(name: &str, v: u64) -> Vec<u8> {
    join(&[TABLE, name.as_bytes(), b"\0", &v.to_be_bytes()])
}

/// The prefix of every entry of one table, across versions.
pub fn table_prefix(name: &str) -> Vec<u8> {
    join(&[TABLE, name.as_bytes(), b"\0"])
}

/// The prefix of every table entry.
pub fn tables_prefix() -> Vec<u8> {
    TABLE.to_vec()
}

/// Splits a table key into its name and version.
pub fn parse_table(key: &[u8]) -> Option<(&str, u64)> {
    let rest = key.strip_prefix(TABLE)?;
    let (name, v) = rest.split_at(rest.len().checked_sub(9)?);
    let v = v.strip_prefix(b"\0")?;
    Some((
        std::str::from_utf8(name).ok()?,
        u64::from_be_bytes(v.try_into().ok()?),
    ))
}

/// `k\0 <name> \0 <version u64>` → the cohort entry written at that version.
pub fn cohort(name: &str, v: u64) -> Vec<u8> {
    join(&[COHORT, name.as_bytes(), b"\0", &v.to_be_bytes()])
}

/// The prefix of every cohort entry.
pub fn cohorts_prefix() -> Vec<u8> {
    COHORT.to_vec()
}

/// Splits a cohort key into its name and version.
pub fn parse_cohort(key: &[u8]) -> Option<(&str, u64)> {
    let rest = key.strip_prefix(COHORT)?;
    let (name, v) = rest.split_at(rest.len().checked_sub(9)?);
    let v = v.strip_prefix(b"\0")?;
    Some((
        std::str::from_utf8(name).ok()?,
        u64::from_be_bytes(v.try_into().ok()?),
    ))
}

/// `a\0 <alias>` → the subject ID it names (UTF-8).
pub fn alias(name: &str) -> Vec<u8> {
    join(&[ALIAS, name.as_bytes()])
}

/// The prefix of every alias.
pub fn aliases_prefix() -> Vec<u8> {
    ALIAS.to_vec()
}

/// `s\0 <subject id>` → dense id (u32).
pub fn subject_by_name(name: &str) -> Vec<u8> {
    join(&[SUBJECT_BY_NAME, name.as_bytes()])
}

/// `i\0 <dense id u32>` → subject id text.
pub fn subject_by_id(id: u32) -> Vec<u8> {
    join(&[SUBJECT_BY_ID, &id.to_be_bytes()])
}

/// The prefix of the id → name half of the registry.
pub fn subjects_by_id_prefix() -> Vec<u8> {
    SUBJECT_BY_ID.to_vec()
}

/// `l\0 <block u32>` → the subject IDs with dense ids `block × 4,096 ..`, each as a u32
/// little-endian length and its UTF-8 bytes: the registry in a few reads at open.
pub fn subject_block(block: u32) -> Vec<u8> {
    join(&[SUBJECT_BLOCK, &block.to_be_bytes()])
}

/// Reads the dense id back out of a `subject_by_id` key.
pub fn parse_subject_id(key: &[u8]) -> Option<u32> {
    let rest = key.strip_prefix(SUBJECT_BY_ID)?;
    Some(u32::from_be_bytes(rest.try_into().ok()?))
}

/// `c\0 <data id u64> <ordinal u32>` → column metadata.
pub fn column(data_id: u64, ordinal: u32) -> Vec<u8> {
    join(&[COLUMN, &data_id.to_be_bytes(), &ordinal.to_be_bytes()])
}

/// The prefix of every column of one table generation.
pub fn columns_prefix(data_id: u64) -> Vec<u8> {
    join(&[COLUMN, &data_id.to_be_bytes()])
}

/// `n\0 <data id u64> <lower-cased name or label>` → the ordinals it names.
pub fn column_name(data_id: u64, folded_name: &str) -> Vec<u8> {
    join(&[COLUMN_NAME, &data_id.to_be_bytes(), folded_name.as_bytes()])
}

/// The prefix of one table generation's name index.
pub fn column_names_prefix(data_id: u64) -> Vec<u8> {
    join(&[COLUMN_NAME, &data_id.to_be_bytes()])
}

/// The key ranges of the column records and name indexes of data ids `from..to` (`to`
/// excluded; `u64::MAX` for every data id from `from` on).
pub fn column_record_ranges(from: u64, to: u64) -> [(Vec<u8>, Vec<u8>); 2] {
    let upper = |prefix: &[u8]| match to {
        u64::MAX => join(&[&prefix[..prefix.len() - 1], &[prefix[prefix.len() - 1] + 1]]),
        to => join(&[prefix, &to.to_be_bytes()]),
    };
    [
        (columns_prefix(from), upper(COLUMN)),
        (column_names_prefix(from), upper(COLUMN_NAME)),
    ]
}

/// Data space: `<data id u64> <ordinal u32> <chunk u32>` → one encoded chunk.
pub fn chunk(data_id: u64, ordinal: u32, chunk: u32) -> Vec<u8> {
    join(&[
        &data_id.to_be_bytes(),
        &ordinal.to_be_bytes(),
        &chunk.to_be_bytes(),
    ])
}

/// The first key of a data id's chunks; every chunk of data ids `>= data_id` sorts after it.
pub fn chunks_from(data_id: u64) -> Vec<u8> {
    data_id.to_be_bytes().to_vec()
}

/// Splits a chunk key into (data id, ordinal, chunk number).
pub fn parse_chunk(key: &[u8]) -> Option<(u64, u32, u32)> {
    if key.len() != 16 {
        return None;
    }
    Some((
        u64::from_be_bytes(key[0..8].try_into().ok()?),
        u32::from_be_bytes(key[8..12].try_into().ok()?),
        u32::from_be_bytes(key[12..16].try_into().ok()?),
    ))
}

/// Packs ordinals as consecutive big-endian u32s (the value of a name-index entry).
pub fn pack_ordinals(ordinals: &[u32]) -> Vec<u8> {
    ordinals.iter().flat_map(|o| o.to_be_bytes()).collect()
}

/// The inverse of [`pack_ordinals`].
pub fn unpack_ordinals(bytes: &[u8]) -> Vec<u32> {
    bytes
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_record_ranges_hold_exactly_their_data_ids() {
        let inside =
            |k: &[u8], (lo, hi): &(Vec<u8>, Vec<u8>)| lo.as_slice() <= k && k < hi.as_slice();
        let [records, names] = column_record_ranges(7, 9);
        assert!(inside(&column(7, 0), &records) && inside(&column(8, u32::MAX), &records));
        assert!(!inside(&column(6, u32::MAX), &records) && !inside(&column(9, 0), &records));
        assert!(inside(&column_name(8, "egfr"), &names));
        assert!(!inside(&column_name(9, ""), &names) && !inside(&column(8, 0), &names));
        let [records, names] = column_record_ranges(7, u64::MAX);
        assert!(inside(&column(u64::MAX, u32::MAX), &records));
        assert!(inside(&column_name(u64::MAX, "zzz"), &names));
        assert!(!inside(&column_name(7, "a"), &records) && !inside(&table("x", 1), &names));
    }

    #[test]
    fn keys_round_trip() {
        assert_eq!(parse_version(&version(42)), Some(42));
        assert_eq!(parse_table(&table("clinical", 7)), Some(("clinical", 7)));
        assert_eq!(parse_cohort(&cohort("adeno", 3)), Some(("adeno", 3)));
        assert_eq!(parse_subject_id(&subject_by_id(9)), Some(9));
        assert_eq!(parse_chunk(&chunk(3, 2, 1)), Some((3, 2, 1)));
        assert_eq!(unpack_ordinals(&pack_ordinals(&[1, 70000])), vec![1, 70000]);
    }

    #[test]
    fn versions_sort_numerically() {
        assert!(version(255) < version(256));
        assert!(table("t", 9) < table("t", 10));
        assert!(chunk(1, u32::MAX, u32::MAX) < chunks_from(2));
    }
}

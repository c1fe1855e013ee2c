//! rgdb's integration tests, built as one binary (link time on two cores is real money).

mod aim;
mod bad_inputs;
mod cli;
mod clinical;
mod common;
mod concurrency;
mod crash;
mod dicom;
mod docs;
mod export;
mod expression;
mod fuzz_regressions;
mod integrity;
mod language;
mod limits;
mod properties;
mod provider;
mod radiomics;
mod refused;
mod repl;
mod slt;
mod snapshots;
mod stats;
mod storage;
mod syntax;
mod versions;

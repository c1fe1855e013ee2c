//! stats: the statistics radiogenomics runs every day, as plain functions over columns.
//!
//! So far: Kaplan–Meier curves with Greenwood errors and log-log intervals, and the log-rank
//! test (`survival.rs`); the Cox model with Efron ties (`cox.rs`); Pearson and Spearman on
//! pairwise-complete rows with BH, BY and Bonferroni adjustment (`correlate.rs`); on the
//! distribution functions of `dist.rs`. Checked against lifelines
//! (which equals R `survival` here) by `tests/integration/stats.rs` with the values of
//! `tests/reference/survival/`. The `SURVIVAL`, `COX` and `CORRELATE` statements of issue 8
//! will compile to plans that call these.

pub mod correlate;
pub mod cox;
pub mod dist;
pub mod survival;

pub use cox::{CoxError, CoxFit};
pub use survival::{KaplanMeier, KmRow, LogRank, NoTest, Observation};

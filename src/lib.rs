//! logveil turns directories of access logs into aggregate statistics in
//! Parquet without letting a raw identifier out of the process.
//!
//! The crate is a pipeline whose folders follow the data flow:
//!
//! ```text
//! input ──▶ formats ──▶ privacy ──▶ aggregate ──▶ disclosure ──▶ output
//! (files,    (RawRecord,  (VeiledRecord:  (mergeable     (every row     (Parquet tables,
//!  chunks)    borrowed)    pseudonyms)     accumulators)  >= k people)   manifest)
//! ```
//!
//! Disclosure control lives in [`privacy::disclosure`]: it is a privacy
//! rule, and every table goes through it.
//!
//! [`pipeline::run`] wires the stages together and owns the threading. The
//! privacy boundary is a type: aggregators accept only
//! [`privacy::VeiledRecord`], which has no field able to hold a raw
//! identifier. `ARCHITECTURE.md` in the repository describes the seams.
//!
//! Types that will grow are `#[non_exhaustive]`, so that a new field,
//! reason or error is not a breaking change: the manifest and run reports,
//! rejection and skip reasons, errors, the policy sections and the run
//! configuration. Build those from `new` or `Default` and set fields;
//! match their enums with a wildcard arm. Types that tests and fuzz targets
//! build field by field ([`formats::RawRecord`], [`privacy::VeilConfig`],
//! [`formats::zoom::ZoomOptions`]) stay exhaustive.

pub mod aggregate;
pub mod audit;
pub mod error;
pub mod formats;
pub mod input;
pub mod output;
pub mod pipeline;
pub mod privacy;
pub mod report;
pub mod state;
pub mod time;

pub use error::Error;
pub use pipeline::{Completion, RunConfig, RunReport, run};

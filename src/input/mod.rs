//! Input: finding log files and reading them as newline-aligned chunks.
//!
//! [`discover()`] turns the paths a user gave into a sorted list of
//! [`Source`]s; [`read`] plans each plain file as newline-aligned ranges
//! read with positioned reads, or opens it as a decompressing (gzip, zstd,
//! bzip2) or unwrapping (lone CRs, Docker json-file) stream cut into
//! chunks of a few MiB that end on a line boundary, the unit of parallel
//! work. Lines past a length limit are never held, only counted.

pub mod discover;
pub mod read;

pub use discover::{Compression, Discovery, Source, discover};

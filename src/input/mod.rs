//! Input: finding log files and reading them as newline-aligned chunks.
//!
//! [`discover()`] turns the paths a user gave into a sorted list of
//! [`Source`]s; [`read`] opens each as a memory map (plain files) or a
//! decompressing stream (gzip, zstd) and cuts it into chunks of a few MiB
//! that end on a line boundary, the unit of parallel work.

pub mod discover;
pub mod read;

pub use discover::{Compression, Discovery, Source, discover};

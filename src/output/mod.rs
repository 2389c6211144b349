//! Output: table schemas, Parquet files, the run manifest, and how they
//! are published.
//!
//! [`schema`] declares every table once (names, types, docs); aggregators
//! fill a [`table::Table`] in that shape; a [`sink::Sink`] stores tables
//! and the [`manifest`] (which records what the run read and wrote); the
//! one sink today, [`sink::ParquetDir`], writes [`parquet`] files into a
//! staging directory that [`commit`] swaps in all-or-nothing. Nothing here
//! ever sees a raw record.

pub mod commit;
pub mod hive;
pub mod manifest;
pub mod parquet;
pub mod schema;
pub mod sink;
pub mod table;

//! Output: table schemas, Parquet files and the run manifest.
//!
//! [`schema`] declares every table once (names, types, docs); aggregators
//! fill a [`table::Table`] in that shape; [`parquet`] writes it atomically;
//! [`manifest`] records what the run read and wrote, and is written last.
//! Nothing here ever sees a raw record.

pub mod manifest;
pub mod parquet;
pub mod schema;
pub mod table;

//! Mergeable accumulators, one family per source.
//!
//! Each worker folds the records of one chunk into a [`web::WebAggregate`]
//! that borrows strings from the chunk; at the end of the chunk it is made
//! owned and merged into the worker's running total, and totals are merged
//! pairwise at the end (rayon fold/reduce). Merging is once per chunk, so
//! its cost does not grow with lines.
//!
//! Distinct counts are exact: every table keeps a vector of
//! `(row, pseudonym)` pairs, sorted and deduplicated at chunk ends and when
//! it doubles. Memory grows with distinct (row, visitor) pairs, not with
//! input size. Sketches (HyperLogLog) would be smaller but are never
//! published: they leak membership.

pub mod columns;
pub mod group;
pub mod intern;
pub mod quantiles;
pub mod sessions;
pub mod web;
pub mod zoom;

//! Mergeable accumulators, one family per source.
//!
//! Each worker thread folds veiled records into its own
//! [`web::WebAggregate`], keyed by the ids of its privacy worker's label
//! table; the workers' aggregates are merged once, at the end of the run,
//! renumbering labels. Merging cost does not grow with lines.
//!
//! Distinct counts are exact: every table keeps a vector of
//! `(row, visitor id)` pairs, sorted and deduplicated whenever it has grown
//! by half since the last time (unless a sample says the sort would remove
//! little: see `group::Group`); the ids are dense per worker, handed out by
//! its session table. Memory grows with distinct (row, visitor) pairs, not
//! with input size. Sketches (HyperLogLog) would be smaller but are never
//! published: they leak membership.

pub mod columns;
pub mod group;
pub mod intern;
pub mod quantiles;
pub mod sessions;
pub mod web;
pub mod zoom;
mod zoom_attendance;
mod zoom_concurrency;
mod zoom_identities;
mod zoom_index;
mod zoom_meetings;
pub mod zoom_people;
mod zoom_signins;

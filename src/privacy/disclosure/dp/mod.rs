//! Differential privacy: the optional release mode beside `k`.
//!
//! (Being built: issue 20.)

pub mod noise;

//! OpenDP measurements behind the differential-privacy mode (placeholder
//! until the measurements land: every call fails).

/// Why a DP measurement could not be built or run.
#[derive(Debug, thiserror::Error)]
pub enum DpError {
    /// Placeholder.
    #[error("{0}")]
    Build(String),
}

/// Placeholder.
#[derive(Debug)]
pub struct ThresholdCounts;
impl ThresholdCounts {
    /// Placeholder.
    pub fn new(_: u32, _: u64, _: f64, _: f64) -> Result<Self, DpError> {
        Err(DpError::Build("not built".into()))
    }
    /// Placeholder.
    pub fn scale(&self) -> f64 {
        0.0
    }
    /// Placeholder.
    pub fn threshold(&self) -> u64 {
        0
    }
    /// Placeholder.
    pub fn spent(&self) -> (f64, f64) {
        (0.0, 0.0)
    }
    /// Placeholder.
    pub fn release(&self, _: &[(u32, u64)]) -> Result<Vec<(u32, u64)>, DpError> {
        Err(DpError::Build("not built".into()))
    }
}

/// Placeholder.
#[derive(Debug)]
pub struct NoisySums;
impl NoisySums {
    /// Placeholder.
    pub fn new(_: u64, _: f64) -> Result<Self, DpError> {
        Err(DpError::Build("not built".into()))
    }
    /// Placeholder.
    pub fn scale(&self) -> f64 {
        0.0
    }
    /// Placeholder.
    pub fn spent(&self) -> f64 {
        0.0
    }
    /// Placeholder.
    pub fn release(&self, _: &[u64]) -> Result<Vec<i64>, DpError> {
        Err(DpError::Build("not built".into()))
    }
}

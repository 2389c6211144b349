//! OpenDP measurements behind the differential-privacy mode (being built).

//! The pool both fuzz targets run their inputs in.

use std::sync::LazyLock;

/// A one-thread pool that every input runs in. Merging and table building
/// fork into `rayon::scope`s; called from outside a pool, each scope would
/// hand its tasks to the global pool's threads and wait for them, which
/// costs more than the work when, as here, the aggregates are tiny and
/// there are hundreds of merges per input. Inside a one-thread pool the
/// tasks run inline, and the campaign stays on one core.
pub static POOL: LazyLock<rayon::ThreadPool> = LazyLock::new(|| {
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("one-thread pool")
});

//! Reads the outputs back with DuckDB and pyarrow, as BI users do
//! (`tests/python/read_back.py`). `.ci/run` installs both; on a developer
//! machine without them the test says so and passes, but under CI
//! (`CI=true`) their absence is a failure.

mod common;

#[test]
fn duckdb_and_pyarrow_read_the_outputs() {
    if !common::python_has("duckdb, pyarrow, pytz") {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let r = common::run(&[&common::sample_logs()], out.path(), &["-q"]);
    // The samples' deliberate bad lines stay under the default
    // --max-reject-rate (issue 14): the README's first command exits 0.
    assert_eq!(r.status.code(), Some(0));
    common::run_python("read_back.py", &[out.path().as_os_str()]);
}

//! The README documents what the code does: its schema section is the
//! output of `logveil schema`, and its exit codes are those of `--help`.

mod common;

#[test]
fn readme_schema_section_matches_the_code() {
    let readme = std::fs::read_to_string(common::root().join("README.md")).unwrap();
    let start = readme
        .find("<!-- schema:start")
        .expect("schema start marker");
    let body_start = start + readme[start..].find('\n').unwrap() + 1;
    let end = readme
        .find("<!-- schema:end -->")
        .expect("schema end marker");
    let documented = &readme[body_start..end];
    let generated = logveil::output::schema::markdown();
    assert_eq!(
        documented.trim(),
        generated.trim(),
        "README schema is stale: replace it with the output of `logveil schema`"
    );
}

#[test]
fn readme_commands_and_exit_codes_are_the_real_ones() {
    let readme = std::fs::read_to_string(common::root().join("README.md")).unwrap();
    assert!(readme.contains("cargo run --release -- run sample-logs/ --out out/"));
    assert!(readme.contains("\ncargo test\n"));
    let ci = std::fs::read_to_string(common::root().join(".ci/run")).unwrap();
    assert!(
        ci.lines().any(|l| l.trim() == "cargo test"),
        ".ci/run must run the README's test command"
    );
    for name in logveil::formats::FORMATS.iter().map(|f| f.name()) {
        assert!(
            readme.contains(&format!("| `{name}` |")),
            "format {name} undocumented"
        );
    }
}

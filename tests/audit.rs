//! `logveil audit`: clean on real outputs; finding every form of every
//! identifier in every place a leak could hide, with its location and the
//! input line that holds it; not mistaking a short user name inside a word
//! for a leak; and never printing the identifier unless asked.

mod common;

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{ListBuilder, MapBuilder, StringBuilder, StructBuilder};
use arrow_array::types::Int32Type;
use arrow_array::{
    ArrayRef, BinaryArray, BinaryViewArray, DictionaryArray, FixedSizeBinaryArray, Int64Array,
    LargeBinaryArray, LargeStringArray, RecordBatch, StringArray, StringViewArray, StructArray,
};
use arrow_schema::{DataType, Field, Fields, Schema};
use common::{audit, run, sample_logs};
use parquet::arrow::ArrowWriter;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties};

fn stdout(r: &std::process::Output) -> String {
    String::from_utf8_lossy(&r.stdout).into_owned()
}

/// The input log: each identifier on a known line.
/// 1: client 198.51.100.23; 2: client 2001:db8::7; 3: host-name client;
/// 4: authuser `anna`, an e-mail in the query; 5: authuser `jsmith42`.
const LOG: &str = "\
198.51.100.23 - - [10/Oct/2024:13:55:36 +0000] \"GET / HTTP/1.1\" 200 10 \"-\" \"curl/8\"
2001:db8::7 - - [10/Oct/2024:13:55:37 +0000] \"GET / HTTP/1.1\" 200 10 \"-\" \"curl/8\"
host-7.clients.example.net - - [10/Oct/2024:13:55:38 +0000] \"GET / HTTP/1.1\" 200 10 \"-\" \"curl/8\"
192.0.2.44 - anna [10/Oct/2024:13:55:39 +0000] \"GET /r?to=jane.doe%40example.edu HTTP/1.1\" 200 10 \"-\" \"curl/8\"
192.0.2.45 - jsmith42 [10/Oct/2024:13:55:40 +0000] \"GET /people/x HTTP/1.1\" 200 10 \"-\" \"curl/8\"
";

fn input_dir(root: &Path) -> PathBuf {
    let dir = root.join("in");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("access.log"), LOG).unwrap();
    dir
}

fn strings(values: [&str; 2]) -> ArrayRef {
    Arc::new(StringArray::from(values.to_vec()))
}

/// One Parquet file with a column of each type, the leak in row 1 of each,
/// written without statistics and with dictionary encoding on.
fn write_leaky_parquet(path: &Path) {
    let struct_col = StructArray::from(vec![(
        Arc::new(Field::new("inner", DataType::Utf8, false)),
        strings(["", "id 3325256727"]),
    )]);
    let mut list = ListBuilder::new(StringBuilder::new());
    list.append(true);
    list.values().append_value("x");
    list.values().append_value("fe80::1 2001:db8::7%eth0");
    list.append(true);
    let inner = Fields::from(vec![Field::new("s", DataType::Utf8, true)]);
    let mut nested = ListBuilder::new(StructBuilder::from_fields(inner, 2));
    for value in ["fine", "0xC6336417"] {
        let items = nested.values();
        items
            .field_builder::<StringBuilder>(0)
            .unwrap()
            .append_value(value);
        items.append(true);
        nested.append(true);
    }
    let mut map = MapBuilder::new(None, StringBuilder::new(), StringBuilder::new());
    map.keys().append_value("k");
    map.values().append_value("v");
    map.append(true).unwrap();
    map.keys().append_value("to");
    map.values().append_value("jane.doe%2540example.edu");
    map.append(true).unwrap();
    let dict: DictionaryArray<Int32Type> = vec!["ok", "198.51.100.23.nip.io"].into_iter().collect();
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("utf8", strings(["/", "from 198.51.100.23:8080"])),
        (
            "large_utf8",
            Arc::new(LargeStringArray::from(vec!["", "[2001:DB8::7]:443"])),
        ),
        (
            "utf8_view",
            Arc::new(StringViewArray::from(vec![
                "",
                "ip-198-51-100-23.example.net",
            ])),
        ),
        (
            "binary",
            Arc::new(BinaryArray::from(vec![
                &b""[..],
                &b"mailto:Jane.Doe@Example.edu"[..],
            ])),
        ),
        (
            "large_binary",
            Arc::new(LargeBinaryArray::from(vec![
                &b""[..],
                &b"23.100.51.198.in-addr.arpa"[..],
            ])),
        ),
        (
            "binary_view",
            Arc::new(BinaryViewArray::from(vec![
                &b""[..],
                &b"198.051.100.023"[..],
            ])),
        ),
        (
            "fixed",
            Arc::new(
                FixedSizeBinaryArray::try_from_iter([[0u8, 0, 0, 0], [198, 51, 100, 23]].iter())
                    .unwrap(),
            ),
        ),
        ("dict", Arc::new(dict)),
        ("list", Arc::new(list.finish())),
        ("rec", Arc::new(struct_col)),
        ("nested", Arc::new(nested.finish())),
        ("map", Arc::new(map.finish())),
        ("int", Arc::new(Int64Array::from(vec![5, 3_325_256_727]))),
        ("anna", strings(["", ""])),
    ];
    let fields: Vec<Field> = columns
        .iter()
        .map(|(name, a)| {
            let f = Field::new(*name, a.data_type().clone(), true);
            if *name == "utf8" {
                f.with_metadata(HashMap::from([(
                    "source".to_string(),
                    "2001:0db8:0000:0000:0000:0000:0000:0007".to_string(),
                )]))
            } else {
                f
            }
        })
        .collect();
    let schema = Arc::new(Schema::new(Fields::from(fields)));
    let batch = RecordBatch::try_new(
        schema.clone(),
        columns.into_iter().map(|(_, a)| a).collect(),
    )
    .unwrap();
    let props = WriterProperties::builder()
        .set_statistics_enabled(EnabledStatistics::None)
        .set_dictionary_enabled(true)
        .set_key_value_metadata(Some(vec![KeyValue::new(
            "contact".to_string(),
            "JANE.DOE@EXAMPLE.EDU".to_string(),
        )]))
        .build();
    let mut w =
        ArrowWriter::try_new(std::fs::File::create(path).unwrap(), schema, Some(props)).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

fn gzip(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

fn utf16(s: &str, little: bool, bom: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if bom {
        out.extend(if little { [0xff, 0xfe] } else { [0xfe, 0xff] });
    }
    for u in s.encode_utf16() {
        out.extend(if little {
            u.to_le_bytes()
        } else {
            u.to_be_bytes()
        });
    }
    out
}

/// Every form in every place, each expected with its location, kind, form
/// and input line.
#[test]
fn every_form_in_every_place_is_found_with_its_input_line() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = input_dir(tmp.path());
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    write_leaky_parquet(&out.join("leaks.parquet"));
    std::fs::create_dir(out.join("198-51-100-23.dyn.example")).unwrap();
    std::fs::write(out.join("report-jsmith42.csv"), "nothing inside").unwrap();
    std::fs::write(
        out.join("notes.txt.gz"),
        gzip(b"fine\ncontact jane.doe@example.edu\n"),
    )
    .unwrap();
    std::fs::write(
        out.join("notes.zst"),
        zstd::encode_all(&b"client 2001:0DB8::0007\n"[..], 1).unwrap(),
    )
    .unwrap();
    std::fs::write(
        out.join("le.txt"),
        utf16("x\nfrom 198.51.100.23\n", true, true),
    )
    .unwrap();
    std::fs::write(
        out.join("be.log"),
        utf16("x\ny\nhost host-7.clients.example.net\n", false, false),
    )
    .unwrap();
    std::fs::write(
        out.join("settings.cfg"),
        "to = mailto:Jane.Doe%2540example.edu\n",
    )
    .unwrap();
    std::fs::write(
        out.join("_manifest.json"),
        "{\n  \"operator\": \"anna\"\n}\n",
    )
    .unwrap();

    let r = audit(&out, &inputs, &[]);
    assert_eq!(r.status.code(), Some(3), "{}", stdout(&r));
    let report = stdout(&r);
    let log = inputs.join("access.log").display().to_string();
    let pq = "leaks.parquet: value, table leaks";
    let table: &[(&str, &str, u32)] = &[
        // (place, kind and form, input line)
        (&format!("{pq}, column utf8, row 1"), "ipv4 (dotted)", 1),
        (
            &format!("{pq}, column large_utf8, row 1"),
            "ipv6 (IPv6 text)",
            2,
        ),
        (
            &format!("{pq}, column utf8_view, row 1"),
            "ipv4 (dashed)",
            1,
        ),
        (&format!("{pq}, column binary, row 1"), "email (e-mail)", 4),
        (
            &format!("{pq}, column large_binary, row 1"),
            "ipv4 (reversed in-addr.arpa)",
            1,
        ),
        (
            &format!("{pq}, column binary_view, row 1"),
            "ipv4 (zero-padded)",
            1,
        ),
        (&format!("{pq}, column fixed, row 1"), "ipv4 (raw bytes)", 1),
        (&format!("{pq}, column dict, row 1"), "ipv4 (dotted)", 1),
        (
            &format!("{pq}, column list.item, row 1"),
            "ipv6 (IPv6 text)",
            2,
        ),
        (
            &format!("{pq}, column rec.inner, row 1"),
            "ipv4 (integer)",
            1,
        ),
        (
            &format!("{pq}, column nested.item.s, row 1"),
            "ipv4 (hex)",
            1,
        ),
        (
            &format!("{pq}, column map.entries.value, row 1, via percent-decoded twice"),
            "email (e-mail)",
            4,
        ),
        (&format!("{pq}, column int, row 1"), "ipv4 (integer)", 1),
        (
            "leaks.parquet: field name, table leaks, column anna",
            "authuser (whole word)",
            4,
        ),
        (
            "leaks.parquet: field metadata, table leaks, column utf8",
            "ipv6 (IPv6 text)",
            2,
        ),
        (
            "leaks.parquet: key-value metadata, table leaks",
            "email (e-mail)",
            4,
        ),
        ("198-51-100-23.dyn.example: file name", "ipv4 (dashed)", 1),
        (
            "report-jsmith42.csv: file name",
            "authuser (part of a word)",
            5,
        ),
        ("notes.txt.gz: text, line 2, via gzip", "email (e-mail)", 4),
        ("notes.zst: text, line 1, via zstd", "ipv6 (IPv6 text)", 2),
        ("le.txt: text, line 2, via UTF-16LE", "ipv4 (dotted)", 1),
        (
            "be.log: text, line 3, via UTF-16BE",
            "hostname (host name)",
            3,
        ),
        (
            "settings.cfg: text, line 1, via percent-decoded twice",
            "email (e-mail)",
            4,
        ),
        ("_manifest.json: text, line 2", "authuser (whole word)", 4),
    ];
    let mut missing = Vec::new();
    for (place, what, line) in table {
        let expected = format!("LEAK {place}: {what} as in {log}:{line}\n");
        if !report.contains(&expected) {
            missing.push(expected);
        }
    }
    assert!(
        missing.is_empty(),
        "missing:\n{}\nin:\n{report}",
        missing.concat()
    );
    // No statistics were written, so none can be reported.
    assert!(!report.contains("statistics"), "{report}");
    // The values never appear, only the places (two file names hold them).
    let without_names = report
        .replace("198-51-100-23.dyn.example", "")
        .replace("report-jsmith42.csv", "")
        .replace(" anna:", "");
    for secret in [
        "198.51.100.23",
        "2001:db8::7",
        "jane.doe",
        "host-7",
        "jsmith42",
        " anna",
    ] {
        assert!(
            !without_names.to_lowercase().contains(secret),
            "{secret} printed:\n{report}"
        );
    }
}

#[test]
fn reveal_prints_the_value() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = input_dir(tmp.path());
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("a.txt"), "x 3325256727\n").unwrap();
    let r = audit(&out, &inputs, &["--reveal"]);
    assert_eq!(r.status.code(), Some(3));
    assert!(
        stdout(&r).contains("a.txt: text, line 1: ipv4 (integer) as in ")
            && stdout(&r).ends_with(":1: 198.51.100.23\n"),
        "{}",
        stdout(&r)
    );
}

/// A short user name inside a longer word is not a finding; as a whole
/// word it is, with the input line that explains it.
#[test]
fn short_user_names_match_whole_words_only() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = input_dir(tmp.path());
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let batch = RecordBatch::try_from_iter([(
        "path",
        strings(["/people/anna-weber", "/annals/hannah.html"]),
    )])
    .unwrap();
    let mut w = ArrowWriter::try_new(
        std::fs::File::create(out.join("web_pages.parquet")).unwrap(),
        batch.schema(),
        None,
    )
    .unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    std::fs::write(out.join("anna-weber.txt"), "Johanna, annas\n").unwrap();
    let r = audit(&out, &inputs, &[]);
    assert_eq!(r.status.code(), Some(0), "{}", stdout(&r));

    std::fs::write(out.join("who.txt"), "page /people/anna\n").unwrap();
    let r = audit(&out, &inputs, &[]);
    assert_eq!(r.status.code(), Some(3));
    let log = inputs.join("access.log").display().to_string();
    assert_eq!(
        stdout(&r),
        format!("LEAK who.txt: text, line 1: authuser (whole word) as in {log}:4\n")
    );
}

#[test]
fn unreadable_files_are_not_clean_and_missing_inputs_do_not_run() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = input_dir(tmp.path());
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("old.bz2"), b"BZh91AY&SY\x01\x02").unwrap();
    let r = audit(&out, &inputs, &[]);
    assert_eq!(r.status.code(), Some(3));
    assert!(stdout(&r).contains("UNREADABLE"), "{}", stdout(&r));
    assert!(stdout(&r).contains("bzip2"), "{}", stdout(&r));
    let r = audit(&out, &tmp.path().join("nothing-here"), &[]);
    assert_eq!(r.status.code(), Some(1));
}

#[test]
fn real_outputs_are_clean() {
    let out = tempfile::tempdir().unwrap();
    run(&[&sample_logs()], out.path(), &["-q"]);
    let r = audit(out.path(), &sample_logs(), &[]);
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}{}",
        stdout(&r),
        String::from_utf8_lossy(&r.stderr)
    );
    assert!(String::from_utf8_lossy(&r.stderr).contains("clean"));
}

/// Leaks planted beside a real run's tables are found; the run's own
/// tables stay clean.
#[test]
fn planted_leaks_beside_a_real_run_are_found() {
    let out = tempfile::tempdir().unwrap();
    run(&[&sample_logs()], out.path(), &["-q"]);
    let batch = RecordBatch::try_from_iter([(
        "referrer_host",
        strings(["fine.example", "crawl-66-249-66-1.googlebot.com"]),
    )])
    .unwrap();
    let mut w = ArrowWriter::try_new(
        std::fs::File::create(out.path().join("hosts.parquet")).unwrap(),
        batch.schema(),
        None,
    )
    .unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    let r = audit(out.path(), &sample_logs(), &[]);
    assert_eq!(r.status.code(), Some(3));
    let report = stdout(&r);
    for expected in [
        "LEAK hosts.parquet: value, table hosts, column referrer_host, row 1: hostname (host name) as in ",
        "LEAK hosts.parquet: statistics of row group 0, table hosts, column referrer_host: hostname",
    ] {
        assert!(
            report.contains(expected),
            "missing {expected:?} in:\n{report}"
        );
    }
    assert!(
        report
            .lines()
            .all(|l| l.starts_with("LEAK hosts.parquet: ")),
        "{report}"
    );
}

/// The real-address corpus, when it is beside the repository: a run over it
/// audits clean (read in place, never copied into the repository).
#[test]
fn corpus_outputs_are_clean() {
    let corpus = common::root().join("../shared/corpus");
    if !corpus.is_dir() {
        eprintln!("skipped: no {}", corpus.display());
        return;
    }
    let out = tempfile::tempdir().unwrap();
    run(&[&corpus], out.path(), &["-q"]);
    let r = audit(out.path(), &corpus, &[]);
    // Findings are printed without values, so showing them is safe.
    assert_eq!(r.status.code(), Some(0), "{}", stdout(&r));
}

//! Format names as the command line takes them (every name `logveil
//! formats` lists, GoAccess's predefined names), lone-CR line endings, and
//! inputs named inside the output directory: the binary on small files
//! each test writes itself.

mod common;

use std::path::Path;

use common::{assert_exit, logveil, run};
use serde_json::Value;

const COMBINED: &str =
    r#"192.0.2.7 - - [10/Oct/2024:13:55:36 +0000] "GET /a HTTP/1.1" 200 2326 "-" "curl/8""#;

/// IIS's default fields, from its documentation.
const W3C: &str = "#Software: Microsoft Internet Information Services 10.0\n\
#Version: 1.0\n\
#Date: 2024-01-01 00:00:00\n\
#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n\
2024-01-01 00:00:01 10.0.0.1 GET /index.html - 80 - 192.0.2.7 Mozilla/5.0 - 200 0 0 15\n";

fn manifest(out: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(out.join("_manifest.json")).unwrap()).unwrap()
}

/// Writes `text` to `name` in `dir` and runs it with `args`; returns the
/// exit code and the manifest's single input entry.
fn run_one(dir: &Path, name: &str, text: &str, args: &[&str]) -> (Option<i32>, Value, String) {
    let input = dir.join(name);
    std::fs::write(&input, text).unwrap();
    let out = dir.join(format!("out-{name}"));
    let mut all = vec!["-q"];
    all.extend_from_slice(args);
    let r = run(&[&input], &out, &all);
    let stderr = String::from_utf8_lossy(&r.stderr).into_owned();
    let entry = if out.join("_manifest.json").is_file() {
        manifest(&out)["inputs"][0].clone()
    } else {
        Value::Null
    };
    (r.status.code(), entry, stderr)
}

/// The names `logveil formats` prints in its first column.
fn listed_names() -> Vec<String> {
    let r = logveil().arg("formats").output().unwrap();
    assert_exit(&r, 0);
    String::from_utf8_lossy(&r.stdout)
        .lines()
        .take_while(|l| !l.is_empty())
        .filter(|l| !l.starts_with(' '))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

#[test]
fn every_listed_format_name_is_accepted_by_format() {
    let dir = tempfile::tempdir().unwrap();
    let names = listed_names();
    for expected in ["combined", "w3c", "zoom_csv", "json", "aws_alb"] {
        assert!(names.iter().any(|n| n == expected), "{names:?}");
    }
    for name in &names {
        let (code, _, stderr) = run_one(
            dir.path(),
            &format!("{name}.log"),
            COMBINED,
            &["--format", name],
        );
        assert!(
            !stderr.contains("unknown format"),
            "--format {name}: {stderr}"
        );
        // 0, or 2 when the line is not that format's, or 1 when no line
        // is (nothing usable): never refused as an unknown name.
        assert!(
            matches!(code, Some(0 | 2)) || stderr.contains("nothing usable"),
            "--format {name}: {stderr}"
        );
    }
    // A W3C log named as such is read by its header.
    let (code, entry, stderr) = run_one(dir.path(), "iis.log", W3C, &["--format", "w3c"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        (entry["format"].as_str(), entry["parsed"].as_u64()),
        (Some("w3c"), Some(1))
    );
    let (code, _, stderr) = run_one(dir.path(), "x.log", COMBINED, &["--format", "W3C"]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("unknown format") && stderr.contains("w3c"),
        "{stderr}"
    );
}

#[test]
fn goaccess_predefined_names_read_their_logs() {
    let dir = tempfile::tempdir().unwrap();
    let alb = r#"http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354" "-" "-" 0 2018-07-02T22:22:48.364000Z "forward" "-" "-" "10.0.0.1:80" "200" "-" "-""#;
    let elb = r#"2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.38.0" - -"#;
    let caddy = r#"{"level":"info","ts":1646861401.5241024,"logger":"http.log.access","msg":"handled request","request":{"remote_ip":"192.0.2.7","remote_port":"41342","proto":"HTTP/2.0","method":"GET","host":"example.com","uri":"/","headers":{"User-Agent":["curl/7.82.0"]}},"bytes_read":0,"user_id":"","duration":0.000929675,"size":10900,"status":200,"resp_headers":{}}"#;
    let traefik = r#"192.0.2.7 - - [10/Oct/2024:13:55:36 +0000] "GET /x HTTP/1.1" 200 2326 "-" "curl/8" 1 "web@docker" "http://10.0.0.2:80" 3ms"#;
    let common = r#"192.0.2.7 - - [10/Oct/2024:13:55:36 +0000] "GET /a HTTP/1.1" 200 2326"#;
    let squid = "1286536308.779    180 192.0.2.7 TCP_MISS/200 1128 GET http://www.example.com/ - HIER_DIRECT/198.51.100.7 text/html";
    // The example of AWS's "Amazon S3 server access log format" page.
    let s3 = r#"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be DOC-EXAMPLE-BUCKET1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be 3E57427F3EXAMPLE REST.GET.VERSIONING - "GET /DOC-EXAMPLE-BUCKET1?versioning HTTP/1.1" 200 - 113 - 7 - "-" "S3Console/0.4" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader DOC-EXAMPLE-BUCKET1.s3.us-west-1.amazonaws.com TLSV1.2 arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP Yes"#;
    let cases = [
        ("COMBINED", COMBINED.to_string()),
        ("VCOMBINED", format!("example.com:80 {COMBINED}")),
        ("COMMON", common.to_string()),
        ("VCOMMON", format!("example.com:443 {common}")),
        ("W3C", W3C.to_string()),
        (
            "CLOUDFRONT",
            W3C.replace(' ', "\t").replace("#Fields:\t", "#Fields: "),
        ),
        ("AWSELB", elb.to_string()),
        ("AWSALB", alb.to_string()),
        ("CADDY", caddy.to_string()),
        ("TRAEFIKCLF", traefik.to_string()),
        ("SQUID", squid.to_string()),
        ("AWSS3", s3.to_string()),
    ];
    for (name, text) in cases {
        let (code, entry, stderr) = run_one(
            dir.path(),
            &format!("{name}.log"),
            &format!("{text}\n"),
            &["--goaccess-format", name],
        );
        assert_eq!(code, Some(0), "--goaccess-format {name}: {stderr}");
        assert_eq!(entry["parsed"].as_u64(), Some(1), "{name}: {entry}");
    }
    // A predefined layout logveil has no reader for is refused by name.
    let (code, _, stderr) = run_one(
        dir.path(),
        "gcs.log",
        COMBINED,
        &["--goaccess-format", "CLOUDSTORAGE"],
    );
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("CLOUDSTORAGE") && stderr.contains("logveil formats"),
        "{stderr}"
    );
}

#[test]
fn lone_cr_line_ends_are_lines_plain_or_compressed() {
    let dir = tempfile::tempdir().unwrap();
    let lines: Vec<String> = (0..3)
        .map(|i| COMBINED.replace("/a ", &format!("/page{i} ")))
        .collect();
    let gz = |text: &str| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut e, text.as_bytes()).unwrap();
        e.finish().unwrap()
    };
    let mac = lines.join("\r") + "\r";
    let cases: [(&str, Vec<u8>); 4] = [
        ("mac.log", mac.clone().into_bytes()),
        ("mac-no-final.log", lines.join("\r").into_bytes()),
        ("mac.log.gz", gz(&mac)),
        ("dos.log", (lines.join("\r\n") + "\r\n").into_bytes()),
    ];
    for (name, bytes) in cases {
        let input = dir.path().join(name);
        std::fs::write(&input, &bytes).unwrap();
        let out = dir.path().join(format!("out-{name}"));
        let r = run(&[&input], &out, &["-q"]);
        assert_exit(&r, 0);
        let entry = &manifest(&out)["inputs"][0];
        assert_eq!(
            (entry["lines"].as_u64(), entry["parsed"].as_u64()),
            (Some(3), Some(3)),
            "{name}: {entry}"
        );
    }
}

#[test]
fn a_named_input_inside_the_output_is_listed_warned_and_fails_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let par = dir.path().join("par");
    std::fs::create_dir_all(par.join("logs")).unwrap();
    let inside = par.join("logs/a.log");
    let clean = dir.path().join("clean.log");
    std::fs::write(&inside, format!("{COMBINED}\n")).unwrap();
    std::fs::write(&clean, format!("{COMBINED}\n")).unwrap();
    let run_log = dir.path().join("run-log.json");
    // `par` holds a directory logveil did not write: --force keeps it
    // (issue 14 refuses such an output otherwise).
    let r = run(
        &[&inside, &clean],
        &par,
        &["--force", "--run-log", run_log.to_str().unwrap()],
    );
    // Outputs written, but not everything named was read.
    assert_exit(&r, 2);
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert!(
        stderr.contains(&format!("warning: {}", inside.display()))
            && stderr.contains("inside the output directory"),
        "{stderr}"
    );
    let m = manifest(&par);
    assert_eq!(m["complete"], Value::Bool(false));
    assert_eq!(m["inputs"].as_array().map(Vec::len), Some(1));
    let ignored = m["ignored"].as_array().unwrap();
    assert_eq!(ignored.len(), 1, "{ignored:?}");
    assert!(
        ignored[0]["reason"]
            .as_str()
            .unwrap()
            .contains("inside the output directory")
    );
    // The run log says which path that id is.
    let log: Value = serde_json::from_slice(&std::fs::read(&run_log).unwrap()).unwrap();
    assert_eq!(log["ignored"][0]["id"], ignored[0]["id"]);
    assert_eq!(log["ignored"][0]["path"].as_str(), inside.to_str());

    // A second run over a directory that holds the first run's output
    // lists those files, without failing or warning.
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    std::fs::rename(&clean, logs.join("clean.log")).unwrap();
    let out = logs.join("out");
    let first = run(&[&logs], &out, &["-q"]);
    assert_exit(&first, 0);
    let again = run(&[&logs], &out, &[]);
    assert_exit(&again, 0);
    assert!(!String::from_utf8_lossy(&again.stderr).contains("warning"));
    let m = manifest(&out);
    assert_eq!(m["inputs"].as_array().map(Vec::len), Some(1));
    assert!(m["ignored"].as_array().unwrap().iter().any(|i| {
        i["reason"]
            .as_str()
            .unwrap()
            .contains("previous run's output")
    }));
}

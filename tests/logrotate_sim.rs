//! The logrotate simulator of `tests/common/logrotate.rs` behaves like
//! logrotate and a web server: the nightly test (`tests/nightly.rs`) is only
//! as good as this.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use chrono::{DateTime, FixedOffset};
use common::logrotate::{COPYTRUNCATE_NIGHT, LOG, ROTATE_AT, RUN_AT, Server, local, nights, play};
use common::read_input;

fn lines(bytes: &[u8]) -> Vec<String> {
    String::from_utf8(bytes.to_vec())
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn time_of(line: &str) -> DateTime<FixedOffset> {
    let start = line.find('[').unwrap() + 1;
    let end = line.find(']').unwrap();
    DateTime::parse_from_str(&line[start..end], "%d/%b/%Y:%H:%M:%S %z").unwrap()
}

/// The concatenation of every log file present, oldest first.
fn concatenated(server: &Server) -> Vec<u8> {
    let mut files = server.files();
    files.reverse();
    files.iter().flat_map(|p| read_input(p)).collect()
}

#[test]
fn seven_nights_lose_no_line_and_keep_logrotate_order() {
    let tmp = tempfile::tempdir().unwrap();
    let mut server = Server::new(&tmp.path().join("logs"), 14);
    let mut seen = BTreeSet::new();
    let mut runs = 0;
    play(&mut server, &nights(7), |night, server| {
        runs += 1;
        assert_eq!(night, runs);
        // With rotate 14 nothing is deleted yet: the files, oldest first,
        // are exactly what was written, in order.
        assert_eq!(concatenated(server), server.all_lines(), "night {night}");
        for file in server.files() {
            seen.extend(lines(&read_input(&file)));
        }
    });
    assert_eq!(runs, 7);
    let all = lines(server.all_lines());
    assert_eq!(all.len(), server.lines_written());
    // Every line is unique (times strictly increase), so the union of the
    // files ever present is all the lines written, no more, no fewer.
    assert_eq!(seen.len(), all.len());
    assert_eq!(seen, all.into_iter().collect::<BTreeSet<_>>());
}

#[test]
fn a_night_lists_like_logrotate() {
    let tmp = tempfile::tempdir().unwrap();
    let mut server = Server::new(&tmp.path().join("logs"), 1);
    let mut listings = BTreeMap::new();
    play(&mut server, &nights(7), |night, server| {
        listings.insert(night, server.listing());
    });
    assert_eq!(listings[&1], ["access.log", "access.log.1"]);
    assert_eq!(
        listings[&2],
        ["access.log", "access.log.1", "access.log.2.gz"]
    );
    let mut seventh = vec!["access.log".to_string(), "access.log.1".to_string()];
    seventh.extend((2..=7).map(|n| format!("access.log.{n}.gz")));
    assert_eq!(listings[&7], seventh);
}

#[test]
fn rotate_n_deletes_the_oldest_and_keeps_the_rest_in_order() {
    let tmp = tempfile::tempdir().unwrap();
    let mut server = Server::with_rotate(&tmp.path().join("logs"), 2, 3);
    play(&mut server, &nights(7), |_, _| {});
    assert_eq!(
        server.listing(),
        [
            "access.log",
            "access.log.1",
            "access.log.2.gz",
            "access.log.3.gz"
        ]
    );
    let kept = concatenated(&server);
    assert!(kept.len() < server.all_lines().len());
    assert!(server.all_lines().ends_with(&kept));
}

#[test]
fn gz_files_hold_what_dot_one_held() {
    let tmp = tempfile::tempdir().unwrap();
    let mut server = Server::new(&tmp.path().join("logs"), 3);
    let mut previous_one: Option<Vec<u8>> = None;
    play(&mut server, &nights(7), |night, server| {
        let two = server.rotated(2);
        match &previous_one {
            None => assert!(!two.exists()),
            Some(held) => {
                let raw = std::fs::read(&two).unwrap();
                assert_eq!(&raw[..2], [0x1f, 0x8b], "night {night}: not gzip");
                assert_eq!(&read_input(&two), held, "night {night}");
            }
        }
        // delaycompress: `.1` stays plain.
        let one = std::fs::read(server.rotated(1)).unwrap();
        assert_ne!(&one[..2], [0x1f, 0x8b]);
        previous_one = Some(one);
    });
}

#[test]
fn copytruncate_keeps_the_inode_and_rename_moves_it() {
    let tmp = tempfile::tempdir().unwrap();
    let mut server = Server::new(&tmp.path().join("logs"), 4);
    let ino = |p: &Path| std::fs::metadata(p).unwrap().ino();
    // Per night: (inode of access.log, inode of access.log.1).
    let mut inodes = Vec::new();
    play(&mut server, &nights(7), |_, server| {
        inodes.push((ino(&server.rotated(0)), ino(&server.rotated(1))));
    });
    for night in 2..=7u32 {
        let (log_before, _) = inodes[night as usize - 2];
        let (log, one) = inodes[night as usize - 1];
        if night == COPYTRUNCATE_NIGHT {
            assert_eq!(log, log_before, "copytruncate keeps access.log's inode");
            assert_ne!(one, log_before, "the copy is a new file");
        } else {
            assert_eq!(one, log_before, "night {night}: rename keeps the inode");
            assert_ne!(log, log_before, "night {night}: a new access.log");
        }
    }
}

#[test]
fn copytruncate_leaves_the_log_holding_only_new_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let mut server = Server::new(&tmp.path().join("logs"), 5);
    let mut at_night = BTreeMap::new();
    play(&mut server, &nights(COPYTRUNCATE_NIGHT), |night, server| {
        at_night.insert(
            night,
            (
                read_input(&server.rotated(0)),
                read_input(&server.rotated(1)),
            ),
        );
    });
    let (log_before, _) = &at_night[&(COPYTRUNCATE_NIGHT - 1)];
    let (log, one) = &at_night[&COPYTRUNCATE_NIGHT];
    // `.1` is the old access.log plus the lines appended until 06:25; the
    // truncated access.log starts after them.
    assert!(one.starts_with(log_before));
    let first = time_of(&lines(log)[0]);
    let rotated_at = local(COPYTRUNCATE_NIGHT - 1, ROTATE_AT.0, ROTATE_AT.1);
    assert!(first >= rotated_at && time_of(lines(one).last().unwrap()) < rotated_at);
}

#[test]
fn a_run_at_two_finds_yesterday_split_across_two_files() {
    let tmp = tempfile::tempdir().unwrap();
    let mut server = Server::new(&tmp.path().join("logs"), 6);
    play(&mut server, &nights(3), |night, server| {
        if night != 3 {
            return;
        }
        let log = lines(&read_input(&server.rotated(0)));
        let one = lines(&read_input(&server.rotated(1)));
        // access.log: yesterday from 06:25 to today 02:00.
        assert!(time_of(&log[0]) >= local(2, ROTATE_AT.0, ROTATE_AT.1));
        assert!(time_of(log.last().unwrap()) < local(3, RUN_AT.0, RUN_AT.1));
        // .1: the day before, 06:25 to 06:25.
        assert!(time_of(&one[0]) >= local(1, ROTATE_AT.0, ROTATE_AT.1));
        assert!(time_of(one.last().unwrap()) < local(2, ROTATE_AT.0, ROTATE_AT.1));
        assert!(log.iter().all(|l| l.contains(" +0100]")));
    });
}

#[test]
fn traffic_is_deterministic_varied_and_from_documentation_ranges() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |dir: &str, seed| {
        let mut server = Server::new(&tmp.path().join(dir), seed);
        play(&mut server, &nights(7), |_, _| {});
        let files: Vec<_> = server
            .files()
            .iter()
            .map(|p| std::fs::read(p).unwrap())
            .collect();
        (server.all_lines().to_vec(), files)
    };
    let (a, files_a) = run("a", 42);
    let (b, files_b) = run("b", 42);
    assert_eq!(a, b, "same seed, same lines");
    assert_eq!(files_a, files_b, "same seed, same file bytes (gzip too)");
    assert_ne!(a, run("c", 43).0, "another seed, other lines");

    let all = lines(&a);
    assert!(all.len() > 10_000, "{} lines", all.len());
    let times: Vec<_> = all.iter().map(|l| time_of(l)).collect();
    assert!(times.windows(2).all(|w| w[0] < w[1]), "times increase");
    assert!(
        *times.last().unwrap() >= local(7, 1, 0),
        "seven days and more"
    );

    let ranges: [(IpAddr, u8); 4] = [
        ("192.0.2.0".parse().unwrap(), 24),
        ("198.51.100.0".parse().unwrap(), 24),
        ("203.0.113.0".parse().unwrap(), 24),
        ("2001:db8::".parse().unwrap(), 32),
    ];
    let in_range = |ip: IpAddr| {
        ranges.iter().any(|(net, bits)| match (ip, net) {
            (IpAddr::V4(a), IpAddr::V4(n)) => {
                u32::from(a) >> (32 - bits) == u32::from(*n) >> (32 - bits)
            }
            (IpAddr::V6(a), IpAddr::V6(n)) => {
                u128::from(a) >> (128 - bits) == u128::from(*n) >> (128 - bits)
            }
            _ => false,
        })
    };
    let mut days_of: BTreeMap<IpAddr, BTreeSet<_>> = BTreeMap::new();
    let (mut statuses, mut pages, mut agents, mut referrers) = (
        BTreeSet::new(),
        BTreeSet::new(),
        BTreeSet::new(),
        BTreeSet::new(),
    );
    for (line, time) in all.iter().zip(&times) {
        let ip: IpAddr = line.split(' ').next().unwrap().parse().unwrap();
        assert!(in_range(ip), "{ip} is not a documentation address");
        days_of.entry(ip).or_default().insert(time.date_naive());
        let quoted: Vec<&str> = line.split('"').collect();
        pages.insert(quoted[1].split(' ').nth(1).unwrap().to_string());
        statuses.insert(quoted[2].split_whitespace().next().unwrap().to_string());
        referrers.insert(quoted[3].to_string());
        agents.insert(quoted[5].to_string());
    }
    assert!(days_of.len() >= 200, "{} visitors", days_of.len());
    assert!(days_of.keys().any(IpAddr::is_ipv6));
    let returning = days_of.values().filter(|d| d.len() >= 7).count();
    assert!(returning >= 50, "{returning} visitors came back every day");
    assert!(statuses.len() >= 5, "{statuses:?}");
    assert!(pages.len() >= 10 && agents.len() >= 5 && referrers.len() >= 10);
    assert!(all.iter().all(|l| !l.contains(LOG)));
}

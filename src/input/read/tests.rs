//! Tests of opening, chunking and unwrapping inputs.

use std::ops::Range;

use super::stream::TAIL;
use super::wrappings::UNWRAP_BLOCK;
use super::*;

fn join(chunks: &[Vec<u8>]) -> Vec<u8> {
    chunks.concat()
}

#[test]
fn ranges_cover_and_align() {
    let data = b"aaa\nbb\ncccc\nd";
    for target in [1, 2, 3, 5, 100] {
        let r = chunk_ranges(data, target);
        assert_eq!(r.first().unwrap().start, 0);
        assert_eq!(r.last().unwrap().end, data.len());
        for w in r.windows(2) {
            assert_eq!(w[0].end, w[1].start);
            assert_eq!(data[w[0].end - 1], b'\n');
        }
    }
    assert!(chunk_ranges(b"", 10).is_empty());
}

#[test]
fn planned_file_chunks_match_slice_chunks() {
    let data: Vec<u8> = (0..3000)
        .flat_map(|i| format!("line {i} {}\n", "x".repeat(i % 97)).into_bytes())
        .chain(*b"no newline at the end")
        .collect();
    let mut file = tempfile::tempfile().unwrap();
    std::io::Write::write_all(&mut file, &data).unwrap();
    let len = data.len() as u64;
    for target in [1, 50, 4096, 100_000, 1 << 20] {
        let planned: Vec<Range<u64>> = plan_chunks(&file, len, target, usize::MAX)
            .unwrap()
            .into_iter()
            .map(|p| match p {
                Piece::Lines(r) => r,
                Piece::TooLong(r) => panic!("no line is too long: {r:?}"),
            })
            .collect();
        let sliced: Vec<Range<u64>> = chunk_ranges(&data, target)
            .into_iter()
            .map(|r| r.start as u64..r.end as u64)
            .collect();
        assert_eq!(planned, sliced, "target {target}");
        let mut buf = Vec::new();
        let mut joined = Vec::new();
        for r in planned {
            let n = read_range(&file, r, &mut buf).unwrap();
            joined.extend_from_slice(&buf[..n]);
        }
        assert_eq!(joined, data);
    }
    // A file that shrank after planning is an error, not a short chunk.
    file.set_len(10).unwrap();
    let err = read_range(&file, 0..20, &mut Vec::new()).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    assert!(err.to_string().contains("shrank"));
}

#[test]
fn stream_chunks_align_and_keep_everything() {
    let data: Vec<u8> = (0..5000)
        .flat_map(|i| format!("line {i}\n").into_bytes())
        .collect();
    for target in [1, 7, 100, 4096, 1 << 20] {
        let chunks: Vec<OwnedChunk> = StreamChunks::new(&data[..], target)
            .map(Result::unwrap)
            .collect();
        let mut offset = 0;
        for c in &chunks {
            assert_eq!(c.offset, offset);
            assert_eq!(c.data.last(), Some(&b'\n'));
            offset += c.data.len() as u64;
        }
        assert_eq!(
            join(&chunks.into_iter().map(|c| c.data).collect::<Vec<_>>()),
            data
        );
    }
}

struct Failing<'a>(&'a [u8]);
impl Read for Failing<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.0.is_empty() {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "cut off"));
        }
        let n = buf.len().min(self.0.len()).min(3);
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

#[test]
fn read_error_keeps_what_was_read() {
    let items: Vec<_> = StreamChunks::new(Failing(b"one\ntwo\nthr"), 4).collect();
    let data: Vec<u8> = items
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .flat_map(|c| c.data.clone())
        .collect();
    assert_eq!(data, b"one\ntwo\nthr");
    assert!(items.last().unwrap().is_err());
}

fn read_all(mut r: impl Read) -> Vec<u8> {
    let mut v = Vec::new();
    r.read_to_end(&mut v).unwrap();
    v
}

#[test]
fn lone_cr_line_ends_become_lines_and_others_pass() {
    assert_eq!(read_all(LineEnds::new(&b"a\rb\r\rc"[..])), b"a\nb\n\nc");
    // CRLF and LF files are untouched, CRs inside lines included.
    let crlf = b"a\r\nb\r\n";
    assert_eq!(read_all(LineEnds::new(&crlf[..])), crlf);
    assert_eq!(read_all(LineEnds::new(&b"a\rx\nb\n"[..])), b"a\rx\nb\n");
    // Decided once: past the probe, a CR is translated in a lone-CR
    // stream however the reads fall, and kept in an LF one.
    let mut long: Vec<u8> = (0..20_000)
        .flat_map(|i| format!("line {i}\r").into_bytes())
        .collect();
    let want: Vec<u8> = long
        .iter()
        .map(|&b| if b == b'\r' { b'\n' } else { b })
        .collect();
    let got = read_all(LineEnds::new(Trickle {
        data: &long,
        step: 1000,
    }));
    assert_eq!(got, want);
    long[10] = b'\n';
    assert_eq!(read_all(LineEnds::new(&long[..])), long);
    assert!(lone_cr(b"a\rb") && !lone_cr(b"a\r\nb") && !lone_cr(b"ab"));
}

#[test]
fn a_probe_cut_by_an_error_keeps_its_bytes() {
    let mut r = LineEnds::new(Failing(b"one\rtwo\r"));
    let mut got = Vec::new();
    let err = r.read_to_end(&mut got).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    assert_eq!(got, b"one\ntwo\n");
}

#[test]
fn plain_lone_cr_files_open_as_translated_streams() {
    let dir = tempfile::tempdir().unwrap();
    let source = |name: &str, data: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, data).unwrap();
        Source::new(path, data.len() as u64, Compression::None)
    };
    match open(&source("mac.log", b"a\rb\r")).unwrap() {
        Opened::Stream(r) => assert_eq!(read_all(r), b"a\nb\n"),
        _ => panic!("a lone-CR file is a stream"),
    }
    assert!(matches!(
        open(&source("dos.log", b"a\r\nb\r\n")).unwrap(),
        Opened::Plain(_, 6)
    ));
}

/// A decoder-like reader: at most `step` bytes a call.
struct Trickle<'a> {
    data: &'a [u8],
    step: usize,
}
impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.data.len()).min(self.step);
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

#[test]
fn stream_buffers_stay_one_chunk_large_whatever_the_read_size() {
    let data: Vec<u8> = (0..20_000)
        .flat_map(|i| format!("line {i} {}\n", "y".repeat(i % 200)).into_bytes())
        .collect();
    let target = 100 << 10;
    let chunks: Vec<_> = StreamChunks::new(
        Trickle {
            data: &data,
            step: 5000,
        },
        target,
    )
    .map(Result::unwrap)
    .collect();
    assert!(chunks.len() > 10);
    for c in &chunks {
        assert!(
            c.data.capacity() <= target + (64 << 10),
            "a {} byte chunk holds {} bytes",
            c.data.len(),
            c.data.capacity()
        );
    }
    let joined: Vec<u8> = chunks.into_iter().flat_map(|c| c.data).collect();
    assert_eq!(joined, data);
}

/// A log with lines of every length around `max`, some far longer.
fn long_line_log(max: usize) -> Vec<u8> {
    let mut data = Vec::new();
    for i in 0..400 {
        let len = match i % 9 {
            0 => max + 1,
            3 => max,
            5 => 5 * max + i,
            7 => max - 1,
            _ => i % 50,
        };
        data.extend(std::iter::repeat_n(b'a' + (i % 26) as u8, len));
        data.push(b'\n');
    }
    data.extend_from_slice(&vec![b'z'; 3 * max]); // unended, too long
    data
}

/// Lines as (offset, length without LF).
type Lines = Vec<(u64, usize)>;

/// Lines of `data`.
fn lines_of(data: &[u8]) -> Lines {
    let mut out = Vec::new();
    let mut start = 0;
    while start < data.len() {
        let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |p| start + p);
        out.push((start as u64, end - start));
        start = end + 1;
    }
    out
}

/// The lines a reader holds and the ones it skipped, as (offset, length).
fn held_and_skipped(
    data: &[u8],
    pieces: impl Iterator<Item = (u64, Vec<u8>, Option<Range<u64>>)>,
) -> (Lines, Lines) {
    let (mut held, mut skipped) = (Vec::new(), Vec::new());
    for (offset, bytes, long) in pieces {
        assert_eq!(
            &data[offset as usize..offset as usize + bytes.len()],
            &bytes[..]
        );
        held.extend(lines_of(&bytes).into_iter().map(|(o, l)| (o + offset, l)));
        if let Some(r) = long {
            skipped.push((r.start, (r.end - r.start) as usize));
        }
    }
    (held, skipped)
}

#[test]
fn plans_leave_too_long_lines_unread_and_cap_every_range() {
    let max = 1000;
    let data = long_line_log(max);
    let mut file = tempfile::tempfile().unwrap();
    std::io::Write::write_all(&mut file, &data).unwrap();
    for target in [1, 700, 3000, 50_000] {
        let pieces = plan_chunks(&file, data.len() as u64, target, max).unwrap();
        let mut next = 0;
        let mut parts = Vec::new();
        for p in pieces {
            match p {
                Piece::Lines(r) => {
                    assert_eq!(r.start, next);
                    assert!(r.end - r.start <= (target + max + 1) as u64, "{r:?}");
                    next = r.end;
                    parts.push((
                        r.start,
                        data[r.start as usize..r.end as usize].to_vec(),
                        None,
                    ));
                }
                Piece::TooLong(r) => {
                    assert_eq!(r.start, next);
                    next = (r.end + 1).min(data.len() as u64);
                    parts.push((r.start, Vec::new(), Some(r)));
                }
            }
        }
        assert_eq!(next, data.len() as u64);
        let (held, skipped) = held_and_skipped(&data, parts.into_iter());
        // Every line is held or skipped, once; only long ones skipped.
        let mut all: Vec<_> = held.iter().chain(&skipped).copied().collect();
        all.sort_unstable();
        assert_eq!(all, lines_of(&data), "target {target}");
        assert!(skipped.iter().all(|&(_, l)| l > max));
        assert!(!skipped.is_empty());
    }
}

#[test]
fn stream_chunks_skip_too_long_lines_without_holding_them() {
    let max = 1000;
    let data = long_line_log(max);
    for (target, step) in [(1, 7), (700, 300), (3000, 5000), (50_000, 100_000)] {
        let chunks: Vec<OwnedChunk> = StreamChunks::new(Trickle { data: &data, step }, target)
            .max_line(max)
            .map(Result::unwrap)
            .collect();
        let mut next = 0;
        for c in &chunks {
            assert_eq!(c.offset, next);
            assert!(
                c.data.capacity() <= 2 * (target + max + TAIL),
                "{}",
                c.data.capacity()
            );
            next = c.end;
        }
        let parts = chunks.into_iter().map(|c| (c.offset, c.data, c.too_long));
        let (held, skipped) = held_and_skipped(&data, parts);
        let mut all: Vec<_> = held.iter().chain(&skipped).copied().collect();
        all.sort_unstable();
        assert_eq!(all, lines_of(&data), "target {target}");
        assert!(skipped.iter().all(|&(_, l)| l > max));
        // A line is skipped when it passes the limit before its end
        // is read; with small reads, every line five times the limit
        // does. (Longer lines held whole are the lanes' to reject.)
        if step < max {
            assert!(skipped.len() >= 400 / 9, "{}", skipped.len());
        }
    }
}

#[test]
fn a_too_long_line_cut_by_an_error_is_reported_then_the_error() {
    let mut data = b"one\n".to_vec();
    data.extend(vec![b'x'; 100]);
    let items: Vec<_> = StreamChunks::new(Failing(&data), 4).max_line(10).collect();
    let first = items[0].as_ref().unwrap();
    assert_eq!(first.data, b"one\n");
    let long = items.iter().find_map(|i| i.as_ref().ok()?.too_long.clone());
    assert_eq!(long, Some(4..104));
    assert!(items.last().unwrap().is_err());
}

#[test]
fn docker_json_file_lines_are_read_as_their_log_strings() {
    let docker = concat!(
        "{\"log\":\"192.0.2.1 - - [01/Jan/2026:00:00:00 +0000] \\\"GET / HTTP/1.1\\\" 200 5\\n\",\"stream\":\"stdout\",\"time\":\"2026-01-01T00:00:00.1Z\"}\n",
        "\n",
        "not json at all\n",
        "{\"log\":\"two\\r\\nlines\\u0041\\n\",\"stream\":\"stderr\",\"time\":\"2026-01-01T00:00:01Z\"}\n",
        "{\"log\":\"no newline at the end\",\"stream\":\"stdout\",\"time\":\"x\"}",
    );
    assert!(docker_head(docker.as_bytes()));
    let want = "192.0.2.1 - - [01/Jan/2026:00:00:00 +0000] \"GET / HTTP/1.1\" 200 5\n\nnot json at all\ntwo  linesA\nno newline at the end\n";
    for step in [1, 3, 100, 1 << 20] {
        let got = read_all(DockerLog::new(
            Trickle {
                data: docker.as_bytes(),
                step,
            },
            1 << 20,
        ));
        assert_eq!(String::from_utf8(got).unwrap(), want, "step {step}");
    }
    // A shipper's `message` with metadata objects reads the same.
    let k8s = b"{\"message\":\"m\\n\",\"stream\":\"stderr\",\"time\":\"t\",\"kubernetes\":{\"pod\":{}}}\n";
    assert_eq!(read_all(DockerLog::new(&k8s[..], 1 << 20)), b"m\n");
    // Other JSON lines, and any other file, pass unchanged.
    for other in [
        &b"{\"log\":\"x\",\"stream\":\"stdout\",\"time\":\"t\",\"level\":\"info\"}\n"[..],
        b"{\"log\":\"x\",\"stream\":\"app\",\"time\":\"t\"}\n",
        b"{\"log\":\"x\",\"message\":\"y\",\"stream\":\"stdout\",\"time\":\"t\"}\n",
        b"{\"log\":\"x\",\"time\":\"t\"}\n",
        b"192.0.2.1 - - [01/Jan/2026:00:00:00 +0000] \"GET / HTTP/1.1\" 200 5\n",
    ] {
        assert!(!docker_head(other));
        assert_eq!(read_all(DockerLog::new(other, 1 << 20)), other);
    }
}

#[test]
fn a_too_long_docker_line_passes_unheld_for_the_chunker() {
    let mut data = b"{\"log\":\"a\\n\",\"stream\":\"stdout\",\"time\":\"t\"}\n".to_vec();
    let long = format!(
        "{{\"log\":\"{}\",\"stream\":\"stdout\",\"time\":\"t\"}}",
        "b".repeat(3 * UNWRAP_BLOCK)
    );
    data.extend_from_slice(long.as_bytes());
    data.extend_from_slice(b"\n{\"log\":\"c\\n\",\"stream\":\"stdout\",\"time\":\"t\"}\n");
    // Read a few bytes at a time, as a decoder may: the long line
    // passes the limit before its end is seen.
    let src = Trickle {
        data: &data,
        step: 7,
    };
    let chunks: Vec<OwnedChunk> = StreamChunks::new(DockerLog::new(src, 100), 10)
        .max_line(100)
        .map(Result::unwrap)
        .collect();
    let held: Vec<u8> = chunks.iter().flat_map(|c| c.data.clone()).collect();
    assert_eq!(String::from_utf8_lossy(&held), "a\nc\n");
    let skipped: Vec<_> = chunks.iter().filter_map(|c| c.too_long.clone()).collect();
    assert_eq!(skipped, vec![2..2 + long.len() as u64]);
}

#[test]
fn the_ratio_guard_stops_a_bomb_and_spares_ordinary_output() {
    let guard = |out: u64, compressed: u64| RatioGuard {
        inner: io::repeat(b'0').take(out),
        compressed: Arc::new(AtomicU64::new(compressed)),
        out: 0,
        tripped: false,
    };
    // Within the grace, any ratio; past it, up to MAX_RATIO to one.
    assert_eq!(
        io::copy(&mut guard(RATIO_GRACE_BYTES, 1), &mut io::sink()).unwrap(),
        RATIO_GRACE_BYTES
    );
    let ok = 2 * RATIO_GRACE_BYTES;
    assert_eq!(
        io::copy(&mut guard(ok, ok.div_ceil(MAX_RATIO)), &mut io::sink()).unwrap(),
        ok
    );
    let mut bomb = guard(u64::MAX, ok / MAX_RATIO);
    let err = io::copy(&mut bomb, &mut io::sink()).unwrap_err();
    assert!(err.to_string().contains("decompression bomb"), "{err}");
    assert!(bomb.out <= ok + (64 << 10));
}

fn bzip2_of(parts: &[&[u8]]) -> Vec<u8> {
    let mut all = Vec::new();
    for p in parts {
        let mut enc = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        std::io::Write::write_all(&mut enc, p).unwrap();
        all.extend(enc.finish().unwrap());
    }
    all
}

#[test]
fn bzip2_inputs_are_sniffed_and_read_whole_across_streams() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.log.bz2");
    // Two streams, as pbzip2 writes: both must be read.
    let bz = bzip2_of(&[b"first line\n", b"second line\n"]);
    std::fs::write(&path, &bz).unwrap();
    assert_eq!(Compression::sniff(&bz), Compression::Bzip2);
    assert_eq!(Compression::sniff(b"BZh is a word"), Compression::None);
    let source = Source::new(path, bz.len() as u64, Compression::Bzip2);
    match open(&source).unwrap() {
        Opened::Stream(r) => assert_eq!(read_all(r), b"first line\nsecond line\n"),
        _ => panic!("a bzip2 file is a stream"),
    }
}

#[test]
fn documents_are_read_not_mapped_and_a_shrunk_one_is_a_short_read() {
    let mut file = tempfile::tempfile().unwrap();
    std::io::Write::write_all(&mut file, b"a,b\n1,2\n").unwrap();
    assert_eq!(read_document(&file, 8).unwrap(), b"a,b\n1,2\n");
    file.set_len(4).unwrap();
    assert_eq!(read_document(&file, 8).unwrap(), b"a,b\n");
    let err = read_document(&file, MAX_DOCUMENT_BYTES + 1).unwrap_err();
    assert!(err.to_string().contains("read whole"), "{err}");
}

/// Bytes rich in what the readers look at: line ends, quotes, JSON.
fn tricky_bytes() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
    use proptest::prelude::*;
    let piece = prop_oneof![
        Just(b"\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"{\"log\":\"x\\n\",\"stream\":\"stdout\",\"time\":\"t\"}\n".to_vec()),
        Just(b"\"\\u00".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..40),
    ];
    proptest::collection::vec(piece, 0..30).prop_map(|v| v.concat())
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1500))]

    /// Whatever the bytes, limit and read sizes: every line is held
    /// or skipped exactly once, only lines past the limit are
    /// skipped, and no chunk outgrows the target plus one line.
    #[test]
    fn stream_chunks_account_for_every_line(
        data in tricky_bytes(),
        target in 1usize..64,
        max in 1usize..48,
        step in 1usize..40,
    ) {
        let chunks: Vec<OwnedChunk> = StreamChunks::new(Trickle { data: &data, step }, target)
            .max_line(max)
            .map(Result::unwrap)
            .collect();
        let mut next = 0;
        for c in &chunks {
            proptest::prop_assert_eq!(c.offset, next);
            proptest::prop_assert!(c.data.len() <= target + max + step);
            next = c.end;
        }
        proptest::prop_assert_eq!(next, data.len() as u64);
        let parts = chunks.into_iter().map(|c| (c.offset, c.data, c.too_long));
        let (held, skipped) = held_and_skipped(&data, parts);
        let mut all: Vec<_> = held.iter().chain(&skipped).copied().collect();
        all.sort_unstable();
        proptest::prop_assert_eq!(all, lines_of(&data));
        proptest::prop_assert!(skipped.iter().all(|&(_, l)| l > max));
    }

    /// Unwrapping never panics and keeps one line per line.
    #[test]
    fn docker_unwrapping_keeps_one_line_per_line(
        data in tricky_bytes(),
        docker in proptest::bool::ANY,
        max in 1usize..200,
        step in 1usize..40,
    ) {
        let mut input = Vec::new();
        if docker {
            input.extend_from_slice(b"{\"log\":\"a\\n\",\"stream\":\"stdout\",\"time\":\"t\"}\n");
        }
        input.extend_from_slice(&data);
        let out = read_all(DockerLog::new(Trickle { data: &input, step }, max));
        proptest::prop_assert_eq!(lines_of(&out).len(), lines_of(&input).len());
    }
}

#[test]
fn whole_lines_leave_a_last_line_without_newline_unread() {
    let data = b"one\ntwo\nthr";
    let chunks: Vec<OwnedChunk> = StreamChunks::new(&data[..], 4)
        .whole_lines(true)
        .map(Result::unwrap)
        .collect();
    let read: Vec<u8> = chunks.iter().flat_map(|c| c.data.clone()).collect();
    assert_eq!(read, b"one\ntwo\n");
    assert_eq!(chunks.last().unwrap().end, 8);
    // Without it, the last line is read.
    let all: Vec<u8> = StreamChunks::new(&data[..], 4)
        .flat_map(|c| c.unwrap().data)
        .collect();
    assert_eq!(all, data);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.log");
    std::fs::write(&path, data).unwrap();
    let file = std::fs::File::open(&path).unwrap();
    assert_eq!(whole_lines_end(&file, 0, 11).unwrap(), 8);
    assert_eq!(whole_lines_end(&file, 8, 11).unwrap(), 8);
    assert_eq!(
        plan_chunks_from(&file, 4, 8, 2, 100).unwrap(),
        vec![Piece::Lines(4..8)]
    );
}

/// Opens `bytes` written to `name` as its compression, reads the stream
/// whole in small steps and returns the consumed counts seen along the way.
fn consumed_while_reading(name: &str, bytes: &[u8]) -> (Vec<u64>, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    let source = Source::new(path, bytes.len() as u64, Compression::sniff(bytes));
    let (opened, consumed) = open_counted(&source, Limits::default()).unwrap();
    let Opened::Stream(mut r) = opened else {
        panic!("{name} opens as a stream");
    };
    let (mut seen, mut out, mut buf) = (Vec::new(), Vec::new(), [0u8; 4096]);
    loop {
        let n = r.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
        seen.push(consumed.get());
    }
    seen.push(consumed.get());
    (seen, out)
}

/// Lines that compress well but not to nothing, like a log.
fn log_like(lines: usize) -> Vec<u8> {
    (0..lines)
        .flat_map(|i| {
            format!(
                "10.0.{}.{} - - GET /page/{} 200\n",
                i % 251,
                i % 7,
                i * 7919 % 100_003
            )
            .into_bytes()
        })
        .collect()
}

#[test]
fn a_gzip_input_consumes_its_on_disk_size_not_its_decompressed_size() {
    let plain = log_like(200_000);
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut enc, &plain).unwrap();
    let gz = enc.finish().unwrap();
    assert!(
        gz.len() * 3 < plain.len(),
        "the test needs real compression"
    );
    let (seen, out) = consumed_while_reading("access.log.1.gz", &gz);
    assert_eq!(out, plain);
    assert_eq!(*seen.last().unwrap(), gz.len() as u64);
    // Counted as it is consumed, not all at the end: halfway through the
    // output, about half of the file was taken (one 64 KiB buffer ahead).
    let half = seen[seen.len() / 2];
    assert!(
        half > 0 && half < gz.len() as u64 * 3 / 4,
        "{half} of {}",
        gz.len()
    );
    assert!(seen.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn zstd_and_bzip2_inputs_consume_their_on_disk_size() {
    let plain = log_like(20_000);
    let zst = zstd::stream::encode_all(&plain[..], 3).unwrap();
    let (seen, out) = consumed_while_reading("a.log.zst", &zst);
    assert_eq!(
        (out.len(), *seen.last().unwrap()),
        (plain.len(), zst.len() as u64)
    );
    let bz = bzip2_of(&[&plain]);
    let (seen, out) = consumed_while_reading("a.log.bz2", &bz);
    assert_eq!(
        (out.len(), *seen.last().unwrap()),
        (plain.len(), bz.len() as u64)
    );
}

#[test]
fn unwrapped_plain_files_count_their_bytes_and_plain_ones_leave_it_to_the_ranges() {
    // A lone-CR file streams through its translator: its own bytes count.
    let cr = b"one\rtwo\rthree\r".repeat(1000);
    let (seen, out) = consumed_while_reading("mac.log", &cr);
    assert_eq!(out.len(), cr.len());
    assert_eq!(*seen.last().unwrap(), cr.len() as u64);
    // A plain file is read by position: the reader of its ranges counts.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plain.log");
    std::fs::write(&path, b"a\nb\n").unwrap();
    let source = Source::new(path, 4, Compression::None);
    let (opened, consumed) = open_counted(&source, Limits::default()).unwrap();
    assert!(matches!(opened, Opened::Plain(_, 4)));
    assert_eq!(consumed.get(), 0);
}

//! Arbitrary bytes as a `.gz` input: `flate2::read::MultiGzDecoder` (what
//! `input::read::open` uses for gzip) read through `StreamChunks`, then the
//! chunks go the pipeline's stream path: detect on the first chunk, then
//! parse, veil and aggregate every chunk with the chosen format, each chunk
//! with its own veil worker, and merge them by absorbing each worker's
//! label table (`Labels::absorb`, `WebAggregate::merge`).
//!
//! Corrupt archives must end in an `Err` item, never a panic. The
//! decompressed size is capped (a 4 KiB deflate stream can expand to ~4 MiB)
//! so that a bomb costs time, not memory.
//!
//! The same bytes are also read as a plain stream through a reader that
//! returns short reads and fails at the end, checking `StreamChunks`'
//! documented contract: the chunks concatenate to the input, every chunk but
//! the last ends with a newline, and the error comes after the data, once.
#![no_main]

#[path = "one_thread.rs"]
mod one_thread;

use std::io::{self, Read};
use std::sync::{Arc, LazyLock};

use flate2::read::MultiGzDecoder;
use libfuzzer_sys::fuzz_target;
use logveil::aggregate::web::WebAggregate;
use logveil::formats::{ParseContext, detect};
use logveil::input::read::{OwnedChunk, StreamChunks};
use logveil::privacy::key::{Key, KeyMode};
use logveil::privacy::{Labels, Veil, VeilConfig};

/// Largest decompressed stream looked at.
const CAP: u64 = 1 << 20;

static VEIL: LazyLock<Veil> = LazyLock::new(|| {
    let key = Key::generate(KeyMode::Ephemeral).expect("random key");
    Veil::new(Arc::new(key), VeilConfig::default())
});

/// Mirrors the `Opened::Stream` branch of `pipeline::process_source`, with
/// a fresh lane (parse context, veil worker, aggregate) per chunk, merged
/// as `Lanes::merge` merges lanes.
fn pipeline_stream(reader: impl Read, target: usize) {
    let veil = &*VEIL;
    let gap = i64::from(veil.config().policy.sessions.gap_minutes) * 60;
    let mut chunks = StreamChunks::new(reader, target).enumerate().peekable();
    let mut format = None;
    let mut labels = Labels::default();
    let mut others = Vec::new();
    let mut offset = 0u64;
    while let Some((_, item)) = chunks.next() {
        let Ok(chunk) = item else {
            break;
        };
        assert_eq!(chunk.offset, offset, "chunk offsets not contiguous");
        offset += chunk.data.len() as u64;
        if format.is_none() {
            let complete = chunks.peek().is_none_or(|(_, next)| next.is_err());
            let d = detect::detect(&chunk.data, complete);
            match d.format {
                Some(f) => format = Some(f),
                None => return,
            }
        }
        let Some(f) = format else { continue };
        let mut cx = ParseContext::default();
        let mut worker = veil.worker();
        let mut agg = WebAggregate::new(gap);
        for raw in chunk.data.split(|&c| c == b'\n') {
            let line = raw.strip_suffix(b"\r").unwrap_or(raw);
            if f.skip(line).is_some() {
                continue;
            }
            if let Ok(rec) = f.parse(line, &mut cx) {
                agg.add(worker.apply(&rec));
            }
        }
        others.push((agg, labels.absorb(worker.labels())));
    }
    for table in
        WebAggregate::new(gap).into_tables(others, labels, &veil.config().policy.suppression, |t| t)
    {
        table.expect("tables from a valid aggregate");
    }
}

/// A reader that hands out at most `step` bytes per call, then fails.
struct Jittery<'a> {
    data: &'a [u8],
    step: usize,
    failed: bool,
}

impl Read for Jittery<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.data.is_empty() {
            if self.failed {
                return Ok(0);
            }
            self.failed = true;
            return Err(io::Error::other("injected"));
        }
        let n = self.step.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fn check_plain_stream(data: &[u8]) {
    let step = 1 + data.len() % 13;
    let target = 1 + data.len() % 97;
    let reader = Jittery {
        data,
        step,
        failed: false,
    };
    let items: Vec<io::Result<OwnedChunk>> = StreamChunks::new(reader, target).collect();
    let (last, chunks) = items.split_last().expect("the injected error is yielded");
    assert!(last.is_err(), "stream must end with the injected error");
    let chunks: Vec<&OwnedChunk> = chunks
        .iter()
        .map(|c| c.as_ref().expect("only the last item is an error"))
        .collect();
    let joined: Vec<u8> = chunks.iter().flat_map(|c| c.data.iter().copied()).collect();
    assert_eq!(joined, data, "chunks do not concatenate to the stream");
    let mut offset = 0u64;
    for (i, c) in chunks.iter().enumerate() {
        assert_eq!(c.offset, offset);
        assert!(!c.data.is_empty(), "empty chunk");
        offset += c.data.len() as u64;
        if i + 1 < chunks.len() {
            assert_eq!(c.data.last(), Some(&b'\n'), "chunk {i} not newline-aligned");
        }
    }
}

fuzz_target!(|data: &[u8]| one_thread::POOL.install(|| one_input(data)));

fn one_input(data: &[u8]) {
    for target in [1usize, 64, 4096] {
        pipeline_stream(MultiGzDecoder::new(data).take(CAP), target);
    }
    check_plain_stream(data);
}

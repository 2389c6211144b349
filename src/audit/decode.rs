//! Turning any non-Parquet file of an output directory into text to scan.
//!
//! Files are recognised by content, not by name: gzip and zstd streams are
//! decompressed (layers nested up to [`MAX_LAYERS`] deep), UTF-16 is decoded
//! by its byte-order mark or, without one, by where its zero bytes fall,
//! and everything else is read as UTF-8 with invalid bytes replaced (a
//! Latin-1 `é` becomes `�`, which cannot hide an address or e-mail). A file
//! in a container the audit cannot open (bzip2, xz, zip, Parquet inside a
//! compressed file) is reported as unreadable rather than passed: an audit
//! that did not look cannot say clean.

use std::io::Read;

/// Decompressed bytes beyond this are not read: the file is reported
/// unreadable, so a compression bomb stops the audit of one file only.
pub const MAX_DECODED_BYTES: u64 = 1 << 30;

/// Compression layers undone at most (`x.gz.zst`).
pub const MAX_LAYERS: usize = 4;

/// What a file's bytes turned out to be.
#[derive(Debug)]
pub enum Decoded {
    /// Text, and how it was reached (`gzip, UTF-16LE`), empty for plain.
    Text(String, Vec<&'static str>),
    /// A Parquet file (inside a compressed layer, which is not examined).
    Parquet,
}

/// Decodes `bytes` to text; `Err` names what could not be opened.
pub fn decode(mut bytes: Vec<u8>) -> Result<Decoded, String> {
    let mut layers = Vec::new();
    for _ in 0..=MAX_LAYERS {
        let next = if bytes.starts_with(&[0x1f, 0x8b]) {
            layers.push("gzip");
            read_limited(flate2::read::MultiGzDecoder::new(bytes.as_slice()))
        } else if bytes.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            layers.push("zstd");
            zstd::stream::read::Decoder::new(bytes.as_slice()).and_then(read_limited)
        } else if bytes.starts_with(b"PAR1") {
            return Ok(Decoded::Parquet);
        } else if let Some(container) = unsupported(&bytes) {
            return Err(format!("{container} content cannot be examined"));
        } else {
            let text = text(&bytes, &mut layers);
            return Ok(Decoded::Text(text, layers));
        };
        bytes = next.map_err(|e| format!("cannot decompress ({}): {e}", layers.join(", ")))?;
    }
    Err(format!("more than {MAX_LAYERS} compression layers"))
}

fn read_limited<R: Read>(r: R) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    r.take(MAX_DECODED_BYTES + 1).read_to_end(&mut out)?;
    if out.len() as u64 > MAX_DECODED_BYTES {
        return Err(std::io::Error::other(format!(
            "more than {MAX_DECODED_BYTES} bytes decompressed"
        )));
    }
    Ok(out)
}

/// Containers recognised by their magic bytes that the audit cannot open.
fn unsupported(b: &[u8]) -> Option<&'static str> {
    if b.len() >= 4 && b.starts_with(b"BZh") && b[3].is_ascii_digit() {
        Some("bzip2")
    } else if b.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        Some("xz")
    } else if b.starts_with(b"PK\x03\x04") {
        Some("zip")
    } else if b.starts_with(&[b'7', b'z', 0xbc, 0xaf, 0x27, 0x1c]) {
        Some("7z")
    } else {
        None
    }
}

#[derive(Clone, Copy)]
enum Utf16 {
    Le,
    Be,
}

/// UTF-16 without a byte-order mark: text in any script written as
/// UTF-16 has most of its ASCII (digits, dots, `@`) with a zero high byte,
/// so zeros crowd on one side of each byte pair, while UTF-8 text has none.
fn sniff_utf16(b: &[u8]) -> Option<Utf16> {
    let sample = &b[..b.len().min(64 << 10) & !1];
    let pairs = sample.len() / 2;
    if pairs < 2 {
        return None;
    }
    let zeros_even = sample.iter().step_by(2).filter(|&&x| x == 0).count();
    let zeros_odd = sample
        .iter()
        .skip(1)
        .step_by(2)
        .filter(|&&x| x == 0)
        .count();
    let lots = |n: usize| n * 10 >= pairs * 3;
    let few = |n: usize| n * 20 <= pairs;
    if lots(zeros_odd) && few(zeros_even) {
        Some(Utf16::Le)
    } else if lots(zeros_even) && few(zeros_odd) {
        Some(Utf16::Be)
    } else {
        None
    }
}

fn text(b: &[u8], layers: &mut Vec<&'static str>) -> String {
    let (encoding, body) = if let Some(rest) = b.strip_prefix(&[0xef, 0xbb, 0xbf]) {
        (None, rest)
    } else if let Some(rest) = b.strip_prefix(&[0xff, 0xfe]) {
        (Some(Utf16::Le), rest)
    } else if let Some(rest) = b.strip_prefix(&[0xfe, 0xff]) {
        (Some(Utf16::Be), rest)
    } else {
        (sniff_utf16(b), b)
    };
    match encoding {
        None => String::from_utf8_lossy(body).into_owned(),
        Some(e) => {
            layers.push(match e {
                Utf16::Le => "UTF-16LE",
                Utf16::Be => "UTF-16BE",
            });
            let units = body.chunks_exact(2).map(|p| match e {
                Utf16::Le => u16::from_le_bytes([p[0], p[1]]),
                Utf16::Be => u16::from_be_bytes([p[0], p[1]]),
            });
            char::decode_utf16(units)
                .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn utf16(s: &str, le: bool, bom: bool) -> Vec<u8> {
        let mut out = Vec::new();
        if bom {
            out.extend(if le { [0xff, 0xfe] } else { [0xfe, 0xff] });
        }
        for u in s.encode_utf16() {
            out.extend(if le { u.to_le_bytes() } else { u.to_be_bytes() });
        }
        out
    }

    fn as_text(b: Vec<u8>) -> (String, Vec<&'static str>) {
        match decode(b) {
            Ok(Decoded::Text(t, l)) => (t, l),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_encoding_reads_back() {
        let s = "note: 198.51.100.23 jane@example.edu\n";
        for le in [true, false] {
            for bom in [true, false] {
                assert_eq!(as_text(utf16(s, le, bom)).0, s, "le {le} bom {bom}");
            }
        }
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&utf16(s, true, false)).unwrap();
        let zst = zstd::encode_all(gz.finish().unwrap().as_slice(), 1).unwrap();
        assert_eq!(
            as_text(zst),
            (s.to_string(), vec!["zstd", "gzip", "UTF-16LE"])
        );
        assert_eq!(as_text(s.as_bytes().to_vec()).1, Vec::<&str>::new());
    }

    #[test]
    fn unopenable_containers_are_errors() {
        assert!(decode(b"BZh91AY&SY".to_vec()).is_err());
        assert!(decode(vec![0x1f, 0x8b, 1, 2, 3]).is_err());
        assert!(matches!(decode(b"PAR1....".to_vec()), Ok(Decoded::Parquet)));
    }
}

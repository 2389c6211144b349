//! The secret key behind every pseudonym.
//!
//! A key is 32 random bytes. On disk it is exactly what `logveil keygen`
//! writes: 64 hexadecimal digits and an optional newline. Anything else is
//! refused, including 32 raw bytes, so that a key is always a file an
//! operator can inspect and copy without mangling it.
//!
//! A key file must not be readable by group or others, and must not lie
//! inside an input (a run would read it as a log) or the output directory
//! (it would be published with the tables): whoever holds the key can
//! recompute every pseudonym from a list of candidate addresses, so the key
//! is what separates a pseudonymised output from personal data.
//!
//! Keys that are plainly not random are refused (see [`Weakness`]): with a
//! guessable key, the manifest's fingerprint and any published pseudonym
//! confirm guesses offline. The tests are chosen so that a key drawn by
//! `keygen` fails them with probability below 10^-13 (the printable-text
//! test dominates; the others are below 10^-25), and `keygen` draws again
//! in that case, so a key it writes is always accepted.
//!
//! Without a key file a run uses an ephemeral key drawn from the operating
//! system and dropped at exit: its pseudonyms cannot be linked to any other
//! run, which is safe but makes cross-run visitor counts impossible.
//!
//! The key's bytes never leave this module except into `derive_key`; its
//! `Debug` output is redacted, and outputs carry only fingerprints derived
//! under their own contexts: the key's ([`Key::fingerprint`]), an input
//! path's ([`Key::path_id`]) and a policy list's ([`Key::list_fingerprint`]).

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::input::discover::{Within, within_run};

/// Key length in bytes.
pub const KEY_LEN: usize = 32;

const FINGERPRINT_CONTEXT: &str = "logveil 2026-11 key fingerprint v1";
const PATH_ID_CONTEXT: &str = "logveil 2026-11 input path id v1";
const LIST_FINGERPRINT_CONTEXT: &str = "logveil 2026-11 policy list fingerprint v1";

/// A key whose bytes repeat with a period this short (or whose successive
/// differences do) holds at most this many free bytes and is not random:
/// 32 random bytes do so with probability below 2^-120.
const MAX_PERIOD: usize = KEY_LEN / 2;

/// Fewer distinct byte values than this is refused. 32 random bytes have
/// about 30 distinct values, fewer than 20 with probability 1.4 x 10^-10,
/// and fewer than 12 with probability 6 x 10^-26.
pub const MIN_DISTINCT_BYTES: usize = 12;

/// One byte value filling this many of the 32 positions is refused (a few
/// non-zero bytes in a zero key, `00…01`); random keys do so with
/// probability below 10^-27.
const MAX_SAME_BYTE: usize = KEY_LEN / 2;

/// How 32 bytes show they were not drawn at random.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Weakness {
    /// Every byte is the same.
    AllEqual,
    /// The bytes repeat a short pattern (`deadbeef` x 8).
    Repeats {
        /// Length of the pattern in bytes.
        period: usize,
    },
    /// Successive bytes step in a repeating way (`00 01 02 …`).
    Steps,
    /// One value fills many positions (`00…01`).
    MostlyOneValue {
        /// Positions holding the most common value.
        count: usize,
    },
    /// Too few distinct byte values.
    FewValues {
        /// Distinct values.
        distinct: usize,
    },
    /// Every byte is printable ASCII: a password or phrase, hex-encoded.
    Text,
}

impl std::fmt::Display for Weakness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Weakness::AllEqual => write!(f, "all its bytes are equal"),
            Weakness::Repeats { period } => {
                write!(f, "its bytes repeat a pattern of {period} bytes")
            }
            Weakness::Steps => write!(f, "its bytes count up or down in a pattern"),
            Weakness::MostlyOneValue { count } => {
                write!(f, "{count} of its {KEY_LEN} bytes have the same value")
            }
            Weakness::FewValues { distinct } => write!(
                f,
                "it has only {distinct} distinct byte values, where random keys have at least {MIN_DISTINCT_BYTES}"
            ),
            Weakness::Text => write!(
                f,
                "every byte is printable text: it looks like a hex-encoded password, not random bytes"
            ),
        }
    }
}

/// The smallest period up to [`MAX_PERIOD`] with which `values` repeat.
fn short_period(values: &[u8]) -> Option<usize> {
    (1..=MAX_PERIOD).find(|&p| values.iter().zip(&values[p..]).all(|(a, b)| a == b))
}

/// Why `bytes` cannot be a random key, if they plainly cannot.
pub fn weakness(bytes: &[u8; KEY_LEN]) -> Option<Weakness> {
    match short_period(bytes) {
        Some(1) => return Some(Weakness::AllEqual),
        Some(period) => return Some(Weakness::Repeats { period }),
        None => {}
    }
    let steps: Vec<u8> = bytes.windows(2).map(|w| w[1].wrapping_sub(w[0])).collect();
    if short_period(&steps).is_some() {
        return Some(Weakness::Steps);
    }
    let mut counts = [0usize; 256];
    for b in bytes {
        counts[usize::from(*b)] += 1;
    }
    let count = counts.iter().copied().max().unwrap_or(0);
    if count >= MAX_SAME_BYTE {
        return Some(Weakness::MostlyOneValue { count });
    }
    let distinct = counts.iter().filter(|c| **c > 0).count();
    if distinct < MIN_DISTINCT_BYTES {
        return Some(Weakness::FewValues { distinct });
    }
    if bytes.iter().all(|b| (0x20..0x7f).contains(b)) {
        return Some(Weakness::Text);
    }
    None
}

/// Why a key could not be loaded or written. Messages name the file and the
/// fix, never the key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The file could not be opened or read.
    #[error("cannot read key file {path}: {source}")]
    Read {
        /// The key file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is readable by group or others.
    #[error(
        "key file {path} is readable by group or others (mode {mode:03o}); \
         a key must be private: run `chmod 600 {path}`"
    )]
    Permissions {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The content is not a key.
    #[error(
        "key file {path} does not hold a key: expected exactly 64 hexadecimal digits \
         and an optional newline, as a newly generated key file holds"
    )]
    Malformed {
        /// The key file.
        path: PathBuf,
    },
    /// The content is a key that was plainly not drawn at random.
    #[error(
        "key file {path} holds a weak key ({weakness}); a key must be 32 random bytes: \
         generate a new key file"
    )]
    Weak {
        /// The key file.
        path: PathBuf,
        /// What gives it away.
        weakness: Weakness,
    },
    /// The key file lies where a run reads logs or publishes tables.
    #[error(
        "key file {path} is inside {within}, where it would be read as a log or \
         published with the tables; move it outside the logs and the outputs \
         (for example to /etc/logveil/, mode 0600)"
    )]
    Exposed {
        /// The key file.
        path: PathBuf,
        /// The input or output it is inside.
        within: Within,
    },
    /// `keygen` would overwrite an existing file.
    #[error(
        "{path} already exists; refusing to overwrite a key, since pseudonyms made \
         with it could no longer be recomputed. Choose another path or remove it first"
    )]
    Exists {
        /// The existing file.
        path: PathBuf,
    },
    /// `keygen` could not write the file.
    #[error("cannot write key file {path}: {source}")]
    Write {
        /// The key file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The operating system's random source failed.
    #[error("the operating system's random source failed: {0}")]
    Random(String),
}

/// How the run's key was obtained; recorded in the manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyMode {
    /// Loaded from a key file: pseudonyms are stable across runs with it.
    File,
    /// Random for this run only: pseudonyms link to nothing else.
    Ephemeral,
}

impl KeyMode {
    /// Name as the manifest writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyMode::File => "file",
            KeyMode::Ephemeral => "ephemeral",
        }
    }
}

/// A 32-byte secret key.
pub struct Key {
    bytes: [u8; KEY_LEN],
    mode: KeyMode,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Key")
            .field("mode", &self.mode)
            .field("fingerprint", &self.fingerprint())
            .finish_non_exhaustive()
    }
}

impl Drop for Key {
    fn drop(&mut self) {
        // Best effort: the bytes may have been copied by the OS or moves,
        // but not leaving them in freed memory is cheap.
        self.bytes = [0; KEY_LEN];
        std::hint::black_box(&self.bytes);
    }
}

impl Key {
    /// A fresh random key (for `keygen` or an ephemeral run). Drawn again
    /// in the rare case it looks weak, so every key written is accepted.
    pub fn generate(mode: KeyMode) -> Result<Key, KeyError> {
        let mut bytes = [0u8; KEY_LEN];
        loop {
            getrandom::fill(&mut bytes).map_err(|e| KeyError::Random(e.to_string()))?;
            if weakness(&bytes).is_none() {
                return Ok(Key { bytes, mode });
            }
        }
    }

    /// Refuses a key file inside any of `inputs` (files or directories) or
    /// inside the output directory `out`, comparing resolved paths.
    pub fn check_location<'a>(
        path: &Path,
        inputs: impl IntoIterator<Item = &'a Path>,
        out: &Path,
    ) -> Result<(), KeyError> {
        match within_run(path, inputs, out) {
            Some(within) => Err(KeyError::Exposed {
                path: path.to_path_buf(),
                within,
            }),
            None => Ok(()),
        }
    }

    /// Loads a key file, refusing one that others can read, one not in
    /// `keygen`'s form and one that is plainly not random.
    pub fn from_file(path: &Path) -> Result<Key, KeyError> {
        let read_err = |source| KeyError::Read {
            path: path.to_path_buf(),
            source,
        };
        let meta = std::fs::metadata(path).map_err(read_err)?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(KeyError::Permissions {
                path: path.to_path_buf(),
                mode,
            });
        }
        let content = std::fs::read(path).map_err(read_err)?;
        let bytes = decode(&content).ok_or_else(|| KeyError::Malformed {
            path: path.to_path_buf(),
        })?;
        if let Some(weakness) = weakness(&bytes) {
            return Err(KeyError::Weak {
                path: path.to_path_buf(),
                weakness,
            });
        }
        Ok(Key {
            bytes,
            mode: KeyMode::File,
        })
    }

    /// Writes the key as hex to a new file with mode 0600. Never overwrites.
    pub fn write_new(&self, path: &Path) -> Result<(), KeyError> {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(|source| {
                if source.kind() == std::io::ErrorKind::AlreadyExists {
                    KeyError::Exists {
                        path: path.to_path_buf(),
                    }
                } else {
                    KeyError::Write {
                        path: path.to_path_buf(),
                        source,
                    }
                }
            })?;
        let mut text = String::with_capacity(KEY_LEN * 2 + 1);
        for b in self.bytes {
            text.push_str(&format!("{b:02x}"));
        }
        text.push('\n');
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|source| KeyError::Write {
                path: path.to_path_buf(),
                source,
            })
    }

    /// How the key was obtained.
    pub fn mode(&self) -> KeyMode {
        self.mode
    }

    /// A short public identifier of the key (16 hex digits), derived under
    /// its own context so it reveals nothing about any pseudonym.
    pub fn fingerprint(&self) -> String {
        short_hex(&blake3::derive_key(FINGERPRINT_CONTEXT, &self.bytes))
    }

    /// A public id of an input path (16 hex digits): stable across runs
    /// with this key, meaningless without it. Paths carry names, addresses
    /// and meeting ids, so outputs name inputs by this id only.
    pub fn path_id(&self, path: &Path) -> String {
        short_hex(&self.derive(PATH_ID_CONTEXT, path.as_os_str().as_encoded_bytes()))
    }

    /// A public fingerprint (16 hex digits) of a set of strings, in any
    /// order and with repeats: it changes when the set does, and without
    /// the key it confirms no guess of the members.
    pub fn list_fingerprint<'a>(&self, items: impl IntoIterator<Item = &'a str>) -> String {
        let mut items: Vec<&str> = items.into_iter().collect();
        items.sort_unstable();
        items.dedup();
        // Length-prefixed, so no two different lists give the same bytes.
        let mut material = Vec::new();
        for item in items {
            material.extend_from_slice(&(item.len() as u64).to_le_bytes());
            material.extend_from_slice(item.as_bytes());
        }
        short_hex(&self.derive(LIST_FINGERPRINT_CONTEXT, &material))
    }

    /// Derives a subkey. The only way the key's bytes are used.
    pub(in crate::privacy) fn derive(&self, context: &'static str, material: &[u8]) -> [u8; 32] {
        let mut hasher = blake3::Hasher::new_derive_key(context);
        hasher.update(&self.bytes);
        hasher.update(material);
        *hasher.finalize().as_bytes()
    }
}

/// The first 8 bytes as 16 hex digits.
fn short_hex(bytes: &[u8; 32]) -> String {
    bytes[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// `keygen`'s form: 64 hex digits, then nothing or one newline.
fn decode(content: &[u8]) -> Option<[u8; KEY_LEN]> {
    let mut out = [0u8; KEY_LEN];
    let text = content.strip_suffix(b"\n").unwrap_or(content);
    if text.len() != KEY_LEN * 2 {
        return None;
    }
    for (o, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
        let hi = (pair[0] as char).to_digit(16)?;
        let lo = (pair[1] as char).to_digit(16)?;
        *o = (hi * 16 + lo) as u8;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Drawn once from the OS, as `keygen` would: passes every test.
    const STRONG: &str = "75200ec64bbc10284a26c57ddef223b424f9afeb85a4b1cd71759979b3e15abb";

    fn write(dir: &Path, name: &str, content: &[u8], mode: u32) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, content).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        p
    }

    fn weak(hex: &str) -> Option<Weakness> {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "k", hex.as_bytes(), 0o600);
        match Key::from_file(&p) {
            Err(KeyError::Weak { weakness, .. }) => Some(weakness),
            Err(e) => panic!("{hex}: {e}"),
            Ok(_) => None,
        }
    }

    #[test]
    fn keygen_round_trip_with_private_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        let key = Key::generate(KeyMode::File).unwrap();
        key.write_new(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let back = Key::from_file(&path).unwrap();
        assert_eq!(back.fingerprint(), key.fingerprint());
        assert!(matches!(key.write_new(&path), Err(KeyError::Exists { .. })));
    }

    #[test]
    fn every_generated_key_passes_the_weakness_tests() {
        for _ in 0..2000 {
            let key = Key::generate(KeyMode::Ephemeral).unwrap();
            assert_eq!(weakness(&key.bytes), None);
        }
        assert_eq!(weak(STRONG), None);
    }

    #[test]
    fn shared_short_and_malformed_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "shared", STRONG.as_bytes(), 0o640);
        let err = Key::from_file(&p).unwrap_err();
        assert!(matches!(err, KeyError::Permissions { mode: 0o640, .. }));
        assert!(err.to_string().contains("chmod 600"));
        let malformed = |name: &str, content: &[u8]| {
            let p = write(dir.path(), name, content, 0o600);
            let err = Key::from_file(&p).unwrap_err();
            assert!(matches!(err, KeyError::Malformed { .. }), "{name}: {err}");
            assert!(
                err.to_string().contains("64 hexadecimal digits"),
                "{name}: {err}"
            );
            assert!(!err.to_string().contains("--"), "{name}: no flag: {err}");
        };
        malformed("short", b"abcd\n");
        malformed("nothex", "zz".repeat(32).as_bytes());
        // 32 raw bytes are not keygen's form, however random.
        let mut raw = [0u8; KEY_LEN];
        getrandom::fill(&mut raw).unwrap();
        malformed("raw", &raw);
        malformed("two newlines", format!("{STRONG}\n\n").as_bytes());
        malformed("spaces", format!("  {STRONG}\n").as_bytes());
        malformed("crlf", format!("{STRONG}\r\n").as_bytes());
        malformed("long", format!("{STRONG}00\n").as_bytes());
        for ok in [
            format!("{STRONG}\n"),
            STRONG.to_string(),
            STRONG.to_uppercase(),
        ] {
            let p = write(dir.path(), "ok", ok.as_bytes(), 0o400);
            assert!(Key::from_file(&p).is_ok(), "{ok:?}");
            std::fs::remove_file(&p).unwrap();
        }
    }

    #[test]
    fn low_entropy_keys_are_refused_with_the_reason_and_the_fix() {
        assert_eq!(weak(&"00".repeat(32)), Some(Weakness::AllEqual));
        assert_eq!(weak(&"a7".repeat(32)), Some(Weakness::AllEqual));
        assert_eq!(
            weak(&"deadbeef".repeat(8)),
            Some(Weakness::Repeats { period: 4 })
        );
        assert_eq!(
            weak(&"0123456789abcdef".repeat(4)),
            Some(Weakness::Repeats { period: 8 })
        );
        // Half a random key, twice.
        assert_eq!(
            weak(&STRONG[..32].repeat(2)),
            Some(Weakness::Repeats { period: 16 })
        );
        // Counting: 00 01 02 … 1f, and 0f 1e 2d … (constant step).
        let counting: String = (0u8..32).map(|b| format!("{b:02x}")).collect();
        assert_eq!(weak(&counting), Some(Weakness::Steps));
        let stepping: String = (0u8..32)
            .map(|b| format!("{:02x}", b.wrapping_mul(15)))
            .collect();
        assert_eq!(weak(&stepping), Some(Weakness::Steps));
        assert_eq!(
            weak(&format!("{}01", "00".repeat(31))),
            Some(Weakness::MostlyOneValue { count: 31 })
        );
        // Five non-zero bytes scattered in a zero key.
        let sparse = format!("{}{}", "00".repeat(27), &STRONG[..10]);
        assert_eq!(weak(&sparse), Some(Weakness::MostlyOneValue { count: 27 }));
        // 32 bytes drawn from 8 values, in no pattern.
        let few: String = STRONG
            .as_bytes()
            .chunks(2)
            .map(|c| format!("{:02x}", (c[0] ^ c[1]) % 8 * 31))
            .collect();
        assert!(matches!(
            weak(&few),
            Some(Weakness::FewValues { distinct }) if distinct < MIN_DISTINCT_BYTES
        ));
        let phrase: String = b"correct horse battery staple ok!"
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(weak(&phrase), Some(Weakness::Text));

        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "k", "deadbeef".repeat(8).as_bytes(), 0o600);
        let err = Key::from_file(&p).unwrap_err().to_string();
        assert!(err.contains("weak key"), "{err}");
        assert!(err.contains("generate a new key file"), "{err}");
        assert!(!err.contains("--"), "library errors name no flag: {err}");
        assert!(!err.contains("deadbeef"), "{err}");
    }

    #[test]
    fn a_key_inside_an_input_or_the_output_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("logs/2026")).unwrap();
        std::fs::create_dir_all(root.join("etc")).unwrap();
        let in_logs = write(
            &root.join("logs/2026"),
            "veil.key",
            STRONG.as_bytes(),
            0o600,
        );
        let apart = write(&root.join("etc"), "veil.key", STRONG.as_bytes(), 0o600);
        let logs = root.join("logs");
        let out = root.join("out");
        let err = Key::check_location(&in_logs, [logs.as_path()], &out).unwrap_err();
        assert!(
            matches!(&err, KeyError::Exposed { within: Within::Input(p), .. } if *p == logs),
            "{err}"
        );
        let text = err.to_string();
        assert!(
            text.contains("veil.key") && text.contains("/etc/logveil/"),
            "{text}"
        );
        assert!(
            !text.contains("--"),
            "no CLI flag in a library error: {text}"
        );
        // The key file itself given as an input.
        assert!(Key::check_location(&apart, [apart.as_path()], &out).is_err());
        // Inside the output directory, existing or not yet created.
        let err = Key::check_location(&in_logs, [], &root.join("logs/2026")).unwrap_err();
        assert!(matches!(
            err,
            KeyError::Exposed {
                within: Within::Output(_),
                ..
            }
        ));
        let later = write(&root.join("etc"), "k2", STRONG.as_bytes(), 0o600);
        assert!(Key::check_location(&later, [], &root.join("etc")).is_err());
        assert!(Key::check_location(&apart, [logs.as_path()], &out).is_ok());
        assert!(Key::check_location(&apart, [logs.as_path()], &root.join("etc/sub")).is_ok());
    }

    #[test]
    fn ids_and_list_fingerprints_are_keyed_and_stable() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "k", STRONG.as_bytes(), 0o600);
        let key = Key::from_file(&p).unwrap();
        let other = Key::generate(KeyMode::Ephemeral).unwrap();
        let path = Path::new("/logs/participants_94455556666.csv");
        let id = key.path_id(path);
        assert_eq!(id.len(), 16);
        assert_eq!(id, Key::from_file(&p).unwrap().path_id(path));
        assert_ne!(id, other.path_id(path));
        assert_ne!(
            id,
            key.path_id(Path::new("/logs/participants_94455556667.csv"))
        );
        assert_ne!(id, key.fingerprint());
        let a = key.list_fingerprint(["b@x.edu", "a@x.edu"]);
        assert_eq!(a, key.list_fingerprint(["a@x.edu", "b@x.edu", "a@x.edu"]));
        assert_ne!(a, key.list_fingerprint(["a@x.edu"]));
        assert_ne!(a, key.list_fingerprint(["a@x.edub@x.edu"]));
        assert_ne!(a, other.list_fingerprint(["a@x.edu", "b@x.edu"]));
    }

    #[test]
    fn debug_and_errors_never_show_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "k", STRONG.as_bytes(), 0o644);
        let err = Key::from_file(&p).unwrap_err().to_string();
        assert!(!err.contains(STRONG));
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        let key = Key::from_file(&p).unwrap();
        let dbg = format!("{key:?}");
        assert!(!dbg.contains(&STRONG[..8]), "{dbg}");
        assert!(!key.fingerprint().contains(&STRONG[..8]));
    }
}

//! The secret key behind every pseudonym.
//!
//! A key is 32 random bytes. On disk it is 64 hexadecimal characters and a
//! newline (what `logveil keygen` writes), or 32 raw bytes. A key file must
//! not be readable by group or others: whoever holds the key can recompute
//! every pseudonym from a list of candidate addresses, so the key is what
//! separates a pseudonymised output from personal data.
//!
//! Without a key file a run uses an ephemeral key drawn from the operating
//! system and dropped at exit: its pseudonyms cannot be linked to any other
//! run, which is safe but makes cross-run visitor counts impossible.
//!
//! The key's bytes never leave this module except into `derive_key`; its
//! `Debug` output is redacted, and the manifest carries only a
//! [`Key::fingerprint`] derived under its own context.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Key length in bytes.
pub const KEY_LEN: usize = 32;

const FINGERPRINT_CONTEXT: &str = "logveil 2026-11 key fingerprint v1";

/// Why a key could not be loaded or written. Messages name the file and the
/// fix, never the key.
#[derive(Debug, thiserror::Error)]
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
        "key file {path} does not hold a key: expected 64 hexadecimal characters \
         (or 32 raw bytes) as written by `logveil keygen --out FILE`"
    )]
    Malformed {
        /// The key file.
        path: PathBuf,
    },
    /// The content is a key with no entropy (all bytes equal).
    #[error(
        "key file {path} holds a weak key (all bytes equal); create one with `logveil keygen --out FILE`"
    )]
    Weak {
        /// The key file.
        path: PathBuf,
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
    /// A fresh random key (for `keygen` or an ephemeral run).
    pub fn generate(mode: KeyMode) -> Result<Key, KeyError> {
        let mut bytes = [0u8; KEY_LEN];
        getrandom::fill(&mut bytes).map_err(|e| KeyError::Random(e.to_string()))?;
        Ok(Key { bytes, mode })
    }

    /// Loads a key file, refusing one that others can read.
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
        if bytes.iter().all(|b| *b == bytes[0]) {
            return Err(KeyError::Weak {
                path: path.to_path_buf(),
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
        let fp = blake3::derive_key(FINGERPRINT_CONTEXT, &self.bytes);
        fp[..8].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Derives a subkey. The only way the key's bytes are used.
    pub(in crate::privacy) fn derive(&self, context: &'static str, material: &[u8]) -> [u8; 32] {
        let mut hasher = blake3::Hasher::new_derive_key(context);
        hasher.update(&self.bytes);
        hasher.update(material);
        *hasher.finalize().as_bytes()
    }
}

fn decode(content: &[u8]) -> Option<[u8; KEY_LEN]> {
    let mut out = [0u8; KEY_LEN];
    if content.len() == KEY_LEN {
        out.copy_from_slice(content);
        return Some(out);
    }
    let text = content.trim_ascii();
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

    fn write(dir: &Path, name: &str, content: &[u8], mode: u32) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, content).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        p
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
    fn shared_short_zero_and_malformed_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let good = "0123456789abcdef".repeat(4);
        let p = write(dir.path(), "shared", good.as_bytes(), 0o640);
        let err = Key::from_file(&p).unwrap_err();
        assert!(matches!(err, KeyError::Permissions { mode: 0o640, .. }));
        assert!(err.to_string().contains("chmod 600"));
        let p = write(dir.path(), "short", b"abcd\n", 0o600);
        assert!(matches!(
            Key::from_file(&p),
            Err(KeyError::Malformed { .. })
        ));
        let p = write(dir.path(), "nothex", "zz".repeat(32).as_bytes(), 0o600);
        assert!(matches!(
            Key::from_file(&p),
            Err(KeyError::Malformed { .. })
        ));
        let p = write(dir.path(), "zero", "00".repeat(32).as_bytes(), 0o600);
        assert!(matches!(Key::from_file(&p), Err(KeyError::Weak { .. })));
        let p = write(dir.path(), "raw", &[7u8; 32], 0o600);
        assert!(matches!(Key::from_file(&p), Err(KeyError::Weak { .. })));
        let p = write(dir.path(), "ok", good.as_bytes(), 0o400);
        assert!(Key::from_file(&p).is_ok());
    }

    #[test]
    fn debug_and_errors_never_show_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let hex = "8f3a".repeat(16);
        let p = write(dir.path(), "k", hex.as_bytes(), 0o644);
        let err = Key::from_file(&p).unwrap_err().to_string();
        assert!(!err.contains(&hex));
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        let key = Key::from_file(&p).unwrap();
        let dbg = format!("{key:?}");
        assert!(!dbg.contains("8f3a"), "{dbg}");
        assert!(!key.fingerprint().contains("8f3a8f3a"));
    }
}

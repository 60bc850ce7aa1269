//! Small file helpers shared by every command: reading user files with messages a
//! trainer understands, content hashes for reproducibility, and atomic writes so that
//! no command ever leaves a half-written file behind.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

/// Read a UTF-8 text file, naming the file and, for bad encoding, the line.
pub fn read_text_file(path: &Path) -> io::Result<String> {
    let bytes = fs::read(path)
        .map_err(|e| io::Error::new(e.kind(), format!("无法读取 {}: {}", path.display(), e)))?;
    String::from_utf8(bytes).map_err(|e| {
        let bad = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..bad].iter().filter(|&&b| b == b'\n').count() + 1;
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{}:{line}: 不是有效的 UTF-8 文本;save the file as UTF-8",
                path.display()
            ),
        )
    })
}

/// A short, stable hash of file content: the first 16 hex digits of its SHA-256.
pub fn content_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// Write a file atomically: a temporary file in the same directory, synced to disk,
/// then renamed over the target. A crash, even of the machine, leaves either the old
/// file or the new one.
pub fn write_atomic(path: &Path, contents: &[u8]) -> io::Result<()> {
    write_via_temp(path, contents, true)
}

/// Like [`write_atomic`] without the sync, for the thousands of files of a bulk run:
/// a killed process still leaves no half-written file (the rename is atomic), but a
/// power cut may lose the newest ones — which the run can simply redo.
pub fn write_atomic_bulk(path: &Path, contents: &[u8]) -> io::Result<()> {
    write_via_temp(path, contents, false)
}

fn write_via_temp(path: &Path, contents: &[u8], sync: bool) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(contents)?;
    if sync {
        tmp.as_file().sync_all()?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// File text whose [`content_hash`] is computed the first time it is asked for: every
/// command loads the rubric and six personas, but only a session writing a transcript
/// needs their hashes.
#[derive(Debug, Clone)]
pub struct Source {
    text: std::borrow::Cow<'static, str>,
    hash: std::sync::OnceLock<String>,
}

impl Source {
    pub fn new(text: impl Into<std::borrow::Cow<'static, str>>) -> Self {
        Self {
            text: text.into(),
            hash: std::sync::OnceLock::new(),
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn hash(&self) -> &str {
        self.hash.get_or_init(|| content_hash(&self.text))
    }
}

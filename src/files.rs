//! Small file helpers shared by every command: reading user files with messages a
//! trainer understands, content hashes for reproducibility, and atomic writes so that
//! no command ever leaves a half-written file behind.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The largest file a trainer or assessor hands the program (rubric, persona,
/// manifest, settings, labelled lines): the shipped ones are a few dozen kilobytes.
pub const MAX_FILE_BYTES: u64 = 10 << 20;

/// Check that `path` is a regular file of at most `limit` bytes, before opening it:
/// opening a FIFO for reading waits for a writer, and `/dev/zero` never ends. Its
/// length.
pub fn check_regular(path: &Path, limit: u64) -> io::Result<u64> {
    let fail = |e: io::Error| io::Error::new(e.kind(), format!("无法读取 {}: {e}", path.display()));
    let meta = fs::metadata(path).map_err(fail)?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{} 不是普通文件（{}）；expected a regular file",
                path.display(),
                file_kind(&meta.file_type())
            ),
        ));
    }
    if meta.len() > limit {
        return Err(too_big(path, limit));
    }
    Ok(meta.len())
}

fn too_big(path: &Path, limit: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "{} 超过 {} MB 的上限；expected a file of at most {limit} bytes",
            path.display(),
            limit >> 20
        ),
    )
}

/// The bytes of a regular file of at most `limit` bytes (see [`check_regular`]); a file
/// that grows past the limit while it is read is refused too.
pub fn read_limited(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let len = check_regular(path, limit)?;
    let fail = |e: io::Error| io::Error::new(e.kind(), format!("无法读取 {}: {e}", path.display()));
    let mut bytes = Vec::with_capacity(len as usize);
    fs::File::open(path)
        .and_then(|f| f.take(limit + 1).read_to_end(&mut bytes))
        .map_err(fail)?;
    if bytes.len() as u64 > limit {
        return Err(too_big(path, limit));
    }
    Ok(bytes)
}

/// Read one line of at most `max` bytes into `buf` (cleared first), newline included;
/// the rest of a longer line is read and dropped, so a stream with no newline (a pipe
/// from `/dev/zero`) costs `max` bytes of memory, not all of it. The bytes consumed
/// (0 at the end of input) and whether the line was cut.
pub fn read_line_bounded(
    reader: &mut dyn io::BufRead,
    buf: &mut Vec<u8>,
    max: usize,
) -> io::Result<(usize, bool)> {
    buf.clear();
    let (mut consumed, mut cut) = (0, false);
    loop {
        let chunk = match reader.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            break;
        }
        let (take, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        let room = max.saturating_sub(buf.len());
        buf.extend_from_slice(&chunk[..take.min(room)]);
        cut |= take > room;
        reader.consume(take);
        consumed += take;
        if done {
            break;
        }
    }
    // A cut may fall inside a character: keep the whole characters before it.
    if cut
        && let Err(e) = std::str::from_utf8(buf)
        && e.error_len().is_none()
    {
        buf.truncate(e.valid_up_to());
    }
    Ok((consumed, cut))
}

/// Read a UTF-8 text file, naming the file and, for bad encoding, the line. Only a
/// regular file of at most [`MAX_FILE_BYTES`] is read: a FIFO would block the read
/// forever and `/dev/zero` would fill memory.
pub fn read_text_file(path: &Path) -> io::Result<String> {
    let bytes = read_limited(path, MAX_FILE_BYTES)?;
    String::from_utf8(bytes).map_err(|e| {
        let bad = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..bad].iter().filter(|&&b| b == b'\n').count() + 1;
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{}:{line}: 不是有效的 UTF-8 文本；save the file as UTF-8",
                path.display()
            ),
        )
    })
}

/// What a path that is not a regular file is, in a trainer's words.
pub fn file_kind(t: &fs::FileType) -> &'static str {
    if t.is_dir() {
        return "是目录";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "是命名管道 FIFO";
        }
        if t.is_char_device() || t.is_block_device() {
            return "是设备文件";
        }
        if t.is_socket() {
            return "是套接字";
        }
    }
    "是其他类型的文件"
}

/// The test hook for a full disk, in debug builds only (the tests' binary):
/// with `PEILIAN_TEST_FAIL_WRITE_AFTER=N` set, the first `N` file writes of the process
/// succeed, the next one fails with `ENOSPC` (the disk filled up) and later ones succeed
/// again (space was freed, or the trainee saves to another disk). Every writer of user
/// data (transcripts, scorecards, summaries, [`write_atomic`], [`write_new`]) calls this
/// before it writes. Tests cannot mount a full tmpfs without root; a release build
/// compiles this to nothing and ignores the variable.
#[cfg(debug_assertions)]
pub fn injected_fault() -> io::Result<()> {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    static AFTER: OnceLock<Option<u64>> = OnceLock::new();
    static WRITES: AtomicU64 = AtomicU64::new(0);
    let after = AFTER.get_or_init(|| {
        std::env::var("PEILIAN_TEST_FAIL_WRITE_AFTER")
            .ok()
            .and_then(|v| v.parse().ok())
    });
    match after {
        Some(n) if WRITES.fetch_add(1, Ordering::SeqCst) == *n => {
            Err(io::Error::from_raw_os_error(28)) // ENOSPC on Linux and macOS
        }
        _ => Ok(()),
    }
}

/// See the debug build's version: release builds have no fault hook.
#[cfg(not(debug_assertions))]
#[inline(always)]
pub fn injected_fault() -> io::Result<()> {
    Ok(())
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
    staged_beside(path, contents)?
        .persist(path)
        .map_err(|e| e.error)?;
    Ok(())
}

/// `contents` in a temporary file beside `path`, written and synced to disk, ready to
/// be renamed into place.
fn staged_beside(path: &Path, contents: &[u8]) -> io::Result<tempfile::NamedTempFile> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    injected_fault()?;
    tmp.write_all(contents)?;
    tmp.as_file().sync_all()?;
    Ok(tmp)
}

/// Write a new file at exactly `path`, atomically and readable by its owner only (a
/// temporary file's mode); `AlreadyExists` when another writer took the name first.
pub fn write_new_exact(path: &Path, contents: &[u8]) -> io::Result<()> {
    staged_beside(path, contents)?
        .persist_noclobber(path)
        .map_err(|e| e.error)?;
    Ok(())
}

/// Write a new file atomically, never replacing one: `path` if it is free, else the
/// first free of `stem-2.ext`, `stem-3.ext` … beside it (each taken with a hard link
/// that fails on an existing name, so two writers never take the same one). The path
/// written.
pub fn write_new(path: &Path, contents: &[u8]) -> io::Result<PathBuf> {
    let mut tmp = staged_beside(path, contents)?;
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    let ext = path
        .extension()
        .map_or_else(String::new, |e| format!(".{}", e.to_string_lossy()));
    let mut target = path.to_path_buf();
    let mut n = 2;
    loop {
        match tmp.persist_noclobber(&target) {
            Ok(_) => return Ok(target),
            Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => {
                tmp = e.file;
                target = path.with_file_name(format!("{stem}-{n}{ext}"));
                n += 1;
            }
            Err(e) => return Err(e.error),
        }
    }
}

/// File text whose [`content_hash`] is computed the first time it is asked for: every
/// command loads the rubric and six personas, but only a session writing a transcript
/// needs their hashes.
#[derive(Debug, Clone)]
pub struct FileText {
    text: std::borrow::Cow<'static, str>,
    hash: std::sync::OnceLock<String>,
}

impl FileText {
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

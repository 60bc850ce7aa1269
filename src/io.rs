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

/// Read a UTF-8 text file, naming the file and, for bad encoding, the line. Only a
/// regular file of at most [`MAX_FILE_BYTES`] is read: a FIFO would block the read
/// forever and `/dev/zero` would fill memory.
pub fn read_text_file(path: &Path) -> io::Result<String> {
    let fail = |e: io::Error| io::Error::new(e.kind(), format!("无法读取 {}: {e}", path.display()));
    // Checked before opening: opening a FIFO for reading waits for a writer.
    let meta = fs::metadata(path).map_err(fail)?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{} 不是普通文件（{}）;expected a regular file",
                path.display(),
                file_kind(&meta.file_type())
            ),
        ));
    }
    let too_big = || {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{} 超过 {} MB 的上限;expected a file of at most {MAX_FILE_BYTES} bytes",
                path.display(),
                MAX_FILE_BYTES >> 20
            ),
        )
    };
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_big());
    }
    // The file may have grown since: read one byte past the limit at most.
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    fs::File::open(path)
        .and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(fail)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_big());
    }
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

/// A short, stable hash of file content: the first 16 hex digits of its SHA-256.
pub fn content_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// Write a file atomically: a temporary file in the same directory, synced to disk,
/// then renamed over the target. A crash, even of the machine, leaves either the old
/// file or the new one.
pub fn write_atomic(path: &Path, contents: &[u8]) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(contents)?;
    tmp.as_file().sync_all()?;
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

/// A directory of many files published at once. The files are written straight into
/// a hidden sibling (`.NAME.partial`), which then replaces the directory by one
/// rename: readers see the old set or the new one, never a half-written file. An
/// assessment writes ten thousand scorecards; a temporary file and a rename for each
/// cost several times the writes themselves on ext4.
#[derive(Debug)]
pub struct StagedDir {
    target: PathBuf,
    staging: PathBuf,
    published: bool,
}

impl StagedDir {
    /// Start a fresh staging directory for `target`; one left by a run that was
    /// killed is removed first.
    pub fn new(target: &Path) -> io::Result<Self> {
        let staging = sibling(target, "partial");
        if staging.exists() {
            fs::remove_dir_all(&staging)?;
        }
        fs::create_dir_all(&staging)?;
        Ok(Self {
            target: target.to_path_buf(),
            staging,
            published: false,
        })
    }

    /// Where the files go until [`publish`](Self::publish).
    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// The directory the files will be in.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Replace the target directory with the staged one. The previous directory, if
    /// any, is moved aside first and then deleted.
    pub fn publish(mut self) -> io::Result<()> {
        let old = sibling(&self.target, "old");
        if old.exists() {
            fs::remove_dir_all(&old)?;
        }
        let had_old = match fs::rename(&self.target, &old) {
            Ok(()) => true,
            Err(e) if e.kind() == io::ErrorKind::NotFound => false,
            Err(e) => return Err(e),
        };
        fs::rename(&self.staging, &self.target)?;
        self.published = true;
        if had_old {
            fs::remove_dir_all(&old)?;
        }
        Ok(())
    }
}

impl Drop for StagedDir {
    fn drop(&mut self) {
        if !self.published {
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
}

/// `dir/.name.suffix` beside `dir/name`.
fn sibling(target: &Path, suffix: &str) -> PathBuf {
    let name = target
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    target.with_file_name(format!(".{name}.{suffix}"))
}

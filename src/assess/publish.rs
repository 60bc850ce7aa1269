//! Publishing a run's results whole or not at all.
//!
//! The output directory is locked (`flock` on the directory itself) for the whole run:
//! a second run into it waits until the first is done, then replaces its result. Every
//! file of the run — scorecards, transcripts, `summary.csv`, `report.html` — is written
//! into a staging directory with a name of its own (`OUT/.peilian-staging-XXXXXX/`),
//! synced to disk, and only then moved into place, the previous result moved aside
//! first and deleted last. A failed write anywhere aborts the run before anything
//! moves: the previous result stays as it was. A failed move puts back what had moved.
//!
//! What is left by a run that was killed (its staging directory, a previous result
//! set aside) is cleared by the next run under the lock, where no live run can own it;
//! a kill in the middle of the few renames that publish leaves a name missing for
//! that moment only, and the next run puts the previous file back there.

use std::fs::{self, File};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use anyhow::Context as _;

/// What a run publishes, in the order it is moved into place.
const SET: [&str; 4] = ["scorecards", "transcripts", "summary.csv", "report.html"];
const STAGING: &str = ".peilian-staging-";
const OLD: &str = ".peilian-old-";
/// Hidden directories of versions before the lock, cleared like our own leftovers.
const LEGACY: [&str; 4] = [
    ".scorecards.partial",
    ".scorecards.old",
    ".transcripts.partial",
    ".transcripts.old",
];

/// The output directory of a run, locked while this lives: files are staged with
/// [`OutDir::stage`] and moved into place together by [`OutDir::publish`], or not at
/// all.
#[derive(Debug)]
pub struct OutDir {
    dir: PathBuf,
    /// The directory opened for its lock; closing it releases the lock.
    _lock: File,
}

impl OutDir {
    /// Create the directory if needed and take its lock; `waiting` is called once if
    /// another run holds it, before waiting for it. Then clear what killed runs left.
    pub fn lock(dir: &Path, waiting: impl FnOnce()) -> anyhow::Result<Self> {
        fs::create_dir_all(dir).with_context(|| format!("无法创建目录 {}", dir.display()))?;
        let handle =
            File::open(dir).with_context(|| format!("无法打开输出目录 {}", dir.display()))?;
        match handle.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                waiting();
                handle
                    .lock()
                    .with_context(|| format!("无法锁定输出目录 {}", dir.display()))?;
            }
            Err(fs::TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("无法锁定输出目录 {}", dir.display()));
            }
        }
        recover(dir)
            .with_context(|| format!("无法清理输出目录 {} 里上次中断留下的文件", dir.display()))?;
        Ok(Self {
            dir: dir.to_path_buf(),
            _lock: handle,
        })
    }

    /// A fresh staging directory with a unique name, holding `scorecards/` and
    /// `transcripts/`; removed when dropped unless published.
    pub fn stage(&self) -> anyhow::Result<Staging> {
        let dir = tempfile::Builder::new()
            .prefix(STAGING)
            .tempdir_in(&self.dir)
            .with_context(|| format!("无法在 {} 里创建暂存目录", self.dir.display()))?;
        for sub in ["scorecards", "transcripts"] {
            let p = dir.path().join(sub);
            fs::create_dir(&p).with_context(|| format!("无法创建目录 {}", p.display()))?;
        }
        Ok(Staging { dir })
    }

    /// Move the staged set into place (see the module doc). On error nothing of the
    /// run is published and the previous result is where it was.
    pub fn publish(&self, staging: Staging, transcripts: bool) -> anyhow::Result<()> {
        sync_tree(staging.path()).context("无法把结果写到磁盘上（同步失败）")?;
        let suffix = staging.suffix();
        let old = self.dir.join(format!("{OLD}{suffix}"));
        fs::create_dir(&old).with_context(|| format!("无法创建目录 {}", old.display()))?;
        // A run of transcripts leaves the `transcripts/` of an earlier manifest run
        // alone: the assessor may be rescoring exactly those.
        let names: Vec<&str> = SET
            .into_iter()
            .filter(|n| transcripts || *n != "transcripts")
            .collect();
        let mut moves = Moves::default();
        let done = self.move_set(&names, staging.path(), &old, &mut moves);
        if let Err(e) = done {
            moves.undo();
            let _ = fs::remove_dir_all(&old);
            return Err(e);
        }
        sync_dir(&self.dir).context("无法把结果写到磁盘上（同步输出目录失败）")?;
        // Published: what is left of the previous result goes. A failure here only
        // leaves a hidden directory that the next run clears.
        let _ = fs::remove_dir_all(&old);
        drop(staging);
        Ok(())
    }

    /// Set each previous name aside into `old`, then move each new one in.
    fn move_set(
        &self,
        names: &[&str],
        staged: &Path,
        old: &Path,
        moves: &mut Moves,
    ) -> anyhow::Result<()> {
        for name in names {
            moves.rename(&self.dir.join(name), &old.join(name))?;
        }
        for name in names {
            moves.rename(&staged.join(name), &self.dir.join(name))?;
        }
        Ok(())
    }
}

/// The renames done so far, to be undone in reverse when a later one fails.
#[derive(Default)]
struct Moves(Vec<(PathBuf, PathBuf)>);

impl Moves {
    /// Rename `from` to `to`; a `from` that does not exist is not an error (the first
    /// run has no previous result).
    fn rename(&mut self, from: &Path, to: &Path) -> anyhow::Result<()> {
        match fs::rename(from, to) {
            Ok(()) => {
                self.0.push((from.to_path_buf(), to.to_path_buf()));
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e).with_context(|| {
                format!(
                    "无法把 {} 移到 {}；没有发布，上一次的结果保持不变",
                    from.display(),
                    to.display()
                )
            }),
        }
    }

    fn undo(self) {
        for (from, to) in self.0.into_iter().rev() {
            let _ = fs::rename(&to, &from);
        }
    }
}

/// A run's staging directory.
#[derive(Debug)]
pub struct Staging {
    dir: tempfile::TempDir,
}

impl Staging {
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The unique part of the directory's name, shared with the directory the
    /// previous result is set aside in.
    fn suffix(&self) -> String {
        let name = self.dir.path().file_name().unwrap_or_default();
        name.to_string_lossy()
            .trim_start_matches(STAGING)
            .to_string()
    }
}

/// Write a new file into a staging directory: no temporary file and no rename of its
/// own (the directory is published whole), and the sync is one for the whole tree.
pub fn write_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = File::create_new(path)?;
    crate::files::injected_fault()?;
    f.write_all(bytes)
}

/// Bring every file under `dir` to disk. On Linux one `syncfs` of the filesystem:
/// ten thousand scorecards synced one by one cost about 13 s on ext4 here, `syncfs`
/// 0.2 s. Elsewhere each file is synced.
fn sync_tree(dir: &Path) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        rustix::fs::syncfs(File::open(dir)?)?;
        Ok(())
    }
    #[cfg(not(target_os = "linux"))]
    {
        for entry in fs::read_dir(dir)? {
            let path = entry?.path();
            if path.is_dir() {
                sync_tree(&path)?;
            } else {
                File::open(&path)?.sync_all()?;
            }
        }
        sync_dir(dir)
    }
}

/// Sync a directory's entries (the renames in it).
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Clear what killed runs left in `dir` (called under the lock, so no live run owns
/// any of it). A previous result set aside by a run killed while publishing fills
/// any name of the set that is missing, so `scorecards/` is never left absent.
fn recover(dir: &Path) -> io::Result<()> {
    let mut names: Vec<String> = fs::read_dir(dir)?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<io::Result<_>>()?;
    names.sort();
    for name in names {
        let path = dir.join(&name);
        if name.starts_with(OLD) {
            for item in SET {
                let (from, to) = (path.join(item), dir.join(item));
                if from.exists() && fs::symlink_metadata(&to).is_err() {
                    fs::rename(from, to)?;
                }
            }
            fs::remove_dir_all(&path)?;
        } else if name.starts_with(STAGING) || LEGACY.contains(&name.as_str()) {
            fs::remove_dir_all(&path)?;
        }
    }
    Ok(())
}

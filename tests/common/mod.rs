//! Shared test helpers: a temporary directory and a builder for the real binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// A scratch directory that disappears with the test.
pub struct Dir {
    pub tmp: tempfile::TempDir,
}

impl Dir {
    pub fn new() -> Self {
        Self {
            tmp: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    /// Write a file relative to the directory, creating parents.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.tmp.path().join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, contents).unwrap();
        p
    }

    /// The binary, run inside this directory with a clean environment for its settings.
    pub fn cmd(&self) -> Command {
        let mut c = peilian();
        c.current_dir(self.path());
        c
    }
}

/// The real `peilian` binary with colour off and no inherited peilian settings.
pub fn peilian() -> Command {
    let mut c = Command::cargo_bin("peilian").expect("binary built");
    c.env("NO_COLOR", "1")
        .env_remove("PEILIAN_PERSONA_DIR")
        .env_remove("PEILIAN_RUBRIC");
    c
}

/// The commented starter persona, as `persona new` writes it.
pub fn starter(id: &str) -> String {
    include_str!("../../src/persona/starter.toml").replace("{id}", id)
}

/// Path of a file in the repository.
pub fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

//! What the server remembers across restarts, besides the transcripts themselves:
//! which trainee a token belongs to and which transcript a session id names. Both live
//! in `SESSIONS_DIR/.serve/index.jsonl`, one record per line, appended with one
//! `write` each (like the transcripts), so a server killed at any moment comes back
//! knowing every trainee and session it had handed out.
//!
//! Tokens are never written: the index holds their SHA-256, so the file does not let
//! whoever reads it act as a trainee. Transcript names in the index are ones the
//! server chose; a request never names a file.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// A random secret as 32 hex digits (128 bits from the operating system): trainee
/// tokens, session ids, generated access and trainer codes.
pub fn random_hex() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the operating system's random source works");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A short code a person can type (access and trainer codes): 8 digits.
pub fn random_code() -> String {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("the operating system's random source works");
    format!("{:08}", u64::from_le_bytes(bytes) % 100_000_000)
}

/// What the index keeps of a token: its SHA-256 in hex.
pub fn token_key(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Compare two secrets without stopping at the first differing byte.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (token_key(a), token_key(b));
    a.bytes()
        .zip(b.bytes())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// One line of the index.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum Line {
    Trainee {
        token: String,
        name: String,
        at: String,
    },
    Session {
        id: String,
        token: String,
        file: String,
    },
}

/// A session the server handed out: whose it is and its transcript's file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    /// The owner's token key ([`token_key`]).
    pub owner: String,
    /// The transcript's file name inside the sessions folder.
    pub file: String,
}

/// The index, in memory and on disk.
pub struct Store {
    dir: PathBuf,
    file: Mutex<File>,
    trainees: Mutex<HashMap<String, String>>,
    /// Session ids in the order they were issued, with their owner and file.
    sessions: Mutex<Vec<(String, Issued)>>,
}

impl Store {
    /// Open (or create) the index of the sessions folder `dir`.
    pub fn open(dir: &Path) -> io::Result<Self> {
        let data = dir.join(".serve");
        std::fs::create_dir_all(&data)?;
        let path = data.join("index.jsonl");
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        let mut trainees = HashMap::new();
        let mut sessions = Vec::new();
        let bytes = crate::files::read_limited(&path, crate::files::MAX_FILE_BYTES)?;
        // A torn last line (killed while writing it) is not a record; nothing after it
        // was acknowledged to anyone.
        for line in String::from_utf8_lossy(&bytes).lines() {
            match serde_json::from_str::<Line>(line) {
                Ok(Line::Trainee { token, name, .. }) => {
                    trainees.insert(token, name);
                }
                Ok(Line::Session { id, token, file }) if plain_name(&file) => {
                    sessions.push((id, Issued { owner: token, file }));
                }
                _ => {}
            }
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            file: Mutex::new(file),
            trainees: Mutex::new(trainees),
            sessions: Mutex::new(sessions),
        })
    }

    /// The sessions folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Register a trainee; the token to give them.
    pub fn new_trainee(&self, name: &str) -> io::Result<String> {
        let token = random_hex();
        let key = token_key(&token);
        self.append(&Line::Trainee {
            token: key.clone(),
            name: name.to_string(),
            at: crate::transcript::now_rfc3339(),
        })?;
        lock(&self.trainees).insert(key, name.to_string());
        Ok(token)
    }

    /// The name of the trainee a token key belongs to.
    pub fn trainee(&self, key: &str) -> Option<String> {
        lock(&self.trainees).get(key).cloned()
    }

    /// Record a new session of `owner` whose transcript is `path` (in the sessions
    /// folder); its id.
    pub fn new_session(&self, owner: &str, path: &Path) -> io::Result<String> {
        let id = random_hex();
        let file = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let issued = Issued {
            owner: owner.to_string(),
            file,
        };
        self.append(&Line::Session {
            id: id.clone(),
            token: issued.owner.clone(),
            file: issued.file.clone(),
        })?;
        lock(&self.sessions).push((id.clone(), issued));
        Ok(id)
    }

    /// The session an id names, whoever owns it.
    pub fn session(&self, id: &str) -> Option<Issued> {
        lock(&self.sessions)
            .iter()
            .rev()
            .find(|(i, _)| i == id)
            .map(|(_, s)| s.clone())
    }

    /// Every session issued, oldest first, as (id, owner's name, transcript path).
    pub fn all(&self) -> Vec<(String, String, PathBuf)> {
        let trainees = lock(&self.trainees);
        lock(&self.sessions)
            .iter()
            .map(|(id, s)| {
                let name = trainees.get(&s.owner).cloned().unwrap_or_default();
                (id.clone(), name, self.dir.join(&s.file))
            })
            .collect()
    }

    /// The sessions of one owner, oldest first, as (id, transcript path).
    pub fn of(&self, owner: &str) -> Vec<(String, PathBuf)> {
        lock(&self.sessions)
            .iter()
            .filter(|(_, s)| s.owner == owner)
            .map(|(id, s)| (id.clone(), self.dir.join(&s.file)))
            .collect()
    }

    fn append(&self, line: &Line) -> io::Result<()> {
        let mut bytes = serde_json::to_vec(line).map_err(io::Error::other)?;
        bytes.push(b'\n');
        lock(&self.file).write_all(&bytes)
    }
}

/// A file name with no directory part: what the server writes into the index.
fn plain_name(file: &str) -> bool {
    !file.is_empty()
        && !file.starts_with('.')
        && !file.contains(['/', '\\'])
        && Path::new(file).extension().is_some_and(|x| x == "jsonl")
}

/// A lock whose holder panicked still guards consistent data here: every update is
/// one insert or push.
pub fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_comes_back_after_a_restart_and_skips_a_torn_line() {
        let dir = tempfile::tempdir().unwrap();
        let (token, id) = {
            let s = Store::open(dir.path()).unwrap();
            let token = s.new_trainee("小王").unwrap();
            let id = s
                .new_session(&token_key(&token), &dir.path().join("a.jsonl"))
                .unwrap();
            (token, id)
        };
        let index = dir.path().join(".serve/index.jsonl");
        let mut f = OpenOptions::new().append(true).open(&index).unwrap();
        f.write_all(br#"{"type":"session","id":"x","tok"#).unwrap();
        let s = Store::open(dir.path()).unwrap();
        assert_eq!(s.trainee(&token_key(&token)).as_deref(), Some("小王"));
        let issued = s.session(&id).unwrap();
        assert_eq!(issued.file, "a.jsonl");
        assert!(s.session("x").is_none());
        // The token itself is never on disk.
        let text = std::fs::read_to_string(&index).unwrap();
        assert!(!text.contains(&token));
    }

    #[test]
    fn names_with_a_directory_are_not_files_of_the_index() {
        assert!(plain_name("2026-a.jsonl"));
        for bad in ["../x.jsonl", "a/b.jsonl", ".serve.jsonl", "x.txt", ""] {
            assert!(!plain_name(bad), "{bad}");
        }
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("12345678", "12345678"));
        assert!(!same_secret("12345678", "12345679"));
        assert!(!same_secret("1234", "12345678"));
        assert_eq!(random_hex().len(), 32);
        assert_eq!(random_code().len(), 8);
    }
}

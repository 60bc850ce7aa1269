//! Seals on transcripts written by `peilian serve`: an HMAC-SHA256 over the file's
//! name and its whole content, kept beside it as `NAME.jsonl.sig`, with a key that
//! lives in the server's data folder (`SESSIONS_DIR/.serve/key`) and never leaves it.
//! An assessor with the key (`assess --key`, or `assess` of the server's own folder)
//! tells a transcript the server wrote from one edited afterwards, or renamed to pass
//! for another session.
//!
//! What a seal cannot do: whoever can read the key can seal anything, so the key must
//! stay where only the server and the trainers can read it.

use std::io;
use std::path::{Path, PathBuf};

use hmac::{Hmac, KeyInit as _, Mac as _};
use sha2::Sha256;

/// The first words of a card's note when a seal does not hold.
pub const BROKEN: &str = "签名不符";

/// The seal's file: `NAME.jsonl.sig`.
pub fn sig_path(transcript: &Path) -> PathBuf {
    let mut name = transcript.as_os_str().to_owned();
    name.push(".sig");
    PathBuf::from(name)
}

/// A server's sealing key.
#[derive(Clone)]
pub struct Key(Vec<u8>);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(…)")
    }
}

impl Key {
    /// The key of a server's data folder, made (32 random bytes, readable by its
    /// owner only) the first time.
    pub fn load_or_create(path: &Path) -> io::Result<Self> {
        match Self::load(path) {
            Ok(k) => return Ok(k),
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            Err(_) => {}
        }
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(io::Error::other)?;
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        // Another server starting at the same moment may have made one: keep theirs.
        match crate::files::write_new_exact(path, format!("{hex}\n").as_bytes()) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
        Self::load(path)
    }

    /// Read a key file (hex, as the server writes it).
    pub fn load(path: &Path) -> io::Result<Self> {
        let text = crate::files::read_limited(path, 1024)?;
        let text = String::from_utf8_lossy(&text);
        let hex = text.trim();
        let bytes: Option<Vec<u8>> = (hex.len() >= 32 && hex.len().is_multiple_of(2))
            .then(|| {
                (0..hex.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
                    .collect()
            })
            .flatten();
        bytes.map(Self).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{} 不是 peilian serve 的签名密钥", path.display()),
            )
        })
    }

    /// The seal of a transcript named `name` holding `content`, in hex.
    fn seal(&self, name: &str, content: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(name.as_bytes());
        mac.update(b"\n");
        mac.update(content);
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Seal the transcript at `path` as it is now (after every record the server
    /// writes), replacing its previous seal.
    pub fn sign(&self, path: &Path) -> io::Result<()> {
        let content = crate::files::read_limited(path, crate::files::MAX_FILE_BYTES)?;
        let line = format!("hmac-sha256 {}\n", self.seal(&file_name(path), &content));
        crate::files::write_atomic(&sig_path(path), line.as_bytes())
    }

    /// Check a transcript's seal; why it does not hold, naming the file.
    pub fn verify(&self, path: &Path) -> Result<(), String> {
        let shown = path.display();
        let sig = match crate::files::read_limited(&sig_path(path), 1024) {
            Ok(s) => String::from_utf8_lossy(&s).trim().to_string(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(format!(
                    "{BROKEN}：{shown} 是网页练习的记录，但旁边没有签名文件 {}",
                    sig_path(path).display()
                ));
            }
            Err(e) => return Err(format!("{BROKEN}：无法读取 {shown} 的签名：{e}")),
        };
        let content = crate::files::read_limited(path, crate::files::MAX_FILE_BYTES)
            .map_err(|e| format!("{BROKEN}：无法读取 {shown}：{e}"))?;
        let want = format!("hmac-sha256 {}", self.seal(&file_name(path), &content));
        if same(&sig, &want) {
            Ok(())
        } else {
            Err(format!(
                "{BROKEN}：{shown} 在服务器写完之后被改动过或改过名字（或不是这台服务器写的），不能用于考核"
            ))
        }
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Compare without stopping at the first difference.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edit_or_a_rename_breaks_the_seal() {
        let dir = tempfile::tempdir().unwrap();
        let key = Key::load_or_create(&dir.path().join("key")).unwrap();
        let again = Key::load_or_create(&dir.path().join("key")).unwrap();
        assert_eq!(key.0, again.0, "the key is made once");
        let t = dir.path().join("a.jsonl");
        std::fs::write(&t, "{\"type\":\"header\",\"trainee\":\"小王\"}\n").unwrap();
        key.sign(&t).unwrap();
        assert_eq!(key.verify(&t), Ok(()));

        std::fs::write(&t, "{\"type\":\"header\",\"trainee\":\"小李\"}\n").unwrap();
        let e = key.verify(&t).unwrap_err();
        assert!(e.starts_with(BROKEN) && e.contains("a.jsonl"), "{e}");

        key.sign(&t).unwrap();
        let b = dir.path().join("b.jsonl");
        std::fs::rename(&t, &b).unwrap();
        std::fs::rename(sig_path(&t), sig_path(&b)).unwrap();
        assert!(key.verify(&b).unwrap_err().contains("b.jsonl"));

        let other = Key(vec![7; 32]);
        std::fs::rename(&b, &t).unwrap();
        std::fs::rename(sig_path(&b), sig_path(&t)).unwrap();
        assert_eq!(key.verify(&t), Ok(()));
        assert!(other.verify(&t).is_err(), "another server's key");
        std::fs::remove_file(sig_path(&t)).unwrap();
        assert!(key.verify(&t).unwrap_err().contains("没有签名文件"));
    }

    #[test]
    fn a_key_file_that_is_not_a_key_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("key");
        std::fs::write(&p, "not hex").unwrap();
        let e = Key::load(&p).unwrap_err();
        assert!(e.to_string().contains("签名密钥"), "{e}");
    }
}

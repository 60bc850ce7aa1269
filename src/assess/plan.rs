//! What a run is made of: the transcripts of a directory, or the scripted sessions of a
//! manifest, each with the unique file-name stem its outputs get.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow};
use serde::Deserialize;

use super::Failure;

/// One session to assess.
#[derive(Debug, Clone)]
pub struct Item {
    /// Position in the run (file-name or manifest order).
    pub order: usize,
    /// File name stem of the session's outputs, unique in the run.
    pub name: String,
    pub what: What,
}

#[derive(Debug, Clone)]
pub enum What {
    /// A recorded transcript.
    Transcript(PathBuf),
    /// A scripted session to play.
    Scripted(Scripted),
}

impl What {
    /// How messages name the session: the transcript's path, or the manifest entry.
    pub fn label(&self) -> String {
        match self {
            What::Transcript(path) => path.display().to_string(),
            What::Scripted(s) => s.label.clone(),
        }
    }
}

/// A manifest entry: a trainee's answers file played against a persona.
#[derive(Debug, Clone)]
pub struct Scripted {
    /// The entry as messages name it: `manifest.toml:12: 第 3 个 session`.
    pub label: String,
    pub trainee: String,
    pub persona: String,
    pub scenario: Option<String>,
    pub difficulty: String,
    /// Resolved against the manifest's directory.
    pub answers: PathBuf,
    pub seed: u64,
    /// What the transcript records: `exam` for a scripted exam (`--exam-only` counts it).
    pub mode: crate::transcript::Mode,
}

/// The sessions of a run, and the entries that could not even be planned.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub items: Vec<Item>,
    pub failures: Vec<Failure>,
}

impl Plan {
    /// Every `*.jsonl` file directly in `dir`, sorted by file name.
    pub fn dir(dir: &Path) -> anyhow::Result<Self> {
        let rd = std::fs::read_dir(dir)
            .with_context(|| format!("无法读取对话记录目录 {}", dir.display()))?;
        let mut files: Vec<PathBuf> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
            .collect();
        files.sort();
        // A *.jsonl that is not a regular file (a FIFO, a directory, a dangling link) is
        // named as a failure, not skipped without a word.
        let mut failures = Vec::new();
        let mut regular = Vec::new();
        for (order, path) in files.into_iter().enumerate() {
            match crate::files::check_regular(&path, crate::files::MAX_FILE_BYTES) {
                Ok(_) => regular.push((order, path)),
                Err(e) => failures.push(Failure {
                    order,
                    what: path.display().to_string(),
                    message: e.to_string(),
                }),
            }
        }
        let mut taken = HashSet::new();
        let items = regular
            .into_iter()
            .map(|(order, path)| {
                // The transcript's own name, so `a.jsonl` gives `a.json`; two names
                // that only differ in bytes that are not UTF-8 are told apart.
                let stem = path.file_stem().unwrap_or_default().to_string_lossy();
                let mut name = stem.to_string();
                let mut n = 1;
                while !taken.insert(name.clone()) {
                    n += 1;
                    name = format!("{stem}-{n}");
                }
                Item {
                    order,
                    name,
                    what: What::Transcript(path),
                }
            })
            .collect();
        Ok(Self { items, failures })
    }

    /// The sessions of a manifest. A file that is not a manifest is an error; a bad
    /// entry is a failure of that entry only.
    pub fn manifest(path: &Path) -> anyhow::Result<Self> {
        let text = crate::files::read_text_file(path)?;
        let file = path.display().to_string();
        let raw: RawManifest = toml::from_str(&text).map_err(|e| {
            anyhow!(
                "{}\n考核清单的格式：每场对话一个 [[session]]，含 trainee、persona、answers，可选 scenario、difficulty、seed",
                crate::diag::Locator::new(&file, &text).from_toml_error(&e)
            )
        })?;
        let base = path.parent().unwrap_or(Path::new(""));
        let width = raw.session.len().to_string().len().max(3);
        let mut plan = Self::default();
        for (order, spanned) in raw.session.into_iter().enumerate() {
            let (line, _) = crate::diag::line_col(&text, spanned.span().start);
            let label = format!("{file}:{line}: 第 {} 个 session", order + 1);
            let entry: ManifestEntry = match toml::Value::Table(spanned.into_inner()).try_into() {
                Ok(e) => e,
                Err(e) => {
                    plan.failures.push(Failure {
                        order,
                        what: label,
                        message: format!("{}；{}", e.message().trim(), ENTRY_HELP),
                    });
                    continue;
                }
            };
            let label = format!(
                "{label}（学员「{}」，客户「{}」）",
                entry.trainee, entry.persona
            );
            let mut name = format!("{:0width$}", order + 1);
            for part in [&entry.trainee, &entry.persona] {
                if !part.trim().is_empty() {
                    name.push('-');
                    name.push_str(&safe_name(part.trim()));
                }
            }
            plan.items.push(Item {
                order,
                name,
                what: What::Scripted(Scripted {
                    label,
                    trainee: entry.trainee,
                    persona: entry.persona,
                    scenario: entry.scenario,
                    difficulty: entry.difficulty,
                    answers: base.join(entry.answers),
                    seed: entry.seed,
                    mode: entry.mode,
                }),
            });
        }
        Ok(plan)
    }
}

const ENTRY_HELP: &str = "每个 [[session]] 含 trainee、persona、answers，可选 scenario、difficulty(easy/normal/hard)、seed、mode(practice/exam)";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    #[serde(alias = "sessions")]
    session: Vec<toml::Spanned<toml::Table>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestEntry {
    trainee: String,
    persona: String,
    #[serde(default)]
    scenario: Option<String>,
    #[serde(default = "normal")]
    difficulty: String,
    answers: PathBuf,
    #[serde(default = "one")]
    seed: u64,
    /// `practice` (the default) or `exam`.
    #[serde(default)]
    mode: crate::transcript::Mode,
}

fn normal() -> String {
    "normal".into()
}

fn one() -> u64 {
    1
}

/// A file-name-safe form of a name: letters (any script), digits, `-`, `_` and `.`
/// stay; anything else becomes `_`.
pub fn safe_name(s: &str) -> String {
    let out: String = s
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    match out.trim_start_matches('.') {
        "" => "session".into(),
        rest => rest.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_names_keep_chinese_and_drop_separators() {
        assert_eq!(safe_name("小王"), "小王");
        assert_eq!(safe_name("a/b c"), "a_b_c");
        assert_eq!(safe_name("..x"), "x");
        assert_eq!(safe_name(""), "session");
    }
}

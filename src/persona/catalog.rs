//! The catalogue of personas a session can use: the six built-in ones, embedded in the
//! binary so it works from any directory, plus a trainer's `--persona-dir`, whose files
//! add personas or replace built-in ones with the same id.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::{Persona, validate_with};
use crate::diag::{Diagnostic, Diagnostics, Locator};
use crate::rubric::Analyser;

/// The built-in persona files: (path shown in messages, text).
const BUILTIN: [(&str, &str); 6] = [
    (
        "personas/emotional.toml",
        include_str!("../../personas/emotional.toml"),
    ),
    (
        "personas/righteous.toml",
        include_str!("../../personas/righteous.toml"),
    ),
    (
        "personas/stubborn.toml",
        include_str!("../../personas/stubborn.toml"),
    ),
    (
        "personas/self-absorbed.toml",
        include_str!("../../personas/self-absorbed.toml"),
    ),
    (
        "personas/prepared.toml",
        include_str!("../../personas/prepared.toml"),
    ),
    (
        "personas/influential.toml",
        include_str!("../../personas/influential.toml"),
    ),
];

/// Where a loaded persona came from.
#[derive(Debug, Clone)]
pub struct PersonaSource {
    /// The file as shown in messages.
    pub file: String,
    /// Whether it is one of the embedded defaults.
    pub builtin: bool,
    /// The file text; its hash is recorded in transcripts.
    pub content: crate::io::Source,
}

/// A loaded, validated persona with its origin.
#[derive(Debug, Clone)]
pub struct Entry {
    pub persona: Persona,
    pub source: PersonaSource,
}

/// All personas available to a command.
#[derive(Debug, Default)]
pub struct Catalog {
    entries: Vec<Entry>,
}

/// Parse and validate persona text; `file` names it in diagnostics.
pub fn load_persona_text(
    file: &str,
    text: &str,
    rubric: &Analyser,
) -> Result<Persona, Diagnostics> {
    load_checked(file, text, rubric, true)
}

fn load_checked(
    file: &str,
    text: &str,
    rubric: &Analyser,
    check_patterns: bool,
) -> Result<Persona, Diagnostics> {
    let locator = Locator::new(file, text);
    let persona: Persona =
        toml::from_str(text).map_err(|e| Diagnostics(vec![locator.from_toml_error(&e)]))?;
    let problems = validate_with(&persona, rubric, check_patterns);
    if problems.is_empty() {
        Ok(persona)
    } else {
        Err(Diagnostics(
            problems.iter().map(|p| locator.locate(p)).collect(),
        ))
    }
}

/// Load and validate one persona file from disk.
pub fn load_persona_file(path: &Path, rubric: &Analyser) -> Result<Entry, Diagnostics> {
    let file = path.display().to_string();
    let text = crate::io::read_text_file(path)
        .map_err(|e| Diagnostics(vec![whole_file(&file, &e.to_string())]))?;
    let persona = load_persona_text(&file, &text, rubric)?;
    Ok(Entry {
        persona,
        source: PersonaSource {
            file,
            builtin: false,
            content: crate::io::Source::new(text),
        },
    })
}

fn whole_file(file: &str, message: &str) -> Diagnostic {
    Diagnostic {
        file: file.to_string(),
        line: 1,
        column: 1,
        field: String::new(),
        message: message.to_string(),
    }
}

/// The `*.toml` files of a directory, sorted so messages come in a stable order.
pub fn toml_files(dir: &Path) -> Result<Vec<PathBuf>, Diagnostics> {
    let label = dir.display().to_string();
    let rd = fs::read_dir(dir)
        .map_err(|e| Diagnostics(vec![whole_file(&label, &format!("无法读取目录: {e}"))]))?;
    let mut files: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

/// Report ids used by more than one of `entries`, naming both files.
pub fn duplicate_ids(entries: &[Entry]) -> Vec<Diagnostic> {
    let mut first: HashMap<&str, &str> = HashMap::new();
    let mut out = Vec::new();
    for e in entries {
        if let Some(prev) = first.insert(&e.persona.id, &e.source.file) {
            out.push(whole_file(
                &e.source.file,
                &format!(
                    "编号「{}」与 {prev} 重复;persona ids must be unique",
                    e.persona.id
                ),
            ));
            first.insert(&e.persona.id, prev);
        }
    }
    out
}

impl Catalog {
    /// The built-in personas, then those of `dir` (replacing built-ins by id). Every
    /// problem in every file of `dir` is reported at once.
    pub fn load(dir: Option<&Path>, rubric: &Analyser) -> Result<Self, Diagnostics> {
        let mut entries = Vec::with_capacity(BUILTIN.len());
        let mut errors = Vec::new();
        for (file, text) in BUILTIN {
            match load_checked(file, text, rubric, false) {
                Ok(persona) => entries.push(Entry {
                    persona,
                    source: PersonaSource {
                        file: file.to_string(),
                        builtin: true,
                        content: crate::io::Source::new(text),
                    },
                }),
                Err(d) => errors.extend(d.0),
            }
        }
        if let Some(dir) = dir {
            let mut added = Vec::new();
            for path in toml_files(dir)? {
                match load_persona_file(&path, rubric) {
                    Ok(e) => added.push(e),
                    Err(d) => errors.extend(d.0),
                }
            }
            errors.extend(duplicate_ids(&added));
            for e in added {
                match entries.iter_mut().find(|x| x.persona.id == e.persona.id) {
                    Some(slot) => *slot = e,
                    None => entries.push(e),
                }
            }
        }
        if errors.is_empty() {
            Ok(Self { entries })
        } else {
            Err(Diagnostics(errors))
        }
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Find a persona by id, Chinese name or alias.
    pub fn find(&self, name: &str) -> Option<&Entry> {
        let name = name.trim();
        self.entries
            .iter()
            .find(|e| e.persona.id == name)
            .or_else(|| self.entries.iter().find(|e| e.persona.answers_to(name)))
    }

    /// What to tell a user who named a persona that does not exist.
    pub fn not_found(&self, name: &str) -> String {
        let known: Vec<String> = self
            .entries
            .iter()
            .map(|e| format!("{} ({})", e.persona.id, e.persona.name))
            .collect();
        format!("没有找到客户类型「{name}」。可选:{}", known.join("、"))
    }
}

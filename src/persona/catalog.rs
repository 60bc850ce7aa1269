//! The catalogue of personas a session can use: the six built-in ones, embedded in the
//! binary so it works from any directory, plus a trainer's `--persona-dir`, whose files
//! add personas or replace built-in ones with the same id.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::{Persona, Scenario, inherit, validate_with};
use crate::diag::{Diagnostic, Diagnostics, Locator, clip};
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
    pub content: crate::files::FileText,
}

/// A loaded, validated persona with its origin.
#[derive(Debug, Clone)]
pub struct Entry {
    pub persona: Persona,
    pub source: PersonaSource,
}

/// All personas available to a command, and the problems of files left out.
#[derive(Debug, Default)]
pub struct Catalog {
    entries: Vec<Entry>,
    skipped: Vec<Diagnostic>,
    /// The persona folder searched, if any: a session whose persona is missing says
    /// where it was looked for.
    dir: Option<PathBuf>,
}

/// The embedded personas; their patterns are checked by the test suite, the kinds
/// they use against the rubric in force here.
fn builtin(rubric: &Analyser) -> Result<Vec<Entry>, Diagnostics> {
    let mut entries = Vec::with_capacity(BUILTIN.len());
    let mut errors = Vec::new();
    for (file, text) in BUILTIN {
        match load_checked(file, text, rubric, false) {
            Ok((persona, _)) => entries.push(Entry {
                persona,
                source: PersonaSource {
                    file: file.to_string(),
                    builtin: true,
                    content: crate::files::FileText::new(text),
                },
            }),
            Err(d) => errors.extend(d.0),
        }
    }
    if errors.is_empty() {
        Ok(entries)
    } else {
        Err(Diagnostics(errors))
    }
}

/// Parse and validate persona text; `file` names it in diagnostics, and an `extends`
/// path is taken relative to its directory.
pub fn load_persona_text(
    file: &str,
    text: &str,
    rubric: &Analyser,
) -> Result<Persona, Diagnostics> {
    load_checked(file, text, rubric, true).map(|(p, _)| p)
}

/// The persona and the text its hash covers: the file itself, and its bases when it
/// extends another.
fn load_checked(
    file: &str,
    text: &str,
    rubric: &Analyser,
    check_patterns: bool,
) -> Result<(Persona, String), Diagnostics> {
    let mut chain: Vec<PathBuf> = Path::new(file).canonicalize().into_iter().collect();
    match inherit::resolve(file, text, builtin_named, &mut chain)? {
        None => Ok((
            load_document(file, text, rubric, check_patterns)?,
            text.to_string(),
        )),
        Some(merged) => {
            let mut persona = load_document(file, &merged.text, rubric, check_patterns)
                .map_err(|d| merged.relocate(file, text, d.0))?;
            persona.extends = Some(merged.base_file);
            Ok((persona, merged.content))
        }
    }
}

fn load_document(
    file: &str,
    text: &str,
    rubric: &Analyser,
    check_patterns: bool,
) -> Result<Persona, Diagnostics> {
    let locator = Locator::new(file, text);
    let (persona, found) = crate::diag::parse_toml::<Persona>(file, text)?;
    let problems = validate_with(&persona, rubric, check_patterns);
    crate::diag::all_at_once(found, problems.iter().map(|p| locator.locate(p)).collect())?;
    Ok(persona)
}

/// The built-in persona file an id names (`emotional` → `personas/emotional.toml`).
fn builtin_named(id: &str) -> Option<(&'static str, &'static str)> {
    BUILTIN.iter().copied().find(|(file, _)| {
        file.strip_prefix("personas/")
            .and_then(|f| f.strip_suffix(".toml"))
            == Some(id)
    })
}

/// Load and validate one persona file from disk.
pub fn load_persona_file(path: &Path, rubric: &Analyser) -> Result<Entry, Diagnostics> {
    let file = path.display().to_string();
    let text = crate::files::read_text_file(path)
        .map_err(|e| Diagnostics(vec![whole_file(&file, &e.to_string())]))?;
    let (persona, content) = load_checked(&file, &text, rubric, true)?;
    Ok(Entry {
        persona,
        source: PersonaSource {
            file,
            builtin: false,
            content: crate::files::FileText::new(content),
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

/// The `*.toml` files of a directory, sorted so messages come in a stable order, and
/// a problem for each `*.toml` entry that cannot be read as a file: a directory, a FIFO,
/// a link to nothing. Those are reported rather than passed over, so a trainer who put
/// a persona there learns why it is missing.
pub fn toml_files(dir: &Path) -> Result<(Vec<PathBuf>, Vec<Diagnostic>), Diagnostics> {
    let label = dir.display().to_string();
    let rd = fs::read_dir(dir)
        .map_err(|e| Diagnostics(vec![whole_file(&label, &format!("无法读取目录：{e}"))]))?;
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for entry in rd {
        let path = match entry {
            Ok(e) => e.path(),
            Err(e) => {
                problems.push(whole_file(&label, &format!("无法读取目录中的一项：{e}")));
                continue;
            }
        };
        if path.extension().is_none_or(|x| x != "toml") {
            continue;
        }
        // Follows links: a link to a regular file is a file.
        match fs::metadata(&path) {
            Ok(m) if m.is_file() && is_rubric(&path) => {}
            Ok(m) if m.is_file() => files.push(path),
            Ok(m) => problems.push(not_a_file(&path, crate::files::file_kind(&m.file_type()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                problems.push(not_a_file(&path, "是指向不存在文件的链接"));
            }
            Err(e) => problems.push(whole_file(
                &path.display().to_string(),
                &format!("无法读取：{e}"),
            )),
        }
    }
    files.sort();
    problems.sort_by(|a, b| a.file.cmp(&b.file));
    Ok((files, problems))
}

/// Whether a `.toml` file is a rubric, not a persona: a trainer keeps the house rubric
/// beside the customers it was written for, and it must not be reported as a broken
/// persona. Told by its schema directive or its rubric-only top-level keys.
fn is_rubric(path: &Path) -> bool {
    use std::io::Read;
    let mut head = Vec::new();
    let read = fs::File::open(path).and_then(|f| f.take(64 * 1024).read_to_end(&mut head));
    if read.is_err() {
        return false;
    }
    let text = String::from_utf8_lossy(&head);
    text.lines().any(|l| {
        let l = l.trim_start();
        (l.starts_with("#:schema") && l.contains("rubric.schema.json"))
            || l.starts_with("[[rules]]")
            || l.starts_with("[[examples]]")
            || l.starts_with("[[override]]")
            // A rubric's own key: a persona that extends another has none.
            || l.starts_with("version")
    })
}

fn not_a_file(path: &Path, what: &str) -> Diagnostic {
    whole_file(
        &path.display().to_string(),
        &format!("不是普通文件（{what}），已跳过；expected a regular persona file"),
    )
}

/// Report each of `entries` whose id is already used, by an earlier one of `entries`
/// or one of `before`, naming both files.
pub fn duplicate_ids(entries: &[Entry], before: &[Entry]) -> Vec<Diagnostic> {
    let mut first: HashMap<&str, &str> = before
        .iter()
        .map(|e| (e.persona.id.as_str(), e.source.file.as_str()))
        .collect();
    let mut out = Vec::new();
    for e in entries {
        match first.get(e.persona.id.as_str()) {
            Some(prev) => out.push(whole_file(
                &e.source.file,
                &format!(
                    "编号「{}」与 {prev} 重复；persona ids must be unique",
                    clip(&e.persona.id)
                ),
            )),
            None => {
                first.insert(&e.persona.id, &e.source.file);
            }
        }
    }
    out
}

/// Why [`Catalog::resolve`] found nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unresolved {
    /// No persona answers to the name; `message` lists the ones there are.
    #[error("{message}")]
    Persona { name: String, message: String },
    #[error("客户「{persona_name}」没有场景「{scenario}」。可选：{}", choices.join("、"))]
    Scenario {
        persona_id: String,
        persona_name: String,
        scenario: String,
        choices: Vec<String>,
    },
}

impl Catalog {
    /// The built-in personas, then those of `dir` (replacing built-ins by id). A file
    /// of `dir` with errors costs only itself: its problems are kept in
    /// [`Catalog::skipped`] and the rest load, so one trainer's typo in a shared folder
    /// does not stop the class. Only a folder that cannot be read at all is an error.
    pub fn load(dir: Option<&Path>, rubric: &Analyser) -> Result<Self, Diagnostics> {
        let mut entries = builtin(rubric)?;
        let mut skipped = Vec::new();
        if let Some(dir) = dir {
            let (files, not_files) = toml_files(dir)?;
            skipped.extend(not_files);
            let mut added: Vec<Entry> = Vec::new();
            for path in files {
                match load_persona_file(&path, rubric) {
                    Ok(e) => {
                        let dup = duplicate_ids(std::slice::from_ref(&e), &added);
                        if dup.is_empty() {
                            added.push(e);
                        } else {
                            skipped.extend(dup);
                        }
                    }
                    Err(d) => skipped.extend(d.0),
                }
            }
            for e in added {
                match entries.iter_mut().find(|x| x.persona.id == e.persona.id) {
                    Some(slot) => *slot = e,
                    None => entries.push(e),
                }
            }
        }
        Ok(Self {
            entries,
            skipped,
            dir: dir.map(Path::to_path_buf),
        })
    }

    /// What to tell a trainer whose recorded session names a persona (`id`, called
    /// `name` in the record) that is not here: where it was looked for, whether its
    /// file was left out for errors, and how to point the program at it.
    pub fn missing(&self, id: &str, name: &str) -> String {
        let mut msg = format!(
            "这场练习用的客户「{}」（编号 {}）不在当前的客户画像里",
            clip(name),
            clip(id)
        );
        let broken: Vec<&str> = self
            .skipped
            .iter()
            .map(|d| d.file.as_str())
            .filter(|f| Path::new(f).file_stem().is_some_and(|s| s == id))
            .collect();
        match (&self.dir, broken.first()) {
            (_, Some(file)) => msg.push_str(&format!(
                "：它的文件 {file} 有错误，已被跳过；用 `peilian persona validate {file}` 查看并改好"
            )),
            (Some(dir), None) => msg.push_str(&format!(
                "（已在客户画像目录 {} 里找过）：把它的文件放进这个目录，或用 --persona-dir 指向它所在的目录",
                dir.display()
            )),
            (None, None) => msg.push_str(
                "（现在没有设客户画像目录）：在配置文件里写 persona_dir = \"客户画像所在的目录\"（`peilian config path` 显示配置文件在哪），或用 --persona-dir 指定",
            ),
        }
        msg
    }

    /// Problems of the files of the persona folder that were left out, each naming its
    /// file, line and field; empty when every file loaded.
    pub fn skipped(&self) -> &[Diagnostic] {
        &self.skipped
    }

    /// How many files were left out.
    pub fn skipped_files(&self) -> usize {
        let files: std::collections::BTreeSet<&str> =
            self.skipped.iter().map(|d| d.file.as_str()).collect();
        files.len()
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

    /// The persona and scenario a user or a transcript names: the persona by id, name
    /// or alias, the scenario by id (the persona's first when none is named). The one
    /// lookup every command uses; callers that know more (a transcript's file) word
    /// the error their own way from its kind.
    pub fn resolve(
        &self,
        persona: &str,
        scenario: Option<&str>,
    ) -> Result<(&Entry, &Scenario), Unresolved> {
        let entry = self.find(persona).ok_or_else(|| Unresolved::Persona {
            name: persona.to_string(),
            message: self.not_found(persona),
        })?;
        let p = &entry.persona;
        let sc = match scenario {
            None => &p.scenarios[0],
            Some(id) => p.scenario(id).ok_or_else(|| Unresolved::Scenario {
                persona_id: p.id.clone(),
                persona_name: p.name.clone(),
                scenario: id.to_string(),
                choices: p.scenarios.iter().map(|s| s.id.clone()).collect(),
            })?,
        };
        Ok((entry, sc))
    }

    /// What to tell a user who named a persona that does not exist.
    pub fn not_found(&self, name: &str) -> String {
        let known: Vec<String> = self
            .entries
            .iter()
            .map(|e| format!("{}（{}）", e.persona.id, e.persona.name))
            .collect();
        let mut msg = format!(
            "没有找到客户类型「{}」。可选：{}",
            clip(name),
            known.join("、")
        );
        if !self.skipped.is_empty() {
            msg.push_str(&format!(
                "（另有 {} 个客户画像文件因有错误被跳过，见上）",
                self.skipped_files()
            ));
        }
        msg
    }
}

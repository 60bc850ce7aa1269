//! Assessment runs: many sessions scored at once, for an assessor rather than a trainee.
//!
//! A run takes recorded transcripts (a directory) or scripted sessions (a manifest whose
//! entries name a trainee, a persona and an answers file, played against the offline
//! customer engine), scores every session in parallel on all cores, and writes one
//! scorecard per session, `summary.csv` and a self-contained `report.html`. Everything
//! about the run is deterministic except the time stamps the scorecards and transcripts
//! carry: sessions come out in file-name or manifest order, whichever thread scored them.
//!
//! A session that cannot be assessed — a corrupt transcript, an unknown persona, a
//! missing answers file, a bad manifest entry — becomes a [`Failure`] naming its file and
//! entry; it never stops the others. This module draws nothing on the terminal: the
//! command owns the progress bar (through [`assess`]'s `tick`) and the messages.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::engine::Engine;
use crate::io::StagedDir;
use crate::persona::{Catalog, Entry, Scenario};
use crate::rubric::Analyser;
use crate::score::render::Render;
use crate::score::{Scorecard, score};
use crate::session::{Live, MAX_TURN_CHARS, Options, Session};
use crate::transcript::{self, End, Header, Transcript, TurnRecord};
use crate::ui;

/// The dimension labels, in scorecard order: the `summary.csv` headers when a run
/// scored nothing (otherwise the headers are the scorecards' own labels).
const DIMENSIONS: [&str; 7] = [
    "禁语与禁止法则",
    "共情",
    "道歉",
    "处理流程",
    "服务用语",
    "客户类型要点",
    "结果",
];

/// What the end line of a scripted session says when the answers run out first.
const UNFINISHED: &str = "学员台词用完,对话未结束";

/// Score one transcript file with the personas and rubric in force.
pub fn score_file(
    path: &Path,
    catalog: &Catalog,
    analyser: &Analyser,
) -> anyhow::Result<Scorecard> {
    let t = transcript::read(path)?;
    score_transcript(&t, path, catalog, analyser)
}

/// Score a transcript already read from `path`, with the persona and scenario it
/// names; for callers that look at the header first (history filters by trainee).
pub fn score_transcript(
    t: &Transcript,
    path: &Path,
    catalog: &Catalog,
    analyser: &Analyser,
) -> anyhow::Result<Scorecard> {
    let (entry, scenario) =
        persona_of(t, catalog).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    Ok(score(
        t,
        &path.display().to_string(),
        &entry.persona,
        scenario,
        entry.source.content.hash(),
        analyser,
        transcript::now_rfc3339(),
    ))
}

/// The persona and scenario a transcript was recorded with.
fn persona_of<'c>(
    t: &Transcript,
    catalog: &'c Catalog,
) -> Result<(&'c Entry, &'c Scenario), String> {
    let entry = catalog.find(&t.header.persona.id).ok_or_else(|| {
        format!(
            "记录里的客户「{}」不在当前的客户画像里;用 --persona-dir 指向它所在的目录",
            t.header.persona.id
        )
    })?;
    let scenario = entry.persona.scenario(&t.header.scenario).ok_or_else(|| {
        format!(
            "客户「{}」没有场景「{}」",
            entry.persona.id, t.header.scenario
        )
    })?;
    Ok((entry, scenario))
}

/// A transcript as JSONL, byte for byte what [`transcript::Writer`] writes line by
/// line: scripted sessions are played in memory and their transcripts written whole
/// and atomically.
pub fn to_jsonl(t: &Transcript) -> String {
    #[derive(Serialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    enum Line<'a> {
        Header(&'a Header),
        Turn(&'a TurnRecord),
        End(&'a End),
    }
    let mut out = String::new();
    let mut push = |l: Line| {
        out.push_str(&serde_json::to_string(&l).expect("a transcript line serialises"));
        out.push('\n');
    };
    push(Line::Header(&t.header));
    for turn in &t.turns {
        push(Line::Turn(turn));
    }
    if let Some(e) = &t.end {
        push(Line::End(e));
    }
    out
}

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
}

/// A session that could not be assessed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub order: usize,
    /// The transcript file, or the manifest entry.
    pub what: String,
    pub message: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A transcript's read error already starts with its file name.
        if self.message.starts_with(&self.what) {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.what, self.message)
        }
    }
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
            .filter(|p| p.extension().is_some_and(|x| x == "jsonl") && p.is_file())
            .collect();
        files.sort();
        let mut taken = HashSet::new();
        let items = files
            .into_iter()
            .enumerate()
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
        Ok(Self {
            items,
            failures: Vec::new(),
        })
    }

    /// The sessions of a manifest. A file that is not a manifest is an error; a bad
    /// entry is a failure of that entry only.
    pub fn manifest(path: &Path) -> anyhow::Result<Self> {
        let text = crate::io::read_text_file(path)?;
        let file = path.display().to_string();
        let raw: RawManifest = toml::from_str(&text).map_err(|e| {
            anyhow!(
                "{}\n考核清单的格式:每场对话一个 [[session]],含 trainee、persona、answers,可选 scenario、difficulty、seed",
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
                        message: format!("{};{}", e.message().trim(), ENTRY_HELP),
                    });
                    continue;
                }
            };
            let label = format!(
                "{label}(学员「{}」,客户「{}」)",
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
                }),
            });
        }
        Ok(plan)
    }
}

const ENTRY_HELP: &str = "每个 [[session]] 含 trainee、persona、answers,可选 scenario、difficulty(easy/normal/hard)、seed";

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

/// Where and how a run writes.
pub struct Settings<'r> {
    pub out: PathBuf,
    /// Scorecard renderers; JSON is always written, whatever this holds.
    pub renderers: Vec<&'r (dyn Render + Sync)>,
    /// The model server voicing scripted customers; offline when `None`. The mood
    /// model decides outcomes either way, so only the customer's words differ.
    pub llm: Option<crate::llm::Settings>,
}

/// What the summary and the report need of one scored session (the full scorecard is
/// written and dropped, so a run of ten thousand stays small).
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub name: String,
    pub trainee: String,
    pub persona: String,
    pub persona_name: String,
    pub scenario: String,
    pub difficulty: String,
    pub outcome: String,
    pub total: f64,
    pub grade: String,
    pub forbidden_count: usize,
    /// Why the session does not count for assessment (see [`Scorecard::invalid`]).
    pub invalid: Option<String>,
    /// Label and score of each dimension, in scorecard order.
    pub dimensions: Vec<(&'static str, f64)>,
    /// The compliance dimension's deductions.
    pub violations: Vec<Violation>,
}

/// One deduction of the compliance dimension.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    pub rule: String,
    /// Whether the rule is a 禁语 (a rule of the `forbidden` kind).
    pub forbidden: bool,
    pub why: String,
    pub quote: String,
    pub better: Option<String>,
}

/// The result of a run, in run order.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub rows: Vec<Row>,
    pub failures: Vec<Failure>,
    /// Things worth saying that did not stop a session (a cut-off answers line).
    pub warnings: Vec<String>,
    /// The rubric's grades, best first, for the report's grade counts.
    pub grades: Vec<String>,
}

/// Sessions that share persona, scenario and difficulty share one compiled engine.
type EngineKey = (usize, usize, String);

/// Score every session of `plan` in parallel, writing each one's scorecards (and, for a
/// scripted session, its transcript) under `settings.out`. `tick` is called once per
/// session as it finishes, from whichever thread finished it.
pub fn assess(
    plan: Plan,
    catalog: &Catalog,
    analyser: &Analyser,
    settings: &Settings,
    tick: &(dyn Fn() + Sync),
) -> anyhow::Result<Report> {
    std::fs::create_dir_all(&settings.out)
        .with_context(|| format!("无法创建目录 {}", settings.out.display()))?;
    let staged = |name: &str| {
        let dir = settings.out.join(name);
        StagedDir::new(&dir).with_context(|| format!("无法创建目录 {}", dir.display()))
    };
    let cards = staged("scorecards")?;
    let transcripts = if plan
        .items
        .iter()
        .any(|i| matches!(i.what, What::Scripted(_)))
    {
        Some(staged("transcripts")?)
    } else {
        None
    };

    // Resolve every scripted session's persona, scenario and difficulty first, and
    // compile each distinct combination once.
    let mut keys: Vec<EngineKey> = Vec::new();
    let mut resolved: HashMap<usize, Result<usize, String>> = HashMap::new();
    for item in &plan.items {
        if let What::Scripted(s) = &item.what {
            let r = resolve(catalog, s).map(|key| match keys.iter().position(|k| *k == key) {
                Some(i) => i,
                None => {
                    keys.push(key);
                    keys.len() - 1
                }
            });
            resolved.insert(item.order, r);
        }
    }
    let entries = catalog.entries();
    let engines: Vec<Engine> = keys
        .par_iter()
        .map(|(p, s, level)| {
            let persona = &entries[*p].persona;
            Engine::new(persona, &persona.scenarios[*s], level, analyser)
                .expect("difficulty checked when resolved")
        })
        .collect();

    let forbidden: HashSet<&str> = analyser
        .rubric()
        .rules
        .iter()
        .filter(|r| r.kind == "forbidden")
        .map(|r| r.id.as_str())
        .collect();
    // One thread writes every file, while the others score: two threads creating
    // files in one directory wait on its lock (measured: three times slower than one).
    let (tx, rx) = std::sync::mpsc::sync_channel::<Output>(256);
    let dirs = [
        cards.path().to_path_buf(),
        transcripts
            .as_ref()
            .map_or_else(PathBuf::new, |t| t.path().to_path_buf()),
    ];
    let writer = std::thread::spawn(move || {
        let mut failed: BTreeMap<usize, String> = BTreeMap::new();
        for o in rx {
            if failed.contains_key(&o.index) {
                continue;
            }
            let path = dirs[o.dir as usize].join(&o.file);
            if let Err(e) = write_new(&path, &o.bytes) {
                failed.insert(o.index, format!("写入 {}: {e}", o.file));
            }
        }
        failed
    });
    let mut results: Vec<Result<(Row, Vec<String>), Failure>> = plan
        .items
        .par_iter()
        .enumerate()
        .map_with(tx, |tx, (index, item)| {
            let send = |dir: Dir, file: String, bytes: Vec<u8>| {
                // The writer only stops when every sender is gone.
                let _ = tx.send(Output {
                    index,
                    dir,
                    file,
                    bytes,
                });
            };
            let r = match &item.what {
                What::Transcript(path) => {
                    assess_transcript(item, path, catalog, analyser, settings, &forbidden, send)
                        .map(|row| (row, Vec::new()))
                        .map_err(|e| Failure {
                            order: item.order,
                            what: path.display().to_string(),
                            message: format!("{e:#}"),
                        })
                }
                What::Scripted(s) => {
                    let engine = match &resolved[&item.order] {
                        Ok(i) => Ok((&entries[keys[*i].0], &engines[*i])),
                        Err(e) => Err(anyhow!("{e}")),
                    };
                    engine
                        .and_then(|(entry, engine)| {
                            play(item, s, entry, engine, settings, &forbidden, send)
                        })
                        .map_err(|e| Failure {
                            order: item.order,
                            what: s.label.clone(),
                            message: format!("{e:#}"),
                        })
                }
            };
            tick();
            r
        })
        .collect();
    let failed = writer.join().expect("the writer thread does not panic");
    for (index, message) in failed {
        let item = &plan.items[index];
        let what = match &item.what {
            What::Transcript(path) => path.display().to_string(),
            What::Scripted(s) => s.label.clone(),
        };
        results[index] = Err(Failure {
            order: item.order,
            what,
            message,
        });
    }
    for dir in std::iter::once(cards).chain(transcripts) {
        let target = dir.target().display().to_string();
        dir.publish()
            .with_context(|| format!("无法把结果移到 {target}"))?;
    }

    let mut report = Report {
        failures: plan.failures,
        grades: analyser
            .rubric()
            .scoring
            .grades
            .iter()
            .map(|g| g.name.clone())
            .collect(),
        ..Report::default()
    };
    for r in results {
        match r {
            Ok((row, warnings)) => {
                report.rows.push(row);
                report.warnings.extend(warnings);
            }
            Err(f) => report.failures.push(f),
        }
    }
    report.failures.sort_by_key(|f| f.order);
    Ok(report)
}

fn resolve(catalog: &Catalog, s: &Scripted) -> Result<EngineKey, String> {
    let found = catalog
        .find(&s.persona)
        .ok_or_else(|| catalog.not_found(&s.persona))?;
    let p = catalog
        .entries()
        .iter()
        .position(|e| std::ptr::eq(e, found))
        .expect("found in the catalog");
    let persona = &catalog.entries()[p].persona;
    let sc = match &s.scenario {
        None => 0,
        Some(id) => persona
            .scenarios
            .iter()
            .position(|x| x.id == *id)
            .ok_or_else(|| {
                let ids: Vec<&str> = persona.scenarios.iter().map(|s| s.id.as_str()).collect();
                format!(
                    "客户「{}」没有场景「{id}」。可选:{}",
                    persona.name,
                    ids.join("、")
                )
            })?,
    };
    if persona.scenarios.is_empty() {
        return Err(format!("客户「{}」没有场景", persona.name));
    }
    if persona.difficulty.get(&s.difficulty).is_none() {
        return Err(format!(
            "难度「{}」不存在;expected easy, normal or hard",
            s.difficulty
        ));
    }
    Ok((p, sc, s.difficulty.clone()))
}

fn assess_transcript(
    item: &Item,
    path: &Path,
    catalog: &Catalog,
    analyser: &Analyser,
    settings: &Settings,
    forbidden: &HashSet<&str>,
    send: impl Fn(Dir, String, Vec<u8>),
) -> anyhow::Result<Row> {
    let card = score_file(path, catalog, analyser)?;
    send_cards(&item.name, &card, settings, &send);
    let persona_name = catalog
        .find(&card.source.persona)
        .map_or_else(String::new, |e| e.persona.name.clone());
    Ok(row(&item.name, &card, persona_name, forbidden))
}

/// Play a scripted session, write its transcript, score it.
fn play(
    item: &Item,
    s: &Scripted,
    entry: &Entry,
    engine: &Engine,
    settings: &Settings,
    forbidden: &HashSet<&str>,
    send: impl Fn(Dir, String, Vec<u8>),
) -> anyhow::Result<(Row, Vec<String>)> {
    let (lines, warnings) = answers(&s.answers)?;
    let opts = Options {
        seed: s.seed,
        trainee: s.trainee.clone(),
        transcript: None,
    };
    let voice = match &settings.llm {
        Some(l) => Some(crate::llm::LlmVoice::new(l.clone(), engine)?),
        None => None,
    };
    let mut session = Live::quiet(|live| {
        Session::start_voiced(engine, &entry.source, &opts, voice.as_ref(), live)
    })?;
    for line in &lines {
        session.say(line)?;
        if session.outcome().is_some() {
            break;
        }
    }
    if session.outcome().is_none() {
        session.finish_unfinished(UNFINISHED)?;
    }
    let t = Transcript {
        header: session.header().clone(),
        turns: session.turns().to_vec(),
        end: session.end().cloned(),
    };
    send(
        Dir::Transcripts,
        format!("{}.jsonl", item.name),
        to_jsonl(&t).into_bytes(),
    );
    // Named relative to the output directory, so that the whole directory can move
    // and two runs into different directories write the same scorecards.
    let card = score(
        &t,
        &format!("transcripts/{}.jsonl", item.name),
        engine.persona,
        engine.scenario,
        entry.source.content.hash(),
        engine.analyser(),
        transcript::now_rfc3339(),
    );
    send_cards(&item.name, &card, settings, &send);
    let warnings = warnings
        .into_iter()
        .map(|w| format!("{}: {w}", s.label))
        .collect();
    Ok((
        row(&item.name, &card, engine.persona.name.clone(), forbidden),
        warnings,
    ))
}

/// The trainee lines of an answers file, read as `peilian run` reads them: UTF-8,
/// blank lines and `#` comments skipped, over-long lines cut (with a warning).
fn answers(path: &Path) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let bytes =
        std::fs::read(path).with_context(|| format!("无法读取台词文件 {}", path.display()))?;
    let mut lines = Vec::new();
    let mut warnings = Vec::new();
    for (i, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let Ok(text) = std::str::from_utf8(raw) else {
            anyhow::bail!(
                "{}:{}: 不是有效的 UTF-8 文本;请把台词文件存为 UTF-8",
                path.display(),
                i + 1
            );
        };
        let text = text.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let n = text.chars().count();
        if n > MAX_TURN_CHARS {
            warnings.push(format!(
                "{}:{}: 这一行有 {n} 个字,只取前 {MAX_TURN_CHARS} 个",
                path.display(),
                i + 1
            ));
            lines.push(text.chars().take(MAX_TURN_CHARS).collect());
        } else {
            lines.push(text.to_string());
        }
    }
    if lines.is_empty() {
        anyhow::bail!("台词文件 {} 是空的:每行写一句学员要说的话", path.display());
    }
    Ok((lines, warnings))
}

/// A file for the writer thread: which session it belongs to, and where it goes.
struct Output {
    index: usize,
    dir: Dir,
    file: String,
    bytes: Vec<u8>,
}

#[derive(Clone, Copy)]
enum Dir {
    Scorecards = 0,
    Transcripts = 1,
}

/// Write a new file in a staging directory (see [`StagedDir`]): no temporary file, no
/// rename, no sync; the directory is published whole when the run is done.
fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    std::fs::File::create_new(path)?.write_all(bytes)
}

/// A session's scorecard in JSON and every extra format, for the writer thread.
fn send_cards(
    name: &str,
    card: &Scorecard,
    settings: &Settings,
    send: &impl Fn(Dir, String, Vec<u8>),
) {
    // The JSON scorecard is always written, compact: a run writes thousands, and
    // indenting them cost a third of their serialisation (`peilian score --format
    // json` prints the same object indented, for people).
    let mut json = serde_json::to_vec(card).expect("a scorecard serialises");
    json.push(b'\n');
    send(Dir::Scorecards, format!("{name}.json"), json);
    for r in settings
        .renderers
        .iter()
        .filter(|r| r.extension() != "json")
    {
        send(
            Dir::Scorecards,
            format!("{name}.{}", r.extension()),
            r.render(card).into_bytes(),
        );
    }
}

fn row(name: &str, c: &Scorecard, persona_name: String, forbidden: &HashSet<&str>) -> Row {
    Row {
        name: name.to_string(),
        trainee: c.trainee.clone(),
        persona: c.source.persona.clone(),
        persona_name,
        scenario: c.source.scenario.clone(),
        difficulty: c.source.difficulty.clone(),
        outcome: c.outcome.clone(),
        total: c.total,
        grade: c.grade.clone(),
        forbidden_count: c.forbidden_count,
        invalid: c.invalid.clone(),
        dimensions: c.dimensions.iter().map(|d| (d.label, d.score)).collect(),
        violations: c
            .dimensions
            .iter()
            .filter(|d| d.id == "compliance")
            .flat_map(|d| &d.evidence)
            .filter(|e| e.points < 0.0)
            .map(|e| Violation {
                rule: e.rule.clone(),
                forbidden: forbidden.contains(e.rule.as_str()),
                why: e.why.clone(),
                quote: e.quote.clone(),
                better: e.better.clone(),
            })
            .collect(),
    }
}

/// `summary.csv`: UTF-8 with a byte-order mark (so that Excel reads the Chinese),
/// Chinese headers, one row per scored session in run order.
pub fn summary_csv(report: &Report) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let dims: Vec<&str> = match report.rows.first() {
        Some(r) => r.dimensions.iter().map(|d| d.0).collect(),
        None => DIMENSIONS.to_vec(),
    };
    let mut header = vec![
        "学员",
        "客户类型",
        "场景",
        "难度",
        "结局",
        "总分",
        "等级",
        "禁语次数",
    ];
    header.extend(&dims);
    header.push("评分卡");
    header.push("考核有效");
    w.write_record(&header).expect("writing to memory");
    for r in &report.rows {
        let mut rec = vec![
            cell(&r.trainee),
            cell(&r.persona),
            cell(&r.scenario),
            cell(&r.difficulty),
            cell(&r.outcome),
            format!("{:.1}", r.total),
            cell(&r.grade),
            r.forbidden_count.to_string(),
        ];
        rec.extend(r.dimensions.iter().map(|d| format!("{:.1}", d.1)));
        rec.push(cell(&format!("scorecards/{}.json", r.name)));
        rec.push(match &r.invalid {
            None => "是".to_string(),
            Some(why) => cell(&format!("否:{why}")),
        });
        w.write_record(&rec).expect("writing to memory");
    }
    w.into_inner().expect("writing to memory")
}

/// Write `summary.csv` and `report.html` into `out`. `card_ext` is the scorecard format
/// the report links to.
pub fn write_summary(out: &Path, report: &Report, card_ext: &str) -> anyhow::Result<()> {
    for (name, bytes) in [
        ("summary.csv", summary_csv(report)),
        ("report.html", report_html(report, card_ext).into_bytes()),
    ] {
        let path = out.join(name);
        crate::io::write_atomic(&path, &bytes)
            .with_context(|| format!("写入 {}", path.display()))?;
    }
    Ok(())
}

/// A file name as a relative URL: letters of any script, digits and `-_.~` stay, the
/// rest is percent-encoded (a `#` or `?` in a transcript's name must not cut the link).
fn href(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '~') {
            out.push(c);
        } else {
            let mut buf = [0; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

/// A text cell of `summary.csv`: control characters removed, and a leading `=`, `+`,
/// `-` or `@` quoted so that a spreadsheet shows it instead of running it as a formula.
fn cell(s: &str) -> String {
    let s = ui::sanitize(s);
    if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.into_owned()
    }
}

/// Text from transcripts, rubrics and persona files as HTML: control sequences
/// stripped, markup escaped.
fn esc(s: &str) -> String {
    let s = ui::sanitize(s);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn outcome_label(o: &str) -> &'static str {
    match o {
        "resolved" => "问题解决",
        "walked_out" => "客户愤而离开",
        "out_of_turns" => "客户失去耐心",
        _ => "对话未结束",
    }
}

/// Averages of a group of rows.
#[derive(Default)]
struct Group {
    n: usize,
    total: f64,
    dims: Vec<f64>,
    resolved: usize,
    forbidden: usize,
}

impl Group {
    fn add(&mut self, r: &Row) {
        self.n += 1;
        self.total += r.total;
        if self.dims.len() < r.dimensions.len() {
            self.dims.resize(r.dimensions.len(), 0.0);
        }
        for (i, d) in r.dimensions.iter().enumerate() {
            self.dims[i] += d.1;
        }
        self.resolved += usize::from(r.outcome == "resolved");
        self.forbidden += r.forbidden_count;
    }

    fn avg(&self, x: f64) -> String {
        format!("{:.1}", x / self.n.max(1) as f64)
    }
}

/// How often one rule was broken across the run.
struct Tally<'a> {
    rule: &'a str,
    why: &'a str,
    count: usize,
    sessions: usize,
    quote: &'a str,
    better: Option<&'a str>,
}

fn tallies(rows: &[Row], forbidden: bool) -> Vec<Tally<'_>> {
    let mut by_rule: BTreeMap<&str, Tally> = BTreeMap::new();
    for r in rows {
        let mut seen: HashSet<&str> = HashSet::new();
        for v in r.violations.iter().filter(|v| v.forbidden == forbidden) {
            let t = by_rule.entry(&v.rule).or_insert_with(|| Tally {
                rule: &v.rule,
                why: &v.why,
                count: 0,
                sessions: 0,
                quote: &v.quote,
                better: v.better.as_deref(),
            });
            t.count += 1;
            if seen.insert(&v.rule) {
                t.sessions += 1;
            }
        }
    }
    let mut out: Vec<Tally> = by_rule.into_values().collect();
    // Most frequent first; ties by rule id (the map's order, kept by a stable sort).
    out.sort_by_key(|t| std::cmp::Reverse(t.count));
    out
}

/// The histogram of totals as an inline SVG: ten bins of ten points (100 in the last).
fn histogram(rows: &[Row]) -> String {
    let mut bins = [0usize; 10];
    for r in rows {
        bins[((r.total / 10.0).floor().max(0.0) as usize).min(9)] += 1;
    }
    let max = bins.iter().copied().max().unwrap_or(0).max(1);
    let (w, h, left, bottom, top) = (640.0, 260.0, 40.0, 30.0, 20.0);
    let bar_w = (w - left - 10.0) / 10.0;
    let plot_h = h - bottom - top;
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="总分分布"><line x1="{left}" y1="{y0}" x2="{x1}" y2="{y0}" stroke="#888"/>"##,
        y0 = h - bottom,
        x1 = w - 10.0
    );
    for (i, &n) in bins.iter().enumerate() {
        let bh = plot_h * n as f64 / max as f64;
        let x = left + bar_w * i as f64;
        let y = h - bottom - bh;
        let colour = match i {
            9 => "#2e7d32",
            7 | 8 => "#66a61e",
            6 => "#e6ab02",
            _ => "#d95f02",
        };
        let range = if i == 9 {
            "90–100".to_string()
        } else {
            format!("{}–{}", i * 10, i * 10 + 9)
        };
        let _ = write!(
            s,
            r#"<rect x="{:.1}" y="{y:.1}" width="{:.1}" height="{bh:.1}" fill="{colour}"><title>{range} 分:{n} 场</title></rect><text x="{:.1}" y="{:.1}" font-size="12" text-anchor="middle">{n}</text><text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle">{range}</text>"#,
            x + 2.0,
            bar_w - 4.0,
            x + bar_w / 2.0,
            y - 4.0,
            x + bar_w / 2.0,
            h - bottom + 16.0,
        );
    }
    s.push_str("</svg>");
    s
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,\"PingFang SC\",\"Microsoft YaHei\",sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;color:#222}\
table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}\
th{background:#f3f3f3;white-space:nowrap}td.n{text-align:right;font-variant-numeric:tabular-nums}.bad{color:#b00020}.muted{color:#666}\
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:1.6em;border-bottom:1px solid #ddd}";

/// `report.html`: one self-contained page (no external assets) for the assessor.
pub fn report_html(report: &Report, card_ext: &str) -> String {
    let rows = &report.rows;
    let dims: Vec<&str> = match rows.first() {
        Some(r) => r.dimensions.iter().map(|d| d.0).collect(),
        None => DIMENSIONS.to_vec(),
    };
    let mut all = Group::default();
    let mut by_persona: BTreeMap<(&str, &str), Group> = BTreeMap::new();
    let mut by_trainee: BTreeMap<&str, Group> = BTreeMap::new();
    let mut grades: Vec<(&str, usize)> = report.grades.iter().map(|g| (g.as_str(), 0)).collect();
    let mut outcomes: BTreeMap<&str, usize> = BTreeMap::new();
    for r in rows {
        all.add(r);
        by_persona
            .entry((&r.persona, &r.persona_name))
            .or_default()
            .add(r);
        by_trainee.entry(&r.trainee).or_default().add(r);
        match grades.iter_mut().find(|g| g.0 == r.grade) {
            Some(g) => g.1 += 1,
            None => grades.push((&r.grade, 1)),
        }
        *outcomes.entry(&r.outcome).or_default() += 1;
    }

    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>考核报告</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>考核报告</h1>\n"
    );
    let _ = writeln!(
        o,
        "<p>评分 {} 场{},平均总分 <strong>{}</strong>,问题解决 {} 场,说了禁语 {} 次。</p>",
        rows.len(),
        if report.failures.is_empty() {
            String::new()
        } else {
            format!(
                ",<span class=\"bad\">{} 场无法评分</span>",
                report.failures.len()
            )
        },
        all.avg(all.total),
        all.resolved,
        all.forbidden
    );
    if !rows.is_empty() {
        let parts: Vec<String> = grades
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(g, n)| format!("{} {n} 场", esc(g)))
            .collect();
        let outs: Vec<String> = outcomes
            .iter()
            .map(|(k, n)| format!("{} {n} 场", outcome_label(k)))
            .collect();
        let _ = writeln!(
            o,
            "<p>等级:{}。结局:{}。</p>",
            parts.join(" · "),
            outs.join(" · ")
        );
    }

    let _ = writeln!(o, "<h2>总分分布</h2>\n{}", histogram(rows));

    let avg_table = |o: &mut String, first: &str, groups: Vec<(String, &Group)>| {
        let _ = write!(
            o,
            "<table>\n<tr><th>{first}</th><th>场数</th><th>平均总分</th>"
        );
        for d in &dims {
            let _ = write!(o, "<th>{}</th>", esc(d));
        }
        let _ = writeln!(o, "<th>问题解决</th><th>禁语次数</th></tr>");
        for (name, g) in groups {
            let _ = write!(
                o,
                "<tr><td>{name}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>",
                g.n,
                g.avg(g.total)
            );
            for x in &g.dims {
                let _ = write!(o, "<td class=\"n\">{}</td>", g.avg(*x));
            }
            let _ = writeln!(
                o,
                "<td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                g.resolved, g.forbidden
            );
        }
        o.push_str("</table>\n");
    };

    o.push_str("<h2>各客户类型平均分</h2>\n");
    avg_table(
        &mut o,
        "客户类型",
        by_persona
            .iter()
            .map(|((id, name), g)| {
                let label = if name.is_empty() {
                    esc(id)
                } else {
                    format!("{}<span class=\"muted\">({})</span>", esc(name), esc(id))
                };
                (label, g)
            })
            .collect(),
    );
    o.push_str("<h2>各学员平均分</h2>\n");
    avg_table(
        &mut o,
        "学员",
        by_trainee
            .iter()
            .map(|(t, g)| {
                let name = if t.is_empty() {
                    "<span class=\"muted\">(未填写)</span>".to_string()
                } else {
                    esc(t)
                };
                (name, g)
            })
            .collect(),
    );

    for (forbidden, title) in [(true, "最常见的禁语"), (false, "其他禁止法则的违规")]
    {
        let list = tallies(rows, forbidden);
        let _ = writeln!(o, "<h2>{title}</h2>");
        if list.is_empty() {
            o.push_str("<p class=\"muted\">没有。</p>\n");
            continue;
        }
        o.push_str("<table>\n<tr><th>规则</th><th>次数</th><th>场数</th><th>例句</th><th>更好的说法</th></tr>\n");
        for t in list.iter().take(15) {
            let _ = writeln!(
                o,
                "<tr><td>{}<br><span class=\"muted\">{}</span></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>「{}」</td><td>{}</td></tr>",
                esc(t.why),
                esc(t.rule),
                t.count,
                t.sessions,
                esc(t.quote),
                esc(t.better.unwrap_or(""))
            );
        }
        o.push_str("</table>\n");
    }

    if !report.failures.is_empty() {
        o.push_str("<h2>无法评分</h2>\n<ul>\n");
        for f in &report.failures {
            let _ = writeln!(o, "<li>{}</li>", esc(&f.to_string()));
        }
        o.push_str("</ul>\n");
    }

    o.push_str("<h2>每场评分</h2>\n<table>\n<tr><th>评分卡</th><th>学员</th><th>客户类型</th><th>场景</th><th>难度</th><th>结局</th><th>总分</th><th>等级</th><th>禁语</th></tr>\n");
    for r in rows {
        let _ = writeln!(
            o,
            "<tr><td><a href=\"scorecards/{link}.{card_ext}\">{name}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{:.1}</td><td>{}</td><td class=\"n\">{}</td></tr>",
            esc(&r.trainee),
            esc(if r.persona_name.is_empty() {
                &r.persona
            } else {
                &r.persona_name
            }),
            esc(&r.scenario),
            esc(&r.difficulty),
            outcome_label(&r.outcome),
            r.total,
            esc(&r.grade),
            r.forbidden_count,
            name = esc(&r.name),
            link = href(&r.name),
        );
    }
    o.push_str("</table>\n</body>\n</html>\n");
    o
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

    #[test]
    fn links_and_csv_cells_are_made_safe() {
        assert_eq!(href("小王 #1?"), "小王%20%231%3F");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("小\u{1b}[31m王"), "小王");
    }

    #[test]
    fn html_text_is_escaped_and_sanitised() {
        assert_eq!(
            esc("<b>\"x\"&'y'\u{1b}[31m</b>"),
            "&lt;b&gt;&quot;x&quot;&amp;&#39;y&#39;&lt;/b&gt;"
        );
    }

    #[test]
    fn jsonl_matches_the_transcript_writer() {
        let analyser = crate::rubric::default_rubric();
        let catalog = Catalog::load(None, analyser).unwrap();
        let entry = catalog.find("emotional").unwrap();
        let engine = Engine::new(
            &entry.persona,
            &entry.persona.scenarios[0],
            "normal",
            analyser,
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.jsonl");
        let opts = Options {
            seed: 7,
            trainee: "小王".into(),
            transcript: Some(path.clone()),
        };
        let mut s = Session::start(&engine, &entry.source, &opts).unwrap();
        s.say("您好,非常理解您的心情").unwrap();
        s.say("请问您的单号是多少?").unwrap();
        s.finish_unfinished(UNFINISHED).unwrap();
        let t = Transcript {
            header: s.header().clone(),
            turns: s.turns().to_vec(),
            end: s.end().cloned(),
        };
        assert_eq!(to_jsonl(&t), std::fs::read_to_string(&path).unwrap());
        assert_eq!(transcript::read(&path).unwrap(), t);
    }

    #[test]
    fn histogram_puts_100_in_the_last_bin() {
        let r = |total| Row {
            name: String::new(),
            trainee: String::new(),
            persona: String::new(),
            persona_name: String::new(),
            scenario: String::new(),
            difficulty: String::new(),
            outcome: String::new(),
            total,
            grade: String::new(),
            forbidden_count: 0,
            invalid: None,
            dimensions: Vec::new(),
            violations: Vec::new(),
        };
        let svg = histogram(&[r(100.0), r(95.0), r(0.0)]);
        assert!(svg.contains("<title>90–100 分:2 场</title>"), "{svg}");
        assert!(svg.contains("<title>0–9 分:1 场</title>"), "{svg}");
    }
}

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

use std::collections::{HashMap, HashSet};
use std::io;
use std::path::Path;

use anyhow::{Context as _, anyhow};
use rayon::prelude::*;

use crate::engine::Engine;
use crate::persona::{Catalog, Entry, Scenario, Unresolved};
use crate::replay;
use crate::rubric::Analyser;
use crate::score::render::Render;
use crate::score::{Scorecard, score};
use crate::script;
use crate::session::{Live, Options, Record, Session};
use crate::transcript::{self, Mode, Transcript};

mod flags;
mod plan;
mod publish;
mod report;
mod summary;

pub use plan::{Item, Plan, Scripted, What, safe_name};
pub use publish::OutDir;
pub use report::{TREND_RGB, report_html};
pub use summary::summary_csv;

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
    score_replayed(t, path, catalog, analyser, &replay::Engines::default())
}

/// Score a transcript and replay it (see [`crate::replay`]), with engines shared by a
/// run's transcripts.
pub fn score_replayed<'c>(
    t: &Transcript,
    path: &Path,
    catalog: &'c Catalog,
    analyser: &'c Analyser,
    engines: &replay::Engines<'c>,
) -> anyhow::Result<Scorecard> {
    let (mut card, entry, scenario) = scored(t, path, catalog, analyser)?;
    card.set_replay(replay::check(t, entry, scenario, analyser, engines));
    Ok(card)
}

/// Score a transcript with the persona and scenario it names, without the replay check
/// ([`RunSettings::replay`] off).
fn scored<'c>(
    t: &Transcript,
    path: &Path,
    catalog: &'c Catalog,
    analyser: &Analyser,
) -> anyhow::Result<(Scorecard, &'c Entry, &'c Scenario)> {
    let (entry, scenario) =
        persona_of(t, catalog).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    let card = score(
        t,
        &path.display().to_string(),
        &entry.persona,
        scenario,
        entry.source.content.hash(),
        analyser,
        transcript::now_rfc3339(),
    );
    Ok((card, entry, scenario))
}

/// The persona and scenario a transcript was recorded with.
fn persona_of<'c>(
    t: &Transcript,
    catalog: &'c Catalog,
) -> Result<(&'c Entry, &'c Scenario), String> {
    let h = &t.header;
    catalog
        .resolve(&h.persona.id, Some(&h.scenario))
        .map_err(|e| match e {
            Unresolved::Persona { .. } => catalog.missing(&h.persona.id, &h.persona.name),
            Unresolved::Scenario {
                persona_id,
                scenario,
                ..
            } => format!("客户「{persona_id}」没有场景「{scenario}」"),
        })
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

/// How a run writes (where: the [`OutDir`] given to [`assess`]).
pub struct RunSettings<'r> {
    /// Scorecard renderers; JSON is always written, whatever this holds.
    pub renderers: Vec<&'r (dyn Render + Sync)>,
    /// The model server voicing scripted customers; offline when `None`. The mood
    /// model decides outcomes either way, so only the customer's words differ.
    pub llm: Option<crate::llm::Settings>,
    /// The scorecard format `report.html` links to.
    pub card_ext: &'static str,
    /// Count exam sessions only (`--exam-only`): practice sessions, and transcripts
    /// that do not record a mode, are left out and counted.
    pub exam_only: bool,
    /// The key of the `peilian serve` that wrote the web sessions (`--key`): their
    /// seals are checked, and a session whose seal does not hold does not count.
    pub key: Option<crate::transcript::seal::Key>,
    /// Replay each transcript (see [`crate::replay`]). Always on from the command line;
    /// off only to measure what the check adds to a run (`benches/assess.rs`): a card
    /// scored without it says nothing of its replay.
    pub replay: bool,
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
    /// The scenario's title, as the trainee read it.
    pub scenario_title: String,
    pub difficulty: String,
    pub outcome: String,
    /// When the session started: RFC 3339, UTC.
    pub started_at: String,
    pub turns: u32,
    pub final_anger: i32,
    pub mode: Mode,
    /// The transcript records no mode (older than the field): read as practice.
    pub mode_unrecorded: bool,
    /// Lines taken back with `/undo`, and how many of them held a 禁语.
    pub undos: usize,
    pub undone_forbidden: usize,
    /// Abandoned: ended with `/restart`, or cut off without an end line. Group
    /// averages count finished sessions only.
    pub abandoned: bool,
    pub restarted: bool,
    pub interrupted: bool,
    /// The transcript says it is another attempt (`/restart`, `practice --retry`).
    pub attempt_of: bool,
    /// Earlier attempts at the same customer given up just before this one (see
    /// [`mark_retries`]); set when the run is collected.
    pub retries: usize,
    /// Whether the grade is a pass (any but the rubric's lowest); set when collected.
    pub passed: bool,
    pub total: f64,
    pub grade: String,
    pub forbidden_count: usize,
    /// Why the session does not count for assessment (see [`Scorecard::invalid`]).
    pub invalid: Option<String>,
    /// Why the transcript could not be checked by replay, if it could not.
    pub unverified: Option<String>,
    /// Label, score and maximum of each dimension, in scorecard order.
    pub dimensions: Vec<(&'static str, f64, f64)>,
    /// The compliance dimension's deductions.
    pub violations: Vec<Violation>,
    /// The line with the most kinds of good act in it, as (turn, kinds), when it has
    /// [`STUFFED_KINDS`] or more: a paragraph of stock phrases an assessor should read.
    pub stuffed: Option<(u32, usize)>,
}

/// Kinds of good act in one line from which the line is flagged as stuffed. A natural
/// line does two or three things (理解 + 道歉 + 方案 + 时限 is already a full one); the
/// engine calls seven 背稿子.
pub const STUFFED_KINDS: usize = 5;

/// Mark each row's retries (see [`crate::history::retries`]).
pub fn mark_retries(rows: &mut [Row]) {
    let attempts: Vec<crate::history::Attempt<'_>> = rows
        .iter()
        .map(|r| crate::history::Attempt {
            trainee: &r.trainee,
            persona: &r.persona,
            scenario: &r.scenario,
            mode: r.mode,
            started_at: &r.started_at,
            abandoned: r.abandoned,
            says_retry: r.attempt_of,
        })
        .collect();
    let counts = crate::history::retries(&attempts);
    for (r, n) in rows.iter_mut().zip(counts) {
        r.retries = n;
    }
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
    /// Sessions left out by `--exam-only`, and how many of them record no mode.
    pub left_out: usize,
    pub left_out_unrecorded: usize,
    /// Whether the run counted exam sessions only.
    pub exam_only: bool,
}

/// What became of one session: scored, or left out by `--exam-only` (`true` when the
/// transcript records no mode).
// Nearly every session is scored: boxing the row would add an allocation to each.
#[allow(clippy::large_enum_variant)]
enum Assessed {
    Scored(Row, Vec<String>),
    LeftOut { unrecorded: bool },
}

/// Sessions that share persona, scenario and difficulty share one compiled engine.
type EngineKey = (usize, usize, String);

/// Score every session of `plan` in parallel and publish the scorecards, the scripted
/// sessions' transcripts, `summary.csv` and `report.html` under `out`, whole or not at
/// all (see [`OutDir`]): a failed write is an error naming the file, and `out` keeps
/// the previous result. `tick` is called once per session as it finishes, from
/// whichever thread finished it.
pub fn assess(
    plan: Plan,
    catalog: &Catalog,
    analyser: &Analyser,
    settings: &RunSettings,
    out: &OutDir,
    tick: &(dyn Fn() + Sync),
) -> anyhow::Result<Report> {
    let staging = out.stage()?;
    let scripted = plan
        .items
        .iter()
        .any(|i| matches!(i.what, What::Scripted(_)));
    let report = score_all(plan, catalog, analyser, settings, staging.path(), tick)?;
    for (name, bytes) in [
        ("summary.csv", summary_csv(&report)),
        (
            "report.html",
            report_html(&report, settings.card_ext).into_bytes(),
        ),
    ] {
        publish::write_new(&staging.path().join(name), &bytes)
            .with_context(|| format!("无法写入 {name}；考核结果没有发布，上一次的结果保持不变"))?;
    }
    out.publish(staging, scripted)?;
    Ok(report)
}

/// Score every session, writing its files into `staging` on one writer thread. The
/// first failed write stops the writing and is the run's error.
fn score_all(
    plan: Plan,
    catalog: &Catalog,
    analyser: &Analyser,
    settings: &RunSettings,
    staging: &Path,
    tick: &(dyn Fn() + Sync),
) -> anyhow::Result<Report> {
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

    let forbidden = forbidden_rules(analyser);
    let replay_engines = replay::Engines::default();
    let (tx, writer) = spawn_writer(staging);
    let results: Vec<Result<Assessed, Failure>> = plan
        .items
        .par_iter()
        .map_with(tx, |tx, item| {
            let send = |dir: Dir, file: String, bytes: Vec<u8>| {
                // The writer only stops when every sender is gone.
                let _ = tx.send(Output { dir, file, bytes });
            };
            let r = match &item.what {
                What::Transcript(path) => assess_transcript(
                    item,
                    path,
                    (catalog, analyser, &replay_engines),
                    settings,
                    &forbidden,
                    send,
                ),
                What::Scripted(s) => match &resolved[&item.order] {
                    Ok(i) => play(
                        item,
                        s,
                        &entries[keys[*i].0],
                        &engines[*i],
                        settings,
                        &forbidden,
                        send,
                    ),
                    Err(e) => Err(anyhow!("{e}")),
                },
            };
            tick();
            r.map_err(|e| Failure {
                order: item.order,
                what: item.what.label(),
                message: format!("{e:#}"),
            })
        })
        .collect();
    if let Some(failed) = writer.join().expect("the writer thread does not panic") {
        anyhow::bail!("{failed}；考核结果没有发布，上一次的结果保持不变");
    }
    Ok(collect(
        plan.failures,
        results,
        analyser,
        settings.exam_only,
    ))
}

/// The ids of the rubric's 禁语 rules.
fn forbidden_rules(analyser: &Analyser) -> HashSet<&str> {
    analyser
        .rubric()
        .rules
        .iter()
        .filter(|r| r.kind == "forbidden")
        .map(|r| r.id.as_str())
        .collect()
}

/// The report of recorded transcripts, scored in memory with nothing written: the
/// trainer's view of `peilian serve` shows it for the sessions it lists. `files` are
/// (name, path); a row's scorecard link is `scorecards/NAME.html`.
pub fn report_of(
    files: &[(String, std::path::PathBuf)],
    catalog: &Catalog,
    analyser: &Analyser,
) -> Report {
    let settings = RunSettings {
        renderers: Vec::new(),
        llm: None,
        card_ext: "html",
        exam_only: false,
        key: None,
        replay: true,
    };
    let forbidden = forbidden_rules(analyser);
    let engines = replay::Engines::default();
    let results = files
        .par_iter()
        .enumerate()
        .map(|(order, (name, path))| {
            let item = Item {
                order,
                name: name.clone(),
                what: What::Transcript(path.clone()),
            };
            let ctx = (catalog, analyser, &engines);
            assess_transcript(&item, path, ctx, &settings, &forbidden, |_, _, _| {}).map_err(|e| {
                Failure {
                    order,
                    what: item.what.label(),
                    message: format!("{e:#}"),
                }
            })
        })
        .collect();
    collect(Vec::new(), results, analyser, false)
}

/// One thread writes every file, while the others score: two threads creating files in
/// one directory wait on its lock (measured: three times slower than one). The thread
/// returns the first failed write, after which it writes nothing more.
fn spawn_writer(
    staging: &Path,
) -> (
    std::sync::mpsc::SyncSender<Output>,
    std::thread::JoinHandle<Option<String>>,
) {
    let (tx, rx) = std::sync::mpsc::sync_channel::<Output>(256);
    let dirs = [staging.join("scorecards"), staging.join("transcripts")];
    let writer = std::thread::spawn(move || {
        let mut failed = None;
        for o in rx {
            if failed.is_some() {
                continue;
            }
            let path = dirs[o.dir as usize].join(&o.file);
            if let Err(e) = publish::write_new(&path, &o.bytes) {
                failed = Some(format!("无法写入 {}/{}：{e}", o.dir.name(), o.file));
            }
        }
        failed
    });
    (tx, writer)
}

/// The run's report: the rows in run order, the failures by order.
fn collect(
    failures: Vec<Failure>,
    results: Vec<Result<Assessed, Failure>>,
    analyser: &Analyser,
    exam_only: bool,
) -> Report {
    let mut report = Report {
        failures,
        exam_only,
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
            Ok(Assessed::Scored(row, warnings)) => {
                report.rows.push(row);
                report.warnings.extend(warnings);
            }
            Ok(Assessed::LeftOut { unrecorded }) => {
                report.left_out += 1;
                report.left_out_unrecorded += usize::from(unrecorded);
            }
            Err(f) => report.failures.push(f),
        }
    }
    report.failures.sort_by_key(|f| f.order);
    let failing = report.grades.last().cloned();
    for r in &mut report.rows {
        r.passed = failing.as_ref().is_none_or(|g| *g != r.grade);
    }
    mark_retries(&mut report.rows);
    report
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
                    "客户「{}」没有场景「{id}」。可选：{}",
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
            "难度「{}」不存在；expected easy, normal or hard",
            s.difficulty
        ));
    }
    Ok((p, sc, s.difficulty.clone()))
}

fn assess_transcript<'c>(
    item: &Item,
    path: &Path,
    (catalog, analyser, engines): (&'c Catalog, &'c Analyser, &replay::Engines<'c>),
    settings: &RunSettings,
    forbidden: &HashSet<&str>,
    send: impl Fn(Dir, String, Vec<u8>),
) -> anyhow::Result<Assessed> {
    let t = transcript::read(path)?;
    if settings.exam_only && t.header.mode() != Mode::Exam {
        return Ok(Assessed::LeftOut {
            unrecorded: t.header.mode.is_none(),
        });
    }
    let mut card = if settings.replay {
        score_replayed(&t, path, catalog, analyser, engines)?
    } else {
        scored(&t, path, catalog, analyser)?.0
    };
    // A web session, or any transcript with a seal beside it (a forger who drops the
    // header's `via` still leaves a seal that no longer holds, or none).
    if let Some(key) = &settings.key
        && (t.header.via == Some(crate::transcript::Via::Web)
            || crate::transcript::seal::sig_path(path).exists())
        && let Err(why) = key.verify(path)
    {
        card.set_invalid(why);
    }
    send_cards(&item.name, &card, settings, &send);
    let (persona_name, title) = match persona_of(&t, catalog) {
        Ok((e, sc)) => (e.persona.name.clone(), sc.title.clone()),
        Err(_) => (String::new(), String::new()),
    };
    Ok(Assessed::Scored(
        row(&item.name, &card, persona_name, title, forbidden),
        Vec::new(),
    ))
}

/// Play a scripted session, write its transcript, score it.
fn play(
    item: &Item,
    s: &Scripted,
    entry: &Entry,
    engine: &Engine,
    settings: &RunSettings,
    forbidden: &HashSet<&str>,
    send: impl Fn(Dir, String, Vec<u8>),
) -> anyhow::Result<Assessed> {
    if settings.exam_only && s.mode != Mode::Exam {
        return Ok(Assessed::LeftOut { unrecorded: false });
    }
    let (lines, warnings) = answers(&s.answers)?;
    let opts = Options {
        seed: s.seed,
        trainee: s.trainee.clone(),
        transcript: Record::Memory,
        mode: s.mode,
        restart_of: None,
        via: None,
        no_undo: false,
    };
    let voice = match &settings.llm {
        Some(l) => Some(crate::llm::LlmVoice::new(l.clone(), engine)?),
        None => None,
    };
    let mut session = Live::quiet(|live| {
        Session::start_voiced(engine, &entry.source, &opts, voice.as_ref(), live)
    })?;
    script::play(&mut session, lines.into_iter().map(Ok), |_| {
        Ok::<_, io::Error>(())
    })?;
    let t = session.transcript();
    send(
        Dir::Transcripts,
        format!("{}.jsonl", item.name),
        transcript::to_jsonl(&t).into_bytes(),
    );
    // Named relative to the output directory, so that the whole directory can move
    // and two runs into different directories write the same scorecards.
    let mut card = score(
        &t,
        &format!("transcripts/{}.jsonl", item.name),
        engine.persona,
        engine.scenario,
        entry.source.content.hash(),
        engine.analyser(),
        transcript::now_rfc3339(),
    );
    // Played here and now by this engine: the transcript is its own replay.
    card.set_replay(replay::Replay::Verified);
    send_cards(&item.name, &card, settings, &send);
    let warnings = warnings
        .into_iter()
        .chain(server_faults(&t))
        .map(|w| format!("{}: {w}", s.label))
        .collect();
    Ok(Assessed::Scored(
        row(
            &item.name,
            &card,
            engine.persona.name.clone(),
            engine.scenario.title.clone(),
            forbidden,
        ),
        warnings,
    ))
}

/// One warning when the model server failed during a session, so a run against a dead
/// server does not pass in silence: how many lines the offline voice spoke, and the
/// first fault.
fn server_faults(t: &Transcript) -> Option<String> {
    let marks: Vec<&transcript::VoiceMark> = t
        .header
        .opening_voice
        .iter()
        .chain(t.turns.iter().filter_map(|x| x.voice.as_ref()))
        .filter(|v| v.server_fault)
        .collect();
    let first = marks.iter().find_map(|v| v.reason.as_deref())?;
    Some(format!(
        "大模型服务出错，{} 句客户台词改用了离线台词：{first}",
        marks.len()
    ))
}

/// The trainee lines of an answers file, read as `peilian run` reads them (see
/// [`script::Answers`]), over-long lines cut with a warning.
fn answers(path: &Path) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    crate::files::check_regular(path, crate::files::MAX_FILE_BYTES).map_err(|source| {
        script::AnswersError::Io {
            label: path.display().to_string(),
            source,
        }
    })?;
    let file = std::fs::File::open(path).map_err(|source| script::AnswersError::Io {
        label: path.display().to_string(),
        source,
    })?;
    let mut reader = script::Answers::new(
        std::io::BufReader::new(file),
        path.display().to_string(),
        script::Utf8::Required,
    );
    let mut lines = Vec::new();
    let mut warnings = Vec::new();
    while let Some(line) = reader.next_line()? {
        let (text, warning) = line.cut(&reader.label);
        lines.push(text);
        warnings.extend(warning);
    }
    if lines.is_empty() {
        anyhow::bail!("台词文件 {} 是空的：每行写一句学员要说的话", path.display());
    }
    Ok((lines, warnings))
}

/// A file for the writer thread, and where it goes.
struct Output {
    dir: Dir,
    file: String,
    bytes: Vec<u8>,
}

#[derive(Clone, Copy)]
enum Dir {
    Scorecards = 0,
    Transcripts = 1,
}

impl Dir {
    fn name(self) -> &'static str {
        match self {
            Dir::Scorecards => "scorecards",
            Dir::Transcripts => "transcripts",
        }
    }
}

/// A session's scorecard in JSON and every extra format, for the writer thread.
fn send_cards(
    name: &str,
    card: &Scorecard,
    settings: &RunSettings,
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

fn row(
    name: &str,
    c: &Scorecard,
    persona_name: String,
    scenario_title: String,
    forbidden: &HashSet<&str>,
) -> Row {
    let k = &c.conduct;
    let stuffed = c
        .dialogue
        .iter()
        .map(|t| {
            let mut kinds: Vec<&str> = t
                .spans
                .iter()
                .filter(|s| s.polarity == "good")
                .map(|s| s.kind.as_str())
                .collect();
            kinds.sort_unstable();
            kinds.dedup();
            (t.n, kinds.len())
        })
        .filter(|(_, n)| *n >= STUFFED_KINDS)
        .max_by_key(|(turn, n)| (*n, std::cmp::Reverse(*turn)))
        // A line the customer heard as a recital (背稿子) is credited nothing, so its
        // spans no longer show its stock acts: the card's deduction names it (0 kinds:
        // more than the engine's threshold, not counted here).
        .or_else(|| {
            (c.dimensions.iter().flat_map(|d| &d.evidence))
                .find(|e| e.rule == "rule.scripted")
                .and_then(|e| e.turn)
                .map(|turn| (turn, 0))
        });
    Row {
        name: name.to_string(),
        trainee: c.trainee.clone(),
        persona: c.source.persona.clone(),
        persona_name,
        scenario: c.source.scenario.clone(),
        scenario_title,
        difficulty: c.source.difficulty.clone(),
        outcome: c.outcome.clone(),
        started_at: k.started_at.clone(),
        turns: c.turns,
        final_anger: c.final_anger,
        mode: if k.mode == Mode::Exam.as_str() {
            Mode::Exam
        } else {
            Mode::Practice
        },
        mode_unrecorded: k.mode_unrecorded,
        undos: k.undos.len(),
        undone_forbidden: k.undone_forbidden,
        abandoned: k.abandoned(),
        restarted: k.restarted,
        interrupted: k.interrupted,
        attempt_of: k.attempt_of.is_some(),
        retries: 0,
        passed: false,
        stuffed,
        total: c.total,
        grade: c.grade.clone(),
        forbidden_count: c.forbidden_count,
        invalid: c.invalid.clone(),
        unverified: c.unverified().map(str::to_string),
        dimensions: c
            .dimensions
            .iter()
            .map(|d| (d.label, d.score, d.max))
            .collect(),
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

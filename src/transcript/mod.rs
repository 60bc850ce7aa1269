//! Transcripts: the source of truth of a session, one JSON object per line (JSONL),
//! appended and flushed turn by turn so that a killed process loses nothing already
//! said. Scoring and assessment read them; a scorecard can always be rebuilt from one.
//!
//! Line 1 is a [`Header`], then one [`TurnRecord`] per trainee turn, then at most one
//! [`End`]. A transcript without an end line is an interrupted session. In practice a
//! trainee may take back the last turn (`/undo`): that appends an `undo` line naming
//! the turn rather than rewriting the file, so a kill at any moment still leaves whole
//! lines, and a reader drops the turn (and an end it had caused) from the turns but
//! keeps it, with the 禁语 it held, among the [`Transcript::undos`]: an assessor must
//! see what a trainee took back, not only what stood.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::engine::{Event, Move};

mod names;
pub mod seal;

pub use names::{Ending, FALLBACK, event_name};

/// The format version written in every header; readers refuse newer versions.
pub const FORMAT: u32 = 1;

/// Who the customer was and how the session was set up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub format: u32,
    /// The peilian version that wrote the transcript.
    pub peilian: String,
    pub persona: PersonaRef,
    pub scenario: String,
    pub difficulty: String,
    /// Practice or exam. Transcripts older than this field have none; they read as
    /// practice, and an assessor is told the mode was not recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<Mode>,
    pub rubric: RubricRef,
    pub backend: BackendRef,
    pub seed: u64,
    #[serde(default)]
    pub trainee: String,
    /// RFC 3339, UTC.
    pub started_at: String,
    pub initial: Mood,
    /// The customer's opening line.
    pub opening: String,
    /// How the opening line was voiced, for the LLM backend.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opening_voice: Option<VoiceMark>,
    /// Set when the session reopens an earlier one at a given turn (`practice --retry`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_of: Option<RetryRef>,
    /// Set when the trainee started this session with `/restart`, ending the one named
    /// here: the session is another attempt at the same customer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_of: Option<String>,
    /// Where the trainee practised. Terminal sessions, and transcripts older than the
    /// field, have none; `peilian serve` writes `web`, so an assessor can tell a
    /// session taken on the page (stored on the server) from one on a trainee's PC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<Via>,
}

/// Where a session was taken. The on-disk name is spelled out, apart from the
/// variant's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Via {
    /// The practice page of `peilian serve`.
    #[serde(rename = "web")]
    Web,
}

impl Via {
    /// Chinese label for trainees and assessors.
    pub fn label(self) -> &'static str {
        match self {
            Via::Web => "网页",
        }
    }
}

impl Header {
    /// The mode, practice when the transcript predates the field.
    pub fn mode(&self) -> Mode {
        self.mode.unwrap_or_default()
    }
}

/// How a session was taken. In an exam the trainee sees no mood and no coach and
/// cannot take a line back; an assessor counting only exams needs to tell them apart.
/// The on-disk names are spelled out here, apart from the variant names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Mode {
    #[default]
    #[serde(rename = "practice")]
    Practice,
    #[serde(rename = "exam")]
    Exam,
}

impl Mode {
    /// The name in a header's `mode` field.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Practice => "practice",
            Mode::Exam => "exam",
        }
    }

    /// Chinese label for trainees and assessors.
    pub fn label(self) -> &'static str {
        match self {
            Mode::Practice => "练习",
            Mode::Exam => "考试",
        }
    }
}

/// The session a retry started from: its file, and the turn the trainee tries again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetryRef {
    pub transcript: String,
    pub turn: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonaRef {
    pub id: String,
    pub name: String,
    /// Hash of the persona file's text.
    pub hash: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RubricRef {
    pub id: String,
    pub version: u32,
    pub hash: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackendRef {
    /// `offline` or `llm`.
    pub name: String,
    #[serde(default)]
    pub model: Option<String>,
    /// For `llm`: the server's host and port (never the key), and the sampling settings,
    /// so a run is reproducible as far as the server allows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
}

impl BackendRef {
    /// The built-in customer.
    pub fn offline() -> Self {
        Self {
            name: "offline".into(),
            model: None,
            server: None,
            temperature: None,
            max_tokens: None,
            stream: None,
        }
    }
}

/// How a model-voiced customer line was made. Offline lines carry none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VoiceMark {
    /// `llm`, or `fallback` when the offline line was used instead.
    pub source: String,
    /// Why the fallback was used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The self-audit's findings on every attempt, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub audit: Vec<serde_json::Value>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub regenerated: bool,
    /// The trainee saw words of an attempt that was then withdrawn.
    #[serde(default, skip_serializing_if = "is_false")]
    pub retracted: bool,
    /// The model could not be kept in character: a session holding such a turn is not
    /// a fair basis for assessment.
    #[serde(default, skip_serializing_if = "is_false")]
    pub audit_unresolved: bool,
    /// The offline line was used because the model server failed, or was not asked
    /// (`paused`) because it had failed too often: the customer here was not the model.
    #[serde(default, skip_serializing_if = "is_false")]
    pub server_fault: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub paused: bool,
}

impl VoiceMark {
    /// What a transcript records about a model-voiced line, in the transcript's own
    /// names (see `transcript::names`).
    pub fn of(spoken: &crate::llm::Spoken) -> Self {
        let r = spoken.record();
        VoiceMark {
            source: names::voice_source_name(&spoken.source).to_string(),
            reason: r.reason,
            audit: spoken.audit.iter().map(names::audit_value).collect(),
            regenerated: r.regenerated,
            retracted: r.retracted,
            audit_unresolved: spoken.audit_unresolved(),
            server_fault: r.server_fault,
            paused: r.paused,
        }
    }

    /// The offline line was spoken instead of the model's.
    pub fn is_fallback(&self) -> bool {
        self.source == FALLBACK
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mood {
    pub anger: i32,
    pub trust: i32,
}

/// A signal as recorded: kind and rule by id, byte span into the trainee's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignalRecord {
    pub kind: String,
    pub rule: String,
    pub start: usize,
    pub end: usize,
}

/// An act of the line's reading as recorded: the act by id, the span of its clause,
/// the model's confidence, which 禁语 (for `forbidden`) and the clause's slots.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActRecord {
    pub act: String,
    pub start: usize,
    pub end: usize,
    pub confidence: f32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forbidden: Option<String>,
    #[serde(default, skip_serializing_if = "crate::reading::Slots::is_empty")]
    pub slots: crate::reading::Slots,
}

impl ActRecord {
    pub fn of(a: &crate::reading::ActHit) -> Self {
        Self {
            act: a.act.id().to_string(),
            start: a.start,
            end: a.end,
            confidence: (a.confidence * 1000.0).round() / 1000.0,
            forbidden: a.forbidden.map(str::to_string),
            slots: a.slots.clone(),
        }
    }
}

/// One trainee turn and the customer's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TurnRecord {
    pub n: u32,
    pub trainee: String,
    pub signals: Vec<SignalRecord>,
    /// The reading of the trainee's line (absent in transcripts older than it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acts: Vec<ActRecord>,
    pub customer: String,
    pub anger: i32,
    pub trust: i32,
    pub needs_met: Vec<String>,
    #[serde(default, with = "names::events")]
    pub events: Vec<Event>,
    #[serde(default, with = "names::moves")]
    pub moves: Vec<Move>,
    /// How the customer's line was voiced, for the LLM backend.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice: Option<VoiceMark>,
}

/// How the session ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct End {
    /// An [`Ending`]'s name: `resolved`, `walked_out`, `out_of_turns`, or `unfinished`
    /// (the trainee stopped).
    pub outcome: String,
    pub reason: String,
    pub turns: u32,
    pub anger: i32,
    /// The trainee ended the session with `/restart` to begin again.
    #[serde(default, skip_serializing_if = "is_false")]
    pub restarted: bool,
}

/// The reason an end line of a `/restart` gives; transcripts older than
/// [`End::restarted`] are known by it.
pub const RESTART_REASON: &str = "学员重新开始";

impl End {
    /// Whether the trainee ended the session to start again.
    pub fn is_restart(&self) -> bool {
        self.restarted
            || (self.reason == RESTART_REASON && Ending::of(&self.outcome) == Ending::Unfinished)
    }
}

/// A turn the trainee took back with `/undo`, as it was recorded, and the 禁语 it held.
#[derive(Debug, Clone, PartialEq)]
pub struct Undone {
    pub turn: TurnRecord,
    /// Ids of the 禁语 rules its line broke, as recorded at the time (the turn's
    /// signals of the `forbidden` kind); empty when it held none.
    pub forbidden: Vec<String>,
}

impl Undone {
    pub fn of(turn: TurnRecord) -> Self {
        let mut forbidden: Vec<String> = Vec::new();
        for s in turn.signals.iter().filter(|s| s.kind == "forbidden") {
            if !forbidden.contains(&s.rule) {
                forbidden.push(s.rule.clone());
            }
        }
        Self { turn, forbidden }
    }
}

// Turns are nearly every line of a transcript: boxing the largest variant would add an
// allocation to each of them to save bytes on the few others.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Line {
    Header(Box<Header>),
    Turn(TurnRecord),
    End(End),
    /// `trainee` and `forbidden` are absent in transcripts older than them; the
    /// reader then takes both from the turn it drops.
    Undo {
        turn: u32,
        #[serde(default)]
        trainee: Option<String>,
        #[serde(default)]
        forbidden: Option<Vec<String>>,
    },
}

/// A line as written: [`Line`] by reference, so writing a turn copies nothing. The
/// [`Writer`] and [`to_jsonl`] both write through it, and so write the same bytes.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum LineRef<'a> {
    Header(&'a Header),
    Turn(&'a TurnRecord),
    End(&'a End),
    /// The line taken back is repeated so that a reader of the file alone (`grep
    /// undo`) sees what was taken back and whether it held a 禁语.
    Undo {
        turn: u32,
        trainee: &'a str,
        forbidden: &'a [String],
    },
}

impl<'a> LineRef<'a> {
    fn undo(u: &'a Undone) -> Self {
        LineRef::Undo {
            turn: u.turn.n,
            trainee: &u.turn.trainee,
            forbidden: &u.forbidden,
        }
    }
}

impl LineRef<'_> {
    fn to_bytes(&self) -> Vec<u8> {
        let mut buf = serde_json::to_vec(self).expect("a transcript line serialises");
        buf.push(b'\n');
        buf
    }
}

/// A transcript read back.
#[derive(Debug, Clone, PartialEq)]
pub struct Transcript {
    pub header: Header,
    pub turns: Vec<TurnRecord>,
    pub end: Option<End>,
    /// Every turn taken back, in the order taken back.
    pub undos: Vec<Undone>,
}

impl Transcript {
    /// Whether the session ran to an end of its own or the trainee's choosing: it has
    /// an end line, and not one of a `/restart`. An interrupted session (no end line,
    /// the program killed or left with Ctrl-C) and a restarted one were abandoned.
    pub fn finished(&self) -> bool {
        self.end.as_ref().is_some_and(|e| !e.is_restart())
    }

    /// Why the session is not a fair basis for assessment, if it is not: the model
    /// voicing the customer could not be kept in character on some line, or the model
    /// server failed and the offline voice spoke instead (an assessor who chose the
    /// model-voiced customer must see that this trainee did not face it).
    pub fn invalid_reason(&self) -> Option<String> {
        let audit = self.places(|v| v.audit_unresolved);
        let server = self.places(|v| v.server_fault);
        match (audit, server) {
            (None, None) => None,
            (Some(a), None) => Some(format!(
                "大模型客户在{a}没有通过自检，改用了离线台词；这场不宜用于考核"
            )),
            (None, Some(s)) => Some(format!(
                "大模型服务出错，{s}改用了离线台词；这场的客户不是大模型扮演的，不宜用于考核"
            )),
            (Some(a), Some(s)) => Some(format!(
                "大模型客户在{a}没有通过自检，大模型服务出错，{s}改用了离线台词；这场不宜用于考核"
            )),
        }
    }

    /// The customer lines whose voice mark satisfies `pick` (「开场白、第 2 轮」), the
    /// first three named and the rest counted.
    fn places(&self, pick: impl Fn(&VoiceMark) -> bool) -> Option<String> {
        let hit = |v: &Option<VoiceMark>| v.as_ref().is_some_and(&pick);
        let mut all: Vec<String> = Vec::new();
        if hit(&self.header.opening_voice) {
            all.push("开场白".into());
        }
        all.extend(
            self.turns
                .iter()
                .filter(|t| hit(&t.voice))
                .map(|t| format!("第 {} 轮", t.n)),
        );
        match all.len() {
            0 => None,
            1..=3 => Some(all.join("、")),
            n => Some(format!("{}等 {n} 句", all[..3].join("、"))),
        }
    }
}

/// Appends a transcript to disk, one `write` per line through an `O_APPEND` handle.
///
/// The file is locked (`flock`, exclusive) for as long as the writer lives: a second
/// program that would write the same transcript (a `--resume` of a session still open
/// in another window, two `run --transcript` naming one file) is refused instead of
/// interleaving its lines. After a failed write (a full disk) the writer cuts the file
/// back to its last whole line and writes nothing more, so the file stays a readable,
/// interrupted transcript rather than one with a hole in the middle; the session goes
/// on in memory and [`Writer::failed`] says why.
pub struct Writer {
    file: File,
    path: PathBuf,
    /// Bytes of whole lines written so far.
    len: u64,
    failed: Option<String>,
}

impl Writer {
    /// Create a new transcript in `dir` named `base.jsonl`, or `base-2.jsonl`,
    /// `base-3.jsonl` … : each name is taken without replacing (`O_EXCL`-like), so
    /// thirty trainees starting in the same second into a shared folder each get their
    /// own file. Checking `exists()` first and creating later let two sessions pick the
    /// same name and overwrite each other.
    ///
    /// The header is written into a hidden temporary file first, which is then renamed
    /// to its name: a kill at any moment leaves either no transcript or one with its
    /// header, never an empty `.jsonl` (at worst a hidden `.peilian-new-*.tmp`).
    pub fn create_new(dir: &Path, base: &str, header: &Header) -> io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let (mut tmp, len) = staged_header(dir, header)?;
        let mut path = dir.join(format!("{base}.jsonl"));
        let mut n = 2;
        let file = loop {
            match tmp.persist_noclobber(&path) {
                Ok(f) => break f,
                Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => {
                    tmp = e.file;
                    path = dir.join(format!("{base}-{n}.jsonl"));
                    n += 1;
                }
                Err(e) => return Err(with_path(&path, e.error)),
            }
        };
        Ok(Self::opened(file, &path, len))
    }

    /// Create the transcript at a path the user chose (`run --transcript`), replacing a
    /// file already there; readable by its owner only. The new file, header written,
    /// is renamed over the old one, so a kill leaves one or the other, never an empty
    /// file; a file another program is still writing is left alone.
    pub fn create(path: &Path, header: &Header) -> io::Result<Self> {
        let dir = match path.parent().filter(|d| !d.as_os_str().is_empty()) {
            Some(dir) => {
                std::fs::create_dir_all(dir)?;
                dir
            }
            None => Path::new("."),
        };
        // Held until the new file is in place: a program still writing the old one
        // keeps its lines and this one is refused.
        let _old = match OpenOptions::new().append(true).open(path) {
            Ok(f) => {
                lock(&f, path)?;
                Some(f)
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(with_path(path, e)),
        };
        let (tmp, len) = staged_header(dir, header)?;
        let file = tmp.persist(path).map_err(|e| with_path(path, e.error))?;
        Ok(Self::opened(file, path, len))
    }

    fn opened(file: File, path: &Path, len: u64) -> Self {
        Self {
            file,
            path: path.to_path_buf(),
            len,
            failed: None,
        }
    }

    /// Reopen an interrupted transcript to append further turns. A last line cut off
    /// mid-write (the program was killed while writing it) is first cut back to the
    /// last newline, and what was cut kept beside the transcript (see [`Torn`]), so the
    /// next record never lands after half a line and spoils the file; a last record
    /// whole but for its newline gets the newline.
    pub fn append(path: &Path) -> io::Result<(Self, Option<Torn>)> {
        let file = OpenOptions::new().append(true).open(path)?;
        lock(&file, path)?;
        let torn = repair_torn(&file, path).map_err(|e| with_path(path, e))?;
        let len = file.metadata()?.len();
        Ok((Self::opened(file, path, len), torn))
    }
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Why the transcript stopped being written, if it did.
    pub fn failed(&self) -> Option<&str> {
        self.failed.as_deref()
    }

    pub fn turn(&mut self, t: &TurnRecord) -> io::Result<()> {
        self.write(&LineRef::Turn(t))
    }

    pub fn end(&mut self, e: &End) -> io::Result<()> {
        self.write(&LineRef::End(e))
    }

    /// A turn that ended the session and its end line, in one `write`: a kill between
    /// two writes would leave a session the customer ended without its end line, which
    /// a replay rightly calls inconsistent.
    pub fn turn_and_end(&mut self, t: &TurnRecord, e: &End) -> io::Result<()> {
        let mut bytes = LineRef::Turn(t).to_bytes();
        bytes.extend(LineRef::End(e).to_bytes());
        self.write_bytes(bytes)
    }

    /// Take back a turn, which must be the last one written.
    pub fn undo(&mut self, undone: &Undone) -> io::Result<()> {
        self.write(&LineRef::undo(undone))
    }

    /// One `write` per line, so a kill leaves whole lines only.
    fn write(&mut self, line: &LineRef<'_>) -> io::Result<()> {
        self.write_bytes(line.to_bytes())
    }

    fn write_bytes(&mut self, bytes: Vec<u8>) -> io::Result<()> {
        if let Some(why) = &self.failed {
            return Err(io::Error::other(format!(
                "对话记录 {} 在写入失败（{why}）后已停止写入",
                self.path.display()
            )));
        }
        let written = crate::files::injected_fault().and_then(|()| self.file.write_all(&bytes));
        match written {
            Ok(()) => {
                self.len += bytes.len() as u64;
                Ok(())
            }
            Err(e) => {
                // A line cut off by the full disk would sit in front of nothing: cut
                // it away so the file reads as a whole interrupted transcript.
                let _ = self.file.set_len(self.len);
                self.failed = Some(e.to_string());
                Err(with_path(&self.path, e))
            }
        }
    }
}

/// A hidden temporary file in `dir`, readable by its owner only, locked, holding the
/// header line: ready to be renamed to its name. The bytes written.
fn staged_header(dir: &Path, header: &Header) -> io::Result<(tempfile::NamedTempFile, u64)> {
    let mut tmp = tempfile::Builder::new()
        .prefix(".peilian-new-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    lock(tmp.as_file(), tmp.path())?;
    let bytes = LineRef::Header(header).to_bytes();
    crate::files::injected_fault()?;
    tmp.write_all(&bytes)?;
    Ok((tmp, bytes.len() as u64))
}

/// What `--resume` cut from the end of a transcript: a record the program was killed
/// while writing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Torn {
    /// Where the cut bytes were kept.
    pub copy: PathBuf,
    pub bytes: usize,
}

/// Cut a torn last line (no newline, not a whole record) back to the last newline,
/// keeping the cut bytes in `NAME.torn-<time>` beside the file; give a last record
/// that is whole but for its newline the newline. The reader agrees: it drops a torn
/// last line and reads a whole one.
fn repair_torn(file: &File, path: &Path) -> io::Result<Option<Torn>> {
    let bytes = crate::files::read_limited(path, crate::files::MAX_FILE_BYTES)?;
    if bytes.is_empty() || bytes.ends_with(b"\n") {
        return Ok(None);
    }
    let keep = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let tail = &bytes[keep..];
    let mut f = file;
    if whole_record(tail) {
        f.write_all(b"\n")?;
        return Ok(None);
    }
    let stamp = jiff::Timestamp::now()
        .strftime("%Y%m%dT%H%M%S%.fZ")
        .to_string();
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".torn-{stamp}"));
    let copy = PathBuf::from(name);
    crate::files::write_atomic(&copy, tail)?;
    file.set_len(keep as u64)?;
    file.sync_all()?;
    Ok(Some(Torn {
        copy,
        bytes: tail.len(),
    }))
}

/// Whether a last line without its newline is a record the writer finished.
fn whole_record(line: &[u8]) -> bool {
    std::str::from_utf8(line)
        .ok()
        .is_some_and(|t| serde_json::from_str::<Line>(t.trim()).is_ok())
}

/// Take the transcript's write lock, or say who holds it.
fn lock(file: &File, path: &Path) -> io::Result<()> {
    match file.try_lock() {
        Ok(()) => Ok(()),
        Err(std::fs::TryLockError::WouldBlock) => Err(io::Error::new(
            io::ErrorKind::ResourceBusy,
            format!(
                "对话记录 {} 正被另一个 peilian 写入（也许在另一个窗口里）；等它结束再试",
                path.display()
            ),
        )),
        Err(std::fs::TryLockError::Error(e)) => Err(with_path(path, e)),
    }
}

/// The error with the file it concerns, keeping its kind.
fn with_path(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// Why a transcript could not be read, naming the file and line.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("无法读取 {path}: {source}")]
    Io { path: String, source: io::Error },
    #[error("{path}:{line}: {message}")]
    Bad {
        path: String,
        line: usize,
        message: String,
    },
}

/// Read a transcript. A last line cut off mid-write (the process was killed: no
/// newline after it, not a whole record) is ignored; any other malformed line is an
/// error naming its line.
pub fn read(path: &Path) -> Result<Transcript, ReadError> {
    let p = path.display().to_string();
    // A regular file of bounded size: a FIFO named *.jsonl in a shared sessions folder
    // must not hang `history`, nor a link to /dev/zero exhaust memory.
    let bytes =
        crate::files::read_limited(path, crate::files::MAX_FILE_BYTES).map_err(|source| {
            ReadError::Io {
                path: p.clone(),
                source,
            }
        })?;
    let bad = |line: usize, message: String| ReadError::Bad {
        path: p.clone(),
        line,
        message,
    };
    let mut header = None;
    let mut turns: Vec<TurnRecord> = Vec::new();
    let mut end = None;
    let mut undos = Vec::new();
    let mut lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    if lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    // Only the very last line, and only one without its newline, can be a record the
    // writer was killed while writing (each record is one `write` ending in a newline):
    // it is dropped. Anywhere else a bad line is an error naming it.
    let torn_at = (!bytes.is_empty() && !bytes.ends_with(b"\n")).then_some(lines.len());
    for (i, raw) in lines.iter().enumerate() {
        let no = i + 1;
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let text = match std::str::from_utf8(raw) {
            Ok(t) => t,
            Err(_) if torn_at == Some(no) => break,
            Err(_) => return Err(bad(no, "不是有效的 UTF-8;expected a JSON line".into())),
        };
        let parsed: Line = match fast_path(text) {
            Some(l) => l,
            None => match serde_json::from_str(text) {
                Ok(l) => l,
                Err(_) if torn_at == Some(no) => break,
                Err(e) => return Err(bad(no, format!("不是有效的记录行：{e}"))),
            },
        };
        match (parsed, &header, &end) {
            (Line::Header(h), None, _) => {
                if h.format > FORMAT {
                    return Err(bad(
                        no,
                        format!(
                            "记录格式版本 {} 比本程序支持的 {FORMAT} 新；请升级 peilian",
                            h.format
                        ),
                    ));
                }
                header = Some(*h);
            }
            (Line::Header(_), Some(_), _) => {
                return Err(bad(
                    no,
                    "第二个 header;expected one header on line 1".into(),
                ));
            }
            (_, None, _) => {
                return Err(bad(no, "缺少 header;expected the header on line 1".into()));
            }
            (
                Line::Undo {
                    turn,
                    trainee,
                    forbidden,
                },
                Some(_),
                _,
            ) => {
                if turn == 0 || turn as usize != turns.len() {
                    return Err(bad(
                        no,
                        format!(
                            "撤回第 {turn} 轮，但最后一轮是第 {} 轮；expected the last turn",
                            turns.len()
                        ),
                    ));
                }
                let taken = turns.pop().expect("checked: the last turn");
                if trainee.as_ref().is_some_and(|said| *said != taken.trainee) {
                    return Err(bad(
                        no,
                        format!(
                            "撤回第 {turn} 轮的原话与第 {turn} 轮记录的不同；expected the line taken back"
                        ),
                    ));
                }
                let mut undone = Undone::of(taken);
                if let Some(f) = forbidden {
                    undone.forbidden = f;
                }
                undos.push(undone);
                end = None;
            }
            (_, _, Some(_)) => {
                return Err(bad(
                    no,
                    "end 行之后还有内容；expected nothing after the end line".into(),
                ));
            }
            (Line::Turn(t), Some(_), None) => {
                if t.n as usize != turns.len() + 1 {
                    return Err(bad(
                        no,
                        format!("轮次 {} 不连续；expected turn {}", t.n, turns.len() + 1),
                    ));
                }
                turns.push(t);
            }
            (Line::End(e), Some(_), None) => end = Some(e),
        }
    }
    let header = header.ok_or_else(|| bad(1, "空文件；expected a transcript header".into()))?;
    Ok(Transcript {
        header,
        turns,
        end,
        undos,
    })
}

/// A header or turn line as this program writes it (`{"type":"turn",…}`), parsed
/// straight into its record. A tagged enum is parsed through an intermediate buffer of
/// every value, which made reading the transcripts of an assessment run cost as much
/// as analysing them; the records ignore the `type` key. Anything else (or a line this
/// fails on) takes the general path, which also words the errors.
fn fast_path(text: &str) -> Option<Line> {
    if text.starts_with(r#"{"type":"turn","#) {
        serde_json::from_str(text).ok().map(Line::Turn)
    } else if text.starts_with(r#"{"type":"header","#) {
        serde_json::from_str(text)
            .ok()
            .map(|h| Line::Header(Box::new(h)))
    } else {
        None
    }
}

/// A transcript as JSONL, byte for byte what [`Writer`] writes line by line (but for
/// the end line of an ending later taken back, which a reader drops anyway): scripted
/// sessions are played in memory and their transcripts written whole and atomically,
/// and `/save` copies a session with its take-backs.
pub fn to_jsonl(t: &Transcript) -> String {
    let mut bytes = LineRef::Header(&t.header).to_bytes();
    for step in t.steps() {
        match step {
            Step::Said(turn) => bytes.extend(LineRef::Turn(turn).to_bytes()),
            Step::TookBack(u) => bytes.extend(LineRef::undo(u).to_bytes()),
        }
    }
    if let Some(e) = &t.end {
        bytes.extend(LineRef::End(e).to_bytes());
    }
    String::from_utf8(bytes).expect("JSON is UTF-8")
}

/// One step of a session as it was played: a turn said, or the last turn taken back.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Step<'t> {
    Said(&'t TurnRecord),
    TookBack(&'t Undone),
}

impl Transcript {
    /// The turns said and taken back, in the order they happened: what a writer wrote
    /// line by line, and what a replay must play again so that every take-back lands
    /// where it did.
    pub fn steps(&self) -> Vec<Step<'_>> {
        let mut steps = Vec::with_capacity(self.turns.len() + 2 * self.undos.len());
        // The take-backs in order, each after the turns standing when it was made.
        // Those turns are the survivors, or turns themselves taken back later: the turn
        // standing at position `p` is the one the next take-back at `p` removes, if any.
        let mut standing = 0usize;
        for (i, u) in self.undos.iter().enumerate() {
            let n = u.turn.n as usize;
            while standing + 1 < n {
                let p = standing + 1;
                let later = self.undos[i + 1..].iter().find(|l| l.turn.n as usize == p);
                match later.map(|l| &l.turn).or(self.turns.get(p - 1)) {
                    Some(turn) => steps.push(Step::Said(turn)),
                    None => break,
                }
                standing = p;
            }
            if standing + 1 == n {
                steps.push(Step::Said(&u.turn));
            }
            steps.push(Step::TookBack(u));
            standing = n.saturating_sub(1);
        }
        steps.extend(self.turns.iter().skip(standing).map(Step::Said));
        steps
    }
}

/// The current time as RFC 3339 (UTC, seconds).
pub fn now_rfc3339() -> String {
    let now = jiff::Timestamp::now();
    jiff::Timestamp::from_second(now.as_second())
        .unwrap_or(now)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Engine;
    use crate::persona::Catalog;
    use crate::session::{Options, Session};

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
            transcript: crate::session::Record::At(path.clone()),
            ..Options::default()
        };
        let mut s = Session::start(&engine, &entry.source, &opts).unwrap();
        s.say("您好,非常理解您的心情").unwrap();
        s.say("请问您的单号是多少?").unwrap();
        s.finish_unfinished("学员台词用完,对话未结束").unwrap();
        let t = s.transcript();
        assert_eq!(to_jsonl(&t), std::fs::read_to_string(&path).unwrap());
        assert_eq!(read(&path).unwrap(), t);
        assert_eq!(t.header.mode, Some(Mode::Practice));
    }

    /// Take-backs, one of a 禁语 and two in a row, are read back with what was taken
    /// back, and a session copied from memory (`/save`) writes the same lines.
    #[test]
    fn take_backs_are_kept_with_their_lines() {
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
            transcript: crate::session::Record::At(path.clone()),
            mode: Mode::Exam,
            ..Options::default()
        };
        let mut s = Session::start(&engine, &entry.source, &opts).unwrap();
        s.say("您好,非常理解您的心情").unwrap();
        s.say("公司的规定就是这样的").unwrap();
        s.undo().unwrap();
        s.say("请问您的单号是多少?").unwrap();
        s.say("您别急").unwrap();
        s.undo().unwrap();
        s.undo().unwrap();
        s.say("您的意思是软驱读不了盘,对吗?").unwrap();
        s.finish_restarted().unwrap();
        let t = s.transcript();
        let file = std::fs::read_to_string(&path).unwrap();
        assert_eq!(to_jsonl(&t), file);
        let back = read(&path).unwrap();
        assert_eq!(back, t);
        let taken: Vec<(u32, &str, usize)> = back
            .undos
            .iter()
            .map(|u| (u.turn.n, u.turn.trainee.as_str(), u.forbidden.len()))
            .collect();
        assert_eq!(
            taken,
            [
                (2, "公司的规定就是这样的", 1),
                (3, "您别急", 0),
                (2, "请问您的单号是多少?", 0)
            ]
        );
        assert!(
            file.contains(
                r#""type":"undo","turn":2,"trainee":"公司的规定就是这样的","forbidden":["#
            )
        );
        assert_eq!(back.header.mode(), Mode::Exam);
        assert!(back.end.as_ref().unwrap().is_restart());
        assert!(!back.finished());
    }

    fn turn(n: u32, text: String) -> TurnRecord {
        TurnRecord {
            n,
            trainee: text,
            signals: Vec::new(),
            acts: Vec::new(),
            customer: "嗯。".into(),
            anger: 50,
            trust: 20,
            needs_met: Vec::new(),
            events: Vec::new(),
            moves: Vec::new(),
            voice: None,
        }
    }

    proptest::proptest! {
        /// Any order of turns and take-backs: the lines a writer would have written are
        /// the lines `to_jsonl` writes from the transcript read back, and they read back
        /// to the same transcript.
        #[test]
        fn take_backs_in_any_order_are_written_back_in_order(
            ops in proptest::collection::vec(proptest::bool::weighted(0.6), 0..40)
        ) {
            let header = Header {
                format: FORMAT,
                peilian: "0.1.0".into(),
                persona: PersonaRef { id: "p".into(), name: "p".into(), hash: "0".into() },
                scenario: "s".into(),
                difficulty: "normal".into(),
                mode: Some(Mode::Practice),
                rubric: RubricRef { id: "default".into(), version: 1, hash: "0".into() },
                backend: BackendRef::offline(),
                seed: 1,
                trainee: String::new(),
                started_at: "2026-01-01T00:00:00Z".into(),
                initial: Mood { anger: 70, trust: 20 },
                opening: "……".into(),
                opening_voice: None,
                retry_of: None,
                restart_of: None,
                via: None,
            };
            let mut written = LineRef::Header(&header).to_bytes();
            let mut standing: Vec<TurnRecord> = Vec::new();
            let mut undos: Vec<Undone> = Vec::new();
            for (i, say) in ops.into_iter().enumerate() {
                if say || standing.is_empty() {
                    let t = turn(standing.len() as u32 + 1, format!("第{i}句"));
                    written.extend(LineRef::Turn(&t).to_bytes());
                    standing.push(t);
                } else {
                    let u = Undone::of(standing.pop().unwrap());
                    written.extend(LineRef::undo(&u).to_bytes());
                    undos.push(u);
                }
            }
            let t = Transcript { header, turns: standing, end: None, undos };
            let text = to_jsonl(&t);
            proptest::prop_assert_eq!(&text, &String::from_utf8(written).unwrap());
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("t.jsonl");
            std::fs::write(&path, &text).unwrap();
            proptest::prop_assert_eq!(read(&path).unwrap(), t);
        }
    }

    /// A transcript older than the mode, the undo details and the restart mark still
    /// reads: practice, the dropped turn as what was taken back, the restart by its reason.
    #[test]
    fn old_transcripts_read_with_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.jsonl");
        std::fs::write(
            &path,
            concat!(
                r#"{"type":"header","format":1,"peilian":"0.1.0","persona":{"id":"emotional","name":"x","hash":"0"},"scenario":"floppy-drive","difficulty":"normal","rubric":{"id":"default","version":1,"hash":"0"},"backend":{"name":"offline","model":null},"seed":1,"trainee":"","started_at":"2026-01-01T00:00:00Z","initial":{"anger":70,"trust":20},"opening":"……"}"#,
                "\n",
                r#"{"type":"turn","n":1,"trainee":"规定就是这样","signals":[{"kind":"forbidden","rule":"forbidden.company-policy","start":0,"end":6}],"customer":"嗯。","anger":80,"trust":20,"needs_met":[]}"#,
                "\n",
                r#"{"type":"undo","turn":1}"#,
                "\n",
                r#"{"type":"end","outcome":"unfinished","reason":"学员重新开始","turns":0,"anger":70}"#,
                "\n"
            ),
        )
        .unwrap();
        let t = read(&path).unwrap();
        assert_eq!(t.header.mode, None);
        assert_eq!(t.header.mode(), Mode::Practice);
        assert_eq!(t.undos.len(), 1);
        assert_eq!(t.undos[0].forbidden, ["forbidden.company-policy"]);
        assert!(t.end.as_ref().unwrap().is_restart());
    }
}

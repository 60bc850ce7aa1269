//! A session: one persona, scenario and difficulty, the customer's voice, the mood
//! state and the transcript, from the opening line until it ends. `run`, the persona
//! self-checks and the REPL all play turns through here.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use crate::engine::{Decision, Engine, MoodState, OfflineVoice, Outcome, TurnReport};
use crate::llm::{Exchange, LlmVoice, ReplyEvent, Spoken, TurnRequest};
use crate::persona::PersonaSource;
use crate::transcript::{
    self, BackendRef, End, Ending, Header, Mode, Mood, PersonaRef, RubricRef, SignalRecord, Torn,
    Transcript, TurnRecord, Undone, Via, VoiceMark, Writer,
};

/// A single trainee turn longer than this is cut: no real reply is longer, and the
/// customer should not be made to quote a pasted novel.
pub const MAX_TURN_CHARS: usize = 2000;

/// A trainee's reply made ready for the engine (see [`normalise_reply`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub text: String,
    /// The reply's length in characters when it was cut to [`MAX_TURN_CHARS`].
    pub cut_from: Option<usize>,
}

/// A reply as one line, the same from a terminal and from the page: a multi-line
/// paste is one reply, control characters are dropped, and an over-long paste is cut
/// (the caller tells the trainee by [`Reply::cut_from`]).
pub fn normalise_reply(line: &str) -> Reply {
    let joined: Vec<&str> = line
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let clean = crate::ui::sanitize(&joined.join(" ")).into_owned();
    let n = clean.chars().count();
    if n > MAX_TURN_CHARS {
        return Reply {
            text: clean.chars().take(MAX_TURN_CHARS).collect(),
            cut_from: Some(n),
        };
    }
    Reply {
        text: clean,
        cut_from: None,
    }
}

/// How a session is set up, besides the engine itself.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub seed: u64,
    pub trainee: String,
    /// Where to write the transcript.
    pub transcript: Record,
    /// Practice or exam, as the header records it.
    pub mode: Mode,
    /// The transcript this session restarts (`/restart`), for the header.
    pub restart_of: Option<String>,
    /// Where the trainee practised: `None` for a terminal, which older transcripts
    /// also read as; the page served by `peilian serve` records [`Via::Web`].
    pub via: Option<Via>,
    /// Keep no states for `/undo`: replaying a transcript that took nothing back need
    /// not copy the whole mood (counts, lines said, lines used) before every turn,
    /// which was a tenth of a replay's cost. `undo` then has nothing to restore.
    pub no_undo: bool,
}

/// Where a session's transcript goes.
#[derive(Debug, Clone, Default)]
pub enum Record {
    /// Nowhere: kept in memory only (scripted assessment sessions write it whole).
    #[default]
    Memory,
    /// A file the user named, replaced if it exists (`run --transcript`).
    At(PathBuf),
    /// A new file in `dir` under a name no other session has: `base.jsonl`, or
    /// `base-2.jsonl` … (practice into a sessions folder that may be shared).
    New { dir: PathBuf, base: String },
}

/// What the caller sees of a customer line while it is being voiced: the model's
/// tokens as they arrive (and retries, withdrawn attempts), and a flag that cancels the
/// generation. The offline voice produces no events.
pub struct Live<'l> {
    /// Called with the turn as the mood model decided it, before the customer speaks
    /// (the coach comments on the trainee's line before the answer streams in); the
    /// record's `customer` is still empty. With it, the session's turns before it (the
    /// coach judges a promise against what was said before).
    pub on_decided: &'l mut dyn FnMut(&TurnRecord, &[TurnRecord]),
    pub on_event: &'l mut dyn FnMut(ReplyEvent<'_>),
    pub cancel: &'l AtomicBool,
}

impl Live<'_> {
    /// Run `f` with a `Live` that shows nothing and is never cancelled.
    pub fn quiet<R>(f: impl FnOnce(&mut Live<'_>) -> R) -> R {
        let cancel = AtomicBool::new(false);
        f(&mut Live {
            on_decided: &mut |_, _| {},
            on_event: &mut |_| {},
            cancel: &cancel,
        })
    }
}

/// A session in progress.
pub struct Session<'a> {
    engine: &'a Engine<'a>,
    voice: OfflineVoice,
    /// The model voicing the customer, if any; the offline voice still runs every turn
    /// (it draws from the same random stream and gives the fallback line).
    llm: Option<&'a LlmVoice>,
    /// Whether the last customer line was already shown token by token.
    streamed: bool,
    state: MoodState,
    /// The state before each turn, so `/undo` restores the mood exactly.
    before: Vec<MoodState>,
    /// Whether to keep `before` ([`Options::no_undo`]).
    undoable: bool,
    header: Header,
    turns: Vec<TurnRecord>,
    /// Turns taken back, in order, for the transcript read back from memory.
    undos: Vec<Undone>,
    writer: Option<Writer>,
    end: Option<End>,
}

/// How a session was rebuilt from a transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Replayed {
    /// Turns replayed.
    pub turns: u32,
    /// Whether today's rubric or persona moved the mood differently than recorded
    /// (the recorded lines are kept; the state is today's).
    pub drifted: bool,
}

impl<'a> Session<'a> {
    /// Start a session: the customer speaks first, and the transcript header is written.
    /// The engine is borrowed: compiling a persona's scenario takes about a
    /// millisecond, a whole session far less, so scripted runs share one engine.
    pub fn start(
        engine: &'a Engine<'a>,
        source: &PersonaSource,
        opts: &Options,
    ) -> io::Result<Self> {
        Live::quiet(|live| Self::start_voiced(engine, source, opts, None, live))
    }

    /// Start a session whose customer is voiced by a model (`llm`), or offline.
    pub fn start_voiced(
        engine: &'a Engine<'a>,
        source: &PersonaSource,
        opts: &Options,
        llm: Option<&'a LlmVoice>,
        live: &mut Live<'_>,
    ) -> io::Result<Self> {
        let mut state = engine.initial_state(opts.seed);
        let voice = OfflineVoice;
        let decision = engine.open();
        let offline = voice.speak(engine, &decision, &mut state);
        let (opening, opening_voice, streamed) = match llm {
            None => (offline, None, false),
            Some(v) => {
                let req = TurnRequest::opening(&state, &decision);
                let spoken = v.speak(req, &offline, live.on_event, live.cancel);
                (
                    spoken.text.clone(),
                    Some(VoiceMark::of(&spoken)),
                    spoken.streamed,
                )
            }
        };
        let backend = match llm {
            None => BackendRef::offline(),
            Some(v) => {
                let b = v.summary();
                BackendRef {
                    name: b.name.to_string(),
                    model: b.model,
                    server: Some(b.server),
                    temperature: Some(b.temperature),
                    max_tokens: Some(b.max_tokens),
                    stream: Some(b.stream),
                }
            }
        };
        let rubric = engine.analyser().rubric();
        let header = Header {
            format: transcript::FORMAT,
            peilian: env!("CARGO_PKG_VERSION").to_string(),
            persona: PersonaRef {
                id: engine.persona.id.clone(),
                name: engine.persona.name.clone(),
                hash: source.content.hash().to_string(),
            },
            scenario: engine.scenario.id.clone(),
            difficulty: engine.level_name.clone(),
            mode: Some(opts.mode),
            rubric: RubricRef {
                id: rubric.id.clone(),
                version: rubric.version,
                hash: engine.analyser().hash().to_string(),
            },
            backend,
            seed: opts.seed,
            trainee: opts.trainee.clone(),
            started_at: transcript::now_rfc3339(),
            initial: Mood {
                anger: state.anger_i(),
                trust: state.trust_i(),
            },
            opening,
            opening_voice,
            retry_of: None,
            restart_of: opts.restart_of.clone(),
            via: opts.via,
        };
        let writer = match &opts.transcript {
            Record::Memory => None,
            Record::At(p) => Some(Writer::create(p, &header)?),
            Record::New { dir, base } => Some(Writer::create_new(dir, base, &header)?),
        };
        Ok(Self {
            engine,
            voice,
            llm,
            streamed,
            state,
            before: Vec::new(),
            undoable: !opts.no_undo,
            header,
            turns: Vec::new(),
            undos: Vec::new(),
            writer,
            end: None,
        })
    }

    /// Rebuild a session from a recorded header and turns, to go on from there
    /// (`--resume`, `--retry`). The engine is deterministic for a seed, so replaying
    /// the trainee's lines restores the mood, the customer's memory of what was said
    /// and the random draws; the recorded turns are kept as they were. `writer`
    /// receives the following turns.
    pub fn replay(
        engine: &'a Engine<'a>,
        header: Header,
        turns: &[TurnRecord],
        writer: Option<Writer>,
    ) -> (Self, Replayed) {
        let voice = OfflineVoice;
        let mut state = engine.initial_state(header.seed);
        voice.speak(engine, &engine.open(), &mut state);
        let mut before = Vec::with_capacity(turns.len());
        let mut drifted = false;
        for t in turns {
            before.push(state.clone());
            let report = engine.turn(&mut state, &t.trainee);
            voice.speak(engine, &report.decision, &mut state);
            drifted |= report.anger != t.anger;
        }
        let replayed = Replayed {
            turns: turns.len() as u32,
            drifted,
        };
        let session = Self {
            engine,
            voice,
            llm: None,
            streamed: false,
            state,
            before,
            undoable: true,
            header,
            turns: turns.to_vec(),
            undos: Vec::new(),
            writer,
            end: None,
        };
        (session, replayed)
    }

    /// Go on with an interrupted session recorded at `path` (`practice --resume`, and
    /// the page reloaded after the server stopped): the file is reopened for appending,
    /// a torn last record cut away (and said so by the returned [`Torn`]), and the
    /// session rebuilt by replaying the recorded lines. The caller refuses a
    /// transcript that has an end line: it is scored, not continued.
    pub fn resume(
        engine: &'a Engine<'a>,
        path: &Path,
        transcript: Transcript,
    ) -> io::Result<(Self, Replayed, Option<Torn>)> {
        let (writer, torn) = Writer::append(path)?;
        let (mut s, replayed) =
            Self::replay(engine, transcript.header, &transcript.turns, Some(writer));
        s.keep_undos(transcript.undos);
        Ok((s, replayed, torn))
    }

    /// The seed and `restart_of` of the session that starts this one over
    /// (`/restart`): a new seed, so the customer does not say the same lines again.
    pub fn restart_options(&self) -> (u64, Option<String>) {
        (
            self.header.seed.wrapping_add(0x9e37_79b9),
            self.transcript_path().map(|p| p.display().to_string()),
        )
    }

    /// The scorecard of the session as it stands, labelled `name` (in its closing
    /// phase, resolved: see [`Session::transcript_if_stopped`]); `source` is the
    /// persona file in force (its hash is checked against the recorded one).
    pub fn scorecard(&self, source: &PersonaSource, name: &str) -> crate::score::Scorecard {
        crate::score::score(
            &self.transcript_if_stopped(),
            name,
            self.engine.persona,
            self.engine.scenario,
            source.content.hash(),
            self.engine.analyser(),
            transcript::now_rfc3339(),
        )
    }

    /// The take-backs a resumed session had made before, so that the session read
    /// back from memory (`/save`) still holds them.
    pub fn keep_undos(&mut self, undos: Vec<Undone>) {
        self.undos = undos;
    }

    /// The end line a finished session recorded, so that a session rebuilt only to be
    /// shown and scored again (the page reloaded) reads back as it was written.
    pub fn keep_end(&mut self, end: Option<End>) {
        self.end = end;
    }

    /// Voice the following turns with a model (a resumed or retried session).
    pub fn set_llm(&mut self, llm: Option<&'a LlmVoice>) {
        self.llm = llm;
    }

    /// Whether the last customer line was already shown token by token, so the caller
    /// must not print it again.
    pub fn streamed(&self) -> bool {
        self.streamed
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    pub fn opening(&self) -> &str {
        &self.header.opening
    }

    pub fn engine(&self) -> &Engine<'a> {
        self.engine
    }

    pub fn state(&self) -> &MoodState {
        &self.state
    }

    pub fn turns(&self) -> &[TurnRecord] {
        &self.turns
    }

    pub fn outcome(&self) -> Option<Outcome> {
        self.state.outcome
    }

    /// The outcome if the trainee stopped now: a session in its closing phase (the
    /// customer has accepted a remedy) is resolved.
    pub fn outcome_if_stopped(&self) -> Option<Outcome> {
        self.state
            .outcome
            .or(self.state.accepted_at.map(|_| Outcome::Resolved))
    }

    pub fn transcript_path(&self) -> Option<&Path> {
        self.writer.as_ref().map(Writer::path)
    }

    /// Why the transcript stopped being written (a full disk), if it did: the
    /// session goes on in memory.
    pub fn write_failed(&self) -> Option<&str> {
        self.writer.as_ref().and_then(Writer::failed)
    }

    /// Play one trainee line. The turn is recorded in memory before it is written, so
    /// a failing disk loses nothing the caller can still show or save elsewhere.
    pub fn say(&mut self, text: &str) -> io::Result<&TurnRecord> {
        Live::quiet(|live| self.say_live(text, live))
    }

    /// Play one trainee line, showing a model's words as they arrive. The mood model
    /// decides first; the model only words the decision, so the state after the turn
    /// is the same whichever voice speaks.
    pub fn say_live(&mut self, text: &str, live: &mut Live<'_>) -> io::Result<&TurnRecord> {
        assert!(self.state.outcome.is_none(), "the session has ended");
        if self.undoable {
            self.before.push(self.state.clone());
        }
        let report: TurnReport = self.engine.turn(&mut self.state, text);
        let offline = self
            .voice
            .speak(self.engine, &report.decision, &mut self.state);
        let a = self.engine.analyser();
        let mut record = TurnRecord {
            n: report.turn,
            trainee: text.to_string(),
            signals: report
                .signals
                .iter()
                .map(|s| SignalRecord {
                    kind: a.kind(s).id.clone(),
                    rule: a.rule(s).id.clone(),
                    start: s.start,
                    end: s.end,
                })
                .collect(),
            acts: report
                .acts
                .iter()
                .map(crate::transcript::ActRecord::of)
                .collect(),
            customer: String::new(),
            anger: report.anger,
            trust: report.trust,
            needs_met: report.needs_met,
            events: report.events,
            moves: report.decision.moves.clone(),
            voice: None,
        };
        (live.on_decided)(&record, &self.turns);
        match self.llm {
            None => {
                self.streamed = false;
                record.customer = offline;
            }
            Some(v) => {
                let spoken = self.voice_llm(v, &report.decision, text, &offline, live);
                self.streamed = spoken.streamed;
                record.voice = Some(VoiceMark::of(&spoken));
                record.customer = spoken.text;
            }
        }
        self.turns.push(record);
        let end = report
            .decision
            .outcome
            .map(|outcome| self.end_record(Ending::Ended(outcome), self.reason(outcome)));
        let turn = self.turns.last().expect("just pushed");
        let written = match (&mut self.writer, &end) {
            (Some(w), Some(end)) => w.turn_and_end(turn, end),
            (Some(w), None) => w.turn(turn),
            (None, _) => Ok(()),
        };
        if end.is_some() {
            self.end = end;
        }
        written?;
        Ok(self.turns.last().expect("just pushed"))
    }

    fn voice_llm(
        &self,
        v: &LlmVoice,
        decision: &Decision,
        text: &str,
        offline: &str,
        live: &mut Live<'_>,
    ) -> Spoken {
        let history: Vec<Exchange<'_>> = self
            .turns
            .iter()
            .map(|t| Exchange {
                trainee: &t.trainee,
                customer: &t.customer,
            })
            .collect();
        let req = TurnRequest {
            state: &self.state,
            decision,
            opening: &self.header.opening,
            history: &history,
            trainee: Some(text),
        };
        v.speak(req, offline, live.on_event, live.cancel)
    }

    /// End a session that has no outcome (the trainee stopped, the script ran out).
    /// Stopped after the customer accepted a remedy, the matter is resolved: the
    /// trainee only left out the close, and the scorecard says so.
    pub fn finish_unfinished(&mut self, reason: &str) -> io::Result<()> {
        if self.end.is_none() {
            let end = self.stopped_end(reason);
            self.write_end(end)?;
        }
        Ok(())
    }

    /// The end line of a session stopped now: resolved in its closing phase (the
    /// customer has accepted a remedy), else unfinished for `reason`.
    fn stopped_end(&self, reason: &str) -> End {
        if self.state.accepted_at.is_some() {
            self.end_record(
                Ending::Ended(Outcome::Resolved),
                self.reason(Outcome::Resolved),
            )
        } else {
            self.end_record(Ending::Unfinished, reason.to_string())
        }
    }

    pub fn end(&self) -> Option<&End> {
        self.end.as_ref()
    }

    /// End the session because the trainee starts again (`/restart`): an abandoned
    /// attempt, marked so in its end line, whatever state it was in.
    pub fn finish_restarted(&mut self) -> io::Result<()> {
        if self.end.is_none() {
            let mut end = self.end_record(Ending::Unfinished, transcript::RESTART_REASON.into());
            end.restarted = true;
            self.write_end(end)?;
        }
        Ok(())
    }

    /// Turns taken back so far, in order.
    pub fn undos(&self) -> &[Undone] {
        &self.undos
    }

    /// Take back the last turn: the mood returns to what it was before it, an ending
    /// it caused is undone, and the transcript records the take-back. `None` when
    /// there is no turn to take back.
    pub fn undo(&mut self) -> io::Result<Option<TurnRecord>> {
        let (Some(turn), Some(state)) = (self.turns.pop(), self.before.pop()) else {
            return Ok(None);
        };
        self.state = state;
        self.end = None;
        self.undos.push(Undone::of(turn.clone()));
        if let Some(w) = &mut self.writer {
            w.undo(self.undos.last().expect("just pushed"))?;
        }
        Ok(Some(turn))
    }

    /// The session as a transcript, as it would read back from disk now.
    pub fn transcript(&self) -> crate::transcript::Transcript {
        crate::transcript::Transcript {
            header: self.header.clone(),
            turns: self.turns.clone(),
            end: self.end.clone(),
            undos: self.undos.clone(),
        }
    }

    /// The session as `/score` mid-session scores it: after the customer accepted a
    /// remedy it is resolved, as [`Session::finish_unfinished`] would record it, not an
    /// unfinished session worth a quarter of the outcome.
    pub fn transcript_if_stopped(&self) -> crate::transcript::Transcript {
        let mut t = self.transcript();
        if t.end.is_none() && self.state.accepted_at.is_some() {
            t.end = Some(self.stopped_end(""));
        }
        t
    }

    fn end_record(&self, ending: Ending, reason: String) -> End {
        End {
            outcome: ending.as_str().to_string(),
            reason,
            turns: self.state.turn,
            anger: self.state.anger_i(),
            restarted: false,
        }
    }

    fn write_end(&mut self, end: End) -> io::Result<()> {
        let r = match &mut self.writer {
            Some(w) => w.end(&end),
            None => Ok(()),
        };
        self.end = Some(end);
        r
    }

    fn reason(&self, outcome: Outcome) -> String {
        let p = self.engine.persona;
        match outcome {
            Outcome::Resolved => {
                let remedy = self
                    .turns
                    .iter()
                    .rev()
                    .find_map(|t| {
                        t.moves.iter().find_map(|m| match m {
                            crate::engine::Move::Accept { remedy } => Some(remedy.clone()),
                            _ => None,
                        })
                    })
                    .unwrap_or_default();
                format!("客户接受了方案\u{FF1A}{remedy}")
            }
            Outcome::WalkedOut if p.behaviour.exposes => {
                format!(
                    "愤怒达到 {}\u{FF0C}客户扬言曝光并离开",
                    self.state.anger_i()
                )
            }
            Outcome::WalkedOut => format!("愤怒达到 {}\u{FF0C}客户愤而离开", self.state.anger_i()),
            Outcome::OutOfTurns => format!("{} 轮内没有解决，客户失去耐心", self.engine.patience()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Whatever is typed or pasted, on a terminal or on the page: one line, no
        /// control characters, at most the limit, and cut only when it was longer.
        #[test]
        fn any_reply_becomes_one_clean_line_within_the_limit(text in "(?s).{0,2600}") {
            let r = normalise_reply(&text);
            let n = r.text.chars().count();
            proptest::prop_assert!(n <= MAX_TURN_CHARS);
            proptest::prop_assert!(!r.text.contains(['\n', '\r']));
            proptest::prop_assert!(!r.text.chars().any(|c| c.is_control() && c != '\t'));
            match r.cut_from {
                Some(from) => proptest::prop_assert!(from > MAX_TURN_CHARS && n == MAX_TURN_CHARS),
                None => proptest::prop_assert!(n <= MAX_TURN_CHARS),
            }
        }
    }

    #[test]
    fn several_pasted_lines_are_one_reply() {
        let r = normalise_reply("  您好\r\n\n请问\u{1b}[31m有什么可以帮您？\n");
        assert_eq!(r.text, "您好 请问有什么可以帮您？");
        assert_eq!(r.cut_from, None);
        let long = normalise_reply(&"好".repeat(MAX_TURN_CHARS + 5));
        assert_eq!(long.cut_from, Some(MAX_TURN_CHARS + 5));
        assert_eq!(long.text.chars().count(), MAX_TURN_CHARS);
    }
}

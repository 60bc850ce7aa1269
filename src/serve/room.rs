//! The training room: the sessions being played on the page, each a [`Session`] as the
//! REPL plays it, with the engine it needs. A session not in memory (the server was
//! restarted) is brought back from its transcript the way `practice --resume` does.
//!
//! The room performs no HTTP: `api` turns requests into these calls and their results
//! into responses.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::Serialize;

use super::store::{Store, lock};
use crate::engine::Engine;
use crate::llm::{LlmVoice, Settings};
use crate::persona::{Catalog, Entry, Scenario};
use crate::repl::view::{self, Brief};
use crate::rubric::Analyser;
use crate::session::{Options, Record, Session};
use crate::transcript::seal::Key;
use crate::transcript::{self, Mode, Transcript, TurnRecord, Via};
use crate::ui::{self, Style};

/// Text without colour: the page draws its own.
const PLAIN: Style = Style { on: false };

/// Why a request about a session cannot be carried out; `api` gives each a status.
#[derive(Debug, thiserror::Error)]
pub enum RoomError {
    /// No such session for this trainee (another trainee's session is not theirs to
    /// know of either).
    #[error("没有这场练习")]
    NotFound,
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Failed(String),
}

/// A compiled persona, scenario and difficulty, and the model voicing it, if any:
/// shared by every session of that choice for the server's life.
#[derive(Clone, Copy)]
pub struct Customer {
    pub entry: &'static Entry,
    pub engine: &'static Engine<'static>,
    pub llm: Option<&'static LlmVoice>,
}

/// One session on the page.
pub struct Seat {
    pub id: String,
    pub customer: Customer,
    /// Seals the transcript after each record the server writes.
    key: Key,
    pub session: Session<'static>,
    /// Ended by the trainee (end-and-score) or by a restart: nothing more is played.
    pub closed: bool,
}

/// Every session being played, and what is needed to start more.
pub struct Room {
    /// The server's sealing key (`.serve/key` in the sessions folder).
    key: Key,
    pub catalog: &'static Catalog,
    pub analyser: &'static Analyser,
    pub store: Store,
    llm: Option<Settings>,
    customers: Mutex<HashMap<(String, String, String), Customer>>,
    seats: Mutex<HashMap<String, Arc<Mutex<Seat>>>>,
}

/// What the page shows of a session.
#[derive(Debug, Serialize)]
pub struct View {
    pub id: String,
    pub exam: bool,
    pub persona: String,
    pub brief: Brief,
    pub lines: Vec<Line>,
    /// Anger now, outside an exam.
    pub anger: Option<i32>,
    pub turn: u32,
    pub patience: u32,
    /// The ending, once the customer or the trainee ended the session.
    pub ended: Option<Ended>,
    /// Whether nothing more can be said (the trainee ended it, or restarted).
    pub closed: bool,
    pub transcript: String,
}

/// One line of the dialogue as the page shows it.
#[derive(Debug, Serialize)]
pub struct Line {
    pub who: &'static str,
    pub text: String,
    /// The coach's comment on a trainee line, outside an exam.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coach: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Ended {
    pub outcome: String,
    pub reason: String,
}

impl Room {
    pub fn new(
        catalog: &'static Catalog,
        analyser: &'static Analyser,
        store: Store,
        key: Key,
        llm: Option<Settings>,
    ) -> Self {
        Self {
            key,
            catalog,
            analyser,
            store,
            llm,
            customers: Mutex::default(),
            seats: Mutex::default(),
        }
    }

    /// The customer for a persona, scenario and difficulty, compiled once.
    pub fn customer(
        &self,
        persona: &str,
        scenario: &str,
        level: &str,
    ) -> Result<Customer, RoomError> {
        let key = (persona.to_string(), scenario.to_string(), level.to_string());
        if let Some(c) = lock(&self.customers).get(&key) {
            return Ok(*c);
        }
        let refused = |m: String| RoomError::Refused(m);
        let catalog: &'static Catalog = self.catalog;
        let entry = catalog
            .find(persona)
            .ok_or_else(|| refused(catalog.not_found(persona)))?;
        let sc: &'static Scenario = entry
            .persona
            .scenarios
            .iter()
            .find(|s| s.id == scenario)
            .ok_or_else(|| {
                refused(format!(
                    "客户「{}」没有场景「{scenario}」",
                    entry.persona.name
                ))
            })?;
        let engine = Engine::new(&entry.persona, sc, level, self.analyser)
            .ok_or_else(|| refused(format!("客户「{}」没有难度「{level}」", entry.persona.name)))?;
        // Kept for the server's life: a bounded set (personas × scenarios × levels),
        // borrowed by every session of that choice.
        let engine: &'static Engine<'static> = Box::leak(Box::new(engine));
        let llm = match &self.llm {
            None => None,
            Some(s) => Some(&*Box::leak(Box::new(
                LlmVoice::new(s.clone(), engine).map_err(|e| RoomError::Failed(e.to_string()))?,
            ))),
        };
        let c = Customer { entry, engine, llm };
        Ok(*lock(&self.customers).entry(key).or_insert(c))
    }

    /// Start a session for `owner` (token key) named `trainee`.
    pub fn start(
        &self,
        owner: &str,
        trainee: &str,
        customer: Customer,
        mode: Mode,
        restart_of: Option<(u64, Option<String>)>,
        live: &mut crate::session::Live<'_>,
    ) -> Result<Arc<Mutex<Seat>>, RoomError> {
        let engine = customer.engine;
        let (seed, restart_of) = restart_of.unwrap_or_else(|| (random_seed(), None));
        let opts = Options {
            seed,
            trainee: trainee.to_string(),
            transcript: Record::New {
                dir: self.store.dir().to_path_buf(),
                base: crate::repl::transcript_base(&engine.persona.id, &engine.scenario.id),
            },
            mode,
            restart_of,
            via: Some(Via::Web),
            no_undo: false,
        };
        let session =
            Session::start_voiced(engine, &customer.entry.source, &opts, customer.llm, live)
                .map_err(|e| RoomError::Failed(format!("无法创建对话记录：{e}")))?;
        let path = session.transcript_path().expect("a file").to_path_buf();
        let id = self
            .store
            .new_session(owner, &path)
            .map_err(|e| RoomError::Failed(format!("无法记下这场练习：{e}")))?;
        let seat = Seat {
            id,
            customer,
            key: self.key.clone(),
            session,
            closed: false,
        };
        seat.seal();
        Ok(self.seat(seat))
    }

    fn seat(&self, seat: Seat) -> Arc<Mutex<Seat>> {
        let id = seat.id.clone();
        let seat = Arc::new(Mutex::new(seat));
        lock(&self.seats).insert(id, Arc::clone(&seat));
        seat
    }

    /// The session `id` of `owner`: in memory, or brought back from its transcript.
    /// Blocking (it may read and replay a file): call it off the async threads.
    pub fn find(&self, owner: &str, id: &str) -> Result<Arc<Mutex<Seat>>, RoomError> {
        let issued = self.store.session(id).ok_or(RoomError::NotFound)?;
        if issued.owner != owner {
            return Err(RoomError::NotFound);
        }
        if let Some(seat) = lock(&self.seats).get(id) {
            return Ok(Arc::clone(seat));
        }
        let path = self.store.dir().join(&issued.file);
        let t = transcript::read(&path).map_err(|e| {
            // The full error (with the server's folders) for the operator; the file's
            // name for the page.
            eprintln!("错误：{e}");
            RoomError::Failed(format!(
                "这场练习的记录 {} 读不出来；请告诉培训师。",
                issued.file
            ))
        })?;
        let customer = self.customer(
            &t.header.persona.id,
            &t.header.scenario,
            &t.header.difficulty,
        )?;
        let closed = t.end.is_some();
        let session = if closed {
            // A finished session is shown and scored, never continued.
            let (s, _) = Session::replay(customer.engine, t.header.clone(), &t.turns, None);
            ended(s, &t)
        } else {
            let (mut s, _, _torn) = Session::resume(customer.engine, &path, t)
                .map_err(|e| RoomError::Failed(format!("无法续写对话记录：{e}")))?;
            s.set_llm(customer.llm);
            s
        };
        let seat = Seat {
            id: id.to_string(),
            customer,
            key: self.key.clone(),
            session,
            closed,
        };
        let mut seats = lock(&self.seats);
        // Another request may have brought it back meanwhile: keep the first.
        Ok(Arc::clone(
            seats
                .entry(id.to_string())
                .or_insert_with(|| Arc::new(Mutex::new(seat))),
        ))
    }

    /// The sessions of `owner`, oldest first: (id, transcript path).
    pub fn sessions_of(&self, owner: &str) -> Vec<(String, PathBuf)> {
        self.store.of(owner)
    }
}

/// A replayed session with the end line its transcript records.
fn ended(mut s: Session<'static>, t: &Transcript) -> Session<'static> {
    s.keep_undos(t.undos.clone());
    s.keep_end(t.end.clone());
    s
}

/// A seed no other session is likely to share: the customer should not say the same
/// lines to everyone in the room.
fn random_seed() -> u64 {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("the operating system's random source works");
    u64::from_le_bytes(bytes)
}

impl Seat {
    /// Seal the transcript as it now stands; call after every record written. A seal
    /// that cannot be written is said on the server's stderr: the session goes on, and
    /// an assessor's check will name the transcript.
    pub fn seal(&self) {
        if let Some(path) = self.session.transcript_path()
            && let Err(e) = self.key.sign(path)
        {
            eprintln!("警告：无法给 {} 签名：{e}", path.display());
        }
    }

    pub fn exam(&self) -> bool {
        self.session.header().mode() == Mode::Exam
    }

    /// What the page shows now.
    pub fn view(&self) -> View {
        let s = &self.session;
        let engine = self.customer.engine;
        let exam = self.exam();
        let mut lines = vec![Line {
            who: "customer",
            text: ui::sanitize(s.opening()).into_owned(),
            coach: None,
        }];
        for (i, t) in s.turns().iter().enumerate() {
            lines.push(Line {
                who: "trainee",
                text: ui::sanitize(&t.trainee).into_owned(),
                coach: self.coach(&s.turns()[..i], t),
            });
            lines.push(Line {
                who: "customer",
                text: ui::sanitize(&t.customer).into_owned(),
                coach: None,
            });
        }
        View {
            id: self.id.clone(),
            exam,
            persona: ui::sanitize(&engine.persona.name).into_owned(),
            brief: Brief::of(engine),
            lines,
            anger: (!exam).then(|| s.state().anger_i()),
            turn: s.state().turn,
            patience: engine.patience(),
            ended: s.end().map(|e| Ended {
                outcome: outcome_label(&e.outcome),
                reason: ui::sanitize(&e.reason).into_owned(),
            }),
            closed: self.closed,
            transcript: s
                .transcript_path()
                .and_then(Path::file_name)
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default(),
        }
    }

    /// The coach's line on a trainee turn, outside an exam (the REPL's, without colour).
    /// `earlier` are the session's turns before `t`.
    pub fn coach(&self, earlier: &[TurnRecord], t: &TurnRecord) -> Option<String> {
        coach_line(self.customer, self.exam(), earlier, t)
    }

    /// Refuse what an exam does not allow, and anything once the session is over.
    pub fn check_open(&self, what: &str, in_exam: bool) -> Result<(), RoomError> {
        if self.closed {
            return Err(RoomError::Refused(
                "这场练习已经结束了；请开始新的练习。".into(),
            ));
        }
        if self.exam() && !in_exam {
            return Err(RoomError::Refused(format!("考试模式下不能{what}。")));
        }
        Ok(())
    }

    /// The scorecard as HTML, labelled with the transcript's file name (not the
    /// server's folders).
    pub fn card_html(&self) -> String {
        use crate::score::render::Render as _;
        let label = self
            .session
            .transcript_path()
            .and_then(Path::file_name)
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let card = self.session.scorecard(&self.customer.entry.source, &label);
        crate::score::html::Html.render(&card)
    }
}

/// The Chinese label of a recorded ending.
pub fn outcome_label(outcome: &str) -> String {
    transcript::Ending::of(outcome).label().to_string()
}

/// The coach's line on a trainee turn, outside an exam: the REPL's, without colour.
/// `earlier` are the session's turns before `t`.
pub fn coach_line(
    customer: Customer,
    exam: bool,
    earlier: &[TurnRecord],
    t: &TurnRecord,
) -> Option<String> {
    if exam {
        return None;
    }
    view::coach(&PLAIN, customer.engine, earlier, t).map(|c| c.trim().to_string())
}

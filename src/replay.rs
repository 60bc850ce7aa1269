//! The replay check: a transcript's trainee lines played again through the engine it
//! records (persona and rubric by hash, scenario, difficulty, seed), with every
//! take-back at the point it was made, and compared turn by turn with what the file
//! says. The offline customer is deterministic, so an honest transcript replays to the
//! same reading, decisions, mood, outcome and (offline) words; an edited one differs at
//! the first turn it touched. This is what lets an assessor trust a transcript a
//! trainee could have edited, short of a signature.
//!
//! It plays through [`Session`], the one loop `run`, `practice` and `assess` use; it
//! writes nothing and interprets no text itself.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::Serialize;

use crate::engine::Engine;
use crate::persona::{Entry, Scenario};
use crate::rubric::Analyser;
use crate::session::{Options, Session};
use crate::transcript::{Mode, Step, Transcript, TurnRecord};

/// Said on a card whose transcript does not replay as recorded.
pub const MISMATCH: &str = "记录与重放不一致，不能用于考核";
/// Said when the persona file recorded is not the one installed.
pub const PERSONA_CHANGED: &str = "记录时的客户画像与现在的不同，无法重放核对";
/// Said when the rubric (or reading model) recorded is not the one in use.
pub const RUBRIC_CHANGED: &str = "记录时的规则与现在的不同，无法重放核对";

/// What the replay found.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Replay {
    /// Every turn, take-back and the end replayed as recorded.
    Verified,
    /// The first difference: the turn (`None` for the opening) and what differed.
    Mismatch { turn: Option<u32>, what: String },
    /// The transcript could not be checked (persona or rubric changed since).
    Unverified { why: String },
}

impl Replay {
    /// The card's and the summary's words for a session that must not count.
    pub fn invalid(&self) -> Option<String> {
        match self {
            Replay::Mismatch { turn, what } => Some(format!(
                "{MISMATCH}：{}，{what}",
                turn.map_or_else(|| "开场".to_string(), |n| format!("第 {n} 轮"))
            )),
            _ => None,
        }
    }

    /// The note for a session that scored but could not be checked.
    pub fn unverified(&self) -> Option<&str> {
        match self {
            Replay::Unverified { why } => Some(why),
            _ => None,
        }
    }
}

/// Compiled engines shared by the transcripts of one run: compiling a scenario costs
/// about a millisecond, more than replaying a whole session.
#[derive(Default)]
pub struct Engines<'c> {
    cache: Mutex<HashMap<(usize, String, String), Arc<Engine<'c>>>>,
}

impl<'c> Engines<'c> {
    fn get(
        &self,
        entry: &'c Entry,
        scenario: &'c Scenario,
        level: &str,
        analyser: &'c Analyser,
    ) -> Option<Arc<Engine<'c>>> {
        let key = (
            std::ptr::from_ref(entry) as usize,
            scenario.id.clone(),
            level.to_string(),
        );
        if let Some(e) = self.cache.lock().ok()?.get(&key) {
            return Some(Arc::clone(e));
        }
        let engine = Arc::new(Engine::new(&entry.persona, scenario, level, analyser)?);
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(key, Arc::clone(&engine));
        }
        Some(engine)
    }
}

/// Replay `t` with the persona entry and scenario it names.
pub fn check<'c>(
    t: &Transcript,
    entry: &'c Entry,
    scenario: &'c Scenario,
    analyser: &'c Analyser,
    engines: &Engines<'c>,
) -> Replay {
    let h = &t.header;
    if h.persona.hash != entry.source.content.hash() {
        return Replay::Unverified {
            why: PERSONA_CHANGED.to_string(),
        };
    }
    if h.rubric.hash != analyser.hash() {
        return Replay::Unverified {
            why: RUBRIC_CHANGED.to_string(),
        };
    }
    let opening = |what: String| Replay::Mismatch { turn: None, what };
    let Some(engine) = engines.get(entry, scenario, &h.difficulty, analyser) else {
        return opening(format!("记录的难度「{}」不存在", h.difficulty));
    };
    let mismatch = |what: String| with_version(t, opening(what));
    let opts = Options {
        seed: h.seed,
        trainee: h.trainee.clone(),
        mode: h.mode(),
        no_undo: t.undos.is_empty(),
        ..Options::default()
    };
    let Ok(mut s) = Session::start(&engine, &entry.source, &opts) else {
        return mismatch("无法开始重放".into());
    };
    if s.header().initial != h.initial {
        return mismatch(format!(
            "开始时的情绪不同（记录愤怒 {}，重放愤怒 {}）",
            h.initial.anger,
            s.header().initial.anger
        ));
    }
    if h.opening_voice.is_none() && s.opening() != h.opening {
        return mismatch(format!(
            "客户的开场白不同（记录「{}」，重放「{}」）",
            short(&h.opening),
            short(s.opening())
        ));
    }
    if h.mode() == Mode::Exam && !t.undos.is_empty() {
        let n = t.undos[0].turn.n;
        return with_version(
            t,
            Replay::Mismatch {
                turn: Some(n),
                what: "考试模式不能收回，记录里却收回了这一轮".into(),
            },
        );
    }
    for step in t.steps() {
        let at = |n: u32, what: String| {
            with_version(
                t,
                Replay::Mismatch {
                    turn: Some(n),
                    what,
                },
            )
        };
        match step {
            Step::Said(rec) => {
                if let Some(o) = s.outcome() {
                    return at(
                        rec.n,
                        format!(
                            "重放时客户在上一轮已经结束对话（{}），记录里却还有这一轮",
                            o.label()
                        ),
                    );
                }
                let got = match s.say(&rec.trainee) {
                    Ok(got) => got,
                    Err(_) => return at(rec.n, "无法重放".into()),
                };
                if let Some(what) = differs(rec, got) {
                    return at(rec.n, what);
                }
            }
            Step::TookBack(u) => {
                let Ok(Some(back)) = s.undo() else {
                    return at(u.turn.n, "记录收回了一轮，重放时没有可收回的".into());
                };
                let forbidden = crate::transcript::Undone::of(back).forbidden;
                if forbidden != u.forbidden {
                    return at(u.turn.n, "收回的这一句记录的禁语与重放不同".into());
                }
            }
        }
    }
    let last = t.turns.last().map_or(0, |x| x.n);
    let after = |what: String| {
        with_version(
            t,
            Replay::Mismatch {
                turn: Some(last),
                what,
            },
        )
    };
    match (&t.end, s.end().cloned()) {
        // The customer ended it: the end line must say how, written with the turn.
        (recorded, Some(ended)) => match recorded {
            Some(e) if *e == ended => {}
            Some(e) => {
                return after(format!(
                    "结局不同（记录「{}」，重放「{}」）",
                    e.outcome, ended.outcome
                ));
            }
            None => {
                return after(format!(
                    "重放时客户在这一轮结束了对话（{}），记录里却没有结束行",
                    ended.outcome
                ));
            }
        },
        // Interrupted (killed, or left to resume later): nothing more to check.
        (None, None) => {}
        // The trainee stopped, restarted, or the answers ran out: the end line the
        // session itself would have written then.
        (Some(e), None) => {
            let done = if e.is_restart() {
                s.finish_restarted()
            } else {
                s.finish_unfinished(&e.reason)
            };
            let expected = s.end().cloned();
            if done.is_err() || expected.as_ref() != Some(e) {
                return after(format!(
                    "结局不同（记录「{}」，重放「{}」）",
                    e.outcome,
                    expected.map_or_else(|| "无".into(), |x| x.outcome)
                ));
            }
        }
    }
    Replay::Verified
}

/// A mismatch of a transcript written by another peilian says so: a changed engine
/// also replays differently.
fn with_version(t: &Transcript, r: Replay) -> Replay {
    let now = env!("CARGO_PKG_VERSION");
    match r {
        Replay::Mismatch { turn, what } if t.header.peilian != now => Replay::Mismatch {
            turn,
            what: format!(
                "{what}（记录由 peilian {} 写成，现为 {now}；程序改动也会使重放不同）",
                t.header.peilian
            ),
        },
        r => r,
    }
}

/// What differs between a recorded turn and its replay, first found first: the
/// reading, the customer's decision, the mood, and the words when the offline voice
/// spoke them (a model's words are its own; its decisions are still the engine's).
fn differs(rec: &TurnRecord, got: &TurnRecord) -> Option<String> {
    let json = |v: &TurnRecord, field: &str| {
        serde_json::to_value(v)
            .ok()
            .and_then(|x| x.get(field).map(ToString::to_string))
            .unwrap_or_default()
    };
    if rec.signals != got.signals || rec.acts != got.acts {
        return Some("这一句的解读不同（记录的信号与重放不符）".into());
    }
    if rec.events != got.events {
        return Some(format!(
            "客户的判断不同（记录 {}，重放 {}）",
            json(rec, "events"),
            json(got, "events")
        ));
    }
    if rec.moves != got.moves {
        return Some(format!(
            "客户的决定不同（记录 {}，重放 {}）",
            json(rec, "moves"),
            json(got, "moves")
        ));
    }
    if rec.anger != got.anger || rec.trust != got.trust {
        return Some(format!(
            "客户的情绪不同（记录愤怒 {}、信任 {}，重放愤怒 {}、信任 {}）",
            rec.anger, rec.trust, got.anger, got.trust
        ));
    }
    if rec.needs_met != got.needs_met {
        return Some("已满足的客户需求不同".into());
    }
    if rec.voice.is_none() && rec.customer != got.customer {
        return Some(format!(
            "客户的话不同（记录「{}」，重放「{}」）",
            short(&rec.customer),
            short(&got.customer)
        ));
    }
    None
}

/// A line shortened for a message.
fn short(s: &str) -> String {
    let mut out: String = s.chars().take(24).collect();
    if s.chars().count() > 24 {
        out.push('…');
    }
    out
}

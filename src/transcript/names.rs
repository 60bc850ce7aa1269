//! The transcript's own names for what the engine and the model voice decide.
//!
//! A `format: 1` file is read years after it was written, so the words it holds must
//! not follow the engine's type and variant names: the engine's [`Event`], [`Move`]
//! and [`Outcome`], the voice's [`VoiceSource`] and the audit's [`AuditFailure`] carry
//! no serde derives of their own. Each is converted here, by an exhaustive match, into
//! a record type whose every on-disk name is spelled out; renaming an engine variant
//! is then a compile error here rather than a silent change of the file format. This
//! module performs no I/O.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::engine::{Event, Move, Outcome};
use crate::llm::AuditFailure;
use crate::llm::VoiceSource;

/// How a session ended, as an end line (and a scorecard) names it: one of the engine's
/// outcomes, a session the trainee stopped, or a real chat log scored like one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Ended(Outcome),
    Unfinished,
    /// A real chat log (`chatlog`), which has no customer engine behind it.
    Chat,
}

impl Ending {
    /// Every ending, for tests and listings.
    pub const ALL: [Ending; 5] = [
        Ending::Ended(Outcome::Resolved),
        Ending::Ended(Outcome::WalkedOut),
        Ending::Ended(Outcome::OutOfTurns),
        Ending::Unfinished,
        Ending::Chat,
    ];

    /// The name in an end line's `outcome` field.
    pub fn as_str(self) -> &'static str {
        match self {
            Ending::Ended(Outcome::Resolved) => "resolved",
            Ending::Ended(Outcome::WalkedOut) => "walked_out",
            Ending::Ended(Outcome::OutOfTurns) => "out_of_turns",
            Ending::Unfinished => "unfinished",
            Ending::Chat => "chat",
        }
    }

    /// The ending an `outcome` field names; a name this program never wrote reads as
    /// an unfinished session.
    pub fn of(name: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|e| e.as_str() == name)
            .unwrap_or(Ending::Unfinished)
    }

    /// Chinese label for trainees and assessors.
    pub fn label(self) -> &'static str {
        match self {
            Ending::Ended(o) => o.label(),
            Ending::Unfinished => "对话未结束",
            Ending::Chat => "真实聊天",
        }
    }
}

/// An [`Event`] as a turn line records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event")]
enum EventRecord {
    #[serde(rename = "rushed")]
    Rushed { need: String },
    #[serde(rename = "empty_apology")]
    EmptyApology,
    #[serde(rename = "template")]
    Template,
    #[serde(rename = "scripted")]
    Scripted,
    #[serde(rename = "idle")]
    Idle,
    #[serde(rename = "need_met")]
    NeedMet { need: String },
    #[serde(rename = "need_expired")]
    NeedExpired { need: String },
    #[serde(rename = "fact_revealed")]
    FactRevealed { fact: String },
    #[serde(rename = "remedy_rejected")]
    RemedyRejected { remedy: Option<String> },
    #[serde(rename = "remedy_list")]
    RemedyList,
    #[serde(rename = "remedy_accepted")]
    RemedyAccepted { remedy: String },
    #[serde(rename = "urgent_action")]
    UrgentAction { remedy: String },
}

impl From<&Event> for EventRecord {
    fn from(e: &Event) -> Self {
        match e.clone() {
            Event::Rushed { need } => Self::Rushed { need },
            Event::EmptyApology => Self::EmptyApology,
            Event::Template => Self::Template,
            Event::Scripted => Self::Scripted,
            Event::Idle => Self::Idle,
            Event::NeedMet { need } => Self::NeedMet { need },
            Event::NeedExpired { need } => Self::NeedExpired { need },
            Event::FactRevealed { fact } => Self::FactRevealed { fact },
            Event::RemedyRejected { remedy } => Self::RemedyRejected { remedy },
            Event::RemedyList => Self::RemedyList,
            Event::RemedyAccepted { remedy } => Self::RemedyAccepted { remedy },
            Event::UrgentAction { remedy } => Self::UrgentAction { remedy },
        }
    }
}

impl From<EventRecord> for Event {
    fn from(e: EventRecord) -> Self {
        match e {
            EventRecord::Rushed { need } => Self::Rushed { need },
            EventRecord::EmptyApology => Self::EmptyApology,
            EventRecord::Template => Self::Template,
            EventRecord::Scripted => Self::Scripted,
            EventRecord::Idle => Self::Idle,
            EventRecord::NeedMet { need } => Self::NeedMet { need },
            EventRecord::NeedExpired { need } => Self::NeedExpired { need },
            EventRecord::FactRevealed { fact } => Self::FactRevealed { fact },
            EventRecord::RemedyRejected { remedy } => Self::RemedyRejected { remedy },
            EventRecord::RemedyList => Self::RemedyList,
            EventRecord::RemedyAccepted { remedy } => Self::RemedyAccepted { remedy },
            EventRecord::UrgentAction { remedy } => Self::UrgentAction { remedy },
        }
    }
}

/// A [`Move`] as a turn line records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "move")]
enum MoveRecord {
    #[serde(rename = "opening")]
    Opening,
    #[serde(rename = "vent")]
    Vent,
    #[serde(rename = "calm")]
    Calm,
    #[serde(rename = "confirm")]
    Confirm,
    #[serde(rename = "noted")]
    Noted { urgent: bool },
    #[serde(rename = "react_bad")]
    ReactBad { kind: String, quote: String },
    #[serde(rename = "rushed")]
    Rushed { need: String },
    #[serde(rename = "empty_apology")]
    EmptyApology,
    #[serde(rename = "template")]
    Template,
    #[serde(rename = "scripted")]
    Scripted,
    #[serde(rename = "answer_fact")]
    AnswerFact { facts: Vec<String> },
    #[serde(rename = "unknown_fact")]
    UnknownFact,
    #[serde(rename = "answer_demand")]
    AnswerDemand,
    #[serde(rename = "reject_remedy")]
    RejectRemedy { reason: String },
    #[serde(rename = "ask_term")]
    AskTerm { need: String },
    #[serde(rename = "accept")]
    Accept { remedy: String },
    #[serde(rename = "threaten")]
    Threaten,
    #[serde(rename = "walk_out")]
    WalkOut,
    #[serde(rename = "out_of_turns")]
    OutOfTurns,
    #[serde(rename = "closing")]
    Closing,
    #[serde(rename = "after_accept")]
    AfterAccept,
}

impl From<&Move> for MoveRecord {
    fn from(m: &Move) -> Self {
        match m.clone() {
            Move::Opening => Self::Opening,
            Move::Vent => Self::Vent,
            Move::Calm => Self::Calm,
            Move::Confirm => Self::Confirm,
            Move::Noted { urgent } => Self::Noted { urgent },
            Move::ReactBad { kind, quote } => Self::ReactBad { kind, quote },
            Move::Rushed { need } => Self::Rushed { need },
            Move::EmptyApology => Self::EmptyApology,
            Move::Template => Self::Template,
            Move::Scripted => Self::Scripted,
            Move::AnswerFact { facts } => Self::AnswerFact { facts },
            Move::UnknownFact => Self::UnknownFact,
            Move::AnswerDemand => Self::AnswerDemand,
            Move::RejectRemedy { reason } => Self::RejectRemedy { reason },
            Move::AskTerm { need } => Self::AskTerm { need },
            Move::Accept { remedy } => Self::Accept { remedy },
            Move::Threaten => Self::Threaten,
            Move::WalkOut => Self::WalkOut,
            Move::OutOfTurns => Self::OutOfTurns,
            Move::Closing => Self::Closing,
            Move::AfterAccept => Self::AfterAccept,
        }
    }
}

impl From<MoveRecord> for Move {
    fn from(m: MoveRecord) -> Self {
        match m {
            MoveRecord::Opening => Self::Opening,
            MoveRecord::Vent => Self::Vent,
            MoveRecord::Calm => Self::Calm,
            MoveRecord::Confirm => Self::Confirm,
            MoveRecord::Noted { urgent } => Self::Noted { urgent },
            MoveRecord::ReactBad { kind, quote } => Self::ReactBad { kind, quote },
            MoveRecord::Rushed { need } => Self::Rushed { need },
            MoveRecord::EmptyApology => Self::EmptyApology,
            MoveRecord::Template => Self::Template,
            MoveRecord::Scripted => Self::Scripted,
            MoveRecord::AnswerFact { facts } => Self::AnswerFact { facts },
            MoveRecord::UnknownFact => Self::UnknownFact,
            MoveRecord::AnswerDemand => Self::AnswerDemand,
            MoveRecord::RejectRemedy { reason } => Self::RejectRemedy { reason },
            MoveRecord::AskTerm { need } => Self::AskTerm { need },
            MoveRecord::Accept { remedy } => Self::Accept { remedy },
            MoveRecord::Threaten => Self::Threaten,
            MoveRecord::WalkOut => Self::WalkOut,
            MoveRecord::OutOfTurns => Self::OutOfTurns,
            MoveRecord::Closing => Self::Closing,
            MoveRecord::AfterAccept => Self::AfterAccept,
        }
    }
}

/// An [`AuditFailure`] as a voice mark records it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "check")]
enum AuditRecord {
    #[serde(rename = "empty")]
    Empty,
    #[serde(rename = "breaks_character")]
    BreaksCharacter { quote: String },
    #[serde(rename = "not_chinese")]
    NotChinese { foreign: usize, han: usize },
    #[serde(rename = "coaches")]
    Coaches { quote: String },
    #[serde(rename = "invents_fact")]
    InventsFact { number: String },
    #[serde(rename = "accepts_undecided")]
    AcceptsUndecided { quote: String },
    #[serde(rename = "ends_undecided")]
    EndsUndecided { quote: String },
    #[serde(rename = "too_long")]
    TooLong { chars: usize },
    #[serde(rename = "truncated")]
    Truncated,
}

impl From<&AuditFailure> for AuditRecord {
    fn from(a: &AuditFailure) -> Self {
        match a.clone() {
            AuditFailure::Empty => Self::Empty,
            AuditFailure::BreaksCharacter { quote } => Self::BreaksCharacter { quote },
            AuditFailure::NotChinese { foreign, han } => Self::NotChinese { foreign, han },
            AuditFailure::Coaches { quote } => Self::Coaches { quote },
            AuditFailure::InventsFact { number } => Self::InventsFact { number },
            AuditFailure::AcceptsUndecided { quote } => Self::AcceptsUndecided { quote },
            AuditFailure::EndsUndecided { quote } => Self::EndsUndecided { quote },
            AuditFailure::TooLong { chars } => Self::TooLong { chars },
            AuditFailure::Truncated => Self::Truncated,
        }
    }
}

/// An audit finding as the JSON value a voice mark keeps (marks keep the values
/// as read, so a finding a later version adds still reads back).
pub(crate) fn audit_value(a: &AuditFailure) -> serde_json::Value {
    serde_json::to_value(AuditRecord::from(a)).expect("an audit record serialises")
}

/// The name a turn line gives an event (`rushed`, `need_met` …), for notes that
/// speak the transcript's language.
pub fn event_name(e: &Event) -> String {
    match serde_json::to_value(EventRecord::from(e)) {
        Ok(serde_json::Value::Object(m)) => m["event"].as_str().unwrap_or_default().to_string(),
        _ => String::new(),
    }
}

/// A voice mark's `source`.
pub(crate) fn voice_source_name(s: &VoiceSource) -> &'static str {
    match s {
        VoiceSource::Llm => "llm",
        VoiceSource::Fallback { .. } => "fallback",
    }
}

/// The name a voice mark gives a line the offline voice spoke instead of the model.
pub const FALLBACK: &str = "fallback";

/// `#[serde(with)]` for a turn's events: written and read through [`EventRecord`].
pub(super) mod events {
    use super::*;

    pub fn serialize<S: Serializer>(v: &[Event], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(EventRecord::from))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Event>, D::Error> {
        let v = Vec::<EventRecord>::deserialize(d)?;
        Ok(v.into_iter().map(Event::from).collect())
    }
}

/// `#[serde(with)]` for a turn's moves: written and read through [`MoveRecord`].
pub(super) mod moves {
    use super::*;

    pub fn serialize<S: Serializer>(v: &[Move], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(MoveRecord::from))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Move>, D::Error> {
        let v = Vec::<MoveRecord>::deserialize(d)?;
        Ok(v.into_iter().map(Move::from).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn event(e: Event) -> Value {
        let v = serde_json::to_value(EventRecord::from(&e)).unwrap();
        let back: EventRecord = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(Event::from(back), e, "{v} reads back");
        v
    }

    fn moved(m: Move) -> Value {
        let v = serde_json::to_value(MoveRecord::from(&m)).unwrap();
        let back: MoveRecord = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(Move::from(back), m, "{v} reads back");
        v
    }

    fn s(x: &str) -> String {
        x.to_string()
    }

    /// Every event name a `format: 1` transcript holds: changing one breaks old files.
    #[test]
    fn event_names_are_pinned() {
        let need = || s("n");
        assert_eq!(
            event(Event::Rushed { need: need() }),
            json!({"event": "rushed", "need": "n"})
        );
        assert_eq!(
            event(Event::EmptyApology),
            json!({"event": "empty_apology"})
        );
        assert_eq!(event(Event::Template), json!({"event": "template"}));
        assert_eq!(event(Event::Scripted), json!({"event": "scripted"}));
        assert_eq!(event(Event::RemedyList), json!({"event": "remedy_list"}));
        assert_eq!(event(Event::Idle), json!({"event": "idle"}));
        assert_eq!(
            event(Event::NeedMet { need: need() }),
            json!({"event": "need_met", "need": "n"})
        );
        assert_eq!(
            event(Event::NeedExpired { need: need() }),
            json!({"event": "need_expired", "need": "n"})
        );
        assert_eq!(
            event(Event::FactRevealed { fact: s("f") }),
            json!({"event": "fact_revealed", "fact": "f"})
        );
        assert_eq!(
            event(Event::RemedyRejected { remedy: None }),
            json!({"event": "remedy_rejected", "remedy": null})
        );
        assert_eq!(
            event(Event::RemedyAccepted { remedy: s("r") }),
            json!({"event": "remedy_accepted", "remedy": "r"})
        );
        assert_eq!(
            event(Event::UrgentAction { remedy: s("r") }),
            json!({"event": "urgent_action", "remedy": "r"})
        );
    }

    /// Every move name a `format: 1` transcript holds.
    #[test]
    fn move_names_are_pinned() {
        let plain = [
            (Move::Opening, "opening"),
            (Move::Vent, "vent"),
            (Move::Calm, "calm"),
            (Move::Confirm, "confirm"),
            (Move::EmptyApology, "empty_apology"),
            (Move::Template, "template"),
            (Move::Scripted, "scripted"),
            (Move::UnknownFact, "unknown_fact"),
            (Move::AnswerDemand, "answer_demand"),
            (Move::Threaten, "threaten"),
            (Move::WalkOut, "walk_out"),
            (Move::OutOfTurns, "out_of_turns"),
            (Move::Closing, "closing"),
            (Move::AfterAccept, "after_accept"),
        ];
        for (m, name) in plain {
            assert_eq!(moved(m), json!({ "move": name }));
        }
        assert_eq!(
            moved(Move::ReactBad {
                kind: s("blame"),
                quote: s("q")
            }),
            json!({"move": "react_bad", "kind": "blame", "quote": "q"})
        );
        assert_eq!(
            moved(Move::Rushed { need: s("n") }),
            json!({"move": "rushed", "need": "n"})
        );
        assert_eq!(
            moved(Move::AskTerm { need: s("n") }),
            json!({"move": "ask_term", "need": "n"})
        );
        assert_eq!(
            moved(Move::AnswerFact {
                facts: vec![s("f")]
            }),
            json!({"move": "answer_fact", "facts": ["f"]})
        );
        assert_eq!(
            moved(Move::RejectRemedy { reason: s("r") }),
            json!({"move": "reject_remedy", "reason": "r"})
        );
        assert_eq!(
            moved(Move::Accept { remedy: s("r") }),
            json!({"move": "accept", "remedy": "r"})
        );
    }

    #[test]
    fn ending_names_are_pinned() {
        let names: Vec<&str> = Ending::ALL.iter().map(|e| e.as_str()).collect();
        assert_eq!(
            names,
            [
                "resolved",
                "walked_out",
                "out_of_turns",
                "unfinished",
                "chat"
            ]
        );
        for e in Ending::ALL {
            assert_eq!(Ending::of(e.as_str()), e);
        }
        assert_eq!(Ending::of("no-such-ending"), Ending::Unfinished);
    }

    #[test]
    fn audit_and_voice_names_are_pinned() {
        let q = || s("q");
        let all = [
            (AuditFailure::Empty, json!({"check": "empty"})),
            (
                AuditFailure::BreaksCharacter { quote: q() },
                json!({"check": "breaks_character", "quote": "q"}),
            ),
            (
                AuditFailure::NotChinese { foreign: 3, han: 1 },
                json!({"check": "not_chinese", "foreign": 3, "han": 1}),
            ),
            (
                AuditFailure::Coaches { quote: q() },
                json!({"check": "coaches", "quote": "q"}),
            ),
            (
                AuditFailure::InventsFact { number: s("9") },
                json!({"check": "invents_fact", "number": "9"}),
            ),
            (
                AuditFailure::AcceptsUndecided { quote: q() },
                json!({"check": "accepts_undecided", "quote": "q"}),
            ),
            (
                AuditFailure::EndsUndecided { quote: q() },
                json!({"check": "ends_undecided", "quote": "q"}),
            ),
            (
                AuditFailure::TooLong { chars: 200 },
                json!({"check": "too_long", "chars": 200}),
            ),
            (AuditFailure::Truncated, json!({"check": "truncated"})),
        ];
        for (a, want) in all {
            assert_eq!(audit_value(&a), want);
        }
        assert_eq!(voice_source_name(&VoiceSource::Llm), "llm");
        let paused = VoiceSource::Fallback {
            reason: crate::llm::FallbackReason::Paused,
        };
        assert_eq!(voice_source_name(&paused), FALLBACK);
    }
}

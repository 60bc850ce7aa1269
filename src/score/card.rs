//! The scorecard: what a scoring of one transcript produces, as every renderer and the
//! JSON format (`peilian.scorecard/1`) see it. Plain data; the scorer fills it in.

use serde::Serialize;

pub use super::ledger::Promise;

/// Version of the scorecard JSON format.
pub const SCHEMA: &str = "peilian.scorecard/1";

/// One piece of evidence: why points were given or taken.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    /// 1-based trainee turn, if the evidence is one line.
    pub turn: Option<u32>,
    /// The trainee's words the evidence is about.
    pub quote: String,
    /// Rule id, or the id of a cross-turn rule such as `rule.empty-apology`.
    pub rule: String,
    /// Points: positive given, negative taken.
    pub points: f64,
    pub why: String,
    /// A better phrasing, for mistakes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub better: Option<String>,
}

/// One scoring dimension.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dimension {
    pub id: &'static str,
    pub label: &'static str,
    pub score: f64,
    pub max: f64,
    pub evidence: Vec<Evidence>,
}

/// One turn of the dialogue as a report shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoredTurn {
    pub n: u32,
    pub trainee: String,
    pub customer: String,
    pub anger: i32,
    /// Signals in the trainee's line (byte offsets), with their polarity.
    pub spans: Vec<Span>,
}

/// A marked stretch of a trainee line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub kind: String,
    pub label: String,
    pub rule: String,
    /// `good` or `bad`.
    pub polarity: &'static str,
}

/// What was scored, so a scorecard can be reproduced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Provenance {
    pub transcript: String,
    pub persona: String,
    /// Hash of the persona file the session ran with.
    pub persona_hash: String,
    /// Hash of the persona file used for scoring, if it differs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub persona_hash_now: Option<String>,
    pub scenario: String,
    pub difficulty: String,
    pub rubric: String,
    pub rubric_version: u32,
    pub rubric_hash: String,
    /// The rubric the session was read with, if it differs: its lines were read again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rubric_hash_then: Option<String>,
    pub peilian: String,
}

impl Scorecard {
    /// Why the grade (and with it the total) was capped, in one sentence every format
    /// shows: 「说了禁语（1 处），等级从「良好」降为「合格」；各项合计 82.0 分，总分按封顶记 74.9 分」.
    pub fn cap_note(&self) -> Option<String> {
        let from = self.capped_from.as_deref()?;
        let why = match self.cap_reason.as_deref() {
            None | Some("说了禁语") => format!("说了禁语（{} 处）", self.forbidden_count),
            Some(why) => why.to_string(),
        };
        let total = self.uncapped_total.map_or(String::new(), |t| {
            format!("；各项合计 {t} 分，总分按封顶记 {} 分", self.total)
        });
        Some(format!(
            "{why}，等级从「{from}」降为「{}」{total}",
            self.grade
        ))
    }

    /// Record what the replay found: a mismatch makes the session invalid for
    /// assessment, first among the reasons.
    pub fn set_replay(&mut self, replay: crate::replay::Replay) {
        if let Some(why) = replay.invalid() {
            self.set_invalid(why);
        }
        self.replay = Some(replay);
    }

    /// Mark the session as not counting for assessment, first among the reasons (a
    /// broken seal: see [`crate::transcript::seal`]).
    pub fn set_invalid(&mut self, why: String) {
        self.invalid = Some(match self.invalid.take() {
            Some(other) => format!("{why}；{other}"),
            None => why,
        });
    }

    /// Why the session could not be checked by replay, if it could not.
    pub fn unverified(&self) -> Option<&str> {
        self.replay
            .as_ref()
            .and_then(crate::replay::Replay::unverified)
    }
}

/// The result of scoring one transcript.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scorecard {
    pub schema: &'static str,
    pub source: Provenance,
    pub trainee: String,
    /// `resolved`, `walked_out`, `out_of_turns` or `unfinished`.
    pub outcome: String,
    pub turns: u32,
    pub final_anger: i32,
    /// Anger before the first turn and after each turn, for the mood curve.
    pub anger_curve: Vec<i32>,
    pub total: f64,
    /// The total the dimensions earned, when a gate capped the grade and with it the
    /// total (see `capped_from`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uncapped_total: Option<f64>,
    pub grade: String,
    /// Set when a gate lowered the grade: the grade the total earned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capped_from: Option<String>,
    /// Why the grade was capped: 说了禁语, 客户没有接受方案, 不足 3 轮.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cap_reason: Option<String>,
    /// Set when the session is not a fair basis for assessment: the model voicing the
    /// customer broke character and could not be brought back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invalid: Option<String>,
    /// What replaying the transcript found (see `crate::replay`); absent for chat logs
    /// and cards scored without it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replay: Option<crate::replay::Replay>,
    pub forbidden_count: usize,
    pub dimensions: Vec<Dimension>,
    pub promises: Vec<Promise>,
    /// Practice or exam, lines taken back, restarts: what an assessor must know.
    pub conduct: super::conduct::Conduct,
    /// The dialogue with each trainee line's signals, for annotated reports.
    pub dialogue: Vec<ScoredTurn>,
    /// Generated-at time; the only field that differs between two scorings.
    pub generated_at: String,
}

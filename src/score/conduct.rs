//! How a session was taken, as an assessor must know it before trusting its score:
//! practice or exam, every line the trainee took back (and whether it held a 禁语), and
//! whether the session was abandoned for a new attempt or is itself one. Read from the
//! transcript alone; no I/O.

use serde::Serialize;

use crate::rubric::Analyser;
use crate::transcript::{Mode, Transcript};

/// When and how the session was taken.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conduct {
    /// When the session started: RFC 3339, UTC, as the transcript header says.
    pub started_at: String,
    /// `practice` or `exam`.
    pub mode: &'static str,
    /// The transcript predates the mode field and is read as practice.
    #[serde(skip_serializing_if = "is_false")]
    pub mode_unrecorded: bool,
    /// Every line taken back with `/undo`, in the order taken back.
    pub undos: Vec<UndoneLine>,
    /// How many of them held a 禁语.
    pub undone_forbidden: usize,
    /// The trainee ended this session with `/restart`: an abandoned attempt.
    #[serde(skip_serializing_if = "is_false")]
    pub restarted: bool,
    /// The transcript has no end line: the session was cut off (killed, or left with
    /// Ctrl-C to resume later), another kind of abandoned attempt.
    #[serde(skip_serializing_if = "is_false")]
    pub interrupted: bool,
    /// The transcript this session is another attempt at (it was started by
    /// `/restart` of it, or by `practice --retry` of it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt_of: Option<String>,
}

/// A line taken back.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UndoneLine {
    pub turn: u32,
    pub quote: String,
    /// The 禁语 rules it broke, as recorded.
    pub forbidden: Vec<String>,
    /// Those 禁语 as the deck words them (the rule's phrase; its id if the rubric in
    /// use does not know it), for people.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub phrases: Vec<String>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Conduct {
    pub fn of(t: &Transcript, analyser: &Analyser) -> Self {
        let phrase = |id: &String| {
            let rule = analyser.rubric().rules.iter().find(|r| r.id == *id);
            rule.map(|r| r.phrase.clone())
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| id.clone())
        };
        let undos: Vec<UndoneLine> = t
            .undos
            .iter()
            .map(|u| UndoneLine {
                turn: u.turn.n,
                quote: u.turn.trainee.clone(),
                forbidden: u.forbidden.clone(),
                phrases: u.forbidden.iter().map(phrase).collect(),
            })
            .collect();
        Self {
            started_at: t.header.started_at.clone(),
            mode: t.header.mode().as_str(),
            mode_unrecorded: t.header.mode.is_none(),
            undone_forbidden: undos.iter().filter(|u| !u.forbidden.is_empty()).count(),
            undos,
            restarted: t.end.as_ref().is_some_and(|e| e.is_restart()),
            interrupted: t.end.is_none(),
            attempt_of: t
                .header
                .restart_of
                .clone()
                .or_else(|| t.header.retry_of.as_ref().map(|r| r.transcript.clone())),
        }
    }

    /// The mode as a trainee or assessor reads it: 「考试」, or 「练习」 with a note when
    /// the transcript did not say.
    pub fn mode_label(&self) -> String {
        let mode = if self.mode == Mode::Exam.as_str() {
            Mode::Exam
        } else {
            Mode::Practice
        };
        if self.mode_unrecorded {
            format!("{}（记录里没有写模式，按练习算）", mode.label())
        } else {
            mode.label().to_string()
        }
    }

    /// 「收回 2 句，其中 1 句禁语」, or 「没有收回」.
    pub fn undo_summary(&self) -> String {
        match (self.undos.len(), self.undone_forbidden) {
            (0, _) => "没有收回".to_string(),
            (n, 0) => format!("收回 {n} 句"),
            (n, f) => format!("收回 {n} 句，其中 {f} 句禁语"),
        }
    }

    /// Whether the session was abandoned: restarted, or cut off without an end.
    pub fn abandoned(&self) -> bool {
        self.restarted || self.interrupted
    }

    /// One line for the card's head: mode, take-backs, and whether this is an abandoned
    /// attempt or another attempt.
    pub fn summary(&self) -> String {
        let mut parts = vec![format!("模式：{}", self.mode_label()), self.undo_summary()];
        if self.restarted {
            parts.push("学员用 /restart 重新开始，这场没有做完".to_string());
        }
        if self.attempt_of.is_some() {
            parts.push("这是又一次尝试".to_string());
        }
        parts.join(" · ")
    }
}

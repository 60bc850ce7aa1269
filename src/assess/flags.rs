//! What a row of the cohort says to a training manager: the Chinese labels of its
//! codes (one label per vocabulary, from the vocabulary's own type), and the anomalies
//! an assessor should look at before trusting the score.

use super::{Row, STUFFED_KINDS};
use crate::persona::Difficulty;
use crate::transcript::Ending;

/// Lines taken back from which a session is flagged.
pub const MANY_UNDOS: usize = 3;

/// Turns at or under which a passing score is flagged: a complaint is not handled in two
/// lines.
pub const FEW_TURNS: u32 = 2;

impl Row {
    /// The start in the local zone, `YYYY-MM-DD HH:MM`.
    pub fn date(&self) -> String {
        crate::history::local_time(&self.started_at)
    }

    /// The customer type's name (感情用事者), or its id when today's personas lack it.
    pub fn persona_label(&self) -> &str {
        if self.persona_name.is_empty() {
            &self.persona
        } else {
            &self.persona_name
        }
    }

    /// The scenario's title, or its id when today's personas lack it.
    pub fn scenario_label(&self) -> &str {
        if self.scenario_title.is_empty() {
            &self.scenario
        } else {
            &self.scenario_title
        }
    }

    pub fn difficulty_label(&self) -> &str {
        Difficulty::label_of(&self.difficulty)
    }

    /// How it ended: the ending's label, or how it was abandoned.
    pub fn ending_label(&self) -> &'static str {
        if self.interrupted {
            "中途中断"
        } else if self.restarted {
            "重新开始（没做完）"
        } else {
            Ending::of(&self.outcome).label()
        }
    }

    /// 「考试」「练习」, or 「练习（未记录）」 for a transcript without a mode.
    pub fn mode_label(&self) -> String {
        if self.mode_unrecorded {
            format!("{}（未记录）", self.mode.label())
        } else {
            self.mode.label().to_string()
        }
    }

    /// What an assessor should look at in this session, each said in a few words.
    pub fn flags(&self) -> Vec<String> {
        let mut out = Vec::new();
        match self.stuffed {
            Some((turn, 0)) => out.push(format!("第 {turn} 轮一句里堆了一串套话（背稿子）")),
            Some((turn, kinds)) => out.push(format!("第 {turn} 轮一句里堆了 {kinds} 种套话")),
            None => {}
        }
        if self.passed && self.turns <= FEW_TURNS && !self.abandoned {
            out.push(format!("只有 {} 轮就得了 {:.1} 分", self.turns, self.total));
        }
        if self.undos >= MANY_UNDOS {
            out.push(format!("收回了 {} 句", self.undos));
        }
        if self.undone_forbidden > 0 {
            out.push(format!("收回的话里有 {} 句禁语", self.undone_forbidden));
        }
        if self.retries >= 2 {
            out.push(format!("之前放弃了 {} 次", self.retries));
        }
        out
    }
}

/// Documented in one place for the report's legend.
pub fn legend() -> String {
    format!(
        "一句里有 {STUFFED_KINDS} 种以上的好话（堆砌套话）；只有 {FEW_TURNS} 轮以内却及格；\
         收回 {MANY_UNDOS} 句以上，或收回的话里有禁语；之前连续放弃 2 次以上"
    )
}

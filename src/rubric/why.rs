//! Why a line read as it did, signal by signal: the example sentence, the exact rule or
//! the model's words and nearest training line that decided each. For a trainer
//! (`peilian rubric try`, a failing self-check), never on the hot path.

use serde::Serialize;

use super::{Analyser, Polarity};
use crate::reading::Explanation;

/// One line, explained.
#[derive(Debug, Clone, Serialize)]
pub struct LineWhy {
    pub text: String,
    /// The clauses as typed.
    pub clauses: Vec<String>,
    pub signals: Vec<SignalWhy>,
}

/// One signal and what decided it.
#[derive(Debug, Clone, Serialize)]
pub struct SignalWhy {
    pub kind: String,
    pub label: String,
    pub good: bool,
    pub rule: String,
    /// Where the rule was written (`默认`, `FILE:LINE`).
    pub origin: String,
    pub quote: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub better: String,
    pub decided_by: Decided,
}

/// What decided a signal.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Decided {
    /// A trainer's example sentence (`[[examples]]`).
    Example { example: String, similarity: f32 },
    /// A rule's regular expression matched the words exactly.
    Pattern,
    /// The built-in reading model: its heaviest words and nearest training line.
    Model {
        words: Vec<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        nearest: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        similarity: Option<f32>,
    },
}

impl Decided {
    /// One line in Chinese, for the terminal.
    pub fn describe(&self) -> String {
        match self {
            Decided::Example {
                example,
                similarity,
            } => format!("例句「{example}」（相似度 {similarity:.2}）"),
            Decided::Pattern => "规则的正则（一字不差地匹配）".to_string(),
            Decided::Model {
                words,
                nearest,
                similarity,
            } => {
                let mut s = format!("读句模型，看重的词：{}", words.join("、"));
                if let (Some(n), Some(sim)) = (nearest, similarity) {
                    s.push_str(&format!("\u{FF1B}最像的训练例句「{n}」（{sim:.2}）"));
                }
                s
            }
        }
    }
}

impl Analyser {
    /// How `text` reads: its clauses and each signal with what decided it.
    pub fn explain_line(&self, text: &str) -> LineWhy {
        let (reading, signals) = self.read(text);
        let examples = self.example_hits(text, &reading);
        let exact = self.match_rules(text);
        let mut model: Option<Vec<Explanation>> = None;
        let clauses = reading
            .clauses
            .iter()
            .filter_map(|c| text.get(c.start..c.end))
            .map(str::to_string)
            .collect();
        let signals = signals
            .iter()
            .map(|s| {
                let kind = self.kind(s);
                let rule = self.rule(s);
                let overlaps = |a: usize, b: usize| a < s.end && s.start < b;
                let decided = if let Some(h) = examples
                    .iter()
                    .find(|h| h.rule == s.rule && overlaps(h.start, h.end))
                {
                    Decided::Example {
                        example: h.example.clone(),
                        similarity: h.similarity,
                    }
                } else if exact
                    .iter()
                    .any(|e| e.rule == s.rule && overlaps(e.start, e.end))
                {
                    Decided::Pattern
                } else {
                    let ex = model.get_or_insert_with(|| self.reader().explain(text, &reading));
                    let i = reading.acts.iter().position(|a| {
                        super::kinds::kind_of_act(a.act) == kind.id && overlaps(a.start, a.end)
                    });
                    match i.and_then(|i| ex.get(i)) {
                        Some(e) => Decided::Model {
                            words: e.words.clone(),
                            nearest: e.example.as_ref().map(|n| n.text.clone()),
                            similarity: e.example.as_ref().map(|n| n.similarity),
                        },
                        None => Decided::Model {
                            words: Vec::new(),
                            nearest: None,
                            similarity: None,
                        },
                    }
                };
                SignalWhy {
                    kind: kind.id.clone(),
                    label: kind.label.clone(),
                    good: kind.polarity == Polarity::Good,
                    rule: rule.id.clone(),
                    origin: if rule.origin.is_empty() {
                        "默认".into()
                    } else {
                        rule.origin.clone()
                    },
                    quote: text.get(s.start..s.end).unwrap_or_default().to_string(),
                    better: rule.better.clone(),
                    decided_by: decided,
                }
            })
            .collect();
        LineWhy {
            text: text.to_string(),
            clauses,
            signals,
        }
    }
}

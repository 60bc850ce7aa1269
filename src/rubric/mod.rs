//! The rubric: the house rules, as trainers write them in `rubrics/*.toml` — signal
//! patterns with their exceptions, the forbidden phrases (禁语) with a better phrasing
//! each, and the vocabulary of signal kinds.
//!
//! This module owns the file format, its validation and the [`Analyser`] compiled from
//! it. It performs no I/O beyond reading the file it is asked to load, and knows nothing
//! of personas or sessions: scoring, the customer engine and the REPL all call the one
//! analyser.

mod analyser;
mod kinds;
mod load;
mod scan;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use analyser::{Analyser, Signal};
pub use kinds::{ACTION_KINDS, BUILTIN_KINDS, KindInfo, Polarity, WORST_FIRST, kind_of_act};
pub use load::{DEFAULT_RUBRIC, default_rubric, load_rubric_file, load_rubric_text};

/// A rubric file.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rubric {
    /// Stable id recorded in transcripts and scorecards, e.g. `default`.
    pub id: String,
    /// Name shown to trainers, e.g. `默认服务规范`.
    pub name: String,
    /// Bump when rules change, so scorecards say which rules made them.
    pub version: u32,
    /// What the rubric is for.
    #[serde(default)]
    pub description: String,
    /// Named pattern pieces usable in any pattern as `{name}`, e.g.
    /// `num = '(?:\d+|[一二三四五六七八九十两半]+)'`. Names are lowercase ASCII
    /// letters and `_`; a `{2}`-style repetition is unaffected.
    #[serde(default)]
    pub defines: BTreeMap<String, String>,
    /// New signal kinds, or new labels for built-in ones.
    #[serde(default)]
    pub kinds: BTreeMap<String, KindDef>,
    /// The rules, in any order.
    pub rules: Vec<Rule>,
    /// How a transcript becomes a score: dimension weights, grade bands, the 禁语 cap.
    #[serde(default)]
    pub scoring: Scoring,
}

/// Scoring settings; every field has a default, so a rubric may leave them out.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scoring {
    /// Points of each dimension; they should add up to 100.
    #[serde(default)]
    pub weights: Weights,
    /// Grade bands, best first: a total at or above `min` earns `name`.
    #[serde(default = "default_grades")]
    pub grades: Vec<Grade>,
    /// The best grade a session with any 禁语 can get (a compliance gate); empty for none.
    #[serde(default = "default_cap")]
    pub forbidden_cap: String,
    /// Points deducted per cross-turn violation: 一味道歉, 急于下结论, 立刻摆道理, 言行不一.
    #[serde(default = "default_violation")]
    pub violation_points: f64,
}

impl Default for Scoring {
    fn default() -> Self {
        Self {
            weights: Weights::default(),
            grades: default_grades(),
            forbidden_cap: default_cap(),
            violation_points: default_violation(),
        }
    }
}

/// Points per scoring dimension.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Weights {
    /// 禁语与禁止法则
    pub compliance: f64,
    /// 共情
    pub empathy: f64,
    /// 道歉
    pub apology: f64,
    /// 处理流程
    pub process: f64,
    /// 服务用语
    pub courtesy: f64,
    /// 客户类型要点 (the persona's needs, drawn from the deck's 建议)
    pub persona: f64,
    /// 结果
    pub outcome: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Self {
            compliance: 25.0,
            empathy: 15.0,
            apology: 10.0,
            process: 20.0,
            courtesy: 10.0,
            persona: 10.0,
            outcome: 10.0,
        }
    }
}

/// One grade band.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Grade {
    pub name: String,
    pub min: f64,
}

fn default_grades() -> Vec<Grade> {
    [
        ("优秀", 90.0),
        ("良好", 75.0),
        ("合格", 60.0),
        ("不合格", 0.0),
    ]
    .into_iter()
    .map(|(name, min)| Grade {
        name: name.to_string(),
        min,
    })
    .collect()
}

fn default_cap() -> String {
    "合格".to_string()
}

fn default_violation() -> f64 {
    5.0
}

/// A signal kind declared by a rubric.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KindDef {
    /// Chinese label, e.g. `共情`.
    pub label: String,
    /// Whether a hit helps (`good`) or hurts (`bad`).
    pub polarity: Polarity,
}

/// One rule: patterns that detect one signal kind.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Unique id, e.g. `forbidden.company-policy`; named in scorecards.
    pub id: String,
    /// The signal kind a hit produces, e.g. `empathy` or `forbidden`.
    pub kind: String,
    /// Regular expressions (Rust `regex` syntax); a match of any is a hit.
    pub patterns: Vec<String>,
    /// Regular expressions that cancel a hit they overlap, e.g. `按照公司规定,您可以`
    /// cancels the 禁语 `公司的规定`.
    #[serde(default)]
    pub except: Vec<String>,
    /// Weight of a hit in scoring.
    #[serde(default = "default_weight")]
    pub weight: f64,
    /// The canonical phrase, for forbidden phrases the 禁语 as the deck words it.
    #[serde(default)]
    pub phrase: String,
    /// A better phrasing; required for rules of a bad kind.
    #[serde(default)]
    pub better: String,
    /// Where the rule comes from, e.g. `seed 004 处理投诉十句禁语`.
    #[serde(default)]
    pub source: String,
}

fn default_weight() -> f64 {
    1.0
}

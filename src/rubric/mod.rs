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
pub(crate) use load::points_problem;
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
    /// Points deducted per cross-turn violation: 一味道歉, 急于下结论, 背稿子, 念稿子,
    /// 言行不一, 方案一口气列一串.
    #[serde(default = "default_violation")]
    pub violation_points: f64,
    /// The best grade a session the customer never accepted can get: handling that
    /// did not settle the complaint is not excellent, whatever was said. Empty for
    /// none; unset, the second-best grade.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unresolved_cap: Option<String>,
    /// Fewer turns than this cannot pass: one well-phrased line is not handling a
    /// complaint. 0 for no minimum.
    #[serde(default = "default_min_turns")]
    pub min_turns: u32,
    /// The best grade a session with no concrete remedy at all can get: a complaint is
    /// handled by solving it, and calming words alone leave it where it was. Empty for
    /// none; unset, the lowest grade.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_offer_cap: Option<String>,
}

impl Scoring {
    /// The unresolved cap in force: as written, else the second-best grade (良好 by
    /// default), so a trainer's own grade names need no extra line.
    pub fn unresolved_cap(&self) -> &str {
        match &self.unresolved_cap {
            Some(c) => c,
            None => self.grades.get(1).map_or("", |g| g.name.as_str()),
        }
    }

    /// The no-remedy cap in force: as written, else the lowest grade (不合格).
    pub fn no_offer_cap(&self) -> &str {
        match &self.no_offer_cap {
            Some(c) => c,
            None if self.grades.len() > 1 => self.grades.last().map_or("", |g| g.name.as_str()),
            None => "",
        }
    }
}

impl Default for Scoring {
    fn default() -> Self {
        Self {
            weights: Weights::default(),
            grades: default_grades(),
            forbidden_cap: default_cap(),
            violation_points: default_violation(),
            unresolved_cap: None,
            min_turns: default_min_turns(),
            no_offer_cap: None,
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
            compliance: 20.0,
            empathy: 10.0,
            apology: 5.0,
            process: 20.0,
            courtesy: 5.0,
            persona: 15.0,
            outcome: 25.0,
        }
    }
}

impl Weights {
    fn all(&self) -> [f64; 7] {
        [
            self.compliance,
            self.empathy,
            self.apology,
            self.process,
            self.courtesy,
            self.persona,
            self.outcome,
        ]
    }

    /// These weights scaled so they add up to what `base` adds up to: a customer
    /// type's shares, on the rubric's scale, so a card's dimensions still sum to its
    /// total and a CSV's columns to the score.
    pub fn scaled_to(&self, base: &Weights) -> Weights {
        let (have, want): (f64, f64) = (self.all().iter().sum(), base.all().iter().sum());
        if have <= 0.0 || want <= 0.0 {
            return self.clone();
        }
        // To a tenth of a point, as a card and a CSV header show them; what rounding
        // leaves over goes to the outcome, so the sum is exact.
        // (Tiny weights, where rounding would push the outcome below zero, are only
        // scaled: a negative maximum would make no sense and break the clamp.)
        let k = want / have;
        let scaled = |round: bool| {
            let r = |v: f64| {
                if round {
                    (v * k * 10.0).round() / 10.0
                } else {
                    v * k
                }
            };
            Weights {
                compliance: r(self.compliance),
                empathy: r(self.empathy),
                apology: r(self.apology),
                process: r(self.process),
                courtesy: r(self.courtesy),
                persona: r(self.persona),
                outcome: r(self.outcome),
            }
        };
        let mut w = scaled(true);
        let outcome = ((w.outcome + want - w.all().iter().sum::<f64>()) * 10.0).round() / 10.0;
        if outcome < 0.0 || !outcome.is_finite() {
            return scaled(false);
        }
        w.outcome = outcome;
        w
    }
}

/// A customer type's own weights for some dimensions (a persona's `[weights]`): what
/// decides a complaint differs by type — empathy with 感情用事, facts, policy and
/// timelines with 有备而来, speed and escalation with 有社会背景. Unset dimensions keep
/// the rubric's weight; all are then scaled to the rubric's total (100).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WeightOverrides {
    /// 禁语与禁止法则
    pub compliance: Option<f64>,
    /// 共情
    pub empathy: Option<f64>,
    /// 道歉
    pub apology: Option<f64>,
    /// 处理流程
    pub process: Option<f64>,
    /// 服务用语
    pub courtesy: Option<f64>,
    /// 客户类型要点
    pub persona: Option<f64>,
    /// 结果
    pub outcome: Option<f64>,
}

impl WeightOverrides {
    /// Each override with its field name, for validation.
    pub fn fields(&self) -> [(&'static str, Option<f64>); 7] {
        [
            ("compliance", self.compliance),
            ("empathy", self.empathy),
            ("apology", self.apology),
            ("process", self.process),
            ("courtesy", self.courtesy),
            ("persona", self.persona),
            ("outcome", self.outcome),
        ]
    }

    /// The rubric's weights with these overrides applied.
    pub fn over(&self, base: &Weights) -> Weights {
        Weights {
            compliance: self.compliance.unwrap_or(base.compliance),
            empathy: self.empathy.unwrap_or(base.empathy),
            apology: self.apology.unwrap_or(base.apology),
            process: self.process.unwrap_or(base.process),
            courtesy: self.courtesy.unwrap_or(base.courtesy),
            persona: self.persona.unwrap_or(base.persona),
            outcome: self.outcome.unwrap_or(base.outcome),
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

fn default_min_turns() -> u32 {
    3
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

#[cfg(test)]
mod weight_tests {
    use super::*;

    fn w(v: [f64; 7]) -> Weights {
        Weights {
            compliance: v[0],
            empathy: v[1],
            apology: v[2],
            process: v[3],
            courtesy: v[4],
            persona: v[5],
            outcome: v[6],
        }
    }

    #[test]
    fn scaled_weights_keep_the_rubrics_total_and_never_go_negative() {
        let base = Weights::default();
        let over = WeightOverrides {
            empathy: Some(15.0),
            ..WeightOverrides::default()
        }
        .over(&base)
        .scaled_to(&base);
        assert!((over.all().iter().sum::<f64>() - 100.0).abs() < 1e-9);
        assert_eq!(over.empathy, 14.3);
        // Rounding each of seven tiny weights up would overshoot a tiny total.
        let tiny = w([0.05; 7]);
        let s = w([0.06, 0.06, 0.06, 0.06, 0.06, 0.06, 0.0]).scaled_to(&tiny);
        assert!(s.all().iter().all(|x| *x >= 0.0), "{s:?}");
        assert!((s.all().iter().sum::<f64>() - 0.35).abs() < 1e-9);
    }
}

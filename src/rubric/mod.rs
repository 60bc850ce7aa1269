//! The rubric: the house rules, as trainers write them in `rubrics/*.toml` — signal
//! patterns with their exceptions, the forbidden phrases (禁语) with a better phrasing
//! each, and the vocabulary of signal kinds.
//!
//! This module owns the file format, its validation and the [`Analyser`] compiled from
//! it. It performs no I/O beyond reading the file it is asked to load, and knows nothing
//! of personas or sessions: scoring, the customer engine and the REPL all call the one
//! analyser.

mod analyser;
pub mod examples;
mod kinds;
mod load;
mod scan;
mod why;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use analyser::{Analyser, Signal};
pub use why::{Decided, LineWhy, SignalWhy};

/// The commented starter `rubric new` writes; `{id}` and `{file}` are replaced.
pub const STARTER: &str = include_str!("starter.toml");
pub use kinds::{ACTION_KINDS, BUILTIN_KINDS, KindInfo, Polarity, WORST_FIRST, kind_of_act};
pub(crate) use load::points_problem;
pub use load::{
    DEFAULT_RUBRIC, MAX_EXTENDS_DEPTH, default_rubric, load_rubric_file, load_rubric_text,
};
pub(crate) use scan::required_of;

/// A rubric file.
///
/// Doc comments here are the descriptions of `rubric.schema.json`, which an editor
/// shows a trainer while typing: Chinese first, English after.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(description = "规则文件（评分规范）：学员说的话算什么、扣什么分。A rubric file.")]
pub struct Rubric {
    /// 继承哪份规则：写 `"default"` 用内置默认规范，或写另一份规则文件的路径（相对本文件）。
    /// 继承后只需写要加、要改、要停用的部分。Rubric this one extends: `default` or a path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extends: Option<String>,
    /// 编号，记在对话记录和评分卡里，如 `default`、`my-company`。Stable id.
    pub id: String,
    /// 给培训师看的名称，如「默认服务规范」。Name shown to trainers.
    pub name: String,
    /// 版本号：规则改了就加一，评分卡会写明用的是哪一版。Bump when rules change.
    pub version: u32,
    /// 这份规则是做什么用的。What the rubric is for.
    #[serde(default)]
    pub description: String,
    /// （高级）正则片段，可在任何模式里写 `{名称}` 引用；名称只能用小写字母和 `_`。
    /// Named pattern pieces usable as `{name}` (advanced).
    #[serde(default)]
    pub defines: BTreeMap<String, String>,
    /// 新的信号类型，或给内置类型换个名称。New signal kinds, or new labels for built-in ones.
    #[serde(default)]
    pub kinds: BTreeMap<String, KindDef>,
    /// 按例句教：在某个行为下写几句例句，学员说出意思相近的话就算这个行为。
    /// 加一句禁语或一个好做法，用这个就够了，不用写正则。Example sentences per act.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<ExampleSet>,
    /// 修改继承来的规则：按编号改分值、更好的说法或原话。Change an inherited rule by id.
    #[serde(default, rename = "override", skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<Override>,
    /// 停用继承来的规则，写规则编号，如 `["forbidden.company-policy"]`。Rule ids to turn off.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disable: Vec<String>,
    /// （高级）正则规则：措辞必须一字不差时才用。继承了别的规则时可以不写。
    /// Exact-match rules (advanced); may be left out when extending.
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// 怎么算分：各维度满分、等级分数线、禁语封顶。不写就沿用继承来的（写了就整段替换）。
    /// Scoring; inherited unless written (then replaced whole).
    #[serde(default)]
    pub scoring: Scoring,
    /// Where each file of the chain came from, base first (`默认` or a path); set by
    /// the loader, for `rubric show`.
    #[serde(skip)]
    #[schemars(skip)]
    pub chain: Vec<String>,
}

/// Example sentences that teach one act (a 禁语, a good move): the trainer's way to add
/// a rule without a regular expression.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExampleSet {
    /// 这些例句是哪种行为：`forbidden`（禁语）、`blame`（责难客户）、`empathy`（共情）、
    /// `remedy`（解决方案）……或 `[kinds]` 里自己声明的类型。The act (signal kind) taught.
    pub act: String,
    /// 规则编号（可不写，默认 `house.行为.序号`），评分卡和 `[[override]]` 用它。Rule id.
    #[serde(default)]
    pub id: Option<String>,
    /// 例句，一句一个字符串；学员说出意思相近的话就算。Example sentences.
    pub text: Vec<String>,
    /// 更好的说法：坏行为（禁语等）必须写，评分卡会教学员这么说。A better phrasing.
    #[serde(default)]
    pub better: String,
    /// 出处，如「本公司服务规范第 3 条」。Where the rule comes from.
    #[serde(default)]
    pub source: String,
    /// 分值（默认：同类规则最常用的分值，如禁语 10、共情 2；没有同类规则时 1）。
    /// Weight of a hit; by default what rules of the same kind usually weigh.
    #[serde(default)]
    pub weight: Option<f64>,
}

/// A change to an inherited rule, by id.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Override {
    /// 要改的规则编号（`peilian rubric show` 能查到）。Id of the rule to change.
    pub id: String,
    /// 新的分值。New weight.
    #[serde(default)]
    pub weight: Option<f64>,
    /// 新的「更好的说法」。New better phrasing.
    #[serde(default)]
    pub better: Option<String>,
    /// 新的原话（禁语在课件里的说法）。New canonical phrase.
    #[serde(default)]
    pub phrase: Option<String>,
    /// 新的出处。New source.
    #[serde(default)]
    pub source: Option<String>,
}

/// Scoring settings; every field has a default, so a rubric may leave them out.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(description = "怎么算分；每项都有默认值，可以不写。Scoring settings.")]
pub struct Scoring {
    /// 各维度满分，加起来应是 100。Points of each dimension; they should add up to 100.
    #[serde(default)]
    pub weights: Weights,
    /// 等级，从高到低：总分达到 `min` 就得 `name`。Grade bands, best first.
    #[serde(default = "default_grades")]
    pub grades: Vec<Grade>,
    /// 说了禁语最多只能得哪个等级（写 "" 不封顶）。The best grade a session with any 禁语 can get.
    #[serde(default = "default_cap")]
    pub forbidden_cap: String,
    /// 每次跨轮违规扣几分：一味道歉、急于下结论、背稿子、念稿子、言行不一、方案一口气列一串。
    /// Points deducted per cross-turn violation.
    #[serde(default = "default_violation")]
    pub violation_points: f64,
    /// 客户始终没接受方案时最多得哪个等级（不写就是第二等，写 "" 不封顶）：没解决的投诉，话说得再好也不算优秀。
    /// The best grade of an unresolved session; unset, the second-best grade.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unresolved_cap: Option<String>,
    /// 少于几轮不能及格（0 不限）：一句漂亮话不算处理了投诉。Fewer turns than this cannot pass.
    #[serde(default = "default_min_turns")]
    pub min_turns: u32,
    /// 一个具体方案都没给时最多得哪个等级（不写就是最低等，写 "" 不封顶）：光安抚不解决问题。
    /// The best grade of a session with no remedy; unset, the lowest grade.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_offer_cap: Option<String>,
    /// 客户没接受方案时，处理流程至少拿到满分的这个比例，「禁语与禁止法则」才全给；不到的按比例给
    /// （0 不要求）：什么都没处理的对话，没说错话也不值分。
    /// In a session the customer did not accept: the share of 处理流程 from which
    /// compliance counts in full; below it, compliance is scaled by the share reached (0:
    /// always in full).
    #[serde(default = "default_compliance_needs_process")]
    pub compliance_needs_process: f64,
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
            compliance_needs_process: default_compliance_needs_process(),
        }
    }
}

/// Points per scoring dimension.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
#[schemars(description = "各维度满分，加起来应是 100。Points per scoring dimension.")]
pub struct Weights {
    /// 禁语与禁止法则。Compliance.
    pub compliance: f64,
    /// 共情。Empathy.
    pub empathy: f64,
    /// 道歉。Apology.
    pub apology: f64,
    /// 处理流程（受理→调查→方案→时限→跟进→确认）。Process.
    pub process: f64,
    /// 服务用语。Courtesy.
    pub courtesy: f64,
    /// 客户类型要点（这类客户的需求是否满足）。The persona's needs.
    pub persona: f64,
    /// 结果（客户是否接受方案）。Outcome.
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
#[schemars(description = "一个等级。One grade band.")]
pub struct Grade {
    /// 等级名称，如「优秀」。Grade name.
    pub name: String,
    /// 分数线：总分达到它就得这个等级。Lowest total for this grade.
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

/// Half the procedure (three of its six steps): saying nothing wrong counts in full once
/// the trainee has taken up the complaint, not in a conversation of brush-offs.
fn default_compliance_needs_process() -> f64 {
    0.5
}

/// A signal kind declared by a rubric.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(description = "自己声明的信号类型。A signal kind declared by a rubric.")]
pub struct KindDef {
    /// 中文名称，如「共情」。Chinese label.
    pub label: String,
    /// 好坏：`good` 加分的好做法，`bad` 扣分的坏做法。Whether a hit helps or hurts.
    pub polarity: Polarity,
}

/// One rule: patterns that detect one signal kind.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// 规则编号，不能重复，如 `forbidden.company-policy`；评分卡里会写出来。Unique id.
    pub id: String,
    /// 命中时算哪种信号，如 `empathy`、`forbidden`。The signal kind a hit produces.
    pub kind: String,
    /// 正则表达式（Rust `regex` 语法），任何一个匹配就算命中。Regular expressions.
    pub patterns: Vec<String>,
    /// 例外：与命中重叠时取消这次命中，如「按照公司规定,您可以」不算禁语「公司的规定」。
    /// Regular expressions that cancel a hit they overlap.
    #[serde(default)]
    pub except: Vec<String>,
    /// 命中一次的分值（默认 1）。Weight of a hit in scoring.
    #[serde(default = "default_weight")]
    pub weight: f64,
    /// 原话：禁语按课件的说法写。The canonical phrase.
    #[serde(default)]
    pub phrase: String,
    /// 更好的说法：坏行为的规则必须写。A better phrasing; required for bad kinds.
    #[serde(default)]
    pub better: String,
    /// 出处，如「seed 004 处理投诉十句禁语」。Where the rule comes from.
    #[serde(default)]
    pub source: String,
    /// Example sentences of a rule taught by `[[examples]]` (then `patterns` is empty):
    /// matched by similarity, not by regular expression.
    #[serde(skip)]
    #[schemars(skip)]
    pub examples: Vec<String>,
    /// Where the rule was written: `默认` or `FILE:LINE`, and what changed it since.
    #[serde(skip)]
    #[schemars(skip)]
    pub origin: String,
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

//! The built-in vocabulary of signal kinds. Trainers may add kinds in a rubric's
//! `[kinds]` table; these are the ones the engine and scorer know by name.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Whether a signal helps or hurts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Polarity {
    Good,
    Bad,
}

/// A signal kind as the analyser knows it: its id, label and polarity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindInfo {
    pub id: String,
    pub label: String,
    pub polarity: Polarity,
}

/// The bad kinds, worst first: when a line has several, the customer reacts to the
/// first of them and the coach names it. One order, so the two never disagree.
pub const WORST_FIRST: [&str; 5] = ["forbidden", "blame", "deflect", "argue", "impolite"];

/// Built-in kinds: id, Chinese label, polarity.
pub const BUILTIN_KINDS: [(&str, &str, Polarity); 22] = [
    ("greeting", "问候", Polarity::Good),
    ("thanks", "致谢", Polarity::Good),
    ("apology", "道歉", Polarity::Good),
    ("empathy", "共情", Polarity::Good),
    ("affirm", "肯定", Polarity::Good),
    ("consult", "请教", Polarity::Good),
    ("assure", "安抚承诺", Polarity::Good),
    ("restate", "复述确认", Polarity::Good),
    ("ask_info", "询问事实", Polarity::Good),
    ("explain", "解释原因/政策", Polarity::Good),
    ("remedy", "解决方案", Polarity::Good),
    ("refuse", "婉拒", Polarity::Good),
    ("time_commitment", "时限承诺", Polarity::Good),
    ("follow_up", "跟进回访", Polarity::Good),
    ("escalate", "上报升级", Polarity::Good),
    ("closing", "结束语", Polarity::Good),
    ("forbidden", "禁语", Polarity::Bad),
    ("blame", "责难客户", Polarity::Bad),
    ("argue", "立刻摆道理", Polarity::Bad),
    ("deflect", "推诿", Polarity::Bad),
    ("dismiss", "轻描淡写", Polarity::Bad),
    ("impolite", "不礼貌", Polarity::Bad),
];

/// Kinds that act on a complaint (ask, restate, explain, offer, commit, follow up,
/// escalate). An apology followed by none of them is 一味道歉, for the customer engine
/// and the scorer alike.
pub const ACTION_KINDS: [&str; 7] = [
    "remedy",
    "ask_info",
    "restate",
    "explain",
    "time_commitment",
    "follow_up",
    "escalate",
];

/// The signal kind an act of the reading is recorded as. Transcripts, personas and
/// scorecards name kinds with these ids, older than the act vocabulary.
pub fn kind_of_act(act: crate::reading::Act) -> &'static str {
    use crate::reading::Act;
    match act {
        Act::Ask => "ask_info",
        Act::Offer => "remedy",
        Act::Commit => "time_commitment",
        Act::Close => "closing",
        other => other.id(),
    }
}

/// The polarity of a kind, built-in or declared in the rubric's `[kinds]`. Here, not
/// in `load` or `analyser`, because both ask it and neither should import the other
/// for it.
pub(crate) fn polarity_of(r: &super::Rubric, kind: &str) -> Option<Polarity> {
    r.kinds
        .get(kind)
        .map(|k| k.polarity)
        .or_else(|| BUILTIN_KINDS.iter().find(|k| k.0 == kind).map(|k| k.2))
}

//! The act vocabulary: what a line can do, with one Chinese label and one polarity per
//! act. `rubrics/acts.md` defines each act for the people who label examples.

/// Whether an act helps, is neutral, or hurts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Polarity {
    Good,
    Neutral,
    Bad,
}

impl Polarity {
    pub fn label(self) -> &'static str {
        match self {
            Polarity::Good => "good",
            Polarity::Neutral => "neutral",
            Polarity::Bad => "bad",
        }
    }
}

macro_rules! acts {
    ($($v:ident = $id:literal, $label:literal, $pol:ident;)*) => {
        /// A built-in dialogue act.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Act { $($v,)* }

        impl Act {
            /// Every built-in act, in vocabulary order.
            pub const ALL: &'static [Act] = &[$(Act::$v,)*];

            /// The id used in files, JSON and transcripts.
            pub fn id(self) -> &'static str {
                match self { $(Act::$v => $id,)* }
            }

            /// The Chinese label trainees and trainers read.
            pub fn label(self) -> &'static str {
                match self { $(Act::$v => $label,)* }
            }

            pub fn polarity(self) -> Polarity {
                match self { $(Act::$v => Polarity::$pol,)* }
            }

            pub fn from_id(id: &str) -> Option<Act> {
                match id { $($id => Some(Act::$v),)* _ => None }
            }
        }
    };
}

acts! {
    Greeting = "greeting", "问候", Good;
    Thanks = "thanks", "致谢", Good;
    Apology = "apology", "道歉", Good;
    Empathy = "empathy", "共情", Good;
    Affirm = "affirm", "肯定认可", Good;
    Consult = "consult", "请教", Good;
    Assure = "assure", "安抚承诺", Good;
    Restate = "restate", "复述确认", Good;
    Ask = "ask", "询问", Good;
    Explain = "explain", "解释", Good;
    Offer = "offer", "方案", Good;
    Refuse = "refuse", "婉拒", Neutral;
    Commit = "commit", "时限承诺", Good;
    FollowUp = "follow_up", "跟进回访", Good;
    Escalate = "escalate", "上报升级", Good;
    Close = "close", "结束语", Good;
    Forbidden = "forbidden", "禁语", Bad;
    Blame = "blame", "责难客户", Bad;
    Argue = "argue", "立刻摆道理", Bad;
    Deflect = "deflect", "推诿", Bad;
    Dismiss = "dismiss", "轻描淡写", Bad;
    Impolite = "impolite", "不礼貌", Bad;
}

/// The deck's 禁语 (seed 004 处理投诉十句禁语, and 这是常有的事 from 投诉处理禁止法则):
/// id and the deck's wording. The rubric's rule `forbidden.<id>` carries the better
/// phrasing.
pub const FORBIDDEN: [(&str, &str); 12] = [
    ("child-could", "这种问题连小孩子都会"),
    ("price-quality", "你要知道，一分钱，一分货"),
    ("impossible", "绝对不可能发生这种事"),
    ("not-our-business", "你要去问别人，这不是我们的事"),
    ("dont-know", "我不知道，不清楚"),
    ("company-policy", "公司的规定就是这样的"),
    ("cant-read", "你看不懂中文（英文）吗"),
    ("later", "改天再和你联络（通知你）"),
    ("seen-it-all", "这种问题我们见得多了"),
    ("never-said", "我绝对没有说过那种话"),
    ("cant-do", "我不会"),
    ("common-thing", "这是常有的事"),
];

/// Every label an example line may carry: the acts, and `forbidden:ID`.
pub fn is_known_label(label: &str) -> bool {
    Act::from_id(label).is_some()
        || label
            .strip_prefix("forbidden:")
            .is_some_and(|id| FORBIDDEN.iter().any(|(f, _)| *f == id))
}

/// The model's outputs: the acts, then one per 禁语.
pub fn outputs() -> Vec<String> {
    Act::ALL
        .iter()
        .map(|a| a.id().to_string())
        .chain(FORBIDDEN.iter().map(|(id, _)| format!("forbidden:{id}")))
        .collect()
}

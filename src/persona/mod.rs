//! Personas: the difficult-customer types a trainee practises against, as trainers write
//! them in `personas/*.toml`.
//!
//! This module owns the file format (the structs below are the format: their doc
//! comments become the JSON Schema trainers' editors read), loading with exact
//! diagnostics, validation against the rubric's signal kinds, and the catalogue of
//! built-in and trainer-supplied personas. It does not run a customer: that is `engine`.

mod catalog;
mod inherit;
mod validate;

use std::collections::BTreeMap;

use crate::rubric::WeightOverrides;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use catalog::{
    Catalog, Entry, PersonaSource, Unresolved, duplicate_ids, load_persona_file, load_persona_text,
    toml_files,
};
pub use validate::{validate, validate_with};

/// 一种难于应付的投诉客户类型（客户画像）。
/// One difficult-customer type (难于应付的投诉客户).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Persona {
    /// 从哪个客户改起：写内置客户的编号（如 `"emotional"`）或另一个画像文件的路径（相对本文件）；
    /// 之后只写不同的部分。表（如 `[mood]`、`[lines]`）逐项合并，写了的值或列表整个替换；自检不继承。
    /// The persona this one starts from: a built-in id or a path; tables merge key by
    /// key, values and lists written here replace; self-checks are not inherited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extends: Option<String>,
    /// 编号：命令行和对话记录里用，小写字母、数字和 -。
    /// Stable id used on the command line and in transcripts: lowercase ASCII letters,
    /// digits and `-`, e.g. `emotional`.
    pub id: String,
    /// 学员看到的中文名称，如「感情用事者」。
    /// Chinese name shown to trainees, e.g. `感情用事者`.
    pub name: String,
    /// 其他能选中这类客户的叫法。
    /// Other names that select this persona, e.g. the bare type name `感情用事`.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// 一句话说明，显示在菜单和 persona list 里。
    /// One line for menus and `persona list`.
    pub summary: String,
    /// 特征：这类客户通常怎么表现（来自课件）。
    /// 特征: how this type of customer behaves (from the training deck).
    pub traits: Vec<String>,
    /// 建议：应对这类客户要做什么；/hint 会显示。
    /// 建议: how to handle this type (from the training deck); shown by `/hint`.
    pub advice: Vec<String>,
    /// 说话方式：语速、用词、口头禅；给大模型客户参考。
    /// How this customer talks (tempo, register, pet phrases); guides the LLM customer.
    #[serde(default)]
    pub voice: String,
    /// 追加到大模型客户系统提示词里的说明。
    /// Extra instructions appended to the LLM customer's system prompt.
    #[serde(default)]
    pub prompt_notes: String,
    /// 开场情绪和上限。
    /// Starting mood and limits.
    pub mood: Mood,
    /// 各难度怎么调整情绪模型。
    /// How each difficulty level scales the mood model.
    pub difficulty: Difficulties,
    /// 每种行为或事件让愤怒和信任变多少。
    /// How each signal kind (or engine event) moves anger and trust. Keys are signal
    /// kinds of the rubric (`empathy`, `forbidden`, …) or events: `rushed` (a remedy
    /// before the needs are met), `empty_apology` (一味道歉), `template` (the same
    /// sentence pasted again, 念稿子), `idle` (a turn with no helpful signal), `late`
    /// (a need's deadline passed unmet),
    /// `remedy_rejected`, `remedy_accepted`.
    pub reactions: BTreeMap<String, Reaction>,
    /// 接受方案前必须依次满足的需求。
    /// Ordered conditions that must all be met before any remedy is accepted.
    #[serde(default)]
    pub needs: Vec<Need>,
    /// 这类客户特有的行为开关。
    /// Persona-specific behaviour switches.
    #[serde(default)]
    pub behaviour: Behaviour,
    /// 离线客户说话用的台词池。
    /// Line pools the offline customer speaks from.
    pub lines: Lines,
    /// 这类客户投诉的事件；第一个是默认场景。
    /// The incidents this customer complains about; the first is the default.
    pub scenarios: Vec<Scenario>,
    /// 自检：学员台词和它应得的结果。
    /// Self-checks: trainee scripts with the outcome they must lead to.
    #[serde(default)]
    pub checks: Vec<Check>,
    /// 这类客户自己的评分权重（没写的维度沿用规则文件）。
    /// This type's own scoring weights for some dimensions (the rest are the rubric's):
    /// the deck's advice for the type decides what matters most.
    #[serde(default, skip_serializing_if = "is_default")]
    pub weights: WeightOverrides,
}

fn is_default(w: &WeightOverrides) -> bool {
    *w == WeightOverrides::default()
}

/// 开场情绪和上限（normal 难度）。
/// Starting mood and limits at difficulty `normal`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Mood {
    /// 开场愤怒值，0–100。
    /// Starting anger, 0–100.
    pub anger: i32,
    /// 开场信任度，0–100。
    /// Starting trust in the agent, 0–100.
    pub trust: i32,
    /// 愤怒到这个值客户就走人（挂电话、升级投诉），1–100。
    /// Anger at which the customer walks out (hangs up, escalates, exposes), 1–100.
    #[serde(default = "default_walk_out")]
    pub walk_out_at: i32,
    /// 愤怒降到这个值及以下才可能接受方案，0–100。
    /// A remedy is accepted only when anger is at or below this, 0–100.
    pub accept_below: i32,
    /// 最多几轮对话。
    /// Trainee turns before the customer runs out of patience.
    pub patience: u32,
    /// 同一种话反复说，效果每次乘以这个数，0.0–1.0。
    /// Diminishing returns: the n-th repeat of a signal kind counts `repeat_decay^n`
    /// of its first effect, 0.0–1.0.
    #[serde(default = "default_decay")]
    pub repeat_decay: f64,
}

fn default_walk_out() -> i32 {
    100
}

fn default_decay() -> f64 {
    0.6
}

/// 三个难度，都要写。
/// The three difficulty levels; all must be present.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Difficulties {
    pub easy: Level,
    pub normal: Level,
    pub hard: Level,
}

/// A difficulty level: its machine name (command lines, persona files, transcripts)
/// and its Chinese label live here and nowhere else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Difficulty {
    Easy,
    Normal,
    Hard,
}

impl Difficulty {
    /// In menu order.
    pub const ALL: [Difficulty; 3] = [Difficulty::Easy, Difficulty::Normal, Difficulty::Hard];

    pub const fn as_str(self) -> &'static str {
        match self {
            Difficulty::Easy => "easy",
            Difficulty::Normal => "normal",
            Difficulty::Hard => "hard",
        }
    }

    /// Chinese label for trainees.
    pub fn label(self) -> &'static str {
        match self {
            Difficulty::Easy => "简单",
            Difficulty::Normal => "普通",
            Difficulty::Hard => "困难",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == name)
    }

    /// The label of a difficulty named in a file, or the name itself when it is none.
    pub fn label_of(name: &str) -> &str {
        Self::parse(name).map_or(name, |d| d.label())
    }
}

/// The difficulty levels by name, in menu order.
pub const LEVELS: [&str; 3] = [
    Difficulty::Easy.as_str(),
    Difficulty::Normal.as_str(),
    Difficulty::Hard.as_str(),
];

impl Difficulties {
    pub fn get(&self, level: &str) -> Option<&Level> {
        Difficulty::parse(level).map(|d| self.level(d))
    }

    pub fn level(&self, d: Difficulty) -> &Level {
        match d {
            Difficulty::Easy => &self.easy,
            Difficulty::Normal => &self.normal,
            Difficulty::Hard => &self.hard,
        }
    }
}

/// 一个难度怎么调整情绪模型。
/// How one difficulty level changes the persona's mood model.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Level {
    /// 开场愤怒加减，-50–50。
    /// Added to the starting anger, -50–50.
    #[serde(default)]
    pub anger: i32,
    /// 安抚效果倍数，0.1–3.0。
    /// Multiplies anger decreases (good handling calms more when > 1), 0.1–3.0.
    #[serde(default = "one")]
    pub calming: f64,
    /// 激怒效果倍数，0.1–3.0。
    /// Multiplies anger increases (bad handling hurts more when > 1), 0.1–3.0.
    #[serde(default = "one")]
    pub provoking: f64,
    /// 耐心轮数加减，-20–20。
    /// Added to the persona's patience (turns), -20–20.
    #[serde(default)]
    pub patience: i32,
}

fn one() -> f64 {
    1.0
}

/// 一种行为或事件第一次出现时情绪怎么变。
/// How one signal kind or event moves the mood, at its first occurrence.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reaction {
    /// 愤怒变化，-100–100（负数是平息）。
    /// Change of anger, -100–100 (negative calms).
    #[serde(default)]
    pub anger: i32,
    /// 信任变化，-100–100。
    /// Change of trust, -100–100.
    #[serde(default)]
    pub trust: i32,
}

/// 客户接受方案前要满足的一个需求。
/// One condition the customer needs met before accepting a remedy.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Need {
    /// 短编号，如 heard。
    /// Short id, e.g. `heard`.
    pub id: String,
    /// 客户需要什么（中文）；拒绝方案和提示时用。
    /// What the customer needs, in Chinese; used when rejecting a remedy and in hints.
    pub label: String,
    /// 看到其中任何一种行为就算满足（空表示不需要）。
    /// Signal kinds of which at least one must be seen (empty: none needed).
    #[serde(default)]
    pub any: Vec<String>,
    /// 需要几轮出现这些行为。
    /// How many turns with one of those kinds are needed.
    #[serde(default = "one_u32")]
    pub count: u32,
    /// 学员必须说出场景的政策（匹配 policy.terms）。
    /// The trainee must state the scenario's policy (a match of `policy.terms`).
    #[serde(default)]
    pub policy: bool,
    /// 这一轮之前满足不了：先让客户发泄。
    /// The need cannot be met before this trainee turn (1-based): the customer must be
    /// allowed to vent first.
    #[serde(default)]
    pub after_turn: u32,
    /// 必须在这一轮之前满足，过了就满足不了（速度要紧）。
    /// The need must be met by this turn or it can no longer be met (speed matters).
    #[serde(default)]
    pub by_turn: Option<u32>,
    /// 学员可以怎么说来满足它；教练和评分卡会显示。
    /// What a trainee could say to meet the need, shown by the coach and the scorecard
    /// when it was missed. Without it they show the rubric's phrases for `any`.
    #[serde(default)]
    pub tip: String,
    /// 需求没满足时客户怎么说（用客户的口吻），填进台词里的 {need}。
    /// What the customer says, in character, while the need is unmet: what they still
    /// want, shown rather than named (「我是什么身份，你们心里没数吗？」, not the coach's
    /// 「认可我的专业和身份」). Fills `{need}` in the customer's lines; the label does
    /// without it.
    #[serde(default)]
    pub want: String,
}

fn one_u32() -> u32 {
    1
}

/// 这类客户特有的行为。
/// Persona-specific behaviour that is not a plain mood reaction.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Behaviour {
    /// 第一个方案要同一轮里也出现这些行为之一，否则拒绝（固执己见）。
    /// The first remedy is refused unless the same turn also shows one of these kinds
    /// (固执己见: explained with the product's facts).
    #[serde(default)]
    pub first_remedy_needs: Vec<String>,
    /// 拒绝第一个方案时客户说的话。
    /// What the customer says when refusing that first remedy; a generic line if empty.
    #[serde(default)]
    pub first_remedy_reason: String,
    /// 客户说自己在录音（有备而来）。
    /// The customer says they are recording the conversation (有备而来).
    #[serde(default)]
    pub records: bool,
    /// 走人就是曝光或找上级（有社会背景）。
    /// Walking out means exposure to the media or superiors (有社会背景).
    #[serde(default)]
    pub exposes: bool,
}

/// 台词池，按情境分；台词里可用 {product}、{demand}、{quote}、{fact}、{reason}、{remedy}、{need} 和场景的 slots。
/// Line pools, keyed by situation. Lines may use slots: `{product}`, `{demand}`,
/// `{quote}` (the trainee's own words that triggered the reaction), `{fact}`,
/// `{reason}`, `{remedy}`, `{need}` and any key of the scenario's `slots`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Lines {
    /// 客户开口的第一句。
    /// The customer's first words.
    pub opening: Vec<String>,
    /// 还在气头上，继续抱怨。
    /// Still upset, keeps complaining (nothing helpful or harmful was said).
    pub venting: Vec<String>,
    /// 听到好的处理，稍微平息，但还没完。
    /// Calming down a little after good handling, but not done yet.
    pub calming: Vec<String>,
    /// 听到禁语时的反应；{quote} 是那句话。
    /// Reacting to a forbidden phrase (禁语); `{quote}` is the phrase.
    pub on_forbidden: Vec<String>,
    /// 被责难时的反应。
    /// Reacting to being blamed (责难客户).
    pub on_blame: Vec<String>,
    /// 被立刻摆道理时的反应。
    /// Reacting to being argued with (立刻摆道理).
    pub on_argue: Vec<String>,
    /// 被推诿时的反应。
    /// Reacting to being passed elsewhere (推诿).
    pub on_deflect: Vec<String>,
    /// 被不礼貌对待时的反应。
    /// Reacting to rudeness (你 instead of 您, sarcasm).
    pub on_impolite: Vec<String>,
    /// 需求没满足就给方案时的反应。
    /// Reacting to a remedy offered before the customer's needs are met (急于下结论).
    pub on_rushed: Vec<String>,
    /// 一味道歉时的反应。
    /// Reacting to apologies with no action (一味道歉).
    pub on_empty_apology: Vec<String>,
    /// 同一句话又贴一遍（念稿子）时的反应。
    /// Reacting to a sentence pasted again (念稿子).
    pub on_template: Vec<String>,
    /// 一段套话（背稿子）时的反应。
    /// Reacting to a line stuffed with stock phrases of many kinds (背稿子). Optional:
    /// without it a plain 「你别跟我背这一套」.
    #[serde(default)]
    pub on_scripted: Vec<String>,
    /// 被问到事实时的回答。
    /// Answering a fact question; `{fact}` is the fact.
    pub answer_fact: Vec<String>,
    /// 被问到不知道的事时的回答。
    /// Asked something the scenario has no fact for.
    pub unknown_fact: Vec<String>,
    /// 被问到诉求时的回答。
    /// Asked what they want ("您希望怎么处理?", "依您看……"): the customer says the
    /// demand; `{demand}` is it. Optional: without it a plain 「我的要求很清楚:……」.
    #[serde(default)]
    pub answer_demand: Vec<String>,
    /// 拒绝方案时说的话。
    /// Refusing a remedy; `{reason}` is why.
    pub reject_remedy: Vec<String>,
    /// 接受方案时说的话。
    /// Accepting a remedy; `{remedy}` is what was accepted.
    pub accept: Vec<String>,
    /// 快要走人时的警告。
    /// Threatening to escalate, complain, expose or leave.
    pub threaten: Vec<String>,
    /// 走人时说的话。
    /// Walking out: the session ends unresolved.
    pub walk_out: Vec<String>,
    /// 结束时说的话。
    /// Closing once resolved.
    pub closing: Vec<String>,
    /// 接受方案以后说的话。
    /// After accepting a remedy, answering a line that does not close the call yet.
    /// Optional: without it a plain 「嗯，就按刚才说的办。」.
    #[serde(default)]
    pub after_accept: Vec<String>,
    /// 耐心用完时说的话。
    /// Out of patience: the session ends unresolved.
    pub out_of_turns: Vec<String>,
    /// 学员复述后问「是吗？」时，客户先说的那句「对」。
    /// The yes to a story told back and asked about (「您是说……，对吗？」), said before
    /// the rest of the answer. Optional: without it a short built-in yes, calm or
    /// heated by the mood.
    #[serde(default)]
    pub confirming: Vec<String>,
    /// 学员当场办理急事时，客户先催的那句。
    /// The word on an urgent step taken at once (「五分钟内就能打通」), said before the
    /// rest of the answer. Optional: without it a built-in 「那你快点办！」.
    #[serde(default)]
    pub noted_urgent: Vec<String>,
    /// 方案可以接受、但客户还在气头上时，先说的那句「我先听着」。
    /// The word on an acceptable offer heard while still too upset to take it. Optional:
    /// without it a built-in 「这个办法我先听着。」.
    #[serde(default)]
    pub noted: Vec<String>,
}

impl Lines {
    /// Every pool with its field name, for validation and tests.
    pub fn pools(&self) -> [(&'static str, &Vec<String>); 25] {
        [
            ("opening", &self.opening),
            ("venting", &self.venting),
            ("calming", &self.calming),
            ("on_forbidden", &self.on_forbidden),
            ("on_blame", &self.on_blame),
            ("on_argue", &self.on_argue),
            ("on_deflect", &self.on_deflect),
            ("on_impolite", &self.on_impolite),
            ("on_rushed", &self.on_rushed),
            ("on_empty_apology", &self.on_empty_apology),
            ("on_template", &self.on_template),
            ("on_scripted", &self.on_scripted),
            ("answer_fact", &self.answer_fact),
            ("unknown_fact", &self.unknown_fact),
            ("answer_demand", &self.answer_demand),
            ("reject_remedy", &self.reject_remedy),
            ("accept", &self.accept),
            ("threaten", &self.threaten),
            ("walk_out", &self.walk_out),
            ("closing", &self.closing),
            ("after_accept", &self.after_accept),
            ("out_of_turns", &self.out_of_turns),
            ("confirming", &self.confirming),
            ("noted_urgent", &self.noted_urgent),
            ("noted", &self.noted),
        ]
    }
}

impl Lines {
    /// A pool by its field name; empty for an unknown name.
    pub fn pool(&self, name: &str) -> &[String] {
        self.pools()
            .into_iter()
            .find(|(n, _)| *n == name)
            .map_or(&[], |(_, v)| v.as_slice())
    }
}

/// Pools a persona file may leave out: the voice has a plain line for them.
pub const OPTIONAL_POOLS: [&str; 6] = [
    "answer_demand",
    "on_scripted",
    "after_accept",
    "confirming",
    "noted_urgent",
    "noted",
];

/// The optional pools of short leads said before the rest of an answer. The voice has
/// its own for each (a yes calm or heated by the mood), so the shipped personas leave
/// them out; a trainer writes them to give a customer their own words.
pub const LEAD_POOLS: [&str; 3] = ["confirming", "noted_urgent", "noted"];

/// The pools a session draws from most; shipped personas hold at least eight lines in
/// each so a session does not repeat itself.
pub const MAIN_POOLS: [&str; 8] = [
    "opening",
    "venting",
    "calming",
    "on_forbidden",
    "reject_remedy",
    "accept",
    "threaten",
    "walk_out",
];

/// 一次投诉事件。
/// One incident the customer complains about.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// 场景编号。
    /// Short id, unique within the persona, e.g. `floppy-drive`.
    pub id: String,
    /// 场景标题。
    /// One-line title shown in menus.
    pub title: String,
    /// 行业。
    /// Industry, e.g. `电脑维修`, `通信营业厅`, `地铁`, `汽车售后`.
    pub industry: String,
    /// 给学员看的简介。
    /// What the trainee is told before the call: who is calling and about what (not the
    /// customer's hidden needs).
    pub brief: String,
    /// 涉及的产品或服务。
    /// The product or service concerned; fills `{product}`.
    pub product: String,
    /// 客户的诉求。
    /// What the customer demands; fills `{demand}`.
    pub demand: String,
    /// 台词里可用的自定义词，如 {amount}。
    /// Extra slot values for lines, e.g. `order = "WX-0382"`.
    #[serde(default)]
    pub slots: BTreeMap<String, String>,
    /// 客户被问到才说的事实。
    /// Facts the customer gives only when asked.
    pub facts: Vec<Fact>,
    /// 方案：哪些能接受、哪些会拒绝、哪些超出政策。
    /// Remedies the customer accepts (`accept = true`) or refuses.
    pub remedies: Vec<Remedy>,
    /// 学员应该知道的政策和法规。
    /// What policy and law allow, so promises can be checked.
    pub policy: Policy,
    /// 渠道：电话、柜台或在线。
    /// How the customer reaches the trainee: by phone (the default), in person at a
    /// counter, or in an online chat. Shown in the brief; a counter has no 「喂？」.
    #[serde(default)]
    pub channel: Channel,
    /// 这个场景自己的开场白。
    /// Opening lines for this scenario, in the persona's voice; without them the
    /// persona's own `opening` lines (which must then suit every scenario's channel).
    #[serde(default)]
    pub opening: Vec<String>,
}

/// 渠道。
/// How a customer reaches the trainee.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    #[default]
    Phone,
    Counter,
    Chat,
}

impl Channel {
    /// Who the trainee is facing, as the brief says it.
    pub fn customer_label(self) -> &'static str {
        match self {
            Channel::Phone => "\u{6765}\u{7535}\u{5BA2}\u{6237}", // 来电客户
            Channel::Counter => "\u{5230}\u{5E97}\u{5BA2}\u{6237}", // 到店客户
            Channel::Chat => "\u{5728}\u{7EBF}\u{5BA2}\u{6237}",  // 在线客户
        }
    }
}

/// 一条事实。
/// A fact the customer reveals only when the trainee asks for it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Fact {
    pub id: String,
    /// 事实的名称。
    /// What the fact is, e.g. `维修单号`.
    pub label: String,
    /// 学员问到哪些话时客户说出它。
    /// Regex patterns; a trainee line matching one asks for this fact.
    pub asked_by: Vec<String>,
    /// 客户的回答。
    /// The customer's answer; fills `{fact}`.
    pub answer: String,
}

/// 一个方案。
/// A remedy the trainee might offer.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Remedy {
    pub id: String,
    /// 方案名称。
    /// What it is, e.g. `免费上门更换软驱`; fills `{remedy}`.
    pub label: String,
    /// 认出这个方案的说法。
    /// Regex patterns; a trainee line matching one offers this remedy.
    pub patterns: Vec<String>,
    /// 客户是否接受。
    /// Whether the customer can accept it once their needs are met.
    pub accept: bool,
    /// 拒绝的理由。
    /// Why the customer refuses it (for `accept = false`); fills `{reason}`.
    #[serde(default)]
    pub reason: String,
    /// 是否紧急。
    /// A safety, health or livelihood action that cannot wait (restoring the phone of
    /// someone whose father is in hospital, stopping a faulty escalator): offered at
    /// once (with a time: 「马上」「现在就」) before the customer's needs are met, it is
    /// acting on the need, never rushing to a conclusion, and it stays on the table
    /// until they can accept it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub urgent: bool,
}

/// 政策和法规。
/// What policy and law say about the scenario.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// 政策概要。
    /// The policy and law in a sentence or two, for trainers and the LLM customer.
    pub summary: String,
    /// 学员说出其中之一就算讲了政策。
    /// Regex patterns: stating one of these states the policy correctly.
    #[serde(default)]
    pub terms: Vec<String>,
    /// 政策允许的。
    /// Commitments the agent may make (deadlines, amounts, services), in words.
    #[serde(default)]
    pub allows: Vec<String>,
    /// 政策不允许、不能承诺的。
    /// Commitments or statements that policy does not allow: promising them is 言行不一.
    #[serde(default)]
    pub forbids: Vec<Forbid>,
}

impl Policy {
    /// The summary as a trainee reads it, in the brief and in `persona show`: without
    /// the notes addressed to trainers (「(培训师注意：……)」).
    pub fn for_trainees(&self) -> String {
        let mut out = self.summary.trim().to_string();
        for open in [
            "(\u{57F9}\u{8BAD}\u{5E08}",
            "\u{FF08}\u{57F9}\u{8BAD}\u{5E08}",
        ] {
            // 「(培训师」 or 「（培训师」 up to the matching close.
            if let Some(a) = out.find(open) {
                let close = out[a..]
                    .char_indices()
                    .find(|&(_, c)| c == ')' || c == '\u{FF09}')
                    .map_or(out.len(), |(b, c)| a + b + c.len_utf8());
                out.replace_range(a..close, "");
            }
        }
        out.trim().to_string()
    }
}

/// 一项不能承诺的事。
/// A commitment policy does not allow.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Forbid {
    /// 认出它的说法。
    /// Regex patterns that make such a commitment.
    pub patterns: Vec<String>,
    /// 为什么不能承诺。
    /// Why it cannot be kept.
    pub why: String,
}

/// 一条自检。
/// A self-check: a trainee script and what it must lead to.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// 自检名称。
    /// What the check shows, e.g. `按建议处理 → 解决`.
    pub name: String,
    /// 用哪个场景（默认第一个）。
    /// Scenario id; the persona's first scenario when absent.
    #[serde(default)]
    pub scenario: Option<String>,
    /// 用哪个难度（默认 normal）。
    /// Difficulty level; `normal` when absent.
    #[serde(default)]
    pub difficulty: Option<String>,
    /// 学员依次说的话。
    /// The trainee's lines, in order.
    pub lines: Vec<String>,
    /// 应得的结果。
    /// What must happen.
    pub expect: Expect,
}

/// 自检应得的结果。
/// The expected result of a self-check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Expect {
    /// The session ends resolved.
    Resolved,
    /// The customer walks out.
    WalkedOut,
    /// The customer runs out of patience.
    OutOfTurns,
    /// Whatever happens, the session is not resolved.
    NotResolved,
    /// Anger after the first turn is above the starting anger.
    AngerRises,
    /// Anger after the first turn is below the starting anger.
    AngerFalls,
}

impl Expect {
    /// What the self-check expects, as `persona test` tells a trainer.
    pub fn label(self) -> &'static str {
        match self {
            Expect::Resolved => "问题解决",
            Expect::WalkedOut => "客户愤而离开",
            Expect::OutOfTurns => "客户失去耐心",
            Expect::NotResolved => "没有解决",
            Expect::AngerRises => "第一轮后更生气",
            Expect::AngerFalls => "第一轮后消了些气",
        }
    }
}

/// Slots every line may use, whatever the scenario.
pub const BUILTIN_SLOTS: [&str; 7] = [
    "product", "demand", "quote", "fact", "reason", "remedy", "need",
];

/// Engine events a persona may react to, besides the rubric's signal kinds.
pub const EVENTS: [&str; 7] = [
    "rushed",
    "late",
    "empty_apology",
    "template",
    "idle",
    "remedy_rejected",
    "remedy_accepted",
];

impl Persona {
    pub fn scenario(&self, id: &str) -> Option<&Scenario> {
        self.scenarios.iter().find(|s| s.id == id)
    }

    /// Whether `name` selects this persona: its id, Chinese name or an alias.
    pub fn answers_to(&self, name: &str) -> bool {
        self.id == name || self.name == name || self.aliases.iter().any(|a| a == name)
    }
}

impl Scenario {
    /// A scenario slot's value: `product`, `demand`, or one of `[slots]`.
    pub fn slot(&self, name: &str) -> Option<&str> {
        match name {
            "product" => Some(&self.product),
            "demand" => Some(&self.demand),
            other => self.slots.get(other).map(String::as_str),
        }
    }

    /// Fill the scenario's slots in a persona-file text (`{product}`, `{order}`, …),
    /// for the offline voice and the model's prompt alike.
    pub fn fill(&self, text: &str) -> String {
        fill_slots(text, &|n| self.slot(n).map(str::to_string))
    }
}

/// Replace each `{name}` for which `value` has an answer; a missing value leaves an
/// empty string, never the raw placeholder in front of a trainee (or a model that
/// would read it aloud).
pub fn fill_slots(template: &str, value: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                out.push_str(&value(&after[..close]).unwrap_or_default());
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod policy_tests {
    use super::Policy;

    fn trainee(summary: &str) -> String {
        Policy {
            summary: summary.to_string(),
            terms: Vec::new(),
            allows: Vec::new(),
            forbids: Vec::new(),
        }
        .for_trainees()
    }

    #[test]
    fn trainer_notes_are_left_out_of_the_brief() {
        // 「按第五十五条赔三倍。(培训师注意：课件用旧法。)」 → 「按第五十五条赔三倍。」
        let s = "\u{6309}\u{7B2C}\u{4E94}\u{5341}\u{4E94}\u{6761}\u{8D54}\u{4E09}\u{500D}\u{3002}\
                 (\u{57F9}\u{8BAD}\u{5E08}\u{6CE8}\u{610F}\u{FF1A}\u{8BFE}\u{4EF6}\u{7528}\u{65E7}\u{6CD5}\u{3002})";
        assert_eq!(
            trainee(s),
            "\u{6309}\u{7B2C}\u{4E94}\u{5341}\u{4E94}\u{6761}\u{8D54}\u{4E09}\u{500D}\u{3002}"
        );
        // Full-width brackets, and a note that is never closed.
        assert_eq!(trainee("\u{FF08}\u{57F9}\u{8BAD}\u{5E08}x"), "");
        assert_eq!(trainee("ok"), "ok");
    }
}

#[cfg(test)]
mod slot_tests {
    use super::fill_slots;

    #[test]
    fn fills_known_slots_and_drops_unknown_ones() {
        let v = |n: &str| (n == "product").then(|| "电脑".to_string());
        assert_eq!(fill_slots("我的{product}坏了{x}！", &v), "我的电脑坏了！");
        assert_eq!(fill_slots("没有闭合{product", &v), "没有闭合{product");
    }
}

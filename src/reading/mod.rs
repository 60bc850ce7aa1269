//! The reading: what one trainee line does, computed once and used by everyone.
//!
//! A line is normalised (widths folded, format characters dropped), split into clauses
//! with their scope (question, negation, reported speech, hypothetical, past/future),
//! and given dialogue acts by a model learned from labelled example lines
//! (`rubrics/examples/*.tsv`, defined by `rubrics/acts.md`). Each act carries the span
//! of the clause it stands in (byte offsets into the text as typed), a confidence, the
//! slots of that clause (amount, time, who acts) and, on request, its evidence (the
//! n-grams that weighed most and the nearest example line).
//!
//! This module is the one interpreter of trainee text: the customer engine, the coach
//! line, the scorer, assessment and `peilian analyze` all consume a [`Reading`]. It
//! performs no I/O.

pub mod act;
pub mod clause;
mod evidence;
pub mod features;
pub mod model;
pub mod money;
pub mod normalise;
pub mod scene;
pub mod simplify;
pub mod slots;
pub mod train;

use std::sync::{LazyLock, OnceLock};

pub use act::{Act, FORBIDDEN, Polarity};
pub use clause::Cues;
pub use evidence::Explanation;
pub use scene::{Scene, SceneReading};
pub use slots::{Slots, Tense, TimeSlot, Who};
pub use train::{Counts, Example, ExampleError};

use model::Model;

/// One act found in a line.
#[derive(Debug, Clone, PartialEq)]
pub struct ActHit {
    pub act: Act,
    /// For a 禁语: which of the deck's phrases it says or paraphrases ([`FORBIDDEN`]).
    pub forbidden: Option<&'static str>,
    /// Byte offsets into the text as typed: the clause the act stands in.
    pub start: usize,
    pub end: usize,
    /// Index into [`Reading::clauses`].
    pub clause: usize,
    /// The model's probability, 0–1.
    pub confidence: f32,
    pub slots: Slots,
}

/// One clause, in byte offsets of the text as typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClauseSpan {
    pub start: usize,
    pub end: usize,
    pub cues: Cues,
}

/// Whether a clause provides something with its subject dropped, as agents say it
/// (「修理期间提供同级别代步车」): a provision verb with nobody else named before it
/// (「您提供发票」 and 「他们说安排」 are someone else's doing).
fn provides_unnamed(clause: &str) -> bool {
    // 提供 安排
    ["\u{63D0}\u{4F9B}", "\u{5B89}\u{6392}"].iter().any(|v| {
        clause.find(v).is_some_and(|at| {
            // 您 你 他 她 店 厂 说
            !clause[..at].contains([
                '\u{60A8}', '\u{4F60}', '\u{4ED6}', '\u{5979}', '\u{5E97}', '\u{5382}', '\u{8BF4}',
            ])
        })
    })
}

/// Headings under which a line lists the agent's handling.
const ARRANGEMENT_HEADINGS: [&str; 14] = [
    "处理分",
    "处理如下",
    "处理是",
    "处理办法是",
    "处理方案是",
    "解决方案是",
    "解决办法是",
    "方案是",
    "方案如下",
    "安排是",
    "安排如下",
    "这样处理",
    "这么处理",
    "这样安排",
];

/// Verbs of the agent looking something up (查, 核实, 核对, 调取, 调出, 看一下, 看看).
const CHECKING: [&str; 7] = [
    "\u{67E5}",
    "\u{6838}\u{5B9E}",
    "\u{6838}\u{5BF9}",
    "\u{8C03}\u{53D6}",
    "\u{8C03}\u{51FA}",
    "\u{770B}\u{4E00}\u{4E0B}",
    "\u{770B}\u{770B}",
];

/// Marks that end a sentence (normalised and as typed).
const SENTENCE_ENDS: [char; 8] = [
    '\u{3002}', '.', '!', '?', '\u{FF01}', '\u{FF1F}', ';', '\u{FF1B}',
];

/// What a line does.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reading {
    pub clauses: Vec<ClauseSpan>,
    /// In the order of the line; an act may stand in several clauses.
    pub acts: Vec<ActHit>,
}

impl Reading {
    pub fn has(&self, act: Act) -> bool {
        self.acts.iter().any(|a| a.act == act)
    }

    pub fn get(&self, act: Act) -> Option<&ActHit> {
        self.acts.iter().find(|a| a.act == act)
    }

    /// The clause byte offset `at` stands in (clauses are in order; a binary search,
    /// so a megabyte line with tens of thousands of clauses stays linear overall).
    pub fn clause_at(&self, at: usize) -> Option<usize> {
        let i = self.clauses.partition_point(|c| c.start <= at);
        let i = i.checked_sub(1)?;
        let c = self.clauses[i];
        (at < c.end.max(c.start + 1)).then_some(i)
    }

    /// Whether clause `ci` of `text` says what the agent's side will do: 「我们给您换」
    /// or 「给您免费换一个」, not 「您可以选择换车」 or a bare topic 「关于退车」.
    pub fn agent_acts(&self, text: &str, ci: usize) -> bool {
        let Some(c) = self.clauses.get(ci) else {
            return false;
        };
        // The agent may be named once for a whole sentence of arrangements
        // (「我这边安排是：三天内专员陪同，……，升级程序都不收钱」).
        let from = self.clauses[self.sentence_of(text, ci).start].start;
        let t = &text[from..c.end];
        AGENT_WORDS.iter().any(|w| t.contains(w)) || provides_unnamed(&text[c.start..c.end])
    }

    /// Whether clause `ci` asks the customer: its cues say so, or it is a confirmation
    /// tag alone (「……，对吧。」 asks as 「……，对吧？」 does).
    pub fn asks(&self, text: &str, ci: usize) -> bool {
        self.clauses.get(ci).is_some_and(|c| {
            let words: Vec<char> = (text[c.start..c.end].chars())
                .filter(|x| is_word_char(*x))
                .collect();
            c.cues.has(Cues::QUESTION) || clause::is_tag(&words)
        })
    }

    /// Whether the agent's side is named in clause `ci` itself as the one who acts
    /// (「我们」, 「给您」), or provides something without being named.
    pub fn agent_in(&self, text: &str, ci: usize) -> bool {
        let Some(c) = self.clauses.get(ci) else {
            return false;
        };
        let t = &text[c.start..c.end];
        AGENT_WORDS.iter().any(|w| t.contains(w)) || provides_unnamed(t)
    }

    /// Whether clause `ci` follows, in the same line, a heading that announces the
    /// agent's handling (「我们的处理是：」, 「处理分三项：」, 「方案如下：」): the items
    /// after it are what the agent's side will do, however each is worded.
    pub fn announced(&self, text: &str, ci: usize) -> bool {
        let Some(c) = self.clauses.get(ci) else {
            return false;
        };
        let before = &text[..c.start];
        ARRANGEMENT_HEADINGS.iter().any(|h| before.contains(h))
    }

    /// Whether clause `ci` continues a sentence that opens by citing a rule
    /// (「按汽车三包规定，……，您可以选择免费更换」): what follows is the rule's content,
    /// a policy told, not an offer made. The content ends where the agent's own offer
    /// begins: in 「按三包规定，……可以免费换变速器总成，我们给您免费更换，修理期间给您提供
    /// 备用车」 the clauses from 我们给您免费更换 on are what the agent does (a tmux play:
    /// the customer had turned this down as not what the rule says).
    pub fn states_rule(&self, text: &str, ci: usize) -> bool {
        let offers = |k: usize| {
            self.acts
                .iter()
                .any(|a| a.clause == k && a.act == Act::Offer)
        };
        let cites = |j: usize| {
            let c = self.clauses[j];
            let head = text[c.start..c.end].trim_start();
            ["按", "根据", "依照", "依据", "依"]
                .iter()
                .any(|w| head.starts_with(w))
                && self
                    .acts
                    .iter()
                    .any(|a| a.clause == j && a.act == Act::Explain)
        };
        ci < self.clauses.len()
            && (self.sentence_of(text, ci).start..=ci)
                .any(|j| cites(j) && !(j + 1..=ci).any(offers))
    }

    /// The clauses of the sentence clause `ci` stands in (sentences end at 。！？; and
    /// the like).
    pub fn sentence_of(&self, text: &str, ci: usize) -> std::ops::Range<usize> {
        let ends = |j: usize| {
            let (a, b) = (self.clauses[j], self.clauses.get(j + 1));
            let gap = b.map_or("", |b| text.get(a.end..b.start).unwrap_or(""));
            gap.contains(SENTENCE_ENDS)
        };
        let mut from = ci;
        while from > 0 && !ends(from - 1) {
            from -= 1;
        }
        let mut to = ci;
        while to + 1 < self.clauses.len() && !ends(to) {
            to += 1;
        }
        from..to + 1
    }

    /// Whether clause `ci` names what the agent will look up rather than asks the
    /// customer: it follows, in its sentence, the agent's own checking verb (我先查一下,
    /// 我们核实), the sentence asks nothing (no question mark closes it), and the clause
    /// does not address the customer (「我查一下，您是哪天办的」 asks them). A tmux play:
    /// 「我先查一下这个业务是从哪个渠道、什么时间开通的，有没有您的确认记录，您稍等
    /// 两分钟。」 was answered 「这个你问错人了」. It is still 调查 on the card; the
    /// customer is not asked.
    pub fn checks_itself(&self, text: &str, ci: usize) -> bool {
        if ci >= self.clauses.len() {
            return false;
        }
        let sent = self.sentence_of(text, ci);
        let last = self.clauses[sent.end - 1];
        let closing = match self.clauses.get(sent.end) {
            Some(next) => text.get(last.end..next.start).unwrap_or(""),
            None => text.get(last.end..).unwrap_or(""),
        };
        if closing.contains(['?', '\u{FF1F}']) {
            return false;
        }
        let c = self.clauses[ci];
        // 您, 你: the customer is addressed (「您的手机号是多少」 asks them).
        if text[c.start..c.end].contains(['\u{60A8}', '\u{4F60}']) {
            return false;
        }
        (sent.start..=ci).any(|j| {
            let t = &text[self.clauses[j].start..self.clauses[j].end];
            CHECKING.iter().any(|v| {
                t.find(v)
                    .is_some_and(|at| t[..at].contains(['\u{6211}', '\u{54B1}'])) // 我 咱
            })
        })
    }

    /// Whether clause `ci` is part of a restatement of the customer's story: a sentence
    /// opened by 「我确认一下」「您是说」 or closed by 「对吗？」「是吧？」 tells back what
    /// happened (「……收费860元更换了主板……，对吗？」) and offers nothing.
    pub fn restated(&self, text: &str, ci: usize) -> bool {
        if ci >= self.clauses.len() {
            return false;
        }
        let sent = self.sentence_of(text, ci);
        let clause = |j: usize| {
            let c = self.clauses[j];
            &text[c.start..c.end]
        };
        let first = clause(sent.start);
        // 「也就是说」 also sums up the trainee's own explanation (「也就是说，核心部件都没
        // 毛病，换一根新屏线就能修好」): it tells the customer's story back only when the
        // sentence is about them.
        let about_them = || {
            let (a, b) = (
                self.clauses[sent.start].start,
                self.clauses[sent.end - 1].end,
            );
            text[a..b].contains(['\u{60A8}', '\u{4F60}']) // 您, 你
        };
        // The opener's own clause is told back too when the story goes on in it
        // (「您是说维修站收了860元换主板」), not when it is the opener alone (「我跟您
        // 核对一下」).
        let opener = RESTATE_OPENERS
            .iter()
            .find_map(|w| first.find(w).map(|at| &first[at + w.len()..]))
            .or_else(|| {
                (first.find("也就是说").filter(|_| about_them()))
                    .map(|at| &first["也就是说".len() + at..])
            });
        let opens = opener.is_some_and(|rest| {
            let rest = rest.trim_start_matches("\u{4E00}\u{4E0B}"); // 一下
            sent.start != ci || rest.chars().filter(|c| is_word_char(*c)).count() >= 2
        });
        let last = clause(sent.end - 1);
        let tag = self.asks(text, sent.end - 1)
            && RESTATE_TAGS.iter().any(|w| last.trim().starts_with(w))
            && sent.end - 1 != ci;
        opens || tag
    }
}

/// Words that name the agent's side as the one who acts (see [`Reading::agent_acts`]).
const AGENT_WORDS: [&str; 8] = ["我", "咱", "给您", "帮您", "为您", "替您", "给你", "帮你"];

/// Words that open a restatement in the sentence's first clause. 「核对」 only with the
/// customer (「我跟您核对一下：……」): 「我先核对一下账单，多扣的退给您」 looks into the
/// matter and offers.
const RESTATE_OPENERS: [&str; 7] = [
    "确认一下",
    "复述",
    "核实一下",
    "跟您核对",
    "和您核对",
    "您是说",
    "您的意思是",
];

/// Tags that close a restatement as its last clause (「……，是这样吧？」).
const RESTATE_TAGS: [&str; 9] = [
    "对吗",
    "是吗",
    "是吧",
    "对吧",
    "对不对",
    "没错吧",
    "是不是",
    "是这样吧",
    "是这样吗",
];

/// Whether a clause arranges for someone else to apologise: 让/由/请/叫/带 someone
/// (not 我) 向/跟/给 您 道歉/致歉/赔不是/赔礼. 「请允许我向您道歉」 is the trainee's own.
fn others_apology(clause: &str) -> bool {
    const WHO: [char; 5] = ['\u{8BA9}', '\u{7531}', '\u{8BF7}', '\u{53EB}', '\u{5E26}']; // 让由请叫带
    const TO: [char; 3] = ['\u{5411}', '\u{8DDF}', '\u{7ED9}']; // 向跟给
    const SORRY: [&str; 4] = [
        "\u{9053}\u{6B49}",         // 道歉
        "\u{81F4}\u{6B49}",         // 致歉
        "\u{8D54}\u{4E0D}\u{662F}", // 赔不是
        "\u{8D54}\u{793C}",         // 赔礼
    ];
    let cs: Vec<char> = clause.chars().collect();
    for (i, c) in cs.iter().enumerate() {
        if !WHO.contains(c) {
            continue;
        }
        // Someone (one to ten characters, none of them 我) then 向您/跟您/给您.
        for j in i + 2..(i + 12).min(cs.len()) {
            if cs[i + 1..j].contains(&'\u{6211}') {
                break;
            }
            let you = cs
                .get(j + 1)
                .is_some_and(|&y| y == '\u{60A8}' || y == '\u{4F60}');
            if TO.contains(&cs[j]) && you {
                let rest: String = cs[j + 2..].iter().collect();
                if SORRY.iter().any(|w| rest.contains(w)) {
                    return true;
                }
            }
        }
    }
    false
}

/// The slots of a stretch of text read on its own: the promise ledger weighs the
/// clause a promise stands in (its amount, its time) without a whole reading.
pub fn slots_of(text: &str) -> Slots {
    slots::read(&normalised_chars(text))
}

/// Every sum of money a stretch of text names, in order: the ledger checks that one of
/// them is a sum the scenario's policy pays.
pub fn amounts_of(text: &str) -> Vec<f64> {
    slots::amounts_in(&normalised_chars(text))
}

/// The characters of `text` normalised, as the slots read them.
fn normalised_chars(text: &str) -> Vec<char> {
    normalise::normalise(text)
        .chars
        .iter()
        .map(|c| c.c)
        .collect()
}

/// The clause (byte range of the text as typed) around `start..end`: from the start of
/// the clause `start` stands in to the end of the clause `end` stands in.
pub fn clause_around(text: &str, start: usize, end: usize) -> (usize, usize) {
    let n = normalise::normalise(text);
    let spans: Vec<(usize, usize)> = clause::split(&n)
        .iter()
        .map(|c| n.original_range(c.start, c.end))
        .collect();
    let from = spans
        .iter()
        .find(|(a, b)| *a <= start && start < *b)
        .map_or(start, |s| s.0);
    let to = spans
        .iter()
        .find(|(a, b)| *a < end && end <= *b)
        .map_or(end, |s| s.1);
    (from, to.max(from))
}

/// The words of `start..end` without the spaces and clause marks at its ends: how the
/// customer quotes a line back and how the scorecard's promise list quotes a clause.
pub fn quote_span(text: &str, start: usize, end: usize) -> String {
    const MARKS: [char; 11] = [
        '\u{FF0C}', ',', '\u{3002}', '.', '\u{FF01}', '!', '\u{FF1F}', '?', '\u{FF1B}', ';',
        '\u{3001}',
    ];
    text[start..end]
        .trim_matches(|c: char| c.is_whitespace() || MARKS.contains(&c))
        .to_string()
}

/// Whether `c` is a letter or digit ([`char::is_alphanumeric`]), with the common CJK
/// ideographs (all alphabetic) answered without the Unicode table.
pub(crate) fn is_word_char(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}') || c.is_alphanumeric()
}

/// The compiled reader: a model and the examples it was fitted on.
pub struct Reader {
    model: Model,
    /// Parsed on first use (evidence), so loading costs only the model.
    examples: OnceLock<Vec<Example>>,
    examples_source: &'static str,
    index: OnceLock<evidence::Index>,
}

/// A line as the act model reads it: the text typed, its normal form, its clauses in
/// the normal form's characters and as byte ranges of the text.
#[derive(Clone, Copy)]
struct LineParts<'a> {
    text: &'a str,
    n: &'a normalise::Normalised,
    cls: &'a [clause::Clause],
    clauses: &'a [ClauseSpan],
}

/// Reusable buffers for reading many lines without allocating per line.
#[derive(Default)]
pub struct Scratch {
    feats: Vec<(u64, u16)>,
    buf: Vec<u32>,
    acc: Vec<i32>,
    line: Vec<f32>,
    per_clause: Vec<f32>,
    chars: Vec<char>,
    norm: normalise::Normalised,
    cls: Vec<clause::Clause>,
    clause_chars: Vec<char>,
    at: Vec<usize>,
    refused: Vec<bool>,
}

static DEFAULT_MODEL: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/default.model"));
static DEFAULT_EXAMPLES: &str = include_str!(concat!(env!("OUT_DIR"), "/default.examples.tsv"));
static DEFAULT_CV: &str = include_str!(concat!(env!("OUT_DIR"), "/default.cv.tsv"));

static DEFAULT: LazyLock<Reader> = LazyLock::new(|| {
    let model =
        Model::from_bytes(DEFAULT_MODEL).expect("the embedded model is written by build.rs");
    Reader {
        model,
        examples: OnceLock::new(),
        examples_source: DEFAULT_EXAMPLES,
        index: OnceLock::new(),
    }
});

/// The reader of the default rubric, built into the binary.
pub fn default_reader() -> &'static Reader {
    &DEFAULT
}

/// The default model's k-fold cross-validation counts, per output, from the build.
pub fn default_cv() -> Vec<(String, Counts)> {
    DEFAULT_CV
        .lines()
        .filter_map(|l| {
            let mut it = l.split('\t');
            let name = it.next()?.to_string();
            let mut n = || it.next()?.parse::<u32>().ok();
            Some((
                name,
                Counts {
                    tp: n()?,
                    fp: n()?,
                    fn_: n()?,
                },
            ))
        })
        .collect()
}

/// The build script joins the example files with `#file NAME` lines.
fn parse_joined(joined: &str) -> Vec<Example> {
    let mut out = Vec::new();
    for section in joined.split("#file ").filter(|s| !s.is_empty()) {
        let (name, body) = section.split_once('\n').unwrap_or((section, ""));
        if let Ok(mut e) = train::parse_examples(body, name.trim(), &act::is_known_label) {
            out.append(&mut e);
        }
    }
    out
}

impl Reader {
    /// Train a reader on examples (a house rubric's own).
    pub fn train(examples: Vec<Example>) -> Reader {
        let t = train::train(&examples, &act::outputs(), &Default::default());
        Reader {
            model: t.model,
            examples: OnceLock::from(examples),
            examples_source: "",
            index: OnceLock::new(),
        }
    }

    /// A hash of what the model was fitted on (its examples), recorded with every
    /// transcript through the rubric's hash.
    pub fn hash(&self) -> String {
        if self.examples_source.is_empty() {
            let all: Vec<&str> = self.examples().iter().map(|e| e.text.as_str()).collect();
            crate::files::content_hash(&all.join("\n"))
        } else {
            crate::files::content_hash(self.examples_source)
        }
    }

    /// The example lines the model was fitted on.
    pub fn examples(&self) -> &[Example] {
        self.examples
            .get_or_init(|| parse_joined(self.examples_source))
    }

    /// Read one line.
    pub fn read(&self, text: &str) -> Reading {
        self.read_with(text, &mut Scratch::default())
    }

    /// Read one line with reusable buffers.
    pub fn read_with(&self, text: &str, s: &mut Scratch) -> Reading {
        // The line's buffers are the scratch's, taken for the read and given back.
        let mut n = std::mem::take(&mut s.norm);
        let mut cls = std::mem::take(&mut s.cls);
        normalise::normalise_into(text, &mut n);
        clause::split_into(&n, &mut cls, &mut s.clause_chars);
        let clauses: Vec<ClauseSpan> = cls
            .iter()
            .map(|c| {
                let (start, end) = n.original_range(c.start, c.end);
                ClauseSpan {
                    start,
                    end,
                    cues: c.cues,
                }
            })
            .collect();
        // The line is read as one: reading each sentence on its own was tried and
        // read the held-out scripts worse (one fewer of 18 resolved). Only a refusal
        // the line's offers drown out is also looked for in its own sentence.
        let mut acts = Vec::new();
        let line = LineParts {
            text,
            n: &n,
            cls: &cls,
            clauses: &clauses,
        };
        self.read_acts(&line, s, &mut acts);
        // A past time is told, never promised: 「您是上周三晚上九点来的吧」 commits to nothing.
        acts.retain(|a| {
            a.act != Act::Commit
                || a.slots
                    .time
                    .as_ref()
                    .is_none_or(|t| t.tense == Tense::Future)
        });
        // A refusal is never an offer: 「我们不能给您退款」 names the remedy to decline it.
        let refused = &mut s.refused;
        refused.clear();
        refused.resize(cls.len(), false);
        for a in acts.iter().filter(|a| a.act == Act::Refuse) {
            if cls.get(a.clause).is_some_and(|c| c.cues.has(Cues::NEGATED)) {
                refused[a.clause] = true;
            }
        }
        acts.retain(|a| a.act != Act::Offer || !refused.get(a.clause).copied().unwrap_or(false));
        // What should have been done and was not (「前台本该一到就给您调优先工位」) offers
        // and promises nothing, however the model read it.
        acts.retain(|a| {
            !matches!(a.act, Act::Offer | Act::Commit)
                || !cls
                    .get(a.clause)
                    .is_some_and(|c| c.cues.has(Cues::COUNTERFACTUAL))
        });
        // The model reads questions by their form; a form the scope found asks nothing
        // (「录了也改变不了什么」: 什么 after a negation) asks the customer nothing.
        acts.retain(|a| {
            a.act != Act::Ask
                || !cls
                    .get(a.clause)
                    .is_some_and(|c| c.cues.has(Cues::QUESTION_FORM) && !c.cues.has(Cues::QUESTION))
        });
        // An apology someone else is to make (「由主管带她当面向您致歉」) is an arrangement
        // the trainee offers, not the trainee's own apology: counted as one, it made
        // the scorecard say 「道歉次数过多」 to an agent who apologised once.
        acts.retain(|a| {
            a.act != Act::Apology
                || !clauses
                    .get(a.clause)
                    .is_some_and(|c| others_apology(&text[c.start..c.end]))
        });
        acts.sort_by_key(|a| (a.start, a.act));
        s.norm = n;
        s.cls = cls;
        let mut reading = Reading { clauses, acts };
        // The customer's story told back (「您说的是B口的上行扶梯，……还急停过两次，对吗？」)
        // explains nothing: the reasons in it are theirs, not the agent's (a tmux play,
        // where the coach line credited 解释原因/政策).
        let told_back: Vec<usize> = (reading.acts.iter())
            .filter(|a| a.act == Act::Explain && reading.restated(text, a.clause))
            .map(|a| a.clause)
            .collect();
        (reading.acts).retain(|a| a.act != Act::Explain || !told_back.contains(&a.clause));
        // Nor does it offer or promise anything (「您是说维修站收了860元换主板，……，对吧。」
        // read as an offer of a free repair: the customer, in calibration set 9, said
        // 「你连事情都没弄清楚就急着给方案？」 to a correct restatement), unless the agent
        // acts in that very clause (「我跟您确认一下，我们今天给您换新机，对吗？」).
        let told_back: Vec<usize> = (reading.acts.iter())
            .filter(|a| matches!(a.act, Act::Offer | Act::Commit))
            .filter(|a| reading.restated(text, a.clause) && !reading.agent_in(text, a.clause))
            .map(|a| a.clause)
            .collect();
        (reading.acts).retain(|a| {
            !matches!(a.act, Act::Offer | Act::Commit) || !told_back.contains(&a.clause)
        });
        reading
    }

    /// A refusal the line read as one misses because the line goes on to offer, read in
    /// its own sentence: 「免费升舱要看座位和升舱券的规则，我这边不敢随口答应您。我先给您
    /// 补偿里程，……」 declines the upgrade before it offers the miles (a tmux play: the
    /// offers outweighed the refusal, so the upgrade it names counted as offered, and the
    /// customer heard a list of remedies). Only for lines of more than one sentence; a
    /// refusal found so is added where that sentence reads it.
    ///
    /// No second pass of the model: features never cross a clause, so a sentence's score
    /// is the bias plus its clauses' shares of the line's score, with the length feature
    /// (which the line's first clause carries) taken for the sentence's own length.
    ///
    /// Called by [`Reader::read_acts`] right after the line is scored: the clause shares
    /// and the line's length feature are that scoring's.
    fn refusal_in_its_sentence(
        &self,
        line: &LineParts<'_>,
        line_length_key: u64,
        s: &mut Scratch,
        acts: &mut Vec<ActHit>,
    ) {
        let LineParts { n, cls, .. } = *line;
        if cls.len() < 2 || acts.iter().any(|a| a.act == Act::Refuse) {
            return;
        }
        let Some(i) = Act::ALL.iter().position(|a| *a == Act::Refuse) else {
            return;
        };
        let w = self.model.width();
        let weight = |key: u64| self.model.weight(key, i).unwrap_or(0.0);
        let length = |range: std::ops::Range<usize>, buf: &mut Vec<u32>| {
            weight(features::length_key_of(n, &cls[range], buf))
        };
        let line_length = weight(line_length_key);
        let ends = |c: &clause::Clause| matches!(c.mark, Some('.' | '?' | '!' | '\n'));
        let mut from = 0;
        for (to, c) in cls.iter().enumerate() {
            let last = to + 1 == cls.len();
            if !(ends(c) || last) {
                continue;
            }
            if from > 0 || !last {
                // The sentence's first clause carries its length, as the line's first
                // clause carries the line's.
                let first = s.per_clause[from * w + i];
                let carried = if from == 0 { line_length } else { 0.0 };
                s.per_clause[from * w + i] = first - carried + length(from..to + 1, &mut s.buf);
                let parts: f32 = (from..=to).map(|c| s.per_clause[c * w + i]).sum();
                let logit = self.model.bias[i] + parts;
                if logit > self.model.thresholds[i] {
                    self.push_act(line, (i, logit), from..to + 1, s, acts);
                }
                s.per_clause[from * w + i] = first;
            }
            from = to + 1;
        }
    }

    /// The acts of a line, read as one, pushed to `acts`; then a refusal that only its
    /// own sentence reads.
    fn read_acts(&self, line: &LineParts<'_>, s: &mut Scratch, acts: &mut Vec<ActHit>) {
        let LineParts { n, cls, .. } = *line;
        // A line without a clause is scored as one empty clause.
        let range = 0..cls.len().max(1);
        let length_key = features::extract(n, cls, &mut s.feats, &mut s.buf);
        self.model.score(
            &s.feats,
            cls.len(),
            &mut s.acc,
            &mut s.line,
            &mut s.per_clause,
        );
        for i in 0..Act::ALL.len() {
            if s.line[i] > self.model.thresholds[i] {
                let logit = s.line[i];
                self.push_act(line, (i, logit), range.clone(), s, acts);
            }
        }
        self.refusal_in_its_sentence(line, length_key, s, acts);
    }

    /// Push act `i` (read at `logit` over the clauses `range`, whose shares of the score
    /// are in the scratch) where it stands: the clause that carries it most, and each
    /// other that would read as it on its own and carries at least half as much
    /// (「公司的规定就是这样的，不过我们会处理」 quotes its 禁语 once).
    fn push_act(
        &self,
        line: &LineParts<'_>,
        (i, logit): (usize, f32),
        range: std::ops::Range<usize>,
        s: &mut Scratch,
        acts: &mut Vec<ActHit>,
    ) {
        let LineParts {
            text,
            n,
            cls,
            clauses,
        } = *line;
        let act = Act::ALL[i];
        let w = self.model.width();
        let part = |c: usize| s.per_clause[c * w + i];
        let best = range
            .clone()
            .max_by(|&a, &b| part(a).total_cmp(&part(b)))
            .unwrap_or(range.start);
        let floor = part(best) * 0.5;
        s.at.clear();
        s.at.extend(
            range
                .filter(|&c| {
                    c == best
                        || (part(c) >= floor
                            && self.model.bias[i] + part(c) > self.model.thresholds[i])
                })
                // A clause with no word in it (「��」, 「……」) carries no act.
                .filter(|&c| {
                    cls.get(c)
                        .is_none_or(|c| n.chars[c.start..c.end].iter().any(|x| is_word_char(x.c)))
                }),
        );
        let forbidden = (act == Act::Forbidden).then(|| {
            let fb = Act::ALL.len();
            let k = (0..FORBIDDEN.len())
                .max_by(|&a, &b| s.line[fb + a].total_cmp(&s.line[fb + b]))
                .unwrap_or(0);
            FORBIDDEN[k].0
        });
        for k in 0..s.at.len() {
            let ci = s.at[k];
            let (start, end) = clauses
                .get(ci)
                .map_or((0, text.len()), |c| (c.start, c.end));
            // Slots matter for what is offered, refused or promised.
            let wants_slots = matches!(act, Act::Offer | Act::Refuse | Act::Commit | Act::FollowUp);
            let slots = match cls.get(ci) {
                Some(c) if wants_slots => {
                    s.chars.clear();
                    s.chars.extend(n.chars[c.start..c.end].iter().map(|x| x.c));
                    slots::read(&s.chars)
                }
                _ => Slots::default(),
            };
            acts.push(ActHit {
                act,
                forbidden,
                start,
                end,
                clause: ci,
                confidence: model::sigmoid(logit),
                slots,
            });
        }
    }

    /// Why a line read as it did: for each act, the n-grams that weighed most and the
    /// nearest example line carrying that act.
    pub fn explain(&self, text: &str, reading: &Reading) -> Vec<Explanation> {
        let examples = self.examples();
        let index = self.index.get_or_init(|| evidence::Index::build(examples));
        reading
            .acts
            .iter()
            .map(|a| evidence::explain(&self.model, index, examples, text, a))
            .collect()
    }
}

/// How a reader does on labelled lines: counts per act, which 禁语, and the micro total.
#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    pub per_act: Vec<(Act, Counts)>,
    /// Lines labelled with a 禁语 and read as one: how many named the right phrase.
    pub forbidden_id_right: u32,
    pub forbidden_id_total: u32,
    pub lines: usize,
    /// The lines read wrong: text, labelled acts, read acts.
    pub errors: Vec<(String, Vec<String>, Vec<String>)>,
}

impl Evaluation {
    pub fn micro(&self) -> Counts {
        self.per_act
            .iter()
            .fold(Counts::default(), |a, (_, c)| Counts {
                tp: a.tp + c.tp,
                fp: a.fp + c.fp,
                fn_: a.fn_ + c.fn_,
            })
    }

    /// From counts per output name (the build's cross-validation table).
    pub fn from_counts(counts: &[(String, Counts)]) -> Evaluation {
        Evaluation {
            per_act: Act::ALL
                .iter()
                .filter_map(|a| {
                    let c = counts.iter().find(|(n, _)| n == a.id())?.1;
                    Some((*a, c))
                })
                .collect(),
            ..Default::default()
        }
    }

    /// A Markdown table: act, label, lines, precision, recall, F1; then the micro total.
    pub fn table(&self) -> String {
        let mut s = String::from(
            "| 行为 | act | 标注 | 精确率 P | 召回率 R | F1 |\n| --- | --- | ---: | ---: | ---: | ---: |\n",
        );
        for (a, c) in &self.per_act {
            s.push_str(&format!(
                "| {} | `{}` | {} | {:.3} | {:.3} | {:.3} |\n",
                a.label(),
                a.id(),
                c.tp + c.fn_,
                c.precision(),
                c.recall(),
                c.f1()
            ));
        }
        let m = self.micro();
        s.push_str(&format!(
            "| 合计（微平均） | micro | {} | {:.3} | {:.3} | {:.3} |\n",
            m.tp + m.fn_,
            m.precision(),
            m.recall(),
            m.f1()
        ));
        if self.forbidden_id_total > 0 {
            s.push_str(&format!(
                "\n禁语认对是哪一句：{}/{}（{:.1}%）\n",
                self.forbidden_id_right,
                self.forbidden_id_total,
                100.0 * f64::from(self.forbidden_id_right) / f64::from(self.forbidden_id_total)
            ));
        }
        s
    }
}

/// Read every example and compare with its labels.
pub fn evaluate(reader: &Reader, examples: &[Example]) -> Evaluation {
    let mut ev = Evaluation {
        per_act: Act::ALL.iter().map(|a| (*a, Counts::default())).collect(),
        lines: examples.len(),
        ..Default::default()
    };
    let mut scratch = Scratch::default();
    for e in examples {
        let r = reader.read_with(&e.text, &mut scratch);
        let mut wrong = false;
        for (a, c) in ev.per_act.iter_mut() {
            let want = e.labels.iter().any(|l| l == a.id());
            match (r.has(*a), want) {
                (true, true) => c.tp += 1,
                (true, false) => {
                    c.fp += 1;
                    wrong = true;
                }
                (false, true) => {
                    c.fn_ += 1;
                    wrong = true;
                }
                _ => {}
            }
        }
        if let (Some(hit), Some(id)) = (
            r.get(Act::Forbidden),
            e.labels.iter().find_map(|l| l.strip_prefix("forbidden:")),
        ) {
            ev.forbidden_id_total += 1;
            let right = hit.forbidden == Some(id)
                || hit
                    .forbidden
                    .is_some_and(|f| e.labels.iter().any(|l| *l == format!("forbidden:{f}")));
            if right {
                ev.forbidden_id_right += 1;
            }
        }
        if wrong {
            ev.errors.push((
                e.text.clone(),
                e.labels
                    .iter()
                    .filter(|l| !l.starts_with("forbidden:"))
                    .cloned()
                    .collect(),
                r.acts.iter().map(|a| a.act.id().to_string()).collect(),
            ));
        }
    }
    ev
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_provision_with_its_subject_dropped_is_the_agents() {
        // 修理期间提供同级别代步车 / 下午安排师傅上门
        for t in [
            "\u{4FEE}\u{7406}\u{671F}\u{95F4}\u{63D0}\u{4F9B}\u{540C}\u{7EA7}\u{522B}\u{4EE3}\u{6B65}\u{8F66}",
            "\u{4E0B}\u{5348}\u{5B89}\u{6392}\u{5E08}\u{5085}\u{4E0A}\u{95E8}",
        ] {
            assert!(default_reader().read(t).agent_acts(t, 0), "{t}");
        }
        // 麻烦您提供一下发票 / 他们说安排过了: someone else's doing.
        for t in [
            "\u{9EBB}\u{70E6}\u{60A8}\u{63D0}\u{4F9B}\u{4E00}\u{4E0B}\u{53D1}\u{7968}",
            "\u{4ED6}\u{4EEC}\u{8BF4}\u{5B89}\u{6392}\u{8FC7}\u{4E86}",
        ] {
            assert!(!default_reader().read(t).agent_acts(t, 0), "{t}");
        }
    }

    /// 「也就是说」 tells the customer's story back only when the sentence is about them;
    /// before the trainee's own conclusion it sums up their explanation, and an offer in
    /// it stands.
    #[test]
    fn in_other_words_restates_only_the_customer() {
        let own = "\u{4E5F}\u{5C31}\u{662F}\u{8BF4}\u{FF0C}\u{6838}\u{5FC3}\u{90E8}\u{4EF6}\u{90FD}\u{6CA1}\u{6BDB}\u{75C5}\u{FF0C}\u{6362}\u{4E00}\u{6839}\u{65B0}\u{5C4F}\u{7EBF}\u{5C31}\u{80FD}\u{4FEE}\u{597D}\u{3002}";
        let theirs = "\u{4E5F}\u{5C31}\u{662F}\u{8BF4}\u{FF0C}\u{60A8}\u{4E0A}\u{5468}\u{9001}\u{4FEE}\u{7684}\u{65F6}\u{5019}\u{FF0C}\u{5C4F}\u{5E55}\u{5C31}\u{5DF2}\u{7ECF}\u{9ED1}\u{8FC7}\u{4E24}\u{56DE}\u{4E86}\u{3002}";
        let r = default_reader().read(own);
        assert!(r.clauses.len() >= 3, "{:?}", r.clauses);
        assert!(!r.restated(own, 2), "{own}");
        let r = default_reader().read(theirs);
        assert!(r.clauses.len() >= 2, "{:?}", r.clauses);
        assert!(r.restated(theirs, 1), "{theirs}");
    }

    /// A tmux play (固执己见, engine noise): the demand told back in 「我跟您核对一下：
    /// ……，想退车，是这样吧？」 was heard as an offer of a new car, and the customer
    /// scolded the trainee for rushing to a plan.
    #[test]
    fn a_story_checked_with_the_customer_is_told_back() {
        for text in [
            "我跟您核对一下：车提了五个月，您担心是发动机，想退车，是这样吧？",
            "车提了五个月，您担心是发动机，想退车，是这样吗？",
        ] {
            let r = default_reader().read(text);
            let last = r.clauses.len() - 2;
            assert!(r.restated(text, last), "{text}: {r:?}");
        }
        let looks_into = "我先核对一下账单，多扣的钱三个工作日内退给您。";
        let r = default_reader().read(looks_into);
        assert!(!r.restated(looks_into, 1), "{r:?}");
    }

    /// Calibration set 9: a correct restatement opened by 「您是说」 was read as an offer
    /// in its first clause, and the customer scolded the agent for rushing to a plan.
    /// The story told back offers nothing; an offer the agent makes in a check stands.
    #[test]
    fn a_story_told_back_offers_nothing() {
        let told = "您是说维修站收了860元换主板，后来又偷偷换回了原主板，对吧。";
        let r = default_reader().read(told);
        assert!(r.restated(told, 0), "{r:?}");
        // The tag asks whatever its mark.
        for (text, last) in [(told, 2), ("换回了原主板，是吧", 1), ("那就这样吧", 0)]
        {
            let r = default_reader().read(text);
            assert_eq!(r.asks(text, last), last > 0, "{text}: {r:?}");
        }
        assert!(
            !r.acts
                .iter()
                .any(|a| matches!(a.act, Act::Offer | Act::Commit)),
            "{r:?}"
        );
        let opener_only = "我跟您核对一下，车提了五个月，您担心是发动机的问题。";
        let r = default_reader().read(opener_only);
        assert!(
            !r.restated(opener_only, 0) && r.restated(opener_only, 1),
            "{r:?}"
        );
        let offers = "我跟您确认一下，我们今天就给您换一台新机，可以吗？";
        let r = default_reader().read(offers);
        assert!(r.acts.iter().any(|a| a.act == Act::Offer), "{r:?}");
    }

    #[test]
    fn items_under_a_handling_heading_are_announced() {
        let text = "处理分三项：第一，退还860元维修费；第二，按同一条款增加赔偿服务费用的三倍";
        let r = default_reader().read(text);
        let last = r.clauses.len() - 1;
        assert!(!r.announced(text, 0), "{r:?}");
        assert!(r.announced(text, last), "{r:?}");
        let plain = "按规定，经营者应当按维修费的三倍增加赔偿";
        let r = default_reader().read(plain);
        assert!(
            (0..r.clauses.len()).all(|c| !r.announced(plain, c)),
            "{r:?}"
        );
    }

    /// A refusal the offers after it outweigh in the line read as one is read in its own
    /// sentence, where it stands; a line of one sentence is read as before.
    #[test]
    fn a_refusal_before_the_offers_is_read_in_its_sentence() {
        let decline = "我这边不敢随口答应您";
        let text = "免费升舱要看座位和升舱券的规则，我这边不敢随口答应您。我先按服务补偿标准给您补偿里程，同时把这事报给地服主管调查，三个工作日内给您书面回复，也会让当班那位服务员向您致歉。";
        let r = default_reader().read(text);
        let refusals: Vec<&str> = (r.acts.iter())
            .filter(|a| a.act == Act::Refuse)
            .map(|a| &text[a.start..a.end])
            .collect();
        assert_eq!(refusals, [decline], "{r:?}");
        let alone = "我们先给您补偿里程，三个工作日内给您书面回复。";
        let r = default_reader().read(alone);
        assert!(!r.acts.iter().any(|a| a.act == Act::Refuse), "{r:?}");
    }

    /// The customer's story told back explains nothing, however the model read it; an
    /// explanation after the restatement, in a sentence of its own, still explains.
    #[test]
    fn a_story_told_back_explains_nothing() {
        let told = "您说的是中山路站B口的上行扶梯，这几天有咔咔的异响，还急停过两次，对吗？";
        let r = default_reader().read(told);
        assert!(r.acts.iter().any(|a| a.act == Act::Restate), "{r:?}");
        assert!(!r.acts.iter().any(|a| a.act == Act::Explain), "{r:?}");
        let then = "您说的是上行扶梯急停过两次，对吗？按规定，扶梯出现异常必须立即停用检修。";
        let r = default_reader().read(then);
        assert!(r.acts.iter().any(|a| a.act == Act::Explain), "{r:?}");
    }

    #[test]
    fn an_apology_arranged_for_someone_else_is_not_the_trainees() {
        for arranged in [
            "由主管带她当面向您致歉",
            "我会让那位服务员给您道歉",
            "请经理亲自向您赔礼道歉",
        ] {
            assert!(others_apology(arranged), "{arranged}");
            let r = default_reader().read(arranged);
            assert!(
                !r.acts.iter().any(|a| a.act == Act::Apology),
                "{arranged}: {r:?}"
            );
        }
        for own in [
            "我代表公司向您道歉",
            "请允许我向您道歉",
            "让您受委屈了，我向您道歉",
        ] {
            assert!(!others_apology(own), "{own}");
        }
    }

    #[test]
    fn word_chars_are_the_alphanumeric_ones() {
        for c in ('\u{0}'..='\u{FFFF}').chain(['\u{20000}', '\u{2A6DF}', '\u{1F600}']) {
            assert_eq!(is_word_char(c), c.is_alphanumeric(), "{c:?}");
        }
    }
}

//! The simulator's self-audit: whether a line the model wrote can stand as the
//! customer's. A line fails when it breaks character (says it is an AI or a simulation,
//! echoes its instructions), is not Chinese, coaches the trainee, states numbers the
//! scenario does not have (an order number, amount or date the customer cannot know), or
//! states an outcome the mood model did not decide (accepting a remedy, ending the call).
//!
//! The checks are deliberately narrow: every line of every shipped persona passes them
//! in its own situation (a test holds them to that), so a well-behaved model is rarely
//! overruled. Everything here is pure; it performs no I/O.

use std::collections::HashSet;
use std::fmt;
use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use crate::engine::{Decision, Engine, Move, Outcome};

/// Why a customer line cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "check", rename_all = "snake_case")]
pub enum AuditFailure {
    Empty,
    /// Admits being an AI, a model or a simulation, or echoes its instructions.
    BreaksCharacter {
        quote: String,
    },
    /// Mostly not Chinese (English, or the mixed-script garbage of a broken model).
    NotChinese {
        foreign: usize,
        han: usize,
    },
    /// Tells the agent how to do their job.
    Coaches {
        quote: String,
    },
    /// A number that is nowhere in the scenario nor in what was said.
    InventsFact {
        number: String,
    },
    /// Accepts a remedy the mood model did not accept.
    AcceptsUndecided {
        quote: String,
    },
    /// Ends the conversation while the mood model goes on.
    EndsUndecided {
        quote: String,
    },
    /// Far longer than the one to three sentences asked for.
    TooLong {
        chars: usize,
    },
    /// Cut off at the token limit.
    Truncated,
}

impl AuditFailure {
    /// A stable name for transcripts and tests.
    pub fn code(&self) -> &'static str {
        match self {
            AuditFailure::Empty => "empty",
            AuditFailure::BreaksCharacter { .. } => "breaks_character",
            AuditFailure::NotChinese { .. } => "not_chinese",
            AuditFailure::Coaches { .. } => "coaches",
            AuditFailure::InventsFact { .. } => "invents_fact",
            AuditFailure::AcceptsUndecided { .. } => "accepts_undecided",
            AuditFailure::EndsUndecided { .. } => "ends_undecided",
            AuditFailure::TooLong { .. } => "too_long",
            AuditFailure::Truncated => "truncated",
        }
    }
}

impl fmt::Display for AuditFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuditFailure::Empty => write!(f, "回复是空的"),
            AuditFailure::BreaksCharacter { quote } => write!(f, "跳出了客户的角色（「{quote}」）"),
            AuditFailure::NotChinese { .. } => write!(f, "说的不是中文"),
            AuditFailure::Coaches { quote } => write!(f, "在教客服怎么做（「{quote}」）"),
            AuditFailure::InventsFact { number } => {
                write!(f, "说了场景里没有的数字「{number}」")
            }
            AuditFailure::AcceptsUndecided { quote } => {
                write!(f, "说接受了方案（「{quote}」），可客户并没有接受")
            }
            AuditFailure::EndsUndecided { quote } => {
                write!(f, "说要结束对话（「{quote}」），可对话还没结束")
            }
            AuditFailure::TooLong { chars } => write!(f, "太长了（{chars} 个字）"),
            AuditFailure::Truncated => write!(f, "话没说完就被截断了"),
        }
    }
}

/// A spoken line of one to three sentences is far shorter; the longest shipped offline
/// line (two pool lines joined) is about 120 characters.
pub const MAX_CHARS: usize = 160;

/// Numbers any customer may say: consumer-complaint and emergency hotlines.
const COMMON_NUMBERS: [&str; 4] = ["12315", "12345", "110", "120"];

static BREAKS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)(?:^|[^a-z])(?:ai|llm|gpt|chatgpt|openai|chatbot|prompt|assistant|language model|as an)(?:$|[^a-z])",
        r"|人工智能|语言模型|大模型|智能助手|虚拟(?:助手|客户|人物|角色)",
        r"|(?:我|本人)只?(?:是|不过是)(?:一个|一名|个)?(?:机器人|程序|模型|虚构|虚拟)",
        r"|扮演|角色设定|模拟(?:对话|客户|练习|场景|训练)|陪练|学员|系统提示|提示词",
        r"|(?:以上|上面|之前)的?(?:指令|设定|说明)",
        r"|火气\s*\d|\d+\s*/\s*100|愤怒值|信任值|情绪值|这一轮|【",
    ))
    .expect("static regex")
});

static COACHES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"作为(?:一名|一个)?客服(?:人员)?[,\x{FF0C}]\s*(?:你|您)(?:应该|应当|最好|需要)",
        r"|(?:你|您)(?:应该|应当|需要|可以|要)(?:先|多|学会|试着)?(?:安抚|共情|倾听|复述|表示理解|换位思考)",
        r"|(?:安抚|理解|倾听|体谅|共情)(?:一下)?(?:客户|顾客)|(?:客户|顾客)的(?:情绪|感受|心情)",
        r"|建议(?:你|您)(?:可以|应该|最好)|我的?建议是",
        r"|话术|禁语|服务用语|沟通技巧|投诉处理(?:的)?(?:技巧|流程|步骤)|(?:处理|应对)投诉的?(?:技巧|方法|步骤|流程)",
        r"|下次(?:你|您)?(?:可以|应该|记得)",
    ))
    .expect("static regex")
});

static ACCEPTS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?:接受|同意|认可|答应)了?(?:你们?的|您的|这个|这样的|这种)?(?:方案|处理|办法|安排|解决|条件|提议)",
        r"|就(?:这么|这样)(?:办|定|说定|处理)|就按(?:你|您)们?说的(?:办|来)",
        r"|(?:我|那我)就?(?:满意|放心)了|问题(?:算是|就算|已经|总算)?解决了|那就这样吧|成交|没问题了|可以接受",
        r"|我(?:很|挺|非常|特别|还算|比较)?满意|(?:这事|这件事)就?(?:算了|过去了)",
    ))
    .expect("static regex")
});

static ENDS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"挂了|挂(?:电话|断)|再见|拜拜|告辞|我(?:这就)?走了|到此为止").expect("static regex")
});

/// Words before a match, within its clause, that make it not a statement of fact:
/// negation, a condition, a question.
const NOT_SO: [&str; 13] = [
    "不",
    "没",
    "别",
    "凭什么",
    "怎么",
    "哪",
    "才",
    "除非",
    "如果",
    "要是",
    "休想",
    "难道",
    "让我",
];

/// Checks the lines of one persona and scenario.
#[derive(Debug, Clone)]
pub struct Auditor {
    /// All the text the customer may draw on, lowercased: the persona file's lines and
    /// the scenario, so a word or number they contain is never held against the model.
    corpus: String,
    numbers: HashSet<String>,
}

impl Auditor {
    pub fn new(engine: &Engine<'_>) -> Self {
        let p = engine.persona;
        let sc = engine.scenario;
        let mut corpus = String::new();
        let mut add = |t: &str| {
            corpus.push_str(&sc.fill(t));
            corpus.push('\n');
        };
        for (_, pool) in p.lines.pools() {
            pool.iter().for_each(|l| add(l));
        }
        for t in [&p.name, &p.summary, &p.voice, &p.prompt_notes] {
            add(t);
        }
        p.traits.iter().for_each(|t| add(t));
        p.needs.iter().for_each(|n| add(&n.label));
        add(&p.behaviour.first_remedy_reason);
        for t in [
            &sc.title,
            &sc.industry,
            &sc.brief,
            &sc.product,
            &sc.demand,
            &sc.policy.summary,
        ] {
            add(t);
        }
        sc.slots.values().for_each(|v| add(v));
        sc.facts.iter().for_each(|f| {
            add(&f.label);
            add(&f.answer);
        });
        sc.remedies.iter().for_each(|r| {
            add(&r.label);
            add(&r.reason);
        });
        sc.policy.allows.iter().for_each(|a| add(a));
        let corpus = corpus.to_lowercase();
        let mut numbers: HashSet<String> = digit_runs(&corpus).map(|(_, n, _)| n).collect();
        numbers.extend(COMMON_NUMBERS.iter().map(|n| n.to_string()));
        Self { corpus, numbers }
    }

    /// Check a finished line. `said` is what was said in the session so far (trainee
    /// lines, earlier customer lines): the customer may repeat a number from it.
    pub fn check(&self, line: &str, decision: &Decision, said: &[&str]) -> Vec<AuditFailure> {
        self.run(line, decision, said, true)
    }

    /// Check the beginning of a line still being streamed: only what cannot change with
    /// more text (a number at the very end may still grow, a short start may still
    /// turn Chinese), so a stream can be stopped as soon as it goes wrong.
    pub fn check_partial(
        &self,
        line: &str,
        decision: &Decision,
        said: &[&str],
    ) -> Vec<AuditFailure> {
        self.run(line, decision, said, false)
    }

    fn run(&self, line: &str, d: &Decision, said: &[&str], complete: bool) -> Vec<AuditFailure> {
        let mut out = Vec::new();
        let text = line.trim();
        if text.is_empty() {
            if complete {
                out.push(AuditFailure::Empty);
            }
            return out;
        }
        let lower = text.to_lowercase();
        if let Some(q) = self.first_unknown(&BREAKS, &lower) {
            out.push(AuditFailure::BreaksCharacter { quote: q });
        }
        let (han, foreign) = self.scripts(&lower);
        let minimum = if complete { 6 } else { 12 };
        if (foreign >= minimum && foreign * 2 >= han) || (complete && han == 0 && foreign > 0) {
            out.push(AuditFailure::NotChinese { foreign, han });
        }
        if let Some(q) = self.first_unknown(&COACHES, &lower) {
            out.push(AuditFailure::Coaches { quote: q });
        }
        if let Some(n) = self.unknown_number(&lower, said, complete) {
            out.push(AuditFailure::InventsFact { number: n });
        }
        let accepted = d.moves.iter().any(|m| matches!(m, Move::Accept { .. }));
        if !accepted && let Some(q) = asserted(&ACCEPTS, text) {
            out.push(AuditFailure::AcceptsUndecided { quote: q });
        }
        let ends = matches!(d.outcome, Some(Outcome::WalkedOut | Outcome::OutOfTurns))
            || d.moves.iter().any(|m| matches!(m, Move::Closing));
        if !ends && let Some(q) = asserted(&ENDS, text) {
            out.push(AuditFailure::EndsUndecided { quote: q });
        }
        let chars = text.chars().count();
        if chars > MAX_CHARS {
            out.push(AuditFailure::TooLong { chars });
        }
        out
    }

    /// The first match of `re` that the persona's own text does not contain.
    fn first_unknown(&self, re: &Regex, lower: &str) -> Option<String> {
        re.find_iter(lower)
            .map(|m| m.as_str().trim_matches(|c: char| !c.is_alphanumeric()))
            .find(|m| !m.is_empty() && !self.corpus.contains(m))
            .map(short)
    }

    /// Han characters, and letters of other scripts outside words the persona uses
    /// itself (a product called "iPhone" is not English).
    fn scripts(&self, lower: &str) -> (usize, usize) {
        let mut han = 0;
        let mut foreign = 0;
        let mut word = String::new();
        let flush = |word: &mut String, foreign: &mut usize| {
            if !word.is_empty() && !self.corpus.contains(word.as_str()) {
                *foreign += word.chars().count();
            }
            word.clear();
        };
        for c in lower.chars() {
            if is_han(c) {
                han += 1;
                flush(&mut word, &mut foreign);
            } else if c.is_alphabetic() {
                word.push(c);
            } else {
                flush(&mut word, &mut foreign);
            }
        }
        flush(&mut word, &mut foreign);
        (han, foreign)
    }

    fn unknown_number(&self, lower: &str, said: &[&str], complete: bool) -> Option<String> {
        let mut session: Option<HashSet<String>> = None;
        for (_, n, at_end) in digit_runs(lower) {
            if n.len() < 2 || (at_end && !complete) || self.numbers.contains(&n) {
                continue;
            }
            let known = session.get_or_insert_with(|| {
                said.iter()
                    .flat_map(|s| digit_runs(s).map(|(_, n, _)| n))
                    .collect()
            });
            if !known.contains(&n) {
                return Some(n);
            }
        }
        None
    }
}

/// The first match of `re` that is stated, not negated, conditional or asked.
/// Marks that end a clause, full-width and ASCII (written as escapes: editors and tools
/// fold full-width marks to ASCII without a word, and this list once lost all of them).
const CLAUSE_MARKS: [char; 10] = [
    '\u{FF0C}', ',', '\u{3002}', '!', '\u{FF01}', '?', '\u{FF1F}', ';', '\u{FF1B}', '\u{2026}',
];

fn asserted(re: &Regex, text: &str) -> Option<String> {
    re.find_iter(text)
        .find(|m| {
            let before = &text[..m.start()];
            let clause_start = before.rfind(CLAUSE_MARKS).map_or(0, |i| {
                i + before[i..].chars().next().map_or(1, char::len_utf8)
            });
            let lead = &before[clause_start..];
            let negated = NOT_SO.iter().any(|w| lead.contains(w));
            let after = &text[m.end()..];
            let clause_end = after.find(CLAUSE_MARKS).unwrap_or(after.len());
            let asked = after[clause_end..].starts_with(['?', '\u{FF1F}'])
                || after[..clause_end].contains('吗');
            !negated && !asked
        })
        .map(|m| short(m.as_str()))
}

fn short(s: &str) -> String {
    s.chars().take(20).collect()
}

fn is_han(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}' | '\u{f900}'..='\u{faff}' | '\u{20000}'..='\u{2ffff}')
}

/// Maximal runs of digits (full-width ones read as ASCII): (start, digits, whether the
/// run reaches the end of the text).
fn digit_runs(text: &str) -> impl Iterator<Item = (usize, String, bool)> + '_ {
    let mut chars = text.char_indices().peekable();
    std::iter::from_fn(move || {
        loop {
            let (i, c) = chars.next()?;
            let Some(d) = ascii_digit(c) else { continue };
            let mut run = String::from(d);
            while let Some(&(_, c)) = chars.peek() {
                match ascii_digit(c) {
                    Some(d) => {
                        run.push(d);
                        chars.next();
                    }
                    None => break,
                }
            }
            let at_end = chars.peek().is_none();
            return Some((i, run, at_end));
        }
    })
}

fn ascii_digit(c: char) -> Option<char> {
    match c {
        '0'..='9' => Some(c),
        '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32),
        _ => None,
    }
}

/// The checks that need no persona, for a sample reply (`peilian llm check`): empty,
/// breaks character, not Chinese.
pub fn basic(line: &str) -> Vec<AuditFailure> {
    let auditor = Auditor {
        corpus: String::new(),
        numbers: HashSet::new(),
    };
    let d = Decision {
        moves: vec![Move::Closing],
        outcome: Some(Outcome::Resolved),
    };
    auditor
        .check(line, &d, &[])
        .into_iter()
        .filter(|f| {
            matches!(
                f,
                AuditFailure::Empty
                    | AuditFailure::BreaksCharacter { .. }
                    | AuditFailure::NotChinese { .. }
            )
        })
        .collect()
}

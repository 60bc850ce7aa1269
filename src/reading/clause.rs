//! Clauses and their scope: where one thing said ends and the next begins, and what
//! frames each one — a question, a negation, reported speech, a hypothetical, past or
//! future time.
//!
//! The cues are deliberately lexical and small: they do not decide acts by themselves,
//! they are features the act model weighs (a refusal is an offer's words under
//! negation) and facts the slots read (a past time is no deadline).

use super::normalise::Normalised;

/// One clause of a line, in char indices of the normalised text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Clause {
    /// First char (inclusive) and last char (exclusive), without the closing mark.
    pub start: usize,
    pub end: usize,
    /// The mark that closed it (`,` `.` `?` `!` …), if any.
    pub mark: Option<char>,
    pub cues: Cues,
}

/// Scope cues of a clause, as bit flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cues(pub u16);

impl Cues {
    pub const QUESTION: u16 = 1;
    pub const NEGATED: u16 = 1 << 1;
    pub const REPORTED: u16 = 1 << 2;
    pub const PAST: u16 = 1 << 3;
    pub const FUTURE: u16 = 1 << 4;
    pub const HYPOTHETICAL: u16 = 1 << 5;
    /// 你 rather than 您.
    pub const PLAIN_YOU: u16 = 1 << 6;
    pub const POLITE_YOU: u16 = 1 << 7;
    /// Opened by 但/不过/可是: what follows outweighs what came before.
    pub const CONTRAST: u16 = 1 << 8;
    pub const EXCLAIM: u16 = 1 << 9;
    /// Asks what the customer wants done or thinks should be done (依您看, 您希望……).
    pub const WANTS: u16 = 1 << 10;
    /// A negation character outside the words that negate nothing the act model was
    /// trained with: the model's negation feature. [`NEGATED`](Self::NEGATED), the
    /// scope, also leaves out the words that only look negative (级别, 别人, 非常 …);
    /// the model keeps the feature it learned with until it is retrained on it.
    pub const NEGATION_CHAR: u16 = 1 << 11;
    /// A hypothesis word, 的话 of 话费 included: the model's hypothesis feature, as
    /// [`NEGATION_CHAR`](Self::NEGATION_CHAR) is its negation feature.
    pub const HYPOTHESIS_WORD: u16 = 1 << 12;
    /// A question as the model learned it, 「改变不了什么」 included (see
    /// [`NEGATION_CHAR`](Self::NEGATION_CHAR)).
    pub const QUESTION_FORM: u16 = 1 << 13;
    /// What should have been done and was not (本该, 早该): nothing in the clause is
    /// done or offered. A scope cue the act model does not read (not in [`Self::ALL`]).
    pub const COUNTERFACTUAL: u16 = 1 << 14;

    /// The flag the act model reads for the cue `flag`: the one it was trained with.
    pub fn for_model(flag: u16) -> u16 {
        match flag {
            Self::NEGATED => Self::NEGATION_CHAR,
            Self::HYPOTHETICAL => Self::HYPOTHESIS_WORD,
            Self::QUESTION => Self::QUESTION_FORM,
            f => f,
        }
    }

    /// Every cue with its name, for JSON output and features.
    pub const ALL: [(u16, &'static str); 11] = [
        (Self::QUESTION, "question"),
        (Self::NEGATED, "negated"),
        (Self::REPORTED, "reported"),
        (Self::PAST, "past"),
        (Self::FUTURE, "future"),
        (Self::HYPOTHETICAL, "hypothetical"),
        (Self::PLAIN_YOU, "plain_you"),
        (Self::POLITE_YOU, "polite_you"),
        (Self::CONTRAST, "contrast"),
        (Self::EXCLAIM, "exclaim"),
        (Self::WANTS, "asks_wants"),
    ];

    pub fn has(self, flag: u16) -> bool {
        self.0 & flag != 0
    }

    pub fn names(self) -> impl Iterator<Item = &'static str> {
        Self::ALL
            .into_iter()
            .filter(move |(f, _)| self.has(*f))
            .map(|(_, n)| n)
    }
}

/// Marks that close a clause.
fn is_break(c: char) -> bool {
    matches!(c, ',' | '.' | '?' | '!' | ';' | ':' | '\n' | '~')
}

/// Conjunctions that open a new clause: 「全退做不到但三个月的可以退」.
const CONTRAST: [&str; 5] = ["但是", "不过", "可是", "然而", "但"];

/// Split the normalised line into clauses.
pub fn split(n: &Normalised) -> Vec<Clause> {
    let (mut out, mut cs) = (Vec::new(), Vec::new());
    split_into(n, &mut out, &mut cs);
    out
}

/// [`split`] into `out`, with `cs` as scratch (both cleared first): reading many lines
/// allocates nothing per line.
pub fn split_into(n: &Normalised, out: &mut Vec<Clause>, cs: &mut Vec<char>) {
    out.clear();
    cs.clear();
    cs.extend(n.chars.iter().map(|c| c.c));
    let cs = &cs[..];
    let mut start = 0;
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        // A space between words is a chat-style comma; spaces at the edges are not.
        let space_break = c == ' ' && i > start && i + 1 < cs.len() && cs[i + 1] != ' ';
        if is_break(c) || space_break {
            push(cs, out, start, i, Some(c));
            start = i + 1;
        } else if i > start + 1
            && matches!(c, '但' | '不' | '可' | '然')
            && let Some(w) = CONTRAST.iter().find(|w| starts_with(&cs[i..], w))
        {
            // 「不过」 inside 「不过分」 is no conjunction; a bare 但 needs a clause before it.
            let word_ok = !(*w == "不过" && cs.get(i + 2) == Some(&'分'));
            if word_ok {
                push(cs, out, start, i, None);
                start = i;
                i += 1;
                continue;
            }
        }
        i += 1;
    }
    push(cs, out, start, cs.len(), None);
    if out.is_empty() && !cs.is_empty() {
        out.push(Clause {
            start: 0,
            end: cs.len(),
            mark: None,
            cues: Cues::default(),
        });
    }
}

fn starts_with(cs: &[char], w: &str) -> bool {
    let mut it = cs.iter();
    w.chars().all(|c| it.next() == Some(&c))
}

fn push(cs: &[char], out: &mut Vec<Clause>, start: usize, end: usize, mark: Option<char>) {
    // Trim spaces.
    let (mut s, mut e) = (start, end);
    while s < e && cs[s] == ' ' {
        s += 1;
    }
    while e > s && cs[e - 1] == ' ' {
        e -= 1;
    }
    if s == e {
        // A mark alone (「？」 after a clause) belongs to the clause before it.
        if let (Some(m), Some(last)) = (mark, out.last_mut())
            && matches!(m, '?' | '!')
        {
            last.mark = Some(m);
            last.cues = cues(&cs[last.start..last.end], last.mark);
        }
        return;
    }
    out.push(Clause {
        start: s,
        end: e,
        mark,
        cues: cues(&cs[s..e], mark),
    });
}

/// What a cue word says about its clause.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Word {
    /// Sets cue flags.
    Flag(u16),
    /// A word with a negation character that negates nothing (不好意思, 能不能).
    NotNegation,
    /// The same, for the scope only: [`LOOKS_NEGATIVE`].
    LooksNegative,
    /// Sets [`Cues::COUNTERFACTUAL`]: [`COUNTERFACTUAL`].
    Counterfactual,
}

/// Words with a negation character that negate nothing.
const NOT_NEGATION: &[&str] = &[
    "不过",
    "不好意思",
    "对不起",
    "不客气",
    "不用谢",
    "了不起",
    "不错",
    "不少",
    "不断",
    "不久",
    "没关系",
    "不管怎样",
    "不论",
    "差不多",
    "要不然",
    "要不要",
    "行不行",
    "能不能",
    "是不是",
    "可不可以",
    "好不好",
    "对不对",
    "有没有",
    "会不会",
    "愿不愿意",
    "方不方便",
    "满不满意",
    "清不清楚",
    "需不需要",
    "在不在",
    "用不用",
    "可以不可以",
    // "Free of charge": the offer is what the clause says (「升级程序都不收钱」).
    "不收钱",
    "不收费",
    "不收取",
    "不收您",
    "不另收",
    "不加收",
    "不额外收",
    "不花钱",
    "不要钱",
    "不用花钱",
    "不用出钱",
    "不用掏钱",
    "不用付",
    "不用您花",
    "不用您出",
    "不用您付",
    "不用您掏",
    "不用您承担",
    "不需要您承担",
    "不需要您付",
    "分文不取",
];

/// Words that only look negative, for the scope alone (see [`Cues::NEGATION_CHAR`]):
/// 非常 (very), 特别, 级别 …, 别人 (others), 未来, 无论, 无条件/无偿 (an offer without
/// conditions or charge), 没问题, 不仅/不但.
const LOOKS_NEGATIVE: &[&str] = &[
    "非常",
    "特别",
    "级别",
    "类别",
    "区别",
    "个别",
    "分别",
    "差别",
    "性别",
    "告别",
    "识别",
    "辨别",
    "鉴别",
    "别人",
    "别的",
    "别家",
    "别处",
    "未来",
    "无论",
    "无条件",
    "无偿",
    "没问题",
    "不仅",
    "不但",
];

const QUESTION_WORDS: &[&str] = &[
    "什么",
    "多少",
    "哪",
    "几点",
    "几号",
    "几天",
    "几个",
    "几次",
    "几月",
    "几年",
    "怎么",
    "怎样",
    "如何",
    "为什么",
    "为啥",
    "是否",
    "请问",
    "啥",
    "咋",
    "吗",
    "有没有",
];

const REPORTED: &[&str] = &[
    "您说",
    "您是说",
    "您刚才说",
    "您提到",
    "您反映",
    "据您说",
    "您的意思是",
    "你说",
    "你是说",
    "他们说",
    "他说",
    "她说",
    "让您",
    "叫您",
    "说您",
    "跟您说",
];

const PAST: &[&str] = &[
    "上周",
    "昨天",
    "前天",
    "刚才",
    "当时",
    "那天",
    "去年",
    "上个月",
    "上次",
    "已经",
    "之前",
    "那会",
    "以前",
    "买的",
    "来的",
];

/// What should have been done and was not (「本该马上给您调工位」): supposed, not done
/// nor offered. A scope cue only: the act model never learned it as a feature.
const COUNTERFACTUAL: &[&str] = &["本该", "本应", "本来应该", "本来该", "早该", "早就该"];

const FUTURE: &[&str] = &[
    "明天",
    "后天",
    "下周",
    "下个月",
    "以内",
    "之内",
    "之前给",
    "前给",
    "会",
    "将",
    "马上",
    "稍后",
    "待会",
    "回头",
    "尽快",
    "今天",
];

/// Questions about what the customer wants, which a customer answers with the demand.
const WANTS: &[&str] = &[
    "依您看",
    "依你看",
    "照您看",
    "按您的意思",
    "您希望",
    "你希望",
    "您想怎么",
    "您想要",
    "您打算",
    "您觉得怎么",
    "您看怎么",
    "您觉得该",
    "有什么要求",
    "您的诉求",
    "您的要求",
    "您的期望",
];

const HYPOTHETICAL: &[&str] = &["如果", "要是", "假如", "万一", "的话", "若是"];

/// A pseudo-flag for WANTS words: set only in a question.
const WANTS_WORD: u16 = 1 << 15;

/// The cue words (every list above, with what each says), in one order.
fn cue_word_list() -> Vec<(&'static str, Word)> {
    let mut out = Vec::new();
    let mut add = |list: &[&'static str], w: Word| {
        for p in list {
            out.push((*p, w));
        }
    };
    add(NOT_NEGATION, Word::NotNegation);
    add(LOOKS_NEGATIVE, Word::LooksNegative);
    add(QUESTION_WORDS, Word::Flag(Cues::QUESTION));
    add(REPORTED, Word::Flag(Cues::REPORTED));
    add(PAST, Word::Flag(Cues::PAST));
    add(FUTURE, Word::Flag(Cues::FUTURE));
    add(HYPOTHETICAL, Word::Flag(Cues::HYPOTHETICAL));
    add(COUNTERFACTUAL, Word::Counterfactual);
    add(WANTS, Word::Flag(WANTS_WORD));
    add(&["你"], Word::Flag(Cues::PLAIN_YOU));
    add(&["您"], Word::Flag(Cues::POLITE_YOU));
    out
}

/// The cue words as one automaton: the reference scan, used when a clause holds more
/// words that negate nothing than [`cues`] keeps.
struct CueAutomaton {
    ac: aho_corasick::AhoCorasick,
    words: Vec<Word>,
}

static CUE_AUTOMATON: std::sync::LazyLock<CueAutomaton> = std::sync::LazyLock::new(|| {
    let (pats, words): (Vec<&str>, Vec<Word>) = cue_word_list().into_iter().unzip();
    CueAutomaton {
        ac: aho_corasick::AhoCorasick::new(&pats).expect("cue words build"),
        words,
    }
});

/// Longest cue word, in chars.
const MAX_CUE: usize = 8;

/// One cue word as chars.
struct CueWord {
    chars: [char; MAX_CUE],
    len: usize,
    word: Word,
}

/// The cue words grouped by their last character, so a clause is scanned char by char
/// without building a string: most characters end no cue word and cost one probe of a
/// small table.
struct CueWords {
    /// Sorted by (last char, longer first).
    words: Vec<CueWord>,
    /// Open addressing on the last char: (char, range of `words`), `'\0'` for empty.
    table: [(char, u16, u16); CUE_TABLE],
}

const CUE_TABLE: usize = 512;

fn cue_slot(c: char) -> usize {
    ((c as u32).wrapping_mul(0x9E37_79B1) >> 23) as usize % CUE_TABLE
}

impl CueWords {
    fn ending_in(&self, c: char) -> &[CueWord] {
        let mut s = cue_slot(c);
        loop {
            let (k, a, b) = self.table[s];
            if k == c {
                return &self.words[a as usize..b as usize];
            }
            if k == '\0' {
                return &[];
            }
            s = (s + 1) % CUE_TABLE;
        }
    }
}

static CUE_WORDS: std::sync::LazyLock<CueWords> = std::sync::LazyLock::new(|| {
    let mut words: Vec<CueWord> = cue_word_list()
        .into_iter()
        .map(|(p, word)| {
            let mut chars = ['\0'; MAX_CUE];
            let mut len = 0;
            for c in p.chars() {
                chars[len] = c;
                len += 1;
            }
            CueWord { chars, len, word }
        })
        .collect();
    // Stable: equal words keep their list order.
    words.sort_by(|a, b| {
        (a.chars[a.len - 1], std::cmp::Reverse(a.len))
            .cmp(&(b.chars[b.len - 1], std::cmp::Reverse(b.len)))
    });
    let mut last: Vec<(char, usize, usize)> = Vec::new();
    for (i, w) in words.iter().enumerate() {
        let c = w.chars[w.len - 1];
        match last.last_mut() {
            Some(l) if l.0 == c => l.2 = i + 1,
            _ => last.push((c, i, i + 1)),
        }
    }
    let mut table = [('\0', 0u16, 0u16); CUE_TABLE];
    for (c, a, b) in last {
        let mut s = cue_slot(c);
        while table[s].0 != '\0' {
            s = (s + 1) % CUE_TABLE;
        }
        table[s] = (c, a as u16, b as u16);
    }
    CueWords { words, table }
});

/// A-not-A questions: 能不能, 是不是, 有没有, 行不行.
fn a_not_a(cs: &[char]) -> bool {
    cs.windows(3)
        .any(|w| w[0] == w[2] && (w[1] == '不' || w[1] == '没') && w[0] != '不')
}

fn is_negation(c: char) -> bool {
    matches!(c, '不' | '没' | '无' | '未' | '别' | '甭' | '非')
}

/// How many words whose negation character negates nothing a clause remembers.
const COVERED: usize = 8;

fn cues(cs: &[char], mark: Option<char>) -> Cues {
    let cw = &*CUE_WORDS;
    let mut f = 0u16;
    let mut covered: [(usize, usize, bool); COVERED] = [(0, 0, false); COVERED];
    let mut n_covered = 0;
    for e in 1..=cs.len() {
        for w in cw.ending_in(cs[e - 1]) {
            // The last char matched already.
            if w.len > e || (1..w.len).any(|k| cs[e - 1 - k] != w.chars[w.len - 1 - k]) {
                continue;
            }
            match w.word {
                // 「您反映的情况」「您说的问题」 name the matter; they report nothing.
                Word::Flag(Cues::REPORTED) if cs.get(e) == Some(&'\u{7684}') => {}
                Word::Flag(Cues::HYPOTHETICAL) if names_a_thing(cs[e - 1], cs.get(e).copied()) => {
                    f |= Cues::HYPOTHESIS_WORD;
                }
                Word::Flag(Cues::HYPOTHETICAL) => f |= Cues::HYPOTHETICAL | Cues::HYPOTHESIS_WORD,
                // 「改变不了什么」「没什么」: 什么 after a negation means "anything".
                Word::Flag(Cues::QUESTION)
                    if indefinite(&cs[..e - w.len], &cs[e - w.len..e], &cs[e..], mark) =>
                {
                    f |= Cues::QUESTION_FORM;
                }
                Word::Flag(Cues::QUESTION) => f |= Cues::QUESTION | Cues::QUESTION_FORM,
                Word::Flag(x) => f |= x,
                Word::Counterfactual => f |= Cues::COUNTERFACTUAL,
                Word::NotNegation | Word::LooksNegative => {
                    if n_covered == COVERED {
                        // Which eight count depends on the automaton's order.
                        return cues_automaton(cs, mark);
                    }
                    covered[n_covered] = (e - w.len, e, w.word == Word::NotNegation);
                    n_covered += 1;
                }
            }
        }
    }
    let negated = |for_model: bool| {
        cs.iter().enumerate().any(|(i, &c)| {
            is_negation(c)
                && !(covered[..n_covered].iter())
                    .any(|&(a, b, old)| (old || !for_model) && a <= i && i < b)
        })
    };
    finish_cues(cs, mark, f, negated(false), negated(true))
}

/// Whether the question word `word`, after `before` and before `after` in a clause
/// closed by `mark`, asks nothing: 什么 right after a negation (「录了也改变不了什么」
/// 「没什么」「不算什么」) means "anything", and so does 什么 ending a clause that is no
/// question and says what cannot be done (「我不能在电话里许诺什么」, a 有社会背景 script:
/// the customer had answered it as a question about their losses).
fn indefinite(before: &[char], word: &[char], after: &[char], mark: Option<char>) -> bool {
    /// 不能 不会 不敢 不用 不必 没法 无法
    const CANNOT: [[char; 2]; 7] = [
        ['\u{4E0D}', '\u{80FD}'],
        ['\u{4E0D}', '\u{4F1A}'],
        ['\u{4E0D}', '\u{6562}'],
        ['\u{4E0D}', '\u{7528}'],
        ['\u{4E0D}', '\u{5FC5}'],
        ['\u{6CA1}', '\u{6CD5}'],
        ['\u{65E0}', '\u{6CD5}'],
    ];
    word == ['\u{4EC0}', '\u{4E48}']
        && (before.ends_with(&['\u{4E0D}', '\u{4E86}'])
            || before.ends_with(&['\u{6CA1}'])
            || before.ends_with(&['\u{6CA1}', '\u{6709}'])
            || before.ends_with(&['\u{4E0D}', '\u{662F}'])
            || before.ends_with(&['\u{4E0D}', '\u{7B97}'])
            || (after.is_empty()
                && !matches!(mark, Some('?' | '\u{FF1F}'))
                && before.windows(2).any(|w| CANNOT.iter().any(|c| w == c))))
}

/// Whether a hypothetical cue ending in `last` and followed by `next` is the start of
/// a noun instead: 「您的话费账户」「我的话筒」 suppose nothing (的 + 话费).
fn names_a_thing(last: char, next: Option<char>) -> bool {
    // 话 + 费 筒 术 题 单 语 音 (话费, 话筒, 话术, 话题, 话单, 话语, 话音)
    last == '\u{8BDD}'
        && next.is_some_and(|c| {
            matches!(
                c,
                '\u{8D39}'
                    | '\u{7B52}'
                    | '\u{672F}'
                    | '\u{9898}'
                    | '\u{5355}'
                    | '\u{8BED}'
                    | '\u{97F3}'
            )
        })
}

/// [`cues`] by the automaton over the clause as a string.
fn cues_automaton(cs: &[char], mark: Option<char>) -> Cues {
    let text: String = cs.iter().collect();
    let cw = &*CUE_AUTOMATON;
    let mut f = 0u16;
    // Byte ranges of words whose negation character negates nothing.
    let mut covered: [(usize, usize, bool); COVERED] = [(0, 0, false); COVERED];
    let mut n_covered = 0;
    // [`indefinite`] on a match's byte range, read on the clause's chars.
    let indefinite_at = |s: usize, e: usize| {
        let (a, b) = (text[..s].chars().count(), text[..e].chars().count());
        indefinite(&cs[..a], &cs[a..b], &cs[b..], mark)
    };
    for m in cw.ac.find_overlapping_iter(&text) {
        match cw.words[m.pattern().as_usize()] {
            // 「您反映的情况」「您说的问题」 name the matter; they report nothing.
            Word::Flag(Cues::REPORTED) if text[m.end()..].starts_with('\u{7684}') => {}
            Word::Flag(Cues::HYPOTHETICAL)
                if names_a_thing(
                    text[..m.end()].chars().next_back().unwrap_or_default(),
                    text[m.end()..].chars().next(),
                ) =>
            {
                f |= Cues::HYPOTHESIS_WORD;
            }
            Word::Flag(Cues::HYPOTHETICAL) => f |= Cues::HYPOTHETICAL | Cues::HYPOTHESIS_WORD,
            Word::Flag(Cues::QUESTION) if indefinite_at(m.start(), m.end()) => {
                f |= Cues::QUESTION_FORM;
            }
            Word::Flag(Cues::QUESTION) => f |= Cues::QUESTION | Cues::QUESTION_FORM,
            Word::Flag(x) => f |= x,
            Word::Counterfactual => f |= Cues::COUNTERFACTUAL,
            w @ (Word::NotNegation | Word::LooksNegative) => {
                if n_covered < covered.len() {
                    covered[n_covered] = (m.start(), m.end(), w == Word::NotNegation);
                    n_covered += 1;
                }
            }
        }
    }
    let negated = |for_model: bool| {
        text.char_indices().any(|(i, c)| {
            is_negation(c)
                && !(covered[..n_covered].iter())
                    .any(|&(a, b, old)| (old || !for_model) && a <= i && i < b)
        })
    };
    finish_cues(cs, mark, f, negated(false), negated(true))
}

/// Whether the clause is only a confirmation tag (「对吧」, 「是吧」, 「没错吧」,
/// 「是这样吧」): it asks whatever its final mark, and 「……，对吧。」 typed with a full stop
/// checks the story as 「……，对吧？」 does. Not a cue: the cues are the reading model's
/// features, and retrained with this one the model read every held-out table about half
/// a point less precisely.
pub(crate) fn is_tag(cs: &[char]) -> bool {
    const TAGS: [&str; 4] = [
        "\u{5BF9}\u{5427}",                 // 对吧
        "\u{662F}\u{5427}",                 // 是吧
        "\u{6CA1}\u{9519}\u{5427}",         // 没错吧
        "\u{662F}\u{8FD9}\u{6837}\u{5427}", // 是这样吧
    ];
    TAGS.iter().any(|t| t.chars().eq(cs.iter().copied()))
}

/// The cues that follow from the clause's words (`f`, with the WANTS pseudo-flag) and
/// its shape.
fn finish_cues(
    cs: &[char],
    mark: Option<char>,
    mut f: u16,
    negation: bool,
    negation_char: bool,
) -> Cues {
    if negation {
        f |= Cues::NEGATED;
    }
    if negation_char {
        f |= Cues::NEGATION_CHAR;
    }
    let wants = f & WANTS_WORD != 0;
    f &= !WANTS_WORD;
    // A final 呢 after 的 or 了 is the chat agent's softener, not a question
    // (「会报到我们质量部门的呢」, 「已经给您发货了呢」); a clause with a question word
    // is a question by that word already.
    let softener = cs.len() >= 2 && matches!(cs[cs.len() - 2], '的' | '了');
    let tail_particle = match cs.last() {
        Some('吗') => true,
        // A final 么 as a particle (「行么」), not the end of 什么, 这么, 那么 …: a
        // question word asks by itself, unless it means "anything" (「改变不了什么」).
        Some('么') => {
            !(cs.len() >= 2 && matches!(cs[cs.len() - 2], '什' | '怎' | '这' | '那' | '多' | '要'))
        }
        Some('呢') => !softener,
        _ => false,
    };
    if mark == Some('?') || tail_particle || a_not_a(cs) {
        f |= Cues::QUESTION | Cues::QUESTION_FORM;
    }
    if cs.last() == Some(&'么') {
        f |= Cues::QUESTION_FORM;
    }
    if f & Cues::PAST == 0 && cs.contains(&'过') && !cs.windows(2).any(|w| w == ['不', '过']) {
        f |= Cues::PAST;
    }
    // A clause opened by a bare 可 turns too (「可这么明显的问题都没看出来」), unless the
    // 可 starts a word (可以, 可能, 可惜 …).
    let bare_ke = cs.first() == Some(&'可')
        && !cs
            .get(1)
            .is_some_and(|c| "以能否靠爱怜惜口笑观信".contains(*c));
    if bare_ke || CONTRAST.iter().any(|w| starts_with(cs, w)) {
        f |= Cues::CONTRAST;
    }
    if mark == Some('!') {
        f |= Cues::EXCLAIM;
    }
    if f & Cues::QUESTION != 0 && wants {
        f |= Cues::WANTS;
    }
    Cues(f)
}

#[cfg(test)]
mod tests {
    use super::super::normalise::normalise;
    use super::*;

    fn clauses(t: &str) -> Vec<(String, Cues)> {
        let n = normalise(t);
        split(&n)
            .into_iter()
            .map(|c| {
                (
                    n.chars[c.start..c.end].iter().map(|x| x.c).collect(),
                    c.cues,
                )
            })
            .collect()
    }

    #[test]
    fn splits_on_marks_spaces_and_contrast() {
        let c = clauses("一年的全退我做不到 但有争议的三个月可以退");
        let texts: Vec<&str> = c.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(texts, ["一年的全退我做不到", "但有争议的三个月可以退"]);
        assert!(c[0].1.has(Cues::NEGATED));
        assert!(!c[1].1.has(Cues::NEGATED));
        assert!(c[1].1.has(Cues::CONTRAST));
        let c = clauses("全退做不到但三个月的可以退");
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn questions_of_every_form() {
        for q in [
            "孩子伤到哪儿了",
            "您希望我们怎么处理\u{FF1F}",
            "能不能给您换一台",
            "是上周买的吗",
            "有没有小票",
        ] {
            assert!(clauses(q)[0].1.has(Cues::QUESTION), "{q}");
        }
        assert!(!clauses("我们给您换一台")[0].1.has(Cues::QUESTION));
        // The chat softener 的呢 / 了呢 asks nothing; a question word still asks.
        assert!(!clauses("会报到我们质量部门的呢")[0].1.has(Cues::QUESTION));
        assert!(!clauses("已经给您发货了呢")[0].1.has(Cues::QUESTION));
        assert!(clauses("那价格呢")[0].1.has(Cues::QUESTION));
        // 什么 after a negation means "anything".
        assert!(!clauses("录了也改变不了什么")[0].1.has(Cues::QUESTION));
        // 我不能在电话里许诺什么； / 您不能接受什么？
        let cannot = "\u{6211}\u{4E0D}\u{80FD}\u{5728}\u{7535}\u{8BDD}\u{91CC}\u{8BB8}\u{8BFA}\u{4EC0}\u{4E48}\u{FF1B}";
        assert!(!clauses(cannot)[0].1.has(Cues::QUESTION));
        assert!(clauses(cannot)[0].1.has(Cues::QUESTION_FORM));
        let asks = "\u{60A8}\u{4E0D}\u{80FD}\u{63A5}\u{53D7}\u{4EC0}\u{4E48}\u{FF1F}";
        assert!(clauses(asks)[0].1.has(Cues::QUESTION));
        assert!(!clauses("这没什么大不了的")[0].1.has(Cues::QUESTION));
        assert!(clauses("您想要什么样的处理")[0].1.has(Cues::QUESTION));
        assert!(clauses("怎么又坏了呢")[0].1.has(Cues::QUESTION));
    }

    #[test]
    fn negation_and_its_false_friends() {
        assert!(clauses("全额退款这个我确实办不了")[0].1.has(Cues::NEGATED));
        assert!(clauses("换新是不行的")[0].1.has(Cues::NEGATED));
        for t in [
            "能不能给您换一台",
            "不好意思让您久等了",
            "对不起",
            "行不行",
            "换油和升级程序都不收钱",
            "检测费用不用您承担",
            "修理期间提供同级别代步车",
            "未来三天给您答复",
            "别人的车也是这么修的",
            "没问题，给您换",
        ] {
            assert!(!clauses(t)[0].1.has(Cues::NEGATED), "{t}");
        }
    }

    #[test]
    fn hypothesis_and_its_false_friends() {
        assert!(
            clauses("您要是不满意的话可以再来")[0]
                .1
                .has(Cues::HYPOTHETICAL)
        );
        assert!(clauses("如果今天修不好")[0].1.has(Cues::HYPOTHETICAL));
        // 的 + 话费/话题: a noun, not 「……的话」.
        for t in [
            "把最近三个月的30块退回您的话费账户",
            "这是我的话题",
            "您的话单我打出来了",
        ] {
            assert!(!clauses(t)[0].1.has(Cues::HYPOTHETICAL), "{t}");
        }
    }

    #[test]
    fn what_should_have_been_done_is_counterfactual() {
        for t in [
            "本该马上给您调优先工位",
            "早就该给您换了",
            "本来应该当场给您登记",
        ] {
            assert!(clauses(t)[0].1.has(Cues::COUNTERFACTUAL), "{t}");
        }
        for t in ["马上给您调优先工位", "本周内给您换好"] {
            assert!(!clauses(t)[0].1.has(Cues::COUNTERFACTUAL), "{t}");
        }
    }

    #[test]
    fn the_char_scan_reads_cues_as_the_automaton_does() {
        // Clauses pieced together from whole cue words and single characters, so words
        // overlap, nest and repeat (more than eight words that negate nothing, too).
        let words: Vec<Vec<char>> = cue_word_list()
            .iter()
            .map(|(w, _)| w.chars().collect())
            .chain("的过可以但是不没好吗呢么费题了有".chars().map(|c| vec![c]))
            .collect();
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for round in 0..30_000 {
            let pieces = next() % if round % 10 == 0 { 40 } else { 8 };
            let mut cs: Vec<char> = Vec::new();
            for _ in 0..pieces {
                let w = &words[(next() % words.len() as u64) as usize];
                // Sometimes only part of a word, so near misses occur too.
                let take = if next() % 4 == 0 {
                    1 + (next() % w.len() as u64) as usize
                } else {
                    w.len()
                };
                cs.extend(&w[..take]);
            }
            for mark in [None, Some('?'), Some('!'), Some(',')] {
                assert_eq!(cues(&cs, mark), cues_automaton(&cs, mark), "{cs:?}");
            }
        }
    }

    #[test]
    fn a_lone_question_mark_joins_its_clause() {
        let c = clauses("您是说维修站让您自己想办法 \u{FF1F}");
        assert_eq!(c.len(), 1);
        assert!(c[0].1.has(Cues::QUESTION));
        assert!(c[0].1.has(Cues::REPORTED));
    }
}

//! Slots: what an offer, refusal or commitment is about — an amount of money, a time
//! (and whether it lies ahead or is already past), who is to act.
//!
//! They are read from the clause the act stands in. A past time is reported, never
//! promised: 「您是上周三晚上九点来的吧」 mentions a time and commits to nothing.

use serde::{Deserialize, Serialize};

/// When a time lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tense {
    Past,
    Future,
}

/// A time expression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeSlot {
    /// The words, as normalised.
    pub text: String,
    pub tense: Tense,
    /// For a future time: roughly how many hours from now it falls, where the words say
    /// (「两小时内」 2, 「明天」 24, 「三个工作日」 72).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within_hours: Option<f64>,
}

/// Who is to act.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Who {
    Agent,
    Customer,
}

/// The slots of one clause.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Slots {
    /// Money in yuan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<TimeSlot>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub who: Option<Who>,
    /// The scenario's remedy this offer or refusal is about, when read with a scene.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remedy: Option<String>,
}

impl Slots {
    pub fn is_empty(&self) -> bool {
        *self == Slots::default()
    }
}

fn digit(c: char) -> Option<u64> {
    Some(match c {
        '零' | '〇' => 0,
        '一' | '壹' => 1,
        '二' | '两' | '贰' => 2,
        '三' | '叁' => 3,
        '四' | '肆' => 4,
        '五' | '伍' => 5,
        '六' | '陆' => 6,
        '七' | '柒' => 7,
        '八' | '捌' => 8,
        '九' | '玖' => 9,
        _ => return None,
    })
}

fn is_num_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_digit() || c == '.';
    }
    digit(c).is_some() || matches!(c, '十' | '百' | '千' | '万' | '拾' | '佰' | '仟')
}

/// The value of a Chinese numeral such as 一千五, 两百, 三十五, 一万二.
fn chinese_value(s: &[char]) -> Option<f64> {
    let mut total = 0u64;
    let mut section = 0u64;
    let mut cur: Option<u64> = None;
    let mut last_unit = 1u64;
    for &c in s {
        if let Some(d) = digit(c) {
            cur = Some(d);
            continue;
        }
        let unit = match c {
            '十' | '拾' => 10,
            '百' | '佰' => 100,
            '千' | '仟' => 1000,
            '万' => 10_000,
            _ => return None,
        };
        if unit == 10_000 {
            section += cur.take().unwrap_or(0);
            total += section.max(1) * 10_000;
            section = 0;
        } else {
            section += cur.take().unwrap_or(1) * unit;
        }
        last_unit = unit;
    }
    // 一千五 is 1500: a trailing digit after a unit is one unit lower.
    if let Some(d) = cur {
        section += if last_unit >= 10 && s.len() >= 2 && total + section > 0 {
            d * (last_unit / 10).max(1)
        } else {
            d
        };
    }
    let v = total + section;
    (v > 0 || s.iter().any(|&c| digit(c) == Some(0))).then_some(v as f64)
}

/// Parse a number written in digits (with 万) or Chinese numerals.
fn number(s: &[char]) -> Option<f64> {
    if s.is_empty() {
        return None;
    }
    if s[0].is_ascii_digit() {
        let n: String = s
            .iter()
            .take_while(|c| c.is_ascii_digit() || **c == '.')
            .collect();
        let mut v: f64 = n.trim_end_matches('.').parse().ok()?;
        if s.get(n.chars().count()) == Some(&'万') {
            v *= 10_000.0;
        }
        return Some(v);
    }
    chinese_value(s)
}

/// Number runs in `cs`: (start, end) char indices.
fn number_runs(cs: &[char]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < cs.len() {
        if is_num_char(cs[i]) && cs[i] != '.' {
            let s = i;
            while i < cs.len() && is_num_char(cs[i]) {
                i += 1;
            }
            out.push((s, i));
        } else {
            i += 1;
        }
    }
    out
}

fn starts(cs: &[char], at: usize, w: &str) -> bool {
    let mut it = cs[at.min(cs.len())..].iter();
    w.chars().all(|c| it.next() == Some(&c))
}

/// Which chars a clause holds, as bit `c % 64`: a word whose first char is missing
/// is ruled out without a scan.
fn char_mask(cs: &[char]) -> u64 {
    cs.iter().fold(0, |m, &c| m | 1 << (c as u32 % 64))
}

/// Whether `cs` (whose [`char_mask`] is `has`) contains the word `w`.
fn contains(cs: &[char], has: u64, w: &str) -> bool {
    let mut it = w.chars();
    let Some(first) = it.next() else {
        return !cs.is_empty();
    };
    if has & 1 << (first as u32 % 64) == 0 {
        return false;
    }
    // Only where the first char matches is the rest compared.
    let rest = it.as_str();
    cs.iter()
        .enumerate()
        .any(|(i, &c)| c == first && starts(cs, i + 1, rest))
}

/// Money: a number followed by 元/块/块钱, or after ¥; the first the clause names.
fn amount(cs: &[char], runs: &[(usize, usize)]) -> Option<f64> {
    runs.iter().find_map(|&(s, e)| money(cs, s, e))?
}

/// Every sum of money in the clause, in order: a clause that walks through the sum
/// (「每月15元八个月一共120元都退给您」) names more than the one offered.
fn amounts<'a>(cs: &'a [char], runs: &'a [(usize, usize)]) -> impl Iterator<Item = f64> + 'a {
    runs.iter().filter_map(|&(s, e)| money(cs, s, e).flatten())
}

/// The number run `s..e` as money: `None` when no unit follows it (not money),
/// `Some(None)` when it is money but not a number we read.
fn money(cs: &[char], s: usize, e: usize) -> Option<Option<f64>> {
    let after_unit = ["元", "块", "圆", "rmb"].iter().any(|u| starts(cs, e, u));
    let yen = s > 0 && matches!(cs[s - 1], '¥' | '\u{FFE5}');
    if !(after_unit || yen) {
        return None;
    }
    // 三块五: 3.5.
    Some(number(&cs[s..e]).map(|mut v| {
        if starts(cs, e, "块")
            && let Some(d) = cs.get(e + 1).and_then(|&c| digit(c))
        {
            v += d as f64 / 10.0;
        }
        v
    }))
}

/// Every sum of money a stretch of text names, in order (normalised chars).
pub(super) fn amounts_in(cs: &[char]) -> Vec<f64> {
    let runs = number_runs(cs);
    amounts(cs, &runs).collect()
}

const PAST_WORDS: [&str; 13] = [
    "昨天",
    "前天",
    "上周",
    "上星期",
    "上礼拜",
    "上个月",
    "去年",
    "刚才",
    "那天",
    "当时",
    "前几天",
    "上次",
    "早上来",
];

/// 两, and what makes 两天 mean "a day or two, some time" before it: 这, 过, 近.
const TWO: char = '\u{4E24}';
const VAGUE_BEFORE_TWO: [char; 3] = ['\u{8FD9}', '\u{8FC7}', '\u{8FD1}'];

/// 半, as in 半小时 and 半个工作日.
const HALF: char = '\u{534A}';

/// Units of a duration, with hours per unit.
const DURATIONS: [(&str, f64); 10] = [
    ("个工作日", 24.0),
    ("工作日", 24.0),
    ("个小时", 1.0),
    ("小时", 1.0),
    ("分钟", 1.0 / 60.0),
    ("个星期", 168.0),
    ("星期", 168.0),
    ("周", 168.0),
    ("个月", 720.0),
    ("天", 24.0),
];

/// Days named by a word, with hours from now to their end (roughly). 当天, 次日 name
/// the day by an event (「到账当天我给您回电话」): a customer can hold the agent to them
/// as to 明天.
const DAYS: [(&str, f64); 16] = [
    ("今天", 8.0),
    ("当天", 24.0),
    ("当日", 24.0),
    ("次日", 48.0),
    ("第二天", 48.0),
    ("今晚", 10.0),
    ("下班前", 8.0),
    ("明天", 24.0),
    ("明早", 18.0),
    ("后天", 48.0),
    ("大后天", 72.0),
    ("本周", 72.0),
    ("这周", 72.0),
    ("下周", 168.0),
    ("月底", 360.0),
    ("周末", 96.0),
];

fn time(cs: &[char], has: u64, runs: &[(usize, usize)]) -> Option<TimeSlot> {
    let text = |s: usize, e: usize| cs[s..e.min(cs.len())].iter().collect::<String>();
    let past_word = PAST_WORDS.iter().find(|w| contains(cs, has, w));
    // Durations: 两小时内, 三个工作日, 24小时之内, 半小时 (半 on its own is half of
    // one); 三天前 is past.
    let halves = (0..cs.len())
        .filter(|&i| cs[i] == HALF && (i == 0 || !is_num_char(cs[i - 1])))
        .map(|i| (i, i + 1));
    for (s, e) in runs.iter().copied().chain(halves) {
        for (unit, hours) in DURATIONS {
            if !starts(cs, e, unit) {
                continue;
            }
            let end = e + unit.chars().count();
            let n = if cs[s] == HALF {
                0.5
            } else {
                number(&cs[s..e]).unwrap_or(1.0)
            };
            if starts(cs, end, "前") && !starts(cs, end, "前给") {
                return Some(TimeSlot {
                    text: text(s, end + 1),
                    tense: Tense::Past,
                    within_hours: None,
                });
            }
            let tail = ["内", "之内", "以内", "后", "之后", "左右"]
                .iter()
                .find(|t| starts(cs, end, t))
                .map_or(0, |t| t.chars().count());
            // 这两天, 过两天, 近两天 with no 内 after them say "soon", no time to hold
            // anyone to (两天内 does).
            if tail == 0
                && unit == "天"
                && e == s + 1
                && cs[s] == TWO
                && s > 0
                && VAGUE_BEFORE_TWO.contains(&cs[s - 1])
            {
                continue;
            }
            if past_word.is_some() || (tail == 0 && contains(cs, has, "了")) {
                return Some(TimeSlot {
                    text: text(s, end + tail),
                    tense: Tense::Past,
                    within_hours: None,
                });
            }
            return Some(TimeSlot {
                text: text(s, end + tail),
                tense: Tense::Future,
                within_hours: Some(n * hours),
            });
        }
    }
    if let Some(w) = past_word {
        return Some(TimeSlot {
            text: w.to_string(),
            tense: Tense::Past,
            within_hours: None,
        });
    }
    // Named days and clock times: 明天上午十点, 12月8号, 下午三点半, 周五前.
    let day = DAYS.iter().find(|(w, _)| contains(cs, has, w));
    let clock = runs
        .iter()
        .copied()
        .find(|&(_, e)| ["点", "号", "日", "月"].iter().any(|u| starts(cs, e, u)));
    let weekday = (0..cs.len()).find(|&i| {
        (starts(cs, i, "周") || starts(cs, i, "星期") || starts(cs, i, "礼拜"))
            && cs
                .get(i + if cs[i] == '周' { 1 } else { 2 })
                .is_some_and(|c| "一二三四五六日天".contains(*c))
    });
    if day.is_none() && clock.is_none() && weekday.is_none() {
        return None;
    }
    let (s, e, hours) = match (day, clock, weekday) {
        (Some((w, h)), _, _) => {
            let s = (0..cs.len()).find(|&i| starts(cs, i, w)).unwrap_or(0);
            (s, s + w.chars().count(), Some(*h))
        }
        (None, Some((s, e)), _) => (s, e + 1, None),
        (None, None, Some(i)) => (i, i + 3, Some(120.0)),
        _ => return None,
    };
    // 「您是12号来的」: a time with 来的/买的/的时候 or 了 and no promise is past.
    let promise = [
        "前", "之前", "以前", "给您", "帮您", "会", "回复", "回电", "到账", "送到", "上门", "联系",
    ]
    .iter()
    .any(|w| contains(cs, has, w));
    let told = ["来的", "买的", "的时候", "办的", "打的", "送来", "发生"]
        .iter()
        .any(|w| contains(cs, has, w))
        || (contains(cs, has, "了") && !promise);
    let tense = if told && !promise {
        Tense::Past
    } else {
        Tense::Future
    };
    // Extend over the clock time that follows the day word (明天上午十点前).
    let mut end = e;
    while end < cs.len() && !matches!(cs[end], ',' | '.' | '?' | '!' | ' ') && end - s < 12 {
        if ["前", "之前", "以前"].iter().any(|w| starts(cs, end, w)) {
            end += if cs[end] == '前' { 1 } else { 2 };
            break;
        }
        end += 1;
        if !(is_num_char(cs[end - 1]) || "上下午晚中点半分号日月早".contains(cs[end - 1]))
        {
            end -= 1;
            break;
        }
    }
    Some(TimeSlot {
        text: text(s, end.max(e)),
        tense,
        within_hours: if tense == Tense::Future { hours } else { None },
    })
}

/// Who is to act: the customer when the clause puts the task on them (您自己, 您去,
/// 麻烦您, 请您); the agent's side when it names it (我们, 我, 师傅, 给您).
fn who(cs: &[char], has: u64) -> Option<Who> {
    const CUSTOMER: [&str; 10] = [
        "您自己",
        "你自己",
        "您去",
        "你去",
        "麻烦您",
        "请您",
        "您需要",
        "您得",
        "您要先",
        "您先",
    ];
    const AGENT: [&str; 9] = [
        "我们", "我", "师傅", "公司", "给您", "帮您", "为您", "替您", "咱们",
    ];
    if CUSTOMER.iter().any(|w| contains(cs, has, w)) {
        Some(Who::Customer)
    } else if AGENT.iter().any(|w| contains(cs, has, w)) {
        Some(Who::Agent)
    } else {
        None
    }
}

/// Slots of one clause (normalised chars).
pub fn read(cs: &[char]) -> Slots {
    let runs = number_runs(cs);
    let has = char_mask(cs);
    Slots {
        amount: amount(cs, &runs),
        time: time(cs, has, &runs),
        who: who(cs, has),
        remedy: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(t: &str) -> Slots {
        read(&t.chars().collect::<Vec<_>>())
    }

    #[test]
    fn amounts_in_digits_and_numerals() {
        assert_eq!(s("退您199元").amount, Some(199.0));
        assert_eq!(s("补偿您两百块").amount, Some(200.0));
        assert_eq!(s("赔您一千五百元").amount, Some(1500.0));
        assert_eq!(s("给您一千五块钱").amount, Some(1500.0));
        assert_eq!(s("1.5万元").amount, Some(15000.0));
        assert_eq!(s("三块五").amount, Some(3.5));
        assert_eq!(s("换一台新的").amount, None);
    }

    /// 「到账当天我给您回电话确认」 names its day by the refund's arrival: the ledger
    /// listed it as 含糊 (no time named).
    #[test]
    fn a_day_named_by_an_event_is_a_time() {
        let t = s("到账当天我给您回电话确认").time.expect("a time");
        assert_eq!((t.text.as_str(), t.tense), ("当天", Tense::Future));
        let t = s("次日上午师傅上门").time.expect("a time");
        assert_eq!(t.tense, Tense::Future);
        let told = s("您来的当天就坏了").time.expect("a time");
        assert_eq!(told.tense, Tense::Past);
    }

    #[test]
    fn half_an_hour_is_a_time() {
        // 半小时就能弄完 / 半个小时内给您回电 / 半天
        for (t, h) in [
            (
                "\u{534A}\u{5C0F}\u{65F6}\u{5C31}\u{80FD}\u{5F04}\u{5B8C}",
                0.5,
            ),
            (
                "\u{534A}\u{4E2A}\u{5C0F}\u{65F6}\u{5185}\u{7ED9}\u{60A8}\u{56DE}\u{7535}",
                0.5,
            ),
            ("\u{534A}\u{5929}", 12.0),
        ] {
            let time = s(t).time.unwrap_or_else(|| panic!("{t}"));
            assert_eq!(
                (time.tense, time.within_hours),
                (Tense::Future, Some(h)),
                "{t}"
            );
        }
        // 一半 is no time.
        assert_eq!(s("\u{5148}\u{9000}\u{4E00}\u{534A}").time, None);
    }

    #[test]
    fn future_and_past_times() {
        let t = s("两小时内给您回电").time.unwrap();
        assert_eq!((t.tense, t.within_hours), (Tense::Future, Some(2.0)));
        let t = s("三个工作日内退到您账户").time.unwrap();
        assert_eq!(t.within_hours, Some(72.0));
        assert_eq!(s("明天上午十点前送到").time.unwrap().tense, Tense::Future);
        assert_eq!(
            s("您是上周三晚上九点来的吧").time.unwrap().tense,
            Tense::Past
        );
        assert_eq!(s("上周三晚上九点二十").time.unwrap().tense, Tense::Past);
        assert_eq!(s("三天前就坏了").time.unwrap().tense, Tense::Past);
        assert_eq!(s("我们马上处理").time, None);
    }

    #[test]
    fn a_day_or_two_is_no_time() {
        // 退款这两天就能下来 / 过两天给您回电: no time; 两天内给您回电: 48 hours.
        assert_eq!(
            s("\u{9000}\u{6B3E}\u{8FD9}\u{4E24}\u{5929}\u{5C31}\u{80FD}\u{4E0B}\u{6765}").time,
            None
        );
        assert_eq!(
            s("\u{8FC7}\u{4E24}\u{5929}\u{7ED9}\u{60A8}\u{56DE}\u{7535}").time,
            None
        );
        let t = s("\u{4E24}\u{5929}\u{5185}\u{7ED9}\u{60A8}\u{56DE}\u{7535}").time;
        assert_eq!(t.and_then(|t| t.within_hours), Some(48.0));
    }

    #[test]
    fn who_acts() {
        assert_eq!(s("我们派师傅上门").who, Some(Who::Agent));
        assert_eq!(s("您自己去厂家问问").who, Some(Who::Customer));
        assert_eq!(s("给您换一台").who, Some(Who::Agent));
    }
}

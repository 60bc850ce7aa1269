//! Reading a trainee's words in context. A pattern match alone does not say what the
//! trainee did: "我们给您退车" offers a remedy, "退车是不行的" and "您说维修站没人上门"
//! do not; "维修单号是多少?" asks for a fact, "我看了您的维修单" does not. These
//! judgements look at the clause a match stands in.

use std::sync::LazyLock;

use regex::Regex;

/// Characters that end a clause. Chat-style lines separate clauses with spaces.
const BREAKS: &str = ",,。.!!??;;\n \u{3000}";

/// Characters that end a sentence, not just a clause.
const SENTENCE_ENDS: [char; 8] = ['。', '!', '!', '?', '?', ';', ';', '\n'];

/// Conjunctions that open a new clause: "全退做不到但三个月的可以退".
const CONTRAST: [&str; 4] = ["但是", "但", "不过", "可是"];

/// Byte range of the clause around `start..end`.
pub(crate) fn clause(text: &str, start: usize, end: usize) -> (usize, usize) {
    let is_break = |c: char| BREAKS.contains(c);
    let mut from = text[..start]
        .char_indices()
        .rev()
        .find(|(_, c)| is_break(*c))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let mut to = text[end..].find(is_break).map_or(text.len(), |i| end + i);
    for c in CONTRAST {
        if let Some(i) = text[from..start].rfind(c) {
            from = from.max(from + i + c.len());
        }
        if let Some(i) = text[end..to].find(c) {
            to = to.min(end + i);
        }
    }
    (from, to)
}

/// Words that turn a mention of a remedy into a refusal or a report of what did not
/// happen.
static NEGATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        "不能|不行|不可以|不可能|无法|没法|没办法|做不到|办不到|不符合|不属于|不予|不在.{0,4}范围|没有人|没人|没给|没有给|不给|别想",
    )
    .expect("static regex")
});

/// Words before a mention that make it a topic, a quotation or an entitlement being
/// explained ("按三包规定,您可以选择免费更换"), not an offer.
static TOPIC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        "关于|至于|您说的|您要的|您要求的|您提的|您想|您希望|您之前说|您可以选择|您有权|有权要求|可以要求|依法应当|应当",
    )
    .expect("static regex")
});

/// A-not-A questions ("行不行", "能不能") contain a negation word but negate nothing.
const A_NOT_A: [&str; 8] = [
    "行不行",
    "能不能",
    "可不可以",
    "好不好",
    "是不是",
    "要不要",
    "对不对",
    "可以不可以",
];

/// Whether a remedy named at `start..end` is offered: not negated in its clause, not
/// introduced as a topic, not told in the past ("刷过程序", "换过").
pub(crate) fn offers(text: &str, start: usize, end: usize) -> bool {
    // A match across a sentence's end joins words of two sentences: "什么时候买的?
    // 适配器是原装的吗" mentions no purchase of an adapter.
    if text[start..end].contains(SENTENCE_ENDS) {
        return false;
    }
    let (from, to) = clause(text, start, end);
    let mut c = text[from..to].to_string();
    for q in A_NOT_A {
        c = c.replace(q, "");
    }
    if NEGATION.is_match(&c) || TOPIC.is_match(&text[from..start]) {
        return false;
    }
    // Inside a title: 《家用汽车产品修理、更换、退货责任规定》 names a law.
    let before = &text[..start];
    if before.matches('《').count() > before.matches('》').count() {
        return false;
    }
    !(text[start..end].contains('过') || text[end..].starts_with('过'))
}

/// Cues that what follows in the clause reports what someone else said or did: a
/// trainee restating "您说站务员让您别管了" is not telling the customer off.
static REPORTED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new("您说|您是说|您刚才说|您提到|您反映|据您说|您的意思是|让您|叫您|跟您说|对您说|说您|车主群里|他们说|他说")
        .expect("static regex")
});

/// Whether words at `start..end` stand in reported speech in their clause.
pub(crate) fn reported(text: &str, start: usize, end: usize) -> bool {
    let (from, _) = clause(text, start, end);
    REPORTED.is_match(&text[from..start])
}

/// Question cues: a fact pattern in a clause with one of these is a question.
static QUESTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        "[??吗呢]|什么|多少|哪|几|怎么|怎样|是否|有没有|是不是|能不能|可不可以|请问|麻烦您|报一下|报给我|告诉我|说一下|讲一下|请教|确认一下|核对一下|发我|提供一下|请提供|请您提供|麻烦提供|给我看一下",
    )
    .expect("static regex")
});

/// Whether the clause around `start..end` asks something.
pub(crate) fn asks(text: &str, start: usize, end: usize) -> bool {
    let (from, to) = clause(text, start, end);
    // A question mark usually closes the clause: look one character past it.
    let to = text[to..].chars().next().map_or(to, |c| to + c.len_utf8());
    QUESTION.is_match(&text[from..to])
}

/// Questions about what the customer wants or thinks should be done, which a customer
/// answers with the demand rather than a fact.
static VIEW: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        "(?:依|照|按)(?:您|你)(?:看|的意思)|(?:您|你)(?:看|觉得|认为)(?:该|应该|要)?(?:怎么|如何|怎样)|(?:您|你)(?:希望|想|想要|打算|要)(?:我们)?(?:怎么|如何|怎样)|(?:您|你)(?:有|的)(?:什么|哪些)?(?:具体)?(?:要求|诉求|期望)|(?:您|你)想要什么",
    )
    .expect("static regex")
});

/// Whether `text` asks the customer what they want done.
pub(crate) fn asks_view(text: &str) -> bool {
    VIEW.is_match(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at<'a>(text: &'a str, word: &str) -> (&'a str, usize, usize) {
        let s = text.find(word).unwrap();
        (text, s, s + word.len())
    }

    #[test]
    fn offers_and_non_offers() {
        let (t, s, e) = at("我们马上给您免费上门检测", "上门");
        assert!(offers(t, s, e));
        let (t, s, e) = at("您是说维修站一直没人上门,对吧", "上门");
        assert!(!offers(t, s, e));
        let (t, s, e) = at("关于退车:这台车不符合退换条件", "退车");
        assert!(!offers(t, s, e));
        let (t, s, e) = at("您7月20日刷过程序", "刷");
        assert!(!offers(t, s, e));
        let (t, s, e) = at("一年的全退我做不到 但有争议的三个月可以退", "三个月可以退");
        assert!(offers(t, s, e), "a space and 但 open a new clause");
        let (t, s, e) = at("全退做不到但三个月的可以退", "三个月的可以退");
        assert!(offers(t, s, e));
        let (t, s, e) = at("这样行不行:卡子我们免费给您换新的", "免费给您换新");
        assert!(offers(t, s, e), "行不行 asks, it does not negate");
        let (t, s, e) = at("8月5日换过电磁阀", "换过电磁阀");
        assert!(!offers(t, s, e));
        let (t, s, e) = at("按《家用汽车产品修理、更换、退货责任规定》处理", "更换");
        assert!(!offers(t, s, e), "a law's title offers nothing");
        let (t, s, e) = at("不能退车,但我们给您免费维修", "免费维修");
        assert!(offers(t, s, e), "the negation is in another clause");
        let (t, s, e) = at("您这台机器是什么时候买的?适配器是原装的吗?", "买的?适配器");
        assert!(!offers(t, s, e), "words of two sentences are no offer");
    }

    #[test]
    fn questions_about_what_the_customer_wants() {
        for q in [
            "依您看,这个问题怎么处理比较好?",
            "您希望我们怎么处理?",
            "您有什么具体要求?",
            "您觉得该怎么办?",
        ] {
            assert!(asks_view(q), "{q}");
        }
        for q in [
            "请问您的单号是多少?",
            "您看一下发票上的日期",
            "您要的资料我发您",
        ] {
            assert!(!asks_view(q), "{q}");
        }
    }

    #[test]
    fn reported_speech() {
        let (t, s, e) = at("您是说站务员让您别管了,对吗", "别管了");
        assert!(reported(t, s, e));
        let (t, s, e) = at("您别管了", "别管了");
        assert!(!reported(t, s, e));
    }

    #[test]
    fn questions_and_statements() {
        let (t, s, e) = at("请问您的维修单号是多少?", "维修单号");
        assert!(asks(t, s, e));
        let (t, s, e) = at("维修单号您报一下", "维修单号");
        assert!(asks(t, s, e));
        let (t, s, e) = at("我看了您的维修单号,情况清楚了", "维修单号");
        assert!(!asks(t, s, e));
    }
}

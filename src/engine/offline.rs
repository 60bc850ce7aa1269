//! The offline voice: the customer speaks from the persona's line pools. It never
//! repeats a line within a session until a pool is used up, fills the slots (product,
//! the trainee's own words, the facts asked for), and is deterministic for a seed.

use super::mood::{Decision, Engine, MoodState, Move};
use crate::persona::fill_slots;

/// Voices decisions from line pools; stateless, its memory lives in [`MoodState`] so
/// that undo restores it too.
#[derive(Debug, Default, Clone, Copy)]
pub struct OfflineVoice;

/// What a customer who has accepted says to a line that does not yet close the call,
/// for a persona without an `after_accept` pool.
const AFTER_ACCEPT: [&str; 3] = [
    "\u{55EF}\u{FF0C}\u{5C31}\u{6309}\u{521A}\u{624D}\u{8BF4}\u{7684}\u{529E}\u{3002}", // 嗯，就按刚才说的办。
    "\u{884C}\u{FF0C}\u{6211}\u{8BB0}\u{4E0B}\u{4E86}\u{3002}", // 行，我记下了。
    "\u{597D}\u{3002}\u{8FD8}\u{6709}\u{522B}\u{7684}\u{5417}\u{FF1F}", // 好。还有别的吗？
];

/// What a customer who has calmed down says when the turns run out with nothing agreed:
/// no venting at low anger (「拖到现在还没个准话」 after every need was met reads as a
/// different customer); they end the talk politely, still waiting for an answer.
const OUT_OF_TURNS_CALM: [&str; 3] = [
    // 行吧，今天就先说到这儿。到底怎么处理，你们商量好了给我个准信。
    "\u{884C}\u{5427}\u{FF0C}\u{4ECA}\u{5929}\u{5C31}\u{5148}\u{8BF4}\u{5230}\u{8FD9}\u{513F}\u{3002}\u{5230}\u{5E95}\u{600E}\u{4E48}\u{5904}\u{7406}\u{FF0C}\u{4F60}\u{4EEC}\u{5546}\u{91CF}\u{597D}\u{4E86}\u{7ED9}\u{6211}\u{4E2A}\u{51C6}\u{4FE1}\u{3002}",
    // 话我都听了，可具体怎么办还是没定下来。就先这样，我等你们消息。
    "\u{8BDD}\u{6211}\u{90FD}\u{542C}\u{4E86}\u{FF0C}\u{53EF}\u{5177}\u{4F53}\u{600E}\u{4E48}\u{529E}\u{8FD8}\u{662F}\u{6CA1}\u{5B9A}\u{4E0B}\u{6765}\u{3002}\u{5C31}\u{5148}\u{8FD9}\u{6837}\u{FF0C}\u{6211}\u{7B49}\u{4F60}\u{4EEC}\u{6D88}\u{606F}\u{3002}",
    // 我还有事，先这样吧。方案想清楚了再联系我。
    "\u{6211}\u{8FD8}\u{6709}\u{4E8B}\u{FF0C}\u{5148}\u{8FD9}\u{6837}\u{5427}\u{3002}\u{65B9}\u{6848}\u{60F3}\u{6E05}\u{695A}\u{4E86}\u{518D}\u{8054}\u{7CFB}\u{6211}\u{3002}",
];

impl OfflineVoice {
    /// The customer's words for a decision.
    pub fn speak(&self, engine: &Engine<'_>, decision: &Decision, st: &mut MoodState) -> String {
        let mut out = String::new();
        for m in &decision.moves {
            let line = self.line(engine, m, st);
            out.push_str(&line);
        }
        out
    }

    fn line(&self, engine: &Engine<'_>, m: &Move, st: &mut MoodState) -> String {
        if let Move::AskTerm { need } = m {
            // Not the persona's rejection lines: the plan is not refused.
            return format!(
                "{}{need}",
                ASK_TERM_LEADS[st.turn as usize % ASK_TERM_LEADS.len()]
            );
        }
        // A yes to a restatement and a word on a kept offer are short leads before the
        // rest of the answer: the persona's own, if it writes them, else built in.
        let built_in = match m {
            Move::Confirm if st.calm() => Some(&CONFIRM_CALM),
            Move::Confirm => Some(&CONFIRM_HOT),
            Move::Noted { urgent: true } => Some(&NOTED_URGENT),
            Move::Noted { urgent: false } => Some(&NOTED_PENDING),
            _ => None,
        };
        if let Some(built_in) = built_in {
            let at = st.turn as usize;
            return match engine.persona.lines.pool(m.pool()) {
                [] => built_in[at % built_in.len()].to_string(),
                own => fill(engine, &own[at % own.len()], m),
            };
        }
        if matches!(m, Move::OutOfTurns) && st.calm() {
            return OUT_OF_TURNS_CALM[st.turn as usize % OUT_OF_TURNS_CALM.len()].to_string();
        }
        let pool_name = m.pool();
        // A scenario's own opening lines fit its channel and timeline.
        let pool = match m {
            Move::Opening if !engine.scenario.opening.is_empty() => &engine.scenario.opening,
            _ => engine.persona.lines.pool(pool_name),
        };
        if pool.is_empty() {
            // An optional pool the persona left out.
            return match m {
                Move::AnswerDemand => fill(engine, "我的要求很清楚：{demand}。", m),
                Move::Scripted => "你别跟我背这一套\u{FF0C}说点实在的。".to_string(),
                Move::AfterAccept => {
                    AFTER_ACCEPT[st.turn as usize % AFTER_ACCEPT.len()].to_string()
                }
                _ => String::new(),
            };
        }
        let unfit = Marks::unfit(&TurnDid::of(st));
        let marks = engine.voice_marks(m);
        let fits = |i: usize| marks.get(i).is_none_or(|&x| x & unfit == 0);
        // Looked up by `&str` first: a new key for every line spoken cost an allocation.
        if !st.used_lines.contains_key(pool_name) {
            st.used_lines.insert(pool_name.to_string(), Vec::new());
        }
        let used = st.used_lines.get_mut(pool_name).expect("just inserted");
        if used.len() < pool.len() {
            let unsaid: Vec<usize> = (0..pool.len()).filter(|i| !used.contains(i)).collect();
            let fitting: Vec<usize> = (unsaid.iter().copied()).filter(|&i| fits(i)).collect();
            // When no unsaid line fits the turn, a line said before that fits is better
            // than one that answers what was not said (「有那么点道理」 to a goodbye).
            let free = if !fitting.is_empty() {
                fitting
            } else {
                let said: Vec<usize> = (used.iter().copied()).filter(|&i| fits(i)).collect();
                if said.is_empty() { unsaid } else { said }
            };
            let pick = free[st.rng.below(free.len())];
            if !used.contains(&pick) {
                used.push(pick);
            }
            return fill(engine, &pool[pick], m);
        }
        // Every single line has been said: say two of them together, in a pairing not
        // yet used, rather than repeat a line word for word. Only when every pairing is
        // spent (n² - n turns of one pool) do pairings come round again.
        let n = pool.len();
        if n == 1 {
            return fill(engine, &pool[0], m);
        }
        let pairs = st.used_lines.entry(format!("{pool_name}+")).or_default();
        if pairs.len() >= n * (n - 1) {
            pairs.clear();
        }
        let start = st.rng.below(n * n);
        let code = (0..n * n)
            .map(|k| (start + k) % (n * n))
            .find(|c| c / n != c % n && !pairs.contains(c))
            .expect("an unused pairing exists");
        pairs.push(code);
        let (a, b) = (code / n, code % n);
        format!("{}{}", fill(engine, &pool[a], m), fill(engine, &pool[b], m))
    }
}

/// A yes to the story told back (「您是说……，对吗？」), before the rest of the answer:
/// a customer asked to confirm does not ignore the question. Calm, then still angry.
const CONFIRM_CALM: [&str; 3] = [
    "\u{5BF9}\u{FF0C}\u{662F}\u{8FD9}\u{4E48}\u{56DE}\u{4E8B}\u{3002}", // 对，是这么回事。
    "\u{55EF}\u{FF0C}\u{6CA1}\u{9519}\u{3002}",                         // 嗯，没错。
    "\u{5BF9}\u{FF0C}\u{5C31}\u{662F}\u{8FD9}\u{4E2A}\u{60C5}\u{51B5}\u{3002}", // 对，就是这个情况。
];
const CONFIRM_HOT: [&str; 3] = [
    "\u{5BF9}\u{FF01}",                         // 对！
    "\u{6CA1}\u{9519}\u{FF01}",                 // 没错！
    "\u{5C31}\u{662F}\u{8FD9}\u{6837}\u{FF01}", // 就是这样！
];

/// A word on an offer kept but not yet taken, before the rest of the answer: an urgent
/// step taken at once is urged on (「五分钟内就能打通」 is not met with a complaint
/// about the counter staff); an acceptable offer heard while still upset is held.
const NOTED_URGENT: [&str; 3] = [
    "\u{90A3}\u{4F60}\u{5FEB}\u{70B9}\u{529E}\u{FF01}", // 那你快点办！
    "\u{597D}\u{FF0C}\u{90A3}\u{4F60}\u{8D76}\u{7D27}\u{5F04}\u{FF01}", // 好，那你赶紧弄！
    "\u{771F}\u{7684}\u{FF1F}\u{90A3}\u{4F60}\u{73B0}\u{5728}\u{5C31}\u{529E}\u{FF01}", // 真的？那你现在就办！
];
const NOTED_PENDING: [&str; 3] = [
    "\u{8FD9}\u{4E2A}\u{529E}\u{6CD5}\u{6211}\u{5148}\u{542C}\u{7740}\u{3002}", // 这个办法我先听着。
    "\u{4F60}\u{8BF4}\u{7684}\u{8FD9}\u{4E2A}\u{6211}\u{8BB0}\u{4E0B}\u{4E86}\u{3002}", // 你说的这个我记下了。
    "\u{8FD9}\u{4E2A}\u{6211}\u{5148}\u{8BB0}\u{7740}\u{3002}", // 这个我先记着。
];

/// How a customer who can live with an offer asks for the term it lacks: 方案我听到了。
/// 这个方案可以谈。 行，方案我记下了。
const ASK_TERM_LEADS: [&str; 3] = [
    "\u{65B9}\u{6848}\u{6211}\u{542C}\u{5230}\u{4E86}\u{3002}",
    "\u{8FD9}\u{4E2A}\u{65B9}\u{6848}\u{53EF}\u{4EE5}\u{8C08}\u{3002}",
    "\u{884C}\u{FF0C}\u{65B9}\u{6848}\u{6211}\u{8BB0}\u{4E0B}\u{4E86}\u{3002}",
];

/// What a pool line says that fits only some turns, worked out once per engine: the
/// voice picks from a pool every turn, and looking for these words in every unsaid
/// line each time was a tenth of the cost of replaying a session.
pub(crate) struct Marks;

impl Marks {
    /// Says the trainee never asked (「你都没问过我」).
    pub const NOT_ASKED: u8 = 1;
    /// Praises a question (「你这么一问」).
    pub const CREDITS_QUESTION: u8 = 2;
    /// Waves off thanks (「谢什么谢」).
    pub const ANSWERS_THANKS: u8 = 4;
    /// Echoes a question about the customer's view (「依我看？」「懂得请教就好」).
    pub const ECHOES_CONSULT: u8 = 8;
    /// Says the customer has said it before (「我都说了好几遍了」「我早说了」).
    pub const SAID_BEFORE: u8 = 16;
    /// Answers what the trainee said as something said (「照你这么说……」「你讲清楚了」).
    pub const HEARD_CONTENT: u8 = 32;
    /// Grants a point or a reason (「有那么点道理」「你讲清楚了」「以前还真没人跟我说过」):
    /// said to sympathy alone, it hears an explanation nobody gave (a tmux play:
    /// 「搁谁身上都窝火」 met 「这个以前还真没人跟我说过」).
    pub const HEARD_REASON: u8 = 64;
    /// Asks when there will be a result (「我只关心什么时候有结果」): said right after the
    /// trainee named the time, it did not hear it (a play-tester's 有社会背景 session:
    /// 「半小时之内给您回电话」 met this line).
    pub const ASKS_WHEN: u8 = 128;

    /// The marks of one line.
    pub fn of(line: &str) -> u8 {
        let flag = |on: bool, mark: u8| if on { mark } else { 0 };
        flag(says_not_asked(line), Self::NOT_ASKED)
            | flag(credits_question(line), Self::CREDITS_QUESTION)
            | flag(answers_thanks(line), Self::ANSWERS_THANKS)
            | flag(echoes_consult(line), Self::ECHOES_CONSULT)
            | flag(says_said_before(line), Self::SAID_BEFORE)
            | flag(
                answers_content(line) && !answers_thanks(line),
                Self::HEARD_CONTENT,
            )
            | flag(grants_a_reason(line), Self::HEARD_REASON)
            | flag(asks_when(line), Self::ASKS_WHEN)
    }

    /// The marks that rule a line out after a turn that did (not) ask, ask the
    /// customer's view or thank, and before or after the customer had the time to
    /// say their piece.
    fn unfit(turn: &TurnDid) -> u8 {
        let flag = |on: bool, mark: u8| if on { mark } else { 0 };
        flag(turn.asked, Self::NOT_ASKED)
            | flag(!turn.asked, Self::CREDITS_QUESTION)
            | flag(!turn.thanked, Self::ANSWERS_THANKS)
            | flag(!turn.consulted, Self::ECHOES_CONSULT)
            | flag(!turn.said_before, Self::SAID_BEFORE)
            | flag(!turn.substance, Self::HEARD_CONTENT)
            | flag(!turn.informed, Self::HEARD_REASON)
            | flag(turn.timed, Self::ASKS_WHEN)
    }
}

/// What the trainee's last turn did, as far as the voice's marks care.
struct TurnDid {
    asked: bool,
    consulted: bool,
    thanked: bool,
    /// The customer has had the turns to say their piece (or has said their demand).
    said_before: bool,
    /// The line did more than greet, thank or say goodbye.
    substance: bool,
    /// The line told the customer something: a reason, a plan, a refusal, their story.
    informed: bool,
    /// The line named when something will be done.
    timed: bool,
}

impl TurnDid {
    fn of(st: &MoodState) -> Self {
        let did = |k: &str| st.last_kinds.iter().any(|x| x == k);
        Self {
            // A line that says the trainee never asked is not said right after they
            // asked; one that praises their question (「你这么一问」) only right after one.
            asked: did("ask_info") || did("consult"),
            // 「依我看？」 echoes 「依您看……」: only right after the trainee asked their view.
            consulted: did("consult"),
            // 「谢什么谢」 only right after thanks.
            thanked: did("thanks"),
            // 「我都说了好几遍了」 only once the customer has had the turns to say it.
            said_before: st.turn >= SAID_BEFORE_FROM
                || (st.used_lines.get(Move::AnswerDemand.pool())).is_some_and(|u| !u.is_empty()),
            // 「照你这么说，好像是有那么点道理」 answers something said, not 「您好」.
            substance: (st.last_kinds.iter())
                .any(|k| !matches!(k.as_str(), "greeting" | "thanks" | "closing")),
            // 「有那么点道理」 grants a reason: not to 「搁谁身上都窝火」 alone.
            informed: st
                .last_kinds
                .iter()
                .any(|k| INFORMING_KINDS.contains(&k.as_str())),
            // 「什么时候有结果」 only when no time was just named.
            timed: did("time_commitment"),
        }
    }
}

/// Kinds that tell the customer something a line may grant as a point.
const INFORMING_KINDS: [&str; 7] = [
    "explain",
    "remedy",
    "refuse",
    "time_commitment",
    "follow_up",
    "escalate",
    "restate",
];

/// Whether a customer line grants a point or a reason (「有那么点道理」「你讲清楚了」
/// 「没人跟我说过」), which makes no sense when the trainee only sympathised.
pub(crate) fn grants_a_reason(line: &str) -> bool {
    // 点道理, 有道理, 讲清楚, 跟我说过
    [
        "\u{70B9}\u{9053}\u{7406}",
        "\u{6709}\u{9053}\u{7406}",
        "\u{8BB2}\u{6E05}\u{695A}",
        "\u{8DDF}\u{6211}\u{8BF4}\u{8FC7}",
    ]
    .iter()
    .any(|w| line.contains(w))
}

/// Whether a customer line asks when there will be a result (什么时候, 多久, 哪天).
fn asks_when(line: &str) -> bool {
    [
        "\u{4EC0}\u{4E48}\u{65F6}\u{5019}",
        "\u{591A}\u{4E45}",
        "\u{54EA}\u{5929}",
    ]
    .iter()
    .any(|w| line.contains(w))
}

/// The turn from which a customer may say they have said it all before, if they have
/// not yet stated their demand in answer to a question.
const SAID_BEFORE_FROM: u32 = 3;

/// Whether a customer line echoes a question about their view (「依我看？」) or praises
/// being consulted (「懂得请教就好」): said to 「有什么可以帮您？」 it answers a question
/// nobody asked.
pub(crate) fn echoes_consult(line: &str) -> bool {
    // 依我看, 懂得请教
    line.starts_with("\u{4F9D}\u{6211}\u{770B}")
        || line.contains("\u{61C2}\u{5F97}\u{8BF7}\u{6559}")
}

/// Whether a customer line says they have said it before (「我都说了好几遍了」「我再说一遍」
/// 「我早说了」「问几遍都一样」): on the first turns there was no before.
pub(crate) fn says_said_before(line: &str) -> bool {
    // 说了好几遍, 我再说一遍, 我早说了, 问几遍 (not 「你再说一遍？」, a challenge)
    [
        "\u{8BF4}\u{4E86}\u{597D}\u{51E0}\u{904D}",
        "\u{6211}\u{518D}\u{8BF4}\u{4E00}\u{904D}",
        "\u{6211}\u{65E9}\u{8BF4}\u{4E86}",
        "\u{95EE}\u{51E0}\u{904D}",
    ]
    .iter()
    .any(|w| line.contains(w))
}

/// Whether a customer line answers what the trainee said as content (「照你这么说」
/// 「有那么点道理」「你讲清楚了」「讲到点子上」「听着是这么回事」「没人跟我说过」), which
/// makes no sense after a bare 「您好」 or goodbye.
pub(crate) fn answers_content(line: &str) -> bool {
    // 这么说, 点子上, 这么回事; and the words that grant a reason
    [
        "\u{8FD9}\u{4E48}\u{8BF4}",
        "\u{70B9}\u{5B50}\u{4E0A}",
        "\u{8FD9}\u{4E48}\u{56DE}\u{4E8B}",
    ]
    .iter()
    .any(|w| line.contains(w))
        || grants_a_reason(line)
}

/// Whether a customer line answers a question as such (「你这么一问」「问到点子上了」),
/// which makes no sense when the trainee asked nothing.
pub(crate) fn credits_question(line: &str) -> bool {
    // 这么一问, 问到点子, 问得好, 问对人
    [
        "\u{8FD9}\u{4E48}\u{4E00}\u{95EE}",
        "\u{95EE}\u{5230}\u{70B9}\u{5B50}",
        "\u{95EE}\u{5F97}\u{597D}",
        "\u{95EE}\u{5BF9}\u{4EBA}",
    ]
    .iter()
    .any(|w| line.contains(w))
}

/// Whether a customer line waves off thanks (「谢什么谢」「不用谢」), which makes no sense
/// when the trainee thanked no one.
pub(crate) fn answers_thanks(line: &str) -> bool {
    // 谢什么, 不用谢, 别谢
    [
        "\u{8C22}\u{4EC0}\u{4E48}",
        "\u{4E0D}\u{7528}\u{8C22}",
        "\u{522B}\u{8C22}",
    ]
    .iter()
    .any(|w| line.contains(w))
}

/// Whether a customer line reproaches the trainee for not asking (「你都没问过我的意见」,
/// 「问过我没有？」), which contradicts a line that just asked.
pub(crate) fn says_not_asked(line: &str) -> bool {
    // 没问 but not 没问题 (no problem); 问过我没; 问都不问.
    let not_asked = line
        .match_indices("\u{6CA1}\u{95EE}")
        .any(|(i, w)| !line[i + w.len()..].starts_with('\u{9898}'));
    not_asked
        || line.contains("\u{95EE}\u{8FC7}\u{6211}\u{6CA1}")
        || line.contains("\u{95EE}\u{90FD}\u{4E0D}\u{95EE}")
}

/// Replace `{slot}`s: move-specific values first, then the scenario's.
fn fill(engine: &Engine<'_>, template: &str, m: &Move) -> String {
    let sc = engine.scenario;
    let value = |name: &str| -> Option<String> {
        match (name, m) {
            ("quote", Move::ReactBad { quote, .. }) => Some(quote.clone()),
            ("reason", Move::RejectRemedy { reason }) => Some(reason.clone()),
            ("remedy", Move::Accept { remedy }) => Some(remedy.clone()),
            ("need", Move::Rushed { need }) => Some(need.clone()),
            ("fact", Move::AnswerFact { facts }) => Some(
                facts
                    .iter()
                    .filter_map(|id| sc.facts.iter().find(|f| &f.id == id))
                    .map(|f| sc.fill(&f.answer))
                    .collect::<Vec<_>>()
                    .join(""),
            ),
            _ => sc.slot(name).map(str::to_string),
        }
    };
    fill_slots(template, &value)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_reproach_for_not_asking_is_told_from_no_problem() {
        use super::says_not_asked;
        assert!(says_not_asked("你都没问过我的意见，就替我做决定了？"));
        assert!(says_not_asked("你这方案谁定的？问过我没有？"));
        assert!(!says_not_asked("电池我测过，没问题。"));
    }

    #[test]
    fn lines_that_answer_something_said_are_marked() {
        use super::Marks;
        // 照你这么说，好像是有那么点道理……你接着说。
        assert_eq!(
            Marks::of(
                "\u{7167}\u{4F60}\u{8FD9}\u{4E48}\u{8BF4}\u{FF0C}\u{597D}\u{50CF}\u{662F}\u{6709}\u{90A3}\u{4E48}\u{70B9}\u{9053}\u{7406}\u{2026}\u{2026}\u{4F60}\u{63A5}\u{7740}\u{8BF4}\u{3002}"
            ),
            Marks::HEARD_CONTENT | Marks::HEARD_REASON
        );
        // 你态度还行，我就再听你说两句。
        assert_eq!(
            Marks::of(
                "\u{4F60}\u{6001}\u{5EA6}\u{8FD8}\u{884C}\u{FF0C}\u{6211}\u{5C31}\u{518D}\u{542C}\u{4F60}\u{8BF4}\u{4E24}\u{53E5}\u{3002}"
            ),
            0
        );
        // 谢什么谢……不过你这么说，我心里舒坦。 answers the thanks.
        assert_eq!(
            Marks::of(
                "\u{8C22}\u{4EC0}\u{4E48}\u{8C22}\u{FF0C}\u{8FD9}\u{662F}\u{6211}\u{5E94}\u{8BE5}\u{505A}\u{7684}\u{2026}\u{2026}\u{4E0D}\u{8FC7}\u{4F60}\u{8FD9}\u{4E48}\u{8BF4}\u{FF0C}\u{6211}\u{5FC3}\u{91CC}\u{8212}\u{5766}\u{3002}"
            ),
            Marks::ANSWERS_THANKS
        );
    }

    #[test]
    fn lines_that_presuppose_a_question_or_a_before_are_marked() {
        use super::Marks;
        let m = Marks::of("依我看？很简单——{demand}。");
        assert_eq!(m, Marks::ECHOES_CONSULT);
        assert_eq!(
            Marks::of("我都说了好几遍了……{demand}。"),
            Marks::SAID_BEFORE
        );
        assert_eq!(Marks::of("问几遍都一样，{demand}。"), Marks::SAID_BEFORE);
        // A challenge, not a repeat.
        assert_eq!(Marks::of("你再说一遍「{quote}」？"), 0);
        assert_eq!(Marks::of("你算问对人了。{demand}"), Marks::CREDITS_QUESTION);
        // After an open question on the first turn: neither fits.
        let did = |consulted: bool, said_before: bool| super::TurnDid {
            asked: true,
            consulted,
            thanked: false,
            said_before,
            substance: true,
            informed: false,
            timed: false,
        };
        let unfit = Marks::unfit(&did(false, false));
        assert_ne!(Marks::of("依我看？很简单。") & unfit, 0);
        assert_ne!(Marks::of("我早说了：{demand}。") & unfit, 0);
        // Asked their view, later in the talk: both fit.
        let unfit = Marks::unfit(&did(true, true));
        assert_eq!(Marks::of("依我看？很简单。") & unfit, 0);
        assert_eq!(Marks::of("我早说了：{demand}。") & unfit, 0);
    }

    #[test]
    fn a_point_granted_needs_a_point_made() {
        use super::Marks;
        let granted = Marks::of("照你这么说，好像是有那么点道理……你接着说。");
        assert_ne!(granted & Marks::HEARD_REASON, 0);
        assert_eq!(Marks::of("你态度还行，我就再听你说两句。"), 0);
        let did = |informed: bool| super::TurnDid {
            asked: false,
            consulted: false,
            thanked: false,
            said_before: false,
            substance: true,
            informed,
            timed: false,
        };
        assert_ne!(granted & Marks::unfit(&did(false)), 0);
        assert_eq!(granted & Marks::unfit(&did(true)), 0);
    }

    #[test]
    fn asking_when_needs_no_time_just_named() {
        use super::Marks;
        // 你们内部走什么流程我不关心，我只关心什么时候有结果。
        let when = Marks::of(
            "\u{4F60}\u{4EEC}\u{5185}\u{90E8}\u{8D70}\u{4EC0}\u{4E48}\u{6D41}\u{7A0B}\u{6211}\u{4E0D}\u{5173}\u{5FC3}\u{FF0C}\u{6211}\u{53EA}\u{5173}\u{5FC3}\u{4EC0}\u{4E48}\u{65F6}\u{5019}\u{6709}\u{7ED3}\u{679C}\u{3002}",
        );
        assert_ne!(when & Marks::ASKS_WHEN, 0);
        let did = |timed: bool| super::TurnDid {
            asked: false,
            consulted: false,
            thanked: false,
            said_before: true,
            substance: true,
            informed: true,
            timed,
        };
        assert_ne!(when & Marks::unfit(&did(true)), 0);
        assert_eq!(when & Marks::unfit(&did(false)), 0);
    }
}

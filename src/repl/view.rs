//! What the trainee sees during practice: the brief, the customer's lines with a mood
//! bar, and one short coach line per reply. Everything shown passes through
//! [`ui::sanitize`]: persona files are untrusted, and so is whatever a model says.

use crate::engine::{Engine, Event, MoodState};
use crate::persona::Scenario;
use crate::rubric::Polarity;
use crate::rubric::WORST_FIRST;
use crate::transcript::TurnRecord;
use crate::ui::{self, Style};

/// At most this many characters of a trainee's reply are quoted back.
const QUOTE_CHARS: usize = 40;

/// A reply shortened for quoting back (`/undo`, `--retry`).
pub fn short(text: &str) -> String {
    let clean = ui::sanitize(text);
    if clean.chars().count() <= QUOTE_CHARS {
        return clean.into_owned();
    }
    let mut s: String = clean.chars().take(QUOTE_CHARS).collect();
    s.push('…');
    s
}

/// Cells in the mood bar.
const BAR_CELLS: usize = 10;

/// `愤怒 ██████░░░░ 62`, red from 60 up, green below 30.
pub fn mood_bar(style: &Style, anger: i32) -> String {
    let a = anger.clamp(0, 100);
    let filled = ((a as f64 / 100.0) * BAR_CELLS as f64).round() as usize;
    let bar = format!("{}{}", "█".repeat(filled), "░".repeat(BAR_CELLS - filled));
    let bar = if a >= 60 {
        style.bad(&bar)
    } else if a < 30 {
        style.good(&bar)
    } else {
        bar
    };
    format!("愤怒 {bar} {a}")
}

/// The customer speaking: name, line, and (outside an exam) the mood bar.
pub fn customer(style: &Style, name: &str, text: &str, anger: Option<i32>) -> String {
    let head = style.bold(&format!("{}：", ui::sanitize(name)));
    match anger {
        Some(a) => format!(
            "{head}{}\n  {}",
            ui::sanitize(text),
            style.dim(&mood_bar(style, a))
        ),
        None => format!("{head}{}", ui::sanitize(text)),
    }
}

/// What a trainee reads before the customer speaks, the same on a terminal and on the
/// page: the situation as a service desk would hear it, not the customer type's hidden
/// needs or the remedies it would accept. Every field is sanitised.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Brief {
    /// 〔行业〕标题 · 难度 …
    pub heading: String,
    /// 来电客户：名字(编号)
    pub customer: String,
    /// 情况：…, when the scenario says.
    pub situation: Option<String>,
    /// 政策与法规：…, without the notes addressed to trainers.
    pub policy: Option<String>,
    /// 目标：…
    pub goal: String,
}

impl Brief {
    pub fn of(engine: &Engine<'_>) -> Self {
        let p = engine.persona;
        let sc: &Scenario = engine.scenario;
        // What an agent in that job knows: the company's policy and the law that applies.
        let policy = sc.policy.for_trainees();
        Self {
            heading: format!(
                "〔{}〕{} · 难度 {}",
                ui::sanitize(&sc.industry),
                ui::sanitize(&sc.title),
                level_label(&engine.level_name)
            ),
            customer: format!(
                "{}：{}（{}）",
                sc.channel.customer_label(),
                ui::sanitize(&p.name),
                ui::sanitize(&p.id)
            ),
            situation: (!sc.brief.is_empty()).then(|| format!("情况：{}", ui::sanitize(&sc.brief))),
            policy: (!policy.is_empty()).then(|| format!("政策与法规：{}", ui::sanitize(&policy))),
            goal: format!(
                "目标：平复客户情绪，查清事实，给出客户能接受的方案（{} 轮内）。",
                engine.patience()
            ),
        }
    }
}

/// The brief on a terminal: [`Brief`], the trainee's name and how the REPL is used.
pub fn brief(style: &Style, engine: &Engine<'_>, trainee: &str, exam: bool) -> String {
    let b = Brief::of(engine);
    let mut s = String::new();
    s.push_str(&style.bold(&b.heading));
    s.push('\n');
    s.push_str(&b.customer);
    s.push('\n');
    for line in [&b.situation, &b.policy].into_iter().flatten() {
        s.push_str(line);
        s.push('\n');
    }
    if !trainee.is_empty() {
        s.push_str(&format!("学员：{}\n", ui::sanitize(trainee)));
    }
    s.push_str(&b.goal);
    s.push('\n');
    if exam {
        s.push_str("考试模式：不显示情绪和提示，/hint /mood /score /undo 不可用。\n");
    } else {
        s.push_str("每句回复后会有一行教练提示；/hint 看应对建议，/help 看全部命令。\n");
    }
    s.push_str(&style.dim("直接输入你要对客户说的话；Ctrl-D 结束并评分，Ctrl-C 清空当前输入。"));
    s
}

/// The Chinese word for a difficulty.
pub fn level_label(level: &str) -> &str {
    crate::persona::Difficulty::label_of(level)
}

/// One thing the coach warns of under a reply: the rule it breaks (the id under which
/// the scorecard lists it, for that turn), the words it quotes, and the line shown.
#[derive(Debug, Clone, PartialEq)]
pub struct Warning {
    pub rule: String,
    pub quote: String,
    pub line: String,
    /// Worse first: a 禁语 matters more than a curt tone.
    rank: usize,
}

/// Everything wrong with one reply, worst first, as the coach sees it: each bad act of
/// its reading, each cross-turn rule the customer noticed (the engine's events), and
/// each promise it made that cannot be kept. The scorecard lists each of them for this
/// turn under the same rule. `earlier` are the session's turns before `turn`.
pub fn warnings(engine: &Engine<'_>, earlier: &[TurnRecord], turn: &TurnRecord) -> Vec<Warning> {
    let analyser = engine.analyser();
    let rubric = analyser.rubric();
    let mut bad = Vec::new();
    for sig in &turn.signals {
        if analyser.polarity(&sig.kind) != Some(Polarity::Bad) {
            continue;
        }
        let Some(rule) = rubric.rules.iter().find(|r| r.id == sig.rule) else {
            continue;
        };
        let label = (analyser.kinds().iter())
            .find(|k| k.id == sig.kind)
            .map_or(sig.kind.as_str(), |k| k.label.as_str());
        // Without the clause mark a rule may match from (「，可以自己去质监站」).
        let quote = match turn.trainee.get(sig.start..sig.end) {
            Some(_) => crate::reading::quote_span(&turn.trainee, sig.start, sig.end),
            None => String::new(),
        };
        let mut line = format!("⚠ {label}「{}」", ui::sanitize(&quote));
        if !rule.better.is_empty() {
            line.push_str(&format!(" → 试试：「{}」", ui::sanitize(&rule.better)));
        }
        let rank = (WORST_FIRST.iter())
            .position(|k| *k == sig.kind)
            .unwrap_or(WORST_FIRST.len());
        bad.push(Warning {
            rule: rule.id.clone(),
            quote,
            line,
            rank,
        });
    }
    for e in &turn.events {
        let Some(rule) = crate::score::event_rule(e) else {
            continue;
        };
        bad.push(Warning {
            rule: rule.to_string(),
            quote: String::new(),
            line: event_line(engine, e),
            rank: WORST_FIRST.len(),
        });
    }
    for p in crate::score::broken_at(earlier, turn, engine.scenario, analyser) {
        let line = format!(
            "⚠ {}「{}」\u{FF1A}{} → 试试\u{FF1A}{}",
            p.label(),
            ui::sanitize(&p.quote),
            ui::sanitize(&p.why),
            p.better()
        );
        bad.push(Warning {
            rule: crate::score::BROKEN_PROMISE.0.to_string(),
            quote: p.quote,
            line,
            rank: WORST_FIRST.len(),
        });
    }
    bad.sort_by_key(|w| w.rank);
    bad
}

/// The coach's words for a cross-turn rule the customer noticed.
fn event_line(engine: &Engine<'_>, e: &Event) -> String {
    match e {
        Event::EmptyApology => {
            "⚠ 一味道歉：光道歉不行动，客户更火 → 试试：道歉后马上说你要做什么".to_string()
        }
        // Name the step the customer is still waiting for: a fact question alone
        // does not satisfy a customer who needs the policy stated first.
        Event::Rushed { need } => match engine.persona.needs.iter().find(|n| &n.id == need) {
            Some(n) => format!(
                "⚠ 急于下结论：客户还在等「{}」 → 试试：{}",
                ui::sanitize(n.label.trim_end_matches(['。', '.'])),
                ui::sanitize(
                    &crate::score::need_tip(n, None, engine.analyser())
                        .unwrap_or_else(|| "先做到这一步，再谈方案".into())
                )
            ),
            None => {
                "⚠ 急于下结论：客户的要求还没满足就给了方案 → 试试：先倾听、复述、询问".to_string()
            }
        },
        Event::Template => "⚠ 念稿子：同样的话说了第二遍，客户听得出来".to_string(),
        Event::Scripted => "⚠ 背稿子\u{FF1A}一句话里塞了太多套话\u{FF0C}客户只听出了敷衍\u{FF1B}\
                            一次做好一两件实事"
            .to_string(),
        Event::RemedyList => "⚠ 方案一口气列一串\u{FF1A}客户不知道哪个能兑现 → 试试\u{FF1A}\
                              只给一个做得到的具体方案\u{FF08}做什么、谁来做、什么时候\u{FF09}"
            .to_string(),
        _ => String::new(),
    }
}

/// The coach's reaction to one reply: what went wrong with a better phrasing (the worst
/// of [`warnings`], and how many more), else what went right. One line, so it reads at
/// a glance between turns. `earlier` are the session's turns before `turn`.
pub fn coach(
    style: &Style,
    engine: &Engine<'_>,
    earlier: &[TurnRecord],
    turn: &TurnRecord,
) -> Option<String> {
    let bad = warnings(engine, earlier, turn);
    if let Some(first) = bad.first() {
        let more = if bad.len() > 1 {
            style.dim(&format!("（另有 {} 处）", bad.len() - 1))
        } else {
            String::new()
        };
        return Some(format!("  {}{more}", style.bad(&first.line)));
    }
    let analyser = engine.analyser();
    let mut good: Vec<String> = Vec::new();
    for sig in &turn.signals {
        if analyser.polarity(&sig.kind) == Some(Polarity::Bad)
            || !analyser.rubric().rules.iter().any(|r| r.id == sig.rule)
        {
            continue;
        }
        let label = (analyser.kinds().iter())
            .find(|k| k.id == sig.kind)
            .map_or(sig.kind.as_str(), |k| k.label.as_str());
        if !good.iter().any(|g| g == label) {
            good.push(label.to_string());
        }
    }
    // Accepting does not end the call: the trainee still has the close to do.
    if turn
        .events
        .iter()
        .any(|e| matches!(e, Event::RemedyAccepted { .. }))
    {
        good.push(
            "\u{5BA2}\u{6237}\u{63A5}\u{53D7}\u{4E86}\u{65B9}\u{6848}\u{FF1A}\
             \u{63A5}\u{7740}\u{786E}\u{8BA4}\u{3001}\u{8BF4}\u{6E05}\u{600E}\u{4E48}\
             \u{8DDF}\u{8FDB}\u{FF0C}\u{518D}\u{9053}\u{522B}"
                .to_string(),
        ); // 客户接受了方案：接着确认、说清怎么跟进，再道别
    }
    if good.is_empty() {
        return None;
    }
    Some(format!(
        "  {}",
        style.good(&format!("✓ {}", good.join(" · ")))
    ))
}

/// Why the built-in customer's words stand in for the model's, for a line voiced that
/// way; none while the breaker keeps the server paused (the line that paused it said
/// so). The same words on a terminal and on the page.
pub fn fallback_note(v: &crate::transcript::VoiceMark) -> Option<String> {
    if !v.is_fallback() || v.paused {
        return None;
    }
    let why = v.reason.as_deref().unwrap_or("大模型没有给出可用的回复");
    Some(format!(
        "〔{}\u{FF1B}这句用内置客户的台词〕",
        ui::sanitize(why)
    ))
}

/// `/hint`: the type's traits and the seed's advice.
pub fn hint(engine: &Engine<'_>) -> String {
    let p = engine.persona;
    let mut s = format!("{}的特征：\n", ui::sanitize(&p.name));
    for t in &p.traits {
        s.push_str(&format!("  · {}\n", ui::sanitize(t)));
    }
    s.push_str("应对建议：\n");
    for a in &p.advice {
        s.push_str(&format!("  · {}\n", ui::sanitize(a)));
    }
    s.trim_end().to_string()
}

/// `/mood`: anger, trust, needs met so far and turns left.
pub fn mood(style: &Style, engine: &Engine<'_>, st: &MoodState) -> String {
    let needs = engine.persona.needs.len();
    let left = engine.patience().saturating_sub(st.turn);
    format!(
        "{}\n信任 {}  已满足需求 {}/{}  还剩 {left} 轮",
        mood_bar(style, st.anger_i()),
        st.trust_i(),
        st.needs_met,
        needs
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mood_bar_has_ten_cells_and_the_number() {
        let plain = Style { on: false };
        assert_eq!(mood_bar(&plain, 62), "愤怒 ██████░░░░ 62");
        assert_eq!(mood_bar(&plain, 0), "愤怒 ░░░░░░░░░░ 0");
        assert_eq!(mood_bar(&plain, 140), "愤怒 ██████████ 100");
    }
}

//! The scoring dimensions, one function each (合规, 共情, 道歉, 处理流程, 服务用语,
//! 客户类型要点, 结果), with the tables that say what each looks for.

use super::card::{Dimension, Evidence, Promise};
use super::rules::{Hit, Line, evidence, missing};
use crate::engine::Outcome;
use crate::persona::{Need, Persona, Scenario};
use crate::rubric::{ACTION_KINDS, Analyser, Polarity};
use crate::transcript::{Ending, Transcript};

/// The procedure from taking a complaint to confirming it: the kind that marks each
/// stage, the stage's label, and what to say when it is missing.
const STAGES: [(&str, &str, &str); 6] = [
    ("restate", "受理/复述", "复述确认：“您的意思是……，对吗？”"),
    (
        "ask_info",
        "调查",
        "询问事实：“请问您的单号是多少？是什么时候发生的？”",
    ),
    ("remedy", "方案", "给出具体方案：“我们给您免费上门检测……”"),
    (
        "time_commitment",
        "时限",
        "给出时限：“明天下午三点前给您答复。”",
    ),
    ("follow_up", "跟进", "承诺跟进：“处理完我会回访您。”"),
    (
        "closing",
        "确认",
        "确认满意：“请问还有其他需要我帮您的吗？”",
    ),
];

/// The service phrases: kind, share of the dimension, label, what to say instead.
const COURTESY: [(&str, f64, &str, &str); 3] = [
    (
        "greeting",
        0.3,
        "问候",
        "开场问候：“您好，这里是……，请问有什么可以帮您？”",
    ),
    ("thanks", 0.3, "致谢", "致谢：“感谢您的耐心/反映。”"),
    (
        "closing",
        0.2,
        "结束语",
        "结束语：“请问还有其他需要吗？感谢您的来电。”",
    ),
];

/// 禁语与禁止法则: every bad hit costs its rule's weight; each cross-turn rule costs
/// `violation`. In a practice session the cross-turn rules are the customer's own
/// events (`heard`), so the card charges exactly what the coach warned of; a real chat,
/// which no customer heard, is judged on its lines.
pub(super) fn compliance(
    lines: &[Line],
    a: &Analyser,
    promises: &[Promise],
    max: f64,
    violation: f64,
    heard: Option<(&Persona, &Scenario)>,
) -> Dimension {
    let mut ev = signal_deductions(lines, a);
    match heard {
        Some((p, scenario)) => ev.extend(event_deductions(lines, a, violation, p, scenario)),
        None => ev.extend(line_deductions(lines, violation)),
    }
    // 言行不一: promises the scenario's policy says cannot be kept.
    for p in promises.iter().filter(|p| !p.keepable) {
        ev.push(Evidence {
            better: Some(p.better().into()),
            ..evidence(
                p.turn,
                p.quote.clone(),
                BROKEN_PROMISE.0,
                -violation,
                format!("{}：{}", p.label(), p.why),
            )
        });
    }
    let lost: f64 = ev.iter().map(|e| -e.points).sum();
    Dimension {
        id: "compliance",
        label: "禁语与禁止法则",
        score: max - lost,
        max,
        evidence: ev,
    }
}

/// The rule of a promise that cannot be kept (言行不一, 前后不一, 数额不对), and what to
/// do instead as a rule (a wrong sum has its own: [`Promise::better`]): the card's
/// deduction and the coach's warning.
pub const BROKEN_PROMISE: (&str, &str) = (
    "rule.broken-promise",
    "只承诺政策允许的事；做不到的，说明原因并给出能做到的方案",
);

/// The cross-turn rule an event of the customer's breaks, if it breaks one: the id
/// under which the card deducts it and the coach warns of it.
pub fn event_rule(e: &crate::engine::Event) -> Option<&'static str> {
    use crate::engine::Event;
    Some(match e {
        Event::EmptyApology => "rule.empty-apology",
        Event::Rushed { .. } => "rule.rushed-conclusion",
        Event::Scripted => "rule.scripted",
        Event::Template => "rule.template",
        Event::RemedyList => "rule.remedy-list",
        _ => return None,
    })
}

/// 合规 counts for a conversation that took the complaint up. The caller leaves a
/// resolved session alone (the customer accepted: the complaint was handled, whatever
/// steps the card could credit); otherwise, below `needed` of the 处理流程 points, the
/// compliance points are scaled by the share reached, with a line on the card that says
/// so. Without this a session of calm brush-offs the reading did not catch kept all
/// twenty points for saying nothing wrong, and ranked above average sessions whose one
/// slip was caught (calibration: poor 23.5 above average 6.8).
pub(super) fn compliance_needs_handling(dims: &mut [Dimension], needed: f64) {
    let Some(p) = dims.iter().find(|d| d.id == "process") else {
        return;
    };
    if needed <= 0.0 || p.max <= 0.0 {
        return;
    }
    let (done, of) = (p.score, p.max);
    let factor = (done / of / needed).min(1.0);
    let Some(c) = dims.iter_mut().find(|d| d.id == "compliance") else {
        return;
    };
    let kept = (c.score * factor * 10.0).round() / 10.0;
    let lost = ((c.score - kept) * 10.0).round() / 10.0;
    if lost <= 0.0 {
        return;
    }
    c.evidence.push(Evidence {
        turn: None,
        quote: String::new(),
        rule: "compliance.unhandled".into(),
        points: -lost,
        why: format!(
            "这一项要在处理了投诉时才全给，没处理时没说错话不值分：客户没有接受方案，处理流程只得了 {done:.1}/{of:.1}，不到 {:.0}%，这一项剩下的 {:.1} 分按比例只给 {kept:.1}",
            needed * 100.0,
            c.score
        ),
        better: Some(
            "把处理流程走起来：复述确认 → 询问事实 → 具体方案 → 时限 → 跟进 → 确认满意".into(),
        ),
    });
    c.score = kept;
}

/// Every bad act of the reading (禁语, 责难, 立刻摆道理, 推诿, 轻描淡写) costs its rule's
/// weight, once per span. Register (你 for 您) is scored under 服务用语.
fn signal_deductions(lines: &[Line], a: &Analyser) -> Vec<Evidence> {
    let mut ev = Vec::new();
    for l in lines {
        for h in &l.hits {
            let (kind, s, e) = (h.kind, h.start, h.end);
            if a.polarity(kind) != Some(Polarity::Bad) || kind == "impolite" {
                continue;
            }
            let r = &a.rubric().rules[h.rule];
            let label = a
                .kinds()
                .iter()
                .find(|k| k.id == kind)
                .map_or(kind, |k| k.label.as_str());
            let why = if r.phrase.is_empty() {
                label.to_string()
            } else {
                format!("{label}\u{FF1A}「{}」", r.phrase)
            };
            ev.push(Evidence {
                better: (!r.better.is_empty()).then(|| r.better.clone()),
                ..evidence(
                    l.turn,
                    crate::reading::quote_span(l.text, s, e),
                    &r.id,
                    -r.weight,
                    why,
                )
            });
        }
    }
    ev
}

/// The cross-turn rules as the customer noticed them, turn by turn: the very events
/// the coach line warned of.
fn event_deductions(
    lines: &[Line],
    a: &Analyser,
    violation: f64,
    p: &Persona,
    scenario: &Scenario,
) -> Vec<Evidence> {
    use crate::engine::Event;
    let mut ev = Vec::new();
    for l in lines {
        for e in l.events {
            let Some(rule) = event_rule(e) else {
                continue;
            };
            let (quote, why, better) = match e {
                Event::EmptyApology => (
                    l.quote("apology"),
                    "一味道歉：连续道歉却没有任何行动".to_string(),
                    "道歉一次就够，接着说明您会怎么处理：“很抱歉给您添麻烦了，我马上帮您查……”"
                        .to_string(),
                ),
                Event::Rushed { need } => {
                    let n = p.needs.iter().find(|n| &n.id == need);
                    (
                        l.quote("remedy"),
                        match n {
                            Some(n) => format!(
                                "急于下结论：客户还在等「{}」就给了方案",
                                n.label.trim_end_matches(['。', '.'])
                            ),
                            None => "急于下结论：客户的要求还没满足就给了方案".to_string(),
                        },
                        n.and_then(|n| need_tip(n, Some(scenario), a))
                            .unwrap_or_else(|| "先倾听、复述、询问，再给方案".to_string()),
                    )
                }
                Event::Scripted => (
                    l.text.to_string(),
                    "背稿子：一句话里塞了太多套话，客户只听出了敷衍".to_string(),
                    "一次做好一两件实事：先听客户说，再针对他的情况回应".to_string(),
                ),
                Event::Template => (
                    l.text.to_string(),
                    "念稿子：同样的话说了第二遍".to_string(),
                    "换成针对客户这句话的回应".to_string(),
                ),
                Event::RemedyList => (
                    l.text.to_string(),
                    "方案一口气列一串：客户不知道哪个能兑现，等于没给具体方案".to_string(),
                    "只给一个您做得到的具体方案：做什么、谁来做、什么时候".to_string(),
                ),
                _ => continue,
            };
            ev.push(Evidence {
                better: Some(better),
                ..evidence(l.turn, quote, rule, -violation, why)
            });
        }
    }
    ev
}

/// The cross-turn rules for a real chat, which no customer engine heard: judged on
/// the agent's lines alone.
fn line_deductions(lines: &[Line], violation: f64) -> Vec<Evidence> {
    let mut ev = Vec::new();
    // 一味道歉: the third apology in a row with no action.
    let mut streak = 0;
    for l in lines {
        if ACTION_KINDS.iter().any(|k| l.has(k)) {
            streak = 0;
        } else if l.has("apology") {
            streak += 1;
            if streak == 3 {
                ev.push(Evidence {
                    better: Some(
                        "道歉一次就够，接着说明您会怎么处理：“很抱歉给您添麻烦了，我马上帮您查……”"
                            .into(),
                    ),
                    ..evidence(
                        l.turn,
                        l.quote("apology"),
                        "rule.empty-apology",
                        -violation,
                        "一味道歉：连续道歉却没有任何行动",
                    )
                });
            }
        }
    }
    // 急于下结论: a remedy before any question or restatement.
    let first_remedy = lines.iter().find(|l| l.has("remedy") && !l.urgent);
    let first_inquiry = lines.iter().find(|l| l.has("ask_info") || l.has("restate"));
    if let Some(r) = first_remedy
        && first_inquiry.is_none_or(|q| q.turn > r.turn)
    {
        ev.push(Evidence {
            better: Some(
                "先问清楚情况再给方案：“请问是什么时候开始出现的？您的单号是多少？”".into(),
            ),
            ..evidence(
                r.turn,
                r.quote("remedy"),
                "rule.rushed-conclusion",
                -violation,
                "急于下结论：还没询问或复述情况就给出方案",
            )
        });
    }
    ev
}

/// 共情: early and genuine — full marks for empathy in the first two turns, less later;
/// the same empathy rule used three times or more reads as a template.
pub(super) fn empathy(lines: &[Line], a: &Analyser, max: f64) -> Dimension {
    let mut ev = Vec::new();
    let first = lines.iter().find(|l| l.has("empathy"));
    let share = match first.map(|l| l.turn) {
        Some(1..=2) => 1.0,
        Some(3..=4) => 0.7,
        Some(_) => 0.4,
        None => 0.0,
    };
    match first {
        Some(l) => ev.push(evidence(
            l.turn,
            l.quote("empathy"),
            &rule_id(l, a, "empathy"),
            share * max,
            if share == 1.0 {
                "及早表达理解"
            } else {
                "表达了理解，但来得晚"
            },
        )),
        None => ev.push(missing(
            "rule.no-empathy".into(),
            "整场没有真正表达理解客户的感受".into(),
            "“换作是我也会着急，您的心情我理解。”".into(),
        )),
    }
    let mut score = share * max;
    let mut seen: Vec<String> = Vec::new();
    for l in lines {
        for h in l.hits.iter().filter(|h| h.kind == "empathy") {
            let phrase: String = l.text[h.start..h.end]
                .chars()
                .filter(|c| c.is_alphanumeric())
                .collect();
            if seen.iter().filter(|p| **p == phrase).count() == 2 {
                let p = -0.2 * max;
                score += p;
                ev.push(Evidence {
                    better: Some("换一种说法，说到客户具体的处境".into()),
                    ..evidence(
                        l.turn,
                        crate::reading::quote_span(l.text, h.start, h.end),
                        "rule.template-empathy",
                        p,
                        "同一句共情反复说，像在念稿子",
                    )
                });
            }
            seen.push(phrase);
        }
    }
    Dimension {
        id: "empathy",
        label: "共情",
        score,
        max,
        evidence: ev,
    }
}

pub(super) fn rule_id(l: &Line, a: &Analyser, kind: &str) -> String {
    l.first(kind)
        .map_or_else(String::new, |h| a.rubric().rules[h.rule].id.clone())
}

/// 道歉: sincere, once or twice, tied to action: in the same or the next turn, or
/// after action already taken (「之前没人接待，是我们做得不好」 once the remedy is under
/// way apologises for the past; it is not 一味道歉).
pub(super) fn apology(lines: &[Line], max: f64) -> Dimension {
    let turns: Vec<&Line> = lines.iter().filter(|l| l.has("apology")).collect();
    let acts = |i: usize| {
        lines[..(i + 2).min(lines.len())]
            .iter()
            .any(|l| ACTION_KINDS.iter().any(|k| l.has(k)))
    };
    let tied = turns
        .iter()
        .filter(|l| acts(lines.iter().position(|x| x.turn == l.turn).unwrap_or(0)))
        .count();
    let (share, why) = match turns.len() {
        0 => (0.5, "没有道歉：属于我们做得不到位的，应坦诚道歉"),
        1 | 2 if tied == turns.len() => (1.0, "道歉真诚，并马上跟上行动"),
        1 | 2 => (0.6, "道歉后没有跟上行动"),
        _ => (0.4, "道歉次数过多"),
    };
    let ev = vec![Evidence {
        turn: turns.first().map(|l| l.turn),
        quote: turns
            .first()
            .map_or_else(String::new, |l| l.quote("apology")),
        rule: "rule.apology".into(),
        points: share * max,
        why: why.into(),
        better: (share < 1.0).then(|| "“很抱歉给您添麻烦了，我现在就帮您查……”".to_string()),
    }];
    Dimension {
        id: "apology",
        label: "道歉",
        score: share * max,
        max,
        evidence: ev,
    }
}

/// 处理流程: each stage credited when it comes at its time — a remedy after the
/// complaint was taken (复述) or looked into (调查), a deadline, follow-up and
/// confirmation with or after the remedy. A stage out of its place earns half: the
/// procedure is a sequence, not a list of phrases to mention.
pub(super) fn process(lines: &[Line], max: f64) -> Dimension {
    let mut ev = Vec::new();
    let per = max / STAGES.len() as f64;
    let first = |kind: &str| lines.iter().find(|l| l.has(kind)).map(|l| l.turn);
    let taken = [first("restate"), first("ask_info")]
        .into_iter()
        .flatten()
        .min();
    let remedy = first("remedy");
    let urgent = lines.iter().any(|l| l.urgent);
    let mut score = 0.0;
    let early = |kind: &str, l: &Line| match kind {
        "remedy" => (!urgent && taken.is_none_or(|t| t > l.turn))
            .then_some("方案在了解情况之前：先复述、询问，再给方案"),
        "time_commitment" | "follow_up" => remedy
            .is_none_or(|r| r > l.turn)
            .then_some("还没有方案就先说了这一步：时限和跟进要跟着具体方案"),
        "closing" => remedy
            .is_none_or(|r| r > l.turn)
            .then_some("还没有方案就收尾：先把客户的问题解决，再确认"),
        _ => None,
    };
    for (kind, label, hint) in STAGES {
        // Credited where the stage came at its time, if it ever did: a remedy said
        // early and again after the complaint was taken is the procedure done, late.
        let doing = || lines.iter().filter(|l| stage_said(l, kind).is_some());
        let Some(l) = doing()
            .find(|l| early(kind, l).is_none())
            .or_else(|| doing().next())
        else {
            ev.push(missing(
                format!("stage.{kind}"),
                format!("缺少「{label}」这一步"),
                hint.into(),
            ));
            continue;
        };
        let early = early(kind, l);
        let points = if early.is_some() { per / 2.0 } else { per };
        score += points;
        let said = stage_said(l, kind).unwrap_or(kind);
        // A deadline is quoted where it names a time, if the line names one.
        let quote = l.quote_preferring(said, |clause| {
            said != "time_commitment" || crate::reading::slots_of(clause).time.is_some()
        });
        ev.push(Evidence {
            better: early.map(str::to_string),
            ..evidence(
                l.turn,
                quote,
                &format!("stage.{kind}"),
                points,
                if early.is_some() {
                    format!("{label}（时机不对，只算一半）")
                } else {
                    label.to_string()
                },
            )
        });
    }
    Dimension {
        id: "process",
        label: "处理流程",
        score,
        max,
        evidence: ev,
    }
}

/// The kinds that can check the customer is satisfied (确认), asked as a question:
/// 「请问还有其他需要帮您的吗？」, 「您看这样处理可以吗？」. A bare goodbye is the 结束语 of
/// 服务用语, not a check.
const CONFIRMS: [&str; 2] = ["closing", "consult"];

/// The kind by which line `l` does the stage marked by `kind`, if it does it.
fn stage_said(l: &Line, kind: &'static str) -> Option<&'static str> {
    if kind != "closing" {
        return l.has(kind).then_some(kind);
    }
    // ？, ?, 吗
    let asks = l.text.contains(['\u{FF1F}', '?', '\u{5417}']);
    CONFIRMS.iter().copied().filter(|_| asks).find(|k| l.has(k))
}

/// 服务用语: greeting, thanks, closing; no rude register (你 for 您, sarcasm).
pub(super) fn courtesy(lines: &[Line], a: &Analyser, max: f64) -> Dimension {
    let mut ev = Vec::new();
    let mut score = 0.0;
    for (kind, share, label, hint) in COURTESY {
        match lines.iter().find(|l| l.has(kind)) {
            Some(l) => {
                score += share * max;
                ev.push(evidence(
                    l.turn,
                    l.quote(kind),
                    &format!("courtesy.{kind}"),
                    share * max,
                    label,
                ));
            }
            None => ev.push(missing(
                format!("courtesy.{kind}"),
                format!("没有{label}"),
                hint.into(),
            )),
        }
    }
    let rude: Vec<(&Line, &Hit)> = lines
        .iter()
        .flat_map(|l| {
            l.hits
                .iter()
                .filter(|h| h.kind == "impolite")
                .map(move |h| (l, h))
        })
        .collect();
    let clean = (0.2 - 0.1 * rude.len() as f64).max(0.0);
    score += clean * max;
    // Each costs a tenth of the dimension, the first two; the rest are listed all the
    // same (the coach warned of each one as it was said), with nothing left to take.
    for (i, (l, h)) in rude.iter().enumerate() {
        let r = &a.rubric().rules[h.rule];
        let (points, why) = if i < 2 {
            (-0.1 * max, "用语不够礼貌")
        } else {
            (0.0, "用语不够礼貌（这一部分的分已经扣完）")
        };
        // Listed without points, it still needs its better phrasing to be shown.
        let better = match r.better.as_str() {
            "" if i < 2 => None,
            "" => Some("用「您」称呼客户，语气平和，不反问、不讽刺".to_string()),
            b => Some(b.to_string()),
        };
        ev.push(Evidence {
            better,
            ..evidence(
                l.turn,
                crate::reading::quote_span(l.text, h.start, h.end),
                &r.id,
                points,
                why,
            )
        });
    }
    Dimension {
        id: "courtesy",
        label: "服务用语",
        score,
        max,
        evidence: ev,
    }
}

/// 客户类型要点: the persona's needs, which encode the deck's 建议 for this type.
pub(super) fn persona_needs(
    t: &Transcript,
    p: &Persona,
    scenario: &Scenario,
    analyser: &Analyser,
    max: f64,
) -> Dimension {
    let mut ev = Vec::new();
    let mut met = 0;
    for need in &p.needs {
        let when = t
            .turns
            .iter()
            .find(|x| x.needs_met.iter().any(|n| n == &need.id))
            .map(|x| x.n);
        match when {
            Some(turn) => {
                met += 1;
                ev.push(Evidence {
                    turn: Some(turn),
                    quote: String::new(),
                    rule: format!("need.{}", need.id),
                    points: max / p.needs.len() as f64,
                    why: format!("做到了：{}", need.label),
                    better: None,
                });
            }
            None => ev.push(missing(
                format!("need.{}", need.id),
                format!("没做到：{}", need.label),
                need_tip(need, Some(scenario), analyser).unwrap_or_else(|| p.advice.join("；")),
            )),
        }
    }
    let score = if p.needs.is_empty() {
        max
    } else {
        max * met as f64 / p.needs.len() as f64
    };
    Dimension {
        id: "persona",
        label: "客户类型要点",
        score,
        max,
        evidence: ev,
    }
}

/// What to say to meet one need: the persona's own tip, else the rubric's phrase for
/// each kind that meets it; with a scenario, also its policy when that must be stated.
/// The type's whole advice is the scorecard's fallback only: repeated under every
/// missed need, it buried the one step that was missing.
pub fn need_tip(need: &Need, scenario: Option<&Scenario>, analyser: &Analyser) -> Option<String> {
    let mut parts = Vec::new();
    if !need.tip.trim().is_empty() {
        parts.push(need.tip.trim().to_string());
    } else {
        let rules = &analyser.rubric().rules;
        let phrases: Vec<String> = need
            .any
            .iter()
            .filter_map(|kind| {
                rules
                    .iter()
                    .find(|r| &r.kind == kind && !r.phrase.is_empty())
                    .map(|r| format!("「{}」", r.phrase))
            })
            .collect();
        if !phrases.is_empty() {
            parts.push(format!("比如说{}", phrases.join("或")));
        }
    }
    if let Some(sc) = scenario.filter(|_| need.policy)
        && !sc.policy.summary.trim().is_empty()
    {
        parts.push(format!("本场景的政策和法规：{}", sc.policy.summary.trim()));
    }
    (!parts.is_empty()).then(|| parts.join("\u{FF1B}"))
}

/// 结果: resolved, walked out, out of turns — and how calm the customer ended. Only an
/// accepted remedy earns the dimension; a customer still there and calmer than their
/// walk-out line earns up to a quarter, a customer who left nothing.
pub(super) fn outcome(t: &Transcript, walk_out_at: i32, max: f64) -> Dimension {
    let ending = t
        .end
        .as_ref()
        .map_or(Ending::Unfinished, |e| Ending::of(&e.outcome));
    let outcome = ending.as_str();
    let anger = t.turns.last().map_or(t.header.initial.anger, |x| x.anger);
    let calm = (1.0 - f64::from(anger) / f64::from(walk_out_at.max(1))).clamp(0.0, 1.0);
    let share = match ending {
        Ending::Ended(Outcome::Resolved) => 1.0,
        Ending::Ended(Outcome::OutOfTurns) | Ending::Unfinished => 0.25 * calm,
        Ending::Ended(Outcome::WalkedOut) | Ending::Chat => 0.0,
    };
    let why = ending.label();
    Dimension {
        id: "outcome",
        label: "结果",
        score: share * max,
        max,
        evidence: vec![Evidence {
            turn: t.end.as_ref().map(|e| e.turns),
            quote: String::new(),
            rule: format!("outcome.{outcome}"),
            points: share * max,
            why: format!("{why}（共 {} 轮）", t.turns.len()),
            // Anything short of a resolved complaint is something to improve, never a
            // thing done well (「对话未结束」 under 「做得好」 read as praise).
            better: (share < 1.0).then(|| {
                "先把客户最在意的需求做到，再给出他能接受、你做得到的具体方案".to_string()
            }),
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::persona::Catalog;

    fn need(toml_text: &str) -> Need {
        toml::from_str(toml_text).unwrap()
    }

    #[test]
    fn a_need_without_a_tip_falls_back_to_the_rubrics_phrases_and_the_policy() {
        let analyser = crate::rubric::default_rubric();
        let plain = need(
            r#"id = "x"
label = "理解我"
any = ["empathy", "restate"]"#,
        );
        assert_eq!(
            need_tip(&plain, None, analyser).unwrap(),
            "比如说「非常理解您的心情」或「您的意思是……\u{FF0C}对吗\u{FF1F}」"
        );

        let catalog = Catalog::load(None, analyser).unwrap();
        let scenario = &catalog.find("prepared").unwrap().persona.scenarios[0];
        let policy = need(
            r#"id = "p"
label = "讲准政策"
policy = true
tip = "按规定说"
"#,
        );
        let tip = need_tip(&policy, Some(scenario), analyser).unwrap();
        assert!(
            tip.starts_with("按规定说；本场景的政策和法规\u{FF1A}"),
            "{tip}"
        );
        assert!(tip.contains(scenario.policy.summary.trim()));
        assert_eq!(need_tip(&policy, None, analyser).unwrap(), "按规定说");

        let nothing = need(
            r#"id = "n"
label = "等一等"
"#,
        );
        assert_eq!(need_tip(&nothing, None, analyser), None);
    }
}

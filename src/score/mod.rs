//! Scoring: what the rubric and the persona make of a transcript. Every point given or
//! taken carries its evidence — the turn, the quoted words, the rule, why, and for a
//! mistake a better phrasing — so a trainee can see exactly what helped and what hurt.
//!
//! The scorer reads only the transcript: the trainee lines with the reading recorded for
//! each, and the outcome. Under the rubric the session ran with it scores that recorded
//! reading, the one the customer answered; under another (tomorrow's rules, a trainer's
//! house rules) it reads the lines again and the card says so. It performs no I/O;
//! `render` turns a [`Scorecard`] into text, JSON or Markdown.

pub mod html;
mod ledger;
pub mod render;

use serde::Serialize;

pub use ledger::Promise;
use ledger::promises;

use crate::engine::Outcome;
use crate::persona::{Need, Persona, Scenario};
use crate::rubric::{ACTION_KINDS, Analyser, Polarity};
use crate::transcript::{Ending, Transcript, TurnRecord};

/// Version of the scorecard JSON format.
pub const SCHEMA: &str = "peilian.scorecard/1";

/// One piece of evidence: why points were given or taken.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    /// 1-based trainee turn, if the evidence is one line.
    pub turn: Option<u32>,
    /// The trainee's words the evidence is about.
    pub quote: String,
    /// Rule id, or the id of a cross-turn rule such as `rule.empty-apology`.
    pub rule: String,
    /// Points: positive given, negative taken.
    pub points: f64,
    pub why: String,
    /// A better phrasing, for mistakes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub better: Option<String>,
}

/// One scoring dimension.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dimension {
    pub id: &'static str,
    pub label: &'static str,
    pub score: f64,
    pub max: f64,
    pub evidence: Vec<Evidence>,
}

/// One turn of the dialogue as a report shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoredTurn {
    pub n: u32,
    pub trainee: String,
    pub customer: String,
    pub anger: i32,
    /// Signals in the trainee's line (byte offsets), with their polarity.
    pub spans: Vec<Span>,
}

/// A marked stretch of a trainee line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub kind: String,
    pub label: String,
    pub rule: String,
    /// `good` or `bad`.
    pub polarity: &'static str,
}

/// What was scored, so a scorecard can be reproduced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Provenance {
    pub transcript: String,
    pub persona: String,
    /// Hash of the persona file the session ran with.
    pub persona_hash: String,
    /// Hash of the persona file used for scoring, if it differs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub persona_hash_now: Option<String>,
    pub scenario: String,
    pub difficulty: String,
    pub rubric: String,
    pub rubric_version: u32,
    pub rubric_hash: String,
    /// The rubric the session was read with, if it differs: its lines were read again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rubric_hash_then: Option<String>,
    pub peilian: String,
}

/// The result of scoring one transcript.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scorecard {
    pub schema: &'static str,
    pub source: Provenance,
    pub trainee: String,
    /// `resolved`, `walked_out`, `out_of_turns` or `unfinished`.
    pub outcome: String,
    pub turns: u32,
    pub final_anger: i32,
    /// Anger before the first turn and after each turn, for the mood curve.
    pub anger_curve: Vec<i32>,
    pub total: f64,
    pub grade: String,
    /// Set when the 禁语 gate lowered the grade.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capped_from: Option<String>,
    /// Set when the session is not a fair basis for assessment: the model voicing the
    /// customer broke character and could not be brought back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invalid: Option<String>,
    pub forbidden_count: usize,
    pub dimensions: Vec<Dimension>,
    pub promises: Vec<Promise>,
    /// The dialogue with each trainee line's signals, for annotated reports.
    pub dialogue: Vec<ScoredTurn>,
    /// Generated-at time; the only field that differs between two scorings.
    pub generated_at: String,
}

/// The procedure from taking a complaint to confirming it, by the kind that marks
/// each stage.
/// each stage with what to say when it is missing.
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

/// A signal as the scorer uses it.
pub(crate) struct Hit<'a> {
    pub kind: &'a str,
    /// Index into the rubric's rules.
    pub rule: usize,
    pub start: usize,
    pub end: usize,
}

/// One trainee line with its signals as today's rubric sees them.
pub(crate) struct Line<'a> {
    pub turn: u32,
    pub text: &'a str,
    pub hits: Vec<Hit<'a>>,
}

impl Line<'_> {
    fn has(&self, kind: &str) -> bool {
        self.hits.iter().any(|h| h.kind == kind)
    }

    fn first(&self, kind: &str) -> Option<&Hit<'_>> {
        self.hits.iter().find(|h| h.kind == kind)
    }

    fn quote(&self, kind: &str) -> String {
        self.first(kind).map_or_else(
            || self.text.to_string(),
            |h| self.text[h.start..h.end].to_string(),
        )
    }
}

/// Score a transcript. `persona_hash_now` is the hash of the persona file in use, to
/// note when it is not the one the session ran with.
pub fn score(
    t: &Transcript,
    transcript_name: &str,
    persona: &Persona,
    scenario: &Scenario,
    persona_hash_now: &str,
    analyser: &Analyser,
    generated_at: String,
) -> Scorecard {
    score_with(
        t,
        transcript_name,
        Some((persona, scenario, persona_hash_now)),
        analyser,
        generated_at,
    )
}

/// Score a real service chat: the agent's lines only, with no persona criteria and no
/// outcome — the total is scaled to 100 over the dimensions that remain.
pub fn score_chat(
    t: &Transcript,
    name: &str,
    analyser: &Analyser,
    generated_at: String,
) -> Scorecard {
    let mut card = score_with(t, name, None, analyser, generated_at);
    card.outcome = Ending::Chat.as_str().into();
    card.final_anger = 0;
    card.anger_curve.clear();
    card
}

/// A turn's recorded signals, if every one names a kind and rule of `analyser` and
/// spans its text.
fn stored_hits<'a>(turn: &'a TurnRecord, analyser: &'a Analyser) -> Option<Vec<Hit<'a>>> {
    turn.signals
        .iter()
        .map(|s| {
            let kind = analyser.kinds().get(analyser.kind_index(&s.kind)?)?;
            let ok = s.start <= s.end && turn.trainee.get(s.start..s.end).is_some();
            ok.then_some(Hit {
                kind: kind.id.as_str(),
                rule: analyser.rule_index(&s.rule)?,
                start: s.start,
                end: s.end,
            })
        })
        .collect()
}

/// A line read afresh.
fn read_hits<'a>(text: &str, analyser: &'a Analyser) -> Vec<Hit<'a>> {
    analyser
        .analyse(text)
        .iter()
        .map(|s| Hit {
            kind: analyser.kind(s).id.as_str(),
            rule: s.rule,
            start: s.start,
            end: s.end,
        })
        .collect()
}

fn score_with(
    t: &Transcript,
    transcript_name: &str,
    persona: Option<(&Persona, &Scenario, &str)>,
    analyser: &Analyser,
    generated_at: String,
) -> Scorecard {
    // Read with this very rubric, the transcript's own reading is the one the customer
    // answered: score that, and read nothing again. Read with another, each line is
    // read again by today's rubric, and the card says so (`rubric_hash_then`).
    let recorded = t.header.rubric.hash == analyser.hash();
    let lines: Vec<Line> = t
        .turns
        .iter()
        .map(|turn| Line {
            turn: turn.n,
            text: &turn.trainee,
            hits: recorded
                .then(|| stored_hits(turn, analyser))
                .flatten()
                .unwrap_or_else(|| read_hits(&turn.trainee, analyser)),
        })
        .collect();
    let sc = &analyser.rubric().scoring;
    let w = &sc.weights;
    let promises = promises(&lines, persona.map(|p| p.1));

    let mut dims = vec![
        compliance(
            &lines,
            analyser,
            &promises,
            w.compliance,
            sc.violation_points,
        ),
        empathy(&lines, analyser, w.empathy),
        apology(&lines, w.apology),
        process(&lines, w.process),
        courtesy(&lines, analyser, w.courtesy),
    ];
    if let Some((p, scenario, _)) = persona {
        dims.push(persona_needs(t, p, scenario, analyser, w.persona));
        dims.push(outcome(t, w.outcome));
    }
    for d in &mut dims {
        d.score = (d.score.clamp(0.0, d.max) * 10.0).round() / 10.0;
    }
    let max: f64 = dims.iter().map(|d| d.max).sum();
    let got: f64 = dims.iter().map(|d| d.score).sum();
    let total = if max > 0.0 {
        (got / max * 1000.0).round() / 10.0
    } else {
        0.0
    };
    let forbidden_count = lines
        .iter()
        .map(|l| l.hits.iter().filter(|h| h.kind == "forbidden").count())
        .sum();
    let mut grade = sc
        .grades
        .iter()
        .find(|g| total >= g.min)
        .or(sc.grades.last())
        .map_or_else(String::new, |g| g.name.clone());
    let mut capped_from = None;
    if forbidden_count > 0 && !sc.forbidden_cap.is_empty() {
        let rank = |name: &str| sc.grades.iter().position(|g| g.name == name);
        if let (Some(have), Some(cap)) = (rank(&grade), rank(&sc.forbidden_cap))
            && have < cap
        {
            capped_from = Some(std::mem::replace(&mut grade, sc.forbidden_cap.clone()));
        }
    }
    let rubric = analyser.rubric();
    Scorecard {
        schema: SCHEMA,
        source: Provenance {
            transcript: transcript_name.to_string(),
            persona: t.header.persona.id.clone(),
            persona_hash: t.header.persona.hash.clone(),
            persona_hash_now: persona
                .map(|p| p.2)
                .filter(|now| *now != t.header.persona.hash)
                .map(str::to_string),
            scenario: t.header.scenario.clone(),
            difficulty: t.header.difficulty.clone(),
            rubric: rubric.id.clone(),
            rubric_version: rubric.version,
            rubric_hash: analyser.hash().to_string(),
            rubric_hash_then: (!recorded).then(|| t.header.rubric.hash.clone()),
            peilian: env!("CARGO_PKG_VERSION").to_string(),
        },
        trainee: t.header.trainee.clone(),
        outcome: t
            .end
            .as_ref()
            .map_or("unfinished".into(), |e| e.outcome.clone()),
        turns: t.turns.len() as u32,
        final_anger: t.turns.last().map_or(t.header.initial.anger, |x| x.anger),
        anger_curve: std::iter::once(t.header.initial.anger)
            .chain(t.turns.iter().map(|x| x.anger))
            .collect(),
        total,
        grade,
        capped_from,
        invalid: t.invalid_reason(),
        forbidden_count,
        dimensions: dims,
        promises,
        dialogue: t
            .turns
            .iter()
            .zip(&lines)
            .map(|(turn, line)| ScoredTurn {
                n: turn.n,
                trainee: turn.trainee.clone(),
                customer: turn.customer.clone(),
                anger: turn.anger,
                spans: line
                    .hits
                    .iter()
                    .map(|h| {
                        let info = analyser.kinds().iter().find(|k| k.id == h.kind);
                        Span {
                            start: h.start,
                            end: h.end,
                            kind: h.kind.to_string(),
                            label: info.map_or_else(String::new, |k| k.label.clone()),
                            rule: analyser.rubric().rules[h.rule].id.clone(),
                            polarity: match analyser.polarity(h.kind) {
                                Some(Polarity::Bad) => "bad",
                                _ => "good",
                            },
                        }
                    })
                    .collect(),
            })
            .collect(),
        generated_at,
    }
}

/// Evidence of something that did not happen: no turn, no points, what to do.
fn missing(rule: String, why: String, better: String) -> Evidence {
    Evidence {
        turn: None,
        quote: String::new(),
        rule,
        points: 0.0,
        why,
        better: Some(better),
    }
}

fn evidence(turn: u32, quote: String, rule: &str, points: f64, why: impl Into<String>) -> Evidence {
    Evidence {
        turn: Some(turn),
        quote,
        rule: rule.to_string(),
        points,
        why: why.into(),
        better: None,
    }
}

/// 禁语与禁止法则: every bad hit costs its rule's weight; the cross-turn rules cost
/// `violation` each.
fn compliance(
    lines: &[Line],
    a: &Analyser,
    promises: &[Promise],
    max: f64,
    violation: f64,
) -> Dimension {
    let mut ev = Vec::new();
    for l in lines {
        for h in &l.hits {
            let (kind, s, e) = (h.kind, h.start, h.end);
            // Register (你 for 您) is scored under 服务用语, once.
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
                format!("{label}:「{}」", r.phrase)
            };
            ev.push(Evidence {
                better: (!r.better.is_empty()).then(|| r.better.clone()),
                ..evidence(l.turn, l.text[s..e].to_string(), &r.id, -r.weight, why)
            });
        }
    }
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
    let first_remedy = lines.iter().find(|l| l.has("remedy"));
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
    // 立刻摆道理: arguing in the first two turns.
    if let Some(l) = lines.iter().take(2).find(|l| l.has("argue")) {
        ev.push(Evidence {
            better: Some("先让客户把话说完，表示理解，再解释原因".into()),
            ..evidence(
                l.turn,
                l.quote("argue"),
                "rule.argue-at-once",
                -violation,
                "立刻与客户摆道理",
            )
        });
    }
    // 言行不一: promises the scenario's policy says cannot be kept.
    for p in promises.iter().filter(|p| !p.keepable) {
        ev.push(Evidence {
            better: Some("只承诺政策允许的事；做不到的，说明原因并给出能做到的方案".into()),
            ..evidence(
                p.turn,
                p.quote.clone(),
                "rule.broken-promise",
                -violation,
                format!("言行不一：{}", p.why),
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

/// 共情: early and genuine — full marks for empathy in the first two turns, less later;
/// the same empathy rule used three times or more reads as a template.
fn empathy(lines: &[Line], a: &Analyser, max: f64) -> Dimension {
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
                        l.text[h.start..h.end].to_string(),
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

fn rule_id(l: &Line, a: &Analyser, kind: &str) -> String {
    l.first(kind)
        .map_or_else(String::new, |h| a.rubric().rules[h.rule].id.clone())
}

/// 道歉: sincere, once or twice, tied to action in the same or the next turn.
fn apology(lines: &[Line], max: f64) -> Dimension {
    let turns: Vec<&Line> = lines.iter().filter(|l| l.has("apology")).collect();
    let acts = |i: usize| {
        lines[i..(i + 2).min(lines.len())]
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

/// 处理流程: each stage present, and the stages present in roughly the right order.
fn process(lines: &[Line], max: f64) -> Dimension {
    let mut ev = Vec::new();
    let mut firsts = Vec::new();
    let per = 0.8 * max / STAGES.len() as f64;
    for (kind, label, hint) in STAGES {
        match lines.iter().find(|l| l.has(kind)) {
            Some(l) => {
                firsts.push(l.turn);
                ev.push(evidence(
                    l.turn,
                    l.quote(kind),
                    &format!("stage.{kind}"),
                    per,
                    label.to_string(),
                ));
            }
            None => ev.push(missing(
                format!("stage.{kind}"),
                format!("缺少「{label}」这一步"),
                hint.into(),
            )),
        }
    }
    let ordered = firsts.windows(2).filter(|w| w[0] <= w[1]).count();
    let order_share = if firsts.len() < 2 {
        0.0
    } else {
        ordered as f64 / (firsts.len() - 1) as f64
    };
    let present = firsts.len() as f64 * per;
    ev.push(Evidence {
        turn: None,
        quote: String::new(),
        rule: "stage.order".into(),
        points: 0.2 * max * order_share,
        why: format!(
            "步骤顺序 {ordered}/{} 处正确",
            firsts.len().saturating_sub(1)
        ),
        better: None,
    });
    Dimension {
        id: "process",
        label: "处理流程",
        score: present + 0.2 * max * order_share,
        max,
        evidence: ev,
    }
}

/// 服务用语: greeting, thanks, closing; no rude register (你 for 您, sarcasm).
fn courtesy(lines: &[Line], a: &Analyser, max: f64) -> Dimension {
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
    for (l, h) in rude.iter().take(2) {
        let r = &a.rubric().rules[h.rule];
        ev.push(Evidence {
            better: (!r.better.is_empty()).then(|| r.better.clone()),
            ..evidence(
                l.turn,
                l.text[h.start..h.end].to_string(),
                &r.id,
                -0.1 * max,
                "用语不够礼貌",
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
fn persona_needs(
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
                need_tip(need, Some(scenario), analyser).unwrap_or_else(|| p.advice.join(";")),
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

/// 结果: resolved, walked out, out of turns — and how calm the customer ended.
fn outcome(t: &Transcript, max: f64) -> Dimension {
    let ending = t
        .end
        .as_ref()
        .map_or(Ending::Unfinished, |e| Ending::of(&e.outcome));
    let outcome = ending.as_str();
    let share = match ending {
        Ending::Ended(Outcome::Resolved) => 1.0,
        Ending::Ended(Outcome::OutOfTurns) => 0.3,
        Ending::Ended(Outcome::WalkedOut) => 0.0,
        Ending::Unfinished | Ending::Chat => 0.2,
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
            why: format!("{why}(共 {} 轮)", t.turns.len()),
            better: None,
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

//! Scoring: what the rubric and the persona make of a transcript. Every point given or
//! taken carries its evidence — the turn, the quoted words, the rule, why, and for a
//! mistake a better phrasing — so a trainee can see exactly what helped and what hurt.
//!
//! The scorer reads only the transcript: the trainee lines with the reading recorded for
//! each, and the outcome. Under the rubric the session ran with it scores that recorded
//! reading, the one the customer answered; under another (tomorrow's rules, a trainer's
//! house rules) it reads the lines again and the card says so. It performs no I/O;
//! `render` turns a [`Scorecard`] into text, JSON or Markdown.

mod card;
mod conduct;
mod dimensions;
pub mod html;
mod ledger;
pub mod render;
mod rules;

pub use card::{Dimension, Evidence, Promise, Provenance, SCHEMA, Scorecard, ScoredTurn, Span};
pub use conduct::{Conduct, UndoneLine};
pub use dimensions::{BROKEN_PROMISE, event_rule, need_tip};
use dimensions::{
    apology, compliance, compliance_needs_handling, courtesy, empathy, outcome, persona_needs,
    process,
};
use ledger::promises;
use rules::Line;
use rules::{read_hits, stored_hits};

use crate::persona::{Persona, Scenario};
use crate::rubric::{Analyser, Polarity};
use crate::transcript::{Ending, Transcript, TurnRecord as TranscriptTurn};

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
        .map(|turn| credited(turn, recorded, analyser))
        .collect();
    let sc = &analyser.rubric().scoring;
    let w = persona.map_or_else(
        || sc.weights.clone(),
        |p| p.0.weights.over(&sc.weights).scaled_to(&sc.weights),
    );
    let promises = promises(&lines, persona.map(|p| p.1), analyser);

    let heard = persona.map(|(p, scenario, _)| (p, scenario));
    let mut dims = vec![
        compliance(
            &lines,
            analyser,
            &promises,
            w.compliance,
            sc.violation_points,
            heard,
        ),
        empathy(&lines, analyser, w.empathy),
        apology(&lines, w.apology),
        process(&lines, w.process),
        courtesy(&lines, analyser, w.courtesy),
    ];
    if let Some((p, scenario, _)) = persona {
        dims.push(persona_needs(t, p, scenario, analyser, w.persona));
        dims.push(outcome(t, p.mood.walk_out_at, w.outcome));
    }
    for d in &mut dims {
        d.score = (d.score.clamp(0.0, d.max) * 10.0).round() / 10.0;
    }
    let resolved = t
        .end
        .as_ref()
        .is_some_and(|e| Ending::of(&e.outcome) == Ending::Ended(crate::engine::Outcome::Resolved));
    if !resolved {
        compliance_needs_handling(&mut dims, sc.compliance_needs_process);
    }
    mark_house_rules(&mut dims, analyser);
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
    let lowest = sc.grades.last().map_or("", |g| g.name.as_str());
    let short = persona.is_some() && sc.min_turns > 0 && (t.turns.len() as u32) < sc.min_turns;
    let caps = [
        (
            forbidden_count > 0,
            sc.forbidden_cap.as_str(),
            "说了禁语".to_string(),
        ),
        (
            persona.is_some() && !resolved,
            sc.unresolved_cap(),
            "客户没有接受方案".to_string(),
        ),
        (short, lowest, format!("不足 {} 轮", sc.min_turns)),
        (
            persona.is_some() && !resolved && !lines.iter().any(|l| l.has("remedy")),
            sc.no_offer_cap(),
            "始终没有给出具体方案".to_string(),
        ),
    ];
    let (capped_from, cap_reason) = cap_grade(&mut grade, &sc.grades, &caps);
    let (total, uncapped_total) = cap_total(total, &grade, capped_from.is_some(), &sc.grades);
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
        uncapped_total,
        grade,
        capped_from,
        cap_reason,
        invalid: t.invalid_reason(),
        replay: None,
        forbidden_count,
        dimensions: dims,
        promises,
        conduct: conduct::Conduct::of(t, analyser),
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

/// A turn as the scorer credits it: its recorded reading (or today's), less what the
/// customer did not take as said. A recital (背稿子) or a line pasted again (念稿子)
/// earns nothing but its mistakes, and a list of remedies is no concrete offer — the
/// same as the customer heard them.
/// The promises `turn` made that cannot be kept (言行不一 beyond the policy, 前后不一
/// against an earlier turn), as the card will list them for that turn: the coach warns
/// of them as they are said. `earlier` are the session's turns before it; a promise is
/// judged only against what came before, so the card, which sees the whole session,
/// lists the same ones.
pub fn broken_at(
    earlier: &[TranscriptTurn],
    turn: &TranscriptTurn,
    scenario: &Scenario,
    analyser: &Analyser,
) -> Vec<Promise> {
    let lines: Vec<Line> = (earlier.iter().chain([turn]))
        .map(|t| credited(t, true, analyser))
        .collect();
    promises(&lines, Some(scenario), analyser)
        .into_iter()
        .filter(|p| !p.keepable && p.turn == turn.n)
        .collect()
}

fn credited<'a>(turn: &'a TranscriptTurn, recorded: bool, analyser: &'a Analyser) -> Line<'a> {
    use crate::engine::Event;
    let mut hits = recorded
        .then(|| stored_hits(turn, analyser))
        .flatten()
        .unwrap_or_else(|| read_hits(&turn.trainee, analyser));
    let has = |f: fn(&Event) -> bool| turn.events.iter().any(f);
    if has(|e| matches!(e, Event::Scripted | Event::Template)) {
        hits.retain(|h| analyser.polarity(h.kind) == Some(Polarity::Bad));
    }
    if has(|e| matches!(e, Event::RemedyList)) {
        hits.retain(|h| h.kind != "remedy");
    }
    Line {
        turn: turn.n,
        text: &turn.trainee,
        hits,
        urgent: has(|e| matches!(e, Event::UrgentAction { .. })),
        events: &turn.events,
    }
}

/// Lower `grade` to the lowest of the caps that apply; the grade it had and why, if
/// one did. Grades rank best first; a cap naming no grade does nothing.
fn cap_grade(
    grade: &mut String,
    grades: &[crate::rubric::Grade],
    caps: &[(bool, &str, String)],
) -> (Option<String>, Option<String>) {
    let rank = |name: &str| grades.iter().position(|g| g.name == name);
    let Some(have) = rank(grade) else {
        return (None, None);
    };
    let worst = caps
        .iter()
        .filter(|(applies, cap, _)| *applies && !cap.is_empty())
        .filter_map(|(_, cap, why)| Some((rank(cap)?, *cap, why)))
        .filter(|(r, _, _)| *r > have)
        .max_by_key(|(r, _, _)| *r);
    match worst {
        Some((_, cap, why)) => (
            Some(std::mem::replace(grade, cap.to_string())),
            Some(why.clone()),
        ),
        None => (None, None),
    }
}

/// A capped grade caps the total too, just below the next better grade's line: a
/// cohort report ranks by total, and a stuffed session graded 不合格 must not sit
/// above an honest 合格 one. The total it earned is kept for the card to show.
fn cap_total(
    total: f64,
    grade: &str,
    capped: bool,
    grades: &[crate::rubric::Grade],
) -> (f64, Option<f64>) {
    let at = grades.iter().position(|g| g.name == grade);
    let ceiling = at
        .filter(|_| capped)
        .and_then(|i| i.checked_sub(1))
        .map(|better| ((grades[better].min - 0.1) * 10.0).round() / 10.0);
    match ceiling {
        Some(c) if total > c => (c.max(0.0), Some(total)),
        _ => (total, None),
    }
}

/// Evidence from a rule the house wrote (not the built-in rubric, an override of one
/// still counts as built-in) says so: a trainer checking that the house 禁语 or good
/// move works finds it on the card, not only in the HTML report's rule ids.
fn mark_house_rules(dims: &mut [Dimension], analyser: &Analyser) {
    for e in dims.iter_mut().flat_map(|d| d.evidence.iter_mut()) {
        let house = analyser
            .rule_index(&e.rule)
            .map(|i| analyser.rubric().rules[i].origin.as_str())
            .is_some_and(|o| !o.is_empty() && !o.starts_with("默认"));
        if house {
            e.why = format!("〔本店〕{}", e.why);
        }
    }
}

//! Persona self-checks: trainee scripts stored in a persona file with the outcome they
//! must lead to. Trainers run them with `peilian persona test`; CI runs the shipped ones.

use crate::engine::{Engine, Outcome};
use crate::persona::{Check, Entry, Expect};
use crate::rubric::Analyser;
use crate::session::{Options, Session};

/// The result of one self-check.
#[derive(Debug, Clone)]
pub struct CheckResult {
    pub persona: String,
    pub scenario: String,
    pub difficulty: String,
    pub name: String,
    pub expect: Expect,
    pub passed: bool,
    /// The outcome reached, or `None` if the script ran out first.
    pub outcome: Option<Outcome>,
    pub initial_anger: i32,
    /// Anger after each turn played.
    pub angers: Vec<i32>,
    /// Events per turn, for a trainer reading why a check failed.
    pub notes: Vec<String>,
    /// For a failed check: where and why the expected path broke.
    pub failure: Option<Failure>,
}

/// Where a failed check's expected path broke, for the trainer to fix the persona or
/// the script: the turn, how its line was read and what the customer still waited for.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Failure {
    /// 1-based turn.
    pub turn: usize,
    pub line: String,
    pub anger_before: i32,
    pub anger_after: i32,
    /// Why this turn, in Chinese.
    pub reason: String,
    pub events: Vec<String>,
    pub reading: crate::rubric::LineWhy,
    /// The needs not met after this turn, in order: label and what would meet it.
    pub waiting_for: Vec<Waiting>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Waiting {
    pub id: String,
    pub label: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub tip: String,
}

/// The scenario and difficulty a check runs against.
fn target(entry: &Entry, check: &Check) -> (String, String) {
    let scenario = check
        .scenario
        .clone()
        .unwrap_or_else(|| entry.persona.scenarios[0].id.clone());
    let difficulty = check.difficulty.clone().unwrap_or_else(|| "normal".into());
    (scenario, difficulty)
}

/// Play a check's lines against a compiled engine.
fn play(entry: &Entry, check: &Check, engine: &Engine<'_>) -> CheckResult {
    let p = &entry.persona;
    let scenario_id = engine.scenario.id.clone();
    let difficulty = engine.level_name.clone();
    let opts = Options {
        seed: 1,
        ..Options::default()
    };
    let mut session = Session::start(engine, &entry.source, &opts).expect("no transcript, no I/O");
    let initial_anger = session.header().initial.anger;
    let mut angers = Vec::new();
    let mut notes = Vec::new();
    let mut met: Vec<Vec<String>> = Vec::new();
    let mut events_of: Vec<Vec<String>> = Vec::new();
    let lines = check.lines.iter().map(|l| Ok(l.clone()));
    crate::script::play(&mut session, lines, |t| {
        angers.push(t.anger);
        let events: Vec<String> = t.events.iter().map(crate::transcript::event_name).collect();
        let kinds: Vec<&str> = t.signals.iter().map(|s| s.kind.as_str()).collect();
        notes.push(format!("[{}] {:?} {:?}", t.anger, kinds, events));
        met.push(t.needs_met.clone());
        events_of.push(events);
        Ok::<_, std::io::Error>(())
    })
    .expect("no transcript, no I/O");
    let outcome = session.outcome_if_stopped();
    let passed = match check.expect {
        Expect::Resolved => outcome == Some(Outcome::Resolved),
        Expect::WalkedOut => outcome == Some(Outcome::WalkedOut),
        Expect::OutOfTurns => outcome == Some(Outcome::OutOfTurns),
        Expect::NotResolved => outcome != Some(Outcome::Resolved),
        Expect::AngerRises => angers.first().is_some_and(|a| *a > initial_anger),
        Expect::AngerFalls => angers.first().is_some_and(|a| *a < initial_anger),
    };
    let failure = (!passed && !angers.is_empty()).then(|| {
        let calmer = matches!(check.expect, Expect::Resolved | Expect::AngerFalls);
        let before = |i: usize| if i == 0 { initial_anger } else { angers[i - 1] };
        let against = (0..angers.len()).find(|&i| {
            if calmer {
                angers[i] > before(i)
            } else {
                angers[i] < before(i)
            }
        });
        let last = angers.len() - 1;
        let (i, reason) = match (against, outcome) {
            (Some(i), _) if calmer => (i, "这一轮客户的愤怒不降反升"),
            (Some(i), _) => (i, "这一轮客户的愤怒反而降了"),
            (None, Some(Outcome::WalkedOut)) => (last, "客户在这一轮走人了"),
            (None, Some(Outcome::Resolved)) => (last, "客户在这一轮接受了方案"),
            (None, _) if calmer => (last, "台词说完了，客户还没接受方案"),
            (None, _) => (last, "台词说完了，结果不是期望的"),
        };
        let line = check.lines.get(i).cloned().unwrap_or_default();
        Failure {
            turn: i + 1,
            reading: engine.analyser().explain_line(&line),
            line,
            anger_before: before(i),
            anger_after: angers[i],
            reason: reason.to_string(),
            events: events_of[i].clone(),
            waiting_for: p
                .needs
                .iter()
                .filter(|n| !met[i].contains(&n.id))
                .map(|n| Waiting {
                    id: n.id.clone(),
                    label: n.label.clone(),
                    tip: n.tip.clone(),
                })
                .collect(),
        }
    });
    CheckResult {
        failure,
        persona: p.id.clone(),
        scenario: scenario_id,
        difficulty,
        name: check.name.clone(),
        expect: check.expect,
        passed,
        outcome,
        initial_anger,
        angers,
        notes,
    }
}

/// Run every check of a persona.
pub fn run_all(entry: &Entry, analyser: &Analyser) -> Vec<CheckResult> {
    // Checks share scenarios: compile each scenario and difficulty once.
    let mut engines: Vec<Engine<'_>> = Vec::new();
    let p = &entry.persona;
    p.checks
        .iter()
        .map(|c| {
            let (scenario, difficulty) = target(entry, c);
            let i = match engines
                .iter()
                .position(|e| e.scenario.id == scenario && e.level_name == difficulty)
            {
                Some(i) => i,
                None => {
                    let sc = p.scenario(&scenario).expect("validated scenario id");
                    engines.push(
                        Engine::new(p, sc, &difficulty, analyser).expect("validated difficulty"),
                    );
                    engines.len() - 1
                }
            };
            play(entry, c, &engines[i])
        })
        .collect()
}

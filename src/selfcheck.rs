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
    let lines = check.lines.iter().map(|l| Ok(l.clone()));
    crate::script::play(&mut session, lines, |t| {
        angers.push(t.anger);
        let events: Vec<String> = t.events.iter().map(crate::transcript::event_name).collect();
        let kinds: Vec<&str> = t.signals.iter().map(|s| s.kind.as_str()).collect();
        notes.push(format!("[{}] {:?} {:?}", t.anger, kinds, events));
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
    CheckResult {
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

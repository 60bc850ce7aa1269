//! A line read against one scenario: which of the scenario's remedies it offers or
//! refuses, which of the customer's facts it asks about, whether it states the policy.
//!
//! The scenario's patterns say what a remedy or fact is called; the reading says what
//! the clause they stand in does. 「给您换新的适配器」 in an offer clause offers the
//! scenario's 换新适配器; the same words in a refusal, a question or a restatement of
//! the customer's demand do not.

use regex::Regex;

use super::{Act, Cues, Reading};

/// One scenario's patterns, compiled.
#[derive(Debug, Clone)]
pub struct Scene {
    facts: Vec<Option<Regex>>,
    remedies: Vec<Option<Regex>>,
    policy: Option<Regex>,
}

/// What a line does in the scene.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SceneReading {
    /// Indices of the scenario's remedies offered, in the order of the line.
    pub offered: Vec<usize>,
    /// Indices of remedies the line declines.
    pub refused: Vec<usize>,
    /// Indices of facts the line asks about.
    pub facts_asked: Vec<usize>,
    /// Whether the line states the scenario's policy or law.
    pub policy_stated: bool,
    /// Byte ranges of the policy statements.
    pub policy_spans: Vec<(usize, usize)>,
}

fn any_of(patterns: &[String]) -> Option<Regex> {
    if patterns.is_empty() {
        return None;
    }
    let joined: Vec<String> = patterns.iter().map(|p| format!("(?:{p})")).collect();
    Regex::new(&joined.join("|")).ok()
}

impl Scene {
    /// Compile a scenario's fact, remedy and policy patterns (already validated).
    pub fn new(facts: &[&[String]], remedies: &[&[String]], policy: &[String]) -> Scene {
        Scene {
            facts: facts.iter().map(|p| any_of(p)).collect(),
            remedies: remedies.iter().map(|p| any_of(p)).collect(),
            policy: any_of(policy),
        }
    }

    /// Read `text` (already read as `r`) in this scene.
    pub fn read(&self, text: &str, r: &Reading) -> SceneReading {
        let mut out = SceneReading::default();
        let within = |act: Act, s: usize, e: usize| {
            r.acts
                .iter()
                .any(|a| a.act == act && a.start <= s && e <= a.end.max(a.start))
        };
        let clause_of = |s: usize| {
            r.clauses
                .iter()
                .find(|c| c.start <= s && s < c.end.max(c.start + 1))
        };
        for (i, re) in self.remedies.iter().enumerate() {
            let Some(re) = re else { continue };
            for m in re.find_iter(text) {
                let (s, e) = (m.start(), m.end());
                let offered = within(Act::Offer, s, e);
                let refused = within(Act::Refuse, s, e);
                // Across clauses, or inside a 《title》 of a law: no offer.
                let crosses = clause_of(s).is_some_and(|c| e > c.end);
                let titled = text[..s].matches('《').count() > text[..s].matches('》').count();
                if refused && !offered {
                    push(&mut out.refused, i);
                } else if offered && !crosses && !titled {
                    if refused && negation_before(text, s) {
                        push(&mut out.refused, i);
                    } else {
                        push(&mut out.offered, i);
                    }
                }
            }
        }
        let asking = r.has(Act::Ask);
        for (i, re) in self.facts.iter().enumerate() {
            let Some(re) = re else { continue };
            let asked = re.find_iter(text).any(|m| {
                asking || clause_of(m.start()).is_some_and(|c| c.cues.has(Cues::QUESTION))
            });
            if asked {
                push(&mut out.facts_asked, i);
            }
        }
        if let Some(re) = &self.policy {
            for m in re.find_iter(text) {
                let question = clause_of(m.start()).is_some_and(|c| c.cues.has(Cues::QUESTION));
                if !question {
                    out.policy_spans.push((m.start(), m.end()));
                }
            }
            out.policy_stated = !out.policy_spans.is_empty();
        }
        out
    }
}

fn push(v: &mut Vec<usize>, i: usize) {
    if !v.contains(&i) {
        v.push(i);
    }
}

/// Whether a negation stands after the remedy's words in its clause (「换新是不行的」).
fn negation_before(text: &str, s: usize) -> bool {
    let rest = &text[s..];
    let end = rest
        .find(['，', ',', '。', '.', '?', '？', '!', '！'])
        .unwrap_or(rest.len());
    rest[..end].contains(['不', '没'])
}

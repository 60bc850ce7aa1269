//! The mood model: one trainee turn in, the customer's decision out.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Rng;
use crate::persona::{Level, Persona, Scenario};
use crate::reading::{Act, Cues, Reading, Scene};
use crate::rubric::{ACTION_KINDS, Analyser, Polarity, Signal};

/// How a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The customer accepted a remedy.
    Resolved,
    /// Anger reached the limit: the customer hung up, escalated or exposed the company.
    WalkedOut,
    /// The customer's patience ran out.
    OutOfTurns,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Resolved => "resolved",
            Outcome::WalkedOut => "walked_out",
            Outcome::OutOfTurns => "out_of_turns",
        }
    }

    /// Chinese label for trainees.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Resolved => "问题解决",
            Outcome::WalkedOut => "客户愤而离开",
            Outcome::OutOfTurns => "客户失去耐心",
        }
    }
}

/// Something the mood model noticed beyond the plain signals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A remedy before the customer's needs were met (急于下结论).
    Rushed {
        need: String,
    },
    /// Apologies turn after turn with no action (一味道歉).
    EmptyApology,
    /// The same sentence as an earlier turn (念稿子): it counts for nothing.
    Template,
    /// Stock phrases of many kinds strung into one line (背稿子): heard as a recital,
    /// it counts for nothing but its mistakes.
    Scripted,
    /// Nothing helpful was said.
    Idle,
    /// A need was met.
    NeedMet {
        need: String,
    },
    /// A need can no longer be met: it had to be met by a turn that has passed.
    NeedExpired {
        need: String,
    },
    /// A fact was told to the trainee.
    FactRevealed {
        fact: String,
    },
    RemedyRejected {
        remedy: Option<String>,
    },
    RemedyAccepted {
        remedy: String,
    },
}

/// What the customer does this turn; a voice turns it into words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "move", rename_all = "snake_case")]
pub enum Move {
    Opening,
    Vent,
    Calm,
    /// React to a bad signal; `quote` is the trainee's words that triggered it.
    ReactBad {
        kind: String,
        quote: String,
    },
    Rushed {
        need: String,
    },
    EmptyApology,
    Template,
    Scripted,
    AnswerFact {
        facts: Vec<String>,
    },
    UnknownFact,
    /// Asked what they want: say the demand.
    AnswerDemand,
    RejectRemedy {
        reason: String,
    },
    Accept {
        remedy: String,
    },
    Threaten,
    WalkOut,
    OutOfTurns,
    Closing,
    /// After accepting, answering a line that does not yet close the call.
    AfterAccept,
}

impl Move {
    /// The line pool that voices this move.
    pub fn pool(&self) -> &'static str {
        match self {
            Move::Opening => "opening",
            Move::Vent => "venting",
            Move::Calm => "calming",
            Move::ReactBad { kind, .. } => match kind.as_str() {
                "forbidden" => "on_forbidden",
                "blame" => "on_blame",
                "argue" => "on_argue",
                "deflect" => "on_deflect",
                _ => "on_impolite",
            },
            Move::Rushed { .. } => "on_rushed",
            Move::EmptyApology => "on_empty_apology",
            Move::Template => "on_template",
            Move::Scripted => "on_scripted",
            Move::AnswerFact { .. } => "answer_fact",
            Move::UnknownFact => "unknown_fact",
            Move::AnswerDemand => "answer_demand",
            Move::RejectRemedy { .. } => "reject_remedy",
            Move::Accept { .. } => "accept",
            Move::Threaten => "threaten",
            Move::WalkOut => "walk_out",
            Move::OutOfTurns => "out_of_turns",
            Move::Closing => "closing",
            Move::AfterAccept => "after_accept",
        }
    }
}

/// The engine's decision for one turn: what to say (in order) and whether it ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub moves: Vec<Move>,
    pub outcome: Option<Outcome>,
}

/// Everything the session state holds; cloning it is a snapshot (undo, retry).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MoodState {
    pub anger: f64,
    pub trust: f64,
    /// Trainee turns taken.
    pub turn: u32,
    /// How often each signal kind or event has counted, for diminishing returns.
    pub counts: BTreeMap<String, u32>,
    /// Progress towards each need, in persona order.
    pub need_progress: Vec<u32>,
    /// How many needs (a prefix of the persona's list) are met.
    pub needs_met: usize,
    /// A need whose deadline passed; no remedy can be accepted any more.
    pub need_expired: Option<String>,
    pub remedies_offered: Vec<String>,
    pub remedies_refused: Vec<String>,
    pub facts_revealed: Vec<String>,
    /// Apologies since the last action.
    pub apology_streak: u32,
    /// Signal kinds of the previous turn.
    #[serde(default)]
    pub last_kinds: Vec<String>,
    /// An acceptable remedy offered too early, accepted once the needs are met.
    #[serde(default)]
    pub pending_remedy: Option<String>,
    /// The trainee's words for the pending remedy, which the customer repeats when
    /// accepting it.
    #[serde(default)]
    pub pending_words: Option<String>,
    /// Normalised trainee lines already said, to catch pasted templates.
    pub said: Vec<String>,
    /// Lines already spoken, per pool, so the customer does not repeat itself.
    pub used_lines: BTreeMap<String, Vec<usize>>,
    pub rng: Rng,
    pub outcome: Option<Outcome>,
    /// The turn a remedy was accepted in: from then on the closing phase, in which
    /// the trainee may confirm, promise follow-up and say goodbye.
    #[serde(default)]
    pub accepted_at: Option<u32>,
}

impl MoodState {
    pub fn anger_i(&self) -> i32 {
        self.anger.round() as i32
    }

    pub fn trust_i(&self) -> i32 {
        self.trust.round() as i32
    }
}

/// One turn as the mood model saw it.
#[derive(Debug, Clone)]
pub struct TurnReport {
    pub turn: u32,
    pub signals: Vec<Signal>,
    /// The reading's acts of the line.
    pub acts: Vec<crate::reading::ActHit>,
    pub events: Vec<Event>,
    pub anger: i32,
    pub trust: i32,
    /// Ids of the needs met so far.
    pub needs_met: Vec<String>,
    pub decision: Decision,
}

/// Order in which bad kinds are reacted to when a line has several.
const BAD_PRIORITY: [&str; 5] = ["forbidden", "blame", "deflect", "argue", "impolite"];

/// Turns after accepting a remedy in which the customer waits for the trainee to close
/// the call (confirm, promise follow-up, say goodbye) before ending it themself.
const CLOSE_TURNS: u32 = 2;

/// Apologies in a row without action after which apologising makes things worse.
const EMPTY_APOLOGY_AFTER: u32 = 3;

/// How much anger must fall in a turn before the customer says something conciliatory;
/// a point or two is not enough to thank anyone for.
const CALM_STEP: f64 = 4.0;

/// Distinct good kinds in one line from which it reads as 背稿子. Competent lines in
/// the team's scripts (tests/data/scripts) carry at most six; a recital of the whole
/// procedure carries more.
const SCRIPTED_KINDS: usize = 7;

/// Distinct scenario remedies in one line from which, when any of them is one the
/// customer knows cannot be had, the line is a list, not an offer: 「退款、赔偿、换新、
/// 备用机」 all at once is promising everything, and the customer asks which. (A plan of
/// several steps the customer can all accept, 「先复机，再退订，钱退回话费」, is an offer.)
const REMEDY_LIST: usize = 3;

/// How close to the walk-out line the customer starts threatening.
const THREATEN_MARGIN: f64 = 15.0;

/// A persona, one of its scenarios and a difficulty, compiled for play.
pub struct Engine<'a> {
    pub persona: &'a Persona,
    pub scenario: &'a Scenario,
    pub level_name: String,
    level: &'a Level,
    analyser: &'a Analyser,
    /// The scenario's remedies, facts and policy, for reading lines in its scene.
    scene: Scene,
    patience: u32,
}

/// What the customer quotes back: the clause the words stand in (a signal's span is
/// its clause), which is what a listener actually remembers.
fn quote_span(text: &str, start: usize, end: usize) -> String {
    text[start..end]
        .trim_matches(|c: char| c.is_whitespace() || "，。,.！!？?；;、".contains(c))
        .to_string()
}

/// The trainee's words as the customer repeats them: 「我们给您换一台新的」 becomes
/// 「你们给我换一台新的」.
fn as_customer(words: &str) -> String {
    let cs: Vec<char> = words.chars().collect();
    let mut out = String::with_capacity(words.len());
    let mut i = 0;
    while i < cs.len() {
        let (to, n) = match (cs[i], cs.get(i + 1)) {
            ('\u{6211}' | '\u{54B1}', Some('\u{4EEC}')) => ("\u{4F60}\u{4EEC}", 2), // 我们/咱们 → 你们
            ('\u{4F60}', Some('\u{4EEC}')) => ("\u{6211}\u{4EEC}", 2),              // 你们 → 我们
            ('\u{6211}', _) => ("\u{4F60}", 1),                                     // 我 → 你
            ('\u{60A8}' | '\u{4F60}', _) => ("\u{6211}", 1),                        // 您/你 → 我
            (c, _) => {
                out.push(c);
                i += 1;
                continue;
            }
        };
        out.push_str(to);
        i += n;
    }
    out
}

/// Lines are compared without spaces and punctuation: pasting a sentence again with a
/// different comma is still pasting it again.
fn normalise(text: &str) -> String {
    text.chars().filter(|c| c.is_alphanumeric()).collect()
}

impl<'a> Engine<'a> {
    /// `level` is `easy`, `normal` or `hard`; the persona is already validated, so its
    /// patterns compile (a pattern that does not simply never matches).
    pub fn new(
        persona: &'a Persona,
        scenario: &'a Scenario,
        level: &str,
        analyser: &'a Analyser,
    ) -> Option<Self> {
        let lv = persona.difficulty.get(level)?;
        let facts: Vec<&[String]> = scenario
            .facts
            .iter()
            .map(|f| f.asked_by.as_slice())
            .collect();
        let remedies: Vec<&[String]> = scenario
            .remedies
            .iter()
            .map(|r| r.patterns.as_slice())
            .collect();
        Some(Self {
            persona,
            scenario,
            level_name: level.to_string(),
            level: lv,
            analyser,
            scene: Scene::new(
                &facts,
                &remedies,
                &scenario.policy.terms,
                &scenario
                    .policy
                    .forbids
                    .iter()
                    .flat_map(|f| f.patterns.iter().cloned())
                    .collect::<Vec<_>>(),
            ),
            patience: (i64::from(persona.mood.patience) + i64::from(lv.patience)).max(1) as u32,
        })
    }

    pub fn analyser(&self) -> &Analyser {
        self.analyser
    }

    /// Turns the customer will wait at this difficulty.
    pub fn patience(&self) -> u32 {
        self.patience
    }

    /// The state before the first trainee turn.
    pub fn initial_state(&self, seed: u64) -> MoodState {
        let m = &self.persona.mood;
        MoodState {
            anger: f64::from((m.anger + self.level.anger).clamp(0, m.walk_out_at - 1)),
            trust: f64::from(m.trust),
            turn: 0,
            counts: BTreeMap::new(),
            need_progress: vec![0; self.persona.needs.len()],
            needs_met: 0,
            need_expired: None,
            remedies_offered: Vec::new(),
            remedies_refused: Vec::new(),
            facts_revealed: Vec::new(),
            apology_streak: 0,
            last_kinds: Vec::new(),
            pending_remedy: None,
            pending_words: None,
            accepted_at: None,
            said: Vec::new(),
            used_lines: BTreeMap::new(),
            rng: Rng::new(seed),
            outcome: None,
        }
    }

    /// The customer's first move.
    pub fn open(&self) -> Decision {
        Decision {
            moves: vec![Move::Opening],
            outcome: None,
        }
    }

    fn met_ids(&self, st: &MoodState) -> Vec<String> {
        self.persona.needs[..st.needs_met]
            .iter()
            .map(|n| n.id.clone())
            .collect()
    }

    /// Apply the reaction configured for `key`, with diminishing returns for what
    /// calms and full force for what provokes (a second 禁语 hurts as much as the first).
    fn react(&self, st: &mut MoodState, key: &str) {
        let n = st.counts.entry(key.to_string()).or_insert(0);
        let repeats = *n;
        *n += 1;
        let Some(r) = self.persona.reactions.get(key) else {
            return;
        };
        let decay = self.persona.mood.repeat_decay.powi(repeats as i32);
        let anger = f64::from(r.anger);
        st.anger += if anger < 0.0 {
            anger * self.level.calming * decay
        } else {
            anger * self.level.provoking
        };
        let trust = f64::from(r.trust);
        st.trust += if trust > 0.0 { trust * decay } else { trust };
        st.anger = st.anger.clamp(0.0, 100.0);
        st.trust = st.trust.clamp(0.0, 100.0);
    }

    /// Distinct kinds of a line, in rubric order. A bad signal in reported speech (the
    /// trainee restating what the customer was told) is not the trainee's own.
    fn own_kinds(&self, reading: &Reading, signals: &[Signal]) -> Vec<&'a str> {
        let reported = |s: &Signal| {
            reading
                .clause_at(s.start)
                .is_some_and(|c| reading.clauses[c].cues.has(Cues::REPORTED))
        };
        let mut kinds: Vec<&'a str> = Vec::new();
        for s in signals {
            let k = self.analyser.kind(s).id.as_str();
            let own = self.analyser.polarity(k) != Some(Polarity::Bad) || !reported(s);
            if own && !kinds.contains(&k) {
                kinds.push(k);
            }
        }
        kinds
    }

    /// A line after the customer accepted a remedy. Mistakes are still heard (a 禁语
    /// in the goodbye stings as much as anywhere, and can still make them walk out);
    /// otherwise the call ends resolved when the trainee closes it or, failing that,
    /// when the customer does, `CLOSE_TURNS` turns after accepting.
    fn closing_turn(&self, st: &mut MoodState, text: &str, accepted_at: u32) -> TurnReport {
        let (reading, signals) = self.analyser.read(text);
        st.turn += 1;
        let turn = st.turn;
        let kinds = self.own_kinds(&reading, &signals);
        let bad: Vec<&str> = kinds
            .iter()
            .copied()
            .filter(|k| self.analyser.polarity(k) == Some(Polarity::Bad))
            .collect();
        for k in &bad {
            self.react(st, k);
        }
        let closes = kinds.contains(&"closing");
        let outcome = if st.anger >= f64::from(self.persona.mood.walk_out_at) {
            Some(Outcome::WalkedOut)
        } else if (bad.is_empty() && (closes || turn >= accepted_at + CLOSE_TURNS))
            || turn >= accepted_at + 2 * CLOSE_TURNS
        {
            // Closed by the trainee, or the customer hangs up: the remedy stands.
            Some(Outcome::Resolved)
        } else {
            None
        };
        st.outcome = outcome;
        let worst = BAD_PRIORITY
            .iter()
            .copied()
            .find(|k| bad.contains(k))
            .or(bad.first().copied());
        let mut moves = Vec::new();
        if let Some(k) = worst {
            let quote = signals
                .iter()
                .find(|s| self.analyser.kind(s).id == k)
                .map(|s| quote_span(text, s.start, s.end))
                .unwrap_or_default();
            moves.push(Move::ReactBad {
                kind: k.to_string(),
                quote,
            });
        }
        match (outcome, worst) {
            (Some(Outcome::WalkedOut), _) => moves.push(Move::WalkOut),
            (Some(_), _) => moves.push(Move::Closing),
            (None, None) => moves.push(Move::AfterAccept),
            (None, Some(_)) => {}
        }
        TurnReport {
            turn,
            signals,
            acts: reading.acts,
            events: Vec::new(),
            anger: st.anger_i(),
            trust: st.trust_i(),
            needs_met: self.met_ids(st),
            decision: Decision { moves, outcome },
        }
    }

    /// Play one trainee line. The state must not have an outcome yet.
    pub fn turn(&self, st: &mut MoodState, text: &str) -> TurnReport {
        if let Some(at) = st.accepted_at {
            return self.closing_turn(st, text, at);
        }
        let (reading, signals) = self.analyser.read(text);
        let start_anger = st.anger;
        st.turn += 1;
        let turn = st.turn;
        let mut events = Vec::new();

        let kinds = self.own_kinds(&reading, &signals);
        let norm = normalise(text);
        let template = norm.chars().count() >= 4 && st.said.contains(&norm);
        if !template {
            st.said.push(norm);
        }
        let has = |k: &str| !template && kinds.contains(&k);
        let good_kinds = kinds
            .iter()
            .filter(|k| self.analyser.polarity(k) == Some(Polarity::Good))
            .count();
        let scripted = !template && good_kinds >= SCRIPTED_KINDS;
        let scene = if template || scripted {
            Default::default()
        } else {
            let offers: Vec<(usize, usize)> = signals
                .iter()
                .filter(|s| self.analyser.kind(s).id == "remedy")
                .map(|s| (s.start, s.end))
                .collect();
            self.scene.read(text, &reading, &offers)
        };
        let policy_matches = &scene.policy_spans;
        let policy_stated = scene.policy_stated;
        // The scenario's remedies offered in an offer clause (not refused, asked about,
        // restated or told as past).
        let remedy_hits: Vec<usize> = scene.offered.clone();
        // An offer of something the scenario does not name is an offer too (a vague
        // one), unless its clause states the policy ("按法律应当赔偿一倍").
        let vague_offer = !template
            && !scripted
            && signals.iter().any(|s| {
                self.analyser.kind(s).id == "remedy"
                    && !policy_matches
                        .iter()
                        .any(|&(x, y)| x < s.end && s.start < y)
            });
        let offered = !remedy_hits.is_empty() || vague_offer;
        // Remedies reeled off as a bare list (「全额退款、经济赔偿、整批换新、备用机……」)
        // offer none of them in particular.
        let listed = offered
            && text.matches('\u{3001}').count() >= REMEDY_LIST
            && signals
                .iter()
                .filter(|s| self.analyser.kind(s).id == "remedy")
                .count()
                >= REMEDY_LIST;
        let acted = offered || ACTION_KINDS.iter().any(|k| has(k));

        // 一味道歉: apologies since the last action.
        let mut empty_apology = false;
        if acted {
            st.apology_streak = 0;
        } else if has("apology") {
            st.apology_streak += 1;
            empty_apology = st.apology_streak >= EMPTY_APOLOGY_AFTER;
        }

        if template {
            events.push(Event::Template);
            self.react(st, "template");
        } else {
            if scripted {
                events.push(Event::Scripted);
                let key = if self.persona.reactions.contains_key("scripted") {
                    "scripted"
                } else {
                    "template"
                };
                self.react(st, key);
            }
            for k in &kinds {
                let good = self.analyser.polarity(k) == Some(Polarity::Good);
                // The remedy kind is weighed below, with the offer it belongs to; a
                // recital's good words count for nothing, its mistakes in full.
                let skip = (*k == "remedy" && offered)
                    || (*k == "apology" && empty_apology)
                    || (scripted && good);
                if !skip {
                    self.react(st, k);
                }
            }
        }
        if empty_apology {
            events.push(Event::EmptyApology);
            self.react(st, "empty_apology");
        }

        // Needs: progress counts on any turn that satisfies a need, in whatever order
        // the trainee gets there, but needs are met in order — the first need must be
        // met before the second counts as met.
        if !template && !scripted && st.need_expired.is_none() {
            for (i, need) in self.persona.needs.iter().enumerate() {
                if st.need_progress[i] >= need.count.max(1) {
                    continue;
                }
                if need.by_turn.is_some_and(|by| turn > by) {
                    st.need_expired = Some(need.id.clone());
                    events.push(Event::NeedExpired {
                        need: need.id.clone(),
                    });
                    break;
                }
                let kinds_ok = need.any.is_empty() || need.any.iter().any(|k| has(k));
                let policy_ok = !need.policy || policy_stated;
                if turn >= need.after_turn && kinds_ok && policy_ok {
                    st.need_progress[i] += 1;
                }
            }
        }
        while st.needs_met < self.persona.needs.len() && st.need_expired.is_none() {
            let need = &self.persona.needs[st.needs_met];
            if st.need_progress[st.needs_met] < need.count.max(1) {
                break;
            }
            events.push(Event::NeedMet {
                need: need.id.clone(),
            });
            st.needs_met += 1;
        }

        // Facts asked for.
        let mut facts = Vec::new();
        for &i in &scene.facts_asked {
            let id = self.scenario.facts[i].id.clone();
            if !st.facts_revealed.contains(&id) {
                st.facts_revealed.push(id.clone());
                events.push(Event::FactRevealed { fact: id.clone() });
            }
            facts.push(id);
        }

        // A remedy: accepted only when every need is met, the persona's own rules
        // allow it, it is one the customer can accept, and anger has come down.
        let mut rejection: Option<String> = None;
        let mut rushed_need: Option<String> = None;
        let mut accepted: Option<String> = None;
        // What the customer repeats on accepting: the trainee's words, never the
        // scenario's label (which may name terms the trainee did not offer).
        let mut accepted_words: Option<String> = None;
        if offered {
            // Prefer a remedy the customer can accept when a line names several.
            let chosen = remedy_hits
                .iter()
                .copied()
                .find(|&i| self.scenario.remedies[i].accept)
                .or(remedy_hits.first().copied())
                // Vague remedy words ("退费今天提交") while an acceptable plan is on
                // the table elaborate that plan.
                .or_else(|| {
                    let id = st.pending_remedy.as_ref()?;
                    self.scenario.remedies.iter().position(|r| &r.id == id)
                });
            let chosen_remedy = chosen.map(|i| &self.scenario.remedies[i]);
            if let Some(r) = chosen_remedy
                && !st.remedies_offered.contains(&r.id)
            {
                st.remedies_offered.push(r.id.clone());
            }
            let first_remedy = st.counts.get("remedy_offer").copied().unwrap_or(0) == 0;
            *st.counts.entry("remedy_offer".into()).or_insert(0) += 1;
            let unmet = self.persona.needs.get(st.needs_met);
            // An acceptable remedy refused only because it came too early stays on the
            // table: once the customer's needs are met it is accepted without being
            // offered again, as a real customer would.
            // The trainee's own words for the chosen remedy, as the customer would
            // repeat them; for a remedy still pending, the words it was offered in.
            let words_now = chosen
                .and_then(|i| scene.offered.iter().position(|&x| x == i))
                .map(|k| {
                    let (a, b) = scene.offer_words[k];
                    as_customer(&quote_span(text, a, b))
                });
            if let Some(r) = chosen_remedy.filter(|r| r.accept) {
                if st.pending_remedy.as_ref() != Some(&r.id) || words_now.is_some() {
                    st.pending_words = words_now.clone();
                }
                st.pending_remedy = Some(r.id.clone());
            }
            if st.need_expired.is_some() {
                // In character: what came too late, not the name of the step (the
                // coach and the scorecard name it).
                rejection = Some(
                    "\u{62D6}\u{5230}\u{73B0}\u{5728}\u{624D}\u{8BF4}\u{FF0C}\u{5DF2}\u{7ECF}\u{665A}\u{4E86}\u{3002}\
                     \u{65E9}\u{5E72}\u{4EC0}\u{4E48}\u{53BB}\u{4E86}\u{FF1F}"
                        .to_string(),
                ); // 拖到现在才说，已经晚了。早干什么去了？
            } else if (remedy_hits.len() >= REMEDY_LIST
                && remedy_hits
                    .iter()
                    .any(|&i| !self.scenario.remedies[i].accept))
                || listed
            {
                rejection = Some(
                    "你一口气说了这么多\u{FF0C}到底给我哪一个\u{FF1F}能兑现的是哪一个\u{FF1F}"
                        .to_string(),
                );
            } else if let Some(need) = unmet {
                rushed_need = Some(if need.want.is_empty() {
                    need.label.clone()
                } else {
                    need.want.clone()
                });
                events.push(Event::Rushed {
                    need: need.id.clone(),
                });
                self.react(st, "rushed");
            } else if scene.over_promised {
                // A promise the policy cannot keep is not accepted: a customer who has
                // heard such promises before asks whether it can be kept.
                rejection = Some(if self.persona.behaviour.records {
                    "这话我录下来了。录音为证\u{FF0C}你做得到吗\u{FF1F}".to_string()
                } else {
                    "你这话说得也太满了\u{FF0C}做得到吗\u{FF1F}别回头又说办不了。".to_string()
                });
            } else if first_remedy
                && !self.persona.behaviour.first_remedy_needs.is_empty()
                && !self
                    .persona
                    .behaviour
                    .first_remedy_needs
                    .iter()
                    .any(|k| has(k) || st.last_kinds.contains(k))
            {
                rejection = Some(if self.persona.behaviour.first_remedy_reason.is_empty() {
                    "你光说怎么办，不说为什么，我凭什么接受？".to_string()
                } else {
                    self.persona.behaviour.first_remedy_reason.clone()
                });
            } else {
                match chosen_remedy {
                    None => rejection = Some("你说具体点，到底怎么给我处理？".to_string()),
                    Some(r) if !r.accept => rejection = Some(r.reason.clone()),
                    Some(r) => {
                        self.react(st, "remedy");
                        if st.anger <= f64::from(self.persona.mood.accept_below) {
                            accepted = Some(r.label.clone());
                            accepted_words = words_now.clone().or(st.pending_words.clone());
                        } else {
                            rejection = Some("我现在火还没消，你先别急着给我方案。".to_string());
                        }
                    }
                }
            }
            if let Some(r) = &accepted {
                st.pending_remedy = None;
                st.pending_words = None;
                events.push(Event::RemedyAccepted { remedy: r.clone() });
                self.react(st, "remedy_accepted");
            } else if rejection.is_some() {
                let id = chosen_remedy.map(|r| r.id.clone());
                if let Some(id) = &id
                    && !st.remedies_refused.contains(id)
                {
                    st.remedies_refused.push(id.clone());
                }
                events.push(Event::RemedyRejected { remedy: id });
                self.react(st, "remedy_rejected");
            }
        }

        if !offered
            && !scripted
            && st.need_expired.is_none()
            && st.needs_met == self.persona.needs.len()
            && st.anger <= f64::from(self.persona.mood.accept_below)
            && let Some(id) = st.pending_remedy.take()
            && let Some(r) = self.scenario.remedies.iter().find(|r| r.id == id)
        {
            accepted = Some(r.label.clone());
            accepted_words = st.pending_words.take();
            events.push(Event::RemedyAccepted {
                remedy: r.label.clone(),
            });
            self.react(st, "remedy_accepted");
        }

        let bad = BAD_PRIORITY.iter().copied().find(|k| has(k)).or_else(|| {
            kinds
                .iter()
                .copied()
                .find(|k| !template && self.analyser.polarity(k) == Some(Polarity::Bad))
        });
        let good = kinds
            .iter()
            .any(|k| self.analyser.polarity(k) == Some(Polarity::Good));
        if !template && bad.is_none() && !good && !offered && facts.is_empty() {
            events.push(Event::Idle);
            self.react(st, "idle");
        }

        // What this turn did, for a rule that accepts "explained just before".
        st.last_kinds = if template {
            Vec::new()
        } else {
            kinds.iter().map(|k| k.to_string()).collect()
        };

        let walk = f64::from(self.persona.mood.walk_out_at);
        // Accepting does not end the call: the trainee still has the close to do.
        if accepted.is_some() {
            st.accepted_at = Some(turn);
        }
        let outcome = if accepted.is_some() {
            None
        } else if st.anger >= walk {
            Some(Outcome::WalkedOut)
        } else if turn >= self.patience {
            Some(Outcome::OutOfTurns)
        } else {
            None
        };
        st.outcome = outcome;

        let quote = |kind: &str| -> String {
            signals
                .iter()
                .find(|s| self.analyser.kind(s).id == kind)
                .map(|s| quote_span(text, s.start, s.end))
                .unwrap_or_default()
        };
        let moves = match outcome {
            _ if accepted.is_some() => vec![Move::Accept {
                remedy: accepted_words.or(accepted).unwrap_or_default(),
            }],
            Some(Outcome::Resolved) => vec![Move::Closing],
            Some(Outcome::WalkedOut) => match bad {
                Some(k) => vec![
                    Move::ReactBad {
                        kind: k.to_string(),
                        quote: quote(k),
                    },
                    Move::WalkOut,
                ],
                None => vec![Move::WalkOut],
            },
            Some(Outcome::OutOfTurns) => vec![Move::OutOfTurns],
            None => {
                let primary = if template {
                    Move::Template
                } else if let Some(k) = bad {
                    Move::ReactBad {
                        kind: k.to_string(),
                        quote: quote(k),
                    }
                } else if scripted {
                    Move::Scripted
                } else if let Some(need) = rushed_need {
                    Move::Rushed { need }
                } else if let Some(reason) = rejection {
                    Move::RejectRemedy { reason }
                } else if empty_apology {
                    Move::EmptyApology
                } else if !facts.is_empty() {
                    Move::AnswerFact { facts }
                } else if has("ask_info") || has("consult") {
                    // Asked what they want (or their view), a customer says it; asked
                    // a fact the scenario lacks, they do not know.
                    if reading.has(Act::Consult)
                        || reading.clauses.iter().any(|c| c.cues.has(Cues::WANTS))
                    {
                        Move::AnswerDemand
                    } else {
                        Move::UnknownFact
                    }
                } else if st.anger > start_anger && st.anger >= walk - THREATEN_MARGIN {
                    Move::Threaten
                } else if st.anger <= start_anger - CALM_STEP {
                    Move::Calm
                } else {
                    Move::Vent
                };
                vec![primary]
            }
        };
        TurnReport {
            turn,
            signals,
            acts: reading.acts,
            events,
            anger: st.anger_i(),
            trust: st.trust_i(),
            needs_met: self.met_ids(st),
            decision: Decision { moves, outcome },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{as_customer, quote_span};

    #[test]
    fn the_customer_repeats_an_offer_in_their_own_person() {
        assert_eq!(
            as_customer("\u{6211}\u{4EEC}\u{7ED9}\u{60A8}\u{6362}"),
            "\u{4F60}\u{4EEC}\u{7ED9}\u{6211}\u{6362}"
        ); // 我们给您换 → 你们给我换
        assert_eq!(
            as_customer("\u{6211}\u{5E2E}\u{60A8}"),
            "\u{4F60}\u{5E2E}\u{6211}"
        ); // 我帮您 → 你帮我
    }

    #[test]
    fn quotes_drop_the_marks_around_a_clause() {
        let t = "好的\u{FF0C}你们就是这样的\u{FF0C}";
        let i = t.find("你").unwrap();
        assert_eq!(quote_span(t, i, t.len()), "你们就是这样的");
    }
}

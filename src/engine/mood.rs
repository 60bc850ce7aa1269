//! The mood model: one trainee turn in, the customer's decision out.

use std::collections::BTreeMap;

use super::Rng;
use crate::persona::{Level, Persona, Scenario};
use crate::reading::{Cues, Reading, Scene};
use crate::rubric::{Analyser, Polarity, Signal};

/// How a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// Something the mood model noticed beyond the plain signals. Transcripts record it
/// under names of their own (`transcript::names`), not through a derive here.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// A need's deadline (`by_turn`) passed unmet: the customer was kept waiting and is
    /// angrier (`late`); the need can still be met later.
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
    /// Remedies reeled off as a list (「全额退款、赔偿、换新……」): promising everything
    /// is no concrete offer, and the customer asks which one.
    RemedyList,
    RemedyAccepted {
        remedy: String,
    },
    /// An urgent remedy (safety, health, livelihood) offered at once before the needs
    /// were met: acting on the need, not rushing; it stays pending.
    UrgentAction {
        remedy: String,
    },
}

/// What the customer does this turn; a voice turns it into words. Transcripts record
/// it under names of their own (`transcript::names`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Move {
    Opening,
    Vent,
    Calm,
    /// Asked to confirm the story told back (「……，对吗？」): a short yes before the
    /// move that answers the rest of the line.
    Confirm,
    /// An offer heard and kept, not yet taken: an urgent step taken at once (the
    /// customer urges it on), or an acceptable offer while still too upset to agree.
    /// A short word on the offer before the move that answers the rest.
    Noted {
        urgent: bool,
    },
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
    /// An acceptable offer lacks a term the customer needs (a time): not refused, the
    /// customer asks for it, in `need`'s words.
    AskTerm {
        need: String,
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
            Move::Confirm => "confirming",
            Move::Noted { urgent: true } => "noted_urgent",
            Move::Noted { urgent: false } => "noted",
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
            Move::AskTerm { .. } => "ask_term",
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub moves: Vec<Move>,
    pub outcome: Option<Outcome>,
}

/// Everything the session state holds; cloning it is a snapshot (undo, retry).
#[derive(Debug, Clone, PartialEq)]
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
    /// A need whose deadline passed unmet: the customer was kept waiting (it can
    /// still be met, later and at a cost).
    pub need_expired: Option<String>,
    pub remedies_offered: Vec<String>,
    pub remedies_refused: Vec<String>,
    pub facts_revealed: Vec<String>,
    /// Apologies since the last action.
    pub apology_streak: u32,
    /// Signal kinds of the previous turn.
    pub last_kinds: Vec<String>,
    /// An acceptable remedy offered too early, accepted once the needs are met.
    pub pending_remedy: Option<String>,
    /// The trainee's words for the pending remedy, which the customer repeats when
    /// accepting it.
    pub pending_words: Option<String>,
    /// Normalised trainee lines already said, to catch pasted templates.
    pub said: Vec<String>,
    /// Lines already spoken, per pool, so the customer does not repeat itself.
    pub used_lines: BTreeMap<String, Vec<usize>>,
    pub rng: Rng,
    pub outcome: Option<Outcome>,
    /// The turn a remedy was accepted in: from then on the closing phase, in which
    /// the trainee may confirm, promise follow-up and say goodbye.
    pub accepted_at: Option<u32>,
    /// The need the customer asked for last turn as a missing term of an acceptable
    /// offer (「到底什么时候给我答复？」): given now, it is an answer, not late.
    pub term_asked: Option<String>,
}

impl MoodState {
    /// Below the anger at which a customer vents: they no longer vent, nor part in anger
    /// when the turns run out. One threshold for the decision and for both voices.
    pub fn calm(&self) -> bool {
        self.anger < VENT_FROM
    }

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

/// Turns after accepting a remedy in which the customer waits for the trainee to close
/// the call (confirm, promise follow-up, say goodbye) before ending it themself.
pub(super) const CLOSE_TURNS: u32 = 2;

/// Turns past the persona's patience a customer stays on while each turn still meets
/// something they wanted.
pub(super) const GRACE_TURNS: u32 = 2;

/// Apologies in a row without action after which apologising makes things worse.
pub(super) const EMPTY_APOLOGY_AFTER: u32 = 3;

/// How much anger must fall in a turn before the customer says something conciliatory;
/// a point or two is not enough to thank anyone for.
pub(super) const CALM_STEP: f64 = 4.0;

/// Anger below which the customer no longer vents: a line that moves nothing is met
/// with a calm word, not with 「我到现在心还在突突地跳」 at anger 10.
pub(super) const VENT_FROM: f64 = 35.0;

/// Distinct good kinds in one line from which it reads as 背稿子. Competent lines in
/// the team's scripts (tests/data/scripts) carry at most six; a recital of the whole
/// procedure carries more.
pub(super) const SCRIPTED_KINDS: usize = 7;

/// Distinct scenario remedies in one line from which, when any of them is one the
/// customer knows cannot be had, the line is a list, not an offer: 「退款、赔偿、换新、
/// 备用机」 all at once is promising everything, and the customer asks which. (A plan of
/// several steps the customer can all accept, 「先复机，再退订，钱退回话费」, is an offer.)
pub(super) const REMEDY_LIST: usize = 3;

/// Kinds that are terms of an offer rather than steps before it: a need met only by
/// these (有社会背景者 want a time) is asked for when an acceptable plan lacks it, never
/// charged as 急于下结论. (The 准话 that it will be solved is no term: counted as one, an
/// average agent's 「派人上门看看就行了」 before any assurance was taken and scored 87.8.)
pub(super) const OFFER_TERMS: [&str; 2] = ["time_commitment", "follow_up"];

/// How close to the walk-out line the customer starts threatening.
pub(super) const THREATEN_MARGIN: f64 = 15.0;

/// A persona, one of its scenarios and a difficulty, compiled for play.
pub struct Engine<'a> {
    pub persona: &'a Persona,
    pub scenario: &'a Scenario,
    pub level_name: String,
    level: &'a Level,
    pub(super) analyser: &'a Analyser,
    /// The scenario's remedies, facts and policy, for reading lines in its scene.
    pub(super) scene: Scene,
    pub(super) patience: u32,
    /// [`Marks`](super::offline::Marks) of every line of the persona's pools (in
    /// [`Lines::pools`](crate::persona::Lines::pools) order) and, last, of the
    /// scenario's own opening lines.
    marks: Vec<Vec<u8>>,
}

/// What the customer quotes back: the clause the words stand in (a signal's span is
/// its clause), which is what a listener actually remembers.
pub(super) use crate::reading::quote_span;

/// The trainee's words as the customer repeats them: 「我们给您换一台新的」 becomes
/// 「你们给我换一台新的」.
pub(super) fn as_customer(words: &str) -> String {
    let cs: Vec<char> = without_enumerator(words).chars().collect();
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

/// Words of an offer without the item marker the trainee listed it under: the customer
/// takes 「一是给您的账户补偿一万积分」 as 「给我的账户补偿一万积分」.
fn without_enumerator(words: &str) -> &str {
    // 一是 二是 三是 第一 第二 第三 首先 其次 另外 然后
    const MARKERS: [&str; 10] = [
        "\u{4E00}\u{662F}",
        "\u{4E8C}\u{662F}",
        "\u{4E09}\u{662F}",
        "\u{7B2C}\u{4E00}",
        "\u{7B2C}\u{4E8C}",
        "\u{7B2C}\u{4E09}",
        "\u{9996}\u{5148}",
        "\u{5176}\u{6B21}",
        "\u{53E6}\u{5916}",
        "\u{7136}\u{540E}",
    ];
    let rest = MARKERS
        .iter()
        .find_map(|m| words.strip_prefix(m))
        .map_or(words, |r| {
            r.trim_start_matches(['\u{FF0C}', '\u{3001}', '\u{FF1A}', ',', ':'])
        });
    // A marker that was the whole of it (「第一」) leaves the words as they were.
    if rest.is_empty() { words } else { rest }
}

/// Lines are compared without spaces and punctuation: pasting a sentence again with a
/// different comma is still pasting it again.
pub(super) fn normalise(text: &str) -> String {
    text.chars()
        .filter(|&c| crate::reading::is_word_char(c))
        .collect()
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
                &scenario.policy.allows,
            ),
            patience: (i64::from(persona.mood.patience) + i64::from(lv.patience)).max(1) as u32,
            marks: (persona.lines.pools().iter().map(|(_, pool)| *pool))
                .chain([&scenario.opening])
                .map(|pool| pool.iter().map(|l| super::offline::Marks::of(l)).collect())
                .collect(),
        })
    }

    /// The marks of the lines the voice picks from for `m` (see [`Engine::new`]).
    pub(super) fn voice_marks(&self, m: &Move) -> &[u8] {
        let name = m.pool();
        let at = match m {
            Move::Opening if !self.scenario.opening.is_empty() => Some(self.marks.len() - 1),
            _ => (self.persona.lines.pools().iter()).position(|(n, _)| *n == name),
        };
        at.map_or(&[], |i| &self.marks[i])
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
            term_asked: None,
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

    pub(super) fn met_ids(&self, st: &MoodState) -> Vec<String> {
        self.persona.needs[..st.needs_met]
            .iter()
            .map(|n| n.id.clone())
            .collect()
    }

    /// Apply the reaction configured for `key`, with diminishing returns for what
    /// calms and full force for what provokes (a second 禁语 hurts as much as the first).
    pub(super) fn react(&self, st: &mut MoodState, key: &str) {
        let n = st.counts.entry(key.to_string()).or_insert(0);
        let repeats = *n;
        *n += 1;
        let Some(r) = self.persona.reactions.get(key) else {
            return;
        };
        let decay = self.persona.mood.repeat_decay.powi(repeats as i32);
        let before = st.anger;
        let anger = f64::from(r.anger);
        st.anger += if anger < 0.0 {
            anger * self.level.calming * decay
        } else {
            anger * self.level.provoking
        };
        let trust = f64::from(r.trust);
        st.trust += if trust > 0.0 { trust * decay } else { trust };
        // Kind words calm, but not below the line where the customer would agree to a
        // remedy while what they need is still undone: only meeting the needs takes
        // them there (twelve rotated 「对不起」「理解您」 are no handling).
        if anger < 0.0 && st.needs_met < self.persona.needs.len() {
            let floor = f64::from(self.persona.mood.accept_below) + 1.0;
            st.anger = st.anger.max(floor.min(before));
        }
        st.anger = st.anger.clamp(0.0, 100.0);
        st.trust = st.trust.clamp(0.0, 100.0);
    }

    /// Distinct kinds of a line, in rubric order. A bad signal in reported speech (the
    /// trainee restating what the customer was told) is not the trainee's own.
    pub(super) fn own_kinds(&self, reading: &Reading, signals: &[Signal]) -> Vec<&'a str> {
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
        // Without the item marker it was listed under: 一是给您补偿 → 给我补偿; 第二，… → …
        assert_eq!(
            as_customer("\u{4E00}\u{662F}\u{7ED9}\u{60A8}\u{8865}\u{507F}"),
            "\u{7ED9}\u{6211}\u{8865}\u{507F}"
        );
        assert_eq!(
            as_customer("\u{7B2C}\u{4E8C}\u{FF0C}\u{9000}\u{6B3E}"),
            "\u{9000}\u{6B3E}"
        );
        assert_eq!(as_customer("\u{7B2C}\u{4E00}"), "\u{7B2C}\u{4E00}");
    }

    #[test]
    fn quotes_drop_the_marks_around_a_clause() {
        let t = "好的\u{FF0C}你们就是这样的\u{FF0C}";
        let i = t.find("你").unwrap();
        assert_eq!(quote_span(t, i, t.len()), "你们就是这样的");
    }
}

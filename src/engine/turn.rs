//! One trainee turn through the mood model: hear the line, let each act move the mood,
//! advance the needs, answer facts, weigh an offer, then choose what to say.

use super::mood::{
    CALM_STEP, CLOSE_TURNS, EMPTY_APOLOGY_AFTER, GRACE_TURNS, OFFER_TERMS, REMEDY_LIST,
    SCRIPTED_KINDS, THREATEN_MARGIN, as_customer, normalise, quote_span,
};
use super::{Decision, Engine, Event, MoodState, Move, Outcome, TurnReport};
use crate::persona::Remedy;
use crate::reading::scene::counterfactual_at;
use crate::reading::{Act, Cues, Reading, SceneReading};
use crate::rubric::WORST_FIRST;
use crate::rubric::{ACTION_KINDS, Analyser, Polarity, Signal};

/// What the customer heard in one line, before any of it moves the mood.
struct Heard<'a> {
    reading: Reading,
    signals: Vec<Signal>,
    /// The trainee's own kinds of act (see [`Engine::own_kinds`]).
    kinds: Vec<&'a str>,
    /// Said before, word for word: a pasted template.
    template: bool,
    /// So many kinds of stock act in one line that it is a recital (背稿子).
    scripted: bool,
    /// The line in the scenario's terms: remedies offered, facts asked, policy stated.
    scene: SceneReading,
    /// Any offer: one of the scenario's remedies, or remedy words it does not name.
    offered: bool,
    /// Remedies reeled off as a bare list (「全额退款、经济赔偿、整批换新……」).
    listed: bool,
    /// An offer or an action kind: what ends a run of bare apologies.
    acted: bool,
}

impl Heard<'_> {
    /// Whether the line does `kind`, as the trainee's own act (a template does nothing).
    fn has(&self, kind: &str) -> bool {
        !self.template && self.kinds.contains(&kind)
    }
}

/// What became of an offer this turn.
#[derive(Default)]
struct Verdict {
    /// Why the customer will not take it, in character.
    rejection: Option<String>,
    /// The need the offer came too early for, in the customer's words.
    rushed_need: Option<String>,
    /// The offer is acceptable but lacks a term the customer needs, in the customer's
    /// words: not refused, not rushed; the customer asks for it.
    term_missing: Option<String>,
    /// The accepted remedy's label.
    accepted: Option<String>,
    /// What the customer repeats on accepting: the trainee's words, never the
    /// scenario's label (which may name terms the trainee did not offer).
    accepted_words: Option<String>,
    /// An urgent remedy taken up at once: the customer is relieved, whatever the mood.
    urgent_taken: bool,
    /// An acceptable offer after every need is met, heard while the customer is still
    /// too angry to agree: kept pending, neither refused nor rushed.
    not_calm_yet: bool,
}

/// The longest offer, in characters, a customer repeats as the trainee worded it.
const REPEAT_CHARS: usize = 30;

impl<'a> Engine<'a> {
    /// Play one trainee line. The state must not have an outcome yet.
    pub fn turn(&self, st: &mut MoodState, text: &str) -> TurnReport {
        if let Some(at) = st.accepted_at {
            return self.closing_turn(st, text, at);
        }
        let start_anger = st.anger;
        st.turn += 1;
        let mut events = Vec::new();
        let heard = self.hear(st, text);
        let empty_apology = self.react_to_acts(st, &heard, &mut events);
        self.advance_needs(st, &heard, &mut events);
        let facts = self.reveal_facts(st, &heard.scene, &mut events);
        let mut verdict = if heard.offered {
            self.weigh_offer(st, &heard, text, &mut events)
        } else {
            Verdict::default()
        };
        self.accept_pending(st, &heard, &mut verdict, &mut events);

        let bad = self.worst_kind(&heard);
        let good = (heard.kinds.iter()).any(|k| self.analyser.polarity(k) == Some(Polarity::Good));
        if !heard.template && bad.is_none() && !good && !heard.offered && facts.is_empty() {
            events.push(Event::Idle);
            self.react(st, "idle");
        }
        // What this turn did, for a rule that accepts "explained just before".
        st.last_kinds = if heard.template {
            Vec::new()
        } else {
            heard.kinds.iter().map(|k| k.to_string()).collect()
        };
        // A need met this turn: the customer got something they wanted and says so
        // rather than venting on (「到底什么时候给我答复？」 answered is no cue to threaten).
        let met_now = (events.iter()).any(|e| matches!(e, Event::NeedMet { .. }));
        let outcome = self.outcome_after(st, verdict.accepted.is_some(), met_now);
        st.outcome = outcome;
        let moves = self.moves(
            st,
            &heard,
            text,
            verdict,
            facts,
            bad,
            empty_apology,
            start_anger,
            met_now,
        );
        let signals = self.with_scene_offers(heard.signals, &heard.scene);
        TurnReport {
            turn: st.turn,
            signals,
            acts: heard.reading.acts,
            events,
            anger: st.anger_i(),
            trust: st.trust_i(),
            needs_met: self.met_ids(st),
            decision: Decision { moves, outcome },
        }
    }

    /// A line after the customer accepted a remedy. Mistakes are still heard (a 禁语
    /// in the goodbye stings as much as anywhere, and can still make them walk out);
    /// otherwise the call ends resolved when the trainee closes it or, failing that,
    /// when the customer does: `CLOSE_TURNS` turns after accepting once a line adds
    /// nothing more (a customer listens while the arrangements, the deadline and the
    /// follow-up are still being told, and hangs up on pleasantries), and in any case
    /// `3 * CLOSE_TURNS` turns after.
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
        // What the customer weighs in the scenario's terms counts as adding something
        // too: 「我把详单打出来，咱们一项一项对」 after accepting the urgent remedy is the
        // rest of the handling, which a customer stays on the line for.
        let scene = (self.scene).read(text, &reading, &self.remedy_spans(&signals));
        let adds = ACTION_KINDS.iter().any(|k| kinds.contains(k))
            || !scene.offered.is_empty()
            || !scene.facts_asked.is_empty()
            || scene.policy_stated;
        let outcome = if st.anger >= f64::from(self.persona.mood.walk_out_at) {
            Some(Outcome::WalkedOut)
        } else if (bad.is_empty() && (closes || (!adds && turn >= accepted_at + CLOSE_TURNS)))
            || turn >= accepted_at + 3 * CLOSE_TURNS
        {
            // Closed by the trainee, or the customer hangs up: the remedy stands.
            Some(Outcome::Resolved)
        } else {
            None
        };
        st.outcome = outcome;
        // Asked a fact after accepting, a customer still answers it (a tmux play: asked
        // how the staff had answered him, 滥用正义感 said 「嗯，这个态度还行。」).
        let mut events = Vec::new();
        let facts = if bad.is_empty() && outcome.is_none() {
            self.reveal_facts(st, &scene, &mut events)
        } else {
            Vec::new()
        };
        let worst = WORST_FIRST
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
            (None, None) if !facts.is_empty() => moves.push(Move::AnswerFact { facts }),
            (None, None) => moves.push(Move::AfterAccept),
            (None, Some(_)) => {}
        }
        TurnReport {
            turn,
            signals: self.with_scene_offers(signals, &scene),
            acts: reading.acts,
            events,
            anger: st.anger_i(),
            trust: st.trust_i(),
            needs_met: self.met_ids(st),
            decision: Decision { moves, outcome },
        }
    }

    /// The line's signals, plus a 方案 signal for each scenario remedy the customer heard
    /// offered in words the reading did not label an offer (「详单打出来，一笔一笔核对」):
    /// the coach line and the scorecard then credit the offer the customer weighed, so
    /// the card never says 「缺少「方案」」 about a remedy the customer accepted. Added
    /// after the turn is played: the mood reacts to the offer through the scene already.
    fn with_scene_offers(&self, mut signals: Vec<Signal>, scene: &SceneReading) -> Vec<Signal> {
        let remedy = self.analyser.kind_index("remedy");
        let Some((kind, rule)) = remedy.and_then(|k| Some((k, self.analyser.rule_for_kind(k)?)))
        else {
            return signals;
        };
        for &(start, end) in &scene.offer_words {
            if !(signals.iter()).any(|s| s.kind == kind && s.start < end && start < s.end) {
                signals.push(Signal {
                    kind,
                    rule,
                    start,
                    end,
                });
            }
        }
        signals.sort_by_key(|s| (s.start, s.kind));
        signals
    }

    /// Where the line's remedy signals stand: the offers the scene weighs with its own.
    fn remedy_spans(&self, signals: &[Signal]) -> Vec<(usize, usize)> {
        (signals.iter())
            .filter(|s| self.analyser.kind(s).id == "remedy")
            .map(|s| (s.start, s.end))
            .collect()
    }

    /// Read the line once and see it as the customer does: whose acts, said before or
    /// recited, and what it offers in the scenario's terms.
    fn hear(&self, st: &mut MoodState, text: &str) -> Heard<'a> {
        let (reading, signals) = self.analyser.read(text);
        let kinds = self.own_kinds(&reading, &signals);
        let norm = normalise(text);
        let template = norm.chars().count() >= 4 && st.said.contains(&norm);
        if !template {
            st.said.push(norm);
        }
        // A refusal declines a demand: neutral in the act vocabulary and no stock
        // phrase, so it does not count toward a recital (a refusal, then the offer
        // that replaces it, with its time and follow-up, is a plan, not a script).
        let good_kinds = (kinds.iter())
            .filter(|k| **k != "refuse" && self.analyser.polarity(k) == Some(Polarity::Good))
            .count();
        let scripted = !template && good_kinds >= SCRIPTED_KINDS;
        let is_remedy = |s: &&Signal| self.analyser.kind(s).id == "remedy";
        let scene = if template || scripted {
            SceneReading::default()
        } else {
            self.scene
                .read(text, &reading, &self.remedy_spans(&signals))
        };
        // An offer of something the scenario does not name is an offer too (a vague
        // one), unless its clause states the policy ("按法律应当赔偿一倍") or it only
        // promises a plan to come (「五点前给您一个完整的处理方案」: a deadline, which
        // the customer weighs as one, not a remedy to turn down).
        let vague_offer = !template
            && !scripted
            && signals.iter().filter(is_remedy).any(|s| {
                !(scene.policy_spans.iter()).any(|&(x, y)| x < s.end && s.start < y)
                    && !counterfactual_at(&reading, s.start)
                    && !promises_a_plan(&text[s.start..s.end])
                    && !investigates(&text[s.start..s.end])
            });
        let offered = !scene.offered.is_empty() || vague_offer;
        let listed = offered
            && text.matches('\u{3001}').count() >= REMEDY_LIST
            && signals.iter().filter(is_remedy).count() >= REMEDY_LIST;
        let mut heard = Heard {
            reading,
            signals,
            kinds,
            template,
            scripted,
            scene,
            offered,
            listed,
            acted: false,
        };
        heard.acted = offered || ACTION_KINDS.iter().any(|k| heard.has(k));
        heard
    }

    /// Let each kind of act move the mood, once per line. A recital's good words count
    /// for nothing and its mistakes in full; the remedy kind is weighed with its offer.
    /// Returns whether the line is one apology too many without action (一味道歉).
    fn react_to_acts(&self, st: &mut MoodState, h: &Heard, events: &mut Vec<Event>) -> bool {
        let mut empty_apology = false;
        if h.acted {
            st.apology_streak = 0;
        } else if h.has("apology") {
            st.apology_streak += 1;
            empty_apology = st.apology_streak >= EMPTY_APOLOGY_AFTER;
        }
        if h.template {
            events.push(Event::Template);
            self.react(st, "template");
        } else {
            if h.scripted {
                events.push(Event::Scripted);
                let key = if self.persona.reactions.contains_key("scripted") {
                    "scripted"
                } else {
                    "template"
                };
                self.react(st, key);
            }
            for k in &h.kinds {
                let good = self.analyser.polarity(k) == Some(Polarity::Good);
                let skip = (*k == "remedy" && h.offered)
                    || (*k == "apology" && empty_apology)
                    || (h.scripted && good);
                if !skip {
                    self.react(st, k);
                }
            }
        }
        if empty_apology {
            events.push(Event::EmptyApology);
            self.react(st, "empty_apology");
        }
        empty_apology
    }

    /// Needs: progress counts on any turn that satisfies a need, in whatever order the
    /// trainee gets there, but needs are met in order — the first need must be met
    /// before the second counts as met. A need with a deadline (`by_turn`) that passes
    /// unmet makes the customer angrier, once (`late`); it can still be met after, as
    /// a real customer who was kept waiting still takes a good answer, if less kindly.
    fn advance_needs(&self, st: &mut MoodState, h: &Heard, events: &mut Vec<Event>) {
        let turn = st.turn;
        // Arguing is left out: reasons stated too soon still inform (and a rule stated
        // while agreeing, 「您说得对，按规定……」, reads as argue often enough).
        let hurt = !h.template
            && (h.kinds.iter())
                .any(|k| *k != "argue" && self.analyser.polarity(k) == Some(Polarity::Bad));
        for (i, need) in self.persona.needs.iter().enumerate() {
            if st.need_progress[i] >= need.count.max(1) {
                continue;
            }
            let answers_ask = st.term_asked.as_ref() == Some(&need.id);
            if st.need_expired.is_none() && need.by_turn.is_some_and(|by| turn > by) && !answers_ask
            {
                st.need_expired = Some(need.id.clone());
                events.push(Event::NeedExpired {
                    need: need.id.clone(),
                });
                self.react(st, "late");
            }
            // A scenario remedy the customer heard offered is the 方案 kind, however the
            // reading labelled its words (the card credits it the same way).
            let offer_heard = |k: &String| k == "remedy" && !h.scene.offered.is_empty();
            let kinds_ok =
                need.any.is_empty() || need.any.iter().any(|k| h.has(k) || offer_heard(k));
            let policy_ok = !need.policy || h.scene.policy_stated;
            // A line that also says something hurtful (禁语, blame, a brush-off, rudeness)
            // meets nothing: the customer hears 「我们一天能碰到好几台」, not the
            // understanding before it.
            let heard = !h.template && !h.scripted && !hurt;
            if heard && turn >= need.after_turn && kinds_ok && policy_ok {
                st.need_progress[i] += 1;
            }
        }
        st.term_asked = None;
        while st.needs_met < self.persona.needs.len() {
            let need = &self.persona.needs[st.needs_met];
            if st.need_progress[st.needs_met] < need.count.max(1) {
                break;
            }
            events.push(Event::NeedMet {
                need: need.id.clone(),
            });
            st.needs_met += 1;
        }
    }

    /// The scenario's facts the line asks for; the first time, the customer tells them.
    /// A question that touches an old fact and a new one (「什么型号、什么时候买的？」
    /// also matches 「什么时候」 for when the call was made) gets the new one only: the
    /// customer does not tell again what they said two turns ago.
    fn reveal_facts(
        &self,
        st: &mut MoodState,
        scene: &SceneReading,
        events: &mut Vec<Event>,
    ) -> Vec<String> {
        let told = |i: &usize| st.facts_revealed.contains(&self.scenario.facts[*i].id);
        let asked = &scene.facts_asked;
        let answer: Vec<usize> = if asked.iter().all(told) {
            asked.clone()
        } else {
            asked.iter().copied().filter(|i| !told(i)).collect()
        };
        let mut facts = Vec::new();
        for &i in &answer {
            let id = self.scenario.facts[i].id.clone();
            if !st.facts_revealed.contains(&id) {
                st.facts_revealed.push(id.clone());
                events.push(Event::FactRevealed { fact: id.clone() });
            }
            facts.push(id);
        }
        facts
    }

    /// An offer: accepted only when every need is met, the persona's own rules allow
    /// it, it is one the customer can accept, and anger has come down.
    fn weigh_offer(
        &self,
        st: &mut MoodState,
        h: &Heard,
        text: &str,
        events: &mut Vec<Event>,
    ) -> Verdict {
        let remedy_hits = &h.scene.offered;
        // Prefer a remedy the customer can accept when a line names several; vague
        // remedy words ("退费今天提交") while an acceptable plan is on the table
        // elaborate that plan.
        let chosen = (remedy_hits.iter().copied())
            .find(|&i| self.scenario.remedies[i].accept)
            .or(remedy_hits.first().copied())
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
        // The trainee's own words for the chosen remedy, as the customer would repeat
        // them. An acceptable remedy refused only because it came too early stays on
        // the table, with the words it was offered in: once the customer's needs are
        // met it is accepted without being offered again, as a real customer would.
        let words_now = chosen
            .and_then(|i| remedy_hits.iter().position(|&x| x == i))
            .map(|k| {
                // A whole plan repeated back word for word is a recital: a customer
                // who takes it names the part they heard (「把最近三个月的30元退回话费
                // 账户」), not every clause from 退订 to 屏蔽.
                let (a, b) = h.scene.offer_words[k];
                let words = quote_span(text, a, b);
                let words = if words.chars().count() > REPEAT_CHARS {
                    let (a, b) = h.scene.named_in[k];
                    quote_span(text, a, b)
                } else {
                    words
                };
                as_customer(&words)
            })
            // An offer the scenario does not name: the trainee's own words for it, which
            // the customer repeats if they take it (see [`Self::verdict`]).
            .or_else(|| {
                let s = h
                    .signals
                    .iter()
                    .find(|s| self.analyser.kind(s).id == "remedy")?;
                // The clause it stands in, from the reading already made of the line.
                let c = h.reading.clauses[h.reading.clause_at(s.start)?];
                let (a, b) = (c.start.min(s.start), c.end.max(s.end));
                chosen
                    .is_none()
                    .then(|| as_customer(&quote_span(text, a, b)))
            });
        if let Some(r) = chosen_remedy.filter(|r| r.accept) {
            if st.pending_remedy.as_ref() != Some(&r.id) || words_now.is_some() {
                st.pending_words = words_now.clone();
            }
            st.pending_remedy = Some(r.id.clone());
        }
        let verdict = self.verdict(st, h, chosen_remedy, first_remedy, words_now, events);
        if let Some(r) = &verdict.accepted {
            st.pending_remedy = None;
            st.pending_words = None;
            events.push(Event::RemedyAccepted { remedy: r.clone() });
            self.react(st, "remedy_accepted");
        } else if verdict.rejection.is_some() {
            let id = chosen_remedy.map(|r| r.id.clone());
            if let Some(id) = &id
                && !st.remedies_refused.contains(id)
            {
                st.remedies_refused.push(id.clone());
            }
            events.push(Event::RemedyRejected { remedy: id });
            self.react(st, "remedy_rejected");
        }
        verdict
    }

    /// Whether the customer takes the offer, and if not, why — the first reason that
    /// holds, in the order a customer would object.
    fn verdict(
        &self,
        st: &mut MoodState,
        h: &Heard,
        chosen: Option<&Remedy>,
        first_remedy: bool,
        words_now: Option<String>,
        events: &mut Vec<Event>,
    ) -> Verdict {
        let reject = |why: &str| Verdict {
            rejection: Some(why.to_string()),
            ..Verdict::default()
        };
        let hits = &h.scene.offered;
        let behaviour = &self.persona.behaviour;
        let late_now = (events.iter()).any(|e| matches!(e, Event::NeedExpired { .. }));
        if late_now {
            // In character: what came too late, not the name of the step (the coach
            // and the scorecard name it). 拖到现在才说，已经晚了。早干什么去了？
            return reject(
                "\u{62D6}\u{5230}\u{73B0}\u{5728}\u{624D}\u{8BF4}\u{FF0C}\u{5DF2}\u{7ECF}\u{665A}\u{4E86}\u{3002}\
                 \u{65E9}\u{5E72}\u{4EC0}\u{4E48}\u{53BB}\u{4E86}\u{FF1F}",
            );
        }
        if h.scene.over_promised {
            // A promise the policy cannot keep is not accepted: a customer who has
            // heard such promises before asks whether it can be kept. This comes before
            // any other objection (a list, a rush): 「再送您一年免费乘车」 said before the
            // customer was heard is first of all a promise nobody can keep.
            return reject(if behaviour.records {
                "这话我录下来了。录音为证\u{FF0C}你做得到吗\u{FF1F}"
            } else {
                "你这话说得也太满了\u{FF0C}做得到吗\u{FF1F}别回头又说办不了。"
            });
        }
        if let Some(amount) = h.scene.wrong_amount {
            // A sum the policy does not pay (the old law's 一倍 for the 三倍 owed): a
            // customer who knows what is owed takes the wrong figure up at once, and the
            // offer in those words is off the table (a deadline given next does not
            // make the customer take 「再赔我860元」).
            st.pending_remedy = None;
            st.pending_words = None;
            return reject(&format!(
                "{amount}\u{5143}\u{FF1F}\u{8FD9}\u{4E2A}\u{6570}\u{4E0D}\u{5BF9}\u{5427}\u{3002}\
                 \u{8BE5}\u{9000}\u{591A}\u{5C11}\u{3001}\u{8BE5}\u{8D54}\u{591A}\u{5C11}\u{FF0C}\
                 \u{4F60}\u{5148}\u{628A}\u{89C4}\u{5B9A}\u{5F04}\u{6E05}\u{695A}\u{4E86}\u{518D}\u{8DDF}\u{6211}\u{8BF4}\u{3002}"
            ));
        }
        let unacceptable_in_list =
            hits.len() >= REMEDY_LIST && hits.iter().any(|&i| !self.scenario.remedies[i].accept);
        if unacceptable_in_list || h.listed {
            events.push(Event::RemedyList);
            return reject(
                "你一口气说了这么多\u{FF0C}到底给我哪一个\u{FF1F}能兑现的是哪一个\u{FF1F}",
            );
        }
        let at_once = h.has("time_commitment") || words_now.as_deref().is_some_and(done_now);
        if chosen.is_some_and(|r| r.urgent && r.accept)
            && at_once
            && st.needs_met < self.persona.needs.len()
        {
            // Acting at once (「马上」「现在就」) where it cannot wait is no rush: it is
            // credited, and the customer takes it up once their needs are met (it stays
            // pending). 「我们会安排检修的」 with no time is no such action.
            self.react(st, "remedy");
            if let Some(r) = chosen {
                events.push(Event::UrgentAction {
                    remedy: r.id.clone(),
                });
            }
            return Verdict {
                urgent_taken: true,
                ..Verdict::default()
            };
        }
        if let Some(need) = self.persona.needs.get(st.needs_met)
            && chosen.is_some_and(|r| r.accept)
            && !need.any.is_empty()
            && (need.any.iter()).all(|k| OFFER_TERMS.contains(&k.as_str()))
        {
            // What is missing is a term of this very offer (a time, a follow-up): an
            // acceptable plan is no rush, the customer asks for the term, in their words
            // (「到底什么时候给我答复？给个准时间。」), and the plan stays on the table.
            let want = if need.want.is_empty() {
                &need.label
            } else {
                &need.want
            };
            st.term_asked = Some(need.id.clone());
            return Verdict {
                term_missing: Some(want.clone()),
                ..Verdict::default()
            };
        }
        if let Some(need) = self.persona.needs.get(st.needs_met) {
            events.push(Event::Rushed {
                need: need.id.clone(),
            });
            self.react(st, "rushed");
            let want = if need.want.is_empty() {
                &need.label
            } else {
                &need.want
            };
            return Verdict {
                rushed_need: Some(want.clone()),
                ..Verdict::default()
            };
        }
        if first_remedy
            && !behaviour.first_remedy_needs.is_empty()
            && !(behaviour.first_remedy_needs.iter()).any(|k| h.has(k) || st.last_kinds.contains(k))
        {
            return reject(if behaviour.first_remedy_reason.is_empty() {
                "你光说怎么办，不说为什么，我凭什么接受？"
            } else {
                &behaviour.first_remedy_reason
            });
        }
        match chosen {
            // A concrete offer the scenario does not list — with a time it will be done
            // by, made once every need is met and the anger is down — is taken in the
            // trainee's words: a real customer weighs what is offered, not whether it
            // is on a list (「由主管带那位服务员向您致歉，明天下午五点前给您回复」).
            None if h.has("time_commitment")
                && words_now.is_some()
                && st.anger <= f64::from(self.persona.mood.accept_below) =>
            {
                self.react(st, "remedy");
                let words = words_now.unwrap_or_default();
                Verdict {
                    accepted: Some(words.clone()),
                    accepted_words: Some(words),
                    ..Verdict::default()
                }
            }
            // A concrete offer (an amount, a time, who does it) that is not what the
            // customer came for is turned down with what they want, not with a request
            // for specifics the trainee has just given.
            None if concrete_offer(h, words_now.as_deref()) => reject(&format!(
                "\u{8FD9}\u{4E0D}\u{662F}\u{6211}\u{8981}\u{7684}\u{3002}\u{6211}\u{7684}\u{8981}\u{6C42}\u{5F88}\u{6E05}\u{695A}\u{FF1A}{}\u{3002}",
                self.scenario.demand.trim_end_matches('\u{3002}')
            )),
            None => reject("你说具体点，到底怎么给我处理？"),
            Some(r) if !r.accept => reject(&r.reason),
            Some(r) => {
                self.react(st, "remedy");
                if st.anger <= f64::from(self.persona.mood.accept_below) {
                    Verdict {
                        accepted: Some(r.label.clone()),
                        accepted_words: words_now.or(st.pending_words.clone()),
                        ..Verdict::default()
                    }
                } else {
                    // Every need met, an offer the customer can take, anger not yet
                    // down: no refusal to be angry about. The offer stays on the table
                    // and is taken once the anger is down (see [`Self::accept_pending`]).
                    Verdict {
                        not_calm_yet: true,
                        ..Verdict::default()
                    }
                }
            }
        }
    }

    /// A remedy refused only for coming too early is accepted, without being offered
    /// again, on the turn its needs are met and anger has come down.
    fn accept_pending(
        &self,
        st: &mut MoodState,
        h: &Heard,
        verdict: &mut Verdict,
        events: &mut Vec<Event>,
    ) {
        if !h.offered
            && !h.scripted
            && st.needs_met == self.persona.needs.len()
            && st.anger <= f64::from(self.persona.mood.accept_below)
            && let Some(id) = st.pending_remedy.take()
            && let Some(r) = self.scenario.remedies.iter().find(|r| r.id == id)
        {
            verdict.accepted = Some(r.label.clone());
            verdict.accepted_words = st.pending_words.take();
            events.push(Event::RemedyAccepted {
                remedy: r.label.clone(),
            });
            self.react(st, "remedy_accepted");
        }
    }

    /// The worst mistake of the line, the one the customer reacts to.
    fn worst_kind(&self, h: &Heard<'a>) -> Option<&'a str> {
        WORST_FIRST.iter().copied().find(|k| h.has(k)).or_else(|| {
            (h.kinds.iter().copied())
                .find(|k| !h.template && self.analyser.polarity(k) == Some(Polarity::Bad))
        })
    }

    /// Accepting does not end the call (the trainee still has the close to do); anger
    /// at the limit or patience used up does. Patience is used up at the persona's turn
    /// limit on a turn that got the customer nothing they wanted: one that just met a
    /// need buys another turn (nobody hangs up on the answer they asked for), up to
    /// `GRACE_TURNS` past the limit.
    fn outcome_after(&self, st: &mut MoodState, accepted: bool, met_now: bool) -> Option<Outcome> {
        if accepted {
            st.accepted_at = Some(st.turn);
            None
        } else if st.anger >= f64::from(self.persona.mood.walk_out_at) {
            Some(Outcome::WalkedOut)
        } else if (st.turn >= self.patience && !met_now) || st.turn >= self.patience + GRACE_TURNS {
            Some(Outcome::OutOfTurns)
        } else {
            None
        }
    }

    /// What the customer says, in order: an acceptance, a walk-out with what caused
    /// it, or the one thing that matters most in the line.
    #[allow(clippy::too_many_arguments)]
    fn moves(
        &self,
        st: &MoodState,
        h: &Heard,
        text: &str,
        verdict: Verdict,
        facts: Vec<String>,
        bad: Option<&str>,
        empty_apology: bool,
        start_anger: f64,
        met_now: bool,
    ) -> Vec<Move> {
        let react_bad = |k: &str| Move::ReactBad {
            kind: k.to_string(),
            quote: (h.signals.iter())
                .find(|s| self.analyser.kind(s).id == k)
                .map(|s| quote_span(text, s.start, s.end))
                .unwrap_or_default(),
        };
        if verdict.accepted.is_some() {
            return vec![Move::Accept {
                remedy: verdict
                    .accepted_words
                    .or(verdict.accepted)
                    .unwrap_or_default(),
            }];
        }
        match st.outcome {
            Some(Outcome::Resolved) => return vec![Move::Closing],
            Some(Outcome::WalkedOut) => {
                return match bad {
                    Some(k) => vec![react_bad(k), Move::WalkOut],
                    None => vec![Move::WalkOut],
                };
            }
            Some(Outcome::OutOfTurns) => return vec![Move::OutOfTurns],
            None => {}
        }
        let walk = f64::from(self.persona.mood.walk_out_at);
        let mut noted = None;
        let primary = if h.template {
            Move::Template
        } else if let Some(k) = bad {
            react_bad(k)
        } else if h.scripted {
            Move::Scripted
        } else if let Some(need) = verdict.rushed_need {
            Move::Rushed { need }
        } else if let Some(need) = verdict.term_missing {
            Move::AskTerm { need }
        } else if let Some(reason) = verdict.rejection {
            Move::RejectRemedy { reason }
        } else if verdict.urgent_taken || (verdict.not_calm_yet && st.anger < start_anger) {
            noted = Some(Move::Noted {
                urgent: verdict.urgent_taken,
            });
            Move::Calm
        } else if verdict.not_calm_yet {
            Move::RejectRemedy {
                reason: "我现在火还没消\u{FF0C}你先别急着给我方案。".to_string(),
            }
        } else if empty_apology {
            Move::EmptyApology
        } else if !facts.is_empty() {
            Move::AnswerFact { facts }
        } else if (h.has("ask_info") || h.has("consult"))
            && !confirms_only(h, text)
            && !looks_up_only(self.analyser, h, text)
        {
            // Asked what they want (or their view), a customer says it; asked a fact
            // the scenario lacks, they do not know.
            if h.reading.has(Act::Consult)
                || (h.reading.clauses.iter()).any(|c| c.cues.has(Cues::WANTS))
                || asks_view(&h.reading, text)
                || asks_open(text)
            {
                Move::AnswerDemand
            } else {
                Move::UnknownFact
            }
        } else if met_now && st.anger <= start_anger {
            Move::Calm
        } else if st.anger > start_anger && st.anger >= walk - THREATEN_MARGIN {
            Move::Threaten
        } else if st.anger <= start_anger - CALM_STEP || st.calm() {
            // A calm customer does not vent, whatever this line did.
            Move::Calm
        } else {
            Move::Vent
        };
        // Asked to confirm the story told back, a customer says yes before calming,
        // venting or threatening (a bad act, a template or an offer is answered on its
        // own); an offer kept but not taken gets its word before the rest.
        let mut moves = Vec::with_capacity(3);
        if matches!(primary, Move::Calm | Move::Vent | Move::Threaten) && asks_to_confirm(h, text) {
            moves.push(Move::Confirm);
        }
        moves.extend(noted);
        moves.push(primary);
        moves
    }
}

/// Words that keep an offer open (「给您适当补偿」, 「想想办法」).
const HEDGES: [&str; 10] = [
    "适当",
    "一定的",
    "相应",
    "尽量",
    "想办法",
    "考虑",
    "看看",
    "研究",
    "酌情",
    "争取",
];

/// Whether an offer's words are an action taken now rather than one put off or hedged:
/// 「我让同事陪你们去医院，检查费先垫上」 is done as it is said, 「我们会安排检修的」 and
/// 「回头给您想想办法」 are not. What an urgent remedy needs to count as acting at once
/// when the line names no time.
fn done_now(words: &str) -> bool {
    const LATER: [&str; 9] = [
        "会", "将", "回头", "到时", "稍后", "之后", "以后", "改天", "等",
    ];
    !HEDGES.iter().chain(LATER.iter()).any(|x| words.contains(x))
}

/// Whether the line's offer is concrete: the line commits to a time, one of its acts
/// carries an amount or a time, or the offer's own words name a number
/// (「这个月的10元给您退回」) or an action without hedging (「给号码加上订购保护」, not
/// 「给您适当补偿」).
fn concrete_offer(h: &Heard, words: Option<&str>) -> bool {
    let digit = |c: char| c.is_ascii_digit() || ('\u{FF10}'..='\u{FF19}').contains(&c);
    h.has("time_commitment")
        || words.is_some_and(|w| w.chars().any(digit) || !HEDGES.iter().any(|x| w.contains(x)))
        || (h.reading.acts.iter()).any(|a| a.slots.amount.is_some() || a.slots.time.is_some())
}

/// Whether an offer's words only promise a plan or an answer to come (「给您一个完整的
/// 处理方案」, 「给您一个书面答复」) rather than a remedy (「给您一个免费更换的方案」).
fn promises_a_plan(words: &str) -> bool {
    const PLAN: [&str; 8] = [
        "处理方案",
        "解决方案",
        "处理意见",
        "处理结果",
        "答复",
        "说法",
        "交代",
        "回复",
    ];
    words.find('给').is_some_and(|at| {
        let head: String = words[at..].chars().take(14).collect();
        PLAN.iter().any(|w| head.contains(w))
    })
}

/// Whether a question asks what the customer thinks of what was just said (「这样安排
/// 您看可以吗？」, 「您觉得妥当吗？」): answered with what they want, never with
/// 「这我哪知道」 as if a fact had been asked.
fn asks_view(r: &Reading, text: &str) -> bool {
    const WHOSE: [&str; 6] = ["您看", "你看", "您觉得", "你觉得", "这样", "这么"];
    const VIEW: [&str; 11] = [
        "可以吗",
        "行吗",
        "行不行",
        "可不可以",
        "妥当吗",
        "合适吗",
        "满意吗",
        "怎么样",
        "好不好",
        "好吗",
        "妥不妥",
    ];
    (r.clauses.iter()).any(|c| {
        let words = &text[c.start..c.end];
        c.cues.has(Cues::QUESTION)
            && WHOSE.iter().any(|w| words.contains(w))
            && VIEW.iter().any(|w| words.contains(w))
    })
}

/// Whether the line asks what brought the customer here (「请问有什么可以帮您？」,
/// 「您慢慢说，怎么回事？」): a customer always knows that, and tells what they want;
/// never 「这个我没记」 as to a fact they were not there for.
fn asks_open(text: &str) -> bool {
    const OPEN: [&str; 13] = [
        "可以帮您",
        "需要帮",
        "能帮您",
        "帮您什么",
        "帮到您",
        "为您做",
        "有什么需要",
        "有什么事",
        "遇到什么",
        "遇到了什么",
        "怎么回事",
        "发生了什么",
        "什么情况",
    ];
    OPEN.iter().any(|w| text.contains(w))
}

/// Whether the line's only question asks the customer to confirm the story told back
/// (「……让您去登机口等，对吗？」): the customer confirms it, they are asked no fact.
fn confirms_only(h: &Heard, text: &str) -> bool {
    let r = &h.reading;
    r.has(Act::Restate) && !r.has(Act::Consult) && asks_only_back(r, text)
}

/// Whether every question the line holds names what the agent will look up
/// ([`Reading::checks_itself`]): nothing is asked of the customer, who neither answers
/// nor says they do not know.
fn looks_up_only(a: &Analyser, h: &Heard, text: &str) -> bool {
    let r = &h.reading;
    let mut asks = (h.signals.iter())
        .filter(|s| a.kind(s).id == "ask_info")
        .filter_map(|s| r.clause_at(s.start))
        .chain(
            (r.acts.iter())
                .filter(|x| x.act == Act::Ask)
                .map(|x| x.clause),
        )
        .peekable();
    !h.has("consult") && asks.peek().is_some() && asks.all(|ci| r.checks_itself(text, ci))
}

/// Whether every question of the line is in a clause that tells the customer's story
/// back: no fact is asked.
fn asks_only_back(r: &Reading, text: &str) -> bool {
    (r.acts.iter())
        .filter(|a| a.act == Act::Ask)
        .all(|a| r.restated(text, a.clause))
}

/// Whether the line asks the customer to confirm the story told back: a question
/// whose only asking is the check (「您是说……，对吗？」).
fn asks_to_confirm(h: &Heard, text: &str) -> bool {
    let r = &h.reading;
    h.has("restate")
        && !h.has("consult")
        && asks_only_back(r, text)
        && (0..r.clauses.len()).any(|ci| r.asks(text, ci))
}

/// Whether an offer's words only offer to look into the matter first (「我先帮您检测
/// 一下」, 「我查一下记录」): finding the facts, never a remedy the customer could turn
/// down nor a rush to a conclusion.
fn investigates(words: &str) -> bool {
    const LOOK: [&str; 10] = [
        "检测一下",
        "检查一下",
        "查一下",
        "查查",
        "核实一下",
        "核对一下",
        "先检测",
        "先检查",
        "先查",
        "先核实",
    ];
    // A check that comes with a remedy (「检查一下，坏了就换」) offers the remedy.
    const REMEDY: [&str; 6] = ["换", "退", "赔", "补偿", "修好", "免费"];
    LOOK.iter().any(|w| words.contains(w)) && !REMEDY.iter().any(|w| words.contains(w))
}

#[cfg(test)]
mod tests {
    use super::{asks_open, asks_view, done_now, investigates, promises_a_plan};
    use crate::reading::default_reader;

    #[test]
    fn an_action_taken_as_it_is_said_is_done_now() {
        assert!(done_now("我让一位同事陪你们去最近的医院，检查费车站先垫上"));
        assert!(!done_now("我们会安排人带孩子去医院检查的"));
        assert!(!done_now("回头给您想想办法"));
        assert!(!done_now("给您适当补偿"));
    }

    #[test]
    fn asking_what_the_customer_thinks_of_the_plan_asks_no_fact() {
        let view = |t: &str| asks_view(&default_reader().read(t), t);
        assert!(view("这样安排您看可以吗？"));
        assert!(view("您觉得这么处理妥当吗？"));
        assert!(!view("您是几点到的？"));
        assert!(!view("这样安排，明天下午给您回电。"));
    }

    #[test]
    fn an_open_question_asks_what_brought_them() {
        assert!(asks_open("您好，请问有什么可以帮您？"));
        assert!(asks_open("您别急，慢慢说，到底怎么回事？"));
        assert!(!asks_open("请问您的订单号是多少？"));
    }

    #[test]
    fn looking_into_it_first_offers_no_remedy() {
        assert!(investigates("我先帮您检测一下"));
        assert!(investigates("我查一下您的订购记录"));
        assert!(!investigates("我检查一下，坏了就给您换新的"));
        assert!(!investigates("给您免费换一个"));
    }

    #[test]
    fn a_plan_promised_is_no_remedy_offered() {
        assert!(promises_a_plan("今天下午五点前我给您一个完整的处理方案"));
        assert!(promises_a_plan("明天中午前给您一个书面答复"));
        assert!(!promises_a_plan("给您一个免费更换的方案"));
        assert!(!promises_a_plan("我们给您全额退款"));
    }
}

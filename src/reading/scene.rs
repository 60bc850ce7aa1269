//! A line read against one scenario: which of the scenario's remedies it offers or
//! refuses, which of the customer's facts it asks about, whether it states the policy.
//!
//! The scenario's patterns say what a remedy or fact is called; the reading says what
//! the clause they stand in does. 「给您换新的适配器」 in an offer clause offers the
//! scenario's 换新适配器; the same words in a refusal, a question or a restatement of
//! the customer's demand do not.

use std::collections::HashMap;

use foldhash::fast::FixedState;
use regex::Regex;

use super::ClauseSpan;
use super::money::PolicyMoney;
use super::{Act, Cues, Polarity, Reading};

/// One scenario's patterns, compiled.
#[derive(Debug, Clone)]
pub struct Scene {
    /// Each pattern on its own: one pattern's match across two clauses must not hide
    /// another's inside one (a joined alternation would take the leftmost only).
    facts: Vec<Vec<Pattern>>,
    remedies: Vec<Vec<Pattern>>,
    policy: Vec<Pattern>,
    /// Commitments the policy does not allow.
    forbids: Vec<Pattern>,
    /// The sums the policy pays.
    money: PolicyMoney,
    /// Which of the patterns above may match a line.
    prefilter: Prefilter,
}

/// The literals by their first character: (the rest of the literal, the index of its
/// entry in [`Prefilter::admits`]).
type ByFirst = HashMap<char, Vec<(String, usize)>, FixedState>;

/// The literals every match of a pattern holds (one of them), over all the scene's
/// patterns: one pass over a line says which patterns can match at all, so a line that
/// names nothing of the scene (most lines) costs one literal scan instead of one regex
/// search per pattern (a scenario has dozens; searching them one by one was a quarter
/// of replaying a transcript, and a `RegexSet` still a sixth).
///
/// The literals are short (退, 换新, 三倍) and a line is a few dozen characters, so the
/// scan looks each character of the line up among the literals' first characters and
/// compares the rest in place: an Aho-Corasick overlapping search found the same
/// occurrences at several times the cost (a tenth of replaying a transcript).
#[derive(Debug, Clone)]
struct Prefilter {
    /// `None` if no pattern has required literals.
    literals: Option<ByFirst>,
    /// For each literal, the patterns it admits.
    admits: Vec<Vec<usize>>,
    /// Patterns with no required literal: always searched.
    always: Vec<usize>,
    patterns: usize,
}

impl Prefilter {
    fn new(patterns: &[&Regex]) -> Self {
        let mut lits: Vec<String> = Vec::new();
        let mut admits: Vec<Vec<usize>> = Vec::new();
        let mut always = Vec::new();
        for (id, re) in patterns.iter().enumerate() {
            let required = (crate::pattern::parse(re.as_str()).ok())
                .and_then(|h| crate::rubric::required_of(&h));
            let Some(required) = required else {
                always.push(id);
                continue;
            };
            for l in required {
                let at = lits.iter().position(|x| *x == l).unwrap_or_else(|| {
                    lits.push(l);
                    admits.push(Vec::new());
                    lits.len() - 1
                });
                admits[at].push(id);
            }
        }
        let mut by_first = ByFirst::default();
        for (i, l) in lits.iter().enumerate() {
            let mut cs = l.chars();
            // `required_of` never gives an empty literal.
            if let Some(first) = cs.next() {
                by_first
                    .entry(first)
                    .or_default()
                    .push((cs.as_str().to_string(), i));
            }
        }
        let literals = (!by_first.is_empty()).then_some(by_first);
        if literals.is_none() {
            always = (0..patterns.len()).collect();
        }
        Prefilter {
            literals,
            admits,
            always,
            patterns: patterns.len(),
        }
    }

    fn candidates(&self, text: &str) -> Candidates {
        let mut on = vec![false; self.patterns];
        for &i in &self.always {
            on[i] = true;
        }
        if let Some(by_first) = &self.literals {
            for (i, c) in text.char_indices() {
                let Some(rests) = by_first.get(&c) else {
                    continue;
                };
                let after = &text[i + c.len_utf8()..];
                for (rest, lit) in rests {
                    if after.starts_with(rest.as_str()) {
                        for &p in &self.admits[*lit] {
                            on[p] = true;
                        }
                    }
                }
            }
        }
        Candidates(on)
    }
}

/// One compiled pattern and its place in the scene's [`Prefilter`].
#[derive(Debug, Clone)]
struct Pattern {
    id: usize,
    re: Regex,
}

/// Which of the scene's patterns can match a line, by [`Pattern::id`].
struct Candidates(Vec<bool>);

impl Candidates {
    /// The matches of those of `patterns` that can match at all.
    fn find_iter<'p, 't>(
        &'p self,
        patterns: &'p [Pattern],
        text: &'t str,
    ) -> impl Iterator<Item = regex::Match<'t>> + 'p
    where
        't: 'p,
    {
        patterns
            .iter()
            .filter(|p| self.0[p.id])
            .flat_map(move |p| p.re.find_iter(text))
    }
}

/// What a line does in the scene.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SceneReading {
    /// Indices of the scenario's remedies offered, in the order of the line.
    pub offered: Vec<usize>,
    /// For each of `offered`, the byte range of the clause(s) that offer it: the
    /// trainee's own words for it.
    pub offer_words: Vec<(usize, usize)>,
    /// For each of `offered`, the byte range of the clause that names it: what the
    /// customer repeats when the offer's words run long.
    pub named_in: Vec<(usize, usize)>,
    /// Indices of remedies the line declines.
    pub refused: Vec<usize>,
    /// Indices of facts the line asks about.
    pub facts_asked: Vec<usize>,
    /// Whether the line states the scenario's policy or law.
    pub policy_stated: bool,
    /// Byte ranges of the policy statements.
    pub policy_spans: Vec<(usize, usize)>,
    /// Whether the line commits to something the policy does not allow (an
    /// over-promise: 「十倍赔偿，今天就打到您卡上」), said as a commitment.
    pub over_promised: bool,
    /// The first sum of money the line offers that the policy does not pay
    /// (「再赔您860元」 where 2580 元 is owed; see [`PolicyMoney::pays`]).
    pub wrong_amount: Option<f64>,
}

/// Persona validation compiles every pattern with this same function and its limits,
/// so a loaded persona's patterns all compile here (the built-in ones are checked by
/// the test suite).
fn each_of(patterns: &[String], all: &mut Vec<Regex>) -> Vec<Pattern> {
    patterns
        .iter()
        .filter_map(|p| crate::pattern::compile(p).ok())
        .map(|re| {
            all.push(re.clone());
            Pattern {
                id: all.len() - 1,
                re,
            }
        })
        .collect()
}

impl Scene {
    /// Compile a scenario's fact, remedy and policy patterns (already validated); the
    /// policy's `allows` say what money it pays.
    pub fn new(
        facts: &[&[String]],
        remedies: &[&[String]],
        policy: &[String],
        forbids: &[String],
        allows: &[String],
    ) -> Scene {
        let mut all = Vec::new();
        let facts = facts.iter().map(|p| each_of(p, &mut all)).collect();
        let remedies = remedies.iter().map(|p| each_of(p, &mut all)).collect();
        let policy = each_of(policy, &mut all);
        let forbids = each_of(forbids, &mut all);
        let prefilter = Prefilter::new(&all.iter().collect::<Vec<_>>());
        Scene {
            facts,
            remedies,
            policy,
            forbids,
            money: PolicyMoney::new(allows),
            prefilter,
        }
    }

    /// Read `text` (already read as `r`) in this scene. `offers` are further byte
    /// ranges that offer something: the rubric's exact remedy rules, already checked
    /// against the reading of their clause.
    ///
    /// A remedy named in an offer counts as offered. So does one named in a plain
    /// statement of what the agent's side does (「来回运费我们出」 may be worded past
    /// what the model learned), or listed in a line that offers; named in a refusal, a
    /// question, an explanation, a restatement, the customer's demand, reported speech,
    /// a hypothesis or the past, it is not.
    pub fn read(&self, text: &str, r: &Reading, offers: &[(usize, usize)]) -> SceneReading {
        let mut out = SceneReading::default();
        let on = self.prefilter.candidates(text);
        self.remedies_into(text, r, offers, &on, &mut out);
        let clause_of = |s: usize| r.clause_at(s).map(|i| &r.clauses[i]);
        for (i, res) in self.facts.iter().enumerate() {
            let asked = on.find_iter(res, text).any(|m| {
                // Telling the story back (「……没核验会员卡就让您去登机口等，对吗？」) asks
                // the customer to confirm it, not to tell a fact again.
                r.clause_at(m.start()).is_some_and(|c| {
                    Self::asks_in_sentence(text, r, c)
                        && !schedules(&text[r.clauses[c].start..r.clauses[c].end])
                        && !r.restated(text, c)
                })
            });
            if asked {
                push(&mut out.facts_asked, i);
            }
        }
        for m in on.find_iter(&self.policy, text) {
            let question = clause_of(m.start()).is_some_and(|c| c.cues.has(Cues::QUESTION));
            if !question && !out.policy_spans.contains(&(m.start(), m.end())) {
                out.policy_spans.push((m.start(), m.end()));
            }
        }
        out.over_promised = self.over_promised(text, r, offers, &on);
        out.wrong_amount = self.wrong_amount(text, r, offers);
        out.policy_spans.sort_unstable();
        // A line that gets the money wrong does not state the policy right, however
        // it cites the rule (「按规定，……增加赔偿服务费用的一倍，也就是再赔您860元」).
        out.policy_stated = out.wrong_amount.is_none()
            && (!out.policy_spans.is_empty() || explains_a_rule(text, r));
        out
    }

    /// Whether the sentence of clause `ci` asks the customer something: it asks (the
    /// reading's Ask act) or it ends as a question (？, 吗, 呢). A question word inside a
    /// statement is no question to the customer (「这个业务是通过什么渠道开通的，我们内部
    /// 追查」, 「停车原因为什么没有广播，需要调度核实」), and the customer does not answer it.
    fn asks_in_sentence(text: &str, r: &Reading, ci: usize) -> bool {
        let sentence = r.sentence_of(text, ci);
        if (r.acts.iter()).any(|a| a.act == Act::Ask && sentence.contains(&a.clause)) {
            return true;
        }
        let end = r.clauses[sentence.end - 1].end;
        let said = text[r.clauses[sentence.start].start..end].trim_end();
        let mark = text[end..].trim_start().chars().next();
        // A final 么 asks only as the clause's question (not 「改变不了什么」).
        matches!(mark, Some('\u{FF1F}' | '?'))
            || said.ends_with(['\u{5417}', '\u{5462}', '\u{FF1F}', '?'])
            || (said.ends_with('\u{4E48}') && r.clauses[sentence.end - 1].cues.has(Cues::QUESTION))
    }

    /// Whether the line commits to something the policy forbids. Only a commitment
    /// over-promises: the forbidden words inside an offer, a deadline or an assurance,
    /// not a mention (「您想退车我能理解」).
    fn over_promised(
        &self,
        text: &str,
        r: &Reading,
        offers: &[(usize, usize)],
        on: &Candidates,
    ) -> bool {
        on.find_iter(&self.forbids, text)
            .any(|m| commits_to(text, r, offers, m.start(), m.end()))
    }
    /// The first sum an offer of the line names that the policy does not pay: in a
    /// clause the reading found an offer in, or one a remedy rule's hit stands in. The
    /// promise ledger judges the clauses of the line's offers the same way.
    fn wrong_amount(&self, text: &str, r: &Reading, offers: &[(usize, usize)]) -> Option<f64> {
        let clause = |i: usize| (r.clauses[i].start, r.clauses[i].end);
        (r.acts.iter())
            .filter(|a| a.act == Act::Offer && a.slots.amount.is_some())
            .map(|a| clause(a.clause))
            .chain(
                offers
                    .iter()
                    .filter_map(|&(s, _)| r.clause_at(s).map(clause)),
            )
            .find_map(|(s, e)| self.money.wrong_in(&text[s..e]))
    }

    /// The scenario's remedies the line offers (with the trainee's words for them) and
    /// refuses; see [`read`](Self::read).
    fn remedies_into(
        &self,
        text: &str,
        r: &Reading,
        offers: &[(usize, usize)],
        on: &Candidates,
        out: &mut SceneReading,
    ) {
        let within = |act: Act, s: usize, e: usize| {
            r.acts
                .iter()
                .any(|a| a.act == act && a.start <= s && e <= a.end.max(a.start))
        };
        // A remedy's words that overlap an offer clause (they may run on into the next
        // clause: 「卡子我们免费给您换新的、把隔热罩重新紧固好」).
        let touches_offer = |s: usize, e: usize| {
            r.acts
                .iter()
                .any(|a| a.act == Act::Offer && a.start < e && s < a.end)
        };
        // A line that commits to doing something by a time offers what it names too
        // (「疏散通道的杂物今天之内清走」).
        let line_offers = r.has(Act::Offer) || r.has(Act::Commit) || !offers.is_empty();
        // The trainee's words for what the line offers: its offer clauses, first to last
        // (not a clause that only names the remedy: 「多扣的钱我一会儿跟您核对」).
        let offer_span = r.acts.iter().filter(|a| a.act == Act::Offer).fold(
            None,
            |acc: Option<(usize, usize)>, a| {
                Some(acc.map_or((a.start, a.end), |(x, y)| (x.min(a.start), y.max(a.end))))
            },
        );
        let clause_of = |s: usize| r.clause_at(s).map(|i| &r.clauses[i]);
        for (i, res) in self.remedies.iter().enumerate() {
            for m in on.find_iter(res, text) {
                let (s, e) = (m.start(), m.end());
                // 「反馈给相关部门」 names no one: the stock phrase of a brush-off, not
                // the scenario's remedy, whatever its pattern allows.
                if VAGUE_TARGETS.iter().any(|w| text[s..e].contains(w)) {
                    continue;
                }
                let clause = clause_of(s);
                let index = r.clause_at(s);
                if clause.is_some_and(|c| c.cues.has(Cues::COUNTERFACTUAL)) {
                    continue;
                }
                // 「已经给您紧急复机了」: done for the customer, the best of offers, not a
                // past event told (「上次给您换过」 says no 已经).
                let done_for_you = |c: &ClauseSpan| {
                    let t = &text[c.start..c.end];
                    c.cues.0 & SCOPED == Cues::PAST
                        && t.contains("已经")
                        && ["给您", "帮您", "为您", "替您"]
                            .iter()
                            .any(|w| t.contains(w))
                };
                let unscoped = clause.is_some_and(|c| c.cues.0 & SCOPED == 0 || done_for_you(c));
                let in_clause = |acts: &[Act]| {
                    r.acts
                        .iter()
                        .any(|a| Some(a.clause) == index && acts.contains(&a.act))
                };
                // Named in a plain statement of what the agent's side does, which the
                // reading found nothing else in (not a topic 「关于退车：」, not a rule told).
                // In a line that offers something, the other remedies it lists count
                // too (「延误证明可以开，票款也给您退」).
                // Under a heading that announces the handling (「处理分三项：第一，退还
                // 860元；第二，按同一条款增加赔偿……」) each item is what the agent's side
                // does, its legal basis included.
                let announced = index.is_some_and(|c| r.announced(text, c));
                let plain = unscoped
                    && index.is_some_and(|c| {
                        (line_offers || announced || r.agent_acts(text, c))
                            && (announced || !r.states_rule(text, c))
                    })
                    && !r
                        .acts
                        .iter()
                        .any(|a| Some(a.clause) == index && a.act.polarity() == Polarity::Bad)
                    && !in_clause(&[Act::Refuse, Act::Restate, Act::Ask, Act::Consult])
                    // An explanation names a remedy to tell how things work, unless
                    // the line offers: then it tells how the offer works (「修好后您验
                    // 车满意再提车，修理期间提供同级别代步车」).
                    // Nor when the clause says when it is done (「这部扶梯马上停用」):
                    // an explanation tells how things work, not what happens now.
                    && (announced
                        || r.has(Act::Offer)
                        || clause.is_some_and(|c| c.cues.has(Cues::FUTURE) || done_for_you(c))
                        || !in_clause(&[Act::Explain]));
                // Named in a "refusal" that negates nothing: 「只能帮您退订」 limits
                // the offer to what it names.
                // A refusal read in a clause that only names the remedy (「退车换车，按三包
                // 规定得是……才行」) is the topic of the refusal that follows, not a limit.
                let limited = unscoped
                    && in_clause(&[Act::Refuse])
                    && clause.is_some_and(|c| {
                        text[c.start..c.end].contains(['\u{53EA}', '\u{4EC5}']) // 只 仅
                    });
                // The topic of a refusal that follows in the same sentence, before any
                // offer (「免费升舱要看座位和升舱券的规则，我这边不敢随口答应您」): declined,
                // not listed among what the line offers.
                let topic = !touches_offer(s, e)
                    && index.is_some_and(|c| {
                        let acts_in = |k: usize, act: Act| {
                            r.acts.iter().any(|a| a.clause == k && a.act == act)
                        };
                        (c + 1..r.sentence_of(text, c).end)
                            .take_while(|&k| !acts_in(k, Act::Offer))
                            .any(|k| acts_in(k, Act::Refuse))
                    });
                let told_back = index.is_some_and(|c| r.restated(text, c));
                // The customer's own wish named back to them (「您想退车我能理解」,
                // 「谁都想干脆换台新的」) is no offer, whatever rule matched its words,
                // unless the act model read an offer there.
                let wished = !touches_offer(s, e)
                    && clause.is_some_and(|c| names_the_demand(&text[c.start..s.max(c.start)]));
                let offered = !told_back
                    && !wished
                    && !topic
                    && (touches_offer(s, e)
                        || offers.iter().any(|&(a, b)| a < e && s < b)
                        || plain
                        || limited);
                let refused = (within(Act::Refuse, s, e) || topic) && !limited;
                // Across clauses, or inside a 《title》 of a law: no offer, unless the
                // clause it ends in offers (「新的适配器试一遍，……，给您免费换一个新的」).
                let crosses = clause_of(s).is_some_and(|c| e > c.end) && !touches_offer(s, e);
                let titled = text[..s].matches('《').count() > text[..s].matches('》').count();
                if refused && !offered {
                    push(&mut out.refused, i);
                } else if offered && !crosses && !titled {
                    if refused && negation_before(text, s) {
                        push(&mut out.refused, i);
                    } else {
                        if !out.offered.contains(&i) {
                            out.offered.push(i);
                            out.offer_words.push(
                                offer_span.unwrap_or_else(|| super::clause_around(text, s, e)),
                            );
                            out.named_in
                                .push(clause.map_or((s, e), |c| (c.start.min(s), c.end.max(e))));
                        }
                    }
                }
            }
        }
    }
}

/// Whether a question clause asks when it suits the customer (「您定哪天方便」,
/// 「什么时候有空」): arranging what comes next, not asking what happened, so the
/// customer does not retell the incident.
fn schedules(clause: &str) -> bool {
    const WHEN: [&str; 4] = ["哪天", "什么时候", "几点", "哪个时间"];
    const SUITS: [&str; 4] = ["方便", "有空", "合适", "您定"];
    WHEN.iter().any(|w| {
        clause.match_indices(w).any(|(at, _)| {
            let after: String = clause[at + w.len()..].chars().take(4).collect();
            SUITS.iter().any(|s| after.contains(s))
        })
    }) || clause.contains("您定哪")
        || clause.contains("您定个时间")
}

/// Who a vague promise sends the matter to.
const VAGUE_TARGETS: [&str; 5] = ["相关部门", "有关部门", "相关人员", "相关同事", "相关负责人"];

/// Words that name a rule's source: a line explaining what one of these says tells the
/// customer the policy, in whatever words (「规定是这样的：开通增值业务必须经过用户本人
/// 确认」), which the scenario's own policy patterns cannot all foresee.
const RULE_SOURCES: [&str; 13] = [
    "\u{89C4}\u{5B9A}",         // 规定
    "\u{6CD5}\u{5F8B}",         // 法律
    "\u{6CD5}\u{89C4}",         // 法规
    "\u{6CD5}\u{5B9A}",         // 法定
    "\u{4FDD}\u{62A4}\u{6CD5}", // 保护法
    "\u{6C11}\u{6CD5}",         // 民法
    "\u{6D88}\u{6CD5}",         // 消法
    "\u{6761}\u{4F8B}",         // 条例
    "\u{653F}\u{7B56}",         // 政策
    "\u{4E09}\u{5305}",         // 三包
    "\u{6761}\u{6B3E}",         // 条款
    "\u{5408}\u{540C}",         // 合同
    "\u{624B}\u{518C}",         // 手册
];

/// Whether a sentence of the line explains a rule to the customer: an explanation in a
/// sentence that names a rule's source, not asked, and with no refusal, argument or
/// other mistake in it (quoting the rules to refuse, 「按规定这个钱是不能退的」, is
/// 摆道理, not telling the customer their rights).
fn explains_a_rule(text: &str, r: &Reading) -> bool {
    r.acts.iter().any(|a| {
        if a.act != Act::Explain {
            return false;
        }
        let sentence = r.sentence_of(text, a.clause);
        let (from, to) = (
            r.clauses[sentence.start].start,
            r.clauses[sentence.end - 1].end,
        );
        let names_rule = RULE_SOURCES.iter().any(|w| text[from..to].contains(w));
        let spoilt = r.acts.iter().any(|b| {
            sentence.contains(&b.clause)
                && (matches!(b.act, Act::Refuse | Act::Argue) || b.act.polarity() == Polarity::Bad)
        });
        let asked = sentence
            .clone()
            .any(|c| r.clauses[c].cues.has(Cues::QUESTION));
        names_rule && !spoilt && !asked
    })
}

/// Whether the words at `s..e` are promised: inside an offer, or in a clause that
/// commits to a time or assures, and not negated, asked, reported, supposed, past,
/// told back or the content of a rule cited (「按电脑三包，同样的毛病修两次还不好，凭
/// 维修记录就能换新机」 tells the policy). The customer engine's over-promise and the
/// scorecard's promise ledger both ask this, so the card lists what the customer heard.
pub fn commits_to(text: &str, r: &Reading, offers: &[(usize, usize)], s: usize, e: usize) -> bool {
    let Some(ci) = r.clause_at(s) else {
        return false;
    };
    // An assurance vouches for what follows it in its sentence: in 「您放心，……，厂家
    // 肯定会召回的」 the recall is what the trainee vouches for.
    let sentence = r.sentence_of(text, ci);
    let commits = r.acts.iter().any(|a| {
        (a.act == Act::Offer && a.start < e && s < a.end)
            || (a.clause == ci && matches!(a.act, Act::Commit | Act::Assure))
            || (a.act == Act::Assure && sentence.contains(&a.clause) && a.clause < ci)
    }) || offers.iter().any(|&(a, b)| a < e && s < b);
    commits
        && r.clauses[ci].cues.0 & SCOPED == 0
        && !r.restated(text, ci)
        && !r.states_rule(text, ci)
        && !cites_a_rule(text, r, ci)
}

/// Whether clause `ci` continues a sentence opened by naming a rule (「按电脑三包，……」,
/// 「根据合同条款，……」), read as an explanation or not: what follows is the rule's
/// content.
fn cites_a_rule(text: &str, r: &Reading, ci: usize) -> bool {
    r.sentence_of(text, ci).any(|j| {
        j <= ci && {
            let c = r.clauses[j];
            let head = text[c.start..c.end].trim_start();
            [
                "\u{6309}",
                "\u{6839}\u{636E}",
                "\u{4F9D}\u{7167}",
                "\u{4F9D}\u{636E}",
            ] // 按 根据 依照 依据
            .iter()
            .any(|w| head.starts_with(w))
                && RULE_SOURCES.iter().any(|w| head.contains(w))
        }
    })
}

/// Cues under which naming a remedy offers nothing.
const SCOPED: u16 = Cues::NEGATED
    | Cues::QUESTION
    | Cues::REPORTED
    | Cues::HYPOTHETICAL
    | Cues::PAST
    | Cues::COUNTERFACTUAL;

/// Whether the clause at byte `pos` tells what should have been done and was not
/// (「本该马上给您调优先工位」): whatever it names, and however the act model read it,
/// nothing in it is offered.
pub fn counterfactual_at(r: &Reading, pos: usize) -> bool {
    r.clause_at(pos)
        .is_some_and(|i| r.clauses[i].cues.has(Cues::COUNTERFACTUAL))
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

/// Whether the words before a remedy in its clause make it the customer's demand, named
/// rather than offered: 「您想退车我能理解」, 「您要的全额退款」, 「谁都想干脆换台新的」.
fn names_the_demand(before: &str) -> bool {
    [
        "\u{60A8}\u{60F3}",
        "\u{60A8}\u{8981}",
        "\u{60A8}\u{5E0C}\u{671B}",
        "\u{60A8}\u{662F}\u{60F3}",
        "\u{4F60}\u{60F3}",
        "\u{4F60}\u{8981}",
        "\u{90FD}\u{60F3}",
        "\u{90FD}\u{5E0C}\u{671B}",
        "\u{60A8}\u{575A}\u{6301}",
        "\u{60A8}\u{975E}\u{8981}",
        "\u{60A8}\u{975E}\u{5F97}",
    ]
    .iter()
    .any(|w| before.contains(w)) // 您想 您要 您希望 您是想 你想 你要 都想 都希望 您坚持 您非要 您非得 (not 您非常)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::persona::Catalog;
    use crate::rubric::default_rubric;

    /// The scene of `sc`, built as the engine builds it.
    fn scene_of(sc: &crate::persona::Scenario) -> Scene {
        let facts: Vec<&[String]> = sc.facts.iter().map(|f| f.asked_by.as_slice()).collect();
        let remedies: Vec<&[String]> = (sc.remedies.iter())
            .map(|r| r.patterns.as_slice())
            .collect();
        let forbids: Vec<String> = (sc.policy.forbids.iter())
            .flat_map(|f| f.patterns.iter().cloned())
            .collect();
        Scene::new(
            &facts,
            &remedies,
            &sc.policy.terms,
            &forbids,
            &sc.policy.allows,
        )
    }

    /// A shipped scenario and its scene, and how the scene reads a line.
    fn shipped(persona: &str, scenario: &str) -> (crate::persona::Scenario, Scene) {
        let catalog = Catalog::load(None, default_rubric()).unwrap();
        let p = &catalog.find(persona).unwrap().persona;
        let sc = p
            .scenarios
            .iter()
            .find(|s| s.id == scenario)
            .unwrap()
            .clone();
        let scene = scene_of(&sc);
        (sc, scene)
    }

    fn read_in(scene: &Scene, line: &str) -> SceneReading {
        scene.read(line, &default_rubric().read(line).0, &[])
    }

    /// A sum the policy does not pay, offered, is heard, and the line states no policy
    /// right; the sum owed, or a sum only named, is no wrong offer.
    #[test]
    fn a_wrong_sum_offered_is_heard() {
        let (_, scene) = shipped("prepared", "swapped-mainboard");
        // 按规定，欺诈要增加赔偿服务费用的一倍，也就是再赔您860元。
        let r = read_in(
            &scene,
            "\u{6309}\u{89C4}\u{5B9A}\u{FF0C}\u{6B3A}\u{8BC8}\u{8981}\u{589E}\u{52A0}\u{8D54}\u{507F}\u{670D}\u{52A1}\u{8D39}\u{7528}\u{7684}\u{4E00}\u{500D}\u{FF0C}\u{4E5F}\u{5C31}\u{662F}\u{518D}\u{8D54}\u{60A8}860\u{5143}\u{3002}",
        );
        assert_eq!(r.wrong_amount, Some(860.0));
        assert!(!r.policy_stated);
        // 按消法第五十五条，另外赔偿您维修费的三倍，也就是2580元。
        let r = read_in(
            &scene,
            "\u{6309}\u{6D88}\u{6CD5}\u{7B2C}\u{4E94}\u{5341}\u{4E94}\u{6761}\u{FF0C}\u{53E6}\u{5916}\u{8D54}\u{507F}\u{60A8}\u{7EF4}\u{4FEE}\u{8D39}\u{7684}\u{4E09}\u{500D}\u{FF0C}\u{4E5F}\u{5C31}\u{662F}2580\u{5143}\u{3002}",
        );
        assert_eq!(r.wrong_amount, None);
        assert!(r.policy_stated);
        // 您交的860元维修费，我这边查到了。
        let named = "\u{60A8}\u{4EA4}\u{7684}860\u{5143}\u{7EF4}\u{4FEE}\u{8D39}\u{FF0C}\u{6211}\u{8FD9}\u{8FB9}\u{67E5}\u{5230}\u{4E86}\u{3002}";
        assert_eq!(read_in(&scene, named).wrong_amount, None);
    }

    /// The literal prefilter only skips patterns that cannot match: every shipped
    /// scenario reads every line of the shipped trainee scripts and the personas'
    /// self-checks exactly as with every pattern searched.
    #[test]
    fn the_prefilter_never_changes_a_reading() {
        let analyser = default_rubric();
        let catalog = Catalog::load(None, analyser).unwrap();
        let mut lines: Vec<String> = Vec::new();
        let scripts = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/scripts");
        for dir in std::fs::read_dir(scripts).unwrap() {
            for f in std::fs::read_dir(dir.unwrap().path()).unwrap() {
                let text = std::fs::read_to_string(f.unwrap().path()).unwrap();
                lines.extend(
                    (text.lines())
                        .filter(|l| !l.starts_with('#'))
                        .map(String::from),
                );
            }
        }
        for e in catalog.entries() {
            for c in &e.persona.checks {
                lines.extend(c.lines.iter().cloned());
            }
        }
        assert!(lines.len() > 200, "{} lines", lines.len());
        let (mut skipped, mut offered) = (0, 0);
        for e in catalog.entries() {
            for sc in &e.persona.scenarios {
                let scene = scene_of(sc);
                let mut every = scene.clone();
                every.prefilter.literals = None;
                every.prefilter.always = (0..every.prefilter.patterns).collect();
                for l in &lines {
                    let (r, _) = analyser.read(l);
                    let on = scene.prefilter.candidates(l);
                    skipped += on.0.iter().filter(|x| !**x).count();
                    let got = scene.read(l, &r, &[]);
                    offered += got.offered.len();
                    assert_eq!(
                        got,
                        every.read(l, &r, &[]),
                        "{}/{}: {l}",
                        e.persona.id,
                        sc.id
                    );
                }
            }
        }
        // The check is not vacuous: patterns were skipped, and remedies were offered.
        assert!(skipped > 0 && offered > 0, "{skipped} {offered}");
    }

    /// 「反馈给相关部门」 is the novice's brush-off, not the righteous customer's remedy
    /// (上报产品质量部门，书面回复), though the remedy's pattern matches its words.
    #[test]
    fn sending_it_to_the_relevant_department_offers_nothing() {
        let (_, scene) = shipped("righteous", "laptop-hinge");
        let read = |l: &str| read_in(&scene, l);
        assert!(
            read("我已经记录下来了，会尽快反馈给相关部门。")
                .offered
                .is_empty()
        );
        assert!(
            !read("我马上把转轴的问题上报给产品质量部门，三天内给您书面回复。")
                .offered
                .is_empty()
        );
    }

    #[test]
    fn a_remedy_named_as_the_topic_of_a_refusal_is_refused() {
        let (sc, scene) = shipped("stubborn", "engine-noise");
        let return_car = sc
            .remedies
            .iter()
            .position(|r| r.id == "return-car")
            .unwrap();
        let r = read_in(
            &scene,
            "退车换车，按汽车三包规定得是发动机、变速器这类大件出了质量问题才行，您这个不是发动机。",
        );
        assert!(!r.offered.contains(&return_car), "{r:?}");
    }

    /// A rule cited, then the agent's own offer in the same sentence: the offer is
    /// made, though the sentence opened with 按三包规定 (a tmux play: the customer
    /// turned the replacement down as not what the rule says). The rule alone offers
    /// nothing.
    #[test]
    fn an_offer_after_the_rule_it_follows_is_made() {
        let (sc, scene) = shipped("prepared", "gearbox-warranty");
        let replace = (sc.remedies.iter())
            .position(|r| r.id == "replace-gearbox")
            .unwrap();
        let r = read_in(
            &scene,
            "按三包规定，60天内变速器主要零件有质量问题可以免费换变速器总成，我们给您免费更换，明天上午配件到店就安排，修理期间给您提供备用车。",
        );
        assert!(r.offered.contains(&replace), "{r:?}");
        let r = read_in(
            &scene,
            "按三包规定，60天内变速器主要零件有质量问题可以免费换变速器总成，修理期间提供备用车。",
        );
        assert!(!r.offered.contains(&replace), "{r:?}");
    }

    /// Calibration set 6 (滥用正义感, car oil, an average session): a recall vouched
    /// for after 「您放心」 is promised, though the act model read that clause as an
    /// explanation; a recall only named, or asked about, is not.
    #[test]
    fn an_assurance_vouches_for_what_follows_it() {
        let (_, scene) = shipped("righteous", "car-oil");
        let r = read_in(
            &scene,
            "您放心，这么多人都碰上了，厂家肯定会召回的，到时候大家都能免费处理。",
        );
        assert!(r.over_promised, "{r:?}");
        for line in [
            "厂家会不会召回，要等评估结果，我这边不能打包票。",
            "您是说厂家肯定会召回的，对吗？",
        ] {
            assert!(!read_in(&scene, line).over_promised, "{line}");
        }
    }

    /// A tmux play (自我陶醉, lounge): the upgrade named before 「我这边不敢随口答应您」
    /// was counted among the offers, and the customer heard a list of remedies.
    #[test]
    fn a_remedy_named_before_a_refusal_is_declined() {
        let (sc, scene) = shipped("self-absorbed", "lounge-refused");
        let id = |x: &str| sc.remedies.iter().position(|r| r.id == x).unwrap();
        let r = read_in(
            &scene,
            "免费升舱要看座位和升舱券的规则，我这边不敢随口答应您。我先按服务补偿标准给您补偿里程，同时把这事报给地服主管调查，三个工作日内给您书面回复。",
        );
        assert!(r.refused.contains(&id("free-upgrade")), "{r:?}");
        assert!(!r.offered.contains(&id("free-upgrade")), "{r:?}");
        assert!(!r.offered.contains(&id("own-voucher")), "{r:?}");
        assert!(r.offered.contains(&id("miles-and-record")), "{r:?}");
    }

    #[test]
    fn asking_when_it_suits_the_customer_asks_no_fact() {
        for l in [
            "您定哪天方便，我们上门取车。",
            "您看什么时候有空，我们派人过去？",
        ] {
            assert!(schedules(l), "{l}");
        }
        for l in [
            "您方便说一下是哪天送的车吗？",
            "车是哪天送来的？",
            "您几点到的店？",
        ] {
            assert!(!schedules(l), "{l}");
        }
    }
}

//! The promise ledger: every commitment the trainee made — a deadline, a remedy, an
//! amount, a 保证/一定 — checked against what the scenario's policy allows. A promise
//! the policy says cannot be kept is 言行不一.

use regex::Regex;
use serde::Serialize;

use super::rules::Line;
use crate::persona::Scenario;
use crate::reading::money::PolicyMoney;

/// One commitment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Promise {
    pub turn: u32,
    /// 时限, 方案 or 保证.
    pub kind: &'static str,
    pub quote: String,
    /// Whether it can be kept as said: false beyond the policy, for a sum the policy
    /// does not pay, and when a later turn takes it back (each deducted under the
    /// broken-promise rule on the card).
    pub keepable: bool,
    /// `kept` (within the policy), `beyond_policy`, `wrong_amount` (a sum the policy
    /// does not pay, more or less), `contradicted` (a later turn shrank it) or `vague`
    /// (a 时限 with no time in it: no deadline at all).
    pub status: &'static str,
    /// The money it names, in yuan, when it names some.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<f64>,
    /// Why not, when it cannot be kept; what is missing, when vague.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub why: String,
}

impl Promise {
    fn new(turn: u32, kind: &'static str, quote: String) -> Self {
        Self {
            turn,
            kind,
            quote,
            keepable: true,
            status: "kept",
            amount: None,
            why: String::new(),
        }
    }

    fn broken(&mut self, status: &'static str, why: String) {
        self.keepable = false;
        self.status = status;
        self.why = why;
    }

    /// What to do instead when it cannot be kept: the card's better phrasing and the
    /// coach's tip.
    pub fn better(&self) -> &'static str {
        match self.status {
            "wrong_amount" => {
                "把政策写明的数额说准（退多少、赔多少、合计多少）；拿不准就说「准确数额我核实后马上告诉您」，别报一个错的数"
            }
            _ => super::BROKEN_PROMISE.1,
        }
    }

    /// What the card calls its state.
    pub fn label(&self) -> &'static str {
        match self.status {
            "beyond_policy" => "言行不一",
            "contradicted" => "前后不一",
            "wrong_amount" => "数额不对",
            "vague" => "含糊",
            _ => "能兑现",
        }
    }
}

/// Words that turn an assurance into a guarantee.
const GUARANTEE: [&str; 4] = ["保证", "一定", "绝对", "肯定"];

/// The promises of every line.
/// A forbidden commitment's patterns as one regex, compiled once per process: an
/// assessment scores thousands of sessions of the same few scenarios, and compiling
/// these on every scorecard was a third of its time.
fn compiled(patterns: &[String]) -> Option<std::sync::Arc<Regex>> {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock};
    /// Patterns → their regex (`None` if they do not compile).
    type Cache = Mutex<HashMap<Vec<String>, Option<Arc<Regex>>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(hit) = cache.lock().ok()?.get(patterns) {
        return hit.clone();
    }
    // Persona validation compiles the same patterns with the same function, so a
    // loaded persona's never fail here.
    let re = crate::pattern::compile_any(patterns).ok().map(Arc::new);
    cache.lock().ok()?.insert(patterns.to_vec(), re.clone());
    re
}

/// Without a scenario (a real chat log) promises are listed but not checked.
pub(crate) fn promises(
    lines: &[Line<'_>],
    scenario: Option<&Scenario>,
    analyser: &crate::rubric::Analyser,
) -> Vec<Promise> {
    let forbids: Vec<(std::sync::Arc<Regex>, &str)> = scenario
        .map(|s| s.policy.forbids.as_slice())
        .unwrap_or_default()
        .iter()
        .filter_map(|f| compiled(&f.patterns).map(|r| (r, f.why.as_str())))
        .collect();
    let mut out = Vec::new();
    for line in lines {
        let (turn, text) = (&line.turn, line.text);
        let start = out.len();
        for h in &line.hits {
            let quote = &text[h.start..h.end];
            let label = match h.kind {
                "time_commitment" => "时限",
                "remedy" => "方案",
                "assure" if GUARANTEE.iter().any(|g| quote.contains(g)) => "保证",
                _ => continue,
            };
            out.push(Promise::new(*turn, label, quote.to_string()));
        }
        // The line's reading, for the lines that name something the policy forbids:
        // only a commitment is a promise, as the customer heard it
        // ([`crate::reading::scene::commits_to`]).
        let mut read = None;
        for (re, why) in &forbids {
            for m in re.find_iter(text) {
                let (r, offers) = read.get_or_insert_with(|| {
                    // An offer by its words; a deadline or an assurance a rule found by
                    // its whole clause (「今天我再给您发一份盖章的书面承诺书」: the
                    // deadline commits the clause, the written promise with it).
                    let offers: Vec<(usize, usize)> = (line.hits.iter())
                        .filter_map(|h| match h.kind {
                            "remedy" => Some((h.start, h.end)),
                            "time_commitment" | "assure" => {
                                Some(crate::reading::clause_around(text, h.start, h.end))
                            }
                            _ => None,
                        })
                        .collect();
                    (analyser.reader().read(text), offers)
                });
                if !crate::reading::scene::commits_to(text, r, offers, m.start(), m.end()) {
                    continue;
                }
                // The promise this forbidden commitment belongs to is the one in the
                // same clause. Words the policy forbids in a clause that promises
                // nothing are a mention, not a promise (「退车？开了六千多公里还想退」,
                // 「换什么主板」): the customer engine does not weigh them as an offer
                // either, so the ledger does not list them.
                let clause = crate::reading::clause_around(text, m.start(), m.end());
                let mut listed = false;
                for p in out[start..].iter_mut() {
                    let Some(i) = text.find(p.quote.as_str()) else {
                        continue;
                    };
                    if !(i < clause.1 && clause.0 < i + p.quote.len()) {
                        continue;
                    }
                    // Quote the promise with the words that break it: 「退还费用并赔偿
                    // 十倍」, not 「退还费用」 beside a reason about 十倍.
                    let (from, to) = (i.min(m.start()), (i + p.quote.len()).max(m.end()));
                    p.quote = text[from..to].to_string();
                    p.broken("beyond_policy", why.to_string());
                    listed = true;
                }
                // A commitment no listed promise covers (vouched for by an assurance,
                // in its clause or earlier in its sentence: 「您放心，……，厂家肯定会召回
                // 的」) is a promise of its own, quoted by its clause.
                if !listed {
                    let mut p = Promise::new(*turn, "保证", text[clause.0..clause.1].to_string());
                    p.broken("beyond_policy", why.to_string());
                    out.push(p);
                }
            }
        }
        // One broken promise, one entry: 「我保证给您十倍赔偿」 read as an assurance and
        // as a remedy is listed once, by its tighter quote.
        let mine = out.split_off(start);
        for (k, p) in mine.iter().enumerate() {
            let wider = !p.keepable
                && mine.iter().enumerate().any(|(j, q)| {
                    j != k
                        && !q.keepable
                        && p.quote.contains(q.quote.as_str())
                        && (p.quote != q.quote || j < k)
                });
            if wider {
                continue;
            }
            // Listed by the clause it stands in: 「再送您一次精洗和会员积分」, not the
            // two characters 「送您」 a rule matched, which tell an assessor nothing.
            // Which entry a broken promise keeps was decided above, on the words
            // that matched.
            let mut p = p.clone();
            if let Some(i) = text.find(p.quote.as_str()) {
                let (from, to) = crate::reading::clause_around(text, i, i + p.quote.len());
                p.quote = crate::reading::quote_span(text, from, to);
            }
            if !(out[start..].iter()).any(|q: &Promise| q.kind == p.kind && q.quote == p.quote) {
                out.push(p);
            }
        }
    }
    weigh(&mut out, lines, scenario);
    out
}

/// What the slots of each promise's clause say: an amount beyond what the policy's
/// allowances add up to, a sum the policy does not pay (`reading::money`, the judgment
/// the customer hears it by), a later turn that shrinks an earlier offer
/// (「刚说退全款，现在又说只退三个月」), a 时限 with no time in it.
fn weigh(out: &mut [Promise], lines: &[Line<'_>], scenario: Option<&Scenario>) {
    let money = scenario.map_or_else(PolicyMoney::default, |s| PolicyMoney::new(&s.policy.allows));
    // Earlier offers: (turn, quote, amount, whole — 全额/全部/全款).
    let mut offered: Vec<(u32, String, Option<f64>, bool)> = Vec::new();
    for p in out.iter_mut() {
        let Some(line) = lines.iter().find(|l| l.turn == p.turn) else {
            continue;
        };
        let Some(i) = line.text.find(p.quote.as_str()) else {
            continue;
        };
        let (from, to) = crate::reading::clause_around(line.text, i, i + p.quote.len());
        let clause = &line.text[from..to];
        let slots = crate::reading::slots_of(clause);
        match p.kind {
            "方案" => {
                p.amount = slots.amount;
                let whole = ["全额", "全部", "全款", "都退", "全退"]
                    .iter()
                    .any(|w| clause.contains(w));
                if !p.keepable {
                    // Beyond the policy, but said: taking it back later is still
                    // 前后不一 to the customer who heard it.
                    offered.push((p.turn, clause.trim().to_string(), slots.amount, whole));
                    continue;
                }
                if let (Some(max), Some(a)) = (money.ceiling(), slots.amount)
                    && a > max + 0.005
                {
                    p.broken(
                        "beyond_policy",
                        format!("这个场景政策允许的退赔合计最多 {max} 元，这里说了 {a} 元"),
                    );
                    continue;
                }
                if let Some(a) = money.wrong_in(clause) {
                    p.broken("wrong_amount", money.wrong(a));
                    offered.push((p.turn, clause.trim().to_string(), slots.amount, whole));
                    continue;
                }
                let only = [
                    "只退",
                    "只赔",
                    "只给",
                    "只补",
                    "只能退",
                    "只能赔",
                    "只能给",
                    "最多退",
                    "最多赔",
                ]
                .iter()
                .any(|w| clause.contains(w));
                let shrunk = offered.iter().find(|(t, _, amount, whole)| {
                    *t < p.turn
                        && only
                        && (*whole
                            || matches!((amount, slots.amount), (Some(a), Some(b)) if b < *a))
                });
                if let Some((t, q, _, _)) = shrunk {
                    p.broken(
                        "contradicted",
                        format!("第 {t} 轮说的是「{q}」，这一轮又缩回去了；客户记得前面的话"),
                    );
                    continue;
                }
                offered.push((p.turn, clause.trim().to_string(), slots.amount, whole));
            }
            "时限" if p.keepable && slots.time.is_none() && !now(clause) => {
                p.status = "vague";
                p.why = "没有说具体什么时候（如「今天下午五点前」），客户没法据此等".into();
            }
            _ => {}
        }
    }
}

/// Whether a clause promises to act at once (「马上」「当场」): a time, though no clock
/// time is named.
fn now(clause: &str) -> bool {
    [
        "马上", "立刻", "立即", "现在", "当场", "这就", "当下", "眼下",
    ]
    .iter()
    .any(|w| clause.contains(w))
}

//! The promise ledger: every commitment the trainee made — a deadline, a remedy, an
//! amount, a 保证/一定 — checked against what the scenario's policy allows. A promise
//! the policy says cannot be kept is 言行不一.

use regex::Regex;
use serde::Serialize;

use super::rules::Line;
use crate::persona::Scenario;

/// One commitment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Promise {
    pub turn: u32,
    /// 时限, 方案 or 保证.
    pub kind: &'static str,
    pub quote: String,
    /// Whether the scenario's policy allows it.
    pub keepable: bool,
    /// Why not, when it cannot be kept.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub why: String,
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
pub(crate) fn promises(lines: &[Line<'_>], scenario: Option<&Scenario>) -> Vec<Promise> {
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
            out.push(Promise {
                turn: *turn,
                kind: label,
                quote: quote.to_string(),
                keepable: true,
                why: String::new(),
            });
        }
        for (re, why) in &forbids {
            for m in re.find_iter(text) {
                // The promise this forbidden commitment belongs to is the one in the
                // same clause; if the rubric saw none, the commitment is its own entry.
                let clause = crate::reading::clause_around(text, m.start(), m.end());
                let mut owned = false;
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
                    p.keepable = false;
                    p.why = why.to_string();
                    owned = true;
                }
                if !owned {
                    out.push(Promise {
                        turn: *turn,
                        kind: "方案",
                        quote: m.as_str().to_string(),
                        keepable: false,
                        why: why.to_string(),
                    });
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
            if !wider {
                out.push(p.clone());
            }
        }
    }
    out
}

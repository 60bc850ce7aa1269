//! Evidence: why a line read as it did, for a trainer to see — the words of the clause
//! that weighed most for the act, and the nearest example line that carries it.
//! Computed on request only (analyze, `rubric try`, self-checks), never on the hot path.

use std::collections::HashMap;

use serde::Serialize;

use super::model::Model;
use super::normalise::normalise;
use super::train::Example;
use super::{ActHit, clause, features};

/// Why one act was read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// The n-grams of the act's clause with the largest weight for it, best first.
    pub words: Vec<String>,
    /// The nearest example line with this act: file, line, text, similarity 0–1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub example: Option<NearestExample>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NearestExample {
    pub file: String,
    pub line: usize,
    pub text: String,
    pub similarity: f32,
}

/// Character bigrams of each example, and an inverted index over them.
pub(super) struct Index {
    grams: Vec<Vec<u64>>,
    postings: HashMap<u64, Vec<u32>>,
}

fn bigrams(text: &str) -> Vec<u64> {
    let n = normalise(text);
    let cs: Vec<char> = n
        .chars
        .iter()
        .map(|c| c.c)
        .filter(|c| c.is_alphanumeric())
        .collect();
    let mut g: Vec<u64> = cs
        .windows(2)
        .map(|w| (u64::from(w[0] as u32) << 32) | u64::from(w[1] as u32))
        .chain(cs.iter().map(|&c| u64::from(c as u32)))
        .collect();
    g.sort_unstable();
    g.dedup();
    g
}

impl Index {
    pub(super) fn build(examples: &[Example]) -> Index {
        let grams: Vec<Vec<u64>> = examples.iter().map(|e| bigrams(&e.text)).collect();
        let mut postings: HashMap<u64, Vec<u32>> = HashMap::new();
        for (i, g) in grams.iter().enumerate() {
            for k in g {
                postings.entry(*k).or_default().push(i as u32);
            }
        }
        Index { grams, postings }
    }
}

/// Decode an n-gram feature key into its characters (cues and markers as words).
fn key_text(key: u64) -> Option<String> {
    let n = key >> 60;
    if n == 0 || n > 3 {
        return None;
    }
    let chars = [
        (key >> 40) & 0xF_FFFF,
        (key >> 20) & 0xF_FFFF,
        key & 0xF_FFFF,
    ];
    let s: String = chars[(3 - n as usize)..]
        .iter()
        .filter_map(|&c| char::from_u32(c as u32))
        .filter(|c| !c.is_control())
        .collect();
    (!s.is_empty()).then_some(s)
}

pub(super) fn explain(
    model: &Model,
    index: &Index,
    examples: &[Example],
    text: &str,
    hit: &ActHit,
) -> Explanation {
    let a = super::Act::ALL
        .iter()
        .position(|x| *x == hit.act)
        .unwrap_or(0);
    let clause_text = text.get(hit.start..hit.end).unwrap_or(text);
    let n = normalise(clause_text);
    let cls = clause::split(&n);
    let (mut feats, mut buf) = (Vec::new(), Vec::new());
    features::extract(&n, &cls, &mut feats, &mut buf);
    let mut weighed: Vec<(f32, String)> = feats
        .iter()
        .filter_map(|(k, _)| Some((model.weight(*k, a)?, key_text(*k)?)))
        .filter(|(w, _)| *w > 0.0)
        .collect();
    weighed.sort_by(|x, y| y.0.total_cmp(&x.0));
    let mut words: Vec<String> = Vec::new();
    for (_, w) in weighed {
        // Skip a word inside one already listed.
        if !words.iter().any(|x| x.contains(&w)) {
            words.push(w);
        }
        if words.len() == 3 {
            break;
        }
    }
    let label = hit.act.id();
    let sub = hit.forbidden.map(|f| format!("forbidden:{f}"));
    let wanted = |e: &Example| match &sub {
        Some(s) => e.labels.iter().any(|l| l == s),
        None => e.labels.iter().any(|l| l == label),
    };
    let g = bigrams(clause_text);
    let mut overlap: HashMap<u32, u32> = HashMap::new();
    for k in &g {
        if let Some(p) = index.postings.get(k) {
            for &i in p {
                *overlap.entry(i).or_default() += 1;
            }
        }
    }
    let example = overlap
        .into_iter()
        .filter(|(i, _)| wanted(&examples[*i as usize]))
        .map(|(i, common)| {
            let union = g.len() + index.grams[i as usize].len() - common as usize;
            (common as f32 / union.max(1) as f32, i)
        })
        .max_by(|x, y| x.0.total_cmp(&y.0).then(y.1.cmp(&x.1)))
        .map(|(sim, i)| {
            let e = &examples[i as usize];
            NearestExample {
                file: e.file.clone(),
                line: e.line,
                text: e.text.clone(),
                similarity: (sim * 100.0).round() / 100.0,
            }
        });
    Explanation { words, example }
}

//! The nearest-example layer: a house rubric's `[[examples]]` sentences, matched by
//! character-bigram similarity against the clauses of a line.
//!
//! Why not retrain the act model at load: a house 禁语 must come back with its own id,
//! better phrasing and source, and the model's outputs are the deck's fixed list of
//! 禁语; retraining also costs seconds per load (measured in the commit that added this
//! file), where this layer costs nothing to build and, with a few dozen example
//! sentences, a few microseconds a line. The built-in model still reads every line;
//! this layer adds what a trainer taught, with the example as the evidence.
//!
//! It performs no I/O and owns no rules: it is built from the rubric's rules that
//! carry examples and reports hits under those rules' indices.

use crate::reading::Reading;
use crate::reading::normalise;

/// How similar a stretch of the line must be to an example to count: the larger of
/// the Dice coefficient of their bigrams and the share of the example's bigrams found
/// in the stretch. 0.6 reads 「这费用您自己去营业厅查吧」 as the example
/// 「这个费用您自己去营业厅查」, and 「我帮您查一下这个费用」 (0.3) as nothing like it.
pub const THRESHOLD: f32 = 0.6;

/// A stretch this close to a house example (nearly the same words) is read only as the
/// example's act: the built-in model's other readings of those clauses are dropped. A
/// looser match (down to [`THRESHOLD`]) adds the act beside them.
pub const DECISIVE: f32 = 0.8;

/// The share-of-example measure counts only for examples this long (in bigrams): a
/// four-character example is found inside too many unrelated clauses.
const MIN_COVER_BIGRAMS: usize = 5;

/// The most consecutive clauses one example is compared with.
const MAX_WINDOW: usize = 3;

/// One example sentence, ready to compare.
#[derive(Debug, Clone)]
struct Item {
    rule: usize,
    text: String,
    grams: Vec<u64>,
}

/// Every example sentence of a rubric.
#[derive(Debug, Clone, Default)]
pub struct ExampleIndex {
    items: Vec<Item>,
}

/// A stretch of a line that reads as one of the examples.
#[derive(Debug, Clone, PartialEq)]
pub struct ExampleHit {
    /// Index into the rubric's rules.
    pub rule: usize,
    /// Byte offsets into the line as typed (whole clauses).
    pub start: usize,
    pub end: usize,
    /// The example sentence that decided it.
    pub example: String,
    pub similarity: f32,
}

/// Sorted character bigrams of the letters and digits of `text`, folded as the reading
/// folds it (widths, traditional characters), punctuation and spaces left out.
fn bigrams(text: &str) -> Vec<u64> {
    let n = normalise::normalise(text);
    let chars: Vec<char> = n
        .chars
        .iter()
        .map(|c| c.c)
        .filter(|c| c.is_alphanumeric())
        .collect();
    let mut g: Vec<u64> = chars
        .windows(2)
        .map(|w| (u64::from(w[0]) << 21) | u64::from(w[1]))
        .collect();
    g.sort_unstable();
    g
}

/// How many bigrams two sorted multisets share.
fn common(a: &[u64], b: &[u64]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

/// The similarity of a stretch to an example (see [`THRESHOLD`]).
fn similarity(stretch: &[u64], example: &[u64]) -> f32 {
    if stretch.is_empty() || example.is_empty() {
        return 0.0;
    }
    let c = common(stretch, example) as f32;
    let dice = 2.0 * c / (stretch.len() + example.len()) as f32;
    let cover = if example.len() >= MIN_COVER_BIGRAMS {
        c / example.len() as f32
    } else {
        0.0
    };
    dice.max(cover)
}

impl ExampleIndex {
    /// The examples of `rules` (each rule's `examples`).
    pub fn new(rules: &[super::Rule]) -> Self {
        let items = rules
            .iter()
            .enumerate()
            .flat_map(|(i, r)| {
                r.examples.iter().map(move |t| Item {
                    rule: i,
                    text: t.clone(),
                    grams: bigrams(t),
                })
            })
            .filter(|it| !it.grams.is_empty())
            .collect();
        Self { items }
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The stretches of `text` (one to three whole clauses of `reading`) that read as an
    /// example, best first and not overlapping one another within one rule.
    pub fn hits(&self, text: &str, reading: &Reading) -> Vec<ExampleHit> {
        if self.items.is_empty() || reading.clauses.is_empty() {
            return Vec::new();
        }
        let cl = &reading.clauses;
        let mut found: Vec<ExampleHit> = Vec::new();
        for from in 0..cl.len() {
            for to in from..cl.len().min(from + MAX_WINDOW) {
                let (start, end) = (cl[from].start, cl[to].end);
                let Some(stretch) = text.get(start..end) else {
                    continue;
                };
                let grams = bigrams(stretch);
                for it in &self.items {
                    let s = similarity(&grams, &it.grams);
                    if s >= THRESHOLD {
                        found.push(ExampleHit {
                            rule: it.rule,
                            start,
                            end,
                            example: it.text.clone(),
                            similarity: s,
                        });
                    }
                }
            }
        }
        // Best first; a shorter stretch wins a tie, so the hit names the clause.
        found.sort_by(|a, b| {
            b.similarity
                .total_cmp(&a.similarity)
                .then((a.end - a.start).cmp(&(b.end - b.start)))
        });
        let mut out: Vec<ExampleHit> = Vec::new();
        for h in found {
            if !out
                .iter()
                .any(|o| o.rule == h.rule && o.start < h.end && h.start < o.end)
            {
                out.push(h);
            }
        }
        out.sort_by_key(|h| h.start);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_paraphrase_is_near_and_an_unrelated_line_is_not() {
        let ex = bigrams("这个费用您自己去营业厅查");
        assert!(similarity(&bigrams("这费用您自己去营业厅查吧"), &ex) >= THRESHOLD);
        assert!(similarity(&bigrams("我帮您查一下这个费用"), &ex) < THRESHOLD);
        assert_eq!(similarity(&bigrams(""), &ex), 0.0);
    }
}

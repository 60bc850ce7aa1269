//! The analyser's pre-filter: one Aho-Corasick pass over the utterance finds which
//! signal kinds can possibly match, so that only their regexes run.
//!
//! Every search of a kind's regex costs a fixed ~150 ns even when nothing matches, and
//! a rubric has about twenty kinds, while a typical utterance hits two to five. For each
//! pattern we extract literals of which every match must contain one (from the
//! pattern's syntax tree); a kind is a candidate when one of its literals occurs. A
//! pattern with no such literals makes its kind a candidate always, so the filter can
//! only skip work, never change a result.
//!
//! [`start_prefilter`] serves a kind's regex itself: where a match can start.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickKind};
use regex_automata::MatchKind;
use regex_automata::util::prefilter::Prefilter as StartPrefilter;
use regex_syntax::hir::literal::{ExtractKind, Extractor, Seq};
use regex_syntax::hir::{Hir, HirKind};

/// Kinds beyond this many are always searched (the candidate set is a `u128`).
const MAX_FILTERED_KINDS: usize = 128;

pub(super) struct Prefilter {
    ac: Option<AhoCorasick>,
    /// Literal id → kinds that need it.
    masks: Vec<u128>,
    /// Kinds searched whatever the text holds.
    always: u128,
}

/// Collects the literals of each pattern as the rubric is compiled.
#[derive(Default)]
pub(super) struct PrefilterBuilder {
    by_literal: HashMap<Vec<u8>, u128>,
    always: u128,
}

impl PrefilterBuilder {
    /// Add one pattern of kind `kind`, by its syntax tree.
    pub(super) fn add(&mut self, kind: usize, hir: &Hir) {
        if kind >= MAX_FILTERED_KINDS {
            return; // searched unconditionally, see `Prefilter::is_candidate`
        }
        let bit = 1u128 << kind;
        match required_literals(hir) {
            Some(lits) => {
                for l in lits {
                    *self.by_literal.entry(l).or_insert(0) |= bit;
                }
            }
            None => self.always |= bit,
        }
    }

    pub(super) fn build(self) -> Prefilter {
        let (lits, masks): (Vec<Vec<u8>>, Vec<u128>) = self.by_literal.into_iter().unzip();
        // A contiguous NFA: a DFA scans a little faster but for some 3,000 literals
        // costs about 8 MB, most of a session's memory.
        let ac = if lits.is_empty() {
            None
        } else {
            AhoCorasick::builder()
                .kind(Some(AhoCorasickKind::ContiguousNFA))
                .build(&lits)
                .ok()
        };
        let always = if ac.is_none() { u128::MAX } else { self.always };
        Prefilter { ac, masks, always }
    }
}

impl Prefilter {
    /// Kinds (by index) whose regex may match `text`; kinds ≥ 128 are always included.
    pub(super) fn candidates(&self, text: &str) -> u128 {
        let mut set = self.always;
        if let Some(ac) = &self.ac {
            for m in ac.find_overlapping_iter(text) {
                set |= self.masks[m.pattern().as_usize()];
            }
        }
        set
    }

    pub(super) fn is_candidate(set: u128, kind: usize) -> bool {
        kind >= MAX_FILTERED_KINDS || set & (1u128 << kind) != 0
    }
}

/// A prefilter for a multi-pattern regex without a lazy DFA: every match of any of
/// `hirs` begins with one of its literals, so the NFA engines, which otherwise try
/// every byte position in turn, start only where one occurs. `None` if some pattern
/// can begin with too many different strings (such as `[^不]`).
///
/// The regex engine extracts such prefixes itself, but with limits meant for a lazy
/// DFA beside it: a class of more than ten characters (a rubric's punctuation, its
/// Chinese numerals) or more than 64 literals in all give up. Here the prefixes are
/// cut to their first character when there are at most 16 of them (a small SIMD
/// search), and to their first byte otherwise: a kind's patterns may begin with a
/// few hundred characters, and a search for those costs up to hundreds of kilobytes
/// (measured: half a megabyte more at a session's peak for all kinds), while first
/// bytes still skip the two continuation bytes of every Chinese character.
pub(super) fn start_prefilter(hirs: &[Hir]) -> Option<StartPrefilter> {
    const MAX_CHARS: usize = 16;
    let mut all = Seq::empty();
    for h in hirs {
        let mut seq = Extractor::new()
            .kind(ExtractKind::Prefix)
            .limit_class(64)
            .limit_literal_len(3)
            .limit_total(1024)
            .extract(h);
        if !seq.is_finite() {
            return None;
        }
        seq.keep_first_bytes(3);
        seq.dedup();
        all.union(&mut seq);
    }
    all.dedup();
    if all.len()? > MAX_CHARS {
        all.keep_first_bytes(1);
        all.dedup();
    }
    let lits = all.literals()?;
    if lits.iter().any(|l| l.is_empty()) {
        return None; // a match could start anywhere
    }
    StartPrefilter::new(MatchKind::LeftmostFirst, lits)
}

/// Literals of which every match of `h` contains at least one, or `None` if there is no
/// such finite set of non-empty literals.
fn required_literals(h: &Hir) -> Option<Vec<Vec<u8>>> {
    match h.kind() {
        HirKind::Capture(c) => required_literals(&c.sub),
        HirKind::Repetition(r) if r.min >= 1 => required_literals(&r.sub),
        HirKind::Alternation(alts) => {
            let mut all = Vec::new();
            for a in alts {
                all.extend(required_literals(a)?);
            }
            Some(all)
        }
        HirKind::Concat(parts) => {
            // Any match contains a match of every part: pick the most selective part,
            // or the prefixes of the whole concatenation if those are better.
            let mut best = prefix_literals(h);
            for p in parts {
                if let Some(l) = required_literals(p)
                    && best.as_ref().is_none_or(|b| score(&l) > score(b))
                {
                    best = Some(l);
                }
            }
            best
        }
        _ => prefix_literals(h),
    }
}

/// Prefer sets whose literals are each at least two CJK characters (6 bytes) long — one
/// character such as 您 occurs in nearly every utterance and filters nothing —, then
/// sets of at least one character, then fewer literals (alternations multiply, and the
/// automaton's size is the scan's cost), then longer ones.
fn score(lits: &[Vec<u8>]) -> (u8, std::cmp::Reverse<usize>, usize) {
    let shortest = lits.iter().map(Vec::len).min().unwrap_or(0);
    let class = match shortest {
        6.. => 2,
        3..=5 => 1,
        _ => 0,
    };
    (class, std::cmp::Reverse(lits.len()), shortest)
}

fn prefix_literals(h: &Hir) -> Option<Vec<Vec<u8>>> {
    // Small limits: a pattern whose prefixes multiply into hundreds of literals is
    // better represented by one of its parts.
    let seq = Extractor::new()
        .kind(ExtractKind::Prefix)
        .limit_class(16)
        .limit_total(64)
        .extract(h);
    let lits = seq.literals()?;
    if lits.is_empty() || lits.iter().any(|l| l.as_bytes().is_empty()) {
        return None;
    }
    Some(lits.iter().map(|l| l.as_bytes().to_vec()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lits(p: &str) -> Option<Vec<String>> {
        let h = regex_syntax::Parser::new().parse(p).unwrap();
        required_literals(&h).map(|v| {
            let mut v: Vec<String> = v
                .into_iter()
                .map(|b| String::from_utf8(b).unwrap())
                .collect();
            v.sort();
            v
        })
    }

    #[test]
    fn picks_a_required_literal_inside_a_concatenation() {
        assert_eq!(lits("(?:^|[,。])您好").unwrap(), ["您好"]);
        assert_eq!(
            lits("[一二三四五六七八九十两]+个?工作日").unwrap(),
            ["工作日"]
        );
        assert_eq!(lits("谢谢|感谢").unwrap(), ["感谢", "谢谢"]);
    }

    #[test]
    fn no_literal_means_always_searched() {
        assert_eq!(lits("[一-龥]+"), None);
        assert_eq!(lits(".{2,}"), None);
    }

    #[test]
    fn candidates_include_kinds_whose_literal_occurs() {
        let mut b = PrefilterBuilder::default();
        for (k, p) in [(0, "您好"), (1, "理解.{0,4}心情"), (2, "[a-z]{3,}")] {
            b.add(k, &regex_syntax::Parser::new().parse(p).unwrap());
        }
        let p = b.build();
        let c = p.candidates("您好,很理解");
        assert!(Prefilter::is_candidate(c, 0));
        assert!(!Prefilter::is_candidate(c, 1) || c & 2 != 0);
        assert!(
            Prefilter::is_candidate(c, 2),
            "a kind with no literal is always searched"
        );
        let c = p.candidates("再见");
        assert!(!Prefilter::is_candidate(c, 0));
    }
}

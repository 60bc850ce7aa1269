//! The analyser's literal scan: one pass over an utterance that finds every position
//! where a match of some group of patterns (a signal kind, or one rule's exceptions)
//! may begin, so that each group's automaton runs anchored at those positions only.
//!
//! Nearly every rubric pattern holds a literal near its start: `(?:^|[,。])您好` begins
//! with 您好 or with a punctuation mark and 您; `(?:^|[^不])是我们` holds 是我们 at most
//! one character in. For each pattern we pick such an *anchor*: a set of literals of
//! which every match holds one, at most `offset` bytes after the match's start. Where
//! an anchor literal occurs, a match can only begin within `offset` bytes before it.
//! A pattern with no bounded anchor (one that begins with `.*`, say) makes its group a
//! candidate at every character; that costs time, never a result.
//!
//! Anchors near the start are often common words (我们, 您的). So each pattern also
//! names *required* literals, of which every match holds one somewhere (我们做得不到位
//! needs 做得不): a start is tried only if one occurs at or after it.
//!
//! Literals are up to three characters long, in a trie whose first level is a table of
//! CJK characters: one lookup per character of the text. Aho-Corasick would find the
//! same occurrences, but its overlapping search costs several times as much per byte on
//! these short Chinese lines (measured: ~1,800 instructions a line).
//!
//! [`literals`] extracts each pattern's anchor and required literals; this module
//! builds the index over them (the trie and the pair filter) and scans a line.

use std::collections::HashMap;

use foldhash::fast::FixedState;
use regex_syntax::hir::Hir;

use literals::{MAX_LITERAL_CHARS, anchors, required_literals};

mod literals;

/// Literals of which every match of `h` holds one somewhere, or `None` if there is no
/// such set: a caller may skip a pattern on a line that holds none of them (the
/// scenario's patterns in `reading::scene` are filtered so).
pub(crate) fn required_of(h: &Hir) -> Option<Vec<String>> {
    required_literals(h).filter(|l| !l.is_empty() && l.iter().all(|x| !x.is_empty()))
}

/// Where a pattern's match may begin, relative to an occurrence of one of its anchor
/// literals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Target {
    group: u32,
    pattern: u32,
    /// The match begins 0..=offset bytes before the literal.
    offset: u32,
}

/// A literal of up to [`MAX_LITERAL_CHARS`] characters, stored inline: the builder
/// holds thousands, and a heap string each made its peak a megabyte.
#[derive(Debug, Clone, Copy)]
struct Lit {
    len: u8,
    bytes: [u8; MAX_LITERAL_CHARS * 4],
}

impl Lit {
    fn new(s: &str) -> Self {
        let mut bytes = [0; MAX_LITERAL_CHARS * 4];
        bytes[..s.len()].copy_from_slice(s.as_bytes());
        Self {
            len: s.len() as u8,
            bytes,
        }
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).expect("built from a str")
    }
}

/// What an occurrence of one literal means to one pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// It anchors the pattern.
    Anchor(Target),
    /// It is one of the pattern's required literals.
    Required(u32),
}

/// No entry: an index that is never used.
const NONE: u32 = u32::MAX;

/// A literal's first character.
#[derive(Debug, Clone, Copy)]
struct First {
    /// The entry of the one-character literal, or [`NONE`].
    exact: u32,
    /// Whether longer literals begin with it.
    longer: bool,
}

/// A literal's first two characters.
#[derive(Debug, Clone, Copy)]
struct Second {
    /// The entry of the two-character literal, or [`NONE`].
    exact: u32,
    /// The three-character literals: a range of [`Scanner::thirds`].
    thirds: (u32, u32),
}

/// The characters of the CJK Unified Ideographs block, where most literals begin, are
/// looked up in a table rather than hashed.
const CJK: std::ops::Range<u32> = 0x4E00..0xA000;

/// A pattern id standing for "always live": the groups that may begin anywhere.
const ANY_PATTERN: u32 = u32::MAX;

/// Collects every pattern's literals as the rubric is compiled.
#[derive(Debug, Default)]
pub(super) struct ScannerBuilder {
    literals: Vec<(Lit, Role)>,
    anywhere: Vec<u32>,
    filtered: Vec<bool>,
}

/// The compiled index of every pattern's literals: a trie three characters deep, laid
/// out in small arrays. The scan visits it once per character, so its size decides
/// the cost: with entries stored in the hash table, a probe missed the cache and took
/// a fifth of the time.
#[derive(Debug)]
pub(super) struct Scanner {
    /// Per literal: its ranges of `targets` and `marks` (an [`Entry`], flattened:
    /// thousands of small vectors cost more memory than the index itself).
    entries: Vec<[u32; 3]>,
    targets: Vec<Target>,
    marks: Vec<u32>,
    firsts: Vec<First>,
    /// CJK character → index into `firsts` plus one, 0 for none.
    cjk: Box<[u16]>,
    /// Any other character → index into `firsts`.
    other: HashMap<char, u32, FixedState>,
    /// Whether some CJK characters are in `other` (see [`Scanner::first_mut`]).
    cjk_overflow: bool,
    /// First two characters → index into `seconds`.
    pairs: HashMap<u64, u32, FixedState>,
    /// A bit per hash of the pairs in `pairs`: most pairs of characters in a text
    /// begin no literal, and this says so from the first-level cache.
    pair_bits: Box<[u64]>,
    seconds: Vec<Second>,
    /// Third characters, sorted within each literal pair's range, and their entries.
    thirds: Vec<char>,
    third_entries: Vec<u32>,
    /// Groups that may begin anywhere.
    anywhere: Vec<u32>,
    /// Per pattern: whether it has required literals (else it is always live).
    filtered: Vec<bool>,
}

/// A scan's working memory, reused from line to line.
#[derive(Debug, Default)]
pub(super) struct ScanScratch {
    /// `(start, group, pattern)` before the required-literal filter.
    raw: Vec<(usize, u32, u32)>,
    /// Per pattern: the scan in which one of its required literals last occurred, and
    /// where in that scan's text (a match holds it at or after its start).
    live: Vec<(u32, usize)>,
    scan: u32,
}

fn pair_key(a: char, b: char) -> u64 {
    (u64::from(a) << 32) | u64::from(b)
}

/// Size of [`Scanner::pair_bits`]: 4 KiB, for a few thousand pairs.
const PAIR_BITS: usize = 1 << 15;

fn pair_bit(key: u64) -> usize {
    // Fibonacci hashing: the top bits of a multiplication mix both characters.
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - 15)) as usize
}

impl ScannerBuilder {
    /// Add pattern `pattern` (numbered across all groups from 0) of `group`, by its
    /// syntax tree.
    pub(super) fn add(&mut self, group: u32, pattern: u32, hir: &Hir) {
        let Some(anchors) = anchors(hir) else {
            if !self.anywhere.contains(&group) {
                self.anywhere.push(group);
            }
            return;
        };
        let mut anchor_literals: Vec<&str> = Vec::new();
        for anchor in &anchors {
            let target = Target {
                group,
                pattern,
                offset: anchor.offset as u32,
            };
            for lit in &anchor.literals {
                anchor_literals.push(lit);
                self.literals.push((Lit::new(lit), Role::Anchor(target)));
            }
        }
        let p = pattern as usize;
        if self.filtered.len() <= p {
            self.filtered.resize(p + 1, false);
        }
        // A required set no better than the anchors' filters nothing more.
        if let Some(required) = required_literals(hir)
            && !required
                .iter()
                .all(|r| anchor_literals.contains(&r.as_str()))
        {
            self.filtered[p] = true;
            for lit in required {
                self.literals
                    .push((Lit::new(&lit), Role::Required(pattern)));
            }
        }
    }

    pub(super) fn build(mut self) -> Scanner {
        // Sorted, one literal's roles are neighbours, and so are literals that share a
        // first character, or two.
        self.literals.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
        let mut s = Scanner {
            entries: Vec::new(),
            targets: Vec::new(),
            marks: Vec::new(),
            firsts: Vec::new(),
            cjk: vec![0; CJK.len()].into_boxed_slice(),
            other: HashMap::default(),
            cjk_overflow: false,
            pairs: HashMap::default(),
            pair_bits: vec![0; PAIR_BITS / 64].into_boxed_slice(),
            seconds: Vec::new(),
            thirds: Vec::new(),
            third_entries: Vec::new(),
            anywhere: self.anywhere,
            filtered: self.filtered,
        };
        for same in self.literals.chunk_by(|a, b| a.0.as_str() == b.0.as_str()) {
            let lit = same[0].0.as_str();
            let mut targets: Vec<Target> = Vec::new();
            let mut marks: Vec<u32> = Vec::new();
            for (_, role) in same {
                match *role {
                    Role::Anchor(t) if !targets.contains(&t) => targets.push(t),
                    Role::Required(p) if !marks.contains(&p) => marks.push(p),
                    _ => {}
                }
            }
            let e = s.entries.len() as u32;
            s.entries.push([
                s.targets.len() as u32,
                s.marks.len() as u32,
                (s.targets.len() + targets.len()) as u32,
            ]);
            s.targets.extend(targets);
            s.marks.extend(marks);
            let mut chars = lit.chars();
            let a = chars.next().expect("literals are not empty");
            let first = s.first_mut(a);
            let Some(b) = chars.next() else {
                first.exact = e;
                continue;
            };
            first.longer = true;
            let next = s.seconds.len() as u32;
            let key = pair_key(a, b);
            s.pair_bits[pair_bit(key) / 64] |= 1 << (pair_bit(key) % 64);
            let i = *s.pairs.entry(key).or_insert(next) as usize;
            if i == s.seconds.len() {
                let at = s.thirds.len() as u32;
                s.seconds.push(Second {
                    exact: NONE,
                    thirds: (at, at),
                });
            }
            match chars.next() {
                None => s.seconds[i].exact = e,
                Some(c) => {
                    s.thirds.push(c);
                    s.third_entries.push(e);
                    s.seconds[i].thirds.1 = s.thirds.len() as u32;
                }
            }
        }
        s
    }
}

impl Scanner {
    fn first_mut(&mut self, c: char) -> &mut First {
        let i = match self.first_index(c) {
            Some(i) => i,
            None => {
                let i = self.firsts.len();
                self.firsts.push(First {
                    exact: NONE,
                    longer: false,
                });
                match u16::try_from(i + 1) {
                    Ok(n) if CJK.contains(&u32::from(c)) => {
                        self.cjk[(u32::from(c) - CJK.start) as usize] = n;
                    }
                    // Past 65,535 first characters (a rubric no trainer writes by
                    // hand), CJK characters are hashed too.
                    Ok(_) => {
                        self.other.insert(c, i as u32);
                    }
                    Err(_) => {
                        self.cjk_overflow = true;
                        self.other.insert(c, i as u32);
                    }
                }
                i
            }
        };
        &mut self.firsts[i]
    }

    fn first_index(&self, c: char) -> Option<usize> {
        let u = u32::from(c);
        if CJK.contains(&u) {
            match self.cjk[(u - CJK.start) as usize] {
                0 if self.cjk_overflow => self.other.get(&c).map(|&i| i as usize),
                0 => None,
                i => Some(usize::from(i) - 1),
            }
        } else {
            self.other.get(&c).map(|&i| i as usize)
        }
    }

    /// Every `(start, group)` where a match of the group may begin in `text`, sorted
    /// by start, then group, without duplicates. `out` is cleared first.
    pub(super) fn candidates(
        &self,
        text: &str,
        scratch: &mut ScanScratch,
        out: &mut Vec<(usize, u32)>,
    ) {
        let ScanScratch { raw, live, scan } = scratch;
        raw.clear();
        out.clear();
        if live.len() < self.filtered.len() {
            live.resize(self.filtered.len(), (0, 0));
        }
        *scan = scan.wrapping_add(1);
        if *scan == 0 {
            live.iter_mut().for_each(|l| *l = (0, 0));
            *scan = 1;
        }
        let scan = *scan;
        let mut hit = |at: usize, e: u32| {
            let [targets, marks, targets_end] = self.entries[e as usize];
            let marks_end = self
                .entries
                .get(e as usize + 1)
                .map_or(self.marks.len(), |next| next[1] as usize);
            for &m in &self.marks[marks as usize..marks_end] {
                let l = &mut live[m as usize];
                *l = (scan, if l.0 == scan { l.1.max(at) } else { at });
            }
            for t in &self.targets[targets as usize..targets_end as usize] {
                let from = at.saturating_sub(t.offset as usize);
                for s in from..=at {
                    if text.is_char_boundary(s) {
                        raw.push((s, t.group, t.pattern));
                    }
                }
            }
        };
        // Literals begun one and two characters back, waiting for this character.
        let mut open1: Option<(usize, char)> = None;
        let mut open2: Option<(usize, (u32, u32))> = None;
        for (i, c) in text.char_indices() {
            if let Some((at, (from, to))) = open2.take() {
                let thirds = &self.thirds[from as usize..to as usize];
                if let Ok(k) = thirds.binary_search(&c) {
                    hit(at, self.third_entries[from as usize + k]);
                }
            }
            if let Some((at, a)) = open1.take()
                && let key = pair_key(a, c)
                && self.pair_bits[pair_bit(key) / 64] & (1 << (pair_bit(key) % 64)) != 0
                && let Some(&p) = self.pairs.get(&key)
            {
                let second = self.seconds[p as usize];
                if second.exact != NONE {
                    hit(at, second.exact);
                }
                if second.thirds.0 < second.thirds.1 {
                    open2 = Some((at, second.thirds));
                }
            }
            if let Some(f) = self.first_index(c) {
                let first = self.firsts[f];
                if first.exact != NONE {
                    hit(i, first.exact);
                }
                if first.longer {
                    open1 = Some((i, c));
                }
            }
        }
        for &g in &self.anywhere {
            raw.extend(text.char_indices().map(|(i, _)| (i, g, ANY_PATTERN)));
        }
        out.extend(raw.iter().filter_map(|&(s, g, p)| {
            let live = p == ANY_PATTERN
                || !self.filtered[p as usize]
                || live[p as usize].0 == scan && live[p as usize].1 >= s;
            live.then_some((s, g))
        }));
        out.sort_unstable();
        out.dedup();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(p: &str) -> Hir {
        regex_syntax::Parser::new().parse(p).unwrap()
    }

    #[test]
    fn candidates_cover_every_possible_start() {
        let mut s = ScannerBuilder::default();
        s.add(0, 0, &parse("(?:^|[^马])上报"));
        s.add(1, 1, &parse("谢谢"));
        let s = s.build();
        let mut out = Vec::new();
        let text = "我马上上报,谢谢";
        s.candidates(text, &mut ScanScratch::default(), &mut out);
        // 上报 at byte 9: starts at 6 (上) and 9 (^ cannot hold, the automaton decides).
        assert!(out.contains(&(6, 0)) && out.contains(&(9, 0)));
        assert!(out.contains(&(text.find("谢谢").unwrap(), 1)));
        assert!(out.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn a_pattern_without_an_anchor_is_tried_everywhere() {
        let mut s = ScannerBuilder::default();
        s.add(3, 0, &parse(".{2,}"));
        let s = s.build();
        let mut out = Vec::new();
        s.candidates("您好", &mut ScanScratch::default(), &mut out);
        assert_eq!(out, vec![(0, 3), (3, 3)]);
    }

    #[test]
    fn an_anchor_counts_only_where_a_required_literal_occurs() {
        let mut s = ScannerBuilder::default();
        s.add(0, 0, &parse("我们(?:这边)?做得不(?:够|好)"));
        let s = s.build();
        let (mut out, mut scratch) = (Vec::new(), ScanScratch::default());
        s.candidates("我们这边很好", &mut scratch, &mut out);
        assert!(out.is_empty());
        s.candidates("我们这边做得不够", &mut scratch, &mut out);
        assert_eq!(out, vec![(0, 0)]);
    }
}

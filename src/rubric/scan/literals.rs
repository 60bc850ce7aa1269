//! Literal extraction: for one pattern, the *anchor* literals of which every match
//! holds one a bounded way in, and the *required* literals of which every match holds
//! one somewhere (see the parent module). Pure functions of a pattern's syntax tree.

use regex_syntax::hir::literal::{ExtractKind, Extractor};
use regex_syntax::hir::{Hir, HirKind};

/// Literals are cut to this many characters: a third character still filters well
/// (给您添 against 给您), and up to three a literal is matched by one table lookup on
/// its first character, a hash probe on its first two and a comparison of the third.
pub(super) const MAX_LITERAL_CHARS: usize = 3;
/// An anchor further than this into a match costs more candidate starts per occurrence
/// than it saves.
const MAX_OFFSET: usize = 24;

/// Literals of which every match holds one, `offset` bytes or less after its start.
#[derive(Debug)]
pub(super) struct Anchor {
    pub(super) literals: Vec<String>,
    pub(super) offset: usize,
}

impl Anchor {
    /// Longer literals occur less often; a smaller offset means fewer starts to try.
    fn quality(&self) -> (usize, std::cmp::Reverse<usize>) {
        let shortest = self
            .literals
            .iter()
            .map(|l| l.chars().count())
            .min()
            .unwrap_or(0);
        (shortest, std::cmp::Reverse(self.offset))
    }
}

/// Anchors that together cover every match of a pattern: one per branch of a
/// top-level alternation, one for anything else.
pub(super) fn anchors(h: &Hir) -> Option<Vec<Anchor>> {
    match h.kind() {
        HirKind::Capture(c) => anchors(&c.sub),
        HirKind::Alternation(alts) => {
            let mut all = Vec::new();
            for a in alts {
                all.extend(anchors(a)?);
            }
            Some(all)
        }
        _ => anchor(h).map(|a| vec![a]),
    }
}

/// The best anchor of a pattern: the prefix literals of the whole pattern, or of the
/// rest of a concatenation after parts of bounded length.
fn anchor(h: &Hir) -> Option<Anchor> {
    let parts: &[Hir] = match h.kind() {
        HirKind::Concat(parts) => parts,
        _ => std::slice::from_ref(h),
    };
    let mut best: Option<Anchor> = None;
    let mut offset = 0;
    for (i, part) in parts.iter().enumerate() {
        let len = part.properties().maximum_len();
        // A look-around (`^`, `$`) begins no literal. Literals are at most three
        // characters, so a few parts from here decide them (one literal part can
        // hold a whole word).
        if len != Some(0) {
            let rest = &parts[i..parts.len().min(i + 4)];
            let rest = if rest.len() == 1 {
                rest[0].clone()
            } else {
                Hir::concat(rest.to_vec())
            };
            if let Some(literals) = prefix_literals(&rest, ANCHOR_LIMITS) {
                let a = Anchor { literals, offset };
                if best.as_ref().is_none_or(|b| a.quality() > b.quality()) {
                    best = Some(a);
                }
            }
        }
        if best
            .as_ref()
            .is_some_and(|b| b.quality() >= (MAX_LITERAL_CHARS, std::cmp::Reverse(offset)))
        {
            break; // nothing further in can be better
        }
        match len {
            Some(len) if offset + len <= MAX_OFFSET => offset += len,
            _ => break,
        }
    }
    best
}

/// Literals of which every match of `h` holds one somewhere, cut to whole characters,
/// or `None` if there is no such finite set of non-empty literals.
pub(super) fn required_literals(h: &Hir) -> Option<Vec<String>> {
    match h.kind() {
        HirKind::Capture(c) => required_literals(&c.sub),
        HirKind::Repetition(r) if r.min >= 1 => required_literals(&r.sub),
        HirKind::Alternation(alts) => {
            let mut all = Vec::new();
            for a in alts {
                all.extend(required_literals(a)?);
            }
            all.sort();
            all.dedup();
            Some(all)
        }
        HirKind::Concat(parts) => {
            // Any match holds a match of every part: pick the most selective part, or
            // the prefixes of the whole concatenation if those are better.
            let mut best = prefix_literals(h, REQUIRED_LIMITS);
            for p in parts {
                if let Some(l) = required_literals(p)
                    && best
                        .as_ref()
                        .is_none_or(|b| selectivity(&l) > selectivity(b))
                {
                    best = Some(l);
                }
            }
            best
        }
        _ => prefix_literals(h, REQUIRED_LIMITS),
    }
}

/// Longer literals first (one character such as 您 occurs in nearly every utterance),
/// then fewer of them.
fn selectivity(lits: &[String]) -> (usize, std::cmp::Reverse<usize>) {
    let shortest = lits.iter().map(|l| l.chars().count()).min().unwrap_or(0);
    (shortest, std::cmp::Reverse(lits.len()))
}

/// How far literal extraction may multiply out classes and alternations: wide for
/// anchors (a set of 64 two-character literals still filters well), narrow for
/// required literals, which are extracted at every level of a pattern.
#[derive(Clone, Copy)]
struct Limits {
    class: usize,
    total: usize,
}

const ANCHOR_LIMITS: Limits = Limits {
    class: 64,
    total: 256,
};
const REQUIRED_LIMITS: Limits = Limits {
    class: 16,
    total: 64,
};

/// Literals every match of `h` begins with, cut to whole characters, or `None` if
/// there is no such finite set of non-empty literals.
fn prefix_literals(h: &Hir, limits: Limits) -> Option<Vec<String>> {
    let seq = Extractor::new()
        .kind(ExtractKind::Prefix)
        .limit_class(limits.class)
        .limit_literal_len(MAX_LITERAL_CHARS * 3)
        .limit_total(limits.total)
        .extract(h);
    let mut out = Vec::new();
    for lit in seq.literals()? {
        let bytes = lit.as_bytes();
        // A literal cut by the length limit may end inside a character.
        let valid = match std::str::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => std::str::from_utf8(&bytes[..e.valid_up_to()]).expect("valid prefix"),
        };
        let cut: String = valid.chars().take(MAX_LITERAL_CHARS).collect();
        if cut.is_empty() {
            return None;
        }
        out.push(cut);
    }
    if out.is_empty() {
        return None;
    }
    out.sort_unstable();
    // Where one literal begins another, the shorter one alone is enough. Sorted, a
    // literal that begins with any kept one begins with the last kept one.
    let mut kept: Vec<String> = Vec::with_capacity(out.len());
    for l in out {
        if !kept.last().is_some_and(|k| l.starts_with(k.as_str())) {
            kept.push(l);
        }
    }
    Some(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(p: &str) -> Hir {
        regex_syntax::Parser::new().parse(p).unwrap()
    }

    fn anchor_of(p: &str) -> Option<(Vec<String>, usize)> {
        let mut a = anchors(&parse(p))?;
        assert_eq!(a.len(), 1, "{p}");
        let a = a.pop().unwrap();
        Some((a.literals, a.offset))
    }

    #[test]
    fn anchors_sit_at_the_start_or_a_bounded_way_in() {
        assert_eq!(
            anchor_of("(?:谢谢|多谢)您"),
            Some((vec!["多谢您".into(), "谢谢您".into()], 0))
        );
        // A character class of any character but one: the literal after it.
        assert_eq!(anchor_of("(?:^|[^马])上报"), Some((vec!["上报".into()], 4)));
        assert_eq!(
            anchor_of("[一二三四五六七八九十两]+个?工作日").map(|a| !a.0.is_empty()),
            Some(true)
        );
        assert_eq!(anchor_of(".*您好"), None);
        // Each branch of an alternation is anchored on its own.
        let a = anchors(&parse("(?:^|[^马])上报|呈报")).unwrap();
        assert_eq!(a.len(), 2);
        assert_eq!((a[0].offset, a[1].offset), (4, 0));
    }
}

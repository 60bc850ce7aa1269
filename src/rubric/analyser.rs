//! The analyser: one compiled form of a rubric that turns a trainee's utterance into
//! signals. Scoring, the customer engine and the REPL all call [`Analyser::analyse`];
//! there is no second code path.
//!
//! It runs on every agent line of every transcript in an assessment run, so it is built
//! for throughput: all patterns of one kind form a single multi-pattern regex
//! (`regex_automata::meta::Regex::new_many`), searched in one pass that reports the
//! pattern id of each leftmost-first, non-overlapping match. One regex per kind, not
//! one for the whole rubric, because hits of different kinds may overlap ("对不起,
//! 我是跟您讲道理" is both an apology word and arguing) and a single pass would hide
//! one of them.

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use regex_automata::Input;
use regex_automata::meta::Regex as MetaRegex;
use regex_automata::nfa::thompson::WhichCaptures;
use regex_automata::util::syntax;
use serde::Serialize;

use super::kinds::{BUILTIN_KINDS, KindInfo};
use super::load::polarity_of;
use regex_syntax::hir::Hir;

use super::prefilter::{Prefilter, PrefilterBuilder, start_prefilter};
use super::{Polarity, Rubric, Rule};
use crate::diag::{FieldPath, Problem};

/// One thing an utterance does, found by one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Signal {
    /// Index into [`Analyser::kinds`].
    pub kind: usize,
    /// Index into the rubric's rules.
    pub rule: usize,
    /// Byte offsets into the utterance, on char boundaries.
    pub start: usize,
    pub end: usize,
}

/// A rule's exceptions. Only matches overlapping a hit matter, so the search is confined
/// to the hit widened by the longest possible exception match; otherwise a long line
/// with many hits would be rescanned whole for each one.
struct Except {
    patterns: Compiled,
    /// Longest match in bytes, if bounded.
    max_len: Option<usize>,
}

impl Except {
    fn overlaps(&self, text: &str, start: usize, end: usize) -> bool {
        let (from, to) = match self.max_len {
            Some(l) => (
                floor_boundary(text, start.saturating_sub(l)),
                ceil_boundary(text, (end + l).min(text.len())),
            ),
            None => (0, text.len()),
        };
        let Ok(regex) = self.patterns.for_text(to - from) else {
            return false;
        };
        let input = Input::new(text).range(from..to);
        regex
            .find_iter(input)
            .any(|e| e.start() < end && start < e.end())
    }
}

fn floor_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// A set of patterns as one multi-pattern regex, in two forms, each built on first use:
/// syntax is checked when the rubric loads, but building the automata for some twenty
/// kinds of Chinese alternations takes milliseconds each.
///
/// - Without a lazy DFA (the bounded backtracker, or the PikeVM on longer texts): about
///   half the build time and memory (no reverse NFA), and every search costs the same.
///   A practice session analyses a few kilobytes in all, one line at a time, so this is
///   all it uses: its lines are new to any DFA, and meeting them cost a first session
///   milliseconds per turn (states computed one by one) and megabytes of cache.
/// - With a lazy DFA: many times faster once its cache holds the states a corpus
///   needs. Bulk analysis (assessments, chat logs) switches to it after
///   [`DFA_AFTER`] bytes, and any text longer than [`LONG_TEXT`] uses it at once.
///
/// All of `regex_automata`'s engines report the same leftmost-first matches with the
/// same pattern ids, so which form searched a text never changes a result.
struct Compiled {
    patterns: Vec<String>,
    /// Bytes searched without the lazy DFA so far, counted until [`DFA_AFTER`].
    searched: AtomicUsize,
    nfa: OnceLock<Result<MetaRegex, String>>,
    dfa: OnceLock<Result<MetaRegex, String>>,
}

/// Bytes a set of patterns searches before its lazy DFA is built (a practice session's
/// lines are a few kilobytes; an assessment's, megabytes).
const DFA_AFTER: usize = 64 * 1024;
/// A text this long goes to the lazy DFA at once. The NFA engines take time in
/// proportion to text × automaton, and the bounded backtracker only takes texts up to
/// 2 Mbit / NFA states (517 bytes for the default rubric's largest kind, 禁语); beyond
/// that the PikeVM searches, and its cache for a kind that size takes megabytes.
const LONG_TEXT: usize = 512;

impl Compiled {
    fn new(patterns: Vec<String>) -> Self {
        Self {
            patterns,
            searched: AtomicUsize::new(0),
            nfa: OnceLock::new(),
            dfa: OnceLock::new(),
        }
    }

    /// The regex to search a text of `len` bytes with.
    fn for_text(&self, len: usize) -> &Result<MetaRegex, String> {
        if len < LONG_TEXT && self.searched.load(Ordering::Relaxed) < DFA_AFTER {
            self.searched.fetch_add(len, Ordering::Relaxed);
            return self.nfa();
        }
        match self.dfa() {
            // Only a reverse NFA beyond the engine's limits can fail here.
            Err(_) => self.nfa(),
            ok => ok,
        }
    }

    fn nfa(&self) -> &Result<MetaRegex, String> {
        self.nfa.get_or_init(|| self.build(false))
    }

    fn dfa(&self) -> &Result<MetaRegex, String> {
        self.dfa.get_or_init(|| self.build(true))
    }

    fn build(&self, lazy_dfa: bool) -> Result<MetaRegex, String> {
        let hirs = syntax::parse_many_with(&self.patterns, &syntax::Config::new().unicode(true))
            .map_err(|e| e.to_string())?;
        let config = MetaRegex::config()
            .which_captures(WhichCaptures::Implicit)
            .hybrid(lazy_dfa)
            .dfa(false)
            .onepass(false)
            // The lazy DFA's start state already skips what cannot begin a match, and
            // the Aho-Corasick pass has chosen this kind; the engine's own literal
            // prefilter would scan again and cost build time. The NFA engines try
            // every position in turn: for them, the first characters a match can
            // have (beyond the engine's own small limits) let them skip to those.
            .auto_prefilter(false)
            .prefilter(if lazy_dfa {
                None
            } else {
                start_prefilter(&hirs)
            });
        MetaRegex::builder()
            .configure(config)
            .build_many_from_hir(&hirs)
            .map_err(|e| e.to_string())
    }
}

/// All patterns of one kind.
struct KindSearcher {
    kind: usize,
    patterns: Compiled,
    /// Pattern id → rule index.
    rule_of: Vec<usize>,
}

/// A compiled rubric.
pub struct Analyser {
    rubric: Rubric,
    source: crate::io::Source,
    kinds: Vec<KindInfo>,
    searchers: Vec<KindSearcher>,
    prefilter: Prefilter,
    /// Per rule: its exceptions as one regex, if it has any.
    excepts: Vec<Option<Except>>,
}

impl std::fmt::Debug for Analyser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyser")
            .field("rubric", &self.rubric.id)
            .field("rules", &self.rubric.rules.len())
            .finish()
    }
}

impl Analyser {
    /// Compile a validated rubric. Pattern errors come back as problems with the
    /// pattern's field path.
    /// `source` is the file text, kept for its hash.
    pub fn new(rubric: Rubric, source: crate::io::Source) -> Result<Self, Vec<Problem>> {
        let mut kinds: Vec<KindInfo> = BUILTIN_KINDS
            .iter()
            .map(|(id, label, polarity)| KindInfo {
                id: id.to_string(),
                label: label.to_string(),
                polarity: *polarity,
            })
            .collect();
        for (id, def) in &rubric.kinds {
            match kinds.iter_mut().find(|k| &k.id == id) {
                Some(k) => {
                    k.label = def.label.clone();
                    k.polarity = def.polarity;
                }
                None => kinds.push(KindInfo {
                    id: id.clone(),
                    label: def.label.clone(),
                    polarity: def.polarity,
                }),
            }
        }
        let mut problems = Vec::new();
        let mut by_kind: BTreeMap<usize, (Vec<String>, Vec<usize>)> = BTreeMap::new();
        // Each pattern is parsed once; its syntax tree serves the checks and the
        // pre-filter's literal extraction.
        let mut prefilter = PrefilterBuilder::default();
        let mut excepts = Vec::with_capacity(rubric.rules.len());
        for (i, rule) in rubric.rules.iter().enumerate() {
            let path = FieldPath::root().key("rules").index(i);
            let kind = kinds.iter().position(|k| k.id == rule.kind);
            for (j, pat) in rule.patterns.iter().enumerate() {
                match check_pattern(pat, &rubric.defines) {
                    Ok((expanded, hir)) => {
                        if let Some(kind) = kind {
                            prefilter.add(kind, &hir);
                            let e = by_kind.entry(kind).or_default();
                            e.0.push(expanded);
                            e.1.push(i);
                        }
                    }
                    Err(msg) => problems.push(Problem::new(path.key("patterns").index(j), msg)),
                }
            }
            let mut parts = Vec::new();
            // Longest exception match, if every exception is bounded.
            let mut max_len = Some(0);
            for (j, pat) in rule.except.iter().enumerate() {
                match check_pattern(pat, &rubric.defines) {
                    Ok((expanded, hir)) => {
                        max_len = max_len
                            .zip(hir.properties().maximum_len())
                            .map(|(a, b)| a.max(b));
                        parts.push(expanded);
                    }
                    Err(msg) => problems.push(Problem::new(path.key("except").index(j), msg)),
                }
            }
            excepts.push(if parts.is_empty() {
                None
            } else {
                Some(Except {
                    patterns: Compiled::new(parts),
                    max_len,
                })
            });
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let prefilter = prefilter.build();
        let searchers = by_kind
            .into_iter()
            .map(|(kind, (patterns, rule_of))| KindSearcher {
                kind,
                patterns: Compiled::new(patterns),
                rule_of,
            })
            .collect();
        Ok(Self {
            rubric,
            source,
            kinds,
            searchers,
            prefilter,
            excepts,
        })
    }

    /// Every signal in `text`, ordered by start offset, then kind.
    pub fn analyse(&self, text: &str) -> Vec<Signal> {
        let mut out = Vec::new();
        self.analyse_into(text, &mut out);
        out
    }

    /// Like [`analyse`](Self::analyse), reusing `out`'s allocation (the bulk path).
    pub fn analyse_into(&self, text: &str, out: &mut Vec<Signal>) {
        out.clear();
        let candidates = self.prefilter.candidates(text);
        for s in &self.searchers {
            if !Prefilter::is_candidate(candidates, s.kind) {
                continue;
            }
            let Ok(regex) = s.patterns.for_text(text.len()) else {
                continue; // reported by `compile_all`, which validation runs
            };
            for m in regex.find_iter(text) {
                let rule = s.rule_of[m.pattern().as_usize()];
                if let Some(ex) = &self.excepts[rule]
                    && ex.overlaps(text, m.start(), m.end())
                {
                    continue;
                }
                out.push(Signal {
                    kind: s.kind,
                    rule,
                    start: m.start(),
                    end: m.end(),
                });
            }
        }
        out.sort_unstable_by_key(|s| (s.start, s.kind, s.end));
    }

    /// Build now every automaton a session searches with: each kind's and each rule's
    /// exceptions, in the form without a lazy DFA. Reports any kind that cannot be
    /// built (a rubric too large for the regex engine's limits). Validation calls
    /// this, and `peilian practice` on a thread of its own while the trainee reads the
    /// brief, so that no turn waits for a build; otherwise each is built on first use.
    pub fn compile_all(&self) -> Result<(), Vec<Problem>> {
        for e in self.excepts.iter().flatten() {
            // An exception that cannot be built cancels nothing, as on first use.
            let _ = e.patterns.nfa();
        }
        let problems: Vec<Problem> = self
            .searchers
            .iter()
            .filter_map(|s| s.patterns.nfa().as_ref().err().map(|e| (s, e)))
            .map(|(s, e)| {
                Problem::new(
                    FieldPath::root().key("rules"),
                    format!(
                        "类型 {} 的规则无法编译(模式太大?): {e}",
                        self.kinds[s.kind].id
                    ),
                )
            })
            .collect();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    pub fn rubric(&self) -> &Rubric {
        &self.rubric
    }

    /// Hash of the rubric file's text, recorded with every transcript and scorecard.
    pub fn hash(&self) -> &str {
        self.source.hash()
    }

    pub fn kinds(&self) -> &[KindInfo] {
        &self.kinds
    }

    pub fn kind(&self, signal: &Signal) -> &KindInfo {
        &self.kinds[signal.kind]
    }

    pub fn rule(&self, signal: &Signal) -> &Rule {
        &self.rubric.rules[signal.rule]
    }

    /// Index of a kind by id.
    pub fn kind_index(&self, id: &str) -> Option<usize> {
        self.kinds.iter().position(|k| k.id == id)
    }

    /// Whether a kind id is known to this rubric.
    pub fn knows_kind(&self, id: &str) -> bool {
        self.kind_index(id).is_some()
    }

    pub fn polarity(&self, id: &str) -> Option<Polarity> {
        polarity_of(&self.rubric, id)
    }
}

/// Expand `{name}` references to the rubric's defines and check the result compiles and
/// cannot match the empty string (such a pattern would hit every utterance).
fn check_pattern(pat: &str, defines: &BTreeMap<String, String>) -> Result<(String, Hir), String> {
    let expanded = expand_defines(pat, defines)?;
    let hir = regex_syntax::Parser::new()
        .parse(&expanded)
        .map_err(|e| format!("不是有效的正则表达式(Rust regex 语法,不支持前后查找): {e}"))?;
    if hir.properties().minimum_len() == Some(0) {
        return Err("模式能匹配空字符串,会命中所有句子;expected a pattern that needs at least one character".into());
    }
    Ok((expanded, hir))
}

/// Replace `{name}` (lowercase letters and `_`) with `(?:define)`; a regex repetition
/// such as `{2}` or `{1,3}` and an escaped `\{` are left alone.
pub(crate) fn expand_defines(
    pat: &str,
    defines: &BTreeMap<String, String>,
) -> Result<String, String> {
    let mut out = String::with_capacity(pat.len());
    let mut rest = pat;
    while let Some(open) = rest.find('{') {
        let escaped = rest[..open].ends_with('\\');
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
            .unwrap_or(after.len());
        if !escaped && name_len > 0 && after[name_len..].starts_with('}') {
            let name = &after[..name_len];
            let piece = defines.get(name).ok_or_else(|| {
                format!("引用了未定义的片段 {{{name}}};add `{name} = '…'` under [defines]")
            })?;
            out.push_str("(?:");
            out.push_str(piece);
            out.push(')');
            rest = &after[name_len + 1..];
        } else {
            out.push('{');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analyser(toml_text: &str) -> Analyser {
        let r: Rubric = toml::from_str(toml_text).unwrap();
        Analyser::new(r, crate::io::Source::new("")).unwrap()
    }

    #[test]
    fn defines_expand_but_repetitions_stay() {
        let mut d = BTreeMap::new();
        d.insert("num".to_string(), r"\d+".to_string());
        assert_eq!(expand_defines("{num}天", &d).unwrap(), r"(?:\d+)天");
        assert_eq!(expand_defines("a{2}b{1,3}", &d).unwrap(), "a{2}b{1,3}");
        assert_eq!(expand_defines(r"\{num}", &d).unwrap(), r"\{num}");
        assert!(expand_defines("{nope}", &d).is_err());
    }

    #[test]
    fn exceptions_cancel_overlapping_hits_only() {
        let a = analyser(
            r#"
id = "t"
name = "t"
version = 1
[[rules]]
id = "forbidden.policy"
kind = "forbidden"
patterns = ["公司的?规定"]
except = ["按照公司的?规定[,,]?您可以"]
better = "x"
"#,
        );
        assert!(a.analyse("按照公司规定,您可以免费换新").is_empty());
        let s = a.analyse("按照公司规定,您可以换。但公司规定就这样");
        assert_eq!(s.len(), 1);
        assert_eq!(
            &"按照公司规定,您可以换。但公司规定就这样"[s[0].start..s[0].end],
            "公司规定"
        );
    }

    #[test]
    fn kinds_overlap_independently() {
        let a = analyser(
            r#"
id = "t"
name = "t"
version = 1
[[rules]]
id = "apology.sorry"
kind = "apology"
patterns = ["道歉"]
except = ["不是跟您道歉"]
[[rules]]
id = "argue.reason"
kind = "argue"
patterns = ["不是跟您道歉.{0,8}讲道理"]
better = "x"
"#,
        );
        let s = a.analyse("我不是跟您道歉,我是跟您讲道理");
        assert_eq!(s.len(), 1);
        assert_eq!(a.kind(&s[0]).id, "argue");
    }

    /// The two forms of every kind and every exception find the same matches, on the
    /// utterance table's lines, alone and run together into one long text.
    #[test]
    fn both_forms_find_the_same() {
        let table: toml::Table =
            toml::from_str(include_str!("../../tests/data/utterances.toml")).unwrap();
        let mut texts: Vec<String> = table["case"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["text"].as_str().unwrap().to_string())
            .collect();
        texts.push(texts.join(""));
        let a = crate::rubric::default_rubric();
        let sets = a
            .searchers
            .iter()
            .map(|s| &s.patterns)
            .chain(a.excepts.iter().flatten().map(|e| &e.patterns));
        for set in sets {
            let (nfa, dfa) = (set.nfa().as_ref().unwrap(), set.dfa().as_ref().unwrap());
            for t in &texts {
                let found = |re: &MetaRegex| {
                    re.find_iter(t.as_str())
                        .map(|m| (m.pattern(), m.range()))
                        .collect::<Vec<_>>()
                };
                assert_eq!(found(nfa), found(dfa), "{:?} on {t}", set.patterns);
            }
        }
    }

    #[test]
    fn empty_matching_patterns_are_rejected() {
        let r: Rubric = toml::from_str(
            "id='t'\nname='t'\nversion=1\n[[rules]]\nid='a'\nkind='thanks'\npatterns=['(谢谢)?']\n",
        )
        .unwrap();
        let e = Analyser::new(r, crate::io::Source::new("")).unwrap_err();
        assert_eq!(e[0].field.to_string(), "rules[0].patterns[0]");
    }
}

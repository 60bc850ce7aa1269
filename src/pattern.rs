//! The limits on regular expressions trainers write — rubric rules and defines, a
//! persona's remedies, facts and policy — in one place, so that validation checks
//! exactly what runs: a pattern that passes `rubric validate` or `persona validate` is
//! compiled at run time by the same builders with the same limits, and one that would
//! not compile there is an error on its own field here, never a rule or remedy that
//! silently matches nothing.
//!
//! Without limits one short pattern (`\p{Han}{1000}{1000}`) took 19 s and 4 GB to
//! compile. The regex engines stop building an automaton once it passes its size
//! limit, so a pattern too large fails in milliseconds.
//!
//! This module performs no I/O and knows nothing of rubrics or personas.

use regex::{Regex, RegexBuilder};
use regex_automata::hybrid;
use regex_automata::nfa::thompson;
use regex_syntax::hir::Hir;

use crate::diag::clip;

/// The longest pattern a trainer may write, in characters. The longest shipped one is
/// about 230; a longer one is pasted text, not a pattern.
pub const MAX_PATTERN_CHARS: usize = 1000;

/// Heap an automaton (a compiled pattern, or a rubric kind's patterns together) may
/// take while it is built: the regex crate's own default `size_limit`.
pub const SIZE_LIMIT: usize = 10 << 20;

/// All of a rubric's automata together (every kind and every exception): searching
/// keeps caches in proportion to them, per thread. The default rubric's take about
/// 1 MB; see the test in `rubric::analyser`.
pub const RUBRIC_AUTOMATA_LIMIT: usize = 16 << 20;

/// Cache of a lazy DFA: the regex crate's default `dfa_size_limit`.
pub const DFA_SIZE_LIMIT: usize = 2 << 20;

/// Nesting depth of groups and repetitions: the regex crate's default.
const NEST_LIMIT: u32 = 250;

/// Check a pattern's length and syntax, and that it cannot match the empty string
/// (such a pattern would hit every line); the syntax tree for the analyser.
pub fn parse(pattern: &str) -> Result<Hir, String> {
    check_length(pattern)?;
    needs_text(parse_syntax(pattern)?)
}

/// The syntax tree of a pattern, or the syntax error quoted short. No length check: a
/// rubric pattern is checked as written, before its `{defines}` are spliced in.
pub fn parse_syntax(pattern: &str) -> Result<Hir, String> {
    regex_syntax::ParserBuilder::new()
        .nest_limit(NEST_LIMIT)
        .build()
        .parse(pattern)
        .map_err(|e| syntax_message(pattern, &e))
}

/// `hir`, unless it can match the empty string.
pub fn needs_text(hir: Hir) -> Result<Hir, String> {
    if hir.properties().minimum_len() == Some(0) {
        return Err(
            "模式能匹配空字符串，会命中所有句子；expected a pattern that needs at least one character"
                .into(),
        );
    }
    Ok(hir)
}

/// Compile one pattern as the run time searches with it (a persona's remedies, facts
/// and policy): [`parse`]'s checks, then the regex crate's builder with the limits.
pub fn compile(pattern: &str) -> Result<Regex, String> {
    parse(pattern)?;
    builder(pattern).build().map_err(|e| build_message(&e))
}

/// Compile patterns as one alternation, each checked as by [`parse`]: a persona's
/// forbidden commitments are searched that way, and together they may pass the size
/// limit where each alone does not.
pub fn compile_any(patterns: &[String]) -> Result<Regex, String> {
    for p in patterns {
        parse(p)?;
    }
    let joined: Vec<String> = patterns.iter().map(|p| format!("(?:{p})")).collect();
    builder(&joined.join("|"))
        .build()
        .map_err(|e| build_message(&e))
}

/// The regex crate's builder with this module's limits; every persona pattern is
/// compiled by it, at validation and at run time.
pub fn builder(pattern: &str) -> RegexBuilder {
    let mut b = RegexBuilder::new(pattern);
    b.size_limit(SIZE_LIMIT)
        .dfa_size_limit(DFA_SIZE_LIMIT)
        .nest_limit(NEST_LIMIT);
    b
}

/// The NFA compiler's settings for the rubric analyser, with the same size limit as
/// [`builder`].
pub fn nfa_config() -> thompson::Config {
    thompson::Config::new()
        .which_captures(thompson::WhichCaptures::Implicit)
        .nfa_size_limit(Some(SIZE_LIMIT))
}

/// The lazy DFA's settings for the rubric analyser, with the same cache as
/// [`builder`]'s `dfa_size_limit`.
pub fn lazy_dfa_config() -> hybrid::dfa::Config {
    hybrid::dfa::Config::new()
        .unicode_word_boundary(true)
        .cache_capacity(DFA_SIZE_LIMIT)
}

/// Build the analyser's NFA for `hirs` (one pattern, or a kind's patterns together).
pub fn nfa(hirs: &[Hir]) -> Result<thompson::NFA, String> {
    thompson::Compiler::new()
        .configure(nfa_config())
        .build_many_from_hir(hirs)
        .map_err(|e| match e.size_limit() {
            Some(limit) => too_big(limit),
            None => e.to_string(),
        })
}

/// At most [`MAX_PATTERN_CHARS`] characters.
pub fn check_length(pattern: &str) -> Result<(), String> {
    let n = pattern.chars().count();
    if n > MAX_PATTERN_CHARS {
        return Err(format!(
            "模式太长（{n} 个字符，上限 {MAX_PATTERN_CHARS}）：「{}」；expected a pattern of at most {MAX_PATTERN_CHARS} characters",
            clip(pattern)
        ));
    }
    Ok(())
}

fn too_big(limit: usize) -> String {
    format!(
        "模式编译后太大（超过 {} MB 的上限）；expected fewer or smaller repetitions (a{{1000}}{{1000}} is a million copies)",
        limit >> 20
    )
}

/// A syntax error with the place it is at, quoting at most a short stretch of the
/// pattern (the parser's own message repeats the whole pattern, however long).
fn syntax_message(pattern: &str, e: &regex_syntax::Error) -> String {
    let (kind, at) = match e {
        regex_syntax::Error::Parse(e) => (e.kind().to_string(), e.span().start.offset),
        regex_syntax::Error::Translate(e) => (e.kind().to_string(), e.span().start.offset),
        other => (clip(&other.to_string()).into_owned(), 0),
    };
    let at = (0..=at.min(pattern.len()))
        .rev()
        .find(|&i| pattern.is_char_boundary(i))
        .unwrap_or(0);
    let column = pattern[..at].chars().count() + 1;
    format!(
        "不是有效的正则表达式（Rust regex 语法，不支持前后查找）：{kind}，在第 {column} 个字符：「{}」",
        clip(&pattern[at..])
    )
}

fn build_message(e: &regex::Error) -> String {
    match e {
        regex::Error::CompiledTooBig(limit) => too_big(*limit),
        other => clip(&other.to_string()).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_repetition_fails_on_the_size_limit() {
        let e = compile(r"\p{Han}{1000}{1000}").unwrap_err();
        assert!(e.contains("太大") && e.contains("10 MB"), "{e}");
        let hir = parse(r"\p{Han}{1000}{1000}").unwrap();
        assert!(nfa(&[hir]).unwrap_err().contains("太大"));
    }

    #[test]
    fn long_patterns_and_their_errors_are_quoted_short() {
        let long = "您".repeat(MAX_PATTERN_CHARS + 1);
        let e = parse(&long).unwrap_err();
        assert!(e.contains("上限") && e.chars().count() < 250, "{e}");
        let bad = format!("{}(", "好".repeat(900));
        let e = parse(&bad).unwrap_err();
        assert!(
            e.contains("不是有效的正则表达式") && e.chars().count() < 250,
            "{e}"
        );
    }
}

//! Reading and validating rubric files. A rubric is checked completely before it is
//! used: every problem in a file is reported at once, with its position.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;
use std::sync::OnceLock;

use super::analyser::Analyser;
use super::kinds::BUILTIN_KINDS;
use super::{Polarity, Rubric};
use crate::diag::{Diagnostics, FieldPath, Locator, Problem};

/// The default rubric's file text, embedded so the binary works from any directory.
pub const DEFAULT_RUBRIC: &str = include_str!("../../rubrics/default.toml");

/// The default rubric, compiled once per process.
pub fn default_rubric() -> &'static Analyser {
    static DEFAULT: OnceLock<Analyser> = OnceLock::new();
    DEFAULT.get_or_init(|| {
        load_rubric_text("rubrics/default.toml", DEFAULT_RUBRIC)
            .expect("the embedded default rubric is checked by the test suite")
    })
}

/// Load a rubric file from disk.
pub fn load_rubric_file(path: &Path) -> Result<Analyser, Diagnostics> {
    let label = path.display().to_string();
    let text = crate::io::read_text_file(path).map_err(|e| {
        Diagnostics(vec![Locator::new(label.clone(), "").at(
            0,
            "",
            &e.to_string(),
        )])
    })?;
    load_rubric_text(&label, &text)
}

/// Parse, validate and compile rubric text; `label` names the file in diagnostics.
pub fn load_rubric_text(label: &str, text: &str) -> Result<Analyser, Diagnostics> {
    let locator = Locator::new(label, text);
    let rubric: Rubric =
        toml::from_str(text).map_err(|e| Diagnostics(vec![locator.from_toml_error(&e)]))?;
    // Validation and compilation both run so that every problem is reported at once.
    let mut problems = validate(&rubric);
    match Analyser::new(rubric, crate::io::Source::new(text.to_string())) {
        Ok(a) if problems.is_empty() => return Ok(a),
        Ok(_) => {}
        Err(p) => problems.extend(p),
    }
    Err(Diagnostics(
        problems.iter().map(|p| locator.locate(p)).collect(),
    ))
}

/// Checks that need no compiled patterns; pattern syntax is checked while compiling.
fn validate(r: &Rubric) -> Vec<Problem> {
    let root = FieldPath::root();
    let mut out = Vec::new();
    if r.id.trim().is_empty() {
        out.push(Problem::new(
            root.key("id"),
            "不能为空;expected a non-empty id",
        ));
    }
    if r.name.trim().is_empty() {
        out.push(Problem::new(
            root.key("name"),
            "不能为空;expected a non-empty name",
        ));
    }
    for (name, piece) in &r.defines {
        let p = root.key("defines").key(name);
        if !name.chars().all(|c| c.is_ascii_lowercase() || c == '_') || name.is_empty() {
            out.push(Problem::new(
                p.clone(),
                "名称只能用小写字母和 _;expected a name of lowercase ASCII letters and `_`",
            ));
        }
        if let Err(e) = regex_syntax::Parser::new().parse(piece) {
            out.push(Problem::new(p, format!("不是有效的正则表达式: {e}")));
        }
    }
    let mut known: BTreeSet<&str> = BUILTIN_KINDS.iter().map(|k| k.0).collect();
    for (id, def) in &r.kinds {
        let p = root.key("kinds").key(id);
        if !is_ident(id) {
            out.push(Problem::new(
                p.clone(),
                "kind 名称只能用小写字母、数字和 _;expected lowercase ASCII letters, digits and `_`",
            ));
        }
        if def.label.trim().is_empty() {
            out.push(Problem::new(
                p.key("label"),
                "不能为空;expected a Chinese label",
            ));
        }
        known.insert(id);
    }
    if r.rules.is_empty() {
        out.push(Problem::new(
            root.key("rules"),
            "至少要有一条规则;expected at least one [[rules]]",
        ));
    }
    let mut seen = HashSet::new();
    for (i, rule) in r.rules.iter().enumerate() {
        let p = root.key("rules").index(i);
        if rule.id.trim().is_empty() {
            out.push(Problem::new(p.key("id"), "不能为空;expected a rule id"));
        } else if !seen.insert(rule.id.as_str()) {
            out.push(Problem::new(
                p.key("id"),
                format!("规则编号「{}」重复;rule ids must be unique", rule.id),
            ));
        }
        if !known.contains(rule.kind.as_str()) {
            out.push(Problem::new(
                p.key("kind"),
                format!(
                    "未知的信号类型「{}」;expected one of {} (or declare it under [kinds])",
                    rule.kind,
                    known.iter().copied().collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        if rule.patterns.is_empty() {
            out.push(Problem::new(
                p.key("patterns"),
                "至少要有一个模式;expected at least one pattern",
            ));
        }
        if !(rule.weight.is_finite() && rule.weight >= 0.0) {
            out.push(Problem::new(p.key("weight"), "expected a number ≥ 0"));
        }
        let bad = polarity_of(r, &rule.kind) == Some(Polarity::Bad);
        if bad && rule.better.trim().is_empty() {
            out.push(Problem::new(
                p.key("better"),
                "负面规则必须给出更好的说法;add `better = \"……\"` so trainees learn what to say instead",
            ));
        }
    }
    out
}

/// The polarity of a kind, built-in or declared.
pub(crate) fn polarity_of(r: &Rubric, kind: &str) -> Option<Polarity> {
    r.kinds
        .get(kind)
        .map(|k| k.polarity)
        .or_else(|| BUILTIN_KINDS.iter().find(|k| k.0 == kind).map(|k| k.2))
}

fn is_ident(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

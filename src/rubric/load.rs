//! Reading and validating rubric files. A rubric is checked completely before it is
//! used: every problem in a file is reported at once, with its position.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;
use std::sync::OnceLock;

use super::analyser::Analyser;
use super::kinds::{BUILTIN_KINDS, polarity_of};
use super::{Polarity, Rubric};
use crate::diag::{Diagnostics, FieldPath, Locator, Problem, clip};

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

/// Load a rubric file from disk, with every automaton built: a file a trainer wrote is
/// checked completely before any session uses it, so that a kind too large for the
/// regex engine's limits is an error here, not a rule that silently matches nothing.
pub fn load_rubric_file(path: &Path) -> Result<Analyser, Diagnostics> {
    let label = path.display().to_string();
    let text = crate::files::read_text_file(path).map_err(|e| {
        Diagnostics(vec![Locator::new(label.clone(), "").at(
            0,
            "",
            &e.to_string(),
        )])
    })?;
    let analyser = load_rubric_text(&label, &text)?;
    analyser.compile_all().map_err(|problems| {
        let locator = Locator::new(&label, &text);
        Diagnostics(problems.iter().map(|p| locator.locate(p)).collect())
    })?;
    Ok(analyser)
}

/// Parse, validate and compile rubric text; `label` names the file in diagnostics.
pub fn load_rubric_text(label: &str, text: &str) -> Result<Analyser, Diagnostics> {
    let locator = Locator::new(label, text);
    let (rubric, mut found) = crate::diag::parse_toml::<Rubric>(label, text)?;
    // Validation and compilation both run so that every problem is reported at once.
    let mut problems = validate(&rubric);
    match Analyser::new(rubric, crate::files::FileText::new(text.to_string())) {
        Ok(a) if problems.is_empty() && found.is_empty() => return Ok(a),
        Ok(_) => {}
        Err(p) => problems.extend(p),
    }
    found.extend(problems.iter().map(|p| locator.locate(p)));
    Err(Diagnostics(found))
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
        if let Err(e) =
            crate::pattern::check_length(piece).and_then(|()| crate::pattern::parse_syntax(piece))
        {
            out.push(Problem::new(p, e));
        }
    }
    scoring_problems(r, &root, &mut out);
    let mut known: BTreeSet<&str> = BUILTIN_KINDS.iter().map(|k| k.0).collect();
    for (id, def) in &r.kinds {
        let p = root.key("kinds").key(id);
        if let Some(b) = BUILTIN_KINDS.iter().find(|k| k.0 == id.as_str())
            && b.2 != def.polarity
        {
            out.push(Problem::new(
                p.key("polarity"),
                format!(
                    "内置类型「{id}」的好坏不能改（它是 {}）;a built-in kind keeps its polarity",
                    if b.2 == Polarity::Good { "good" } else { "bad" }
                ),
            ));
        }
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
    for id in r.kinds.keys() {
        let builtin = BUILTIN_KINDS.iter().any(|k| k.0 == id.as_str());
        if !builtin && is_ident(id) && !r.rules.iter().any(|rule| &rule.kind == id) {
            out.push(Problem::new(
                root.key("kinds").key(id),
                format!(
                    "声明了信号类型「{id}」，却没有一条规则产生它，学员说什么都触发不了；加一条 kind = \"{id}\" 的 [[rules]];expected a rule of this kind"
                ),
            ));
        }
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
                format!("规则编号「{}」重复;rule ids must be unique", clip(&rule.id)),
            ));
        }
        if !known.contains(rule.kind.as_str()) {
            out.push(Problem::new(
                p.key("kind"),
                format!(
                    "未知的信号类型「{}」{};expected one of {} (or declare it under [kinds])",
                    clip(&rule.kind),
                    crate::diag::nearest(&rule.kind, known.iter().copied())
                        .map(|n| format!("\u{FF0C}是不是 `{n}`\u{FF1F}"))
                        .unwrap_or_default(),
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
        if let Some(msg) = points_problem(rule.weight) {
            out.push(Problem::new(p.key("weight"), msg));
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

/// Scoring numbers: every one is used in arithmetic that must not panic (a clamp with
/// a negative or NaN bound does) or silently turn a rule off.
fn scoring_problems(r: &Rubric, root: &FieldPath, out: &mut Vec<Problem>) {
    let s = &r.scoring;
    let p = root.key("scoring");
    let w = &s.weights;
    let weights = [
        ("compliance", w.compliance),
        ("empathy", w.empathy),
        ("apology", w.apology),
        ("process", w.process),
        ("courtesy", w.courtesy),
        ("persona", w.persona),
        ("outcome", w.outcome),
    ];
    for (name, v) in weights {
        if let Some(msg) = points_problem(v) {
            out.push(Problem::new(p.key("weights").key(name), msg));
        }
    }
    if weights.iter().all(|(_, v)| *v == 0.0) {
        out.push(Problem::new(
            p.key("weights"),
            "各维度满分不能全是 0;expected some points to score",
        ));
    }
    if let Some(msg) = points_problem(s.violation_points) {
        out.push(Problem::new(p.key("violation_points"), msg));
    }
    if s.grades.is_empty() {
        out.push(Problem::new(
            p.key("grades"),
            "至少要有一个等级;expected at least one grade",
        ));
    }
    for (i, g) in s.grades.iter().enumerate() {
        let gp = p.key("grades").index(i);
        if !(g.min.is_finite() && (0.0..=100.0).contains(&g.min)) {
            out.push(Problem::new(
                gp.key("min"),
                format!(
                    "分数线要在 0 到 100 之间（现在是 {}）;expected 0–100",
                    shown(g.min)
                ),
            ));
        }
        if i > 0 && g.min >= s.grades[i - 1].min {
            out.push(Problem::new(
                gp.key("min"),
                "等级要从高到低排列，分数线一个比一个低;expected grades best first, each below the one before",
            ));
        }
        if g.name.trim().is_empty() {
            out.push(Problem::new(
                gp.key("name"),
                "不能为空;expected a grade name",
            ));
        }
    }
    for (field, cap) in [
        ("forbidden_cap", Some(&s.forbidden_cap)),
        ("unresolved_cap", s.unresolved_cap.as_ref()),
        ("no_offer_cap", s.no_offer_cap.as_ref()),
    ] {
        let Some(cap) = cap else { continue };
        if !cap.is_empty() && !s.grades.iter().any(|g| &g.name == cap) {
            out.push(Problem::new(
                p.key(field),
                format!(
                    "「{}」不是任何一个等级的名字（有：{}）;expected one of the grade names, or \"\" for no cap",
                    clip(cap),
                    clip(&s.grades.iter().map(|g| g.name.as_str()).collect::<Vec<_>>().join("、"))
                ),
            ));
        }
    }
}

/// The most points a trainer number may give or take: weights should add up to 100,
/// and a bound keeps every sum the scorer makes finite.
const MAX_POINTS: f64 = 1000.0;

/// What is wrong with a number of points (a weight, a deduction), if anything: it
/// must be finite and from 0 to [`MAX_POINTS`].
pub(crate) fn points_problem(v: f64) -> Option<String> {
    let shown = shown(v);
    (!(v.is_finite() && (0.0..=MAX_POINTS).contains(&v))).then(|| {
        format!("要写一个 0 到 {MAX_POINTS} 之间的数（现在是 {shown}）;expected a finite number from 0 to {MAX_POINTS}")
    })
}

/// A number as a message shows it: 1e308 printed in full is 309 digits.
fn shown(v: f64) -> String {
    if v.abs() >= 1e6 {
        format!("{v:e}")
    } else {
        v.to_string()
    }
}

fn is_ident(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

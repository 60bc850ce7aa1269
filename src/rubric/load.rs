//! Reading and validating rubric files. A rubric is checked completely before it is
//! used: every problem in a file is reported at once, with its position.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
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

pub use crate::diag::MAX_EXTENDS_DEPTH;

/// The most example sentences a rubric may teach, and the longest one in characters:
/// every one is compared with every clause of every line read.
const MAX_EXAMPLES: usize = 2000;
const MAX_EXAMPLE_CHARS: usize = 200;

/// Load a rubric file from disk, with every automaton built: a file a trainer wrote is
/// checked completely before any session uses it, so that a kind too large for the
/// regex engine's limits is an error here, not a rule that silently matches nothing.
pub fn load_rubric_file(path: &Path) -> Result<Analyser, Diagnostics> {
    load_file_in_chain(path, &mut Vec::new())
}

fn load_file_in_chain(path: &Path, chain: &mut Vec<PathBuf>) -> Result<Analyser, Diagnostics> {
    let label = path.display().to_string();
    let text = crate::files::read_text_file(path).map_err(|e| {
        Diagnostics(vec![Locator::new(label.clone(), "").at(
            0,
            "",
            &e.to_string(),
        )])
    })?;
    if let Ok(c) = path.canonicalize() {
        chain.push(c);
    }
    let analyser = load_in_chain(&label, &text, path.parent(), chain)?;
    analyser.compile_all().map_err(|problems| {
        let locator = Locator::new(&label, &text);
        Diagnostics(problems.iter().map(|p| locator.locate(p)).collect())
    })?;
    Ok(analyser)
}

/// Parse, validate and compile rubric text; `label` names the file in diagnostics, and
/// an `extends` path is taken relative to the directory `label` names.
pub fn load_rubric_text(label: &str, text: &str) -> Result<Analyser, Diagnostics> {
    let mut chain: Vec<PathBuf> = Path::new(label).canonicalize().into_iter().collect();
    load_in_chain(label, text, Path::new(label).parent(), &mut chain)
}

/// A base rubric: its rules as loaded and its text, for the hash.
fn base_of(
    extends: &str,
    dir: Option<&Path>,
    chain: &mut Vec<PathBuf>,
) -> Result<(Rubric, String), Result<String, Diagnostics>> {
    if extends.is_empty() {
        return Err(Ok(
            "不能为空：写 \"default\" 继承内置规范，或写另一份规则文件的路径；expected `default` or a path".into(),
        ));
    }
    if extends == "default" {
        // Parsed, not compiled: the extending rubric compiles every pattern once, and
        // compiling the default's as well doubled a house rubric's load time.
        let mut d: Rubric = toml::from_str(DEFAULT_RUBRIC)
            .expect("the embedded default rubric is checked by the test suite");
        d.chain = vec!["默认".into()];
        return Ok((d, DEFAULT_RUBRIC.to_string()));
    }
    if chain.len() >= MAX_EXTENDS_DEPTH {
        return Err(Ok(crate::diag::extends_too_deep()));
    }
    let path = dir.unwrap_or(Path::new("")).join(extends);
    let Ok(canonical) = path.canonicalize() else {
        return Err(Ok(format!(
            "找不到要继承的规则文件「{}」（路径相对本文件所在目录）；用内置规范请写 extends = \"default\";no such file",
            clip(&path.display().to_string())
        )));
    };
    if let Some(i) = chain.iter().position(|c| *c == canonical) {
        return Err(Ok(crate::diag::extends_cycle(&chain[i..], &canonical)));
    }
    let base = load_file_in_chain(&path, chain).map_err(Err)?;
    chain.pop();
    Ok((base.rubric().clone(), base.source_text().to_string()))
}

fn load_in_chain(
    label: &str,
    text: &str,
    dir: Option<&Path>,
    chain: &mut Vec<PathBuf>,
) -> Result<Analyser, Diagnostics> {
    let locator = Locator::new(label, text);
    let (rubric, mut found) = crate::diag::parse_toml::<Rubric>(label, text)?;
    let base = match rubric.extends.as_deref().map(str::trim) {
        None => None,
        Some(e) => match base_of(e, dir, chain) {
            Ok(b) => Some(b),
            Err(Ok(msg)) => {
                found.push(locator.locate(&Problem::new(FieldPath::root().key("extends"), msg)));
                return Err(Diagnostics(found));
            }
            Err(Err(inner)) => {
                found.push(locator.locate(&Problem::new(
                    FieldPath::root().key("extends"),
                    "要继承的规则文件有错误（见下）；the rubric this one extends has problems",
                )));
                found.extend(inner.0);
                return Err(Diagnostics(found));
            }
        },
    };
    // Validation and compilation both run so that every problem is reported at once.
    let mut problems = validate(&rubric, base.as_ref().map(|b| &b.0));
    // By content: a `const` string need not have one address.
    let is_default = text.len() == DEFAULT_RUBRIC.len() && text == DEFAULT_RUBRIC;
    let (merged, source, base_len) = match base {
        None => {
            let mut r = rubric;
            let origin = |i: usize| {
                if is_default {
                    "默认".to_string()
                } else {
                    let d =
                        locator.locate(&Problem::new(FieldPath::root().key("rules").index(i), ""));
                    format!("{label}:{}", d.line)
                }
            };
            // Locating parses the file a second time: only for what a trainer wrote.
            if !is_default {
                for i in 0..r.rules.len() {
                    r.rules[i].origin = origin(i);
                }
            }
            r.chain = vec![if is_default {
                "默认".into()
            } else {
                label.to_string()
            }];
            examples_into(&mut r, label, &locator, &mut problems);
            (r, text.to_string(), 0)
        }
        Some((base, base_text)) => {
            let has_scoring = toml::from_str::<toml::Table>(text)
                .map(|t| t.contains_key("scoring"))
                .unwrap_or(true);
            let base_len = base.rules.len();
            let merged = merge(base, rubric, has_scoring, label, &locator, &mut problems);
            // The hash a transcript records covers the whole chain.
            (merged, format!("{base_text}\n#extends\n{text}"), base_len)
        }
    };
    let disabled_before = merged.rules.len();
    match Analyser::new(merged, crate::files::FileText::new(source)) {
        Ok(a) if problems.is_empty() && found.is_empty() => return Ok(a),
        Ok(_) => {}
        Err(p) => problems.extend(
            p.into_iter()
                .map(|p| own_rule_path(p, base_len, disabled_before)),
        ),
    }
    found.extend(problems.iter().map(|p| locator.locate(p)));
    Err(Diagnostics(found))
}

/// A problem of the merged rules at `rules[i]`, moved to the file's own `rules[i - n]`
/// (the base's rules come first and were checked when the base loaded).
fn own_rule_path(mut p: Problem, base_len: usize, _total: usize) -> Problem {
    use crate::diag::Seg;
    if let [Seg::Key(k), Seg::Index(i), ..] = p.field.0.as_mut_slice()
        && k == "rules"
    {
        *i = i.saturating_sub(base_len);
    }
    p
}

/// The file's own `[[examples]]`, as rules matched by similarity, appended to `r.rules`.
fn examples_into(r: &mut Rubric, label: &str, locator: &Locator<'_>, out: &mut Vec<Problem>) {
    let sets = std::mem::take(&mut r.examples);
    let mut total = 0;
    for (i, set) in sets.iter().enumerate() {
        let p = FieldPath::root().key("examples").index(i);
        let kind = kind_of_example(&set.act);
        let id = match &set.id {
            Some(id) => id.trim().to_string(),
            None => format!("house.{kind}.{}", i + 1),
        };
        if id.is_empty() {
            out.push(Problem::new(p.key("id"), "不能为空；expected a rule id"));
        } else if r.rules.iter().any(|x| x.id == id) {
            out.push(Problem::new(
                p.key("id"),
                format!(
                    "规则编号「{}」已经有了，换一个；rule ids must be unique",
                    clip(&id)
                ),
            ));
        }
        if set.text.is_empty() {
            out.push(Problem::new(
                p.key("text"),
                "至少写一句例句，如 text = [\"这个我们管不了\"];expected at least one example",
            ));
        }
        for (j, t) in set.text.iter().enumerate() {
            total += 1;
            let n = t.chars().filter(|c| c.is_alphanumeric()).count();
            if n < 2 {
                out.push(Problem::new(
                    p.key("text").index(j),
                    "例句太短，至少两个字；expected a sentence of two or more characters",
                ));
            } else if t.chars().count() > MAX_EXAMPLE_CHARS {
                out.push(Problem::new(
                    p.key("text").index(j),
                    format!("例句太长（最多 {MAX_EXAMPLE_CHARS} 个字），拆成几句；expected a shorter sentence"),
                ));
            }
        }
        if let Some(msg) = set.weight.and_then(points_problem) {
            out.push(Problem::new(p.key("weight"), msg));
        }
        let bad = polarity_of(r, &kind) == Some(Polarity::Bad);
        if bad && set.better.trim().is_empty() {
            out.push(Problem::new(
                p.key("better"),
                "坏做法的例句要写出更好的说法，如 better = \"我来帮您查\";add `better = \"……\"` so trainees learn what to say instead",
            ));
        }
        let line = locator.locate(&Problem::new(p.clone(), "")).line;
        let weight = set.weight.unwrap_or_else(|| usual_weight(&r.rules, &kind));
        r.rules.push(super::Rule {
            id,
            kind,
            patterns: Vec::new(),
            except: Vec::new(),
            weight,
            phrase: set.text.first().cloned().unwrap_or_default(),
            better: set.better.clone(),
            source: set.source.clone(),
            examples: set.text.clone(),
            origin: format!("{label}:{line}"),
        });
    }
    if total > MAX_EXAMPLES {
        out.push(Problem::new(
            FieldPath::root().key("examples"),
            format!("例句太多（{total} 句，最多 {MAX_EXAMPLES} 句）；too many examples"),
        ));
    }
    r.examples = sets;
}

/// What a hit of `kind` usually costs or earns in the rules already in force: a
/// house 禁语 taught by examples weighs what the deck's 禁语 weigh (10), not 1. The
/// commonest weight wins, the higher one on a tie; 1 for a kind with no rules yet.
fn usual_weight(rules: &[super::Rule], kind: &str) -> f64 {
    let mut counts: Vec<(f64, usize)> = Vec::new();
    for r in rules.iter().filter(|r| r.kind == kind) {
        match counts.iter_mut().find(|(w, _)| *w == r.weight) {
            Some((_, n)) => *n += 1,
            None => counts.push((r.weight, 1)),
        }
    }
    counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(a.0.total_cmp(&b.0)))
        .map_or(1.0, |(w, _)| w)
}

/// The kind an example set's `act` names: a kind id, or an act id of the reading
/// (`offer` is the kind `remedy`, `ask` is `ask_info`, …).
fn kind_of_example(act: &str) -> String {
    let act = act.trim();
    crate::reading::Act::ALL
        .iter()
        .find(|a| a.id() == act)
        .map_or_else(
            || act.to_string(),
            |a| super::kinds::kind_of_act(*a).to_string(),
        )
}

/// The base's rules with the file's changes: disabled rules out, overrides applied,
/// the file's own rules and examples added, kinds and defines merged; scoring is the
/// base's unless the file writes `[scoring]`.
fn merge(
    base: Rubric,
    mut own: Rubric,
    has_scoring: bool,
    label: &str,
    locator: &Locator<'_>,
    out: &mut Vec<Problem>,
) -> Rubric {
    let root = FieldPath::root();
    let at = |p: &FieldPath| locator.locate(&Problem::new(p.clone(), "")).line;
    let mut rules = base.rules;
    for r in &mut rules {
        if r.origin.is_empty() {
            r.origin = "默认".into();
        }
    }
    let base_ids: Vec<String> = rules.iter().map(|r| r.id.clone()).collect();
    let unknown = |id: &str| {
        format!(
            "没有编号为「{}」的规则{}；用 `peilian rubric show` 查看有哪些；no rule with this id",
            clip(id),
            crate::diag::nearest(id, base_ids.iter().map(String::as_str))
                .map(|n| format!("\u{FF08}是不是 `{n}`\u{FF1F}\u{FF09}"))
                .unwrap_or_default()
        )
    };
    for (i, id) in own.disable.iter().enumerate() {
        match rules.iter().position(|r| &r.id == id) {
            Some(k) => {
                rules.remove(k);
            }
            None => out.push(Problem::new(root.key("disable").index(i), unknown(id))),
        }
    }
    for (i, o) in own.overrides.iter().enumerate() {
        let p = root.key("override").index(i);
        let Some(rule) = rules.iter_mut().find(|r| r.id == o.id) else {
            let msg = if own.disable.contains(&o.id) {
                format!(
                    "规则「{}」已经停用了，不能再改；the rule is disabled",
                    clip(&o.id)
                )
            } else {
                unknown(&o.id)
            };
            out.push(Problem::new(p.key("id"), msg));
            continue;
        };
        if o.weight.is_none() && o.better.is_none() && o.phrase.is_none() && o.source.is_none() {
            out.push(Problem::new(
                p.clone(),
                "要改什么？写 weight、better、phrase 或 source 中的至少一项；expected a field to change",
            ));
        }
        if let Some(w) = o.weight {
            match points_problem(w) {
                Some(msg) => out.push(Problem::new(p.key("weight"), msg)),
                None => rule.weight = w,
            }
        }
        if let Some(b) = &o.better {
            rule.better = b.clone();
        }
        if let Some(ph) = &o.phrase {
            rule.phrase = ph.clone();
        }
        if let Some(src) = &o.source {
            rule.source = src.clone();
        }
        rule.origin = format!("{}；改于 {label}:{}", rule.origin, at(&p));
    }
    for (i, r) in own.rules.iter_mut().enumerate() {
        let p = root.key("rules").index(i);
        if base_ids.contains(&r.id) {
            out.push(Problem::new(
                p.key("id"),
                format!(
                    "继承来的规则里已经有「{0}」；要改它写 [[override]] id = \"{0}\"，要换掉它先 disable;rule ids must be unique",
                    clip(&r.id)
                ),
            ));
        }
        r.origin = format!("{label}:{}", at(&p));
    }
    rules.append(&mut own.rules);
    let mut kinds = base.kinds;
    kinds.append(&mut own.kinds);
    let mut defines = base.defines;
    defines.append(&mut own.defines);
    let mut disable = base.disable;
    disable.extend(own.disable.iter().cloned());
    let mut chain = base.chain;
    chain.push(label.to_string());
    let mut merged = Rubric {
        extends: own.extends,
        id: own.id,
        name: own.name,
        version: own.version,
        description: own.description,
        defines,
        kinds,
        examples: own.examples,
        overrides: own.overrides,
        disable,
        rules,
        scoring: if has_scoring {
            own.scoring
        } else {
            base.scoring
        },
        chain,
    };
    examples_into(&mut merged, label, locator, out);
    merged
}

/// Checks that need no compiled patterns; pattern syntax is checked while compiling.
fn validate(r: &Rubric, base: Option<&Rubric>) -> Vec<Problem> {
    let root = FieldPath::root();
    let mut out = Vec::new();
    if r.id.trim().is_empty() {
        out.push(Problem::new(
            root.key("id"),
            "不能为空；expected a non-empty id",
        ));
    }
    if r.name.trim().is_empty() {
        out.push(Problem::new(
            root.key("name"),
            "不能为空；expected a non-empty name",
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
    known.extend(base.iter().flat_map(|b| b.kinds.keys().map(String::as_str)));
    let produced = |id: &str| {
        r.rules.iter().any(|rule| rule.kind == id)
            || r.examples.iter().any(|e| kind_of_example(&e.act) == id)
            || base.is_some_and(|b| b.rules.iter().any(|rule| rule.kind == id))
    };
    for (id, def) in &r.kinds {
        let p = root.key("kinds").key(id);
        if let Some(b) = BUILTIN_KINDS.iter().find(|k| k.0 == id.as_str())
            && b.2 != def.polarity
        {
            out.push(Problem::new(
                p.key("polarity"),
                format!(
                    "内置类型「{id}」的好坏不能改（它是 {}）；a built-in kind keeps its polarity",
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
                "不能为空；expected a Chinese label",
            ));
        }
        known.insert(id);
    }
    for id in r.kinds.keys() {
        let builtin = BUILTIN_KINDS.iter().any(|k| k.0 == id.as_str());
        if !builtin && is_ident(id) && !produced(id) {
            out.push(Problem::new(
                root.key("kinds").key(id),
                format!(
                    "声明了信号类型「{id}」，却没有一条规则产生它，学员说什么都触发不了；加几句 act = \"{id}\" 的 [[examples]]，或一条 kind = \"{id}\" 的 [[rules]];expected examples or a rule of this kind"
                ),
            ));
        }
    }
    for (i, e) in r.examples.iter().enumerate() {
        let kind = kind_of_example(&e.act);
        if !known.contains(kind.as_str()) {
            out.push(Problem::new(
                root.key("examples").index(i).key("act"),
                format!(
                    "不认识的行为「{}」{}；expected one of {} (or declare it under [kinds])",
                    clip(&e.act),
                    crate::diag::nearest(&e.act, known.iter().copied())
                        .map(|n| format!("\u{FF0C}是不是 `{n}`\u{FF1F}"))
                        .unwrap_or_default(),
                    known.iter().copied().collect::<Vec<_>>().join(", ")
                ),
            ));
        }
    }
    if r.rules.is_empty() && base.is_none() && r.examples.is_empty() {
        out.push(Problem::new(
            root.key("rules"),
            "至少要有一条规则；expected at least one [[rules]]",
        ));
    }
    let mut seen = HashSet::new();
    for (i, rule) in r.rules.iter().enumerate() {
        let p = root.key("rules").index(i);
        if rule.id.trim().is_empty() {
            out.push(Problem::new(p.key("id"), "不能为空；expected a rule id"));
        } else if !seen.insert(rule.id.as_str()) {
            out.push(Problem::new(
                p.key("id"),
                format!(
                    "规则编号「{}」重复；rule ids must be unique",
                    clip(&rule.id)
                ),
            ));
        }
        if !known.contains(rule.kind.as_str()) {
            out.push(Problem::new(
                p.key("kind"),
                format!(
                    "未知的信号类型「{}」{}；expected one of {} (or declare it under [kinds])",
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
                "至少要有一个模式；expected at least one pattern",
            ));
        }
        if let Some(msg) = points_problem(rule.weight) {
            out.push(Problem::new(p.key("weight"), msg));
        }
        let bad = polarity_of(r, &rule.kind)
            .or_else(|| base.and_then(|b| polarity_of(b, &rule.kind)))
            == Some(Polarity::Bad);
        if bad && rule.better.trim().is_empty() {
            out.push(Problem::new(
                p.key("better"),
                "负面规则必须给出更好的说法；add `better = \"……\"` so trainees learn what to say instead",
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
    if !(0.0..=1.0).contains(&s.compliance_needs_process) {
        out.push(Problem::new(
            p.key("compliance_needs_process"),
            format!(
                "应在 0 到 1 之间（现在是 {}）；expected a share between 0 and 1",
                s.compliance_needs_process
            ),
        ));
    }
    if s.grades.is_empty() {
        out.push(Problem::new(
            p.key("grades"),
            "至少要有一个等级；expected at least one grade",
        ));
    }
    for (i, g) in s.grades.iter().enumerate() {
        let gp = p.key("grades").index(i);
        if !(g.min.is_finite() && (0.0..=100.0).contains(&g.min)) {
            out.push(Problem::new(
                gp.key("min"),
                format!(
                    "分数线要在 0 到 100 之间（现在是 {}）；expected 0–100",
                    shown(g.min)
                ),
            ));
        }
        if i > 0 && g.min >= s.grades[i - 1].min {
            out.push(Problem::new(
                gp.key("min"),
                "等级要从高到低排列，分数线一个比一个低；expected grades best first, each below the one before",
            ));
        }
        if g.name.trim().is_empty() {
            out.push(Problem::new(
                gp.key("name"),
                "不能为空；expected a grade name",
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
                    "「{}」不是任何一个等级的名字（有：{}）；expected one of the grade names, or \"\" for no cap",
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
        format!("要写一个 0 到 {MAX_POINTS} 之间的数（现在是 {shown}）；expected a finite number from 0 to {MAX_POINTS}")
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

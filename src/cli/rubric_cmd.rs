//! `peilian rubric …`: checking rule files a trainer writes.

use std::io::{self, Write};
use std::path::PathBuf;

use crate::diag::Diagnostic;
use crate::rubric;
use crate::ui;

pub(super) fn validate(paths: &[PathBuf], json: bool) -> anyhow::Result<u8> {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for p in paths {
        // The file's every automaton is built: sessions build them lazily, a trainer
        // wants to know now.
        match rubric::load_rubric_file(p) {
            Ok(a) => files.push(serde_json::json!({
                "file": p.display().to_string(), "ok": true, "id": a.rubric().id,
                "name": a.rubric().name, "rules": a.rubric().rules.len(),
            })),
            Err(d) => {
                files.push(serde_json::json!({"file": p.display().to_string(), "ok": false}));
                problems.extend(d.0);
            }
        }
    }
    if json {
        let doc = serde_json::json!({"ok": problems.is_empty(), "files": files,
                                     "problems": super::problems_json(&problems)});
        writeln!(
            io::stdout().lock(),
            "{}",
            serde_json::to_string_pretty(&doc)?
        )?;
    } else {
        write_validation(&files, &problems)?;
    }
    Ok(u8::from(!problems.is_empty()))
}

fn write_validation(files: &[serde_json::Value], problems: &[Diagnostic]) -> io::Result<()> {
    let mut out = io::stdout().lock();
    let mut err = io::stderr().lock();
    for f in files.iter().filter(|f| f["ok"] == true) {
        let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
        writeln!(
            out,
            "✓ {}: {}（{}），{} 条规则",
            s("file"),
            ui::sanitize(&s("name")),
            s("id"),
            f["rules"]
        )?;
    }
    for x in problems {
        writeln!(err, "{}", ui::sanitize(&x.to_string()))?;
    }
    if !problems.is_empty() {
        writeln!(err, "\n共 {} 个问题。", problems.len())?;
    }
    Ok(())
}

pub(super) fn calibrate(
    ctx: &super::Context,
    dir: &std::path::Path,
    json: bool,
) -> anyhow::Result<u8> {
    use crate::calibrate::{self, Sample};

    let analyser = ctx.analyser()?;
    let catalog = ctx.catalog(analyser)?;
    let files =
        calibrate::samples(dir).map_err(|e| anyhow::anyhow!("无法读取 {}: {e}", dir.display()))?;
    if files.is_empty() {
        anyhow::bail!(
            "{} 下没有样例：请建 great/、average/、poor/（或 优秀/、一般/、差/）子目录，放入对话记录 .jsonl",
            dir.display()
        );
    }
    let mut err = io::stderr().lock();
    let mut scored = Vec::new();
    let mut skipped = Vec::new();
    for (label, path) in files {
        match super::score_cmd::score_file(&path, &catalog, analyser) {
            Ok(card) => scored.push(Sample {
                label,
                path,
                total: card.total,
            }),
            Err(e) => {
                writeln!(err, "跳过 {}: {e:#}", path.display())?;
                skipped.push(serde_json::json!({"file": path.display().to_string(),
                                                "reason": format!("{e:#}")}));
            }
        }
    }
    let (stats, inversions) = calibrate::check(&scored);
    if json {
        let sample = |s: &Sample| serde_json::json!({"label": s.label, "file": s.path.display().to_string(), "total": s.total});
        let doc = serde_json::json!({
            "ok": inversions.is_empty(),
            "rubric": {"id": analyser.rubric().id, "version": analyser.rubric().version},
            "labels": stats.iter().map(|s| serde_json::json!({"label": s.label, "count": s.count,
                "mean": s.mean, "min": s.min, "max": s.max})).collect::<Vec<_>>(),
            "inversions": inversions.iter().map(|i| serde_json::json!({"better": sample(&i.better),
                "worse": sample(&i.worse)})).collect::<Vec<_>>(),
            "skipped": skipped,
        });
        writeln!(
            io::stdout().lock(),
            "{}",
            serde_json::to_string_pretty(&doc)?
        )?;
        return Ok(u8::from(!inversions.is_empty()));
    }
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "规则 {} v{} 的校准结果：\n",
        analyser.rubric().id,
        analyser.rubric().version
    )?;
    writeln!(out, "标签  份数    平均    最低    最高")?;
    for s in &stats {
        let label = calibrate::label_zh(s.label);
        writeln!(
            out,
            "{label}{}  {:>4}  {:>6.1}  {:>6.1}  {:>6.1}",
            " ".repeat(4usize.saturating_sub(ui::width(label))),
            s.count,
            s.mean,
            s.min,
            s.max
        )?;
    }
    let means_ordered = stats.windows(2).all(|w| w[0].mean > w[1].mean);
    if inversions.is_empty() {
        writeln!(
            out,
            "\n✓ 排序正确：每一份“优秀”都高于每一份“一般”，每一份“一般”都高于每一份“差”。"
        )?;
        return Ok(0);
    }
    writeln!(
        out,
        "\n✗ 有 {} 对样例顺序颠倒{}：",
        inversions.len(),
        if means_ordered {
            "（平均分的顺序是对的）"
        } else {
            "（连平均分的顺序都不对）"
        }
    )?;
    for inv in inversions.iter().take(20) {
        writeln!(
            out,
            "  {} {}（{:.1}分）≤ {} {}（{:.1}分）",
            calibrate::label_zh(inv.better.label),
            inv.better.path.display(),
            inv.better.total,
            calibrate::label_zh(inv.worse.label),
            inv.worse.path.display(),
            inv.worse.total
        )?;
    }
    if inversions.len() > 20 {
        writeln!(out, "  ……还有 {} 对", inversions.len() - 20)?;
    }
    writeln!(
        out,
        "\n用 `peilian score --format md` 查看这些样例各维度的得分，调整规则的 weight 或 [scoring.weights]。"
    )?;
    Ok(1)
}

/// `peilian rubric evaluate`: the act model's precision and recall on labelled lines,
/// or, without files, the k-fold cross-validation table of its training examples.
pub(super) fn evaluate(files: &[PathBuf], show_errors: bool, json: bool) -> anyhow::Result<u8> {
    use crate::reading::{self, Evaluation};
    use anyhow::Context as _;

    let reader = reading::default_reader();
    let ev = if files.is_empty() {
        Evaluation::from_counts(&reading::default_cv())
    } else {
        let mut examples = Vec::new();
        let mut bad = Vec::new();
        for f in files {
            let text = crate::files::read_text_file(f)
                .with_context(|| format!("读不了标注文件 {}", f.display()))?;
            match reading::train::parse_examples(
                &text,
                &f.display().to_string(),
                &reading::act::is_known_label,
            ) {
                Ok(mut e) => examples.append(&mut e),
                Err(mut e) => bad.append(&mut e),
            }
        }
        if !bad.is_empty() {
            let mut err = io::stderr().lock();
            for e in &bad {
                writeln!(err, "{}:{}: {}", e.file, e.line, ui::sanitize(&e.message))?;
            }
            return Ok(1);
        }
        reading::evaluate(reader, &examples)
    };
    let mut out = io::stdout().lock();
    if json {
        let acts: Vec<serde_json::Value> = ev
            .per_act
            .iter()
            .map(|(a, c)| {
                serde_json::json!({
                    "act": a.id(), "label": a.label(), "tp": c.tp, "fp": c.fp, "fn": c.fn_,
                    "precision": c.precision(), "recall": c.recall(), "f1": c.f1(),
                })
            })
            .collect();
        let m = ev.micro();
        let v = serde_json::json!({
            "lines": ev.lines,
            "acts": acts,
            "micro": {"precision": m.precision(), "recall": m.recall(), "f1": m.f1()},
            "forbidden_id": {"right": ev.forbidden_id_right, "total": ev.forbidden_id_total},
        });
        writeln!(out, "{v}")?;
    } else {
        write!(out, "{}", ev.table())?;
        if show_errors {
            for (t, want, got) in &ev.errors {
                writeln!(
                    out,
                    "{}\t标注 {}\t读出 {}",
                    ui::sanitize(t),
                    want.join(","),
                    got.join(",")
                )?;
            }
        }
    }
    Ok(0)
}

/// `peilian rubric show`: the rubric in force, and where each part came from.
pub(super) fn show(
    ctx: &super::Context,
    path: Option<&std::path::Path>,
    json: bool,
) -> anyhow::Result<u8> {
    let loaded;
    let a = match path {
        Some(p) => {
            loaded = rubric::load_rubric_file(p)
                .map_err(|d| anyhow::anyhow!("规则文件有错误：\n{d}"))?;
            &loaded
        }
        None => ctx.analyser()?,
    };
    let r = a.rubric();
    // The default's rules are located only here: every process loads the default, few
    // ask where its rules stand.
    let origin = |x: &rubric::Rule| {
        if !x.origin.is_empty() && x.origin != "默认" {
            return x.origin.clone();
        }
        let needle = format!("id = \"{}\"", x.id);
        match rubric::DEFAULT_RUBRIC.find(&needle) {
            Some(at) => format!(
                "默认 rubrics/default.toml:{}",
                rubric::DEFAULT_RUBRIC[..at].matches('\n').count() + 1
            ),
            None => "默认".to_string(),
        }
    };
    if json {
        let rules: Vec<serde_json::Value> = r
            .rules
            .iter()
            .map(|x| {
                serde_json::json!({"id": x.id, "kind": x.kind, "weight": x.weight,
                    "phrase": x.phrase, "better": x.better, "source": x.source,
                    "examples": x.examples, "patterns": x.patterns.len(),
                    "origin": origin(x)})
            })
            .collect();
        let kinds: Vec<serde_json::Value> = a
            .kinds()
            .iter()
            .map(|k| {
                serde_json::json!({"id": k.id, "label": k.label,
                "good": k.polarity == rubric::Polarity::Good})
            })
            .collect();
        let doc = serde_json::json!({"id": r.id, "name": r.name, "version": r.version,
            "hash": a.hash(), "chain": r.chain, "disabled": r.disable, "kinds": kinds,
            "rules": rules, "scoring": r.scoring});
        super::print_json(&doc)?;
        return Ok(0);
    }
    let mut out = io::stdout().lock();
    let s = ui::sanitize;
    writeln!(out, "{}（{}）第 {} 版", s(&r.name), s(&r.id), r.version)?;
    writeln!(out, "继承：{}", s(&r.chain.join(" → ")))?;
    if !r.disable.is_empty() {
        writeln!(out, "停用：{}", s(&r.disable.join("、")))?;
    }
    let w = &r.scoring.weights;
    writeln!(
        out,
        "满分：禁语 {} · 共情 {} · 道歉 {} · 流程 {} · 服务用语 {} · 客户要点 {} · 结果 {}",
        w.compliance, w.empathy, w.apology, w.process, w.courtesy, w.persona, w.outcome
    )?;
    for k in a.kinds() {
        let rules: Vec<&rubric::Rule> = r.rules.iter().filter(|x| x.kind == k.id).collect();
        if rules.is_empty() {
            continue;
        }
        let mark = if k.polarity == rubric::Polarity::Good {
            "✓"
        } else {
            "✗"
        };
        writeln!(out, "\n{mark} {}（{}）{} 条", k.label, k.id, rules.len())?;
        for x in rules {
            let how = if x.examples.is_empty() {
                format!("{} 个正则", x.patterns.len())
            } else {
                format!("{} 句例句", x.examples.len())
            };
            let phrase = if x.phrase.is_empty() {
                String::new()
            } else {
                format!(" 「{}」", s(&x.phrase))
            };
            writeln!(
                out,
                "  {}{phrase} 分值 {} · {how} · 来自 {}",
                s(&x.id),
                x.weight,
                s(&origin(x))
            )?;
            for e in &x.examples {
                writeln!(out, "      例句：{}", s(e))?;
            }
        }
    }
    Ok(0)
}

/// `peilian rubric new`: a starter that extends the default, with the schema beside it.
pub(super) fn new(id: &str, dir: &std::path::Path, force: bool) -> anyhow::Result<u8> {
    super::Starter {
        what: "rubric",
        template: rubric::STARTER,
        schema: super::rubric_schema,
        example_id: "my-shop",
    }
    .write(id, dir, force)
}

/// `peilian rubric try`: how each line reads, and what decided each signal.
pub(super) fn try_lines(ctx: &super::Context, lines: &[String], json: bool) -> anyhow::Result<u8> {
    let a = ctx.analyser()?;
    let from_stdin;
    let lines: &[String] = if lines.is_empty() {
        from_stdin = io::stdin()
            .lines()
            .take(10_000)
            .collect::<io::Result<Vec<String>>>()?;
        &from_stdin
    } else {
        lines
    };
    let mut out = io::stdout().lock();
    for line in lines.iter().filter(|l| !l.trim().is_empty()) {
        let line: String = line.chars().take(crate::session::MAX_TURN_CHARS).collect();
        let why = a.explain_line(&line);
        if json {
            writeln!(out, "{}", serde_json::to_string(&why)?)?;
            continue;
        }
        write_why(&mut out, &why)?;
    }
    Ok(0)
}

/// One explained line for the terminal; `indent` for nesting under a self-check.
pub(super) fn write_why(out: &mut impl Write, why: &rubric::LineWhy) -> io::Result<()> {
    write_why_indented(out, why, "")
}

pub(super) fn write_why_indented(
    out: &mut impl Write,
    why: &rubric::LineWhy,
    indent: &str,
) -> io::Result<()> {
    let s = ui::sanitize;
    writeln!(out, "{indent}「{}」", s(&why.text))?;
    let clauses: Vec<String> = why
        .clauses
        .iter()
        .map(|c| format!("「{}」", s(c)))
        .collect();
    writeln!(out, "{indent}  分句：{}", clauses.join(" "))?;
    if why.signals.is_empty() {
        writeln!(out, "{indent}  （没有读出任何行为）")?;
    }
    for x in &why.signals {
        let mark = if x.good { "✓" } else { "✗" };
        writeln!(
            out,
            "{indent}  {mark} {}（{}）「{}」 规则 {}（{}）",
            x.label,
            x.kind,
            s(&x.quote),
            s(&x.rule),
            s(&x.origin)
        )?;
        writeln!(out, "{indent}      依据：{}", s(&x.decided_by.describe()))?;
        if !x.good && !x.better.is_empty() {
            writeln!(out, "{indent}      更好的说法：{}", s(&x.better))?;
        }
    }
    Ok(())
}

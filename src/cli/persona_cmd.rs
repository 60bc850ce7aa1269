//! `peilian persona …`: what a trainer uses to browse, write and check customer files.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::bail;
use serde_json::json;

use super::{Context, PersonaCmd};
use crate::diag::Diagnostic;
use crate::persona::{self, Entry, LEVELS, Persona};
use crate::selfcheck::CheckResult;
use crate::ui::{self, Style};

/// The commented starter file `persona new` writes; `{id}` is replaced.
const STARTER: &str = include_str!("../persona/starter.toml");

pub(super) fn run(ctx: &Context, cmd: PersonaCmd) -> anyhow::Result<u8> {
    match cmd {
        PersonaCmd::List { json } => list(ctx, json),
        PersonaCmd::Show { id, json, reveal } => show(ctx, &id, json, reveal),
        PersonaCmd::Validate { paths, json } => validate(ctx, &paths, json),
        PersonaCmd::New { id, dir, force } => new(&id, &dir, force),
        PersonaCmd::Test {
            targets,
            verbose,
            json,
        } => test(ctx, &targets, verbose, json),
    }
}

fn list(ctx: &Context, json: bool) -> anyhow::Result<u8> {
    let rubric = ctx.analyser()?;
    let catalog = ctx.catalog(rubric)?;
    let mut out = io::stdout().lock();
    if json {
        let arr: Vec<_> = catalog.entries().iter().map(summary_json).collect();
        writeln!(out, "{}", serde_json::to_string_pretty(&arr)?)?;
        return Ok(0);
    }
    write_table(&mut out, catalog.entries())?;
    Ok(0)
}

fn write_table(out: &mut impl Write, entries: &[Entry]) -> io::Result<()> {
    let rows: Vec<[String; 4]> = entries
        .iter()
        .map(|e| {
            let p = &e.persona;
            [
                p.id.clone(),
                ui::sanitize(&p.name).into_owned(),
                p.scenarios.len().to_string(),
                ui::sanitize(&p.summary).into_owned(),
            ]
        })
        .collect();
    let header = ["编号", "名称", "场景数", "简介"];
    let mut widths = header.map(ui::width);
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(ui::width(c));
        }
    }
    let line = |out: &mut dyn Write, cells: [&str; 4]| -> io::Result<()> {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            s.push_str(c);
            if i < 3 {
                s.push_str(&" ".repeat(widths[i] - ui::width(c) + 2));
            }
        }
        writeln!(out, "{}", s.trim_end())
    };
    line(out, header)?;
    for r in &rows {
        line(out, [&r[0], &r[1], &r[2], &r[3]])?;
    }
    writeln!(
        out,
        "\n难度：{}。用 `peilian persona show 编号` 查看详情。",
        LEVELS.join(" / ")
    )
}

fn summary_json(e: &Entry) -> serde_json::Value {
    let p = &e.persona;
    json!({
        "id": p.id,
        "name": p.name,
        "aliases": p.aliases,
        "summary": p.summary,
        "scenarios": p.scenarios.iter().map(|s| json!({"id": s.id, "title": s.title, "industry": s.industry})).collect::<Vec<_>>(),
        "difficulties": LEVELS,
        "builtin": e.source.builtin,
        "file": e.source.file,
    })
}

fn show(ctx: &Context, id: &str, json: bool, reveal: bool) -> anyhow::Result<u8> {
    let rubric = ctx.analyser()?;
    let catalog = ctx.catalog(rubric)?;
    let Some(entry) = catalog.find(id) else {
        bail!(catalog.not_found(id));
    };
    let p = &entry.persona;
    let mut out = io::stdout().lock();
    if json {
        let mut v = summary_json(entry);
        v["traits"] = json!(p.traits);
        v["advice"] = json!(p.advice);
        v["scenarios"] = json!(
            p.scenarios
                .iter()
                .map(|s| {
                    let mut o = json!({"id": s.id, "title": s.title, "industry": s.industry, "brief": s.brief, "product": s.product});
                    let policy = s.policy.for_trainees();
                    if !reveal && !policy.is_empty() {
                        o["policy"] = json!({ "summary": policy });
                    }
                    if reveal {
                        o["demand"] = json!(s.demand);
                        o["facts"] = json!(s.facts);
                        o["remedies"] = json!(s.remedies);
                        o["policy"] = json!(s.policy);
                    }
                    o
                })
                .collect::<Vec<_>>()
        );
        if reveal {
            v["mood"] = json!(p.mood);
            v["needs"] = json!(p.needs);
        }
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        return Ok(0);
    }
    write_persona(&mut out, p, reveal, Style::stdout())?;
    Ok(0)
}

fn write_persona(out: &mut impl Write, p: &Persona, reveal: bool, st: Style) -> io::Result<()> {
    let s = |t: &str| ui::sanitize(t).into_owned();
    writeln!(out, "{}  ({})", st.bold(&s(&p.name)), p.id)?;
    if !p.aliases.is_empty() {
        writeln!(out, "别名：{}", s(&p.aliases.join("、")))?;
    }
    writeln!(out, "{}\n", s(&p.summary))?;
    writeln!(out, "{}", st.bold("特征"))?;
    for t in &p.traits {
        writeln!(out, "  • {}", s(t))?;
    }
    writeln!(out, "{}", st.bold("建议"))?;
    for t in &p.advice {
        writeln!(out, "  • {}", s(t))?;
    }
    writeln!(out, "\n{}", st.bold("场景"))?;
    for sc in &p.scenarios {
        writeln!(out, "  {}  {}〔{}〕", sc.id, s(&sc.title), s(&sc.industry))?;
        writeln!(out, "      {}", s(&sc.brief))?;
        // What the practice brief tells the trainee: an agent in that job knows the
        // company's policy and the law; the customer's facts and needs stay hidden.
        let policy = sc.policy.for_trainees();
        if !reveal && !policy.is_empty() {
            writeln!(out, "      政策与法规：{}", s(&policy))?;
        }
        if reveal {
            writeln!(out, "      诉求：{}", s(&sc.demand))?;
            for f in &sc.facts {
                writeln!(out, "      事实 {}：{}", s(&f.label), s(&f.answer))?;
            }
            for r in &sc.remedies {
                let verdict = if r.accept {
                    st.good("可接受")
                } else {
                    st.bad("会拒绝")
                };
                writeln!(
                    out,
                    "      方案 {}：{}  {}",
                    s(&r.label),
                    verdict,
                    s(&r.reason)
                )?;
            }
            writeln!(out, "      政策：{}", s(&sc.policy.summary))?;
        }
    }
    if reveal {
        writeln!(out, "\n{}", st.bold("情绪与需求"))?;
        let m = &p.mood;
        writeln!(
            out,
            "  开场愤怒 {} · 信任 {} · 走人线 {} · 接受方案需愤怒 ≤ {} · 耐心 {} 轮",
            m.anger, m.trust, m.walk_out_at, m.accept_below, m.patience
        )?;
        for (i, n) in p.needs.iter().enumerate() {
            writeln!(out, "  {}. {}", i + 1, s(&n.label))?;
        }
    } else {
        writeln!(
            out,
            "\n{}",
            st.dim("（隐藏的事实、方案和需求用 --reveal 查看）")
        )?;
    }
    Ok(())
}

/// The files to validate: files as given, directories expanded to their `*.toml`;
/// and the `*.toml` entries of those directories that are not files.
fn expand_paths(paths: &[PathBuf]) -> Result<(Vec<PathBuf>, Vec<Diagnostic>), Vec<Diagnostic>> {
    let mut files = Vec::new();
    let mut not_files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let (f, n) = persona::toml_files(p).map_err(|d| d.0)?;
            files.extend(f);
            not_files.extend(n);
        } else {
            files.push(p.clone());
        }
    }
    Ok((files, not_files))
}

/// What `persona validate` found: each file loaded, and every problem.
struct Validation {
    loaded: Vec<(PathBuf, Entry)>,
    failed: Vec<PathBuf>,
    problems: Vec<Diagnostic>,
}

fn validate(ctx: &Context, paths: &[PathBuf], json: bool) -> anyhow::Result<u8> {
    let rubric = ctx.analyser()?;
    let v = match expand_paths(paths) {
        Err(d) => Validation {
            loaded: Vec::new(),
            failed: Vec::new(),
            problems: d,
        },
        Ok((files, not_files)) => check_files(&files, not_files, rubric),
    };
    let nothing = v.loaded.is_empty() && v.failed.is_empty() && v.problems.is_empty();
    if json {
        write_validation_json(&v)?;
    } else {
        write_validation(&v, nothing)?;
    }
    Ok(u8::from(nothing || !v.problems.is_empty()))
}

fn check_files(
    files: &[PathBuf],
    not_files: Vec<Diagnostic>,
    rubric: &crate::rubric::Analyser,
) -> Validation {
    let mut v = Validation {
        loaded: Vec::new(),
        failed: Vec::new(),
        problems: not_files,
    };
    for f in files {
        match persona::load_persona_file(f, rubric) {
            Ok(e) => v.loaded.push((f.clone(), e)),
            Err(d) => {
                v.failed.push(f.clone());
                v.problems.extend(d.0);
            }
        }
    }
    let entries: Vec<Entry> = v.loaded.iter().map(|(_, e)| e.clone()).collect();
    v.problems.extend(persona::duplicate_ids(&entries, &[]));
    v
}

fn write_validation(v: &Validation, nothing: bool) -> io::Result<()> {
    let mut out = io::stdout().lock();
    let mut err = io::stderr().lock();
    for (f, e) in &v.loaded {
        writeln!(
            out,
            "✓ {}: {}（{}），{} 个场景，{} 条自检",
            f.display(),
            ui::sanitize(&e.persona.name),
            e.persona.id,
            e.persona.scenarios.len(),
            e.persona.checks.len()
        )?;
    }
    for d in &v.problems {
        writeln!(err, "{}", ui::sanitize(&d.to_string()))?;
    }
    if nothing {
        writeln!(err, "没有找到 .toml 文件")?;
    } else if !v.problems.is_empty() {
        writeln!(err, "\n共 {} 个问题。", v.problems.len())?;
    }
    Ok(())
}

/// `{"ok", "files": [{"file", "ok", "id", "name", "scenarios", "checks"}], "problems": [...]}`.
fn write_validation_json(v: &Validation) -> anyhow::Result<()> {
    let mut files: Vec<serde_json::Value> = v
        .loaded
        .iter()
        .map(|(f, e)| {
            json!({"file": f.display().to_string(), "ok": true, "id": e.persona.id,
                   "name": e.persona.name, "scenarios": e.persona.scenarios.len(),
                   "checks": e.persona.checks.len()})
        })
        .collect();
    files.extend(
        v.failed
            .iter()
            .map(|f| json!({"file": f.display().to_string(), "ok": false})),
    );
    let ok = v.problems.is_empty() && !files.is_empty();
    let doc = json!({"ok": ok, "files": files, "problems": super::problems_json(&v.problems)});
    super::print_json(&doc)?;
    Ok(())
}

fn new(id: &str, dir: &Path, force: bool) -> anyhow::Result<u8> {
    super::Starter {
        what: "persona",
        template: STARTER,
        schema: super::persona_schema,
        example_id: "angry-parent",
    }
    .write(id, dir, force)
}

fn test(ctx: &Context, targets: &[String], verbose: bool, json: bool) -> anyhow::Result<u8> {
    let rubric = ctx.analyser()?;
    let catalog = ctx.catalog(rubric)?;
    let mut entries: Vec<Entry> = Vec::new();
    if targets.is_empty() {
        entries.extend(catalog.entries().iter().cloned());
    }
    for t in targets {
        let path = Path::new(t);
        if path.exists() {
            let (files, not_files) = expand_paths(&[path.to_path_buf()])
                .map_err(|d| anyhow::anyhow!(crate::diag::Diagnostics(d)))?;
            if !not_files.is_empty() {
                anyhow::bail!(crate::diag::Diagnostics(not_files));
            }
            for f in files {
                entries.push(
                    persona::load_persona_file(&f, rubric)
                        .map_err(|d| anyhow::anyhow!("客户画像有错误：\n{d}"))?,
                );
            }
        } else {
            let e = catalog
                .find(t)
                .ok_or_else(|| anyhow::anyhow!(catalog.not_found(t)))?;
            entries.push(e.clone());
        }
    }
    let results: Vec<(&Entry, Vec<CheckResult>)> = entries
        .iter()
        .map(|e| (e, crate::selfcheck::run_all(e, rubric)))
        .collect();
    let failed = results
        .iter()
        .flat_map(|(_, r)| r)
        .filter(|r| !r.passed)
        .count();
    if json {
        write_checks_json(&results)?;
    } else {
        write_checks(&results, verbose)?;
    }
    Ok(u8::from(failed > 0))
}

fn write_checks(results: &[(&Entry, Vec<CheckResult>)], verbose: bool) -> io::Result<()> {
    let st = Style::stdout();
    let mut out = io::stdout().lock();
    let (mut passed, mut failed) = (0, 0);
    for (e, checks) in results {
        if e.persona.checks.is_empty() {
            writeln!(
                out,
                "{} {}: 没有自检；add [[checks]] to {}",
                st.dim("-"),
                e.persona.id,
                e.source.file
            )?;
        }
        for r in checks {
            let got = r.outcome.map_or("未结束", |o| o.label());
            let mark = if r.passed {
                st.good("✓")
            } else {
                st.bad("✗")
            };
            writeln!(
                out,
                "{mark} {}/{} [{}] {} — 期望{}，结果{got}；愤怒 {}",
                r.persona,
                r.scenario,
                r.difficulty,
                ui::sanitize(&r.name),
                r.expect.label(),
                angers(r)
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("→")
            )?;
            if r.passed {
                passed += 1;
            } else {
                failed += 1;
                if let Some(f) = &r.failure {
                    write_failure(&mut out, f)?;
                }
                if verbose {
                    for (i, n) in r.notes.iter().enumerate() {
                        writeln!(out, "      {}. {n}", i + 1)?;
                    }
                }
            }
        }
    }
    writeln!(out, "\n{passed} passed, {failed} failed")
}

/// Why a check failed: the turn, how its line read, what the customer still waited for.
fn write_failure(out: &mut impl Write, f: &crate::selfcheck::Failure) -> io::Result<()> {
    writeln!(
        out,
        "    第 {} 轮出了岔子：{}（愤怒 {}→{}）{}",
        f.turn,
        f.reason,
        f.anger_before,
        f.anger_after,
        if f.events.is_empty() {
            String::new()
        } else {
            format!("\u{FF0C}事件：{}", f.events.join("、"))
        }
    )?;
    super::rubric_cmd::write_why_indented(out, &f.reading, "    ")?;
    if f.waiting_for.is_empty() {
        writeln!(out, "    客户的需求都已满足。")?;
    } else {
        writeln!(out, "    客户还在等：")?;
        for w in &f.waiting_for {
            let tip = if w.tip.is_empty() {
                String::new()
            } else {
                let tip = ui::sanitize(&w.tip);
                if tip.starts_with('\u{300C}') {
                    format!("——可以说{tip}")
                } else {
                    format!("——可以说「{tip}」")
                }
            };
            writeln!(out, "      · {}（{}）{tip}", ui::sanitize(&w.label), w.id)?;
        }
    }
    Ok(())
}

/// Anger at the start and after each turn.
fn angers(r: &CheckResult) -> Vec<i32> {
    std::iter::once(r.initial_anger)
        .chain(r.angers.iter().copied())
        .collect()
}

/// `{"ok", "passed", "failed", "without_checks": [id], "checks": [{"persona",
/// "scenario", "difficulty", "name", "expect", "passed", "outcome", "angers", "notes"}]}`.
fn write_checks_json(results: &[(&Entry, Vec<CheckResult>)]) -> anyhow::Result<()> {
    let checks: Vec<serde_json::Value> = results
        .iter()
        .flat_map(|(_, r)| r)
        .map(|r| {
            json!({"persona": r.persona, "scenario": r.scenario, "difficulty": r.difficulty,
                   "name": r.name, "expect": r.expect, "passed": r.passed,
                   "outcome": r.outcome.map(|o| o.as_str()), "angers": angers(r),
                   "notes": r.notes, "failure": r.failure})
        })
        .collect();
    let passed = checks.iter().filter(|c| c["passed"] == true).count();
    let without: Vec<&str> = results
        .iter()
        .filter(|(e, _)| e.persona.checks.is_empty())
        .map(|(e, _)| e.persona.id.as_str())
        .collect();
    let doc = json!({"ok": passed == checks.len(), "passed": passed,
                     "failed": checks.len() - passed, "without_checks": without, "checks": checks});
    super::print_json(&doc)?;
    Ok(())
}

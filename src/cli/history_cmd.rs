//! `peilian history`: a trainee's past practice sessions with their scores and the
//! trend. The listing and trend come from [`crate::history`]; this file only decides
//! whose sessions, where, and how they look.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde_json::json;

use super::Context;
use crate::config::{SESSIONS_DIR_ENV, TRAINEE_ENV};
use crate::history::{self, Change, Direction, History, PastSession as Session, Trend};
use crate::score::render::outcome_label;
use crate::ui::{self, Style};

/// Scenario titles are whole sentences; a table row stays on one line.
const SCENARIO_COLS: usize = 26;
/// Bars in the overall sparkline: enough to see a month of daily practice.
const SPARK_SESSIONS: usize = 30;

#[derive(Debug, clap::Args)]
pub struct HistoryArgs {
    /// 只看这位学员的记录（默认取配置文件里的学员姓名；都没有则显示全部）。
    /// Only this trainee's sessions (default: the configured trainee, else everyone).
    #[arg(long, value_name = "NAME", env = TRAINEE_ENV)]
    pub trainee: Option<String>,
    /// 显示所有学员的记录（不按学员筛选，优先于 --trainee）。Every trainee's sessions.
    // Not `conflicts_with`: clap would count a PEILIAN_TRAINEE in the environment as
    // the flag and refuse `--all`.
    #[arg(long)]
    pub all: bool,
    /// 练习记录目录（默认位置见 `peilian config show`；Linux 上是 ~/.local/share/peilian/sessions）。Sessions directory.
    #[arg(long, value_name = "DIR", value_parser = crate::resolve::any_path(), env = SESSIONS_DIR_ENV, value_hint = clap::ValueHint::DirPath)]
    pub sessions_dir: Option<PathBuf>,
    /// 只列出最近 N 场（趋势仍按全部记录计算）。List only the latest N sessions.
    #[arg(long, short = 'n', value_name = "N")]
    pub last: Option<usize>,
    /// 输出一个 JSON 对象。Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

pub(super) fn run(ctx: &Context, args: HistoryArgs) -> anyhow::Result<u8> {
    let dir = ctx.sessions_dir(&args.sessions_dir)?;
    let trainee = if args.all {
        None
    } else {
        ctx.trainee(&args.trainee)?
    };
    if dir.exists() && !dir.is_dir() {
        anyhow::bail!(
            "练习记录目录 {} 是一个文件，不是目录；用 --sessions-dir 指向保存练习记录的目录",
            dir.display()
        );
    }
    let h = if dir.is_dir() {
        let analyser = ctx.analyser()?;
        let catalog = ctx.catalog(analyser)?;
        history::load(&dir, trainee.as_deref(), &catalog, analyser)
            .with_context(|| format!("无法读取练习记录目录 {}", dir.display()))?
    } else {
        History::default()
    };
    for s in &h.skipped {
        eprintln!("跳过：{}", ui::sanitize(&s.reason));
    }
    // Skipped records are findings (exit 1), as in `score` and `assess`.
    let found = u8::from(!h.skipped.is_empty());
    let trend = history::trend(&h.sessions);
    let shown = match args.last {
        Some(n) => &h.sessions[h.sessions.len().saturating_sub(n)..],
        None => &h.sessions[..],
    };
    let mut out = io::stdout().lock();
    if args.json {
        let v = json!({
            "sessions_dir": dir.display().to_string(),
            "trainee": trainee,
            "sessions": shown,
            "trend": trend,
            "skipped": h.skipped,
            "other_trainees": h.other_trainees,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        return Ok(found);
    }
    let st = Style::stdout();
    if h.sessions.is_empty() {
        writeln!(out, "{}", nothing_yet(&dir, trainee.as_deref(), &h))?;
        return Ok(found);
    }
    let whose = match &trainee {
        Some(t) => format!("学员「{}」的练习记录", ui::sanitize(t)),
        None => "全部学员的练习记录".to_string(),
    };
    let count = if shown.len() < h.sessions.len() {
        format!("最近 {} 场（共 {} 场）", shown.len(), h.sessions.len())
    } else {
        format!("{} 场", h.sessions.len())
    };
    writeln!(out, "{}：{count}，最早的在上", st.bold(&whose))?;
    writeln!(out, "{}", st.dim(&format!("记录目录 {}", dir.display())))?;
    writeln!(out)?;
    let first_no = h.sessions.len() - shown.len() + 1;
    table(&mut out, st, shown, first_no, trainee.is_none())?;
    writeln!(out)?;
    match &trend {
        Some(trend) => summary(&mut out, st, &h.sessions, trend)?,
        None => writeln!(
            out,
            "还没有做完的练习：重新开始（/restart）和中途中断的不计入平均和趋势。"
        )?,
    }
    if h.other_trainees > 0 && trainee.is_some() {
        writeln!(
            out,
            "\n{}",
            st.dim(&format!(
                "目录里另有 {} 场其他学员的记录；`peilian history --all` 查看全部",
                h.other_trainees
            ))
        )?;
    }
    Ok(found)
}

/// What to tell a trainee with nothing to list, and what to do next.
fn nothing_yet(dir: &Path, trainee: Option<&str>, h: &History) -> String {
    let start = "用 `peilian practice` 开始练习，每场练习都会自动保存在这里。";
    if !dir.is_dir() {
        return format!("还没有练习记录：目录 {} 不存在。\n{start}", dir.display());
    }
    let skipped = if h.skipped.is_empty() {
        String::new()
    } else {
        format!("（有 {} 个文件无法读取，见上方）", h.skipped.len())
    };
    match trainee {
        Some(t) if h.other_trainees > 0 => format!(
            "{} 里没有学员「{}」的练习记录{skipped}；另有 {} 场其他学员的记录，\
             `peilian history --all` 查看全部。",
            dir.display(),
            ui::sanitize(t),
            h.other_trainees
        ),
        Some(t) => format!(
            "{} 里还没有学员「{}」的练习记录{skipped}。\n{start}",
            dir.display(),
            ui::sanitize(t)
        ),
        None => format!("{} 里还没有练习记录{skipped}。\n{start}", dir.display()),
    }
}

/// One row per session, columns aligned by display width.
fn table(
    out: &mut impl Write,
    st: Style,
    sessions: &[Session],
    first_no: usize,
    with_trainee: bool,
) -> io::Result<()> {
    let time = format!("时间（{}）", crate::history::zone_label());
    let mut head = vec!["#", time.as_str()];
    if with_trainee {
        head.push("学员");
    }
    head.extend(["客户类型", "场景", "难度", "结局", "得分", "等级"]);
    let with_notes = sessions.iter().any(|s| !notes(s).is_empty());
    if with_notes {
        head.push("备注");
    }
    let rows: Vec<Vec<Cell>> = sessions
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut r = vec![
                Cell::right((first_no + i).to_string()),
                Cell::plain(s.date()),
            ];
            if with_trainee {
                let name = ui::sanitize(s.trainee.trim()).into_owned();
                r.push(Cell::plain(if name.is_empty() {
                    "—".into()
                } else {
                    name
                }));
            }
            r.push(Cell::plain(ui::sanitize(&s.persona.name).into_owned()));
            r.push(Cell::plain(
                ui::truncate(&ui::sanitize(&s.scenario.name), SCENARIO_COLS).into_owned(),
            ));
            r.push(Cell::plain(difficulty_label(&s.difficulty).to_string()));
            r.push(outcome_cell(s));
            r.push(Cell::right(format!("{:.1}", s.total)));
            r.push(grade_cell(s));
            if with_notes {
                r.push(Cell::plain(notes(s)));
            }
            r
        })
        .collect();
    let widths: Vec<usize> = (0..head.len())
        .map(|c| {
            rows.iter()
                .map(|r| ui::width(&r[c].text))
                .chain([ui::width(head[c])])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let header: Vec<String> = head
        .iter()
        .zip(&widths)
        .enumerate()
        .map(|(c, (h, &w))| {
            if rows.first().is_some_and(|r| r[c].right) {
                ui::pad_left(h, w)
            } else {
                ui::pad(h, w)
            }
        })
        .collect();
    writeln!(out, "{}", st.bold(header.join("  ").trim_end()))?;
    for r in &rows {
        let cells: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(cell, &w)| {
                let text = if cell.right {
                    ui::pad_left(&cell.text, w)
                } else {
                    ui::pad(&cell.text, w)
                };
                // Colour after padding: escape codes have no width.
                match cell.tone {
                    Tone::Plain => text,
                    Tone::Good => st.good(&text),
                    Tone::Bad => st.bad(&text),
                }
            })
            .collect();
        writeln!(out, "{}", cells.join("  ").trim_end())?;
    }
    Ok(())
}

/// The trend under the table: direction, best, and each customer type.
fn summary(out: &mut impl Write, st: Style, sessions: &[Session], t: &Trend) -> io::Result<()> {
    writeln!(out, "{}", st.bold("趋势"))?;
    if t.abandoned > 0 {
        writeln!(
            out,
            "  {}",
            st.dim(&format!(
                "只算做完的 {} 场；另有 {} 场重新开始或中途中断，不计入平均和趋势。",
                t.sessions, t.abandoned
            ))
        )?;
    }
    let scores: Vec<f64> = sessions
        .iter()
        .filter(|s| s.finished)
        .map(|s| s.total)
        .collect();
    let spark = &scores[scores.len().saturating_sub(SPARK_SESSIONS)..];
    let span = if spark.len() < scores.len() {
        format!("最近 {} 场，", spark.len())
    } else {
        String::new()
    };
    writeln!(
        out,
        "  得分走势  {}  {}",
        history::sparkline(spark),
        st.dim(&format!("（{span}最早 → 最近）"))
    )?;
    match &t.change {
        Some(c) => writeln!(out, "  {}", describe_change(st, c))?,
        None => writeln!(out, "  只有一场，再练一场就能看到进步或退步。")?,
    }
    let best = &sessions[t.best];
    writeln!(
        out,
        "  平均 {:.1} 分；最好 {:.1} 分（{}，{}〔{}〕）；问题解决 {}/{} 场",
        t.average,
        t.best_score,
        best.date(),
        ui::sanitize(&best.persona.name),
        ui::truncate(&ui::sanitize(&best.scenario.name), SCENARIO_COLS),
        t.resolved,
        t.sessions
    )?;
    writeln!(out)?;
    writeln!(out, "{}", st.bold("按客户类型"))?;
    let names: Vec<String> = t
        .by_persona
        .iter()
        .map(|p| ui::sanitize(&p.persona.name).into_owned())
        .collect();
    let name_w = names
        .iter()
        .map(|n| ui::width(n))
        .chain([ui::width("客户类型")])
        .max()
        .unwrap_or(0);
    writeln!(
        out,
        "  {}",
        st.bold(&format!(
            "{}  场数   平均   最好   最近  趋势  走势",
            ui::pad("客户类型", name_w)
        ))
    )?;
    for (p, name) in t.by_persona.iter().zip(&names) {
        let arrow = match &p.change {
            Some(c) => tone_arrow(st, c.direction),
            None => "·".to_string(),
        };
        let recent = &p.scores[p.scores.len().saturating_sub(SPARK_SESSIONS)..];
        writeln!(
            out,
            "  {}  {:>4}  {:>5.1}  {:>5.1}  {:>5.1}  {}     {}",
            ui::pad(name, name_w),
            p.sessions,
            p.average,
            p.best,
            p.last,
            arrow,
            history::sparkline(recent)
        )?;
    }
    Ok(())
}

/// "最近 5 场平均 82.1 分，之前 5 场平均 74.3 分：↑ 提高 7.8 分".
fn describe_change(st: Style, c: &Change) -> String {
    let verdict = match c.direction {
        Direction::Up => format!("提高 {:.1} 分", c.delta),
        Direction::Down => format!("下降 {:.1} 分", -c.delta),
        Direction::Level => "基本持平".to_string(),
    };
    format!(
        "最近 {k} 场平均 {:.1} 分，之前 {k} 场平均 {:.1} 分：{} {verdict}",
        c.recent,
        c.previous,
        tone_arrow(st, c.direction),
        k = c.window
    )
}

fn tone_arrow(st: Style, d: Direction) -> String {
    match d {
        Direction::Up => st.good("↑"),
        Direction::Down => st.bad("↓"),
        Direction::Level => "→".to_string(),
    }
}

fn difficulty_label(d: &str) -> &str {
    crate::persona::Difficulty::label_of(d)
}

/// What a session's score does not say: an exam, a retry, lines taken back.
fn notes(s: &Session) -> String {
    let mut out = Vec::new();
    if s.mode == crate::transcript::Mode::Exam.as_str() {
        out.push(crate::transcript::Mode::Exam.label().to_string());
    }
    if s.retries > 0 {
        out.push(format!("重来（之前放弃 {} 次）", s.retries));
    }
    match (s.undos, s.undone_forbidden) {
        (0, _) => {}
        (n, 0) => out.push(format!("收回 {n} 句")),
        (n, f) => out.push(format!("收回 {n} 句，其中 {f} 句禁语")),
    }
    out.join("；")
}

fn outcome_cell(s: &Session) -> Cell {
    if s.interrupted {
        return Cell::plain("中途中断".into());
    }
    if s.restarted {
        return Cell::plain("重新开始".into());
    }
    let text = outcome_label(&s.outcome).to_string();
    match s.outcome.as_str() {
        "resolved" => Cell::tone(text, Tone::Good),
        "walked_out" => Cell::tone(text, Tone::Bad),
        _ => Cell::plain(text),
    }
}

fn grade_cell(s: &Session) -> Cell {
    let grade = ui::sanitize(&s.grade).into_owned();
    match &s.capped_from {
        Some(_) if s.cap_reason.as_deref().is_none_or(|r| r == "说了禁语") => {
            Cell::tone(format!("{grade}（禁语降级）"), Tone::Bad)
        }
        Some(_) => Cell::plain(format!("{grade}（封顶）")),
        None => Cell::plain(grade),
    }
}

#[derive(Clone, Copy)]
enum Tone {
    Plain,
    Good,
    Bad,
}

struct Cell {
    text: String,
    right: bool,
    tone: Tone,
}

impl Cell {
    fn plain(text: String) -> Self {
        Self {
            text,
            right: false,
            tone: Tone::Plain,
        }
    }

    fn right(text: String) -> Self {
        Self {
            right: true,
            ..Self::plain(text)
        }
    }

    fn tone(text: String, tone: Tone) -> Self {
        Self {
            tone,
            ..Self::plain(text)
        }
    }
}

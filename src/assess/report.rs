//! `report.html`: the cohort at a glance for the assessor, one self-contained page.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;

use super::summary::{dimension_headers, share};
use super::{Report, Row};
use crate::engine::Outcome;
use crate::transcript::{Ending, Mode};
use crate::ui;

/// A file name as a relative URL: letters of any script, digits and `-_.~` stay, the
/// rest is percent-encoded (a `#` or `?` in a transcript's name must not cut the link).
fn href(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '~') {
            out.push(c);
        } else {
            let mut buf = [0; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

/// Text from transcripts, rubrics and persona files as HTML: control sequences
/// stripped, markup escaped.
fn esc(s: &str) -> String {
    crate::score::html::escape(&ui::sanitize(s))
}

fn outcome_label(o: &str) -> &'static str {
    Ending::of(o).label()
}

/// Colour of the trainees' trend lines, used nowhere else on the page, so a screenshot
/// can tell whether they were drawn.
pub const TREND_RGB: [u8; 3] = [0x1c, 0x7e, 0xd6];

fn trend_colour() -> String {
    let [r, g, b] = TREND_RGB;
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// Averages of a group of finished sessions.
#[derive(Default)]
struct Group {
    n: usize,
    total: f64,
    /// Per dimension: the sum of scores and the sum of maxima.
    dims: Vec<(f64, f64)>,
    resolved: usize,
    passed: usize,
    forbidden: usize,
}

impl Group {
    fn add(&mut self, r: &Row) {
        self.n += 1;
        self.total += r.total;
        if self.dims.len() < r.dimensions.len() {
            self.dims.resize(r.dimensions.len(), (0.0, 0.0));
        }
        for (i, d) in r.dimensions.iter().enumerate() {
            self.dims[i].0 += d.1;
            self.dims[i].1 += d.2;
        }
        self.resolved += usize::from(Ending::of(&r.outcome) == Ending::Ended(Outcome::Resolved));
        self.passed += usize::from(r.passed);
        self.forbidden += r.forbidden_count;
    }

    fn avg(&self, x: f64) -> String {
        format!("{:.1}", x / self.n.max(1) as f64)
    }

    fn pass_rate(&self) -> String {
        if self.n == 0 {
            "—".into()
        } else {
            format!("{:.0}%", self.passed as f64 / self.n as f64 * 100.0)
        }
    }

    /// The dimension with the lowest share of its maximum, as (index, share).
    fn weakest(&self) -> Option<(usize, f64)> {
        self.dims
            .iter()
            .enumerate()
            .filter(|(_, d)| d.1 > 0.0)
            .map(|(i, d)| (i, d.0 / d.1))
            .min_by(|a, b| a.1.total_cmp(&b.1))
    }
}

/// How often one rule was broken across the run.
struct Tally<'a> {
    rule: &'a str,
    why: &'a str,
    count: usize,
    sessions: usize,
    quote: &'a str,
    better: Option<&'a str>,
}

/// Violations counted by rule and reason: one rule can carry a reason per scenario (言行不一
/// names the policy that was broken), and one row must not speak for another scenario.
fn tallies(rows: &[Row], forbidden: bool) -> Vec<Tally<'_>> {
    let mut by_rule: BTreeMap<(&str, &str), Tally> = BTreeMap::new();
    for r in rows {
        let mut seen: HashSet<(&str, &str)> = HashSet::new();
        for v in r.violations.iter().filter(|v| v.forbidden == forbidden) {
            let key = (v.rule.as_str(), v.why.as_str());
            let t = by_rule.entry(key).or_insert_with(|| Tally {
                rule: &v.rule,
                why: &v.why,
                count: 0,
                sessions: 0,
                quote: &v.quote,
                better: v.better.as_deref(),
            });
            t.count += 1;
            if seen.insert(key) {
                t.sessions += 1;
            }
        }
    }
    let mut out: Vec<Tally> = by_rule.into_values().collect();
    // Most frequent first; ties by rule id and reason (the map's order, kept by a
    // stable sort).
    out.sort_by_key(|t| std::cmp::Reverse(t.count));
    out
}

/// The histogram of totals as an inline SVG: ten bins of ten points (100 in the last).
fn histogram(rows: &[&Row]) -> String {
    let mut bins = [0usize; 10];
    for r in rows {
        bins[((r.total / 10.0).floor().max(0.0) as usize).min(9)] += 1;
    }
    let max = bins.iter().copied().max().unwrap_or(0).max(1);
    let (w, h, left, bottom, top) = (640.0, 260.0, 40.0, 30.0, 20.0);
    let bar_w = (w - left - 10.0) / 10.0;
    let plot_h = h - bottom - top;
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="总分分布"><line x1="{left}" y1="{y0}" x2="{x1}" y2="{y0}" stroke="#888"/>"##,
        y0 = h - bottom,
        x1 = w - 10.0
    );
    for (i, &n) in bins.iter().enumerate() {
        let bh = plot_h * n as f64 / max as f64;
        let x = left + bar_w * i as f64;
        let y = h - bottom - bh;
        let colour = match i {
            9 => "#2e7d32",
            7 | 8 => "#66a61e",
            6 => "#e6ab02",
            _ => "#d95f02",
        };
        let range = if i == 9 {
            "90–100".to_string()
        } else {
            format!("{}–{}", i * 10, i * 10 + 9)
        };
        let _ = write!(
            s,
            r#"<rect x="{:.1}" y="{y:.1}" width="{:.1}" height="{bh:.1}" fill="{colour}"><title>{range} 分：{n} 场</title></rect><text x="{:.1}" y="{:.1}" font-size="12" text-anchor="middle">{n}</text><text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle">{range}</text>"#,
            x + 2.0,
            bar_w - 4.0,
            x + bar_w / 2.0,
            y - 4.0,
            x + bar_w / 2.0,
            h - bottom + 16.0,
        );
    }
    s.push_str("</svg>");
    s
}

/// A trainee's totals over time as a small inline SVG line chart (0–100 on y, one point
/// per finished session, oldest left), each point titled with its date and score.
fn trend_chart(points: &[(String, f64)]) -> String {
    let (w, h, pad) = (320.0, 90.0, 12.0);
    let x = |i: usize| {
        if points.len() < 2 {
            w / 2.0
        } else {
            pad + (w - 2.0 * pad) * i as f64 / (points.len() - 1) as f64
        }
    };
    let y = |v: f64| pad + (h - 2.0 * pad) * (1.0 - v.clamp(0.0, 100.0) / 100.0);
    let colour = trend_colour();
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg class="trend" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="总分走势"><rect x="0" y="0" width="{w}" height="{h}" fill="#fafafa" stroke="#ddd"/><line x1="{pad}" y1="{m:.1}" x2="{x2}" y2="{m:.1}" stroke="#ccc" stroke-dasharray="4 3"/>"##,
        m = y(60.0),
        x2 = w - pad
    );
    if points.len() > 1 {
        let line: Vec<String> = points
            .iter()
            .enumerate()
            .map(|(i, p)| format!("{:.1},{:.1}", x(i), y(p.1)))
            .collect();
        let _ = write!(
            s,
            r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="3"/>"#,
            line.join(" ")
        );
    }
    for (i, (date, v)) in points.iter().enumerate() {
        let _ = write!(
            s,
            r#"<circle cx="{:.1}" cy="{:.1}" r="4" fill="{colour}"><title>{} {v:.1} 分</title></circle>"#,
            x(i),
            y(*v),
            esc(date)
        );
    }
    s.push_str("</svg>");
    s
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,\"PingFang SC\",\"Microsoft YaHei\",\"Noto Sans CJK SC\",sans-serif;margin:2em auto;max-width:1280px;padding:0 1em;color:#222}table{font-size:14px}\
table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}\
th{background:#f3f3f3;white-space:nowrap}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}.bad{color:#b00020}.muted{color:#666}\
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:1.6em;border-bottom:1px solid #ddd}h3{font-size:1.05em;margin:1.2em 0 .3em}\
td.weak,strong.weak{background:#ffe3e3;color:#b00020;font-weight:700}tr.flag td{background:#fff8e1}\
table.sessions{font-size:13px}table.sessions td.scen{min-width:13em}table.sessions td.card{word-break:break-all;min-width:10em}\
.trainee{display:flex;gap:1.5em;align-items:flex-start;border-bottom:1px dashed #ddd;padding-bottom:.6em}.trainee>div{flex:1}.trainee p{margin:.2em 0}";

/// `report.html`: one self-contained page (no external assets) for the assessor and
/// the training manager. Averages, pass rates, progress and the distribution count
/// finished sessions only; abandoned ones (`/restart`, cut off) are listed and marked.
pub fn report_html(report: &Report, card_ext: &str) -> String {
    let rows = &report.rows;
    let finished: Vec<&Row> = rows.iter().filter(|r| !r.abandoned).collect();
    let dims = dimension_headers(rows);
    let mut all = Group::default();
    let mut by_persona: BTreeMap<(&str, &str), Group> = BTreeMap::new();
    let mut by_scenario: BTreeMap<(&str, &str), (&Row, Group)> = BTreeMap::new();
    let mut by_trainee: BTreeMap<&str, Group> = BTreeMap::new();
    let mut grades: Vec<(&str, usize)> = report.grades.iter().map(|g| (g.as_str(), 0)).collect();
    let mut outcomes: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &finished {
        all.add(r);
        by_persona
            .entry((&r.persona, &r.persona_name))
            .or_default()
            .add(r);
        by_scenario
            .entry((&r.persona, &r.scenario))
            .or_insert_with(|| (r, Group::default()))
            .1
            .add(r);
        by_trainee.entry(&r.trainee).or_default().add(r);
        match grades.iter_mut().find(|g| g.0 == r.grade) {
            Some(g) => g.1 += 1,
            None => grades.push((&r.grade, 1)),
        }
        *outcomes.entry(&r.outcome).or_default() += 1;
    }

    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>考核报告</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>考核报告</h1>\n"
    );
    overview(&mut o, report, &finished, &all);
    if !finished.is_empty() {
        let parts: Vec<String> = grades
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(g, n)| format!("{} {n} 场", esc(g)))
            .collect();
        let outs: Vec<String> = outcomes
            .iter()
            .map(|(k, n)| format!("{} {n} 场", outcome_label(k)))
            .collect();
        let _ = writeln!(
            o,
            "<p>等级：{}。结局：{}。</p>",
            parts.join(" · "),
            outs.join(" · ")
        );
    }

    anomalies(&mut o, rows, card_ext);

    let _ = writeln!(o, "<h2>总分分布</h2>\n{}", histogram(&finished));

    let avg_table = |o: &mut String, first: &str, groups: Vec<(String, &Group)>| {
        let _ = write!(
            o,
            "<table>\n<tr><th>{first}</th><th>场数</th><th>平均总分</th><th>及格率</th>"
        );
        for d in &dims {
            // The maximum on a line of its own keeps the table narrow.
            let _ = write!(o, "<th>{}</th>", esc(d).replacen('（', "<br>（", 1));
        }
        let _ = writeln!(o, "<th>问题解决</th><th>禁语次数</th></tr>");
        for (name, g) in groups {
            let _ = write!(
                o,
                "<tr><td>{name}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>",
                g.n,
                g.avg(g.total),
                g.pass_rate()
            );
            let weakest = g.weakest().map(|w| w.0);
            for (i, x) in g.dims.iter().enumerate() {
                let class = if weakest == Some(i) { "n weak" } else { "n" };
                let _ = write!(o, "<td class=\"{class}\">{}</td>", share(x.0, x.1));
            }
            let _ = writeln!(
                o,
                "<td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                g.resolved, g.forbidden
            );
        }
        o.push_str("</table>\n");
    };

    o.push_str("<h2>各客户类型平均分</h2>\n<p class=\"muted\">维度是得分占满分的比例，满分写在表头；标红的是这一组最弱的一项。</p>\n");
    avg_table(
        &mut o,
        "客户类型",
        by_persona
            .iter()
            .map(|((id, name), g)| {
                let label = if name.is_empty() { esc(id) } else { esc(name) };
                (label, g)
            })
            .collect(),
    );

    o.push_str("<h2>各场景及格率</h2>\n<table>\n<tr><th>场景</th><th>客户类型</th><th>场数</th><th>及格</th><th>及格率</th><th>平均总分</th><th>问题解决</th></tr>\n");
    for (r, g) in by_scenario.values() {
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(r.scenario_label()),
            esc(r.persona_label()),
            g.n,
            g.passed,
            g.pass_rate(),
            g.avg(g.total),
            g.resolved
        );
    }
    o.push_str("</table>\n");

    o.push_str("<h2>各学员平均分</h2>\n");
    avg_table(
        &mut o,
        "学员",
        by_trainee
            .iter()
            .map(|(t, g)| (trainee_name(t), g))
            .collect(),
    );
    progress(&mut o, rows);

    for (forbidden, title) in [(true, "最常见的禁语"), (false, "其他禁止法则的违规")]
    {
        let list = tallies(rows, forbidden);
        let _ = writeln!(o, "<h2>{title}</h2>");
        if list.is_empty() {
            o.push_str("<p class=\"muted\">没有。</p>\n");
            continue;
        }
        o.push_str("<table>\n<tr><th>规则</th><th>次数</th><th>场数</th><th>例句</th><th>更好的说法</th></tr>\n");
        for t in list.iter().take(15) {
            let _ = writeln!(
                o,
                "<tr><td>{}<br><span class=\"muted\">{}</span></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>「{}」</td><td>{}</td></tr>",
                esc(t.why),
                esc(t.rule),
                t.count,
                t.sessions,
                esc(t.quote),
                esc(t.better.unwrap_or(""))
            );
        }
        o.push_str("</table>\n");
    }

    if !report.failures.is_empty() {
        o.push_str("<h2>无法评分</h2>\n<ul>\n");
        for f in &report.failures {
            let _ = writeln!(o, "<li>{}</li>", esc(&f.to_string()));
        }
        o.push_str("</ul>\n");
    }

    let zone = crate::history::zone_label();
    let _ = writeln!(
        o,
        "<h2>每场评分</h2>\n<table class=\"sessions\">\n<tr><th>评分卡</th><th>学员</th><th>开始时间（{zone}）</th><th>客户类型</th><th>场景</th><th>难度</th><th>模式</th><th>结局</th><th>轮数</th><th>最后愤怒</th><th>总分</th><th>等级</th><th>禁语</th><th>收回</th><th>重来</th><th>需要留意</th></tr>"
    );
    for r in rows {
        let flags = r.flags();
        let _ = writeln!(
            o,
            "<tr{}><td class=\"card\"><a href=\"scorecards/{link}.{card_ext}\">{name}</a></td><td>{}</td><td class=\"n\">{}</td><td>{}</td><td class=\"scen\">{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{:.1}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            if flags.is_empty() {
                ""
            } else {
                " class=\"flag\""
            },
            esc(&r.trainee),
            esc(&r.date()),
            esc(r.persona_label()),
            esc(r.scenario_label()),
            esc(r.difficulty_label()),
            esc(&r.mode_label()),
            r.ending_label(),
            r.turns,
            r.final_anger,
            r.total,
            esc(&r.grade),
            r.forbidden_count,
            undo_cell(r),
            r.retries,
            esc(&flags.join("；")),
            name = esc(&r.name),
            link = href(&r.name),
        );
    }
    o.push_str("</table>\n</body>\n</html>\n");
    o
}

/// 「2（1 句禁语）」.
fn undo_cell(r: &Row) -> String {
    if r.undone_forbidden > 0 {
        format!("{}（{} 句禁语）", r.undos, r.undone_forbidden)
    } else {
        r.undos.to_string()
    }
}

fn trainee_name(t: &str) -> String {
    if t.trim().is_empty() {
        "<span class=\"muted\">（未填写）</span>".to_string()
    } else {
        esc(t)
    }
}

/// The run in two sentences: what was counted, in which mode, and what was not.
fn overview(o: &mut String, report: &Report, finished: &[&Row], all: &Group) {
    let rows = &report.rows;
    let exams = rows.iter().filter(|r| r.mode == Mode::Exam).count();
    let unrecorded = rows.iter().filter(|r| r.mode_unrecorded).count();
    let mut modes = format!("考试 {exams} 场，练习 {} 场", rows.len() - exams);
    if unrecorded > 0 {
        let _ = write!(modes, "，其中 {unrecorded} 场记录里没有写模式，按练习算");
    }
    let failed = if report.failures.is_empty() {
        String::new()
    } else {
        format!(
            "，<span class=\"bad\">{} 场无法评分</span>",
            report.failures.len()
        )
    };
    let _ = writeln!(o, "<p>评分 {} 场（{modes}）{failed}。</p>", rows.len());
    if report.exam_only {
        let _ = writeln!(
            o,
            "<p>只计考试模式：不计练习模式的 {} 场{}。</p>",
            report.left_out,
            if report.left_out_unrecorded > 0 {
                format!(
                    "（其中 {} 场记录里没有写模式，按练习算）",
                    report.left_out_unrecorded
                )
            } else {
                String::new()
            }
        );
    }
    let abandoned = rows.len() - finished.len();
    let _ = writeln!(
        o,
        "<p>做完的 {} 场：平均总分 <strong>{}</strong>，及格率 {}，问题解决 {} 场，说了禁语 {} 次。{}</p>",
        finished.len(),
        all.avg(all.total),
        all.pass_rate(),
        all.resolved,
        all.forbidden,
        if abandoned > 0 {
            format!(
                "另有 {abandoned} 场中途放弃（/restart 重新开始或中途中断），列在每场评分里，不计入平均、及格率和走势。"
            )
        } else {
            String::new()
        }
    );
}

/// Sessions an assessor should look at before trusting the scores, and why.
fn anomalies(o: &mut String, rows: &[Row], card_ext: &str) {
    let _ = writeln!(o, "<h2>需要留意</h2>");
    let flagged: Vec<(&Row, Vec<String>)> = rows
        .iter()
        .map(|r| (r, r.flags()))
        .filter(|(_, f)| !f.is_empty())
        .collect();
    let _ = writeln!(
        o,
        "<p class=\"muted\">标出的情况：{}。</p>",
        esc(&super::flags::legend())
    );
    if flagged.is_empty() {
        o.push_str("<p class=\"muted\">没有。</p>\n");
        return;
    }
    o.push_str("<table>\n<tr><th>评分卡</th><th>学员</th><th>客户类型</th><th>场景</th><th>模式</th><th>总分</th><th>需要留意</th></tr>\n");
    for (r, flags) in flagged {
        let _ = writeln!(
            o,
            "<tr class=\"flag\"><td><a href=\"scorecards/{}.{card_ext}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{:.1}</td><td>{}</td></tr>",
            href(&r.name),
            esc(&r.name),
            esc(&r.trainee),
            esc(r.persona_label()),
            esc(r.scenario_label()),
            esc(&r.mode_label()),
            r.total,
            esc(&flags.join("；"))
        );
    }
    o.push_str("</table>\n");
}

/// Per trainee: first against latest finished session, a trend chart, the weakest
/// dimension, their own 禁语, and what they took back or gave up.
fn progress(o: &mut String, rows: &[Row]) {
    let mut by: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
    for r in rows {
        by.entry(&r.trainee).or_default().push(r);
    }
    o.push_str("<h2>学员进步</h2>\n");
    for (trainee, mut mine) in by {
        // Stable: sessions of the same second keep run order.
        mine.sort_by(|a, b| a.started_at.cmp(&b.started_at));
        let done: Vec<&Row> = mine.iter().copied().filter(|r| !r.abandoned).collect();
        let mut g = Group::default();
        for r in &done {
            g.add(r);
        }
        let _ = writeln!(
            o,
            "<h3>{}</h3>\n<div class=\"trainee\">",
            trainee_name(trainee)
        );
        let points: Vec<(String, f64)> = done.iter().map(|r| (r.date(), r.total)).collect();
        o.push_str(&trend_chart(&points));
        o.push_str("<div>");
        match (done.first(), done.last()) {
            (Some(first), Some(last)) if done.len() > 1 => {
                let delta = last.total - first.total;
                let verdict = if delta >= crate::history::LEVEL_BAND {
                    format!("↑ 提高 {delta:.1} 分")
                } else if delta <= -crate::history::LEVEL_BAND {
                    format!("↓ 下降 {:.1} 分", -delta)
                } else {
                    "→ 基本持平".to_string()
                };
                let _ = writeln!(
                    o,
                    "<p>第一场 {:.1} 分（{}，{}）→ 最近一场 {:.1} 分（{}，{}）：{verdict}，共做完 {} 场。</p>",
                    first.total,
                    esc(&first.date()),
                    esc(first.persona_label()),
                    last.total,
                    esc(&last.date()),
                    esc(last.persona_label()),
                    done.len()
                );
            }
            (Some(only), _) => {
                let _ = writeln!(
                    o,
                    "<p>只做完 1 场：{:.1} 分（{}，{}）。</p>",
                    only.total,
                    esc(&only.date()),
                    esc(only.persona_label())
                );
            }
            _ => o.push_str("<p class=\"muted\">没有做完的场次。</p>\n"),
        }
        if let Some((i, share_of)) = g.weakest() {
            let label = done
                .first()
                .and_then(|r| r.dimensions.get(i))
                .map_or("", |d| d.0);
            let _ = writeln!(
                o,
                "<p>最弱的一项：<strong class=\"weak\">{}</strong>（平均得分率 {:.0}%）</p>",
                esc(label),
                share_of * 100.0
            );
        }
        let mut said: BTreeMap<&str, usize> = BTreeMap::new();
        for r in &mine {
            for v in r.violations.iter().filter(|v| v.forbidden) {
                *said.entry(v.quote.as_str()).or_default() += 1;
            }
        }
        if said.is_empty() {
            o.push_str("<p>禁语：没有。</p>\n");
        } else {
            let list: Vec<String> = said
                .iter()
                .map(|(q, n)| {
                    if *n > 1 {
                        format!("「{}」×{n}", esc(q))
                    } else {
                        format!("「{}」", esc(q))
                    }
                })
                .collect();
            let _ = writeln!(o, "<p class=\"bad\">禁语：{}</p>", list.join("、"));
        }
        let undos: usize = mine.iter().map(|r| r.undos).sum();
        let undone_forbidden: usize = mine.iter().map(|r| r.undone_forbidden).sum();
        let given_up = mine.len() - done.len();
        if undos > 0 || given_up > 0 {
            let _ = writeln!(
                o,
                "<p>收回 {undos} 句{}；中途放弃 {given_up} 场。</p>",
                if undone_forbidden > 0 {
                    format!("，其中 {undone_forbidden} 句禁语")
                } else {
                    String::new()
                }
            );
        }
        o.push_str("</div></div>\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::Violation;

    /// A scored session with only a total.
    fn row(total: f64) -> Row {
        Row {
            name: String::new(),
            trainee: String::new(),
            persona: String::new(),
            persona_name: String::new(),
            scenario: String::new(),
            scenario_title: String::new(),
            difficulty: String::new(),
            outcome: String::new(),
            started_at: String::new(),
            turns: 5,
            final_anger: 30,
            mode: Mode::Practice,
            mode_unrecorded: false,
            undos: 0,
            undone_forbidden: 0,
            abandoned: false,
            restarted: false,
            interrupted: false,
            attempt_of: false,
            retries: 0,
            passed: true,
            stuffed: None,
            total,
            grade: String::new(),
            forbidden_count: 0,
            invalid: None,
            unverified: None,
            dimensions: Vec::new(),
            violations: Vec::new(),
        }
    }

    /// A session of 小王 on one customer, started at minute `at`.
    fn attempt(at: u32, abandoned: bool, mode: Mode) -> Row {
        let mut r = row(50.0);
        r.trainee = "小王".into();
        r.persona = "emotional".into();
        r.scenario = "floppy-drive".into();
        r.started_at = format!("2026-01-01T00:{at:02}:00Z");
        r.abandoned = abandoned;
        r.mode = mode;
        r
    }

    #[test]
    fn retries_count_the_attempts_given_up_just_before() {
        let mut rows = vec![
            attempt(5, false, Mode::Exam),
            attempt(1, true, Mode::Exam),
            attempt(2, true, Mode::Exam),
            attempt(3, false, Mode::Practice),
            attempt(9, false, Mode::Exam),
        ];
        let mut told = attempt(20, false, Mode::Exam);
        told.attempt_of = true;
        rows.push(told);
        crate::assess::mark_retries(&mut rows);
        let got: Vec<usize> = rows.iter().map(|r| r.retries).collect();
        // Exam: 01 given up, 02 given up, 05 finished (two before it), 09 finished
        // after a finished one, 20 says it is another attempt. Practice is its own chain.
        assert_eq!(got, [2, 0, 1, 0, 0, 1]);
    }

    #[test]
    fn links_are_percent_encoded() {
        assert_eq!(href("小王 #1?"), "小王%20%231%3F");
    }

    #[test]
    fn html_text_is_escaped_and_sanitised() {
        assert_eq!(
            esc("<b>\"x\"&'y'\u{1b}[31m</b>"),
            "&lt;b&gt;&quot;x&quot;&amp;&#39;y&#39;&lt;/b&gt;"
        );
    }

    #[test]
    fn one_rule_with_reasons_of_two_scenarios_is_two_rows() {
        let v = |why: &str| Violation {
            rule: "rule.broken-promise".into(),
            forbidden: false,
            why: why.into(),
            quote: "退还费用".into(),
            better: None,
        };
        let mut a = row(50.0);
        a.violations = vec![v("赔一倍"), v("赔一倍")];
        let mut b = row(60.0);
        b.violations = vec![v("只退三个月")];
        let rows = [a, b];
        let t = tallies(&rows, false);
        let got: Vec<(&str, usize, usize)> =
            t.iter().map(|t| (t.why, t.count, t.sessions)).collect();
        assert_eq!(got, [("赔一倍", 2, 1), ("只退三个月", 1, 1)]);
    }

    #[test]
    fn histogram_puts_100_in_the_last_bin() {
        let rows = [row(100.0), row(95.0), row(0.0)];
        let svg = histogram(&rows.iter().collect::<Vec<_>>());
        assert!(svg.contains("<title>90–100 分：2 场</title>"), "{svg}");
        assert!(svg.contains("<title>0–9 分：1 场</title>"), "{svg}");
    }
}

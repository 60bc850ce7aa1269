//! `report.html`: the cohort at a glance for the assessor, one self-contained page.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;

use super::{DIMENSIONS, Report, Row};
use crate::engine::Outcome;
use crate::transcript::Ending;
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

/// Averages of a group of rows.
#[derive(Default)]
struct Group {
    n: usize,
    total: f64,
    dims: Vec<f64>,
    resolved: usize,
    forbidden: usize,
}

impl Group {
    fn add(&mut self, r: &Row) {
        self.n += 1;
        self.total += r.total;
        if self.dims.len() < r.dimensions.len() {
            self.dims.resize(r.dimensions.len(), 0.0);
        }
        for (i, d) in r.dimensions.iter().enumerate() {
            self.dims[i] += d.1;
        }
        self.resolved += usize::from(Ending::of(&r.outcome) == Ending::Ended(Outcome::Resolved));
        self.forbidden += r.forbidden_count;
    }

    fn avg(&self, x: f64) -> String {
        format!("{:.1}", x / self.n.max(1) as f64)
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
fn histogram(rows: &[Row]) -> String {
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
            r#"<rect x="{:.1}" y="{y:.1}" width="{:.1}" height="{bh:.1}" fill="{colour}"><title>{range} 分:{n} 场</title></rect><text x="{:.1}" y="{:.1}" font-size="12" text-anchor="middle">{n}</text><text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle">{range}</text>"#,
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

const STYLE: &str = "body{font-family:system-ui,-apple-system,\"PingFang SC\",\"Microsoft YaHei\",sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;color:#222}\
table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}\
th{background:#f3f3f3;white-space:nowrap}td.n{text-align:right;font-variant-numeric:tabular-nums}.bad{color:#b00020}.muted{color:#666}\
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:1.6em;border-bottom:1px solid #ddd}";

/// `report.html`: one self-contained page (no external assets) for the assessor.
pub fn report_html(report: &Report, card_ext: &str) -> String {
    let rows = &report.rows;
    let dims: Vec<&str> = match rows.first() {
        Some(r) => r.dimensions.iter().map(|d| d.0).collect(),
        None => DIMENSIONS.to_vec(),
    };
    let mut all = Group::default();
    let mut by_persona: BTreeMap<(&str, &str), Group> = BTreeMap::new();
    let mut by_trainee: BTreeMap<&str, Group> = BTreeMap::new();
    let mut grades: Vec<(&str, usize)> = report.grades.iter().map(|g| (g.as_str(), 0)).collect();
    let mut outcomes: BTreeMap<&str, usize> = BTreeMap::new();
    for r in rows {
        all.add(r);
        by_persona
            .entry((&r.persona, &r.persona_name))
            .or_default()
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
    let _ = writeln!(
        o,
        "<p>评分 {} 场{},平均总分 <strong>{}</strong>,问题解决 {} 场，说了禁语 {} 次。</p>",
        rows.len(),
        if report.failures.is_empty() {
            String::new()
        } else {
            format!(
                ",<span class=\"bad\">{} 场无法评分</span>",
                report.failures.len()
            )
        },
        all.avg(all.total),
        all.resolved,
        all.forbidden
    );
    if !rows.is_empty() {
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
            "<p>等级:{}。结局:{}。</p>",
            parts.join(" · "),
            outs.join(" · ")
        );
    }

    let _ = writeln!(o, "<h2>总分分布</h2>\n{}", histogram(rows));

    let avg_table = |o: &mut String, first: &str, groups: Vec<(String, &Group)>| {
        let _ = write!(
            o,
            "<table>\n<tr><th>{first}</th><th>场数</th><th>平均总分</th>"
        );
        for d in &dims {
            let _ = write!(o, "<th>{}</th>", esc(d));
        }
        let _ = writeln!(o, "<th>问题解决</th><th>禁语次数</th></tr>");
        for (name, g) in groups {
            let _ = write!(
                o,
                "<tr><td>{name}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>",
                g.n,
                g.avg(g.total)
            );
            for x in &g.dims {
                let _ = write!(o, "<td class=\"n\">{}</td>", g.avg(*x));
            }
            let _ = writeln!(
                o,
                "<td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                g.resolved, g.forbidden
            );
        }
        o.push_str("</table>\n");
    };

    o.push_str("<h2>各客户类型平均分</h2>\n");
    avg_table(
        &mut o,
        "客户类型",
        by_persona
            .iter()
            .map(|((id, name), g)| {
                let label = if name.is_empty() {
                    esc(id)
                } else {
                    format!("{}<span class=\"muted\">({})</span>", esc(name), esc(id))
                };
                (label, g)
            })
            .collect(),
    );
    o.push_str("<h2>各学员平均分</h2>\n");
    avg_table(
        &mut o,
        "学员",
        by_trainee
            .iter()
            .map(|(t, g)| {
                let name = if t.is_empty() {
                    "<span class=\"muted\">（未填写）</span>".to_string()
                } else {
                    esc(t)
                };
                (name, g)
            })
            .collect(),
    );

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

    o.push_str("<h2>每场评分</h2>\n<table>\n<tr><th>评分卡</th><th>学员</th><th>客户类型</th><th>场景</th><th>难度</th><th>结局</th><th>总分</th><th>等级</th><th>禁语</th></tr>\n");
    for r in rows {
        let _ = writeln!(
            o,
            "<tr><td><a href=\"scorecards/{link}.{card_ext}\">{name}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{:.1}</td><td>{}</td><td class=\"n\">{}</td></tr>",
            esc(&r.trainee),
            esc(if r.persona_name.is_empty() {
                &r.persona
            } else {
                &r.persona_name
            }),
            esc(&r.scenario),
            esc(&r.difficulty),
            outcome_label(&r.outcome),
            r.total,
            esc(&r.grade),
            r.forbidden_count,
            name = esc(&r.name),
            link = href(&r.name),
        );
    }
    o.push_str("</table>\n</body>\n</html>\n");
    o
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
            difficulty: String::new(),
            outcome: String::new(),
            total,
            grade: String::new(),
            forbidden_count: 0,
            invalid: None,
            dimensions: Vec::new(),
            violations: Vec::new(),
        }
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
        let svg = histogram(&[row(100.0), row(95.0), row(0.0)]);
        assert!(svg.contains("<title>90–100 分:2 场</title>"), "{svg}");
        assert!(svg.contains("<title>0–9 分:1 场</title>"), "{svg}");
    }
}

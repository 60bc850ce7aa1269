//! `summary.csv`, the sheet an assessor opens in a spreadsheet.

use super::{DIMENSIONS, Report, Row};
use crate::ui;

/// `summary.csv`: UTF-8 with a byte-order mark (so that Excel reads the Chinese),
/// Chinese headers and Chinese labels (感情用事者, 问题解决, 普通 — not the codes), one
/// row per scored session in run order. Dimensions are shares of their maximum
/// (`80%`, which a spreadsheet reads as a number), the maximum in the header.
pub fn summary_csv(report: &Report) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let time = format!("开始时间（{}）", crate::history::zone_label());
    let mut header: Vec<String> = [
        "学员",
        time.as_str(),
        "客户类型",
        "场景",
        "难度",
        "模式",
        "结局",
        "轮数",
        "最后愤怒",
        "总分",
        "等级",
        "禁语次数",
        "收回句数",
        "收回的禁语",
        "重来次数",
    ]
    .map(str::to_string)
    .to_vec();
    header.extend(dimension_headers(&report.rows));
    header.extend(["需要留意", "评分卡", "考核有效"].map(str::to_string));
    w.write_record(&header).expect("writing to memory");
    for r in &report.rows {
        let mut rec = vec![
            cell(&r.trainee),
            r.date(),
            cell(r.persona_label()),
            cell(r.scenario_label()),
            cell(r.difficulty_label()),
            r.mode_label(),
            r.ending_label().to_string(),
            r.turns.to_string(),
            r.final_anger.to_string(),
            format!("{:.1}", r.total),
            cell(&r.grade),
            r.forbidden_count.to_string(),
            r.undos.to_string(),
            r.undone_forbidden.to_string(),
            r.retries.to_string(),
        ];
        rec.extend(r.dimensions.iter().map(|d| share(d.1, d.2)));
        rec.push(cell(&r.flags().join("；")));
        rec.push(cell(&format!("scorecards/{}.json", r.name)));
        rec.push(match (&r.invalid, &r.unverified) {
            (Some(why), _) => cell(&format!("否：{why}")),
            (None, Some(why)) => cell(&format!("未核对：{why}")),
            (None, None) => "是".to_string(),
        });
        w.write_record(&rec).expect("writing to memory");
    }
    w.into_inner().expect("writing to memory")
}

/// Each dimension's header with its maximum: 「共情（满分 15）」, or the range of
/// maxima when customer types weigh it differently (「共情（满分 10–20）」).
pub(super) fn dimension_headers(rows: &[Row]) -> Vec<String> {
    let Some(first) = rows.first() else {
        return DIMENSIONS.iter().map(|d| d.to_string()).collect();
    };
    first
        .dimensions
        .iter()
        .enumerate()
        .map(|(i, (label, _, _))| {
            let maxima = rows.iter().filter_map(|r| r.dimensions.get(i).map(|d| d.2));
            let (lo, hi) = maxima.fold((f64::MAX, f64::MIN), |(lo, hi), m| (lo.min(m), hi.max(m)));
            if (hi - lo).abs() < 1e-9 {
                format!("{label}（满分 {}）", num(hi))
            } else {
                format!("{label}（满分 {}–{}）", num(lo), num(hi))
            }
        })
        .collect()
}

/// A maximum as written in a header: `15`, or `12.5`.
fn num(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

/// A score as a whole percentage of its maximum.
pub(super) fn share(score: f64, max: f64) -> String {
    if max > 0.0 {
        format!("{:.0}%", score / max * 100.0)
    } else {
        "—".to_string()
    }
}

/// A text cell of `summary.csv`: control characters removed, and a leading `=`, `+`,
/// `-` or `@` quoted so that a spreadsheet shows it instead of running it as a formula.
fn cell(s: &str) -> String {
    let s = ui::sanitize(s);
    if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_made_safe() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("小\u{1b}[31m王"), "小王");
    }

    #[test]
    fn shares_are_whole_percentages() {
        assert_eq!(share(12.0, 15.0), "80%");
        assert_eq!(share(0.0, 0.0), "—");
        assert_eq!(num(15.0), "15");
        assert_eq!(num(12.5), "12.5");
    }
}

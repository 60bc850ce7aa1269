//! `summary.csv`, the sheet an assessor opens in a spreadsheet.

use super::{DIMENSIONS, Report};
use crate::ui;

/// `summary.csv`: UTF-8 with a byte-order mark (so that Excel reads the Chinese),
/// Chinese headers, one row per scored session in run order.
pub fn summary_csv(report: &Report) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let dims: Vec<&str> = match report.rows.first() {
        Some(r) => r.dimensions.iter().map(|d| d.0).collect(),
        None => DIMENSIONS.to_vec(),
    };
    let mut header = vec![
        "学员",
        "客户类型",
        "场景",
        "难度",
        "结局",
        "总分",
        "等级",
        "禁语次数",
    ];
    header.extend(&dims);
    header.push("评分卡");
    header.push("考核有效");
    w.write_record(&header).expect("writing to memory");
    for r in &report.rows {
        let mut rec = vec![
            cell(&r.trainee),
            cell(&r.persona),
            cell(&r.scenario),
            cell(&r.difficulty),
            cell(&r.outcome),
            format!("{:.1}", r.total),
            cell(&r.grade),
            r.forbidden_count.to_string(),
        ];
        rec.extend(r.dimensions.iter().map(|d| format!("{:.1}", d.1)));
        rec.push(cell(&format!("scorecards/{}.json", r.name)));
        rec.push(match &r.invalid {
            None => "是".to_string(),
            Some(why) => cell(&format!("否:{why}")),
        });
        w.write_record(&rec).expect("writing to memory");
    }
    w.into_inner().expect("writing to memory")
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
}

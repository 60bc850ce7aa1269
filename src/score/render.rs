//! Scorecard renderers behind one trait, as hyperfine keeps its exporters: terminal
//! text (CJK-aligned, coloured only for a terminal), JSON (the documented, versioned
//! format) and Markdown.

use std::fmt::Write as _;

use super::Scorecard;
use crate::transcript::Ending;
use crate::ui::{self, Style};

/// Turns a scorecard into a document.
pub trait Render {
    fn render(&self, card: &Scorecard) -> String;
    /// File extension for `--out`.
    fn extension(&self) -> &'static str;
}

/// A scorecard format, as `score --format` and `assess --format` name it: one list,
/// so the two commands accept the same words (`text` or `txt`, `md` or `markdown`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    #[value(alias = "txt")]
    Text,
    Json,
    #[value(alias = "markdown")]
    Md,
    Html,
}

pub struct Text {
    pub style: Style,
}

pub struct Json;

pub struct Markdown;

/// A bar of `width` cells for `score` out of `max`.
fn bar(score: f64, max: f64, width: usize) -> String {
    let filled = if max > 0.0 {
        ((score / max) * width as f64).round() as usize
    } else {
        0
    };
    format!(
        "{}{}",
        "█".repeat(filled.min(width)),
        "░".repeat(width - filled.min(width))
    )
}

fn pad(s: &str, width: usize) -> String {
    format!("{s}{}", " ".repeat(width.saturating_sub(ui::width(s))))
}

/// Chinese label of a scorecard's outcome (an [`Ending`]'s name), for every renderer
/// and the history listing.
pub(crate) fn outcome_label(o: &str) -> &'static str {
    Ending::of(o).label()
}

impl Render for Text {
    fn render(&self, c: &Scorecard) -> String {
        let st = self.style;
        let s = |t: &str| ui::sanitize(t).into_owned();
        let mut o = String::new();
        let _ = writeln!(
            o,
            "{}  {} 分  {}",
            st.bold("评分卡"),
            c.total,
            st.bold(&c.grade)
        );
        if let Some(note) = c.cap_note() {
            let _ = writeln!(o, "{}", st.bad(&format!("（{note}）")));
        }
        if let Some(why) = &c.invalid {
            let _ = writeln!(o, "{}", st.bad(&format!("⚠ {}", s(why))));
        }
        if let Some(why) = c.unverified() {
            let _ = writeln!(o, "{}", st.bad(&format!("⚠ {}", unverified_note(why))));
        }
        let _ = if Ending::of(&c.outcome) == Ending::Chat {
            writeln!(
                o,
                "聊天记录 {} · 客服发言 {} 轮\n",
                s(&c.source.transcript),
                c.turns
            )
        } else {
            writeln!(
                o,
                "客户 {} · 场景 {} · 难度 {} · {} · {} 轮 · 最后愤怒 {}\n{}\n{}",
                c.source.persona,
                c.source.scenario,
                c.source.difficulty,
                outcome_label(&c.outcome),
                c.turns,
                c.final_anger,
                c.conduct.summary(),
                undone_lines(c, "  ", &s)
            )
        };
        if let Some(then) = &c.source.rubric_hash_then {
            let _ = writeln!(o, "{}\n", reread_note(then, &c.source.rubric_hash));
        }
        let width = c
            .dimensions
            .iter()
            .map(|d| ui::width(d.label))
            .max()
            .unwrap_or(0);
        for d in &c.dimensions {
            let _ = writeln!(
                o,
                "{}  {}  {:>5.1} / {}",
                pad(d.label, width),
                bar(d.score, d.max, 10),
                d.score,
                d.max
            );
        }
        let bad: Vec<_> = c
            .dimensions
            .iter()
            .flat_map(|d| d.evidence.iter().map(move |e| (d, e)))
            // A shortcoming is anything with a better way to say or do it, even when it
            // kept part of its points (「道歉后没有跟上行动」).
            .filter(|(_, e)| e.points < 0.0 || e.better.is_some())
            .collect();
        if !bad.is_empty() {
            let _ = writeln!(o, "\n{}", st.bold("扣分与改进"));
            for (d, e) in bad {
                let turn = e.turn.map_or_else(String::new, |t| format!("第 {t} 轮 "));
                let quote = if e.quote.is_empty() {
                    String::new()
                } else {
                    format!("「{}」", s(&e.quote))
                };
                let pts = if e.points < 0.0 {
                    format!(" {:.1}", e.points)
                } else {
                    String::new()
                };
                let _ = writeln!(
                    o,
                    "  {} [{}] {turn}{quote} {}{pts}",
                    st.bad("✗"),
                    d.label,
                    s(&e.why)
                );
                if let Some(b) = &e.better {
                    let _ = writeln!(o, "      → 试试：{}", s(b));
                }
            }
        }
        let good: Vec<_> = c
            .dimensions
            .iter()
            .flat_map(|d| d.evidence.iter().map(move |e| (d, e)))
            .filter(|(_, e)| e.points > 0.0 && e.turn.is_some() && e.better.is_none())
            .collect();
        if !good.is_empty() {
            let _ = writeln!(o, "\n{}", st.bold("做得好"));
            for (d, e) in good {
                let quote = if e.quote.is_empty() {
                    String::new()
                } else {
                    format!("「{}」", s(&e.quote))
                };
                let _ = writeln!(
                    o,
                    "  {} [{}] 第 {} 轮 {quote} {}",
                    st.good("✓"),
                    d.label,
                    e.turn.unwrap_or(0),
                    s(&e.why)
                );
            }
        }
        if !c.promises.is_empty() {
            let _ = writeln!(o, "\n{}", st.bold("承诺清单"));
            for p in &c.promises {
                let mark = match (p.keepable, p.status) {
                    (true, "vague") => st.dim("？含糊"),
                    (true, _) => st.good("✓"),
                    (false, _) => st.bad(&format!("✗ {}", p.label())),
                };
                let _ = writeln!(
                    o,
                    "  第 {} 轮 {}「{}」{} {}",
                    p.turn,
                    p.kind,
                    s(&p.quote),
                    mark,
                    s(&p.why)
                );
            }
        }
        o
    }

    fn extension(&self) -> &'static str {
        "txt"
    }
}

impl Render for Json {
    fn render(&self, c: &Scorecard) -> String {
        let mut s = serde_json::to_string_pretty(c).expect("a scorecard serialises");
        s.push('\n');
        s
    }

    fn extension(&self) -> &'static str {
        "json"
    }
}

/// Escape text for a Markdown table cell.
fn cell(s: &str) -> String {
    ui::sanitize(s).replace('|', "\\|").replace('\n', " ")
}

impl Render for Markdown {
    fn render(&self, c: &Scorecard) -> String {
        let mut o = String::new();
        let _ = writeln!(o, "# 评分卡：{} 分，{}\n", c.total, c.grade);
        if let Some(note) = c.cap_note() {
            let _ = writeln!(o, "> {}。\n", cell(&note));
        }
        if let Some(why) = &c.invalid {
            let _ = writeln!(o, "> ⚠ {}\n", cell(why));
        }
        if let Some(why) = c.unverified() {
            let _ = writeln!(o, "> ⚠ {}\n", cell(&unverified_note(why)));
        }
        if Ending::of(&c.outcome) == Ending::Chat {
            let _ = writeln!(
                o,
                "- 聊天记录：`{}` · 客服发言 {} 轮",
                cell(&c.source.transcript),
                c.turns
            );
            let _ = writeln!(
                o,
                "- 规则 {} v{}({}) · peilian {}\n",
                c.source.rubric, c.source.rubric_version, c.source.rubric_hash, c.source.peilian
            );
        } else {
            let _ = writeln!(
                o,
                "- 客户：{} · 场景：{} · 难度：{}\n- 结果：{}（{} 轮，最后愤怒 {}）\n- {}\n{}- 记录：`{}` · 规则 {} v{}({}) · peilian {}\n",
                c.source.persona,
                c.source.scenario,
                c.source.difficulty,
                outcome_label(&c.outcome),
                c.turns,
                c.final_anger,
                c.conduct.summary(),
                undone_lines(c, "  - ", &cell),
                cell(&c.source.transcript),
                c.source.rubric,
                c.source.rubric_version,
                c.source.rubric_hash,
                c.source.peilian
            );
        }
        if let Some(then) = &c.source.rubric_hash_then {
            let _ = writeln!(o, "> {}\n", reread_note(then, &c.source.rubric_hash));
        }
        let _ = writeln!(o, "| 维度 | 得分 | 满分 |\n| --- | ---: | ---: |");
        for d in &c.dimensions {
            let _ = writeln!(o, "| {} | {:.1} | {} |", d.label, d.score, d.max);
        }
        let _ = writeln!(
            o,
            "\n## 依据\n\n| 维度 | 轮次 | 原话 | 规则 | 分数 | 说明 | 更好的说法 |\n| --- | ---: | --- | --- | ---: | --- | --- |"
        );
        for d in &c.dimensions {
            for e in &d.evidence {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} | {:+.1} | {} | {} |",
                    d.label,
                    e.turn.map_or_else(String::new, |t| t.to_string()),
                    cell(&e.quote),
                    cell(&e.rule),
                    e.points,
                    cell(&e.why),
                    cell(e.better.as_deref().unwrap_or(""))
                );
            }
        }
        if !c.promises.is_empty() {
            let _ = writeln!(
                o,
                "\n## 承诺清单\n\n| 轮次 | 类型 | 原话 | 能否兑现 | 说明 |\n| ---: | --- | --- | --- | --- |"
            );
            for p in &c.promises {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} | {} |",
                    p.turn,
                    p.kind,
                    cell(&p.quote),
                    p.label(),
                    cell(&p.why)
                );
            }
        }
        o
    }

    fn extension(&self) -> &'static str {
        "md"
    }
}

/// The lines taken back, one per line with `indent`, 禁语 marked; empty without any.
fn undone_lines(c: &Scorecard, indent: &str, s: &dyn Fn(&str) -> String) -> String {
    c.conduct
        .undos
        .iter()
        .map(|u| {
            let mark = if u.phrases.is_empty() {
                String::new()
            } else {
                format!("（禁语「{}」）", s(&u.phrases.join("」「")))
            };
            format!("{indent}收回第 {} 轮「{}」{mark}\n", u.turn, s(&u.quote))
        })
        .collect()
}

/// Said on a card whose transcript could not be replayed: it is scored as recorded,
/// and nothing vouches that the file is what the session was.
pub fn unverified_note(why: &str) -> String {
    format!("{why}；客户的反应和结果按记录计算，未经核对（用记录时的客户画像和规则再评才能核对）")
}

/// Said on a card whose transcript was read with another rubric than the one scoring it.
pub fn reread_note(then: &str, now: &str) -> String {
    format!(
        "注意：这场对话记录时用的规则（{}）与现在的（{}）不同，各句已按现在的规则重新解读，\
         分数可能与当时不同。",
        short(then),
        short(now)
    )
}

fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

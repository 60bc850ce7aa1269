//! `peilian analyze`: the analyser on the command line, for trainers tuning a rubric
//! and for scripts. One input line in, one result out, whatever the line holds.

use std::io::{self, BufRead, Write};

use serde::Serialize;

use super::Context;
use crate::rubric::{Analyser, Polarity};
use crate::ui::{self, Style};

#[derive(Serialize)]
struct JsonSignal<'a> {
    kind: &'a str,
    rule: &'a str,
    start: usize,
    end: usize,
}

#[derive(Serialize)]
struct JsonLine<'a> {
    text: &'a str,
    clauses: Vec<JsonClause>,
    acts: Vec<JsonAct>,
    signals: Vec<JsonSignal<'a>>,
}

#[derive(Serialize)]
struct JsonClause {
    start: usize,
    end: usize,
    cues: Vec<&'static str>,
}

#[derive(Serialize)]
struct JsonAct {
    kind: &'static str,
    label: &'static str,
    polarity: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    forbidden: Option<&'static str>,
    start: usize,
    end: usize,
    confidence: f32,
    slots: crate::reading::Slots,
    evidence: crate::reading::Explanation,
}

/// The reading of a line as JSON: its clauses and acts, each act with its evidence.
fn json_reading<'a>(
    reader: &crate::reading::Reader,
    text: &'a str,
    signals: Vec<JsonSignal<'a>>,
) -> JsonLine<'a> {
    let r = reader.read(text);
    let why = reader.explain(text, &r);
    JsonLine {
        text,
        clauses: r
            .clauses
            .iter()
            .map(|c| JsonClause {
                start: c.start,
                end: c.end,
                cues: c.cues.names().collect(),
            })
            .collect(),
        acts: r
            .acts
            .into_iter()
            .zip(why)
            .map(|(a, evidence)| JsonAct {
                kind: a.act.id(),
                label: a.act.label(),
                polarity: a.act.polarity().label(),
                forbidden: a.forbidden,
                start: a.start,
                end: a.end,
                confidence: (a.confidence * 1000.0).round() / 1000.0,
                slots: a.slots,
                evidence,
            })
            .collect(),
        signals,
    }
}

pub(super) fn run(ctx: &Context, json: bool) -> anyhow::Result<u8> {
    let analyser = ctx.analyser()?;
    let stdin = io::stdin();
    let mut input = stdin.lock();
    let mut out = io::BufWriter::new(io::stdout().lock());
    let style = Style::stdout();
    let mut buf = Vec::new();
    let mut signals = Vec::new();
    let mut line_no = 0usize;
    loop {
        buf.clear();
        if input.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        line_no += 1;
        if buf.last() == Some(&b'\n') {
            buf.pop();
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
        }
        let text = match std::str::from_utf8(&buf) {
            Ok(t) => std::borrow::Cow::Borrowed(t),
            Err(_) => {
                // Warn, then go on: output stays one result per input line.
                eprintln!("警告：第 {line_no} 行不是有效的 UTF-8，已用替换字符解码");
                String::from_utf8_lossy(&buf)
            }
        };
        analyser.analyse_into(&text, &mut signals);
        if json {
            let sigs = signals
                .iter()
                .map(|s| JsonSignal {
                    kind: &analyser.kind(s).id,
                    rule: &analyser.rule(s).id,
                    start: s.start,
                    end: s.end,
                })
                .collect();
            let line = json_reading(crate::reading::default_reader(), &text, sigs);
            serde_json::to_writer(&mut out, &line)?;
            writeln!(out)?;
        } else {
            write_plain(&mut out, analyser, &text, &signals, style)?;
        }
    }
    out.flush()?;
    Ok(0)
}

/// The line, then one row per signal with carets under its span and its kind, rule and,
/// for bad signals, the better phrasing.
fn write_plain(
    out: &mut impl Write,
    analyser: &Analyser,
    text: &str,
    signals: &[crate::rubric::Signal],
    st: Style,
) -> io::Result<()> {
    writeln!(out, "{}", ui::sanitize(text))?;
    if signals.is_empty() {
        return writeln!(out, "  {}", st.dim("（无信号）"));
    }
    for s in signals {
        let kind = analyser.kind(s);
        let rule = analyser.rule(s);
        let pad = ui::width(&ui::sanitize(&text[..s.start]));
        let marks = ui::width(&ui::sanitize(&text[s.start..s.end])).max(1);
        let label = format!(
            "{} {} ({})",
            if kind.polarity == Polarity::Good {
                "✓"
            } else {
                "✗"
            },
            kind.label,
            rule.id
        );
        let label = match kind.polarity {
            Polarity::Good => st.good(&label),
            Polarity::Bad => st.bad(&label),
        };
        write!(out, "{}{} {}", " ".repeat(pad), "^".repeat(marks), label)?;
        if kind.polarity == Polarity::Bad && !rule.better.is_empty() {
            write!(out, " → 试试：「{}」", ui::sanitize(&rule.better))?;
        }
        writeln!(out)?;
    }
    Ok(())
}

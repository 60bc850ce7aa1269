//! The HTML scorecard: one self-contained page — inline CSS and inline SVG, no scripts,
//! fonts or anything else fetched from elsewhere — that a trainee can open offline or an
//! assessor can mail. It shows the total and grade, the mood curve, a bar per dimension,
//! every piece of evidence, the promise ledger and the transcript with each signal
//! marked where it was said.
//!
//! Every string in a scorecard came from a trainee, a model or a trainer's file, so all of
//! it passes through [`ui::sanitize`] (control characters) and [`escape`] (markup) on the
//! way out; the renderer writes no markup it did not build itself.

use std::fmt::Write as _;

use super::render::{Render, outcome_label};
use super::{Dimension, Scorecard, ScoredTurn};
use crate::ui;

/// The HTML renderer.
pub struct Html;

/// Colour of the mood curve and its dots, used nowhere else on the page, so a
/// screenshot can tell whether the chart was drawn.
pub const CURVE_RGB: [u8; 3] = [0x70, 0x48, 0xe8];

/// Escape the five characters that mean something in HTML text and attribute values.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// Untrusted text, made safe for HTML: control characters dropped, markup escaped.
fn text(s: &str) -> String {
    escape(&ui::sanitize(s))
}

fn curve_colour() -> String {
    let [r, g, b] = CURVE_RGB;
    format!("#{r:02x}{g:02x}{b:02x}")
}

fn difficulty_label(d: &str) -> String {
    text(crate::persona::Difficulty::label_of(d))
}

const STYLE: &str = r#"
:root { --ink:#212529; --muted:#6c757d; --line:#dee2e6; --good:#2b8a3e; --bad:#c92a2a;
  --good-bg:#d3f9d8; --bad-bg:#ffe3e3; --both-bg:#fff3bf; }
* { box-sizing: border-box; }
body { margin:0; background:#f8f9fa; color:var(--ink); line-height:1.6;
  font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei","WenQuanYi Micro Hei",sans-serif; }
main { max-width:980px; margin:0 auto; padding:24px 28px 48px; background:#fff; }
h1 { font-size:22px; margin:0 0 4px; }
h2 { font-size:18px; margin:32px 0 10px; padding-bottom:4px; border-bottom:2px solid var(--line); }
h3 { font-size:15px; margin:18px 0 6px; }
.summary { display:flex; gap:24px; align-items:center; flex-wrap:wrap; }
.total { font-size:44px; font-weight:700; line-height:1; }
.total small { font-size:18px; font-weight:400; color:var(--muted); }
.grade { font-size:24px; font-weight:700; padding:4px 16px; border-radius:8px; background:#e7f5ff; color:#1864ab; }
.cap { color:var(--bad); background:var(--bad-bg); padding:6px 10px; border-radius:6px; margin:10px 0 0; }
dl.facts { display:grid; grid-template-columns:max-content 1fr max-content 1fr; gap:2px 14px; margin:14px 0 0; }
dl.facts dt { color:var(--muted); }
dl.facts dd { margin:0; }
.prov { color:var(--muted); font-size:12px; margin-top:12px; word-break:break-all; }
.prov code { font-size:12px; }
svg text { font-size:12px; fill:#495057; }
.dims { display:grid; grid-template-columns:max-content 1fr max-content; gap:8px 12px; align-items:center; }
.track { background:#e9ecef; height:16px; border-radius:8px; overflow:hidden; }
.fill { height:100%; border-radius:8px; }
.fill.hi { background:#40c057; } .fill.mid { background:#fab005; } .fill.lo { background:#fa5252; }
.pts { font-variant-numeric:tabular-nums; text-align:right; }
table { border-collapse:collapse; width:100%; font-size:14px; }
th, td { border:1px solid var(--line); padding:4px 8px; text-align:left; vertical-align:top; }
th { background:#f1f3f5; font-weight:600; white-space:nowrap; }
table.evidence { table-layout:fixed; }
td { overflow-wrap:anywhere; }
td.num { text-align:right; white-space:nowrap; font-variant-numeric:tabular-nums; }
tr.bad td { background:#fff5f5; }
tr.bad td.num { color:var(--bad); font-weight:600; }
tr.good td.num { color:var(--good); }
td.better { color:#1864ab; }
.ok { color:var(--good); font-weight:600; } .broken { color:var(--bad); font-weight:600; }
.none { color:var(--muted); }
mark { padding:0 1px; border-radius:3px; color:inherit; }
mark.good { background:var(--good-bg); }
mark.bad { background:var(--bad-bg); text-decoration:underline wavy var(--bad); text-underline-offset:3px; }
mark.good.bad { background:var(--both-bg); }
.legend { font-size:13px; color:var(--muted); }
.turn { border-left:4px solid var(--line); padding:4px 0 4px 12px; margin:12px 0; }
.turn .n { font-size:12px; color:var(--muted); }
.turn p { margin:2px 0; }
.who { display:inline-block; min-width:3em; color:var(--muted); }
.anger { font-size:12px; padding:0 6px; border-radius:4px; background:#f1f3f5; margin-left:6px; white-space:nowrap; }
.anger.up { color:var(--bad); } .anger.down { color:var(--good); }
@media print { body { background:#fff; } main { padding:0; } }
"#;

impl Render for Html {
    fn render(&self, c: &Scorecard) -> String {
        let mut o = String::new();
        let _ = write!(
            o,
            "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>评分卡 · {} 分 · {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n",
            c.total,
            text(&c.grade)
        );
        header(&mut o, c);
        let _ = writeln!(o, "<section>\n<h2>情绪曲线</h2>");
        mood_curve(&mut o, &c.anger_curve);
        let _ = writeln!(o, "</section>");
        dimension_bars(&mut o, &c.dimensions);
        evidence(&mut o, &c.dimensions);
        promises(&mut o, c);
        dialogue(&mut o, c);
        let _ = writeln!(o, "</main>\n</body>\n</html>");
        o
    }

    fn extension(&self) -> &'static str {
        "html"
    }
}

fn header(o: &mut String, c: &Scorecard) {
    let _ = writeln!(
        o,
        "<header>\n<h1>评分卡</h1>\n<div class=\"summary\"><div class=\"total\">{} <small>分</small></div>\
         <div class=\"grade\">{}</div></div>",
        c.total,
        text(&c.grade)
    );
    if let Some(note) = c.cap_note() {
        let _ = writeln!(o, "<p class=\"cap\">{}。</p>", text(&note));
    }
    if let Some(why) = &c.invalid {
        let _ = writeln!(o, "<p class=\"cap\">⚠ {}</p>", text(why));
    }
    if let Some(why) = c.unverified() {
        let _ = writeln!(
            o,
            "<p class=\"cap\">⚠ {}</p>",
            text(&super::render::unverified_note(why))
        );
    }
    let s = &c.source;
    let trainee = if c.trainee.trim().is_empty() {
        "<span class=\"none\">未填写</span>".to_string()
    } else {
        text(&c.trainee)
    };
    let _ = writeln!(
        o,
        "<dl class=\"facts\">\n\
         <dt>学员</dt><dd>{trainee}</dd><dt>结果</dt><dd>{}</dd>\n\
         <dt>客户</dt><dd>{}</dd><dt>轮数</dt><dd>{}</dd>\n\
         <dt>场景</dt><dd>{}</dd><dt>最后愤怒</dt><dd>{}</dd>\n\
         <dt>难度</dt><dd>{}</dd><dt>禁语</dt><dd>{} 处</dd>\n\
         <dt>模式</dt><dd>{}</dd><dt>收回</dt><dd>{}</dd>\n</dl>",
        outcome_label(&c.outcome),
        text(&s.persona),
        c.turns,
        text(&s.scenario),
        c.final_anger,
        difficulty_label(&s.difficulty),
        c.forbidden_count,
        text(&c.conduct.mode_label()),
        text(&c.conduct.undo_summary())
    );
    conduct(o, c);
    let mut now = s.persona_hash_now.as_ref().map_or_else(String::new, |h| {
        format!("（评分时画像已改动，现为 <code>{}</code>）", text(h))
    });
    if let Some(then) = &s.rubric_hash_then {
        now.push_str(&format!(
            " · <strong>{}</strong>",
            text(&super::render::reread_note(then, &s.rubric_hash))
        ));
    }
    let _ = writeln!(
        o,
        "<p class=\"prov\">记录 <code>{}</code> · 规则 {} v{}(<code>{}</code>)· 画像 <code>{}</code>{now} · \
         peilian {} · 生成于 {}</p>\n</header>",
        text(&s.transcript),
        text(&s.rubric),
        s.rubric_version,
        text(&s.rubric_hash),
        text(&s.persona_hash),
        text(&s.peilian),
        text(&c.generated_at)
    );
}

/// The lines taken back, and whether the session is an abandoned or a repeated
/// attempt: what an assessor must see before trusting the score.
fn conduct(o: &mut String, c: &Scorecard) {
    let k = &c.conduct;
    if k.restarted {
        let _ = writeln!(
            o,
            "<p class=\"cap\">学员用 /restart 重新开始，这场没有做完。</p>"
        );
    }
    if let Some(of) = &k.attempt_of {
        let _ = writeln!(
            o,
            "<p class=\"cap\">这是又一次尝试，接在 <code>{}</code> 之后。</p>",
            text(of)
        );
    }
    if k.undos.is_empty() {
        return;
    }
    let _ = writeln!(o, "<ul class=\"undos\">");
    for u in &k.undos {
        let mark = if u.phrases.is_empty() {
            String::new()
        } else {
            format!(
                " <span class=\"broken\">禁语「{}」</span>",
                text(&u.phrases.join("」「"))
            )
        };
        let _ = writeln!(
            o,
            "<li>收回第 {} 轮「{}」{mark}</li>",
            u.turn,
            text(&u.quote)
        );
    }
    let _ = writeln!(o, "</ul>");
}

/// The anger curve as an inline SVG line chart: anger 0–100 on y, turns on x.
fn mood_curve(o: &mut String, curve: &[i32]) {
    const W: f64 = 900.0;
    const H: f64 = 280.0;
    const LEFT: f64 = 48.0;
    const RIGHT: f64 = 20.0;
    const TOP: f64 = 16.0;
    const BOTTOM: f64 = 44.0;
    let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    let n = curve.len().saturating_sub(1);
    let x = |i: usize| {
        if n == 0 {
            LEFT
        } else {
            LEFT + pw * i as f64 / n as f64
        }
    };
    let y = |anger: i32| TOP + ph * (100 - anger.clamp(0, 100)) as f64 / 100.0;
    let colour = curve_colour();
    let _ = writeln!(
        o,
        "<svg id=\"mood-curve\" viewBox=\"0 0 {W} {H}\" width=\"100%\" \
         role=\"img\" aria-label=\"客户愤怒值变化曲线\">"
    );
    // Calm, uneasy and angry bands behind the plot.
    for (from, to, fill) in [
        (100, 70, "#fff5f5"),
        (70, 40, "#fff9db"),
        (40, 0, "#ebfbee"),
    ] {
        let _ = writeln!(
            o,
            "<rect x=\"{LEFT}\" y=\"{:.1}\" width=\"{pw}\" height=\"{:.1}\" fill=\"{fill}\"/>",
            y(from),
            y(to) - y(from)
        );
    }
    for level in [0, 50, 100] {
        let _ = writeln!(
            o,
            "<line x1=\"{LEFT}\" y1=\"{0:.1}\" x2=\"{1}\" y2=\"{0:.1}\" stroke=\"#ced4da\" stroke-dasharray=\"4 4\"/>\
             <text x=\"{2}\" y=\"{3:.1}\" text-anchor=\"end\">{level}</text>",
            y(level),
            LEFT + pw,
            LEFT - 8.0,
            y(level) + 4.0
        );
    }
    // Axes.
    let _ = writeln!(
        o,
        "<line x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{LEFT}\" y2=\"{0}\" stroke=\"#495057\"/>\
         <line x1=\"{LEFT}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" stroke=\"#495057\"/>",
        TOP + ph,
        LEFT + pw
    );
    let step = n.div_ceil(24).max(1);
    for i in 0..=n {
        if i % step != 0 && i != n {
            continue;
        }
        let label = if i == 0 {
            "开场".to_string()
        } else {
            i.to_string()
        };
        let _ = writeln!(
            o,
            "<line x1=\"{0:.1}\" y1=\"{1}\" x2=\"{0:.1}\" y2=\"{2}\" stroke=\"#495057\"/>\
             <text x=\"{0:.1}\" y=\"{3}\" text-anchor=\"middle\">{label}</text>",
            x(i),
            TOP + ph,
            TOP + ph + 5.0,
            TOP + ph + 18.0
        );
    }
    let _ = writeln!(
        o,
        "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">轮次</text>\
         <text x=\"14\" y=\"{:.1}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {:.1})\">愤怒</text>",
        LEFT + pw / 2.0,
        H - 6.0,
        TOP + ph / 2.0,
        TOP + ph / 2.0
    );
    let points: Vec<String> = curve
        .iter()
        .enumerate()
        .map(|(i, a)| format!("{:.1},{:.1}", x(i), y(*a)))
        .collect();
    let _ = writeln!(
        o,
        "<polyline points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"3\" \
         stroke-linejoin=\"round\" stroke-linecap=\"round\"/>",
        points.join(" ")
    );
    for (i, a) in curve.iter().enumerate() {
        let (fill, title) = if i == 0 {
            ("#fff".to_string(), format!("开场 愤怒 {a}"))
        } else {
            (colour.clone(), format!("第 {i} 轮后 愤怒 {a}"))
        };
        let _ = writeln!(
            o,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"5\" fill=\"{fill}\" stroke=\"{colour}\" stroke-width=\"2\">\
             <title>{title}</title></circle>",
            x(i),
            y(*a)
        );
    }
    let _ = writeln!(o, "</svg>");
}

fn dimension_bars(o: &mut String, dims: &[Dimension]) {
    let _ = writeln!(o, "<section>\n<h2>各维度得分</h2>\n<div class=\"dims\">");
    for d in dims {
        let share = if d.max > 0.0 {
            (d.score / d.max).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let level = match share {
            s if s >= 0.8 => "hi",
            s if s >= 0.5 => "mid",
            _ => "lo",
        };
        let _ = writeln!(
            o,
            "<div>{}</div><div class=\"track\" title=\"{:.1} / {}\"><div class=\"fill {level}\" style=\"width:{:.1}%\"></div></div>\
             <div class=\"pts\">{:.1} / {}</div>",
            text(d.label),
            d.score,
            d.max,
            share * 100.0,
            d.score,
            d.max
        );
    }
    let _ = writeln!(o, "</div>\n</section>");
}

fn evidence(o: &mut String, dims: &[Dimension]) {
    let _ = writeln!(o, "<section>\n<h2>评分依据</h2>");
    for d in dims {
        if d.evidence.is_empty() {
            let _ = writeln!(
                o,
                "<h3>{}（{:.1} / {}）</h3>\n<p class=\"none\">没有扣分。</p>",
                text(d.label),
                d.score,
                d.max
            );
            continue;
        }
        let _ = writeln!(
            o,
            "<h3>{}（{:.1} / {}）</h3>\n<table class=\"evidence\">\n<colgroup><col style=\"width:6%\">\
             <col style=\"width:20%\"><col style=\"width:18%\"><col style=\"width:7%\"><col style=\"width:24%\">\
             <col style=\"width:25%\"></colgroup>\n<thead><tr><th>轮次</th><th>原话</th><th>规则</th>\
             <th>分数</th><th>说明</th><th>更好的说法</th></tr></thead>\n<tbody>",
            text(d.label),
            d.score,
            d.max
        );
        for e in &d.evidence {
            // Partial credit with a better way is a shortcoming, as on the text card.
            let bad = e.points < 0.0 || e.better.is_some();
            let class = if bad {
                "bad"
            } else if e.points > 0.0 {
                "good"
            } else {
                "plain"
            };
            let quote = if e.quote.is_empty() {
                String::new()
            } else {
                format!("「{}」", text(&e.quote))
            };
            let _ = writeln!(
                o,
                "<tr class=\"{class}\"><td class=\"num\">{}</td><td>{quote}</td><td><code>{}</code></td>\
                 <td class=\"num\">{}</td><td>{}</td><td class=\"better\">{}</td></tr>",
                e.turn.map_or_else(String::new, |t| t.to_string()),
                text(&e.rule),
                points(e.points),
                text(&e.why),
                e.better.as_deref().map_or_else(String::new, text)
            );
        }
        let _ = writeln!(o, "</tbody>\n</table>");
    }
    let _ = writeln!(o, "</section>");
}

/// Points given (+) or taken (−); none is 0.
fn points(p: f64) -> String {
    if p == 0.0 {
        "0".into()
    } else {
        format!("{p:+.1}")
    }
}

fn promises(o: &mut String, c: &Scorecard) {
    let _ = writeln!(o, "<section>\n<h2>承诺清单</h2>");
    if c.promises.is_empty() {
        let _ = writeln!(
            o,
            "<p class=\"none\">这场对话没有做出承诺。</p>\n</section>"
        );
        return;
    }
    let _ = writeln!(
        o,
        "<table class=\"evidence\">\n<colgroup><col style=\"width:6%\"><col style=\"width:8%\">\
         <col style=\"width:34%\"><col style=\"width:14%\"><col style=\"width:38%\"></colgroup>\n\
         <thead><tr><th>轮次</th><th>类型</th><th>原话</th><th>能否兑现</th><th>说明</th></tr></thead>\n<tbody>"
    );
    for p in &c.promises {
        let (class, mark) = match (p.keepable, p.status) {
            (true, "vague") => ("", "<span>？含糊</span>".to_string()),
            (true, _) => ("good", "<span class=\"ok\">✓ 能兑现</span>".to_string()),
            (false, _) => (
                "bad",
                format!("<span class=\"broken\">✗ {}</span>", p.label()),
            ),
        };
        let _ = writeln!(
            o,
            "<tr class=\"{class}\"><td class=\"num\">{}</td><td>{}</td><td>「{}」</td><td>{mark}</td><td>{}</td></tr>",
            p.turn,
            text(p.kind),
            text(&p.quote),
            text(&p.why)
        );
    }
    let _ = writeln!(o, "</tbody>\n</table>\n</section>");
}

fn dialogue(o: &mut String, c: &Scorecard) {
    let _ = writeln!(
        o,
        "<section>\n<h2>对话标注</h2>\n<p class=\"legend\"><mark class=\"good\">加分的话</mark> \
         <mark class=\"bad\">扣分的话</mark> <mark class=\"good bad\">两者重叠</mark>;\
         鼠标停在标记上可看信号和规则。</p>"
    );
    let mut before = c.anger_curve.first().copied();
    for t in &c.dialogue {
        let (trend, change) = match before {
            Some(b) if t.anger > b => ("up", format!(" ↑{}", t.anger - b)),
            Some(b) if t.anger < b => ("down", format!(" ↓{}", b - t.anger)),
            _ => ("", String::new()),
        };
        before = Some(t.anger);
        let _ = writeln!(
            o,
            "<div class=\"turn\"><div class=\"n\">第 {} 轮</div>\n\
             <p><span class=\"who\">学员</span>{}</p>\n\
             <p><span class=\"who\">客户</span>{}<span class=\"anger {trend}\">愤怒 {}{change}</span></p></div>",
            t.n,
            annotate(t),
            text(&t.customer),
            t.anger
        );
    }
    let _ = writeln!(o, "</section>");
}

/// The trainee's line with its spans marked. Spans may overlap, so the line is cut at
/// every span edge and each piece is marked with the classes and labels of all the spans
/// that cover it. Spans are byte offsets into the raw line; control characters are
/// dropped afterwards, piece by piece, keeping exactly the characters
/// [`ui::sanitize`] keeps for the whole line.
fn annotate(t: &ScoredTurn) -> String {
    let raw = t.trainee.as_str();
    let spans: Vec<_> = t
        .spans
        .iter()
        .filter(|s| {
            s.start < s.end
                && s.end <= raw.len()
                && raw.is_char_boundary(s.start)
                && raw.is_char_boundary(s.end)
        })
        .collect();
    let mut cuts: Vec<usize> = vec![0, raw.len()];
    cuts.extend(spans.iter().flat_map(|s| [s.start, s.end]));
    cuts.sort_unstable();
    cuts.dedup();
    let keep = kept(raw);
    let mut o = String::new();
    for w in cuts.windows(2) {
        let (a, b) = (w[0], w[1]);
        let piece: String = raw[a..b]
            .char_indices()
            .filter(|(i, _)| keep[a + i])
            .map(|(_, c)| c)
            .collect();
        if piece.is_empty() {
            continue;
        }
        let covering: Vec<_> = spans
            .iter()
            .filter(|s| s.start <= a && b <= s.end)
            .collect();
        if covering.is_empty() {
            o.push_str(&escape(&piece));
            continue;
        }
        let mut classes: Vec<&str> = covering.iter().map(|s| s.polarity).collect();
        classes.sort_unstable();
        classes.dedup();
        let title: Vec<String> = covering
            .iter()
            .map(|s| format!("{} {}", s.label, s.rule))
            .collect();
        let _ = write!(
            o,
            "<mark class=\"{}\" title=\"{}\">{}</mark>",
            classes.join(" "),
            text(&title.join("；")),
            escape(&piece)
        );
    }
    o
}

/// For each byte of `raw` that starts a character, whether [`ui::sanitize`] keeps that
/// character. Sanitising only removes characters, so its output is a subsequence of the
/// input; matching it greedily from the left marks the kept ones, and the marked
/// characters always spell exactly the sanitised line.
fn kept(raw: &str) -> Vec<bool> {
    let clean = ui::sanitize(raw);
    let mut keep = vec![false; raw.len() + 1];
    let mut want = clean.chars().peekable();
    for (i, c) in raw.char_indices() {
        if want.peek() == Some(&c) {
            want.next();
            keep[i] = true;
        }
    }
    keep
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::Span;

    fn span(start: usize, end: usize, polarity: &'static str) -> Span {
        Span {
            start,
            end,
            kind: "k".into(),
            label: "标签".into(),
            rule: "r.x".into(),
            polarity,
        }
    }

    fn turn(trainee: &str, spans: Vec<Span>) -> ScoredTurn {
        ScoredTurn {
            n: 1,
            trainee: trainee.into(),
            customer: String::new(),
            anger: 50,
            spans,
        }
    }

    #[test]
    fn escapes_all_five() {
        assert_eq!(
            escape(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn overlapping_spans_are_split_at_every_edge() {
        // 对不起 (0..9) good, 不起讲道理 (3..18) bad.
        let t = turn(
            "对不起讲道理吧",
            vec![span(0, 9, "good"), span(3, 18, "bad")],
        );
        let out = annotate(&t);
        assert_eq!(
            out,
            "<mark class=\"good\" title=\"标签 r.x\">对</mark>\
             <mark class=\"bad good\" title=\"标签 r.x；标签 r.x\">不起</mark>\
             <mark class=\"bad\" title=\"标签 r.x\">讲道理</mark>吧"
        );
    }

    #[test]
    fn control_sequences_are_dropped_without_moving_the_marks() {
        let t = turn("\u{1b}[31m您好<b>", vec![span(5, 11, "good")]);
        assert_eq!(
            annotate(&t),
            "<mark class=\"good\" title=\"标签 r.x\">您好</mark>&lt;b&gt;"
        );
    }

    #[test]
    fn bad_offsets_are_ignored() {
        let t = turn("您好", vec![span(1, 3, "bad"), span(0, 99, "bad")]);
        assert_eq!(annotate(&t), "您好");
    }
}

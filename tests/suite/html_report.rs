//! `peilian score --format html`: one self-contained page per transcript, with the mood
//! curve, the evidence and the annotated dialogue, every piece of outside text escaped —
//! and, where Chromium is installed (CI installs it), a real browser renders it.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::browser::{chromium, drawn, pixels};
use common::{Dir, repo};
use peilian::score::html::CURVE_RGB;

/// Run a scripted session and write its transcript to `name`.
fn run(d: &Dir, name: &str, answers: &Path) {
    d.cmd()
        .args(["run", "--persona", "emotional", "--transcript", name])
        .arg("--answers")
        .arg(answers)
        .assert()
        .success();
}

/// Score `name` as HTML into `cards/` and return the page.
fn html(d: &Dir, name: &str) -> (PathBuf, String) {
    d.cmd()
        .args(["score", "--format", "html", "--out", "cards", name])
        .assert()
        .success();
    let stem = Path::new(name).file_stem().unwrap().to_string_lossy();
    let path = d.path().join(format!("cards/{stem}.html"));
    let body = std::fs::read_to_string(&path).expect("the report is written");
    (path, body)
}

fn score_json(d: &Dir, name: &str) -> serde_json::Value {
    let out = d
        .cmd()
        .args(["score", "--format", "json", name])
        .output()
        .unwrap();
    assert!(out.status.success());
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The page's text with the tags taken out.
fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

fn assert_self_contained(body: &str) {
    for outside in [
        "http://",
        "https://",
        "src=\"",
        "href=\"",
        "<script",
        "<link",
        "@import",
        "url(",
        "@font-face",
    ] {
        assert!(
            !body.contains(outside),
            "the report must not load anything ({outside})"
        );
    }
}

#[test]
fn a_real_session_becomes_a_self_contained_report() {
    let d = Dir::new();
    let script = repo("tests/data/scripts/emotional/good-1.txt");
    run(&d, "t.jsonl", &script);
    let (_, body) = html(&d, "t.jsonl");
    let card = score_json(&d, "t.jsonl");

    assert!(body.starts_with("<!DOCTYPE html>"));
    assert!(body.contains("<html lang=\"zh-CN\">"));
    assert!(body.contains("<meta charset=\"utf-8\">"));
    assert_self_contained(&body);

    // The mood curve: one point before the first turn and one after each turn.
    assert!(body.contains("<svg id=\"mood-curve\""), "{body}");
    let points = body
        .split("<polyline points=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a polyline");
    let turns = card["turns"].as_u64().unwrap() as usize;
    assert_eq!(points.split(' ').count(), turns + 1, "{points}");
    assert_eq!(body.matches("<circle ").count(), turns + 1);

    // Header, bars and evidence.
    let grade = card["grade"].as_str().unwrap();
    assert!(body.contains(&format!("<div class=\"grade\">{grade}</div>")));
    let total = card["total"].as_f64().unwrap();
    assert!(body.contains(&format!("{total} <small>分</small>")));
    for dim in card["dimensions"].as_array().unwrap() {
        assert!(body.contains(dim["label"].as_str().unwrap()));
    }
    assert!(body.contains("<h2>承诺清单</h2>"));
    assert!(body.contains("✓ 能兑现"));

    // The dialogue: every line the trainee said, with its signals marked.
    assert!(
        body.contains("<mark class=\"good\" title=\"共情 "),
        "{body}"
    );
    let dialogue = strip_tags(body.split("<h2>对话标注</h2>").nth(1).unwrap());
    let said = std::fs::read_to_string(&script).unwrap();
    for line in said
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        assert!(dialogue.contains(line), "missing from the dialogue: {line}");
    }
}

#[test]
fn a_forbidden_phrase_is_marked_bad_with_a_better_phrasing() {
    let d = Dir::new();
    let answers = d.write(
        "a.txt",
        "您好,请问有什么可以帮您?\n公司的规定就是这样的,您再等等吧\n",
    );
    run(&d, "t.jsonl", &answers);
    let (_, body) = html(&d, "t.jsonl");
    assert_self_contained(&body);
    let mark = body
        .split("<mark class=\"bad\" title=")
        .nth(1)
        .expect("a bad mark")
        .split("</mark>")
        .next()
        .unwrap();
    assert!(mark.contains("forbidden.company-policy"), "{mark}");
    assert!(mark.contains("规定就是这样"), "{mark}");
    let row = body
        .split("<tr class=\"bad\">")
        .find(|r| r.contains("forbidden.company-policy"))
        .expect("an evidence row for the 禁语");
    assert!(
        row.contains("<td class=\"num\">-"),
        "points are taken: {row}"
    );
    assert!(row.contains("<td class=\"better\">") && !row.contains("<td class=\"better\"></td>"));
}

/// A transcript written by hand (the format `peilian run --transcript` writes): turns
/// of (trainee line, customer reply, needs met), anger falling by 5 each turn.
fn hand_written(trainee: &str, turns: &[(&str, &str, &[&str])], outcome: &str) -> String {
    let mut out = serde_json::json!({
        "type": "header", "format": 1, "peilian": "0.1.0",
        "persona": {"id": "emotional", "name": "x", "hash": "0"},
        "scenario": "floppy-drive", "difficulty": "normal",
        "rubric": {"id": "default", "version": 1, "hash": "0"},
        "backend": {"name": "offline", "model": null}, "seed": 1,
        "trainee": trainee,
        "started_at": "2026-01-01T00:00:00Z",
        "initial": {"anger": 70, "trust": 20}, "opening": "……"
    })
    .to_string();
    out.push('\n');
    for (i, (said, reply, needs)) in turns.iter().enumerate() {
        let turn = serde_json::json!({
            "type": "turn", "n": i + 1, "trainee": said, "signals": [],
            "customer": reply, "anger": 60 - 5 * i as i32, "trust": 30, "needs_met": needs
        });
        out.push_str(&format!("{turn}\n"));
    }
    let end = serde_json::json!({
        "type": "end", "outcome": outcome, "reason": "", "turns": turns.len(), "anger": 30
    });
    out.push_str(&format!("{end}\n"));
    out
}

/// Written as an attacker could: markup and terminal escapes in the trainee's line, the
/// trainee's name and the customer's reply.
fn hostile_transcript() -> String {
    hand_written(
        "<b>王&\"'</b>\u{1b}]0;title\u{7}",
        &[(
            "您好。<script>alert(1)</script>\u{1b}[31m公司的规定就是这样的\u{1b}[0m",
            "<img src=x onerror=alert(2)>\u{1b}[2J滚!",
            &[],
        )],
        "walked_out",
    )
}

#[test]
fn a_good_session_with_a_forbidden_phrase_notes_the_capped_grade() {
    let d = Dir::new();
    let ok = "好。";
    d.write(
        "capped.jsonl",
        hand_written(
            "小王",
            &[
                ("您好,这里是售后服务中心,请问有什么可以帮您?", ok, &[]),
                ("非常理解您的心情,换作是我也会着急。", ok, &["heard"]),
                ("公司的规定就是这样的,不过我们会处理。", ok, &["heard"]),
                ("请问您的维修单号是多少?是哪天报修的?", ok, &["heard"]),
                ("您的意思是软驱读不了盘,维修站让您自己清洗,对吗?", ok, &["heard"]),
                (
                    "您放心,一定会给您解决。很抱歉给您添麻烦了,我们今天下午安排工程师上门检测,免费更换软驱。",
                    ok,
                    &["heard", "assured"],
                ),
                (
                    "明天上午十点前给您确认结果,之后我会回访您。感谢您的耐心,请问还有其他需要吗?",
                    ok,
                    &["heard", "assured"],
                ),
            ],
            "resolved",
        ),
    );
    let card = score_json(&d, "capped.jsonl");
    let from = card["capped_from"].as_str().expect("the grade is capped");
    let (_, body) = html(&d, "capped.jsonl");
    // The total is capped with the grade, just below the next better grade's line; the
    // total the dimensions earned is on the card beside it.
    let uncapped = card["uncapped_total"]
        .as_f64()
        .expect("the total is capped");
    assert!(card["total"].as_f64().unwrap() < uncapped);
    assert!(
        body.contains(&format!(
            "<p class=\"cap\">说了禁语（1 处），等级从「{from}」降为「{}」；各项合计 {uncapped} 分，总分按封顶记 {} 分。</p>",
            card["grade"].as_str().unwrap(),
            card["total"]
        )),
        "{body}"
    );
    assert!(body.contains("<dd>小王</dd>"));
}

#[test]
fn text_from_outside_is_escaped_and_stripped_of_control_characters() {
    let d = Dir::new();
    d.write("evil.jsonl", hostile_transcript());
    let (_, body) = html(&d, "evil.jsonl");
    assert_self_contained(&body);
    assert!(!body.contains("<script"), "{body}");
    assert!(!body.contains("<img"), "{body}");
    assert!(!body.contains("<b>"), "{body}");
    assert!(!body.contains('\u{1b}') && !body.contains('\u{7}'));
    assert!(!body.contains("[31m") && !body.contains("[0m") && !body.contains("[2J"));
    assert!(!body.contains("title\u{7}") && !body.contains("]0;"));
    assert!(
        body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{body}"
    );
    assert!(body.contains("&lt;img src=x onerror=alert(2)&gt;滚!"));
    assert!(
        body.contains("&lt;b&gt;王&amp;&quot;&#39;&lt;/b&gt;"),
        "{body}"
    );
    // The 禁语 after the escape sequence is still marked, on the right characters.
    assert!(
        body.contains("&lt;/script&gt;公司的<mark class=\"bad\""),
        "{body}"
    );
}

/// Screenshot `page` with headless Chromium; panics if it fails or takes over a minute.
fn screenshot(chromium: &Path, page: &Path, scratch: &Path) -> PathBuf {
    let shot = scratch.join("shot.png");
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--window-size=1200,1600",
        ])
        .arg(format!(
            "--user-data-dir={}",
            scratch.join("profile").display()
        ))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start chromium");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium took more than 60 s to take a screenshot");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let out = child.wait_with_output().unwrap();
    assert!(
        status.success() && shot.is_file(),
        "chromium failed ({status}): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    shot
}

#[test]
fn chromium_renders_the_report_with_its_mood_curve() {
    let Some(chromium) = chromium() else {
        eprintln!("skipped: chromium is not installed (.ci/run installs it)");
        return;
    };
    let d = Dir::new();
    run(
        &d,
        "t.jsonl",
        &repo("tests/data/scripts/emotional/good-1.txt"),
    );
    let (page, _) = html(&d, "t.jsonl");
    let scratch = Dir::new();
    let shot = screenshot(&chromium, &page, scratch.path());
    let px = pixels(&shot);
    assert_eq!(px.len(), 1200 * 1600, "the window size");
    let (other, curve) = drawn(&px, CURVE_RGB);
    eprintln!("screenshot: {other} pixels differ from the background, {curve} draw the curve");
    assert!(
        curve >= 200,
        "the mood curve is missing: {curve} pixels of {CURVE_RGB:?}"
    );
}

/// The cohort report (`assess`'s `report.html`) as a training manager opens it: two
/// trainees with two sessions each, so each has a trend line, screenshotted in the same
/// headless Chromium; the page must be drawn and the trend charts visible.
#[test]
fn chromium_renders_the_cohort_report_with_trend_charts() {
    let Some(chromium) = chromium() else {
        eprintln!("skipped: chromium is not installed (.ci/run installs it)");
        return;
    };
    let d = Dir::new();
    let rude = d.write(
        "rude.txt",
        "你好\n公司的规定就是这样的,我也没办法。\n这个问题我不知道,不清楚。\n",
    );
    let good = repo("tests/data/scripts/emotional/good-1.txt");
    for (trainee, first, then) in [("小王", &rude, &good), ("小李", &good, &rude)] {
        for (i, answers) in [first, then].into_iter().enumerate() {
            d.cmd()
                .args(["run", "--persona", "emotional", "--trainee", trainee])
                .arg("--transcript")
                .arg(format!("in/{trainee}-{i}.jsonl"))
                .arg("--answers")
                .arg(answers)
                .assert()
                .success();
        }
    }
    d.cmd()
        .args(["assess", "in", "--out", "out"])
        .assert()
        .success();
    let page = d.path().join("out/report.html");
    let body = std::fs::read_to_string(&page).unwrap();
    assert!(body.starts_with("<!DOCTYPE html>"));
    // An SVG's namespace is a name, not something fetched.
    let body = body.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    for outside in [
        "http://", "https://", "src=\"", "<script", "<link", "@import", "url(",
    ] {
        assert!(
            !body.contains(outside),
            "the report must not load anything ({outside})"
        );
    }
    assert_eq!(
        body.matches("<svg class=\"trend\"").count(),
        2,
        "one chart per trainee"
    );
    let scratch = Dir::new();
    let shot = screenshot(&chromium, &page, scratch.path());
    let px = pixels(&shot);
    assert_eq!(px.len(), 1200 * 1600, "the window size");
    let (other, trend) = drawn(&px, peilian::assess::TREND_RGB);
    eprintln!(
        "report screenshot: {other} pixels differ from the background, {trend} draw the trends"
    );
    assert!(trend >= 200, "the trend charts are missing: {trend} pixels");
}

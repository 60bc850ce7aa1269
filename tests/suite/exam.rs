//! An exam an assessor can trust: the mode in the transcript, every `/undo` with what
//! was taken back, every `/restart` and retry, on the scorecard, in `history`, in
//! `summary.csv` (read as a spreadsheet would) and `report.html`, and
//! `assess --exam-only`. Sessions are played through the real binary over a pipe.

use crate::common;

use std::path::{Path, PathBuf};

use common::{Dir, repo};
use peilian::transcript::{self, Mode, Transcript};

const FORBIDDEN: &str = "公司的规定就是这样的";

fn good_lines() -> Vec<String> {
    std::fs::read_to_string(repo("tests/data/scripts/emotional/good-1.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// Practice through a pipe into `sessions/`; the transcripts it wrote, oldest first.
fn practise(d: &Dir, trainee: &str, extra: &[&str], input: &str) -> (String, Vec<PathBuf>) {
    let before = transcripts(d);
    let out = d
        .cmd()
        .args(["practice", "--persona", "emotional", "--difficulty", "easy"])
        .args([
            "--seed",
            "4",
            "--sessions-dir",
            "sessions",
            "--trainee",
            trainee,
        ])
        .args(extra)
        .write_stdin(input.to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let new = transcripts(d)
        .into_iter()
        .filter(|p| !before.contains(p))
        .collect();
    (String::from_utf8(out.stdout).unwrap(), new)
}

/// Every transcript in `sessions/`, in name (start time) order.
fn transcripts(d: &Dir) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(d.path().join("sessions")) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = rd
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    files
}

fn card(d: &Dir, path: &Path, format: &str) -> String {
    let out = d
        .cmd()
        .args(["score", "--format", format])
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

/// `summary.csv` parsed as a spreadsheet reads it, after its byte-order mark.
fn summary(p: &Path) -> Vec<Vec<String>> {
    let bytes = std::fs::read(p).unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&bytes[3..])
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// The cell of `row` under the header `name`.
fn col<'a>(rows: &'a [Vec<String>], row: usize, name: &str) -> &'a str {
    let i = rows[0]
        .iter()
        .position(|h| h == name || h.starts_with(&format!("{name}（")))
        .unwrap_or_else(|| panic!("no column {name}: {:?}", rows[0]));
    &rows[row][i]
}

#[test]
fn an_exam_records_its_mode_and_refuses_undo() {
    let d = Dir::new();
    let lines = good_lines();
    let (stdout, files) = practise(&d, "小王", &["--exam"], &format!("{}\n/undo\n", lines[0]));
    assert!(stdout.contains("考试模式下不能用 /undo"), "{stdout}");
    let raw = std::fs::read_to_string(&files[0]).unwrap();
    assert!(
        raw.lines().next().unwrap().contains(r#""mode":"exam""#),
        "{raw}"
    );
    let t = transcript::read(&files[0]).unwrap();
    assert_eq!(
        (t.header.mode, t.turns.len(), t.undos.len()),
        (Some(Mode::Exam), 1, 0)
    );
    let json: serde_json::Value = serde_json::from_str(&card(&d, &files[0], "json")).unwrap();
    assert_eq!(json["conduct"]["mode"], "exam");
    assert!(card(&d, &files[0], "text").contains("模式：考试 · 没有收回"));
}

/// Two take-backs (one of a 禁语), then a restart: both are in the transcripts, on the
/// cards, in `history` (the restarted attempt not averaged, the next one a retry).
#[test]
fn undo_and_restart_are_on_the_record_and_on_the_card() {
    let d = Dir::new();
    let lines = good_lines();
    let input = format!(
        "{FORBIDDEN}\n/undo\n{}\n/undo\n{}\n/restart\n{}\n",
        lines[1], lines[1], lines[0]
    );
    let (_, files) = practise(&d, "小王", &[], &input);
    assert_eq!(files.len(), 2, "{files:?}");
    let all: Vec<Transcript> = files.iter().map(|f| transcript::read(f).unwrap()).collect();
    let (first, path) = all
        .iter()
        .zip(&files)
        .find(|(t, _)| t.end.as_ref().is_some_and(|e| e.restarted))
        .expect("the restarted attempt");
    let second = all.iter().find(|t| t.header.restart_of.is_some()).unwrap();
    let restart_of = second.header.restart_of.as_deref().unwrap();
    assert!(
        restart_of.ends_with(path.file_name().unwrap().to_str().unwrap()),
        "{restart_of} names {}",
        path.display()
    );
    assert_eq!(first.header.mode(), Mode::Practice);
    let undone: Vec<(&str, usize)> = first
        .undos
        .iter()
        .map(|u| (u.turn.trainee.as_str(), u.forbidden.len()))
        .collect();
    assert_eq!(undone, [(FORBIDDEN, 1), (lines[1].as_str(), 0)]);
    let raw = std::fs::read_to_string(path).unwrap();
    assert!(
        raw.contains(&format!(
            r#"{{"type":"undo","turn":1,"trainee":"{FORBIDDEN}","forbidden":["forbidden."#
        )),
        "{raw}"
    );
    assert!(
        raw.contains(r#""reason":"学员重新开始","turns":1,"anger":"#)
            && raw.contains(r#""restarted":true"#)
    );

    let text = card(&d, path, "text");
    assert!(text.contains("收回 2 句\u{FF0C}其中 1 句禁语"), "{text}");
    assert!(
        text.contains(&format!(
            "收回第 1 轮「{FORBIDDEN}」（禁语「{FORBIDDEN}」）"
        )),
        "{text}"
    );
    assert!(text.contains("/restart 重新开始"), "{text}");
    let md = card(&d, path, "md");
    assert!(md.contains("收回 2 句\u{FF0C}其中 1 句禁语"), "{md}");
    let json: serde_json::Value = serde_json::from_str(&card(&d, path, "json")).unwrap();
    assert_eq!(json["conduct"]["undone_forbidden"], 1);
    assert_eq!(json["conduct"]["restarted"], true);
    d.cmd()
        .args(["score", "--format", "html", "--out", "cards"])
        .arg(path)
        .assert()
        .success();
    let stem = path.file_stem().unwrap().to_string_lossy();
    let html = std::fs::read_to_string(d.path().join(format!("cards/{stem}.html"))).unwrap();
    assert!(
        html.contains("<dt>收回</dt><dd>收回 2 句\u{FF0C}其中 1 句禁语</dd>"),
        "{html}"
    );

    let out = d
        .cmd()
        .args([
            "history",
            "--sessions-dir",
            "sessions",
            "--trainee",
            "小王",
            "--json",
        ])
        .output()
        .unwrap();
    let h: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = h["sessions"].as_array().unwrap();
    assert_eq!(
        (s[0]["restarted"].as_bool(), s[0]["finished"].as_bool()),
        (Some(true), Some(false))
    );
    assert_eq!(s[1]["retries"], 1);
    assert_eq!(
        (
            h["trend"]["sessions"].as_u64(),
            h["trend"]["abandoned"].as_u64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(
        h["trend"]["average"], s[1]["total"],
        "only the finished session averages"
    );
    let table = d
        .cmd()
        .args(["history", "--sessions-dir", "sessions", "--trainee", "小王"])
        .output()
        .unwrap();
    let table = String::from_utf8(table.stdout).unwrap();
    assert!(
        table.contains("重新开始") && table.contains("重来（之前放弃 1 次）"),
        "{table}"
    );
    assert!(table.contains("不计入平均和趋势"), "{table}");
}

/// An exam, a practice session and a transcript older than the mode field: the cohort
/// shows all three with their mode; `--exam-only` counts the exam and says what it left
/// out. A trainee's name with a comma and quotes comes through the CSV intact.
#[test]
fn assess_counts_exam_sessions_only_when_asked() {
    let d = Dir::new();
    let lines = good_lines();
    let name = "王,\"小\"";
    practise(
        &d,
        name,
        &["--exam"],
        &format!("{}\n{}\n", lines[0], lines[1]),
    );
    practise(&d, "小李", &[], &format!("{}\n", lines[0]));
    d.write(
        "sessions/zz-old.jsonl",
        common::transcript(
            "emotional",
            "floppy-drive",
            common::GOOD_SESSION,
            "resolved",
        ),
    );
    d.cmd()
        .args(["assess", "sessions", "--out", "all"])
        .assert()
        .success();
    let rows = summary(&d.path().join("all/summary.csv"));
    assert_eq!(rows.len(), 4);
    let mut modes: Vec<(&str, &str)> = (1..4)
        .map(|i| (col(&rows, i, "学员"), col(&rows, i, "模式")))
        .collect();
    modes.sort();
    assert_eq!(
        modes,
        [("小李", "练习"), ("小王", "练习（未记录）"), (name, "考试")]
    );
    let exam = (1..4).find(|&i| col(&rows, i, "模式") == "考试").unwrap();
    assert_eq!(col(&rows, exam, "客户类型"), "感情用事者");
    assert_eq!(col(&rows, exam, "难度"), "简单");
    assert_eq!(col(&rows, exam, "轮数"), "2");
    let html = std::fs::read_to_string(d.path().join("all/report.html")).unwrap();
    assert!(
        html.contains(
            "考试 1 场\u{FF0C}练习 2 场\u{FF0C}其中 1 场记录里没有写模式\u{FF0C}按练习算"
        ),
        "{html}"
    );

    let out = d
        .cmd()
        .args(["assess", "sessions", "--out", "exams", "--exam-only"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("只计考试模式：不计练习模式的 2 场（其中 1 场记录里没有写模式，按练习算）"),
        "{stdout}"
    );
    let rows = summary(&d.path().join("exams/summary.csv"));
    assert_eq!(rows.len(), 2);
    assert_eq!(col(&rows, 1, "模式"), "考试");
    let cards: Vec<_> = std::fs::read_dir(d.path().join("exams/scorecards"))
        .unwrap()
        .collect();
    assert_eq!(cards.len(), 1, "no scorecard for a session left out");
    let html = std::fs::read_to_string(d.path().join("exams/report.html")).unwrap();
    assert!(html.contains("只计考试模式"), "{html}");
}

/// A stuffed first line that scores a pass in two turns is flagged for the assessor,
/// in the CSV and at the top of the report.
#[test]
fn a_stuffed_short_session_is_flagged() {
    let d = Dir::new();
    let answers = d.write(
        "stuffed.txt",
        "您好，非常理解您的心情，很抱歉让您着急了，我们马上安排工程师上门检测，今天之内给您答复，之后我会回访您，感谢您的耐心，请问还有其他需要吗？\n我们今天下午安排工程师上门检测，免费更换软驱。\n",
    );
    d.cmd()
        .args([
            "run",
            "--persona",
            "emotional",
            "--trainee",
            "小赵",
            "--transcript",
            "in/s.jsonl",
        ])
        .arg("--answers")
        .arg(&answers)
        .assert()
        .success();
    d.cmd()
        .args(["assess", "in", "--out", "out"])
        .assert()
        .success();
    let rows = summary(&d.path().join("out/summary.csv"));
    let flags = col(&rows, 1, "需要留意");
    assert!(flags.contains("第 1 轮一句里堆了"), "{flags}");
    let html = std::fs::read_to_string(d.path().join("out/report.html")).unwrap();
    let top = html.split("<h2>总分分布</h2>").next().unwrap();
    assert!(
        top.contains("<tr class=\"flag\">") && top.contains("堆了"),
        "{top}"
    );
}

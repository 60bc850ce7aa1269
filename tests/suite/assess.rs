//! `peilian assess`: a cohort scored at once — a directory of recorded transcripts or a
//! manifest of scripted sessions — into scorecards, `summary.csv` and `report.html`,
//! with bad files reported and skipped and the outputs reproducible.

use crate::common;

use std::path::Path;

use common::{Dir, repo};
use predicates::str::contains;

/// The columns of `summary.csv` before the dimensions (the time in the test's zone, UTC).
const HEAD: [&str; 15] = [
    "学员",
    "开始时间（UTC）",
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
];
/// The seven dimensions, each with its maximum in the header.
const DIMS: [&str; 7] = [
    "禁语与禁止法则",
    "共情",
    "道歉",
    "处理流程",
    "服务用语",
    "客户类型要点",
    "结果",
];
const TAIL: [&str; 3] = ["需要留意", "评分卡", "考核有效"];
const COLUMNS: usize = HEAD.len() + DIMS.len() + TAIL.len();

/// Column indexes.
const TOTAL: usize = 9;
const FORBIDDEN: usize = 11;
const CARD: usize = 23;
const VALID: usize = 24;

/// Record a session with the real binary.
fn record(d: &Dir, persona: &str, scenario: &str, answers: &Path, trainee: &str, to: &str) {
    d.cmd()
        .args(["run", "--persona", persona, "--scenario", scenario])
        .arg("--answers")
        .arg(answers)
        .args(["--trainee", trainee, "--transcript", to])
        .assert()
        .success();
}

fn script(persona: &str, name: &str) -> std::path::PathBuf {
    repo(&format!("tests/data/scripts/{persona}/{name}"))
}

/// A directory with three good transcripts (one with a 禁语) and a corrupt one.
fn cohort(d: &Dir) {
    record(
        d,
        "emotional",
        "floppy-drive",
        &script("emotional", "good-1.txt"),
        "小王",
        "in/a-wang.jsonl",
    );
    let rude = d.write(
        "rude.txt",
        "你好\n公司的规定就是这样的,我也没办法。\n这个问题我不知道,不清楚。\n",
    );
    record(
        d,
        "emotional",
        "floppy-drive",
        &rude,
        "小李",
        "in/b-li.jsonl",
    );
    record(
        d,
        "stubborn",
        "engine-noise",
        &script("stubborn", "good-3.txt"),
        "小王",
        "in/c-wang.jsonl",
    );
    d.write(
        "in/d-corrupt.jsonl",
        "{\"type\":\"header\",\"format\":1, this is not json\n",
    );
    // Not a transcript: ignored, not reported.
    d.write("in/notes.txt", "考核说明");
}

fn read(p: impl AsRef<Path>) -> String {
    std::fs::read_to_string(p.as_ref()).unwrap_or_else(|e| panic!("{}: {e}", p.as_ref().display()))
}

/// `summary.csv` as a spreadsheet reads it: the byte-order mark checked and removed,
/// then parsed as CSV (quoted cells with commas and quotes in them), every row as long
/// as the header.
fn summary(p: impl AsRef<Path>) -> Vec<Vec<String>> {
    let bytes = std::fs::read(p).unwrap();
    assert_eq!(
        &bytes[..3],
        b"\xEF\xBB\xBF",
        "summary.csv starts with the UTF-8 BOM"
    );
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&bytes[3..]);
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    for r in &rows {
        assert_eq!(r.len(), rows[0].len(), "{r:?}");
    }
    rows
}

/// A dimension's share (`80%`) as a number of percent.
fn percent(cell: &str) -> f64 {
    cell.strip_suffix('%')
        .unwrap_or_else(|| panic!("a share: {cell}"))
        .parse()
        .unwrap()
}

/// The maxima a dimension's header names: 「共情（满分 15）」 is 15 to 15,
/// 「共情（满分 9.5–14.3）」 9.5 to 14.3.
fn max_range(header: &str) -> (f64, f64) {
    let inner = header
        .split("（满分 ")
        .nth(1)
        .and_then(|s| s.strip_suffix('）'))
        .unwrap_or_else(|| panic!("a maximum in {header}"));
    let mut parts = inner.split('–').map(|x| x.parse::<f64>().unwrap());
    let lo = parts.next().unwrap();
    (lo, parts.next().unwrap_or(lo))
}

fn assert_header(header: &[String]) {
    assert_eq!(header.len(), COLUMNS, "{header:?}");
    assert_eq!(&header[..HEAD.len()], HEAD);
    for (h, d) in header[HEAD.len()..].iter().zip(DIMS) {
        assert!(h.starts_with(&format!("{d}（满分 ")), "{h}");
    }
    assert_eq!(&header[HEAD.len() + DIMS.len()..], TAIL);
}

#[test]
fn a_directory_is_assessed_and_a_corrupt_transcript_is_named_and_skipped() {
    let d = Dir::new();
    cohort(&d);
    d.cmd()
        .args(["assess", "in", "--out", "out", "--format", "md"])
        .assert()
        .code(1)
        .stderr(contains("d-corrupt.jsonl"))
        .stdout(contains("评分 3 场，1 场无法评分"));

    for name in ["a-wang", "b-li", "c-wang"] {
        let card: serde_json::Value =
            serde_json::from_str(&read(d.path().join(format!("out/scorecards/{name}.json"))))
                .unwrap();
        assert_eq!(card["schema"], "peilian.scorecard/1");
        assert!(d.path().join(format!("out/scorecards/{name}.md")).is_file());
    }
    assert!(!d.path().join("out/scorecards/d-corrupt.json").exists());
    assert!(!d.path().join("out/scorecards/notes.json").exists());

    let rows = summary(d.path().join("out/summary.csv"));
    assert_header(&rows[0]);
    assert_eq!(rows.len(), 4, "a header and one row per good transcript");
    let trainees: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(trainees, ["小王", "小李", "小王"], "file-name order");
    let li = &rows[2];
    // Chinese labels, not codes; the scenario's title, which has a comma in it.
    assert_eq!(
        &li[2..7],
        [
            "感情用事者",
            "软驱不读盘\u{FF0C}维修站让用户自己用清洗盘清洗、「自己想办法」",
            "普通",
            "练习",
            "客户愤而离开"
        ]
    );
    assert!(
        li[1].starts_with("20") && li[1].len() == 16,
        "a time: {}",
        li[1]
    );
    assert!(
        li[FORBIDDEN].parse::<u32>().unwrap() >= 1,
        "禁语 counted: {li:?}"
    );
    assert_eq!(li[CARD], "scorecards/b-li.json");
    for h in &rows[0][HEAD.len()..HEAD.len() + DIMS.len()] {
        // One maximum, or the range when customer types weigh the dimension
        // differently (「共情（满分 9.5–14.3）」).
        let (lo, hi) = max_range(h);
        assert!(0.0 < lo && lo <= hi && hi <= 100.0, "{h}");
    }
    for r in &rows[1..] {
        assert_eq!(r[VALID], "是", "offline sessions count for assessment");
        assert_eq!(&r[12..15], ["0", "0", "0"], "no undo, no retry: {r:?}");
        let total: f64 = r[TOTAL].parse().unwrap();
        // This session's own maxima, from its scorecard: they add up to 100.
        let card: serde_json::Value =
            serde_json::from_str(&read(d.path().join("out").join(&r[CARD]))).unwrap();
        let maxima: Vec<f64> = (card["dimensions"].as_array().unwrap().iter())
            .map(|d| d["max"].as_f64().unwrap())
            .collect();
        assert!(
            (maxima.iter().sum::<f64>() - 100.0).abs() < 1e-9,
            "{maxima:?}"
        );
        let dims: f64 = r[HEAD.len()..HEAD.len() + DIMS.len()]
            .iter()
            .zip(&maxima)
            .map(|(x, max)| percent(x) / 100.0 * max)
            .sum();
        // Whole percentages: up to half a percent of each maximum off.
        assert!((total - dims).abs() < 0.6, "{total} against {dims}: {r:?}");
    }

    let html = read(d.path().join("out/report.html"));
    assert!(html.contains("<svg"), "an inline SVG histogram");
    for external in ["<script", "<link", "src=", "url(", "href=\"http"] {
        assert!(!html.contains(external), "no external assets: {external}");
    }
    assert!(html.contains("最常见的禁语"));
    assert!(html.contains("公司的规定就是这样的"), "the 禁语 is shown");
    assert!(
        html.contains("按照规定") || html.contains("理解您"),
        "with its better phrasing"
    );
    assert!(html.contains("感情用事者"), "per-persona averages by name");
    for section in ["需要留意", "各场景", "学员进步", "最弱的一项"] {
        assert!(html.contains(section), "{section}");
    }
    assert!(
        html.contains("class=\"trend\""),
        "a trend chart per trainee"
    );
    assert!(
        !html.contains(">emotional<") && !html.contains(">resolved<") && !html.contains(">normal<"),
        "labels, not codes"
    );
    assert!(
        html.contains("d-corrupt.jsonl"),
        "failures listed in the report"
    );
}

#[test]
fn a_manifest_plays_scripted_sessions_and_skips_a_bad_entry() {
    let d = Dir::new();
    for (persona, name) in [
        ("emotional", "good-1.txt"),
        ("emotional", "bad-1-argues.txt"),
        ("stubborn", "good-3.txt"),
    ] {
        d.write(
            &format!("cohort/scripts/{persona}-{name}"),
            read(script(persona, name)),
        );
    }
    d.write(
        "cohort/manifest.toml",
        r#"
[[session]]
trainee = "小王"
persona = "emotional"
scenario = "floppy-drive"
answers = "scripts/emotional-good-1.txt"

[[session]]
trainee = "小王"
persona = "固执己见"
scenario = "engine-noise"
answers = "scripts/stubborn-good-3.txt"
seed = 7

[[session]]
trainee = "小张"
persona = "emotional"
answers = "scripts/does-not-exist.txt"

[[session]]
trainee = "小李"
persona = "emotional"
difficulty = "hard"
answers = "scripts/emotional-bad-1-argues.txt"
"#,
    );
    d.cmd()
        .args([
            "assess",
            "--manifest",
            "cohort/manifest.toml",
            "--out",
            "out",
        ])
        .assert()
        .code(1)
        .stderr(contains("manifest.toml:15: 第 3 个 session"))
        .stderr(contains("小张"))
        .stderr(contains("does-not-exist.txt"));

    let names = ["1-小王-emotional", "2-小王-固执己见", "4-小李-emotional"];
    for name in names {
        let name = format!("00{name}");
        assert!(
            d.path()
                .join(format!("out/transcripts/{name}.jsonl"))
                .is_file(),
            "{name}"
        );
        assert!(
            d.path()
                .join(format!("out/scorecards/{name}.json"))
                .is_file()
        );
    }
    assert!(
        !d.path()
            .join("out/transcripts/003-小张-emotional.jsonl")
            .exists()
    );

    let rows = summary(d.path().join("out/summary.csv"));
    assert_eq!(rows.len(), 4);
    let who = |r: &[String]| [r[0].clone(), r[2].clone(), r[4].clone()];
    assert_eq!(who(&rows[2]), ["小王", "固执己见者", "普通"]);
    assert_eq!(who(&rows[3]), ["小李", "感情用事者", "困难"]);
    assert_eq!(rows[1][6], "问题解决");

    // Per-trainee averages: 小王's two sessions.
    let wang: f64 =
        (rows[1][TOTAL].parse::<f64>().unwrap() + rows[2][TOTAL].parse::<f64>().unwrap()) / 2.0;
    let html = read(d.path().join("out/report.html"));
    assert!(html.contains("各学员平均分"));
    assert!(
        html.contains(&format!(
            "<tr><td>小王</td><td class=\"n\">2</td><td class=\"n\">{wang:.1}</td>"
        )),
        "小王 averages {wang:.1}:\n{html}"
    );

    // The transcripts can be scored again and give the same totals.
    d.cmd()
        .args(["assess", "out/transcripts", "--out", "again"])
        .assert()
        .success();
    let again = summary(d.path().join("again/summary.csv"));
    let totals = |rows: &[Vec<String>]| -> Vec<String> {
        rows[1..].iter().map(|r| r[TOTAL].clone()).collect()
    };
    assert_eq!(totals(&again), totals(&rows));
}

#[test]
fn a_file_that_is_not_a_manifest_is_an_error_with_its_line() {
    let d = Dir::new();
    d.write("m.toml", "[[session]]\ntrainee = \"x\"\npersona = = 3\n");
    d.cmd()
        .args(["assess", "--manifest", "m.toml", "--out", "out"])
        .assert()
        .code(2)
        .stderr(contains("m.toml:3"));
    std::fs::create_dir(d.path().join("empty")).unwrap();
    d.cmd()
        .args(["assess", "empty", "--out", "out"])
        .assert()
        .code(2)
        .stderr(contains("没有对话记录"));
}

#[test]
fn outputs_are_identical_across_runs_but_for_the_time() {
    let d = Dir::new();
    cohort(&d);
    for out in ["one", "two"] {
        d.cmd()
            .args(["assess", "in", "--out", out, "--format", "md,txt"])
            .assert()
            .code(1);
    }
    for file in [
        "summary.csv",
        "report.html",
        "scorecards/b-li.md",
        "scorecards/c-wang.txt",
    ] {
        assert_eq!(
            read(d.path().join("one").join(file)),
            read(d.path().join("two").join(file)),
            "{file}"
        );
    }
    let card = |out: &str| {
        let mut v: serde_json::Value =
            serde_json::from_str(&read(d.path().join(out).join("scorecards/a-wang.json"))).unwrap();
        v["generated_at"] = serde_json::Value::Null;
        v
    };
    assert_eq!(card("one"), card("two"));
}

/// A second run into the same directory replaces the scorecards as a whole (a session
/// dropped from the input leaves no stale scorecard), and a staging directory left by
/// a killed run is cleared, not published.
#[test]
fn a_rerun_replaces_the_scorecards_and_leaves_no_staging_behind() {
    let d = Dir::new();
    cohort(&d);
    d.cmd()
        .args(["assess", "in", "--out", "out"])
        .assert()
        .code(1);
    assert!(d.path().join("out/scorecards/b-li.json").exists());

    std::fs::remove_file(d.path().join("in/b-li.jsonl")).unwrap();
    // What a killed run leaves: its staging directory (and one of an older version).
    d.write(
        "out/.peilian-staging-x1/scorecards/half.json",
        "{\"total\":",
    );
    d.write("out/.scorecards.partial/half-written.json", "{\"total\":");
    d.cmd()
        .args(["assess", "in", "--out", "out"])
        .assert()
        .code(1);
    let mut cards: Vec<String> = std::fs::read_dir(d.path().join("out/scorecards"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    cards.sort();
    assert_eq!(cards, ["a-wang.json", "c-wang.json"]);
    let mut top: Vec<String> = std::fs::read_dir(d.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    top.sort();
    assert_eq!(top, ["report.html", "scorecards", "summary.csv"]);
}

/// Every file under `dir`, hidden ones too, with its bytes: a result to compare whole.
fn tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut files = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                files.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    files
}

/// A full disk in the middle of a run — at any write, a scorecard or transcript,
/// `summary.csv` or `report.html` — publishes nothing: the previous result stays byte
/// for byte, no staging is left, the failed file is named, and the exit is 2. (Before,
/// the failed session was skipped, the rest published with exit 1: the disk filling
/// up replaced a good result with a one-row summary.) The manifest run makes eight
/// writes: three transcripts, three scorecards, the summary and the report.
#[test]
fn a_full_disk_mid_run_keeps_the_previous_result_and_exits_2() {
    let d = Dir::new();
    manifest_of_three(&d);
    d.cmd()
        .args(["assess", "--manifest", "m.toml", "--out", "out"])
        .assert()
        .success();
    let before = tree(&d.path().join("out"));
    assert_eq!(before.len(), 8, "{:?}", before.keys());
    for n in 0..9 {
        let run = d
            .cmd()
            .args(["assess", "--manifest", "m.toml", "--out", "out"])
            .env("PEILIAN_TEST_FAIL_WRITE_AFTER", n.to_string())
            .assert();
        if n == 8 {
            // Eight writes, none failed: the run is published.
            run.success();
            continue;
        }
        let out = run.code(2).get_output().clone();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let named = match n {
            0..=5 => "无法写入 ",
            6 => "无法写入 summary.csv",
            _ => "无法写入 report.html",
        };
        assert!(stderr.contains(named), "write {n}: {stderr}");
        assert!(stderr.contains("os error 28"), "write {n}: {stderr}");
        assert!(stderr.contains("上一次的结果保持不变"), "{stderr}");
        assert_eq!(tree(&d.path().join("out")), before, "write {n}");
    }
}

/// Three scripted sessions.
fn manifest_of_three(d: &Dir) {
    let good = script("emotional", "good-1.txt");
    let mut m = String::new();
    for (trainee, persona) in [
        ("小王", "emotional"),
        ("小李", "emotional"),
        ("小张", "stubborn"),
    ] {
        let answers = if persona == "emotional" {
            good.clone()
        } else {
            script("stubborn", "good-3.txt")
        };
        m += &format!(
            "[[session]]\ntrainee = \"{trainee}\"\npersona = \"{persona}\"\nanswers = '{}'\n\n",
            answers.display()
        );
    }
    d.write("m.toml", m);
}

/// The result of a run of [`manifest_of_three`] is all there: three scorecards and
/// transcripts that parse, a summary of three rows, a report, nothing else.
fn assert_whole(out: &Path) {
    let files = tree(out);
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "report.html",
            "scorecards/001-小王-emotional.json",
            "scorecards/002-小李-emotional.json",
            "scorecards/003-小张-stubborn.json",
            "summary.csv",
            "transcripts/001-小王-emotional.jsonl",
            "transcripts/002-小李-emotional.jsonl",
            "transcripts/003-小张-stubborn.jsonl",
        ]
    );
    for (name, bytes) in &files {
        if name.ends_with(".json") {
            serde_json::from_slice::<serde_json::Value>(bytes).unwrap();
        }
    }
    assert_eq!(summary(out.join("summary.csv")).len(), 4);
}

/// Two runs into one output directory at once: the second waits for the first (and
/// says so), then replaces its result; neither deletes the other's staging, and the
/// directory always ends whole. Before, both used one staging name: one run failed and
/// the other reported success with `scorecards/` gone.
#[test]
fn concurrent_runs_into_one_directory_each_publish_a_whole_result() {
    let d = Dir::new();
    manifest_of_three(&d);
    for round in 0..8 {
        let children: Vec<_> = (0..2)
            .map(|_| {
                let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_peilian"));
                c.args(["assess", "--manifest", "m.toml", "--out", "out"])
                    .current_dir(d.path())
                    .env("HOME", d.path())
                    .env("XDG_CONFIG_HOME", d.path().join(".config"))
                    .env("XDG_DATA_HOME", d.path())
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::piped());
                c.spawn().unwrap()
            })
            .collect();
        for c in children {
            let out = c.wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(0), "round {round}: {stderr}");
        }
        assert_whole(&d.path().join("out"));
    }
}

/// A run that finds the output directory locked waits, says so on stderr, and goes on
/// when the lock is released.
#[test]
fn a_run_waits_for_the_output_directory_and_says_so() {
    let d = Dir::new();
    manifest_of_three(&d);
    let out = d.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let held = std::fs::File::open(&out).unwrap();
    held.lock().unwrap();
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_peilian"));
    c.args(["assess", "--manifest", "m.toml", "--out", "out"])
        .current_dir(d.path())
        .env("HOME", d.path())
        .env("XDG_CONFIG_HOME", d.path().join(".config"))
        .env("XDG_DATA_HOME", d.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead as _;
        let mut line = String::new();
        let _ = stderr.read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("a message that the run waits");
    assert!(line.contains("正被另一次考核使用"), "{line}");
    assert!(
        !out.join("summary.csv").exists(),
        "nothing written while locked"
    );
    drop(held);
    assert!(child.wait().unwrap().success());
    assert_whole(&out);
}

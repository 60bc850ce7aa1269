//! `peilian history`: sessions recorded by the real binary, listed oldest first with
//! their scores, filtered by trainee, with the trend; bad files skipped, never fatal.

use crate::common;

use std::path::{Path, PathBuf};

use common::{Dir, repo};
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;

/// A script from `tests/data/scripts`: its persona, scenario and difficulty come from
/// its `# key: value` header, as `tests/suite/scripts.rs` reads them.
struct Script {
    file: PathBuf,
    persona: String,
    scenario: String,
    difficulty: String,
}

fn script(name: &str) -> Script {
    let file = repo(&format!("tests/data/scripts/{name}.txt"));
    let text = std::fs::read_to_string(&file).unwrap();
    let field = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("# {key}: ")))
            .unwrap_or_else(|| panic!("{name} has no {key}"))
            .to_string()
    };
    Script {
        persona: field("persona"),
        scenario: field("scenario"),
        difficulty: field("difficulty"),
        file,
    }
}

/// Resolves the emotional customer's floppy-drive complaint.
const GOOD: &str = "emotional/good-1";
/// Argues with the same customer until they walk out.
const BAD: &str = "emotional/bad-1-argues";
/// Resolves the prepared customer's swapped-mainboard complaint.
const GOOD_PREPARED: &str = "prepared/good-1";

/// Play a script with `peilian run` into `dir/name`, as `trainee`, then date it: the
/// header's `started_at` is set to `day` at 09:00 UTC so that order is under test.
fn record(d: &Dir, dir: &Path, name: &str, script_name: &str, trainee: &str, day: u32) -> PathBuf {
    let s = script(script_name);
    let path = dir.join(name);
    d.cmd()
        .args(["run", "--persona", &s.persona, "--scenario", &s.scenario])
        .args(["--difficulty", &s.difficulty, "--trainee", trainee])
        .arg("--answers")
        .arg(&s.file)
        .arg("--transcript")
        .arg(&path)
        .assert()
        .success();
    let text = std::fs::read_to_string(&path).unwrap();
    let (header, rest) = text.split_once('\n').unwrap();
    let mut h: serde_json::Value = serde_json::from_str(header).unwrap();
    h["started_at"] = format!("2026-03-{day:02}T09:00:00Z").into();
    std::fs::write(&path, format!("{h}\n{rest}")).unwrap();
    path
}

fn stdout(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// The table's data rows: lines starting with a session number.
fn rows(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| {
            l.split_whitespace()
                .next()
                .is_some_and(|w| w.parse::<u32>().is_ok())
                && l.contains("2026-03-")
        })
        .collect()
}

fn total_by_score(d: &Dir, transcript: &Path) -> f64 {
    let v = common::stdout_json(
        d.cmd()
            .args(["score", "--format", "json"])
            .arg(transcript)
            .output()
            .unwrap(),
    );
    v["total"].as_f64().unwrap()
}

#[test]
fn lists_sessions_oldest_first_with_date_type_outcome_score_and_grade() {
    let d = Dir::new();
    let dir = d.sessions_dir();
    // Named against their dates: order comes from the headers, not the file names.
    let good = record(&d, &dir, "a.jsonl", GOOD, "张三", 3);
    let bad = record(&d, &dir, "b.jsonl", BAD, "张三", 1);
    record(&d, &dir, "c.jsonl", GOOD_PREPARED, "张三", 2);
    let out = stdout(
        &d.cmd()
            .args(["history", "--trainee", "张三"])
            .output()
            .unwrap(),
    );
    assert!(out.contains("学员「张三」的练习记录：3 场"), "{out}");
    assert!(out.contains("时间（UTC）"), "{out}");
    let rows = rows(&out);
    assert_eq!(rows.len(), 3, "{out}");
    assert!(
        rows[0].starts_with("1  2026-03-01 09:00  感情用事者"),
        "{out}"
    );
    assert!(
        rows[0].contains("客户愤而离开") && rows[0].contains("不合格"),
        "{out}"
    );
    assert!(
        rows[1].contains("2026-03-02") && rows[1].contains("有备而来者"),
        "{out}"
    );
    assert!(
        rows[1].contains("维修站换回原主板"),
        "the scenario's title: {out}"
    );
    assert!(
        rows[2].contains("2026-03-03") && rows[2].contains("问题解决"),
        "{out}"
    );
    // The same score `peilian score` gives, to the decimal.
    for (row, file) in [(rows[0], &bad), (rows[2], &good)] {
        let total = format!("{:.1}", total_by_score(&d, file));
        assert!(row.contains(&format!("  {total}  ")), "{total} in {row}");
    }
    // Columns line up on screen although the text is Chinese: each row's score ends
    // at the same display column.
    let score_end: Vec<usize> = rows
        .iter()
        .map(|r| {
            let score = r.split_whitespace().rev().nth(1).unwrap();
            let at = r.find(&format!(" {score} ")).unwrap() + 1 + score.len();
            peilian::ui::width(&r[..at])
        })
        .collect();
    assert!(score_end.windows(2).all(|w| w[0] == w[1]), "{out}");
    assert!(!out.contains('\u{1b}'), "no colour with NO_COLOR / a pipe");
}

#[test]
fn times_are_shown_in_the_trainees_time_zone() {
    let d = Dir::new();
    let dir = d.sessions_dir();
    record(&d, &dir, "a.jsonl", GOOD, "张三", 3);
    // Beijing time as a POSIX TZ string, so no time-zone database is needed.
    let out = stdout(
        &d.cmd()
            .args(["history", "--trainee", "张三"])
            .env("TZ", "CST-8")
            .output()
            .unwrap(),
    );
    assert!(out.contains("时间（UTC+8）"), "{out}");
    assert!(rows(&out)[0].starts_with("1  2026-03-03 17:00"), "{out}");
}

#[test]
fn trend_compares_the_latest_sessions_with_the_ones_before() {
    let d = Dir::new();
    let dir = d.sessions_dir();
    for day in 1..=5 {
        record(&d, &dir, &format!("bad{day}.jsonl"), BAD, "张三", day);
    }
    for day in 6..=10 {
        record(&d, &dir, &format!("good{day}.jsonl"), GOOD, "张三", day);
    }
    record(&d, &dir, "p.jsonl", GOOD_PREPARED, "张三", 11);
    let v = common::stdout_json(
        d.cmd()
            .args(["history", "--trainee", "张三", "--json"])
            .output()
            .unwrap(),
    );
    let t = &v["trend"];
    assert_eq!(t["sessions"], 11);
    assert_eq!(t["resolved"], 6);
    let c = &t["change"];
    assert_eq!(c["window"], 5);
    assert_eq!(c["direction"], "up");
    assert!(c["recent"].as_f64() > c["previous"].as_f64());
    let by = t["by_persona"].as_array().unwrap();
    assert_eq!(by[0]["persona"]["name"], "感情用事者");
    assert_eq!(by[0]["sessions"], 10);
    assert_eq!(by[1]["persona"]["id"], "prepared");
    assert!(t["best_score"].as_f64() >= by[0]["best"].as_f64());

    let out = stdout(
        &d.cmd()
            .args(["history", "--trainee", "张三"])
            .output()
            .unwrap(),
    );
    assert!(
        out.contains("最近 5 场平均") && out.contains("之前 5 场平均") && out.contains("↑ 提高"),
        "{out}"
    );
    assert!(out.contains("问题解决 6/11 场"), "{out}");
    assert!(out.contains("按客户类型"), "{out}");
    let line = out.lines().find(|l| l.contains("得分走势")).unwrap();
    assert_eq!(
        line.chars().filter(|c| ('▁'..='█').contains(c)).count(),
        11,
        "one bar per session: {line}"
    );
    // --last shortens the list, not the trend.
    let out = stdout(
        &d.cmd()
            .args(["history", "--trainee", "张三", "--last", "2"])
            .output()
            .unwrap(),
    );
    assert!(out.contains("最近 2 场（共 11 场）"), "{out}");
    assert_eq!(rows(&out).len(), 2, "{out}");
    assert!(rows(&out)[0].starts_with("10  "), "{out}");
    assert!(out.contains("问题解决 6/11 场"), "{out}");
}

#[test]
fn trainee_comes_from_flag_then_environment_then_config_else_everyone() {
    let d = Dir::new();
    let dir = d.sessions_dir();
    record(&d, &dir, "z1.jsonl", GOOD, "张三", 1);
    record(&d, &dir, "l1.jsonl", BAD, "李四", 2);
    record(&d, &dir, "l2.jsonl", GOOD, "李四", 3);
    record(&d, &dir, "w1.jsonl", GOOD_PREPARED, "王五", 4);
    let count = |cmd: &mut assert_cmd::Command| {
        let v = common::stdout_json(cmd.arg("--json").output().unwrap());
        let trainees: Vec<String> = v["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["trainee"].as_str().unwrap().to_string())
            .collect();
        (v["trainee"].clone(), trainees)
    };
    // No trainee anywhere: everyone, with a trainee column in the table.
    let history = || {
        let mut c = d.cmd();
        c.arg("history");
        c
    };
    assert_eq!(count(&mut history()).1.len(), 4);
    let out = stdout(&d.cmd().arg("history").output().unwrap());
    assert!(
        out.contains("全部学员的练习记录：4 场") && out.contains("学员"),
        "{out}"
    );
    assert!(out.contains("王五"), "{out}");

    d.write(".config/peilian/config.toml", "trainee = \"张三\"\n");
    assert_eq!(
        count(&mut history()),
        ("张三".into(), vec!["张三".to_string()])
    );
    assert_eq!(
        count(history().env("PEILIAN_TRAINEE", "李四")),
        ("李四".into(), vec!["李四".to_string(), "李四".to_string()])
    );
    assert_eq!(
        count(
            history()
                .env("PEILIAN_TRAINEE", "李四")
                .args(["--trainee", "王五"])
        ),
        ("王五".into(), vec!["王五".to_string()])
    );
    // --all beats the configured name, and the environment's.
    let (who, all) = count(history().env("PEILIAN_TRAINEE", "李四").arg("--all"));
    assert_eq!((who, all.len()), (serde_json::Value::Null, 4));

    let out = stdout(&d.cmd().arg("history").output().unwrap());
    assert!(out.contains("学员「张三」的练习记录：1 场"), "{out}");
    assert!(out.contains("另有 3 场其他学员的记录"), "{out}");
    let out = stdout(
        &d.cmd()
            .args(["history", "--trainee", "赵六"])
            .output()
            .unwrap(),
    );
    assert!(
        out.contains("没有学员「赵六」的练习记录") && out.contains("--all"),
        "{out}"
    );
}

#[test]
fn bad_files_are_skipped_with_file_and_line_and_the_rest_listed() {
    let d = Dir::new();
    let dir = d.sessions_dir();
    let good = record(&d, &dir, "good.jsonl", GOOD, "张三", 2);
    let text = std::fs::read_to_string(&good).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    // A turn line damaged in the middle of the file.
    lines[2] = "{\"type\":\"turn\",\"n\":2,";
    std::fs::write(dir.join("damaged.jsonl"), lines.join("\n") + "\n").unwrap();
    // A transcript of a customer type nobody has any more.
    std::fs::write(
        dir.join("gone.jsonl"),
        text.replacen("\"id\":\"emotional\"", "\"id\":\"retired\"", 1),
    )
    .unwrap();
    std::fs::write(dir.join("empty.jsonl"), "").unwrap();
    std::fs::create_dir(dir.join("folder.jsonl")).unwrap();
    std::fs::write(dir.join("notes.txt"), "不是记录").unwrap();
    // Cut off by a kill: the interrupted session is still listed.
    let cut = record(&d, &dir, "cut.jsonl", GOOD, "张三", 1);
    let cut_text = std::fs::read_to_string(&cut).unwrap();
    let keep: Vec<&str> = cut_text.lines().take(3).collect();
    std::fs::write(&cut, keep.join("\n") + "\n").unwrap();

    let out = d
        .cmd()
        .args(["history", "--trainee", "张三"])
        .output()
        .unwrap();
    let so = String::from_utf8(out.stdout.clone()).unwrap();
    let se = String::from_utf8(out.stderr).unwrap();
    assert_eq!(rows(&so).len(), 2, "{so}");
    assert!(rows(&so)[0].contains("中途中断"), "{so}");
    assert!(rows(&so)[1].contains("问题解决"), "{so}");
    assert!(se.contains("damaged.jsonl:3:"), "{se}");
    assert!(se.contains("gone.jsonl") && se.contains("retired"), "{se}");
    assert!(se.contains("empty.jsonl:1:"), "{se}");
    assert!(se.contains("folder.jsonl"), "{se}");
    assert!(!se.contains("notes.txt"), "only transcripts are read: {se}");
    assert_eq!(se.matches("跳过").count(), 4, "{se}");

    // Skipped records are findings: exit 1, as `score` and `assess` have it.
    assert_eq!(out.status.code(), Some(1));
    let out = d
        .cmd()
        .args(["history", "--json", "--trainee", "张三"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["skipped"].as_array().unwrap().len(), 4);
    assert_eq!(v["sessions"][0]["interrupted"], true);
    assert_eq!(v["sessions"][0]["outcome"], "unfinished");
}

#[test]
fn no_sessions_yet_is_a_friendly_message_not_an_error() {
    let d = Dir::new();
    d.cmd()
        .arg("history")
        .assert()
        .success()
        .stdout(contains("还没有练习记录").and(contains("peilian practice")));
    std::fs::create_dir_all(d.sessions_dir()).unwrap();
    d.cmd()
        .arg("history")
        .assert()
        .success()
        .stdout(contains("还没有练习记录"));
    let v = common::stdout_json(d.cmd().args(["history", "--json"]).output().unwrap());
    assert_eq!(v["sessions"], serde_json::json!([]));
    assert!(v["trend"].is_null());
}

#[test]
fn sessions_dir_comes_from_flag_then_environment_then_config_else_the_data_dir() {
    let d = Dir::new();
    let dirs = ["from-config", "from-env", "from-flag"].map(|n| d.path().join(n));
    record(&d, &d.sessions_dir(), "x.jsonl", GOOD, "张三", 1);
    for (i, dir) in dirs.iter().enumerate() {
        for n in 0..=i {
            record(&d, dir, &format!("{n}.jsonl"), GOOD, "张三", 1 + n as u32);
        }
    }
    let seen = |cmd: &mut assert_cmd::Command| {
        let v = common::stdout_json(cmd.arg("--json").output().unwrap());
        (
            PathBuf::from(v["sessions_dir"].as_str().unwrap()),
            v["sessions"].as_array().unwrap().len(),
        )
    };
    let history = || {
        let mut c = d.cmd();
        c.arg("history");
        c
    };
    assert_eq!(seen(&mut history()), (d.sessions_dir(), 1));
    // Relative to the config file's directory.
    d.write(
        ".config/peilian/config.toml",
        "sessions_dir = \"../../from-config\"\n",
    );
    let (dir, n) = seen(&mut history());
    assert_eq!(
        (dir.canonicalize().unwrap(), n),
        (dirs[0].canonicalize().unwrap(), 1)
    );
    assert_eq!(
        seen(history().env("PEILIAN_SESSIONS_DIR", &dirs[1])),
        (dirs[1].clone(), 2)
    );
    assert_eq!(
        seen(
            history()
                .env("PEILIAN_SESSIONS_DIR", &dirs[1])
                .arg("--sessions-dir")
                .arg(&dirs[2])
        ),
        (dirs[2].clone(), 3)
    );
}

/// A shared sessions folder may hold anything named `*.jsonl`: a FIFO must not hang
/// `history`, a link to `/dev/zero` must not fill memory; each is named and the real
/// sessions are still listed.
#[test]
fn a_fifo_or_an_endless_file_in_the_sessions_folder_costs_only_itself() {
    let d = Dir::new();
    let dir = d.path().join("sessions");
    std::fs::create_dir_all(&dir).unwrap();
    record(&d, &dir, "good.jsonl", GOOD_PREPARED, "小王", 3);
    let fifo = dir.join("pipe.jsonl");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    std::os::unix::fs::symlink("/dev/zero", dir.join("zero.jsonl")).unwrap();
    let out = d
        .cmd()
        .args(["history", "--all", "--sessions-dir"])
        .arg(&dir)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Skipped records are findings: exit 1, the sessions that could be read listed.
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("pipe.jsonl") && stderr.contains("FIFO"),
        "{stderr}"
    );
    assert!(stderr.contains("zero.jsonl"), "{stderr}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(rows(&text).len(), 1, "{text}");
}

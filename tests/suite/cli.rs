//! The command line as users meet it: listing and showing customers, writing a new one,
//! analysing lines, schemas, exit codes.

use crate::common;

use common::{Dir, peilian, repo};
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;

#[test]
fn no_subcommand_practises_and_takes_practice_options() {
    let dir = Dir::new();
    let out = dir
        .cmd()
        .env("XDG_DATA_HOME", dir.path())
        .env("XDG_CONFIG_HOME", dir.path())
        .args(["--persona", "感情用事", "--seed", "1", "--exam"])
        .write_stdin("您好,请问有什么可以帮您?\n")
        .output()
        .unwrap();
    assert!(out.status.success());
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(s.contains("感情用事者：") && s.contains("评分卡"), "{s}");
    // `peilian --persona x run …` mixes practice options with a subcommand.
    dir.cmd()
        .args(["--persona", "emotional", "persona", "list"])
        .assert()
        .code(2);
}

/// `peilian practice self-absorbed` (or a Chinese name) practises with that customer, as
/// a trainee types it; naming it twice is refused.
#[test]
fn practice_takes_the_persona_as_a_word() {
    let dir = Dir::new();
    for who in ["self-absorbed", "\u{81EA}\u{6211}\u{9676}\u{9189}"] {
        // 自我陶醉
        let out = dir
            .cmd()
            .args(["practice", who, "--seed", "1", "--trainee", "\u{5C0F}\u{738B}"])
            .write_stdin("\u{60A8}\u{597D}\u{FF0C}\u{8BF7}\u{95EE}\u{6709}\u{4EC0}\u{4E48}\u{53EF}\u{4EE5}\u{5E2E}\u{60A8}\u{FF1F}\n")
            .output()
            .unwrap();
        let s = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{s}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            s.contains("\u{81EA}\u{6211}\u{9676}\u{9189}\u{8005}\u{FF1A}"),
            "{s}"
        ); // 自我陶醉者：
    }
    let out = dir
        .cmd()
        .args(["practice", "self-absorbed", "--persona", "emotional"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("\u{9519}\u{8BEF}\u{FF1A}"), "{err}"); // 错误：
    assert!(
        err.contains("\u{4E0D}\u{80FD}\u{4E00}\u{8D77}\u{7528}"),
        "{err}"
    ); // 不能一起用
}

/// A command line clap refuses says what is wrong in Chinese first, and what to type
/// instead for a customer named where a subcommand goes (`peilian 感情用事`).
#[test]
fn a_refused_command_line_says_why_in_chinese_first() {
    let cases: [(&[&str], &str); 5] = [
        (&["self-absorbed"], "peilian practice self-absorbed"),
        (&["scroe"], "\u{662F}\u{4E0D}\u{662F}\u{60F3}\u{7528}"), // a typo: 是不是想用 … score
        (
            &["practice", "--persn", "x"],
            "\u{4E0D}\u{8BA4}\u{8BC6}\u{7684}\u{53C2}\u{6570}\u{300C}--persn\u{300D}",
        ), // 不认识的参数「--persn」
        (
            &["practice", "--difficulty", "extreme"],
            "\u{300C}extreme\u{300D}\u{4E0D}\u{5BF9}",
        ), // 「extreme」不对
        (&["practice", "a", "b"], "\u{300C}b\u{300D}"),           // 「b」
    ];
    for (args, want) in cases {
        let out = peilian().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        let first = err.lines().next().unwrap_or_default();
        assert!(
            first.starts_with("\u{9519}\u{8BEF}\u{FF1A}"),
            "{args:?}: {err}"
        ); // 错误：
        assert!(first.contains(want), "{args:?}: {err}");
        assert!(err.contains("error:"), "clap's own message follows: {err}");
    }
    // Help is no error.
    let out = peilian().args(["practice", "--help"]).output().unwrap();
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stderr).contains("\u{9519}\u{8BEF}"));
}

#[test]
fn persona_list_json_has_ids_names_and_scenarios() {
    let out = peilian()
        .args(["persona", "list", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "emotional",
            "righteous",
            "stubborn",
            "self-absorbed",
            "prepared",
            "influential"
        ]
    );
    for p in v.as_array().unwrap() {
        assert!(!p["name"].as_str().unwrap().is_empty());
        assert!(!p["scenarios"].as_array().unwrap().is_empty());
    }
}

#[test]
fn persona_show_by_chinese_alias_hides_facts_unless_revealed() {
    let out = peilian()
        .args(["persona", "show", "感情用事", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["id"], "emotional");
    assert!(!v["traits"].as_array().unwrap().is_empty());
    assert!(!v["advice"].as_array().unwrap().is_empty());
    let sc = &v["scenarios"][0];
    assert!(sc["id"].is_string() && sc["title"].is_string() && sc["industry"].is_string());
    assert!(sc.get("facts").is_none());
    // The policy and law are what an agent knows (the practice brief tells them): shown
    // as the trainee reads them, without the trainers' notes; the rest stays hidden.
    let policy = sc["policy"].as_object().unwrap();
    assert_eq!(policy.keys().collect::<Vec<_>>(), ["summary"]);
    assert!(!policy["summary"].as_str().unwrap().is_empty());
    assert!(sc.get("demand").is_none() && sc.get("remedies").is_none());

    let out = peilian()
        .args(["persona", "show", "emotional", "--json", "--reveal"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!v["scenarios"][0]["facts"].as_array().unwrap().is_empty());

    let out = peilian()
        .args(["persona", "show", "emotional"])
        .output()
        .unwrap();
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(
        s.contains("特征") && s.contains("建议") && s.contains("--reveal"),
        "{s}"
    );
    assert!(s.contains("政策与法规：") && !s.contains("诉求："), "{s}");
    // The prepared customer's trainer note (the deck's 1996 「一倍」) is for trainers.
    let out = peilian()
        .args(["persona", "show", "prepared"])
        .output()
        .unwrap();
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(s.contains("第五十五条") && !s.contains("培训师"), "{s}");
}

#[test]
fn unknown_persona_is_exit_2_with_the_choices() {
    peilian()
        .args(["persona", "show", "nobody"])
        .assert()
        .code(2)
        .stderr(contains("没有找到客户类型「nobody」").and(contains("emotional")));
}

#[test]
fn persona_new_writes_a_file_that_validates_and_refuses_to_overwrite() {
    let d = Dir::new();
    d.cmd()
        .args(["persona", "new", "angry-parent"])
        .assert()
        .success();
    d.cmd()
        .args(["persona", "validate", "angry-parent.toml"])
        .assert()
        .success();
    d.cmd()
        .args(["persona", "new", "angry-parent"])
        .assert()
        .code(2)
        .stderr(contains("已存在"));
    d.cmd()
        .args(["persona", "new", "Bad Id"])
        .assert()
        .code(2)
        .stderr(contains("不合法"));
}

#[test]
fn validate_a_directory() {
    peilian()
        .args(["persona", "validate"])
        .arg(repo("personas"))
        .assert()
        .success()
        .stdout(contains("emotional.toml"));
}

#[test]
fn analyze_json_is_one_object_per_line_with_byte_offsets() {
    let input = "您好,公司的规定就是这样的。\n\n非常理解您的心情\n";
    let out = peilian()
        .args(["analyze", "--json"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[1]["text"], "");
    assert_eq!(lines[1]["signals"].as_array().unwrap().len(), 0);
    for l in &lines {
        let t = l["text"].as_str().unwrap();
        for s in l["signals"].as_array().unwrap() {
            let (a, b) = (
                s["start"].as_u64().unwrap() as usize,
                s["end"].as_u64().unwrap() as usize,
            );
            assert!(t.is_char_boundary(a) && t.is_char_boundary(b) && a < b);
            assert!(s["rule"].is_string() && s["kind"].is_string());
        }
    }
    let kinds: Vec<&str> = lines[0]["signals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"greeting") && kinds.contains(&"forbidden"),
        "{kinds:?}"
    );
    let fb = lines[0]["signals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "forbidden")
        .unwrap();
    let t = lines[0]["text"].as_str().unwrap();
    let span = &t[fb["start"].as_u64().unwrap() as usize..fb["end"].as_u64().unwrap() as usize];
    assert!(span.contains("规定"), "{span}");
}

#[test]
fn analyze_plain_marks_spans_and_suggests_better_phrasing() {
    let out = peilian()
        .arg("analyze")
        .write_stdin("这种问题我们见得多了\n")
        .output()
        .unwrap();
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(
        s.contains("^^") && s.contains("禁语") && s.contains("试试"),
        "{s}"
    );
}

#[test]
fn analyze_invalid_utf8_warns_per_line_and_keeps_going() {
    let mut input = b"\xff\xfe\xfd\n".to_vec();
    input.extend_from_slice("非常抱歉\n".as_bytes());
    let out = peilian()
        .args(["analyze", "--json"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("第 1 行") && err.contains("UTF-8"), "{err}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 2);
    assert!(text.lines().nth(1).unwrap().contains("apology"));
}

#[test]
fn analyze_with_control_characters_and_a_huge_line() {
    let mut input = String::from("您好\u{1b}[31m\u{7}\u{0}谢谢\n");
    input.push_str(&"投诉".repeat(300_000));
    input.push('\n');
    let out = peilian()
        .args(["analyze", "--json"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 2);
    // Plain mode prints no escape sequence it was given.
    let out = peilian()
        .arg("analyze")
        .write_stdin("您好\u{1b}]0;pwned\u{7}谢谢\n")
        .output()
        .unwrap();
    assert!(!String::from_utf8(out.stdout).unwrap().contains('\u{1b}'));
}

#[test]
fn closed_stdout_is_not_an_error() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let bin = assert_cmd::cargo::cargo_bin("peilian");
    let mut child = Command::new(bin)
        .args(["analyze", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    drop(child.stdout.take()); // the reader goes away, as `| head -0` would
    let writer = std::thread::spawn(move || {
        for _ in 0..20_000 {
            if stdin.write_all("您好,谢谢您的耐心\n".as_bytes()).is_err() {
                break;
            }
        }
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn committed_schemas_are_current() {
    for (what, file) in [
        ("persona", "personas/persona.schema.json"),
        ("rubric", "rubrics/rubric.schema.json"),
    ] {
        let out = peilian().args(["schema", what]).output().unwrap();
        assert!(out.status.success());
        let committed = std::fs::read_to_string(repo(file)).unwrap_or_default();
        assert_eq!(
            String::from_utf8(out.stdout).unwrap().trim(),
            committed.trim(),
            "{file} is stale: run `cargo run -- schema {what} > {file}`"
        );
    }
}

#[test]
fn help_is_chinese_first() {
    peilian()
        .arg("--help")
        .assert()
        .success()
        .stdout(contains("练习"));
}

/// How many self-checks the shipped 感情用事 file has (counted, so adding one does not
/// break the tests that run them).
fn emotional_checks() -> usize {
    let text = std::fs::read_to_string(repo("personas/emotional.toml")).unwrap();
    text.lines().filter(|l| l.trim() == "[[checks]]").count()
}

#[test]
fn persona_test_passes_for_shipped_and_fails_for_a_broken_check() {
    peilian()
        .args(["persona", "test", "emotional"])
        .assert()
        .success()
        .stdout(contains(format!("{} passed, 0 failed", emotional_checks())));
    let d = Dir::new();
    let text = common::starter("t").replacen("expect = \"resolved\"", "expect = \"walked_out\"", 1);
    d.write("t.toml", text);
    d.cmd()
        .args(["persona", "test", "t.toml", "--verbose"])
        .assert()
        .code(1)
        .stdout(contains("✗").and(contains("1 failed")));
}

/// `score` and `assess` take the same format words: `text` or `txt`, `md` or `markdown`.
#[test]
fn score_and_assess_accept_the_same_format_words() {
    let dir = common::Dir::new();
    let answers = dir.write("a.txt", "您好，请您慢慢说，我听着\n");
    let t = dir.path().join("t.jsonl");
    common::peilian()
        .args(["run", "--persona", "emotional", "--answers"])
        .arg(&answers)
        .arg("--transcript")
        .arg(&t)
        .assert()
        .success();
    for word in ["text", "txt", "md", "markdown"] {
        common::peilian()
            .args(["score", "--format", word])
            .arg(&t)
            .assert()
            .success();
        common::peilian()
            .arg("assess")
            .arg(dir.path())
            .arg("--out")
            .arg(dir.path().join(format!("out-{word}")))
            .args(["--format", word])
            .assert()
            .success();
    }
}

/// The exit-code policy, command by command: 0 ok, 1 findings (failed validation,
/// failed self-checks, skipped or misordered inputs, a failed server check), 2 usage or
/// I/O error. Each command is run in each case it has.
#[test]
fn exit_codes_follow_one_policy_per_command() {
    let d = Dir::new();
    d.write("good.toml", common::starter("good"));
    d.write(
        "bad.toml",
        common::starter("bad").replacen("patience", "patinece", 1),
    );
    let broken_check =
        common::starter("t").replacen("expect = \"resolved\"", "expect = \"walked_out\"", 1);
    d.write("failing/t.toml", broken_check);
    d.write("bad-rubric.toml", "id = 1\n");
    d.write("a.txt", "您好，请您慢慢说，我听着\n");
    d.cmd()
        .args(["run", "--persona", "emotional", "--answers", "a.txt"])
        .args(["--transcript", "t/ok.jsonl"])
        .assert()
        .success();
    d.write("t/broken.jsonl", "not json\n");
    d.write(
        "only-ok/ok.jsonl",
        std::fs::read(d.path().join("t/ok.jsonl")).unwrap(),
    );
    let rubric = common::repo("rubrics/default.toml");
    let rubric = rubric.to_str().unwrap();
    let cases: &[(&[&str], i32)] = &[
        (&["persona", "list"], 0),
        (&["persona", "show", "emotional"], 0),
        (&["persona", "show", "nobody"], 2),
        (&["persona", "validate", "good.toml"], 0),
        (&["persona", "validate", "bad.toml"], 1),
        (&["persona", "validate"], 2),
        (&["persona", "test", "emotional"], 0),
        (&["persona", "test", "failing"], 1),
        (&["persona", "test", "nobody"], 2),
        (&["persona", "new", "good"], 2),
        (&["rubric", "validate", rubric], 0),
        (&["rubric", "validate", "bad-rubric.toml"], 1),
        (&["rubric", "calibrate", "t"], 2),
        (&["run", "--persona", "emotional", "--answers", "a.txt"], 0),
        (&["run", "--persona", "nobody", "--answers", "a.txt"], 2),
        (&["score", "t/ok.jsonl"], 0),
        (&["score", "t/ok.jsonl", "t/broken.jsonl"], 1),
        (&["score", "t/ok.jsonl", "--format", "pdf"], 2),
        (&["assess", "only-ok", "--out", "o1"], 0),
        (&["assess", "t", "--out", "o2"], 1),
        (&["assess", "missing", "--out", "o3"], 2),
        (&["history"], 0),
        (&["history", "--sessions-dir", "t"], 1),
        (&["config", "path"], 0),
        (&["config", "show"], 0),
        (&["config", "show", "--temperature", "x"], 2),
        (&["llm", "check", "--base-url", "http://127.0.0.1:9/v1"], 1),
        (&["llm", "check", "--base-url", "ftp://x"], 2),
        (&["schema", "persona"], 0),
        (&["completions", "bash"], 0),
        (&["man"], 0),
        (&["no-such-command"], 2),
        (&["rubric", "evaluate", "labels.tsv"], 0),
        (&["rubric", "evaluate", "bad-labels.tsv"], 1),
        (&["rubric", "evaluate", "no-such.tsv"], 2),
        (&["analyze", "--no-such-flag"], 2),
        (&["practice", "--persona", "nobody"], 2),
    ];
    d.write("labels.tsv", "apology\t对不起，让您久等了。\n");
    d.write("bad-labels.tsv", "no-such-act\t对不起。\n");
    for (args, code) in cases {
        let out = d.cmd().args(*args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(*code),
            "peilian {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// `peilian persona list | head -1`: the reader leaving early is success, silently
/// (the pipe is closed before the first write, so every write fails).
#[test]
fn a_closed_pipe_is_success() {
    use std::process::{Command, Stdio};
    for args in [
        &["persona", "list"][..],
        &["persona", "list", "--json"],
        &["persona", "show", "emotional"],
        &["config", "show", "--json"],
        &["man"],
    ] {
        let home = Dir::new();
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("peilian"))
            .args(args)
            .env("HOME", home.path())
            .env("XDG_CONFIG_HOME", home.path().join(".config"))
            .env("XDG_DATA_HOME", home.path().join(".local/share"))
            .env_remove("PEILIAN_CONFIG")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(
            out.stderr.is_empty(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn persona_validate_and_test_json() {
    let d = Dir::new();
    d.write("good.toml", common::starter("good"));
    d.write(
        "bad.toml",
        common::starter("bad").replacen("patience", "patinece", 1),
    );
    let out = d
        .cmd()
        .args(["persona", "validate", "good.toml", "bad.toml", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(v["files"][0]["file"], "good.toml");
    assert_eq!(v["files"][0]["id"], "good");
    assert_eq!(v["files"][1]["ok"], false);
    let p = &v["problems"][0];
    assert_eq!(p["file"], "bad.toml");
    assert!(p["line"].as_u64().unwrap() > 1, "{p}");
    assert!(p["field"].as_str().unwrap().contains("patinece"), "{p}");

    let broken =
        common::starter("t").replacen("expect = \"resolved\"", "expect = \"walked_out\"", 1);
    d.write("t.toml", broken);
    let out = d
        .cmd()
        .args(["persona", "test", "t.toml", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(v["failed"], 1);
    let failed = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["passed"] == false)
        .unwrap();
    assert_eq!(failed["persona"], "t");
    assert_eq!(failed["expect"], "walked_out");
    assert!(failed["angers"].as_array().unwrap().len() >= 2);
    let out = peilian()
        .args(["persona", "test", "emotional", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["ok"].clone(), v["failed"].clone()),
        (true.into(), 0.into())
    );
    assert_eq!(v["passed"], emotional_checks());
}

#[test]
fn rubric_validate_json() {
    let d = Dir::new();
    d.write("bad.toml", "id = 1\n");
    let good = common::repo("rubrics/default.toml");
    let out = d
        .cmd()
        .args(["rubric", "validate", "--json"])
        .arg(&good)
        .arg("bad.toml")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(v["files"][0]["id"], "default");
    assert!(v["files"][0]["rules"].as_u64().unwrap() > 10);
    assert_eq!(v["files"][1]["ok"], false);
    assert_eq!(v["problems"][0]["file"], "bad.toml");
    assert_eq!(v["problems"][0]["line"], 1);
}

/// `peilian man`: roff from the same definitions, naming every command.
#[test]
fn man_page_is_roff_and_names_every_command() {
    use clap::CommandFactory;
    let out = peilian().arg("man").output().unwrap();
    assert!(out.status.success());
    let page = String::from_utf8(out.stdout).unwrap();
    // roff's two-line preamble (how to print an apostrophe) comes before the title.
    let first = page
        .lines()
        .find(|l| !l.starts_with(".ie") && !l.starts_with(".el"))
        .unwrap();
    assert!(first.starts_with(".TH peilian 1"), "{first}");
    fn names(cmd: &clap::Command, parent: &str, out: &mut Vec<String>) {
        for sub in cmd.get_subcommands() {
            let name = format!("{parent} {}", sub.get_name());
            names(sub, &name, out);
            out.push(name);
        }
    }
    let mut all = Vec::new();
    names(&peilian::cli::Cli::command(), "peilian", &mut all);
    assert!(all.len() > 20, "{all:?}");
    for name in all {
        assert!(page.contains(&format!(".SS \"{name}\"")), "{name} missing");
    }
}

/// `--color` beside NO_COLOR: the flag wins either way; `auto` colours only a terminal.
#[test]
fn colour_flag_beats_the_environment() {
    let esc = |args: &[&str], env: &[(&str, &str)]| {
        let mut c = peilian();
        c.env_remove("NO_COLOR")
            .args(args)
            .envs(env.iter().copied());
        let out = c.output().unwrap();
        assert!(out.status.success());
        out.stdout.contains(&0x1b)
    };
    let show = ["persona", "show", "emotional"];
    fn with(flag: &'static str) -> Vec<&'static str> {
        vec!["--color", flag, "persona", "show", "emotional"]
    }
    assert!(esc(&with("always"), &[]), "always, though piped");
    assert!(esc(&with("always"), &[("NO_COLOR", "1")]), "the flag wins");
    assert!(!esc(&with("never"), &[("CLICOLOR_FORCE", "1")]));
    assert!(!esc(&show, &[]), "auto: a pipe gets none");
    assert!(!esc(&show, &[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")]));
    assert!(esc(&show, &[("CLICOLOR_FORCE", "1")]));
}

/// The exit codes of the commands that read standard input: `analyze` and a piped
/// `practice` end at its end with 0.
#[test]
fn stdin_commands_follow_the_exit_code_policy() {
    let d = Dir::new();
    d.cmd()
        .arg("analyze")
        .write_stdin("您好\n")
        .assert()
        .code(0);
    d.cmd()
        .args(["practice", "--persona", "emotional", "--trainee", "小王"])
        .write_stdin("您好，请问有什么可以帮您？\n")
        .assert()
        .code(0);
}

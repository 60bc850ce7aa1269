//! Rubric files a trainer writes: exact, located errors; every problem at once.

use crate::common;

use common::Dir;

const GOOD: &str = r#"id = "house"
name = "门店规范"
version = 1
[defines]
num = '(?:\d+|[一二三四五六七八九十两]+)'
[kinds]
praise = { label = "赞美", polarity = "good" }
[[rules]]
id = "time.hours"
kind = "time_commitment"
patterns = ['{num}个?小时内']
[[rules]]
id = "praise.nice"
kind = "praise"
patterns = ['您真专业']
[[rules]]
id = "forbidden.policy"
kind = "forbidden"
phrase = "公司的规定就是这样的"
patterns = ['规定就是规定']
except = ['按规定您可以']
better = "按照规定我们可以先为您……"
"#;

fn validate(text: &str) -> (i32, String, String) {
    let d = Dir::new();
    d.write("r.toml", text);
    let out = d
        .cmd()
        .args(["rubric", "validate", "r.toml"])
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn a_good_rubric_with_defines_and_new_kinds_validates_and_analyses() {
    let (code, out, err) = validate(GOOD);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("门店规范") && out.contains("3 条规则"));
    let d = Dir::new();
    d.write("r.toml", GOOD);
    let out = d
        .cmd()
        .args(["--rubric", "r.toml", "analyze", "--json"])
        .write_stdin("两个小时内给您答复,您真专业\n规定就是规定\n按规定您可以换\n")
        .output()
        .unwrap();
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds = |i: usize| -> Vec<String> {
        lines[i]["signals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["kind"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(kinds(0), ["time_commitment", "praise"]);
    assert_eq!(kinds(1), ["forbidden"]);
    assert!(kinds(2).is_empty());
}

#[track_caller]
fn expect(from: &str, to: &str, field: &str, message: &str) {
    let line = line_of(&GOOD.replacen(from, to, 1), to.lines().next().unwrap());
    expect_on(from, to, field, message, line);
}

/// Like `expect`, with the line the problem is reported on given explicitly.
#[track_caller]
fn expect_on(from: &str, to: &str, field: &str, message: &str, line: usize) {
    assert_eq!(GOOD.matches(from).count(), 1, "not unique: {from}");
    let text = GOOD.replacen(from, to, 1);
    let (code, _, err) = validate(&text);
    assert_eq!(code, 1, "{err}");
    let prefix = format!("r.toml:{line}:");
    assert!(
        err.lines().any(|l| l.starts_with(&prefix)
            && l.contains(&common::field(field))
            && l.contains(message)),
        "expected `{prefix}…{field}: …{message}` in:\n{err}"
    );
}

#[test]
fn unknown_kind() {
    expect(
        "kind = \"praise\"",
        "kind = \"praize\"",
        "rules[1].kind",
        "未知的信号类型「praize」",
    );
}

#[test]
fn bad_regex_and_lookaround() {
    expect(
        "patterns = ['您真专业']",
        "patterns = ['您真(专业']",
        "rules[1].patterns[0]",
        "不是有效的正则表达式",
    );
    expect(
        "except = ['按规定您可以']",
        "except = ['(?<=按)规定']",
        "rules[2].except[0]",
        "不支持前后查找",
    );
}

#[test]
fn undefined_define() {
    expect(
        "patterns = ['{num}个?小时内']",
        "patterns = ['{nmu}个?小时内']",
        "rules[0].patterns[0]",
        "未定义的片段 {nmu}",
    );
}

#[test]
fn empty_match_pattern() {
    expect(
        "patterns = ['您真专业']",
        "patterns = ['(您真专业)?']",
        "rules[1].patterns[0]",
        "空字符串",
    );
}

#[test]
fn bad_rule_needs_better_phrasing() {
    expect(
        "better = \"按照规定我们可以先为您……\"",
        "better = \"\"",
        "rules[2].better",
        "better",
    );
}

#[test]
fn duplicate_rule_ids() {
    // Reported on the second rule's id line, not the first one's.
    let second = line_of(GOOD, "id = \"praise.nice\"");
    expect_on(
        "id = \"praise.nice\"",
        "id = \"time.hours\"",
        "rules[1].id",
        "重复",
        second,
    );
}

#[test]
fn unknown_rule_field_is_a_typo() {
    let text = GOOD.replacen("except = ", "excpet = ", 1);
    let (code, _, err) = validate(&text);
    assert_eq!(code, 1);
    assert!(
        err.contains("rules[2].excpet") && err.contains("unknown field"),
        "{err}"
    );
}

#[test]
fn several_problems_at_once() {
    let text = GOOD
        .replacen("kind = \"praise\"", "kind = \"praize\"", 1)
        .replacen("better = \"按照规定我们可以先为您……\"", "better = \"\"", 1)
        .replacen("patterns = ['{num}个?小时内']", "patterns = ['{num}(']", 1);
    let (code, _, err) = validate(&text);
    assert_eq!(code, 1);
    assert!(
        err.contains("rules[1].kind")
            && err.contains("rules[2].better")
            && err.contains("rules[0].patterns[0]"),
        "{err}"
    );
    // The fourth: with its one rule misspelt, the declared kind `praise` has no rule.
    assert!(
        err.contains("kinds.praise") && err.contains("`praise`"),
        "{err}"
    );
    assert!(err.contains("共 4 个问题"), "{err}");
}

#[test]
fn bad_rubric_flag_is_an_error_with_exit_2() {
    let d = Dir::new();
    d.write(
        "r.toml",
        GOOD.replacen("kind = \"praise\"", "kind = \"praize\"", 1),
    );
    d.cmd()
        .args(["--rubric", "r.toml", "analyze"])
        .write_stdin("您好\n")
        .assert()
        .code(2)
        .stderr(predicates::str::contains("rules[1].kind"));
}

/// Scoring numbers that would panic a scorer (a negative or NaN clamp bound) or turn a
/// rule off silently are rejected by `rubric validate`, each on its field; `score` with
/// such a rubric stops with the same message instead of crashing.
#[test]
fn scoring_numbers_that_cannot_work_are_rejected() {
    let cases = [
        (
            "[scoring.weights]\ncompliance = -25\n",
            "scoring.weights.compliance",
            "0 到 1000",
        ),
        (
            "[scoring.weights]\nempathy = nan\n",
            "scoring.weights.empathy",
            "0 到 1000",
        ),
        (
            "[scoring]\nviolation_points = -5\n",
            "scoring.violation_points",
            "0 到 1000",
        ),
        (
            "[scoring]\nforbidden_cap = \"及格\"\n",
            "scoring.forbidden_cap",
            "不是任何一个等级",
        ),
        (
            "[scoring]\ngrades = [{ name = \"优秀\", min = 60 }, { name = \"合格\", min = 90 }]\n",
            "scoring.grades[1].min",
            "从高到低",
        ),
        (
            "[scoring]\ngrades = [{ name = \"优秀\", min = 190 }]\n",
            "scoring.grades[0].min",
            "0 到 100",
        ),
    ];
    for (extra, field, message) in cases {
        let text = format!("{GOOD}{extra}");
        let (code, _, err) = validate(&text);
        assert_eq!(code, 1, "{extra}: {err}");
        assert!(
            err.contains(&common::field(field)) && err.contains(message),
            "{extra}: expected {field}: …{message} in\n{err}"
        );
    }
    // A built-in kind cannot change sides.
    let text = GOOD.replace(
        "praise = { label = \"赞美\", polarity = \"good\" }",
        "praise = { label = \"赞美\", polarity = \"good\" }\nforbidden = { label = \"禁语\", polarity = \"good\" }",
    );
    let (code, _, err) = validate(&text);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("kinds.forbidden.polarity"), "{err}");
    // The scorer never sees such a rubric: it stops with the message, exit 2, no panic.
    let d = Dir::new();
    d.write(
        "r.toml",
        format!("{GOOD}[scoring.weights]\ncompliance = -25\n"),
    );
    let answers = d.write("a.txt", "您好\n");
    let out = d
        .cmd()
        .args([
            "--rubric",
            "r.toml",
            "run",
            "--persona",
            "emotional",
            "--answers",
        ])
        .arg(&answers)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("scoring.weights.compliance"));
}

/// A rule weight of -25 or nan passed validation and then made `score` panic (exit
/// 101, f64 clamp); now `rubric validate` names file, line and field, and `score`
/// refuses the rubric with the same message (exit 2) instead of crashing.
#[test]
fn a_rule_weight_that_cannot_work_is_rejected_and_score_refuses_it() {
    for bad in ["-25", "nan", "inf", "1e308"] {
        let from = "patterns = ['您真专业']";
        let to = format!("patterns = ['您真专业']\nweight = {bad}");
        let text = GOOD.replacen(from, &to, 1);
        let line = line_of(&text, &format!("weight = {bad}"));
        let (code, _, err) = validate(&text);
        assert_eq!(code, 1, "{bad}: {err}");
        assert!(
            err.contains(&format!("r.toml:{line}:"))
                && err.contains(&common::field("rules[1].weight")),
            "{bad}: {err}"
        );
        let d = Dir::new();
        d.write("r.toml", &text);
        d.write(
            "t.jsonl",
            common::transcript(
                "emotional",
                "floppy-drive",
                common::GOOD_SESSION,
                "resolved",
            ),
        );
        let out = d
            .cmd()
            .args(["--rubric", "r.toml", "score", "t.jsonl"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad}: {err}");
        assert!(
            err.contains("rules[1].weight") && !err.contains("panicked"),
            "{err}"
        );
    }
}

/// `\p{Han}{1000}{1000}` took 19 s and 4 GB to validate; now it fails on the regex
/// engine's size limit, on its own field, at once. The wait bounds a hang only.
#[test]
fn a_pattern_too_large_to_compile_is_an_error_on_its_field() {
    let text = GOOD.replacen(
        "patterns = ['您真专业']",
        r"patterns = ['您真专业', '\p{Han}{1000}{1000}']",
        1,
    );
    let d = Dir::new();
    d.write("r.toml", &text);
    let out = d
        .cmd()
        .args(["rubric", "validate", "r.toml"])
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let line = line_of(&text, "Han");
    assert!(
        err.contains(&format!("r.toml:{line}:"))
            && err.contains(&common::field("rules[1].patterns[1]"))
            && err.contains("太大")
            && err.contains("10 MB"),
        "{err}"
    );
    // A session with it refuses the rubric rather than dropping the kind.
    let out = d
        .cmd()
        .args(["--rubric", "r.toml", "analyze"])
        .write_stdin("您真专业\n")
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("rules[1].patterns[1]"));
}

/// A megabyte pasted as a pattern gave a 3 MB error message; now a message quotes at
/// most 80 characters of it.
#[test]
fn long_and_broken_patterns_are_quoted_short() {
    let huge = "规".repeat(1 << 20);
    let broken = format!("{}(", "好".repeat(500));
    for (pattern, message) in [
        (huge.as_str(), "模式太长"),
        (broken.as_str(), "不是有效的正则表达式"),
    ] {
        let text = GOOD.replacen("'您真专业'", &format!("'{pattern}'"), 1);
        let (code, _, err) = validate(&text);
        assert_eq!(code, 1);
        assert!(
            err.contains(&common::field("rules[1].patterns[0]")) && err.contains(message),
            "{}",
            &err[..err.len().min(500)]
        );
        assert!(
            err.chars().count() < 400,
            "{} characters",
            err.chars().count()
        );
    }
}

/// Only a regular file below 10 MB is read: a FIFO made the validator hang, and
/// `/dev/zero` grew it to gigabytes.
#[cfg(unix)]
#[test]
fn only_regular_files_below_the_limit_are_read() {
    let d = Dir::new();
    let fifo = d.path().join("fifo.toml");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let big = format!("{GOOD}{}", "# 注释\n".repeat(1 << 21));
    d.write("big.toml", big);
    for (file, message) in [
        ("fifo.toml", "不是普通文件"),
        ("/dev/zero", "不是普通文件"),
        ("big.toml", "10 MB"),
    ] {
        let out = d
            .cmd()
            .args(["rubric", "validate", file])
            .timeout(std::time::Duration::from_secs(60))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{file}: {err}");
        assert!(err.contains(file) && err.contains(message), "{file}: {err}");
    }
}

/// Patterns that each fit the size limit can still add up: one wide pattern in every
/// kind (22 × 「\p{L}{300}」) took 1.4 GB on the first analysed line. The rubric's
/// automata together have a budget, checked by validation and at load, on `rules`.
#[test]
fn patterns_that_fit_alone_but_not_together_are_refused() {
    let d = Dir::new();
    let default = std::fs::read_to_string(common::repo("rubrics/default.toml")).unwrap();
    let mut kinds: Vec<&str> = Vec::new();
    for l in default.lines() {
        if let Some(k) = l
            .strip_prefix("kind = \"")
            .and_then(|k| k.strip_suffix('"'))
            && !kinds.contains(&k)
        {
            kinds.push(k);
        }
    }
    assert!(kinds.len() >= 20, "{kinds:?}");
    let mut wide = default.clone();
    for k in &kinds {
        wide.push_str(&format!(
            "\n[[rules]]\nid = \"wide.{k}\"\nkind = \"{k}\"\nphrase = \"x\"\nbetter = \"您好\"\npatterns = ['\\p{{L}}{{300}}']\nweight = 1\n"
        ));
    }
    let path = d.write("wide.toml", wide);
    d.cmd()
        .args(["rubric", "validate"])
        .arg(&path)
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .code(1)
        .stderr(predicates::str::contains(format!(
            "{}全部规则的自动机合计",
            common::field("rules")
        )));
    d.cmd()
        .arg("--rubric")
        .arg(&path)
        .arg("analyze")
        .write_stdin("您好\n")
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("上限"));
}

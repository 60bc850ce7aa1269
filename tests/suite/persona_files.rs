//! Persona files a trainer writes: every kind of mistake gets a message naming file,
//! line, column and field, and all of a file's problems come at once.

use crate::common;

use common::{Dir, starter};

/// Replace exactly one occurrence of `from` in the starter, so a test states its edit.
fn edit(from: &str, to: &str) -> String {
    let s = starter("t");
    assert_eq!(s.matches(from).count(), 1, "edit target not unique: {from}");
    s.replacen(from, to, 1)
}

/// Validate `text` as `t.toml`; return stderr, asserting exit code 1.
fn errors_of(text: &str) -> String {
    let d = Dir::new();
    d.write("t.toml", text);
    let out = d
        .cmd()
        .args(["persona", "validate", "t.toml"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stderr).unwrap()
}

/// Line number (1-based) of the first line of the starter containing `needle` after the edit.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .expect("needle in text")
        + 1
}

#[track_caller]
fn expect_error(from: &str, to: &str, field: &str, message: &str) {
    expect_error_at(from, to, field, message, to.lines().next().unwrap_or(to));
}

/// Like `expect_error`, for problems reported where the field lives rather than on the
/// edited line (a missing condition is reported at its table).
#[track_caller]
fn expect_error_at(from: &str, to: &str, field: &str, message: &str, at: &str) {
    let text = edit(from, to);
    let err = errors_of(&text);
    let line = line_of(&text, at);
    let prefix = format!("t.toml:{line}:");
    let found = err.lines().any(|l| {
        l.starts_with(&prefix) && l.contains(&common::field(field)) && l.contains(message)
    });
    assert!(found, "expected `{prefix}…{field}: …{message}` in:\n{err}");
}

#[test]
fn starter_validates() {
    let d = Dir::new();
    d.write("t.toml", starter("t"));
    d.cmd()
        .args(["persona", "validate", "t.toml"])
        .assert()
        .success()
        .stdout(predicates::str::contains("✓ t.toml"));
}

#[test]
fn mood_ranges() {
    expect_error(
        "anger = 60 ",
        "anger = 160 ",
        "mood.anger",
        "expected an integer from 0 to 100",
    );
    expect_error(
        "trust = 30 ",
        "trust = -1 ",
        "mood.trust",
        "expected an integer from 0 to 100",
    );
    expect_error(
        "walk_out_at = 100",
        "walk_out_at = 0",
        "mood.walk_out_at",
        "from 1 to 100",
    );
    expect_error(
        "accept_below = 45",
        "accept_below = 101",
        "mood.accept_below",
        "from 1 to 100",
    );
    expect_error(
        "patience = 12 ",
        "patience = 0 ",
        "mood.patience",
        "from 1 to 200",
    );
    expect_error(
        "repeat_decay = 0.6",
        "repeat_decay = 1.5",
        "mood.repeat_decay",
        "from 0 to 1",
    );
}

#[test]
fn starting_anger_below_walk_out() {
    expect_error_at(
        "walk_out_at = 100",
        "walk_out_at = 50",
        "mood.anger",
        "walk_out_at",
        "anger = 60 ",
    );
}

#[test]
fn difficulty_ranges() {
    expect_error(
        "anger = -15",
        "anger = -80",
        "difficulty.easy.anger",
        "from -50 to 50",
    );
    expect_error(
        "calming = 1.3",
        "calming = 9.0",
        "difficulty.easy.calming",
        "from 0.1 to 3",
    );
    expect_error(
        "provoking = 1.3",
        "provoking = 0.0",
        "difficulty.hard.provoking",
        "from 0.1 to 3",
    );
    expect_error(
        "patience = -3",
        "patience = -30",
        "difficulty.hard.patience",
        "from -20 to 20",
    );
}

#[test]
fn missing_difficulty_level() {
    let text = edit("[difficulty.hard]\n", "[difficulty.hardd]\n");
    let err = errors_of(&text);
    assert!(
        err.contains("difficulty.hardd") && err.contains("unknown field"),
        "{err}"
    );
}

#[test]
fn reaction_values_and_keys() {
    expect_error(
        "apology = { anger = -6, trust = 3 }",
        "apology = { anger = -600, trust = 3 }",
        "reactions.apology.anger",
        "expected an integer from -100 to 100",
    );
    expect_error(
        "apology = { anger = -6, trust = 3 }",
        "apology = { anger = -6, trust = 300 }",
        "reactions.apology.trust",
        "from -100 to 100",
    );
    expect_error(
        "apology = { anger = -6, trust = 3 }",
        "apologie = { anger = -6, trust = 3 }",
        "reactions.apologie",
        "未知的信号类型或事件「apologie」",
    );
}

#[test]
fn need_references() {
    expect_error(
        "any = [\"empathy\", \"restate\"]",
        "any = [\"empathy\", \"sympathy\"]",
        "needs[0].any[1]",
        "未知的信号类型「sympathy」",
    );
    expect_error_at(
        "any = [\"empathy\", \"restate\"]",
        "any = []",
        "needs[0]",
        "expected `any",
        "[[needs]]",
    );
    expect_error(
        "tip = \"先别急着给方案：「您别着急，慢慢说，我听着」\"",
        "tip = \"请您稍等\"",
        "needs[0].tip",
        "照这句说满足不了这个需求，分析器在这句里找不到任何信号（这句若要靠本店规则的例句才读得出，检查时加 --rubric 本店规则文件，或在配置文件里写 rubric = \"……\"）；expected a tip with one of empathy, restate",
    );
    expect_error_at(
        "after_turn = 1",
        "after_turn = 3\nby_turn = 2",
        "needs[0].by_turn",
        "by_turn ≥ after_turn",
        "by_turn = 2",
    );
}

#[test]
fn the_demand_pool_is_optional() {
    let text = edit(
        "answer_demand = [\"我的要求很简单：{demand}。\"]",
        "answer_demand = []",
    );
    let d = Dir::new();
    d.write("t.toml", &text);
    d.cmd()
        .args(["persona", "validate", "t.toml"])
        .assert()
        .success();
}

#[test]
fn empty_pool_and_unknown_slot() {
    expect_error(
        "closing = [\"行，那我等你们的消息。\"]",
        "closing = []",
        "lines.closing",
        "add `closing = [\"……\"]` under [lines]",
    );
    expect_error(
        "venting = [\"我到现在还是很生气。\"]",
        "venting = [\"我的{prodcut}坏了。\"]",
        "lines.venting[0]",
        "未知的占位「{prodcut}」",
    );
}

#[test]
fn slot_of_one_scenario_only_is_not_shared() {
    // `{store}` exists in no scenario: a shared line may not use it.
    expect_error(
        "venting = [\"我到现在还是很生气。\"]",
        "venting = [\"{store}的人太过分了。\"]",
        "lines.venting[0]",
        "{store}",
    );
}

#[test]
fn scenario_regexes_and_remedies() {
    expect_error(
        "asked_by = [\"单号\", \"编号\"]",
        "asked_by = [\"单号(\", \"编号\"]",
        "scenarios[0].facts[0].asked_by[0]",
        "不是有效的正则表达式",
    );
    expect_error(
        "patterns = [\"免费(维修|修理)\"]",
        "patterns = [\"(?=免费)维修\"]",
        "scenarios[0].remedies[0].patterns[0]",
        "不支持前后查找",
    );
    expect_error(
        "patterns = [\"免费(维修|修理)\"]",
        "patterns = [\"(免费)?\"]",
        "scenarios[0].remedies[0].patterns[0]",
        "空字符串",
    );
    expect_error(
        "reason = \"我已经等得够久了。\"",
        "reason = \"\"",
        "scenarios[0].remedies[1].reason",
        "reason",
    );
    expect_error_at(
        "accept = true",
        "accept = false\nreason = \"不要\"",
        "scenarios[0].remedies",
        "accept = true",
        "[[scenarios.remedies]]",
    );
}

#[test]
fn checks_reference_scenarios_and_levels() {
    expect_error(
        "scenario = \"example\"\nlines",
        "scenario = \"nope\"\nlines",
        "checks[0].scenario",
        "没有编号为「nope」的场景",
    );
    let text = edit("expect = \"resolved\"", "expect = \"solved\"");
    let err = errors_of(&text);
    assert!(
        err.contains("checks[0].expect") && err.contains("resolved"),
        "{err}"
    );
}

#[test]
fn unknown_field_is_an_error_with_its_path() {
    let text = edit("patience = 12 ", "patinece = 12 ");
    let err = errors_of(&text);
    let line = line_of(&text, "patinece");
    assert!(
        err.contains(&format!("t.toml:{line}:1: "))
            && err.contains(&common::field("mood.patinece"))
            && err.contains("不认识的字段 `patinece`")
            && err.contains("`patience`"),
        "{err}"
    );
}

#[test]
fn missing_field_names_its_table() {
    let text = edit("accept_below = 45", "");
    let err = errors_of(&text);
    assert!(
        err.contains(&common::field("mood")) && err.contains("missing field `accept_below`"),
        "{err}"
    );
}

#[test]
fn wrong_type_names_the_field() {
    let text = edit("anger = 60 ", "anger = \"很生气\" ");
    let err = errors_of(&text);
    assert!(
        err.contains(&common::field("mood.anger")) && err.contains("整数"),
        "{err}"
    );
}

#[test]
fn syntax_error_has_a_position() {
    let err = errors_of("id = \"t\"\nname = [\n");
    assert!(err.starts_with("t.toml:"), "{err}");
}

#[test]
fn all_problems_of_a_file_at_once() {
    let text = edit("anger = 60 ", "anger = 160 ").replacen(
        "closing = [\"行，那我等你们的消息。\"]",
        "closing = []",
        1,
    );
    let err = errors_of(&text);
    assert!(
        err.contains("mood.anger") && err.contains("lines.closing"),
        "{err}"
    );
    assert!(err.contains("共 2 个问题"), "{err}");
}

#[test]
fn duplicate_ids_name_both_files() {
    let d = Dir::new();
    d.write("a.toml", starter("same"));
    d.write("b.toml", starter("same"));
    let out = d
        .cmd()
        .args(["persona", "validate", "a.toml", "b.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("b.toml") && err.contains("a.toml") && err.contains("「same」"),
        "{err}"
    );
}

#[test]
fn not_utf8_names_the_line() {
    let d = Dir::new();
    let mut bytes = b"id = \"x\"\nname = \"".to_vec();
    bytes.extend_from_slice(&[0xff, 0xfe]);
    bytes.extend_from_slice(b"\"\n");
    d.write("bad.toml", bytes);
    let out = d
        .cmd()
        .args(["persona", "validate", "bad.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("bad.toml:2") && err.contains("UTF-8"), "{err}");
}

/// One broken file in a shared persona folder stopped every command, built-in
/// customers included; now it is reported (file, line, field) and left out, and the
/// built-ins and the other files work. Non-files named `*.toml` are reported too.
#[cfg(unix)]
#[test]
fn a_broken_persona_file_costs_only_itself() {
    let d = Dir::new();
    d.write("mine/x.toml", edit("anger = 60 ", "anger = 160 "));
    d.write("mine/extra.toml", starter("extra"));
    d.write("mine/again.toml", starter("extra"));
    std::fs::create_dir_all(d.path().join("mine/folder.toml")).unwrap();
    std::os::unix::fs::symlink("nowhere.toml", d.path().join("mine/dangling.toml")).unwrap();
    let fifo = d.path().join("mine/pipe.toml");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let line = line_of(&edit("anger = 60 ", "anger = 160 "), "anger = 160 ");
    let out = d
        .cmd()
        .args(["--persona-dir", "mine", "persona", "list", "--json"])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"emotional") && ids.contains(&"extra"),
        "{ids:?}"
    );
    assert_eq!(ids.len(), 7, "{ids:?}");
    for expected in [
        format!("x.toml:{line}:1: "),
        common::field("mood.anger"),
        "extra.toml:1:1: 第 1 行第 1 列\u{FF1A}编号「extra」与 mine/again.toml 重复".to_string(),
        "folder.toml:1:1: ".to_string(),
        "dangling.toml:1:1: ".to_string(),
        "pipe.toml:1:1: ".to_string(),
        "已跳过 5 个".to_string(),
    ] {
        assert!(err.contains(&expected), "expected {expected} in\n{err}");
    }
    // A built-in customer still practises.
    d.write("a.txt", "您好\n");
    let out = d
        .cmd()
        .args([
            "--persona-dir",
            "mine",
            "run",
            "--persona",
            "emotional",
            "--answers",
            "a.txt",
        ])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Asking for the broken one says why it is missing.
    let out = d
        .cmd()
        .args(["--persona-dir", "mine", "persona", "show", "t"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("因有错误被跳过"));
    // `persona validate DIR` reports every problem and fails.
    let out = d
        .cmd()
        .args(["persona", "validate", "mine"])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    for file in [
        "x.toml",
        "again.toml",
        "folder.toml",
        "dangling.toml",
        "pipe.toml",
    ] {
        assert!(err.contains(file), "{file} in\n{err}");
    }
    assert!(err.contains("共 5 个问题"), "{err}");
}

/// `persona validate` on a FIFO hung, and on `/dev/zero` grew to gigabytes.
#[cfg(unix)]
#[test]
fn validate_reads_only_regular_files() {
    let d = Dir::new();
    let fifo = d.path().join("p.toml");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    for file in ["p.toml", "/dev/zero"] {
        let out = d
            .cmd()
            .args(["persona", "validate", file])
            .timeout(std::time::Duration::from_secs(60))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{file}: {err}");
        assert!(err.contains("不是普通文件"), "{file}: {err}");
    }
}

/// A pattern the engine cannot compile silently disabled its remedy; now it is an
/// error on its field.
#[test]
fn a_pattern_too_large_is_an_error_on_its_field() {
    expect_error(
        "patterns = [\"免费(维修|修理)\"]",
        r#"patterns = ['\p{Han}{1000}{1000}']"#,
        "scenarios[0].remedies[0].patterns[0]",
        "10 MB",
    );
}

/// Personas that can never resolve, or resolve on a greeting.
#[test]
fn unreachable_personas_are_rejected() {
    expect_error(
        "patterns = [\"免费(维修|修理)\"]",
        "patterns = [\".+\"]",
        "scenarios[0].remedies[0].patterns[0]",
        "问候语",
    );
    expect_error(
        "terms = [\"保修期内免费\"]",
        "terms = [\"您\"]",
        "scenarios[0].policy.terms[0]",
        "问候语",
    );
    expect_error(
        "accept_below = 45 ",
        "accept_below = 0 ",
        "mood.accept_below",
        "超出范围",
    );
    expect_error_at(
        "walk_out_at = 100 ",
        "walk_out_at = 40 ",
        "mood.accept_below",
        "走人线",
        "accept_below = 45",
    );
    // The hard level waits 12 - 3 = 9 turns.
    expect_error(
        "after_turn = 1",
        "after_turn = 10",
        "needs[0].after_turn",
        "hard",
    );
}

#[test]
fn persona_dir_adds_and_overrides() {
    let d = Dir::new();
    d.write(
        "mine/emotional.toml",
        starter("emotional").replace("name = \"新客户类型\"", "name = \"我的感情用事\""),
    );
    d.write("mine/extra.toml", starter("extra"));
    let out = d
        .cmd()
        .args(["--persona-dir", "mine", "persona", "list", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let arr = v.as_array().unwrap();
    assert_eq!(arr.len(), 7);
    let emo = arr.iter().find(|p| p["id"] == "emotional").unwrap();
    assert_eq!(emo["name"], "我的感情用事");
    assert!(arr.iter().any(|p| p["id"] == "extra"));
}

//! A persona that starts from another (issue 14 item 1): `extends` a built-in id or a
//! file, merged table by table; problems placed in the file that wrote them.

use crate::common::{Dir, stdout_json};

/// 「感情用事」 but about a gas bill: a new scenario, a higher starting anger, and the
/// built-in's traits, reactions and line pools as they are.
const GAS: &str = r#"extends = "emotional"
id = "gas-mom"
name = "燃气费感情用事者"
summary = "为燃气费着急的母亲"

[mood]
anger = 80

[[scenarios]]
id = "gas-bill"
title = "燃气费一下子翻了三倍，家里停了气"
industry = "燃气公司"
brief = "一位母亲打来电话：这个月燃气费翻了三倍，今天早上还停了气，孩子没法洗澡。你是燃气公司客服。"
product = "燃气费"
channel = "phone"
opening = ["喂？你们燃气公司怎么回事？这个月一下扣了我六百多，今天早上还给我停气了！"]
demand = "马上恢复供气，把多扣的钱查清楚"
slots = { order = "RQ-0001", when = "今天早上七点", staff = "接电话的客服", place = "你们营业厅" }

[[scenarios.facts]]
id = "order"
label = "户号"
asked_by = ["户号"]
answer = "户号是{order}。"

[[scenarios.remedies]]
id = "restore"
label = "马上恢复供气"
patterns = ["恢复供气"]
accept = true

[scenarios.policy]
summary = "停气前要提前三天通知"
terms = ["停气前三天通知"]
allows = ["核实后退还多收的费用"]
forbids = []

[[checks]]
name = "满口禁语 → 客户走人"
scenario = "gas-bill"
lines = [
  "这种问题我们见得多了，你自己看账单。",
  "公司的规定就是这样的，我也没办法。",
  "你看不懂中文吗？账单上写得清清楚楚。",
  "这不是我们的事，你要去问别人。",
  "这种问题连小孩子都会。",
  "不知道，你问别人去。",
]
expect = "walked_out"
"#;

fn persona_json(dir: &Dir, id: &str) -> serde_json::Value {
    stdout_json(
        dir.cmd()
            .args([
                "--persona-dir",
                ".",
                "persona",
                "show",
                "--reveal",
                "--json",
                id,
            ])
            .output()
            .unwrap(),
    )
}

#[test]
fn a_persona_extends_a_built_in_one_and_changes_only_what_it_writes() {
    let dir = Dir::new();
    dir.write("gas.toml", GAS);
    dir.cmd()
        .args(["persona", "validate", "gas.toml"])
        .assert()
        .success();
    let out = dir
        .cmd()
        .args(["persona", "test", "gas.toml"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    // The inherited self-checks of 感情用事 are not run: they test the built-in's scenarios.
    assert!(text.contains("1 passed"), "{text}");
    assert!(text.contains("期望客户愤而离开"), "{text}");

    let gas = persona_json(&dir, "gas-mom");
    let base = persona_json(&dir, "emotional");
    assert_eq!(gas["mood"]["anger"], 80);
    assert_eq!(gas["mood"]["trust"], base["mood"]["trust"]);
    assert_eq!(gas["mood"]["accept_below"], base["mood"]["accept_below"]);
    assert_eq!(gas["traits"], base["traits"]);
    assert_eq!(gas["lines"]["venting"], base["lines"]["venting"]);
    assert_eq!(gas["scenarios"].as_array().unwrap().len(), 1);
    assert_eq!(gas["aliases"].as_array().map_or(0, Vec::len), 0);
    // 「感情用事」 still selects the built-in one only.
    assert_eq!(persona_json(&dir, "感情用事")["id"], "emotional");

    // A trainee practises against it like any other customer.
    dir.write("lines.txt", "您好，请您先别着急，慢慢说，我在听。\n");
    dir.cmd()
        .args(["--persona-dir", ".", "run", "--persona", "gas-mom"])
        .args(["--answers", "lines.txt", "--transcript", "t.jsonl"])
        .assert()
        .success();
    dir.cmd()
        .args(["--persona-dir", ".", "score", "t.jsonl"])
        .assert()
        .success();
}

#[test]
fn a_persona_extends_a_file_and_its_hash_covers_the_base() {
    let dir = Dir::new();
    let base = std::fs::read_to_string(crate::common::repo("personas/stubborn.toml")).unwrap();
    dir.write("base.toml", &base);
    dir.write(
        "child.toml",
        "extends = \"base.toml\"\nid = \"stubborn-2\"\nname = \"更固执的人\"\n\n[mood]\nanger = 70\n",
    );
    dir.write("lines.txt", "您好，请问有什么可以帮您？\n");
    let hash = |dir: &Dir, name: &str| {
        dir.cmd()
            .args(["--persona-dir", ".", "run", "--persona", "stubborn-2"])
            .args(["--answers", "lines.txt", "--transcript", name])
            .assert()
            .success();
        let t = std::fs::read_to_string(dir.path().join(name)).unwrap();
        let header: serde_json::Value = serde_json::from_str(t.lines().next().unwrap()).unwrap();
        header["persona"]["hash"].as_str().unwrap().to_string()
    };
    let before = hash(&dir, "a.jsonl");
    // The base changes; the child's file does not: a session against it is against a
    // different customer, and the transcript says so.
    dir.write("base.toml", base + "\n# 改过\n");
    let after = hash(&dir, "b.jsonl");
    assert_ne!(before, after);
}

#[test]
fn problems_are_placed_in_the_file_that_wrote_them() {
    let dir = Dir::new();
    // Line 6: this file's own mistake, reported at its own line.
    dir.write(
        "own.toml",
        "extends = \"emotional\"\nid = \"x\"\nname = \"某人\"\n\n[mood]\naccept_below = 120\n",
    );
    let out = dir
        .cmd()
        .args(["persona", "validate", "own.toml"])
        .output()
        .unwrap();
    let err =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("own.toml:6:1"), "{err}");
    assert!(err.contains("mood.accept_below"), "{err}");

    // A new scenario without the details the inherited lines mention: reported on the
    // `extends` line, naming the base and the field.
    let bare = GAS.replace(
        "slots = { order = \"RQ-0001\", when = \"今天早上七点\", staff = \"接电话的客服\", place = \"你们营业厅\" }",
        "slots = { order = \"RQ-0001\" }",
    );
    dir.write("bare.toml", bare);
    let out = dir
        .cmd()
        .args(["persona", "validate", "bare.toml"])
        .output()
        .unwrap();
    let err =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bare.toml:1:1"), "{err}");
    assert!(err.contains("「{staff}」"), "{err}");
    assert!(err.contains("继承自 personas/emotional.toml"), "{err}");

    for (name, text, expected) in [
        (
            "nosuch.toml",
            "extends = \"nosuch\"\nid = \"y\"\nname = \"某人\"\n",
            "找不到要继承的客户「nosuch」",
        ),
        (
            "noid.toml",
            "extends = \"emotional\"\nname = \"某人\"\n",
            "也要写自己的 `id`",
        ),
        (
            "num.toml",
            "extends = 3\nid = \"y\"\nname = \"某人\"\n",
            "加英文引号",
        ),
        (
            "a.toml",
            "extends = \"b.toml\"\nid = \"a\"\nname = \"甲\"\n",
            "循环继承",
        ),
    ] {
        dir.write(
            "b.toml",
            "extends = \"a.toml\"\nid = \"b\"\nname = \"乙\"\n",
        );
        dir.write(name, text);
        let out = dir
            .cmd()
            .args(["persona", "validate", name])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{name}");
        // A cycle is reported where it closes (here b.toml's `extends`).
        let place = if expected == "循环继承" {
            "b.toml:1:1"
        } else {
            name
        };
        assert!(
            err.contains(&format!("{place}:1:1")) || err.contains(place),
            "{name}: {err}"
        );
        assert!(err.contains(":1:1:"), "{name}: {err}");
        assert!(err.contains(expected), "{name}: {err}");
    }
}

/// A trainer words the customer's short leads (the yes to a restatement, the word on an
/// urgent step taken at once) in the persona's own voice; without them the built-in
/// ones are said (see `run::a_customer_asked_to_confirm_says_yes_first`).
#[test]
fn a_persona_words_its_own_yes_and_urging() {
    // 对，我单据上记的也是这样。 / 那就别耽误了，赶紧办！
    let (yes, urge) = (
        "\u{5BF9}\u{FF0C}\u{6211}\u{5355}\u{636E}\u{4E0A}\u{8BB0}\u{7684}\u{4E5F}\u{662F}\u{8FD9}\u{6837}\u{3002}",
        "\u{90A3}\u{5C31}\u{522B}\u{803D}\u{8BEF}\u{4E86}\u{FF0C}\u{8D76}\u{7D27}\u{529E}\u{FF01}",
    );
    let dir = Dir::new();
    for (id, base) in [
        ("mine-prepared", "prepared"),
        ("mine-emotional", "emotional"),
    ] {
        dir.write(
            &format!("{id}.toml"),
            format!(
                "extends = \"{base}\"\nid = \"{id}\"\nname = \"{id}\"\n\n[lines]\nconfirming = [\"{yes}\"]\nnoted_urgent = [\"{urge}\"]\n"
            ),
        );
        dir.cmd()
            .args(["persona", "validate", &format!("{id}.toml")])
            .assert()
            .success();
    }
    let first_line = |persona: &str, scenario: &str, line: &str| {
        dir.write("lines.txt", format!("{line}\n"));
        let v = stdout_json(
            dir.cmd()
                .args(["--persona-dir", ".", "run", "--persona", persona])
                .args(["--scenario", scenario, "--answers", "lines.txt", "--json"])
                .output()
                .unwrap(),
        );
        v["turns"][0].clone()
    };
    // 您是按三包规定要求换变速器，是吗？
    let asked = "\u{60A8}\u{662F}\u{6309}\u{4E09}\u{5305}\u{89C4}\u{5B9A}\u{8981}\u{6C42}\u{6362}\u{53D8}\u{901F}\u{5668}\u{FF0C}\u{662F}\u{5417}\u{FF1F}";
    let turn = first_line("mine-prepared", "gearbox-warranty", asked);
    assert_eq!(turn["moves"][0]["move"], "confirm", "{turn}");
    assert!(
        turn["customer"].as_str().unwrap().starts_with(yes),
        "{turn}"
    );
    // 您父亲的事最要紧，我现在马上给您办紧急复机，五分钟内手机就能打通。
    let now = "\u{60A8}\u{7236}\u{4EB2}\u{7684}\u{4E8B}\u{6700}\u{8981}\u{7D27}\u{FF0C}\u{6211}\u{73B0}\u{5728}\u{9A6C}\u{4E0A}\u{7ED9}\u{60A8}\u{529E}\u{7D27}\u{6025}\u{590D}\u{673A}\u{FF0C}\u{4E94}\u{5206}\u{949F}\u{5185}\u{624B}\u{673A}\u{5C31}\u{80FD}\u{6253}\u{901A}\u{3002}";
    let turn = first_line("mine-emotional", "bill-shock", now);
    let moves = turn["moves"].as_array().unwrap();
    assert!(moves.iter().any(|m| m["move"] == "noted"), "{turn}");
    assert!(turn["customer"].as_str().unwrap().contains(urge), "{turn}");
}

//! House rubrics (issue 14 items 1, 2, 5): `extends`, `[[override]]`, `disable` and
//! `[[examples]]`, `rubric show`/`new`/`try`, and a failed self-check explained.

use crate::common::{Dir, starter};

const HOUSE: &str = r#"extends = "default"
id = "house"
name = "本店"
version = 1
disable = ["forbidden.company-policy"]

[[override]]
id = "forbidden.not-our-business"
weight = 7

[[examples]]
act = "forbidden"
id = "house.self-service"
text = ["这个费用您自己去营业厅查"]
better = "我来帮您查。"
"#;

fn json_lines(out: std::process::Output) -> Vec<serde_json::Value> {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_house_rubric_disables_overrides_and_teaches_by_example() {
    let dir = Dir::new();
    dir.write("house.toml", HOUSE);
    dir.cmd()
        .args(["rubric", "validate", "house.toml"])
        .assert()
        .success();
    let show = crate::common::stdout_json(
        dir.cmd()
            .args(["rubric", "show", "--json", "house.toml"])
            .output()
            .unwrap(),
    );
    let rules = show["rules"].as_array().unwrap();
    let rule = |id: &str| rules.iter().find(|r| r["id"] == id).cloned();
    assert!(rule("forbidden.company-policy").is_none());
    let over = rule("forbidden.not-our-business").unwrap();
    assert_eq!(over["weight"], 7.0);
    assert!(
        over["origin"]
            .as_str()
            .unwrap()
            .contains("改于 house.toml:7"),
        "{over}"
    );
    let own = rule("house.self-service").unwrap();
    assert_eq!(own["origin"], "house.toml:11");
    // No `weight` written: a house 禁语 costs what the deck's 禁语 cost.
    assert_eq!(own["weight"], 10.0);
    assert_eq!(show["chain"], serde_json::json!(["默认", "house.toml"]));

    let read = json_lines(
        dir.cmd()
            .args(["rubric", "try", "--json", "--rubric", "house.toml"])
            .args(["这费用您自己去营业厅查吧", "公司的规定就是这样的"])
            .output()
            .unwrap(),
    );
    let by_example = read[0]["signals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["rule"] == "house.self-service")
        .expect("the example decides the house 禁语");
    assert_eq!(by_example["decided_by"]["by"], "example");
    assert_eq!(by_example["better"], "我来帮您查。");
    // The disabled 禁语 counts for nothing, from the model or the pattern.
    assert!(
        read[1]["signals"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["kind"] != "forbidden"),
        "{}",
        read[1]
    );
}

#[test]
fn house_rubric_mistakes_are_named_where_they_stand() {
    let dir = Dir::new();
    dir.write(
        "bad.toml",
        r#"extends = "default"
id = "bad"
name = "错"
version = 1
disable = ["forbidden.compny-policy"]

[[override]]
id = "forbidden.later"

[[examples]]
act = "forbiden"
text = ["您自己去查"]

[[examples]]
act = "forbidden"
text = ["这个不归我管"]
"#,
    );
    let out = dir
        .cmd()
        .args(["rubric", "validate", "bad.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    for want in [
        "bad.toml:5:12: 第 5 行第 12 列（disable[0]）：没有编号为「forbidden.compny-policy」的规则（是不是 `forbidden.company-policy`？）；用 `peilian rubric show` 查看有哪些",
        "（override[0]）：要改什么？写 weight、better、phrase 或 source 中的至少一项",
        "（examples[0].act）：不认识的行为「forbiden」，是不是 `forbidden`？",
        "（examples[1].better）：坏做法的例句要写出更好的说法",
    ] {
        assert!(err.contains(want), "missing {want}\n{err}");
    }
}

#[test]
fn extends_follows_files_and_refuses_cycles() {
    let dir = Dir::new();
    dir.write("base/house.toml", HOUSE);
    dir.write(
        "team.toml",
        "extends = \"base/house.toml\"\nid = \"team\"\nname = \"组\"\nversion = 1\n\
         [[override]]\nid = \"house.self-service\"\nweight = 3\n",
    );
    dir.cmd()
        .args(["rubric", "validate", "team.toml"])
        .assert()
        .success();
    dir.write(
        "a.toml",
        "extends = \"b.toml\"\nid = \"a\"\nname = \"a\"\nversion = 1\n",
    );
    dir.write(
        "b.toml",
        "extends = \"a.toml\"\nid = \"b\"\nname = \"b\"\nversion = 1\n",
    );
    let out = dir
        .cmd()
        .args(["rubric", "validate", "a.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("循环继承：a.toml → b.toml → a.toml"), "{err}");
    dir.write(
        "c.toml",
        "extends = \"nowhere.toml\"\nid = \"c\"\nname = \"c\"\nversion = 1\n",
    );
    let out = dir
        .cmd()
        .args(["rubric", "validate", "c.toml"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("找不到要继承的规则文件"));
}

#[test]
fn rubric_new_writes_a_starter_and_its_schema_that_validate() {
    let dir = Dir::new();
    dir.cmd().args(["rubric", "new", "shop"]).assert().success();
    let text = std::fs::read_to_string(dir.path().join("shop.toml")).unwrap();
    assert!(text.starts_with("#:schema ./rubric.schema.json\n"));
    assert!(
        text.contains("peilian rubric validate ./shop.toml"),
        "{text}"
    );
    assert!(dir.path().join("rubric.schema.json").is_file());
    dir.cmd()
        .args(["rubric", "validate", "shop.toml"])
        .assert()
        .success();
    dir.cmd()
        .args(["persona", "new", "elder"])
        .assert()
        .success();
    assert!(dir.path().join("persona.schema.json").is_file());
    // The rubric beside the personas is not read as a broken persona.
    let out = dir
        .cmd()
        .args(["--persona-dir", ".", "persona", "list"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stderr).contains("shop.toml"));
}

#[test]
fn a_failed_self_check_names_the_turn_the_reading_and_the_unmet_needs() {
    let dir = Dir::new();
    let mut p = starter("elder");
    p.push_str(
        "\n[[checks]]\nname = \"直接推走\"\nscenario = \"example\"\n\
         lines = [\"这个问题你去问厂家，不是我们的事。\"]\nexpect = \"resolved\"\n",
    );
    dir.write("elder.toml", p);
    let out = dir
        .cmd()
        .args(["persona", "test", "--json", "elder.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let failed = doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["passed"] == false)
        .unwrap();
    let f = &failed["failure"];
    assert_eq!(f["turn"], 1);
    assert!(
        f["reading"]["signals"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["good"] == false)
    );
    assert_eq!(f["waiting_for"][0]["id"], "heard");
    let text = dir
        .cmd()
        .args(["persona", "test", "elder.toml"])
        .output()
        .unwrap();
    let s = String::from_utf8(text.stdout).unwrap();
    assert!(s.contains("第 1 轮出了岔子"), "{s}");
    assert!(s.contains("客户还在等："), "{s}");
}

/// A clause the house taught almost word for word means what the house says: the
/// built-in model's other reading of it (here an offer, which made the customer ask
/// 「到底怎么给我处理？」 after an explanation) is dropped; a loose match only adds.
#[test]
fn a_clause_taught_word_for_word_is_read_only_as_the_house_act() {
    let dir = Dir::new();
    dir.write(
        "explain.toml",
        "extends = \"default\"\nid = \"e\"\nname = \"本店\"\nversion = 1\n\n[[examples]]\nact = \"explain\"\nid = \"house.print\"\ntext = [\"我把您这个月的账单打印出来，一行一行给您讲\"]\n",
    );
    let kinds = |rubric: Option<&str>| -> Vec<String> {
        let mut cmd = dir.cmd();
        cmd.args(["rubric", "try", "--json"]);
        if let Some(r) = rubric {
            cmd.args(["--rubric", r]);
        }
        let line = "我把您这个月的账单打印出来，一行一行给您讲：这一行是月租五十八。";
        let read = json_lines(cmd.arg(line).output().unwrap());
        read[0]["signals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["kind"].as_str().unwrap().to_string())
            .collect()
    };
    // Without the house rubric the model reads an offer in 「一行一行给您讲」.
    assert!(
        kinds(None).contains(&"remedy".to_string()),
        "{:?}",
        kinds(None)
    );
    let house = kinds(Some("explain.toml"));
    assert!(!house.contains(&"remedy".to_string()), "{house:?}");
    assert!(house.contains(&"explain".to_string()), "{house:?}");
}

/// A trainer checking that the house 禁语 works finds it on the terminal card, marked
/// as the house's, at the weight of the deck's 禁语; built-in rules stay unmarked.
#[test]
fn the_card_marks_what_the_house_rules_caught() {
    let dir = Dir::new();
    dir.write("house.toml", HOUSE);
    dir.write(
        "lines.txt",
        "您好，请您慢慢说。\n这个费用您自己去营业厅查吧。\n这种事情很正常的。\n",
    );
    dir.cmd()
        .args(["--rubric", "house.toml", "run", "--persona", "emotional"])
        .args(["--answers", "lines.txt", "--transcript", "t.jsonl"])
        .assert()
        .success();
    let out = dir
        .cmd()
        .args(["--rubric", "house.toml", "score", "t.jsonl"])
        .output()
        .unwrap();
    let card = String::from_utf8(out.stdout).unwrap();
    assert!(
        card.contains("〔本店〕禁语\u{FF1A}「这个费用您自己去营业厅查」 -10.0"),
        "{card}"
    );
    assert!(card.contains("轻描淡写\u{FF1A}「"), "{card}");
    assert!(!card.contains("〔本店〕轻描淡写"), "{card}");
}

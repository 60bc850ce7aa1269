//! `peilian run`: scripted sessions against the built-in customer, their JSON, their
//! transcripts, and what happens with bad scripts or a killed process.

use crate::common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Dir, peilian, repo};
use peilian::transcript;
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;

fn run_json(args: &[&str], answers: &str) -> serde_json::Value {
    common::stdout_json(
        peilian()
            .args(["run", "--answers", "-", "--json"])
            .args(args)
            .write_stdin(answers)
            .output()
            .unwrap(),
    )
}

#[test]
fn json_has_the_documented_shape() {
    let v = run_json(
        &["--persona", "感情用事"],
        "您好,非常理解您的心情\n请问您的维修单号是多少?\n",
    );
    assert_eq!(v["persona"], "emotional");
    assert_eq!(v["scenario"], "floppy-drive");
    assert_eq!(v["difficulty"], "normal");
    assert!(v["initial"]["anger"].is_i64() && v["initial"]["trust"].is_i64());
    let turns = v["turns"].as_array().unwrap();
    assert_eq!(turns.len(), 2);
    for t in turns {
        assert!(t["trainee"].is_string() && t["customer"].is_string());
        assert!(t["anger"].is_i64() && t["trust"].is_i64());
        for s in t["signals"].as_array().unwrap() {
            assert!(
                s["kind"].is_string()
                    && s["rule"].is_string()
                    && s["start"].is_u64()
                    && s["end"].is_u64()
            );
        }
    }
    assert_eq!(v["outcome"], "unfinished");
}

#[test]
fn a_fact_question_gets_the_scenarios_fact() {
    let v = run_json(
        &["--persona", "emotional", "--scenario", "floppy-drive"],
        "请问您的维修单号是多少?\n",
    );
    let customer = v["turns"][0]["customer"].as_str().unwrap();
    assert!(customer.contains("BX-20031107"), "{customer}");
    // Not before it is asked.
    assert!(!v["opening"].as_str().unwrap().contains("BX-20031107"));
}

/// A question touching a fact told before and a new one gets the new one only: asked
/// for the model and when it was bought, the customer does not tell again when the
/// repair shop was called (「什么时候」 matches both).
#[test]
fn a_fact_already_told_is_not_told_again_beside_a_new_one() {
    let v = run_json(
        &["--persona", "emotional", "--scenario", "floppy-drive"],
        "请问您是哪天给维修站打的电话？\n您的电脑是什么型号、什么时候买的？\n",
    );
    let first = v["turns"][0]["customer"].as_str().unwrap();
    let second = v["turns"][1]["customer"].as_str().unwrap();
    assert!(first.contains("前天上午"), "{first}");
    assert!(second.contains("启明 T260"), "{second}");
    assert!(!second.contains("前天上午"), "{second}");
}

/// A concrete offer the customer did not come for is turned down with what they want,
/// not with 「你说具体点」 after the trainee has just been specific; a hedged one
/// (「适当补偿」) still gets 「你说具体点」.
#[test]
fn a_concrete_offer_of_something_else_is_answered_with_the_demand() {
    let before = "大哥您先坐，八年的老号平白多扣钱，换谁都窝火。\n\
                  我查了一下：手机报每月10元，系统里有去年3月12日晚上短信确认开通的记录。\n";
    let third = |offer: &str| {
        let v = run_json(
            &["--persona", "stubborn", "--scenario", "vas-dispute"],
            &format!("{before}{offer}\n"),
        );
        v["turns"][2]["customer"].as_str().unwrap().to_string()
    };
    let concrete = third("手机报给您退订，再给号码加上增值业务订购保护，以后谁发短信都订不上。");
    assert!(!concrete.contains("具体"), "{concrete}");
    assert!(
        concrete.contains("过去一年的手机报费用全部退给我"),
        "{concrete}"
    );
    let hedged = third("这个钱我们会给您适当补偿。");
    assert!(hedged.contains("具体"), "{hedged}");
}

/// Telling the story back with 「对吗？」 asks the customer to confirm it: they neither
/// retell a fact nor say they cannot remember one.
#[test]
fn a_story_told_back_is_confirmed_not_answered_with_a_fact() {
    let v = run_json(
        &["--persona", "self-absorbed", "--scenario", "lounge-refused"],
        "冯先生您好，我是白金卡专线的李娜。\n\
         我核对一下：您拿的是经济舱登机牌，服务员没核验会员卡就让您去登机口等，对吗？\n",
    );
    let turn = &v["turns"][1];
    let moves: Vec<&str> = (turn["moves"].as_array().unwrap().iter())
        .map(|m| m["move"].as_str().unwrap())
        .collect();
    assert!(
        !moves.contains(&"answer_fact") && !moves.contains(&"unknown_fact"),
        "{turn}"
    );
}

#[test]
fn asked_what_they_want_the_customer_states_the_demand() {
    let v = run_json(
        &[
            "--persona",
            "self-absorbed",
            "--scenario",
            "mainboard-claim",
        ],
        "依您看,这个问题怎么处理比较好?\n",
    );
    let turn = &v["turns"][0];
    assert_eq!(turn["moves"][0]["move"], "answer_demand", "{turn}");
    let customer = turn["customer"].as_str().unwrap();
    assert!(customer.contains("按保修给我换一块新主板"), "{customer}");
}

#[test]
fn a_persona_without_demand_lines_still_states_its_demand() {
    let d = Dir::new();
    d.cmd().args(["persona", "new", "plain"]).assert().success();
    let path = d.path().join("plain.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let without: String = text
        .lines()
        .filter(|l| !l.starts_with("answer_demand"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(without, text, "the starter has demand lines to remove");
    std::fs::write(&path, without).unwrap();
    let out = d
        .cmd()
        .args([
            "--persona-dir",
            ".",
            "run",
            "--persona",
            "plain",
            "--answers",
            "-",
        ])
        .args(["--json"])
        .write_stdin("您希望我们怎么处理?\n")
        .output()
        .unwrap();
    let v = common::stdout_json(out);
    let customer = v["turns"][0]["customer"].as_str().unwrap();
    assert_eq!(customer, "我的要求很清楚\u{FF1A}客户想要什么。");
}

#[test]
fn empathy_calms_and_a_forbidden_phrase_angers() {
    let calm = run_json(
        &["--persona", "emotional"],
        "非常理解您的心情,换作是我也会着急\n",
    );
    assert!(calm["turns"][0]["anger"].as_i64() < calm["initial"]["anger"].as_i64());
    let hot = run_json(&["--persona", "emotional"], "公司的规定就是这样的\n");
    assert!(hot["turns"][0]["anger"].as_i64() > hot["initial"]["anger"].as_i64());
    // The customer quotes the phrase back.
    assert!(
        hot["turns"][0]["customer"]
            .as_str()
            .unwrap()
            .contains("规定"),
        "{}",
        hot["turns"][0]["customer"]
    );
}

/// Making light of the complaint (轻描淡写, 「这很正常」) angers every customer type: the
/// shipped personas had no reaction to it, and a tmux play met two such lines with the
/// anger going down (60, 58, 58).
#[test]
fn a_dismissive_line_angers_every_customer() {
    // 这个声音属于正常现象。 / 这点小问题不算什么。
    for line in [
        "\u{8FD9}\u{4E2A}\u{58F0}\u{97F3}\u{5C5E}\u{4E8E}\u{6B63}\u{5E38}\u{73B0}\u{8C61}\u{3002}",
        "\u{8FD9}\u{70B9}\u{5C0F}\u{95EE}\u{9898}\u{4E0D}\u{7B97}\u{4EC0}\u{4E48}\u{3002}",
    ] {
        for persona in common::PERSONA_IDS {
            let v = run_json(&["--persona", persona], &format!("{line}\n"));
            let turn = &v["turns"][0];
            let kinds: Vec<&str> = (turn["signals"].as_array().unwrap().iter())
                .map(|s| s["kind"].as_str().unwrap())
                .collect();
            assert_eq!(kinds, ["dismiss"], "{persona}: {turn}");
            assert!(
                turn["anger"].as_i64() > v["initial"]["anger"].as_i64(),
                "{persona}: {v}"
            );
        }
    }
}

/// A refusal, then the plan that replaces it (a tmux play, 自我陶醉, lounge): the upgrade
/// it declines is not offered, and a refusal is no stock phrase, so the customer hears a
/// plan, neither a list of remedies (「到底给我哪一个？」) nor a recital.
#[test]
fn a_refusal_then_a_plan_is_heard_as_a_plan() {
    let line = "免费升舱要看座位和升舱券的规则\u{FF0C}我这边不敢随口答应您\u{3002}我先按服务补偿标准给您补偿里程\u{FF0C}同时把这事报给地服主管调查\u{FF0C}三个工作日内给您书面回复\u{FF0C}也会让当班那位服务员向您致歉\u{3002}您看这样行吗\u{FF1F}\n";
    let v = run_json(
        &["--persona", "self-absorbed", "--scenario", "lounge-refused"],
        line,
    );
    let turn = &v["turns"][0];
    let events = event_names(turn);
    assert!(!events.contains(&"remedy_list"), "{turn}");
    assert!(!events.contains(&"scripted"), "{turn}");
    assert!(
        (turn["signals"].as_array().unwrap().iter()).any(|s| s["kind"] == "refuse"),
        "{turn}"
    );
}

/// Sympathy alone is not a point made (a tmux play, 固执己见: 「搁谁身上都窝火」 met
/// 「这个以前还真没人跟我说过」): whatever the seed, the customer grants no reason to it.
#[test]
fn sympathy_alone_is_granted_no_point() {
    let line = "大爷您别急\u{FF0C}八年的老用户了\u{FF0C}平白无故每个月多扣十块钱\u{FF0C}搁谁身上都窝火\u{3002}\n";
    for seed in 1..=24 {
        let seed = seed.to_string();
        let v = run_json(
            &[
                "--persona",
                "stubborn",
                "--scenario",
                "vas-dispute",
                "--seed",
                &seed,
            ],
            line,
        );
        let turn = &v["turns"][0];
        assert_eq!(turn["moves"][0]["move"], "calm", "{turn}");
        let said = turn["customer"].as_str().unwrap();
        for granted in ["道理", "讲清楚", "跟我说过"] {
            assert!(!said.contains(granted), "seed {seed}: {said}");
        }
    }
}

/// A whole plan is not recited back (a tmux play, 固执己见, the VAS bill): the customer
/// who takes it names the clause of the remedy taken, not the fifty characters from
/// 退订 to 屏蔽.
#[test]
fn a_customer_names_the_part_of_a_long_plan_they_take() {
    let answers = [
        "大爷您别急\u{FF0C}八年的老用户了\u{FF0C}平白无故每个月多扣十块钱\u{FF0C}搁谁身上都窝火\u{3002}",
        "我先帮您查一下\u{3002}这笔手机报是哪个号码上扣的\u{FF1F}您最早是什么时候发现的\u{FF1F}",
        "系统里显示\u{FF0C}这个手机报是去年3月12日晚上八点四十一分\u{FF0C}通过短信二次确认开通的\u{3002}我把定制记录打印出来给您看看\u{3002}",
        "您看这样行不行\u{FF1A}手机报我现在就给您退订\u{FF0C}再按我们厅的规定\u{FF0C}把最近三个月的30元退回话费账户\u{FF0C}三个工作日内到账\u{FF1B}另外免费给您开通增值业务屏蔽\u{FF0C}以后不会再误订\u{3002}",
    ]
    .join("\n");
    let v = run_json(
        &["--persona", "stubborn", "--scenario", "vas-dispute"],
        &answers,
    );
    let last = v["turns"].as_array().unwrap().last().unwrap();
    assert!(event_names(last).contains(&"remedy_accepted"), "{last}");
    let said = last["customer"].as_str().unwrap();
    assert!(said.contains("30"), "{said}");
    assert!(!said.contains("屏蔽") && !said.contains("退订"), "{said}");
}

/// Natural questions from tmux plays get the fact they ask for. 感情用事, the platform
/// door: 「孩子现在怎么样？哪儿被夹到了，疼得厉害吗？」 met 「你问这个干什么？」;
/// 滥用正义感, the escalator: 「站务员当时是怎么跟您说的？」 met 「你别把话题绕开」 and
/// 「有没有人摔倒受伤？」 met 「这个我不清楚」 from a customer who was on the escalator.
/// What the agent will look up is no question to the customer: 「我先查一下这个业务是从
/// 哪个渠道、什么时间开通的……」 (a tmux play) had 有备而来 answer 「这个你问错人了」.
/// The same question asked of the customer still gets that answer, or the fact.
#[test]
fn what_the_agent_looks_up_is_not_asked_of_the_customer() {
    let moves = |line: &str, seed: &str| -> Vec<String> {
        let v = run_json(
            &[
                "--persona",
                "prepared",
                "--scenario",
                "unconsented-service",
                "--seed",
                seed,
            ],
            &format!("{line}\n"),
        );
        (v["turns"][0]["moves"].as_array().unwrap().iter())
            .map(|m| m["move"].as_str().unwrap().to_string())
            .collect()
    };
    // The play's line: 按规定，增值业务必须经过您短信二次确认才能开通。我先查一下这个业务是从
    // 哪个渠道、什么时间开通的，有没有您的确认记录，您稍等两分钟。
    let rule = "\u{6309}\u{89C4}\u{5B9A}\u{FF0C}\u{589E}\u{503C}\u{4E1A}\u{52A1}\u{5FC5}\u{987B}\u{7ECF}\u{8FC7}\u{60A8}\u{77ED}\u{4FE1}\u{4E8C}\u{6B21}\u{786E}\u{8BA4}\u{624D}\u{80FD}\u{5F00}\u{901A}\u{3002}";
    let looks_up = "\u{6211}\u{5148}\u{67E5}\u{4E00}\u{4E0B}\u{8FD9}\u{4E2A}\u{4E1A}\u{52A1}\u{662F}\u{4ECE}\u{54EA}\u{4E2A}\u{6E20}\u{9053}\u{3001}\u{4EC0}\u{4E48}\u{65F6}\u{95F4}\u{5F00}\u{901A}\u{7684}\u{FF0C}\u{6709}\u{6CA1}\u{6709}\u{60A8}\u{7684}\u{786E}\u{8BA4}\u{8BB0}\u{5F55}\u{FF0C}\u{60A8}\u{7A0D}\u{7B49}\u{4E24}\u{5206}\u{949F}\u{3002}";
    // The rule, then 这个业务是从哪个渠道、什么时间开通的？
    let asks = "\u{8FD9}\u{4E2A}\u{4E1A}\u{52A1}\u{662F}\u{4ECE}\u{54EA}\u{4E2A}\u{6E20}\u{9053}\u{3001}\u{4EC0}\u{4E48}\u{65F6}\u{95F4}\u{5F00}\u{901A}\u{7684}\u{FF1F}";
    for seed in ["1", "2", "3", "4"] {
        let m = moves(&format!("{rule}{looks_up}"), seed);
        assert!(!m.iter().any(|x| x == "unknown_fact"), "{seed}: {m:?}");
        let m = moves(&format!("{rule}{asks}"), seed);
        assert!(
            m.iter().any(|x| x == "unknown_fact" || x == "answer_fact"),
            "{seed}: {m:?}"
        );
    }
}

/// Asked a fact after accepting, a customer still answers it: 滥用正义感 had said
/// 「嗯，这个态度还行。」 to how the staff had answered him, and 「好，就按说的办」 to the
/// state of the evacuation route (a play-tester's session).
#[test]
fn a_customer_who_accepted_still_answers_questions() {
    let lines = [
        "\u{5B59}\u{5148}\u{751F}\u{60A8}\u{597D}\u{FF0C}\u{8C22}\u{8C22}\u{60A8}\u{4E13}\u{95E8}\u{6253}\u{7535}\u{8BDD}\u{6765}\u{53CD}\u{6620}\u{FF0C}\u{8FD9}\u{4E8B}\u{5173}\u{7CFB}\u{5230}\u{5927}\u{5BB6}\u{7684}\u{5B89}\u{5168}\u{FF0C}\u{60A8}\u{63D0}\u{9192}\u{5F97}\u{5BF9}\u{3002}", // 孙先生您好，谢谢您专门打电话来反映，这事关系到大家的安全，您提醒得对。
        "\u{60A8}\u{8BF4}\u{7684}\u{662F}\u{54EA}\u{4E2A}\u{7AD9}\u{3001}\u{54EA}\u{90E8}\u{6276}\u{68AF}\u{FF1F}", // 您说的是哪个站、哪部扶梯？
        "\u{6211}\u{8DDF}\u{60A8}\u{786E}\u{8BA4}\u{4E00}\u{4E0B}\u{FF1A}\u{4E2D}\u{5C71}\u{8DEF}\u{7AD9}B\u{53E3}\u{4E0A}\u{884C}\u{6276}\u{68AF}\u{FF0C}\u{6709}\u{5F02}\u{54CD}\u{FF0C}\u{8FD8}\u{6025}\u{505C}\u{8FC7}\u{4E24}\u{6B21}\u{FF0C}\u{5BF9}\u{5417}\u{FF1F}", // 我跟您确认一下：中山路站B口上行扶梯，有异响，还急停过两次，对吗？
        "\u{8FD9}\u{662F}\u{5B89}\u{5168}\u{9690}\u{60A3}\u{FF0C}\u{6211}\u{73B0}\u{5728}\u{5C31}\u{901A}\u{77E5}\u{8F66}\u{7AD9}\u{628A}\u{8FD9}\u{90E8}\u{6276}\u{68AF}\u{505C}\u{7528}\u{FF0C}\u{540C}\u{65F6}\u{53EB}\u{7EF4}\u{4FDD}\u{5355}\u{4F4D}\u{4ECA}\u{5929}\u{6765}\u{68C0}\u{4FEE}\u{3002}", // 这是安全隐患，我现在就通知车站把这部扶梯停用，同时叫维保单位今天来检修。
        "\u{60A8}\u{4E4B}\u{524D}\u{8DDF}\u{7AD9}\u{52A1}\u{5458}\u{53CD}\u{6620}\u{7684}\u{65F6}\u{5019}\u{FF0C}\u{4ED6}\u{662F}\u{600E}\u{4E48}\u{56DE}\u{60A8}\u{7684}\u{FF1F}", // 您之前跟站务员反映的时候，他是怎么回您的？
        "\u{90A3}\u{65C1}\u{8FB9}\u{758F}\u{6563}\u{901A}\u{9053}\u{60A8}\u{770B}\u{6709}\u{6CA1}\u{6709}\u{4EC0}\u{4E48}\u{95EE}\u{9898}\u{FF1F}", // 那旁边疏散通道您看有没有什么问题？
    ];
    for seed in ["1", "2", "3"] {
        let v = run_json(
            &[
                "--persona",
                "righteous",
                "--scenario",
                "escalator",
                "--seed",
                seed,
            ],
            &(lines.join("\n") + "\n"),
        );
        let turns = v["turns"].as_array().unwrap();
        let moves = |t: &serde_json::Value| -> Vec<String> {
            (t["moves"].as_array().unwrap().iter())
                .map(|m| m["move"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(moves(&turns[3]), ["accept"], "{seed}: {}", turns[3]);
        for (t, fact) in [(&turns[4], "staff"), (&turns[5], "exitway")] {
            assert_eq!(moves(t), ["answer_fact"], "{seed}: {t}");
            assert!(
                (t["events"].as_array().unwrap().iter())
                    .any(|e| e["event"] == "fact_revealed" && e["fact"] == fact),
                "{seed}: {t}"
            );
        }
        assert_eq!(v["outcome"], "resolved", "{seed}");
    }
}

#[test]
fn natural_questions_get_their_facts() {
    for (persona, scenario, line, fact) in [
        (
            "emotional",
            "platform-door",
            "您先别急\u{FF0C}孩子现在怎么样\u{FF1F}哪儿被夹到了\u{FF0C}疼得厉害吗\u{FF1F}",
            "injury",
        ),
        (
            "emotional",
            "platform-door",
            "孩子伤哪儿了\u{FF1F}",
            "injury",
        ),
        (
            "emotional",
            "platform-door",
            "那个工作人员当时是怎么跟您说的\u{FF1F}",
            "staff",
        ),
        (
            "righteous",
            "escalator",
            "站务员当时是怎么跟您说的\u{FF1F}",
            "staff",
        ),
        (
            "righteous",
            "escalator",
            "请问急停的时候扶梯上有人吗\u{FF1F}有没有人摔倒受伤\u{FF1F}",
            "when",
        ),
    ] {
        let v = run_json(
            &["--persona", persona, "--scenario", scenario],
            &format!("{line}\n"),
        );
        let turn = &v["turns"][0];
        assert!(
            (turn["events"].as_array().unwrap().iter())
                .any(|e| e["event"] == "fact_revealed" && e["fact"] == fact),
            "{persona} {line}: {turn}"
        );
    }
}

#[test]
fn same_seed_same_transcript_and_another_seed_other_lines() {
    let d = Dir::new();
    let script = "您好\n请问是哪天打的电话?\n非常理解您的心情\n这种问题我们见得多了\n";
    let a = d.write("a.txt", script);
    for (name, seed) in [("t1.jsonl", "7"), ("t2.jsonl", "7"), ("t3.jsonl", "8")] {
        d.cmd()
            .args([
                "run",
                "--persona",
                "emotional",
                "--seed",
                seed,
                "--transcript",
                name,
                "--answers",
            ])
            .arg(&a)
            .assert()
            .success();
    }
    let strip = |name: &str| -> Vec<String> {
        std::fs::read_to_string(d.path().join(name))
            .unwrap()
            .lines()
            .map(|l| {
                let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
                if let Some(o) = v.as_object_mut() {
                    o.remove("started_at");
                }
                v.to_string()
            })
            .collect()
    };
    assert_eq!(strip("t1.jsonl"), strip("t2.jsonl"));
    assert_ne!(strip("t1.jsonl"), strip("t3.jsonl"));
    // Whatever the seed, the mood trajectory is the same: lines vary, outcomes do not.
    let angers = |name: &str| -> Vec<i64> {
        transcript::read(&d.path().join(name))
            .unwrap()
            .turns
            .iter()
            .map(|t| t.anger as i64)
            .collect()
    };
    assert_eq!(angers("t1.jsonl"), angers("t3.jsonl"));
}

#[test]
fn no_customer_line_repeats_within_twenty_turns() {
    // The shipped customer, with patience raised so that twenty turns fit in a session.
    let d = Dir::new();
    let text = std::fs::read_to_string(repo("personas/emotional.toml")).unwrap();
    assert!(text.contains("\npatience = 12\n"));
    d.write(
        "mine/emotional.toml",
        text.replacen("\npatience = 12\n", "\npatience = 40\n", 1),
    );
    let lines = [
        "您好",
        "请问您的维修单号是多少?",
        "嗯",
        "是哪天打的电话?",
        "非常理解您的心情",
        "您的电脑是什么型号?",
        "好的",
        "具体是什么情况?",
        "嗯嗯",
        "您有清洗盘吗?",
        "我在听",
        "换作是我也会着急",
        "您说",
        "我记一下",
        "还有呢",
        "您接着说",
        "好",
        "明白",
        "请您慢慢说",
        "我都记下了",
    ];
    let answers = lines.join("\n") + "\n";
    let out = d
        .cmd()
        .args([
            "--persona-dir",
            "mine",
            "run",
            "--persona",
            "emotional",
            "--json",
            "--answers",
            "-",
        ])
        .write_stdin(answers)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let turns = v["turns"].as_array().unwrap();
    assert_eq!(turns.len(), 20, "session ended early: {}", v["reason"]);
    let mut seen = std::collections::HashSet::new();
    seen.insert(v["opening"].as_str().unwrap().to_string());
    for t in turns {
        let c = t["customer"].as_str().unwrap();
        assert!(seen.insert(c.to_string()), "repeated customer line: {c}");
    }
}

#[test]
fn run_until_the_session_ends_and_report_the_outcome() {
    let v = run_json(
        &["--persona", "prepared"],
        "这种问题我们见得多了\n公司的规定就是这样的\n改天再和你联络\n你看不懂中文吗\n还有一句\n",
    );
    assert_eq!(v["outcome"], "walked_out");
    assert!(
        v["turns"].as_array().unwrap().len() < 5,
        "lines after the end are not played"
    );
}

#[test]
fn plain_output_shows_the_dialogue_with_anger() {
    peilian()
        .args(["run", "--persona", "stubborn", "--answers", "-"])
        .write_stdin("您好\n")
        .assert()
        .success()
        .stdout(
            contains("学员：您好")
                .and(contains("愤怒"))
                .and(contains("结果")),
        );
}

#[test]
fn unknown_scenario_lists_the_choices() {
    peilian()
        .args([
            "run",
            "--persona",
            "emotional",
            "--scenario",
            "nope",
            "--answers",
            "-",
        ])
        .write_stdin("您好\n")
        .assert()
        .code(2)
        .stderr(contains("floppy-drive"));
}

#[test]
fn empty_and_comment_only_scripts_are_errors() {
    let d = Dir::new();
    d.write("empty.txt", "");
    d.write("comments.txt", "# 只有注释\n\n   \n");
    for f in ["empty.txt", "comments.txt"] {
        d.cmd()
            .args(["run", "--persona", "emotional", "--answers", f])
            .assert()
            .code(2)
            .stderr(contains(f).and(contains("是空的")));
    }
    d.cmd()
        .args(["run", "--persona", "emotional", "--answers", "missing.txt"])
        .assert()
        .code(2)
        .stderr(contains("missing.txt"));
}

#[test]
fn invalid_utf8_names_the_line() {
    let d = Dir::new();
    let mut bytes = "您好\n".as_bytes().to_vec();
    bytes.extend_from_slice(b"\xc3\x28 bad\n");
    d.write("bad.txt", bytes);
    d.cmd()
        .args(["run", "--persona", "emotional", "--answers", "bad.txt"])
        .assert()
        .code(2)
        .stderr(contains("bad.txt:2").and(contains("UTF-8")));
}

#[test]
fn a_huge_line_is_cut_with_a_warning() {
    let line = "非常理解您的心情".repeat(130_000); // ~3 MB, one line
    let out = peilian()
        .args(["run", "--persona", "emotional", "--json", "--answers", "-"])
        .write_stdin(line + "\n")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("只取前 2000 个"));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["turns"][0]["trainee"].as_str().unwrap().chars().count(),
        2000
    );
}

#[test]
fn a_killed_run_leaves_every_completed_turn() {
    let d = Dir::new();
    let path = d.path().join("t.jsonl");
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("peilian"))
        .args([
            "run",
            "--persona",
            "emotional",
            "--answers",
            "-",
            "--transcript",
        ])
        .arg(&path)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let lines = ["您好", "非常理解您的心情", "请问您的维修单号是多少?"];
    for (i, l) in lines.iter().enumerate() {
        writeln!(stdin, "{l}").unwrap();
        stdin.flush().unwrap();
        // Wait until the turn is on disk: header + i + 1 turns.
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let n = std::fs::read_to_string(&path)
                .map(|s| s.lines().count())
                .unwrap_or(0);
            if n >= i + 2 {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "turn {} never reached the transcript",
                i + 1
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let t = transcript::read(&path).unwrap();
    assert_eq!(t.header.persona.id, "emotional");
    assert_eq!(t.turns.len(), 3);
    assert_eq!(t.turns[2].trainee, lines[2]);
    assert!(t.end.is_none(), "an interrupted session has no end line");
}

#[test]
fn transcripts_are_private_to_their_owner() {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let d = Dir::new();
        d.cmd()
            .args([
                "run",
                "--persona",
                "emotional",
                "--transcript",
                "s/t.jsonl",
                "--answers",
                "-",
            ])
            .write_stdin("您好\n")
            .assert()
            .success();
        let mode = std::fs::metadata(d.path().join("s/t.jsonl"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "mode {mode:o}");
    }
}

/// Accepting a remedy does not end the call: the trainee's goodbye closes it, and a
/// 禁语 in the close is still heard before the customer hangs up.
#[test]
fn after_accepting_the_close_is_played_and_heard() {
    let script = std::fs::read_to_string(repo("tests/data/scripts/stubborn/good-3.txt")).unwrap();
    let args = [
        "--persona",
        "stubborn",
        "--scenario",
        "engine-noise",
        "--difficulty",
        "normal",
    ];
    // Accepted on the last line, then nothing more: resolved, no close said.
    let v = run_json(&args, &script);
    assert_eq!(v["outcome"], "resolved", "{v}");
    let n = v["turns"].as_array().unwrap().len();
    let last = &v["turns"][n - 1];
    assert_eq!(last["moves"][0]["move"], "accept", "{last}");
    assert!(
        !last["moves"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["move"] == "closing"),
        "accepting alone does not close the call: {last}"
    );
    // A goodbye closes it.
    let closed = run_json(
        &args,
        &format!(
            "{script}\n\u{597D}\u{7684}\u{FF0C}\u{90A3}\u{5C31}\u{4E0D}\u{6253}\u{6270}\u{60A8}\u{4E86}\u{FF0C}\u{518D}\u{89C1}\u{3002}\n"
        ),
    ); // 好的，那就不打扰您了，再见。
    assert_eq!(closed["outcome"], "resolved");
    let turns = closed["turns"].as_array().unwrap();
    assert_eq!(turns.len(), n + 1);
    assert_eq!(turns[n]["moves"][0]["move"], "closing", "{}", turns[n]);
    // A 禁语 in the close is heard: the customer reacts and grows angrier.
    let rude = run_json(
        &args,
        &format!(
            "{script}\n\u{8FD9}\u{79CD}\u{95EE}\u{9898}\u{6211}\u{4EEC}\u{89C1}\u{5F97}\u{591A}\u{4E86}\u{3002}\n"
        ),
    ); // 这种问题我们见得多了。
    let turns = rude["turns"].as_array().unwrap();
    assert_eq!(turns[n]["moves"][0]["move"], "react_bad", "{}", turns[n]);
    assert!(turns[n]["anger"].as_i64() > turns[n - 1]["anger"].as_i64());
}

/// After accepting, the customer stays on while the rest of the handling is told in
/// the scenario's terms (the itemised bill, checked line by line), even in words the
/// reading labels no act, and hangs up only on lines that add nothing.
#[test]
fn after_accepting_the_customer_stays_for_the_rest_of_the_handling() {
    let script = [
        "\u{963F}\u{59E8}\u{60A8}\u{5148}\u{522B}\u{6025}\u{FF0C}\u{6162}\u{6162}\u{8BF4}\u{FF0C}\u{6211}\u{542C}\u{7740}\u{FF0C}\u{4ECA}\u{5929}\u{4E00}\u{5B9A}\u{7ED9}\u{60A8}\u{89E3}\u{51B3}\u{3002}", // 阿姨您先别急，慢慢说，我听着，今天一定给您解决。
        "\u{8001}\u{4EBA}\u{5BB6}\u{7B49}\u{7740}\u{505A}\u{624B}\u{672F}\u{FF0C}\u{7535}\u{8BDD}\u{6253}\u{4E0D}\u{901A}\u{60A8}\u{80AF}\u{5B9A}\u{7740}\u{6025}\u{FF0C}\u{6211}\u{73B0}\u{5728}\u{9A6C}\u{4E0A}\u{7ED9}\u{60A8}\u{7D27}\u{6025}\u{590D}\u{673A}\u{3002}", // 老人家等着做手术，电话打不通您肯定着急，我现在马上给您紧急复机。
        "\u{60A8}\u{662F}\u{8BF4}\u{8FD9}\u{4E2A}\u{6708}\u{591A}\u{6263}\u{4E86}\u{4E09}\u{767E}\u{591A}\u{FF0C}\u{5BF9}\u{5427}\u{FF1F}", // 您是说这个月多扣了三百多，对吧？
        "\u{8BE6}\u{5355}\u{6211}\u{8FD9}\u{5C31}\u{6253}\u{51FA}\u{6765}\u{FF0C}\u{54B1}\u{4EEC}\u{4E00}\u{7B14}\u{4E00}\u{7B14}\u{5BF9}\u{3002}", // 详单我这就打出来，咱们一笔一笔对。
        "\u{6CA1}\u{786E}\u{8BA4}\u{8FC7}\u{7684}\u{4E1A}\u{52A1}\u{6211}\u{7ED9}\u{60A8}\u{9000}\u{8BA2}\u{FF0C}\u{4E09}\u{4E2A}\u{5DE5}\u{4F5C}\u{65E5}\u{5185}\u{9000}\u{56DE}\u{3002}", // 没确认过的业务我给您退订，三个工作日内退回。
    ]
    .join("\n");
    let v = run_json(
        &["--persona", "emotional", "--scenario", "bill-shock"],
        &script,
    );
    assert_eq!(v["outcome"], "resolved", "{v}");
    let turns = v["turns"].as_array().unwrap();
    assert_eq!(turns[1]["moves"][0]["move"], "accept", "{}", turns[1]);
    assert_eq!(
        turns.len(),
        5,
        "the refund line after the itemised bill is heard: {v}"
    );
}

/// Understanding in the same line as a 禁语 meets no need: the customer hears the
/// brush-off.
#[test]
fn a_need_is_not_met_by_a_line_that_also_hurts() {
    let script = [
        "\u{5218}\u{5148}\u{751F}\u{60A8}\u{597D}\u{FF0C}\u{60A8}\u{6162}\u{6162}\u{8BF4}\u{FF0C}\u{6211}\u{542C}\u{7740}\u{3002}", // 刘先生您好，您慢慢说，我听着。
        "\u{60A8}\u{7684}\u{5FC3}\u{60C5}\u{6211}\u{7406}\u{89E3}\u{FF0C}\u{4E0D}\u{8FC7}\u{8FD9}\u{79CD}\u{6BDB}\u{75C5}\u{6211}\u{4EEC}\u{4E00}\u{5929}\u{80FD}\u{78B0}\u{5230}\u{597D}\u{51E0}\u{56DE}\u{3002}", // 您的心情我理解，不过这种毛病我们一天能碰到好几回。
    ]
    .join("\n");
    let v = run_json(
        &["--persona", "emotional", "--scenario", "floppy-drive"],
        &script,
    );
    let second = &v["turns"][1];
    assert!(
        second["signals"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["kind"] == "forbidden"),
        "{second}"
    );
    assert_eq!(second["needs_met"], serde_json::json!([]), "{second}");
}

/// Two programs naming one transcript: the second is refused while the first still
/// writes it, instead of emptying it and interleaving its own lines.
#[test]
fn a_transcript_being_written_is_not_taken_by_a_second_run() {
    let d = Dir::new();
    let mut first = std::process::Command::new(env!("CARGO_BIN_EXE_peilian"))
        .args(["run", "--persona", "emotional", "--answers", "-"])
        .args(["--transcript", "t.jsonl"])
        .current_dir(d.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = first.stdin.take().unwrap();
    writeln!(stdin, "您好，您慢慢说，我听着").unwrap();
    let path = d.path().join("t.jsonl");
    let start = Instant::now();
    while std::fs::read_to_string(&path).map_or(0, |t| t.lines().count()) < 2 {
        assert!(start.elapsed() < Duration::from_secs(60), "the first turn");
        std::thread::sleep(Duration::from_millis(20));
    }
    d.cmd()
        .args(["run", "--persona", "emotional", "--answers", "-"])
        .args(["--transcript", "t.jsonl"])
        .write_stdin("您好\n")
        .assert()
        .code(2)
        .stderr(contains("正被另一个 peilian 写入"));
    writeln!(stdin, "请问您的维修单号是多少？").unwrap();
    drop(stdin);
    assert!(first.wait().unwrap().success());
    let t = transcript::read(&path).unwrap();
    assert_eq!(t.turns.len(), 2);
    assert_eq!(t.turns[0].trainee, "您好，您慢慢说，我听着");
}

/// An answers file that is not a regular file (`/dev/zero`) is refused at once, and a
/// piped line with no end costs a bounded buffer: it is cut like any long line.
#[test]
fn endless_answers_are_refused_or_cut() {
    let d = Dir::new();
    d.cmd()
        .args(["run", "--persona", "emotional", "--answers", "/dev/zero"])
        .timeout(Duration::from_secs(30))
        .assert()
        .code(2)
        .stderr(contains("不是普通文件"));
    let endless = "好".repeat(3_000_000); // 9 MB, no newline
    d.cmd()
        .args(["run", "--persona", "emotional", "--answers", "-"])
        .write_stdin(endless)
        .timeout(Duration::from_secs(60))
        .assert()
        .success()
        .stderr(contains("只取前 2000 个"));
}

/// The events of every turn of a run, one string per turn.
/// The names of one turn's events, in order.
fn event_names(turn: &serde_json::Value) -> Vec<&str> {
    (turn["events"].as_array().unwrap().iter())
        .map(|e| e["event"].as_str().unwrap())
        .collect()
}

fn turn_events(run: &serde_json::Value) -> Vec<String> {
    (run["turns"].as_array().unwrap().iter())
        .map(|t| t["events"].to_string())
        .collect()
}

/// Taking a hurt child to hospital is acting at once however it is worded: 「我让同事陪
/// 你们去医院」 names no 马上 and is no 急于下结论; 「我们会安排去医院检查的」, put off to
/// later, still is one before the mother has been heard.
#[test]
fn urgent_care_arranged_now_is_no_rush_whatever_its_words() {
    let args = ["--persona", "emotional", "--scenario", "platform-door"];
    let now = run_json(
        &args,
        "您好，我是值班站长，孩子伤到哪儿了？\n\
         我让一位同事陪你们去最近的医院拍个片子，检查费车站先垫上。\n",
    );
    let events = turn_events(&now);
    assert!(
        events[1].contains("urgent_action") && !events[1].contains("rushed"),
        "{events:?}"
    );
    let later = run_json(
        &args,
        "您好，我是值班站长，孩子伤到哪儿了？\n\
         我们会安排人带孩子去医院检查的。\n",
    );
    let events = turn_events(&later);
    assert!(
        events[1].contains("rushed") && !events[1].contains("urgent_action"),
        "{events:?}"
    );
}

/// What should have been done and was not (「本该马上给您调优先工位」) is told, not
/// offered: the VIP is not rushed by an apology that names the missed step.
#[test]
fn what_should_have_been_done_is_no_offer() {
    let run = run_json(
        &["--persona", "self-absorbed", "--scenario", "vip-waiting"],
        "先生，真是对不住，您是我们店的钻石会员，却让您在外面干等了这么久。\n\
         按我们的规范，本该马上给您调优先工位，这一步我们没做到，我当面向您道歉。\n",
    );
    let events = turn_events(&run);
    assert!(
        !events[1].contains("rushed") && !events[1].contains("remedy"),
        "{events:?}"
    );
}

/// An offer the customer can take, once every need is met, heard while they are still
/// a little too angry to agree, is no refusal: anger does not rise for it, it stays on
/// the table, and it is taken once the anger is down.
#[test]
fn an_acceptable_offer_heard_too_early_in_anger_stays_on_the_table() {
    let run = run_json(
        &["--persona", "self-absorbed", "--scenario", "vip-waiting"],
        "先生，真是对不住！您是我们店的钻石会员，今天却让您在外面干等了快两个小时，是我们接待上的失误。\n\
         嗯。\n嗯。\n\
         想听听您的意见：以后您过来，怎么安排您觉得最省心？\n\
         嗯。\n嗯。\n\
         我马上给您的车安排优先工位，会员价八折，做完给您免费精洗一遍。\n\
         我已经请售后经理过来，五分钟就到，当面跟您致歉。\n",
    );
    let turns = run["turns"].as_array().unwrap();
    let events = turn_events(&run);
    // Every need met by turn 4; idle turns keep the anger above the line it agrees at.
    assert!(
        !events.iter().any(|e| e.contains("remedy_rejected")),
        "{events:?}"
    );
    assert!(
        turns[6]["anger"].as_f64() < turns[5]["anger"].as_f64(),
        "{events:?}"
    );
    assert!(
        events[6] == "[]" && events[7].contains("remedy_accepted"),
        "{events:?}"
    );
    assert_eq!(run["outcome"], "resolved", "{events:?}");
}

/// A customer whose needs were met and who has calmed down, but was offered nothing,
/// ends the talk politely when the turns run out: not with the persona's angry
/// 「拖到现在还没个准话，我没时间陪你们耗」, which belongs to a customer still angry.
#[test]
fn a_calm_customer_out_of_turns_does_not_vent() {
    let run = run_json(
        &["--persona", "influential", "--scenario", "batch-pcs"],
        "钱主任您好，我是服务站站长，这件事由我直接负责，已经报告公司领导了。\n\
         今天下午五点前我给您一个明确答复。\n\
         您放心，这事我亲自盯着。\n\
         非常理解您的压力，下周三的检查确实耽误不得。\n\
         这件事我们一定负责到底。\n\
         您放心，有进展我第一时间告诉您。\n\
         请您再稍等一下。\n\
         谢谢您的理解。\n",
    );
    assert_eq!(run["outcome"], "out_of_turns", "{run}");
    let last = run["turns"].as_array().unwrap().last().unwrap();
    assert!(last["anger"].as_f64().unwrap() < 35.0, "{last}");
    let catalog = peilian::persona::Catalog::load(None, peilian::rubric::default_rubric()).unwrap();
    let (entry, _) = catalog.resolve("influential", Some("batch-pcs")).unwrap();
    let said = last["customer"].as_str().unwrap();
    assert!(
        !(entry.persona.lines.out_of_turns.iter()).any(|l| said.contains(l.as_str())),
        "{said}"
    );
}

/// Done for the customer is the best of offers, not a past event told: 「已经给您紧急复机
/// 了」 restores the phone of a daughter whose father waits in hospital at once, as
/// 「我马上给您复机」 would.
#[test]
fn an_urgent_remedy_already_done_is_acting_at_once() {
    let run = run_json(
        &["--persona", "emotional", "--scenario", "bill-shock"],
        "阿姨您别急，您父亲在医院等着，手机打不通，换谁都急。\n\
         已经给您紧急复机了，现在就能打电话。\n",
    );
    let events = turn_events(&run);
    assert!(
        events[1].contains("urgent_action") && !events[1].contains("rushed"),
        "{events:?}"
    );
}

/// Asked to confirm the story told back (「……，是吗？」), the customer says yes before
/// the rest of their answer; told it without a question, they just go on.
#[test]
fn a_customer_asked_to_confirm_says_yes_first() {
    // 您是按三包规定要求换变速器，是吗？
    let asked = "\u{60A8}\u{662F}\u{6309}\u{4E09}\u{5305}\u{89C4}\u{5B9A}\u{8981}\u{6C42}\u{6362}\u{53D8}\u{901F}\u{5668}\u{FF0C}\u{662F}\u{5417}\u{FF1F}";
    let v = run_json(
        &["--persona", "prepared", "--scenario", "gearbox-warranty"],
        &format!("{asked}\n"),
    );
    let turn = &v["turns"][0];
    assert_eq!(turn["moves"][0]["move"], "confirm", "{turn}");
    let said = turn["customer"].as_str().unwrap();
    // 对 / 嗯，没错 / 没错 / 就是这样
    let yes = [
        "\u{5BF9}",
        "\u{55EF}\u{FF0C}\u{6CA1}\u{9519}",
        "\u{6CA1}\u{9519}",
        "\u{5C31}\u{662F}\u{8FD9}\u{6837}",
    ];
    assert!(yes.iter().any(|y| said.starts_with(y)), "{said}");
    // 我先跟您确认一下情况：您这台车是6月28日提的。 (told, not asked)
    let told = "\u{6211}\u{5148}\u{8DDF}\u{60A8}\u{786E}\u{8BA4}\u{4E00}\u{4E0B}\u{60C5}\u{51B5}\u{FF1A}\u{60A8}\u{8FD9}\u{53F0}\u{8F66}\u{662F}6\u{6708}28\u{65E5}\u{63D0}\u{7684}\u{3002}";
    let v = run_json(
        &["--persona", "prepared", "--scenario", "gearbox-warranty"],
        &format!("{told}\n"),
    );
    let moves = v["turns"][0]["moves"].as_array().unwrap();
    assert!(moves.iter().all(|m| m["move"] != "confirm"), "{moves:?}");
}

/// An urgent step taken at once is urged on before the rest of the answer: the
/// customer whose father's doctor cannot get through does not meet 「五分钟内就能打通」
/// with a word about the counter staff alone.
#[test]
fn an_urgent_step_taken_at_once_is_urged_on() {
    // 您父亲的事最要紧，我现在马上给您办紧急复机，五分钟内手机就能打通。
    let now = "\u{60A8}\u{7236}\u{4EB2}\u{7684}\u{4E8B}\u{6700}\u{8981}\u{7D27}\u{FF0C}\u{6211}\u{73B0}\u{5728}\u{9A6C}\u{4E0A}\u{7ED9}\u{60A8}\u{529E}\u{7D27}\u{6025}\u{590D}\u{673A}\u{FF0C}\u{4E94}\u{5206}\u{949F}\u{5185}\u{624B}\u{673A}\u{5C31}\u{80FD}\u{6253}\u{901A}\u{3002}";
    let v = run_json(
        &["--persona", "emotional", "--scenario", "bill-shock"],
        &format!("{now}\n"),
    );
    let turn = &v["turns"][0];
    let moves = turn["moves"].as_array().unwrap();
    assert!(
        moves
            .iter()
            .any(|m| m["move"] == "noted" && m["urgent"] == true),
        "{turn}"
    );
    let said = turn["customer"].as_str().unwrap();
    // 那你快点办！ / 好，那你赶紧弄！ / 真的？那你现在就办！
    let urged = [
        "\u{5FEB}\u{70B9}\u{529E}",
        "\u{8D76}\u{7D27}\u{5F04}",
        "\u{73B0}\u{5728}\u{5C31}\u{529E}",
    ];
    assert!(urged.iter().any(|u| said.contains(u)), "{said}");
}

//! `peilian score`: scorecards that explain every point, a grade gate for 禁语, the
//! promise ledger, reproducibility, and bad transcripts that do not stop the rest.

use crate::common;

use common::{Dir, repo, transcript};
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;

const GOOD: &[(&str, &[&str])] = common::GOOD_SESSION;

/// Write a hand-made transcript into a fresh directory and score it as JSON; the
/// directory is returned for further commands.
fn scored(
    persona: &str,
    scenario: &str,
    lines: &[(&str, &[&str])],
    outcome: &str,
) -> (Dir, serde_json::Value) {
    let d = Dir::new();
    d.write("t.jsonl", transcript(persona, scenario, lines, outcome));
    let v = score_json(&d, "t.jsonl");
    (d, v)
}

/// Play a good script with the real binary, recording the transcript as `file` in `d`.
fn played_into(d: &Dir, file: &str) {
    d.cmd()
        .args([
            "run",
            "--persona",
            "emotional",
            "--transcript",
            file,
            "--answers",
        ])
        .arg(repo("tests/data/scripts/emotional/good-1.txt"))
        .assert()
        .success();
}

fn score_json(d: &Dir, file: &str) -> serde_json::Value {
    common::stdout_json(
        d.cmd()
            .args(["score", "--format", "json", file])
            .output()
            .unwrap(),
    )
}

#[test]
fn a_good_session_scores_high_with_evidence_for_each_point() {
    let (_, v) = scored("emotional", "floppy-drive", GOOD, "resolved");
    assert_eq!(v["schema"], "peilian.scorecard/1");
    assert!(v["total"].as_f64().unwrap() >= 85.0, "{}", v["total"]);
    assert_eq!(v["grade"], "优秀");
    assert_eq!(v["forbidden_count"], 0);
    let dims = v["dimensions"].as_array().unwrap();
    assert_eq!(dims.len(), 7);
    let empathy = dims.iter().find(|d| d["id"] == "empathy").unwrap();
    let e = &empathy["evidence"][0];
    assert_eq!(e["turn"], 2);
    assert!(e["quote"].as_str().unwrap().contains("理解您的心情"));
    assert!(e["rule"].as_str().unwrap().starts_with("empathy."));
    assert_eq!(v["source"]["rubric"], "default");
    assert_eq!(v["anger_curve"].as_array().unwrap().len(), 7);
}

#[test]
fn a_forbidden_phrase_costs_points_shows_a_better_phrasing_and_caps_the_grade() {
    let mut lines = GOOD.to_vec();
    lines.insert(2, ("公司的规定就是这样的,不过我们会处理。", &["heard"]));
    let (d, v) = scored("emotional", "floppy-drive", &lines, "resolved");
    assert_eq!(v["forbidden_count"], 1);
    assert_eq!(v["grade"], "合格", "total {}", v["total"]);
    assert!(v["capped_from"].is_string());
    let compliance = v["dimensions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == "compliance")
        .unwrap();
    let hit = compliance["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["turn"] == 3)
        .unwrap();
    assert!(hit["points"].as_f64().unwrap() < 0.0);
    assert!(hit["quote"].as_str().unwrap().contains("规定"));
    assert!(!hit["better"].as_str().unwrap().is_empty());
    // The terminal card names the turn and the better phrasing.
    d.cmd()
        .args(["score", "t.jsonl"])
        .assert()
        .success()
        .stdout(
            contains("第 3 轮")
                .and(contains("试试"))
                .and(contains("禁语")),
        );
}

#[test]
fn cross_turn_rules_are_found() {
    // Played by the real customer: the card charges what the customer noticed (and
    // the coach warned of), from the events the transcript records.
    let d = Dir::new();
    d.write(
        "a.txt",
        "我们给您免费换一个新的。\n对不起。\n真的很抱歉。\n实在对不起。\n",
    );
    d.cmd()
        .args([
            "run",
            "--persona",
            "emotional",
            "--scenario",
            "floppy-drive",
        ])
        .args(["--answers", "a.txt", "--transcript", "t.jsonl"])
        .assert()
        .success();
    let v = score_json(&d, "t.jsonl");
    let rules: Vec<&str> = v["dimensions"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| {
            d["evidence"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["rule"].as_str().unwrap())
        })
        .collect();
    assert!(rules.contains(&"rule.rushed-conclusion"), "{rules:?}");
    assert!(rules.contains(&"rule.empty-apology"), "{rules:?}");
}

#[test]
fn a_promise_the_policy_forbids_is_flagged() {
    let lines: &[(&str, &[&str])] = &[
        ("您好,我先核实一下情况。", &[]),
        ("我保证给您十倍赔偿,今天就打到您卡上。", &[]),
    ];
    let (_, v) = scored("prepared", "swapped-mainboard", lines, "walked_out");
    let broken: Vec<&serde_json::Value> = v["promises"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["keepable"] == false)
        .collect();
    assert!(!broken.is_empty(), "{}", v["promises"]);
    assert!(
        broken
            .iter()
            .all(|p| p["turn"] == 2 && !p["why"].as_str().unwrap().is_empty())
    );
    let compliance = v["dimensions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == "compliance")
        .unwrap();
    assert!(
        compliance["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["rule"] == "rule.broken-promise")
    );
}

/// The ledger weighs what each offer says: an amount beyond what the policy allows
/// in all, an earlier offer shrunk later (前后不一), a 时限 with no time (含糊).
#[test]
fn the_ledger_checks_amounts_contradictions_and_vague_deadlines() {
    let promises = |persona: &str, scenario: &str, lines: &[(&str, &[&str])]| {
        let (_, v) = scored(persona, scenario, lines, "walked_out");
        v["promises"].as_array().unwrap().clone()
    };
    let find = |ps: &[serde_json::Value], turn: u32, kind: &str| -> serde_json::Value {
        (ps.iter())
            .find(|p| p["turn"] == turn && p["kind"] == kind)
            .cloned()
            .unwrap_or_else(|| panic!("no {kind} at turn {turn}: {ps:?}"))
    };
    // 860 refunded and 2580 more: what the policy allows (3440 in all); 5000 is not.
    let ps = promises(
        "prepared",
        "swapped-mainboard",
        &[
            ("您好，我是售后主管，这件事是我们做错了。", &[]),
            (
                "我们退还您860元维修费，另外赔偿您2580元，三个工作日内到账。",
                &[],
            ),
            ("再额外给您赔五千元。", &[]),
        ],
    );
    let within = find(&ps, 2, "方案");
    assert_eq!(within["status"], "kept", "{ps:?}");
    assert_eq!(within["amount"], 860.0);
    let beyond = find(&ps, 3, "方案");
    assert_eq!(beyond["status"], "beyond_policy", "{ps:?}");
    assert_eq!(beyond["amount"], 5000.0);
    assert!(beyond["why"].as_str().unwrap().contains("最多 3440 元"));

    let ps = promises(
        "emotional",
        "bill-shock",
        &[
            ("您好，您先别急，慢慢说。", &[]),
            ("这个月多扣的钱全额退给您，今天就办。", &[]),
            ("稍后给您回复。", &[]),
            ("这个只能退一半，剩下的退不了。", &[]),
        ],
    );
    let shrunk = find(&ps, 4, "方案");
    assert_eq!(shrunk["status"], "contradicted", "{ps:?}");
    assert!(shrunk["why"].as_str().unwrap().contains("第 2 轮"));
    assert_eq!(find(&ps, 3, "时限")["status"], "vague", "{ps:?}");
    assert_eq!(find(&ps, 2, "时限")["status"], "kept", "{ps:?}");
}

#[test]
fn a_broken_promise_quotes_the_words_that_break_it() {
    let lines: &[(&str, &[&str])] = &[
        ("您好,我先核实一下情况。", &[]),
        ("如果核实构成欺诈,我们退还费用并赔偿十倍。", &[]),
    ];
    let (_, v) = scored("prepared", "swapped-mainboard", lines, "walked_out");
    let quotes: Vec<&str> = v["promises"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["keepable"] == false)
        .map(|p| p["quote"].as_str().unwrap())
        .collect();
    assert!(
        quotes.iter().any(|q| q.contains("十倍")),
        "the quote names the broken part: {quotes:?}"
    );
}

/// A deadline a rule found commits its clause, and what the policy forbids in it with it:
/// 「今天我再给您发一份盖章的书面承诺书」 to a lawyer (a play-tester's session) was listed
/// as a kept 时限 while the policy forbids written promises beyond one's authority.
#[test]
fn a_written_promise_with_a_deadline_is_beyond_the_policy() {
    // 好的。今天我再给您发一份盖章的书面承诺书，写明贬值损失我们一并承担，您也好放心。
    let line = "\u{597D}\u{7684}\u{3002}\u{4ECA}\u{5929}\u{6211}\u{518D}\u{7ED9}\u{60A8}\u{53D1}\u{4E00}\u{4EFD}\u{76D6}\u{7AE0}\u{7684}\u{4E66}\u{9762}\u{627F}\u{8BFA}\u{4E66}\u{FF0C}\u{5199}\u{660E}\u{8D2C}\u{503C}\u{635F}\u{5931}\u{6211}\u{4EEC}\u{4E00}\u{5E76}\u{627F}\u{62C5}\u{FF0C}\u{60A8}\u{4E5F}\u{597D}\u{653E}\u{5FC3}\u{3002}";
    let (_, v) = played_card("influential", "damaged-in-service", &[line]);
    one_promise_beyond_the_policy(&v, "\u{4E66}\u{9762}"); // 书面
}

/// The card of a one-line session lists exactly one promise beyond the policy, quoting
/// `words`, and deducts it at that turn.
fn one_promise_beyond_the_policy(v: &serde_json::Value, words: &str) {
    let broken = promises_with(v, "beyond_policy");
    assert_eq!(broken.len(), 1, "{}", v["promises"]);
    let quote = broken[0]["quote"].as_str().unwrap();
    assert!(quote.contains(words), "{}", v["promises"]);
    let e = evidence_of(v, "compliance", "rule.broken-promise");
    assert_eq!(e["turn"], 1, "{e}");
}

/// The card's promises of one status (`kept`, `beyond_policy`, `wrong_amount`, …).
fn promises_with<'v>(v: &'v serde_json::Value, status: &str) -> Vec<&'v serde_json::Value> {
    (v["promises"].as_array().unwrap().iter())
        .filter(|p| p["status"] == status)
        .collect()
}

/// Calibration set 6 (滥用正义感, car oil): a recall vouched for after 「您放心」 was
/// neither a promise on the card nor an objection from the customer, though only the
/// manufacturer can decide a recall. It is now a 保证 beyond the policy, and the coach's
/// warning and the card's deduction are the same entry.
#[test]
fn a_recall_vouched_for_after_an_assurance_is_beyond_the_policy() {
    // 您放心，这么多车主都碰上了，厂家肯定会召回的。
    let line = "\u{60A8}\u{653E}\u{5FC3}\u{FF0C}\u{8FD9}\u{4E48}\u{591A}\u{8F66}\u{4E3B}\u{90FD}\u{78B0}\u{4E0A}\u{4E86}\u{FF0C}\u{5382}\u{5BB6}\u{80AF}\u{5B9A}\u{4F1A}\u{53EC}\u{56DE}\u{7684}\u{3002}";
    let (_, v) = played_card("righteous", "car-oil", &[line]);
    one_promise_beyond_the_policy(&v, "\u{53EC}\u{56DE}"); // 召回
    // Only named, a recall promises nothing: 厂家会不会召回，要等评估结果。
    let named = "\u{5382}\u{5BB6}\u{4F1A}\u{4E0D}\u{4F1A}\u{53EC}\u{56DE}\u{FF0C}\u{8981}\u{7B49}\u{8BC4}\u{4F30}\u{7ED3}\u{679C}\u{3002}";
    let (_, v) = played_card("righteous", "car-oil", &[named]);
    assert!(
        promises_with(&v, "beyond_policy").is_empty(),
        "{}",
        v["promises"]
    );
}

/// Four independent writers marked a 有备而来 session 一般 for stating the fraud
/// compensation as the old law's 一倍 (860 元) where 三倍 (2580 元) is owed, and the
/// card and the customer let it pass. The sum is now checked against the policy's: the
/// customer takes the wrong figure up at once, the ledger lists it 数额不对, and the
/// card deducts it; the right sum is neither.
#[test]
fn a_wrong_sum_of_money_is_heard_and_listed() {
    // 周先生您好，站里收了您860元换了主板，又没告诉您就换回了原主板，这属于欺诈，我向您道歉。
    let owned = "\u{5468}\u{5148}\u{751F}\u{60A8}\u{597D}\u{FF0C}\u{7AD9}\u{91CC}\u{6536}\u{4E86}\u{60A8}860\u{5143}\u{6362}\u{4E86}\u{4E3B}\u{677F}\u{FF0C}\u{53C8}\u{6CA1}\u{544A}\u{8BC9}\u{60A8}\u{5C31}\u{6362}\u{56DE}\u{4E86}\u{539F}\u{4E3B}\u{677F}\u{FF0C}\u{8FD9}\u{5C5E}\u{4E8E}\u{6B3A}\u{8BC8}\u{FF0C}\u{6211}\u{5411}\u{60A8}\u{9053}\u{6B49}\u{3002}";
    // 按规定，欺诈要增加赔偿服务费用的一倍，也就是再赔您860元。
    let one_fold = "\u{6309}\u{89C4}\u{5B9A}\u{FF0C}\u{6B3A}\u{8BC8}\u{8981}\u{589E}\u{52A0}\u{8D54}\u{507F}\u{670D}\u{52A1}\u{8D39}\u{7528}\u{7684}\u{4E00}\u{500D}\u{FF0C}\u{4E5F}\u{5C31}\u{662F}\u{518D}\u{8D54}\u{60A8}860\u{5143}\u{3002}";
    let (d, v) = played_card("prepared", "swapped-mainboard", &[owned, one_fold]);
    let wrong = promises_with(&v, "wrong_amount");
    assert_eq!(wrong.len(), 1, "{}", v["promises"]);
    assert_eq!(wrong[0]["turn"], 2, "{}", v["promises"]);
    assert!(
        wrong[0]["why"].as_str().unwrap().contains("2580"),
        "{}",
        wrong[0]
    );
    let e = evidence_of(&v, "compliance", "rule.broken-promise");
    assert_eq!(e["turn"], 2, "{e}");
    // 数额说准: say the sum the policy names, not the rule for promises in general.
    assert!(
        e["better"]
            .as_str()
            .unwrap()
            .contains("\u{6570}\u{989D}\u{8BF4}\u{51C6}"),
        "{e}"
    );
    // The customer: 「860元？这个数不对吧。……」
    let t = std::fs::read_to_string(d.path().join("t.jsonl")).unwrap();
    let turn2 = t.lines().find(|l| l.contains("\"n\":2")).unwrap();
    let said: serde_json::Value = serde_json::from_str(turn2).unwrap();
    assert!(
        said["customer"]
            .as_str()
            .unwrap()
            .contains("860\u{5143}\u{FF1F}"),
        "{turn2}"
    );
    // 按消法第五十五条，另外赔偿您维修费的三倍，也就是2580元。
    let three_fold = "\u{6309}\u{6D88}\u{6CD5}\u{7B2C}\u{4E94}\u{5341}\u{4E94}\u{6761}\u{FF0C}\u{53E6}\u{5916}\u{8D54}\u{507F}\u{60A8}\u{7EF4}\u{4FEE}\u{8D39}\u{7684}\u{4E09}\u{500D}\u{FF0C}\u{4E5F}\u{5C31}\u{662F}2580\u{5143}\u{3002}";
    let (_, v) = played_card("prepared", "swapped-mainboard", &[owned, three_fold]);
    assert!(
        promises_with(&v, "wrong_amount").is_empty(),
        "{}",
        v["promises"]
    );
}

/// A promise is quoted by its clause, the words an assessor can judge, not by the two
/// characters a rule matched (「送您」「给您调」 were listed as promises).
#[test]
fn the_ledger_quotes_each_promise_by_its_clause() {
    // 这次保养工时费按会员八折，再送您一次精洗和会员积分。
    let offer = "\u{8FD9}\u{6B21}\u{4FDD}\u{517B}\u{5DE5}\u{65F6}\u{8D39}\u{6309}\u{4F1A}\u{5458}\u{516B}\u{6298}\u{FF0C}\u{518D}\u{9001}\u{60A8}\u{4E00}\u{6B21}\u{7CBE}\u{6D17}\u{548C}\u{4F1A}\u{5458}\u{79EF}\u{5206}\u{3002}";
    let lines: &[(&str, &[&str])] = &[
        ("您好，王总，让您久等了，是我们没做好。", &[]),
        (offer, &[]),
    ];
    let (_, v) = scored("self-absorbed", "vip-waiting", lines, "walked_out");
    let quotes: Vec<&str> = (v["promises"].as_array().unwrap().iter())
        .filter(|p| p["turn"] == 2)
        .map(|p| p["quote"].as_str().unwrap())
        .collect();
    // 再送您一次精洗和会员积分
    let second = "\u{518D}\u{9001}\u{60A8}\u{4E00}\u{6B21}\u{7CBE}\u{6D17}\u{548C}\u{4F1A}\u{5458}\u{79EF}\u{5206}";
    assert!(quotes.contains(&second), "{quotes:?}");
    assert!(
        quotes.iter().all(|q| q.chars().count() >= 6),
        "whole clauses only: {quotes:?}"
    );
    let mut unique = quotes.clone();
    unique.dedup();
    assert_eq!(unique, quotes, "one entry per clause and kind");
}

/// What 做得好 credits is quoted by its clause, never from inside a word: the greeting
/// rule matches from 先生, and the card said 「先生您好，」 for 「陈先生您好」.
#[test]
fn credits_quote_whole_clauses() {
    // 陈先生您好，我是售后的小林。
    let hello = "\u{9648}\u{5148}\u{751F}\u{60A8}\u{597D}\u{FF0C}\u{6211}\u{662F}\u{552E}\u{540E}\u{7684}\u{5C0F}\u{6797}\u{3002}";
    let lines: &[(&str, &[&str])] = &[(hello, &[])];
    let (_, v) = scored("prepared", "gearbox-warranty", lines, "walked_out");
    let credits: Vec<&str> = (v["dimensions"].as_array().unwrap().iter())
        .flat_map(|d| d["evidence"].as_array().unwrap())
        .filter(|e| e["turn"] == 1 && e["points"].as_f64().unwrap() > 0.0)
        .map(|e| e["quote"].as_str().unwrap())
        .collect();
    // 陈先生您好
    let whole = "\u{9648}\u{5148}\u{751F}\u{60A8}\u{597D}";
    assert!(credits.contains(&whole), "{credits:?}");
}

/// A line that gives a deadline twice is credited for 时限 by the clause that names the
/// time: 「我现在马上给您办紧急复机，五分钟内手机就能打通」 is quoted by 五分钟内, not by
/// 马上 (a tmux play showed the 马上 clause).
#[test]
fn the_deadline_is_quoted_where_it_names_a_time() {
    let (_d, v) = played_card(
        "emotional",
        "bill-shock",
        &[
            "\u{60A8}\u{662F}\u{8BF4}\u{8FD9}\u{4E2A}\u{6708}\u{8BDD}\u{8D39}\u{7A81}\u{7136}\u{591A}\u{6263}\u{4E86}\u{4E09}\u{767E}\u{591A}\u{FF0C}\u{624B}\u{673A}\u{8FD8}\u{505C}\u{673A}\u{4E86}\u{FF0C}\u{5BF9}\u{5417}\u{FF1F}", // 您是说这个月话费突然多扣了三百多，手机还停机了，对吗？
            "\u{6211}\u{73B0}\u{5728}\u{9A6C}\u{4E0A}\u{7ED9}\u{60A8}\u{529E}\u{7D27}\u{6025}\u{590D}\u{673A}\u{FF0C}\u{4E94}\u{5206}\u{949F}\u{5185}\u{624B}\u{673A}\u{5C31}\u{80FD}\u{6253}\u{901A}\u{3002}", // 我现在马上给您办紧急复机，五分钟内手机就能打通。
        ],
    );
    let deadline = evidence_of(&v, "process", "stage.time_commitment");
    assert_eq!(deadline["turn"], 2, "{deadline}");
    // 五分钟内手机就能打通
    let timed = "\u{4E94}\u{5206}\u{949F}\u{5185}\u{624B}\u{673A}\u{5C31}\u{80FD}\u{6253}\u{901A}";
    assert_eq!(deadline["quote"], timed, "{deadline}");
}

/// Words the policy forbids, only mentioned (the customer's demand echoed as a
/// question), are no promise: the ledger lists nothing beyond the policy.
#[test]
fn a_forbidden_remedy_only_mentioned_is_no_promise() {
    let (_d, v) = played_card(
        "stubborn",
        "engine-noise",
        &[
            "\u{60A8}\u{597D}\u{FF0C}\u{60A8}\u{662F}\u{8BF4}\u{8F66}\u{5F00}\u{8D77}\u{6765}\u{5E95}\u{76D8}\u{4E00}\u{76F4}\u{6709}\u{54CD}\u{58F0}\u{FF0C}\u{5BF9}\u{5417}\u{FF1F}", // 您好，您是说车开起来底盘一直有响声，对吗？
            "\u{9000}\u{8F66}\u{FF1F}\u{8FD9}\u{90FD}\u{5F00}\u{4E86}\u{4E94}\u{5343}\u{591A}\u{516C}\u{91CC}\u{4E86}\u{FF0C}\u{60A8}\u{60F3}\u{591A}\u{4E86}\u{3002}", // 退车？这都开了五千多公里了，您想多了。
        ],
    );
    let promises = v["promises"].as_array().unwrap();
    assert!(
        promises.iter().all(|p| p["status"] != "beyond_policy"),
        "{promises:?}"
    );
}

/// A stage of the procedure said early and again at its time is credited where it
/// came at its time, in full.
#[test]
fn a_stage_said_early_and_again_in_time_earns_full_credit() {
    let (_d, v) = played_card(
        "emotional",
        "floppy-drive",
        &[
            "\u{60A8}\u{597D}\u{FF0C}\u{8FD9}\u{8FB9}\u{7ED9}\u{60A8}\u{514D}\u{8D39}\u{6362}\u{4E00}\u{4E2A}\u{65B0}\u{8F6F}\u{9A71}\u{3002}", // 您好，这边给您免费换一个新软驱。
            "\u{60A8}\u{662F}\u{8BF4}\u{8F6F}\u{9A71}\u{8BFB}\u{4E0D}\u{4E86}\u{76D8}\u{FF0C}\u{7EF4}\u{4FEE}\u{7AD9}\u{8BA9}\u{60A8}\u{81EA}\u{5DF1}\u{6E05}\u{6D17}\u{FF0C}\u{5BF9}\u{5417}\u{FF1F}", // 您是说软驱读不了盘，维修站让您自己清洗，对吗？
            "\u{90A3}\u{6211}\u{4EEC}\u{7ED9}\u{60A8}\u{514D}\u{8D39}\u{6362}\u{4E00}\u{4E2A}\u{65B0}\u{8F6F}\u{9A71}\u{FF0C}\u{660E}\u{5929}\u{4E0A}\u{5348}\u{6D3E}\u{5DE5}\u{7A0B}\u{5E08}\u{4E0A}\u{95E8}\u{3002}", // 那我们给您免费换一个新软驱，明天上午派工程师上门。
        ],
    );
    let remedy = evidence_of(&v, "process", "stage.remedy");
    assert_eq!(remedy["turn"], 3, "{remedy}");
    assert!(remedy["better"].is_null(), "in time: {remedy}");
}

/// An apology after the remedy is under way apologises for the past: it is not
/// 「道歉后没有跟上行动」.
#[test]
fn an_apology_after_acting_is_not_an_empty_one() {
    let (_d, v) = played_card(
        "emotional",
        "floppy-drive",
        &[
            "\u{60A8}\u{662F}\u{8BF4}\u{8F6F}\u{9A71}\u{8BFB}\u{4E0D}\u{4E86}\u{76D8}\u{FF0C}\u{7EF4}\u{4FEE}\u{7AD9}\u{8BA9}\u{60A8}\u{81EA}\u{5DF1}\u{6E05}\u{6D17}\u{FF0C}\u{5BF9}\u{5417}\u{FF1F}", // 您是说软驱读不了盘，维修站让您自己清洗，对吗？
            "\u{6211}\u{4EEC}\u{660E}\u{5929}\u{4E0A}\u{5348}\u{6D3E}\u{5DE5}\u{7A0B}\u{5E08}\u{4E0A}\u{95E8}\u{FF0C}\u{514D}\u{8D39}\u{7ED9}\u{60A8}\u{6362}\u{4E00}\u{4E2A}\u{65B0}\u{8F6F}\u{9A71}\u{3002}", // 我们明天上午派工程师上门，免费给您换一个新软驱。
            "\u{4E4B}\u{524D}\u{8BA9}\u{60A8}\u{81EA}\u{5DF1}\u{60F3}\u{529E}\u{6CD5}\u{FF0C}\u{662F}\u{6211}\u{4EEC}\u{505A}\u{5F97}\u{4E0D}\u{597D}\u{FF0C}\u{5BF9}\u{4E0D}\u{8D77}\u{3002}", // 之前让您自己想办法，是我们做得不好，对不起。
        ],
    );
    let apology = dimension(&v, "apology");
    assert_eq!(apology["score"], apology["max"], "{apology}");
}

/// 确认 is checking the customer is satisfied, asked (「请问还有其他需要帮您的吗？」);
/// a bare goodbye is the 结束语 of 服务用语, not a check.
#[test]
fn a_goodbye_is_no_confirmation_and_a_question_is() {
    let stage = |last: &'static str| {
        let (_d, v) = played_card(
            "emotional",
            "floppy-drive",
            &[
                "\u{60A8}\u{662F}\u{8BF4}\u{8F6F}\u{9A71}\u{8BFB}\u{4E0D}\u{4E86}\u{76D8}\u{FF0C}\u{7EF4}\u{4FEE}\u{7AD9}\u{8BA9}\u{60A8}\u{81EA}\u{5DF1}\u{6E05}\u{6D17}\u{FF0C}\u{5BF9}\u{5417}\u{FF1F}", // 您是说软驱读不了盘，维修站让您自己清洗，对吗？
                "\u{6211}\u{4EEC}\u{660E}\u{5929}\u{4E0A}\u{5348}\u{6D3E}\u{5DE5}\u{7A0B}\u{5E08}\u{4E0A}\u{95E8}\u{FF0C}\u{514D}\u{8D39}\u{7ED9}\u{60A8}\u{6362}\u{4E00}\u{4E2A}\u{65B0}\u{8F6F}\u{9A71}\u{3002}", // 我们明天上午派工程师上门，免费给您换一个新软驱。
                last,
            ],
        );
        evidence_of(&v, "process", "stage.closing")
    };
    // 好的，祝您生活愉快，再见！
    let bye = stage(
        "\u{597D}\u{7684}\u{FF0C}\u{795D}\u{60A8}\u{751F}\u{6D3B}\u{6109}\u{5FEB}\u{FF0C}\u{518D}\u{89C1}\u{FF01}",
    );
    assert_eq!(bye["points"], 0.0, "{bye}");
    // 请问还有其他需要帮您的吗？
    let asked = stage(
        "\u{8BF7}\u{95EE}\u{8FD8}\u{6709}\u{5176}\u{4ED6}\u{9700}\u{8981}\u{5E2E}\u{60A8}\u{7684}\u{5417}\u{FF1F}",
    );
    assert!(asked["points"].as_f64().unwrap() > 0.0, "{asked}");
}

/// The customer's own wish named back (「谁都想干脆换台新的」) is no offer, and a rule
/// cited (「按电脑三包，……就能换同型号的新机」) is no promise: the customer hears neither
/// as an offer and the ledger lists neither as 言行不一.
#[test]
fn a_wish_named_back_and_a_rule_cited_are_no_promises() {
    let (d, v) = played_card(
        "stubborn",
        "laptop-replace",
        &[
            "\u{60A8}\u{597D}\u{FF0C}\u{6211}\u{662F}\u{7EF4}\u{4FEE}\u{7AD9}\u{7684}\u{5C0F}\u{6797}\u{3002}", // 您好，我是维修站的小林。
            "\u{60A8}\u{7684}\u{60F3}\u{6CD5}\u{6211}\u{660E}\u{767D}\u{FF0C}\u{8C01}\u{90FD}\u{60F3}\u{5E72}\u{8106}\u{6362}\u{53F0}\u{65B0}\u{7684}\u{FF0C}\u{56FE}\u{4E2A}\u{653E}\u{5FC3}\u{3002}", // 您的想法我明白，谁都想干脆换台新的，图个放心。
            "\u{6309}\u{7535}\u{8111}\u{4E09}\u{5305}\u{FF0C}\u{540C}\u{4E00}\u{4E2A}\u{6BDB}\u{75C5}\u{4FEE}\u{4E86}\u{4E24}\u{6B21}\u{8FD8}\u{4FEE}\u{4E0D}\u{597D}\u{FF0C}\u{51ED}\u{7EF4}\u{4FEE}\u{5355}\u{5C31}\u{80FD}\u{6362}\u{540C}\u{578B}\u{53F7}\u{7684}\u{65B0}\u{673A}\u{3002}", // 按电脑三包，同一个毛病修了两次还修不好，凭维修单就能换同型号的新机。
        ],
    );
    let t = std::fs::read_to_string(d.path().join("t.jsonl")).unwrap();
    let second: serde_json::Value = (t.lines())
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|r| r["type"] == "turn" && r["n"] == 2)
        .unwrap();
    assert!(
        !second["events"].to_string().contains("rushed"),
        "a wish named back is no offer to rush: {second}"
    );
    let promises = v["promises"].as_array().unwrap();
    assert!(promises.iter().all(|p| p["turn"] != 2), "{promises:?}");
    assert!(
        promises.iter().all(|p| p["status"] != "beyond_policy"),
        "{promises:?}"
    );
}

/// Play `lines` with the real binary into `t.jsonl` in a fresh directory, and score it
/// as JSON; the directory is returned for a look at the transcript.
fn played_card(persona: &str, scenario: &str, lines: &[&str]) -> (Dir, serde_json::Value) {
    let d = Dir::new();
    d.write("s.txt", lines.join("\n"));
    d.cmd()
        .args(["run", "--persona", persona, "--scenario", scenario])
        .args(["--answers", "s.txt", "--transcript", "t.jsonl"])
        .assert()
        .success();
    let v = score_json(&d, "t.jsonl");
    (d, v)
}

/// The card's dimension `id`.
fn dimension(v: &serde_json::Value, id: &str) -> serde_json::Value {
    (v["dimensions"].as_array().unwrap().iter())
        .find(|d| d["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("no dimension {id}: {v}"))
}

/// The evidence of `rule` in the card's dimension `id`.
fn evidence_of(v: &serde_json::Value, id: &str, rule: &str) -> serde_json::Value {
    (dimension(v, id)["evidence"].as_array().unwrap().iter())
        .find(|e| e["rule"] == rule)
        .cloned()
        .unwrap_or_else(|| panic!("no {rule} in {id}: {v}"))
}

#[test]
fn scoring_is_reproducible_but_for_the_time() {
    let d = Dir::new();
    d.write(
        "good.jsonl",
        transcript("emotional", "floppy-drive", GOOD, "resolved"),
    );
    let mut a = score_json(&d, "good.jsonl");
    let mut b = score_json(&d, "good.jsonl");
    a.as_object_mut().unwrap().remove("generated_at");
    b.as_object_mut().unwrap().remove("generated_at");
    assert_eq!(a, b);
}

#[test]
fn a_real_run_can_be_scored_in_every_format() {
    let d = Dir::new();
    played_into(&d, "r.jsonl");
    for (fmt, ext, marker) in [
        ("text", "txt", "评分卡"),
        ("json", "json", "\"schema\""),
        ("md", "md", "| 维度 |"),
    ] {
        d.cmd()
            .args(["score", "--format", fmt, "--out", "cards", "r.jsonl"])
            .assert()
            .success();
        let body = std::fs::read_to_string(d.path().join(format!("cards/r.{ext}"))).unwrap();
        assert!(body.contains(marker), "{fmt}: {body}");
    }
}

#[test]
fn a_corrupt_transcript_is_named_and_the_others_are_still_scored() {
    let d = Dir::new();
    d.write(
        "good.jsonl",
        transcript("emotional", "floppy-drive", GOOD, "resolved"),
    );
    d.write("bad.jsonl", "{\"type\":\"header\"\nnot json\n");
    d.write("ghost.jsonl", transcript("nobody", "x", GOOD, "resolved"));
    d.cmd()
        .args([
            "score",
            "--out",
            "cards",
            "bad.jsonl",
            "ghost.jsonl",
            "good.jsonl",
        ])
        .assert()
        .code(1)
        .stderr(
            contains("bad.jsonl")
                .and(contains("ghost.jsonl"))
                .and(contains("nobody")),
        )
        .stdout(contains("good.jsonl"));
    assert!(d.path().join("cards/good.txt").exists());
}

#[test]
fn a_chat_log_is_scored_per_dialogue_on_the_agents_lines() {
    let d = Dir::new();
    let lines = [
        r#"{"dialogue":"A-1","role":"customer","text":"你们的快递三天都没到!"}"#,
        r#"{"dialogue":"A-1","role":"agent","text":"您好,非常理解您的心情,请问您的单号是多少?"}"#,
        r#"{"dialogue":"B/2","role":"agent","text":"这种问题我们见得多了"}"#,
        r#"{"dialogue":"A-1","role":"customer","text":"SF123,这种问题我们见得多了是吧?"}"#,
        r#"{"dialogue":"A-1","role":"agent","text":"我马上帮您催件,今天下午五点前给您回电话。"}"#,
    ];
    d.write("chat.jsonl", lines.join("\n") + "\n");
    d.cmd()
        .args([
            "score",
            "--chatlog",
            "chat.jsonl",
            "--format",
            "json",
            "--out",
            "cards",
        ])
        .assert()
        .success()
        .stdout(contains("A-1").and(contains("B/2")));
    let a: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.path().join("cards/A-1.json")).unwrap())
            .unwrap();
    let b: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.path().join("cards/B_2.json")).unwrap())
            .unwrap();
    assert_eq!(a["outcome"], "chat");
    assert_eq!(a["turns"], 2, "only the agent's lines are turns");
    let ids: Vec<&str> = a["dimensions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["compliance", "empathy", "apology", "process", "courtesy"]
    );
    // The customer's words are not held against the agent.
    assert_eq!(a["forbidden_count"], 0);
    assert_eq!(b["forbidden_count"], 1);
    assert!(a["total"].as_f64() > b["total"].as_f64());
}

#[test]
fn a_bad_chat_log_line_is_named() {
    let d = Dir::new();
    d.write("chat.jsonl", "{\"dialogue\":\"A\",\"role\":\"agent\",\"text\":\"您好\"}\n{\"dialogue\":\"A\",\"role\":\"boss\",\"text\":\"x\"}\n");
    d.cmd()
        .args(["score", "--chatlog", "chat.jsonl"])
        .assert()
        .code(2)
        .stderr(contains("chat.jsonl:2").and(contains("role")));
}

/// A scorecard is rebuilt from the reading the transcript recorded (the one the customer
/// answered), not read again; under another rubric the lines are read again and the card
/// says so.
#[test]
fn the_recorded_reading_is_scored_and_a_changed_rubric_is_named() {
    let d = Dir::new();
    played_into(&d, "r.jsonl");
    let recorded = score_json(&d, "r.jsonl");
    assert!(recorded["source"].get("rubric_hash_then").is_none());
    // The same transcript with its recorded signals taken out: scored as recorded, it
    // has nothing left to credit.
    let raw = std::fs::read_to_string(d.path().join("r.jsonl")).unwrap();
    let emptied: String = raw
        .lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            if v["type"] == "turn" {
                v["signals"] = serde_json::json!([]);
            }
            format!("{v}\n")
        })
        .collect();
    d.write("e.jsonl", emptied);
    let e = score_json(&d, "e.jsonl");
    assert!(
        e["total"].as_f64().unwrap() < recorded["total"].as_f64().unwrap() - 20.0,
        "{} vs {}",
        e["total"],
        recorded["total"]
    );
    // Under a changed rubric every line is read again, and the card names both rubrics.
    let rubric = std::fs::read_to_string(repo("rubrics/default.toml")).unwrap();
    d.write("r.toml", rubric.replacen("version = 4", "version = 5", 1));
    let out = d
        .cmd()
        .args(["--rubric", "r.toml", "score", "--format", "json", "e.jsonl"])
        .output()
        .unwrap();
    let reread = common::stdout_json(out);
    assert!(reread["source"]["rubric_hash_then"].is_string(), "{reread}");
    assert_eq!(reread["total"], recorded["total"]);
    d.cmd()
        .args(["--rubric", "r.toml", "score", "e.jsonl"])
        .assert()
        .success()
        .stdout(contains("已按现在的规则重新解读"));
}

/// Two transcripts with one file name in different folders each get their own card in
/// `--out` (the second used to replace the first without a word).
#[test]
fn cards_of_transcripts_named_alike_do_not_replace_each_other() {
    let d = Dir::new();
    played_into(&d, "a/x.jsonl");
    d.write(
        "b/x.jsonl",
        transcript("emotional", "floppy-drive", GOOD, "resolved"),
    );
    d.cmd()
        .args(["score", "a/x.jsonl", "b/x.jsonl", "--format", "json"])
        .args(["--out", "out"])
        .assert()
        .success()
        .stdout(contains("out/x.json").and(contains("out/x-2.json")));
    let card = |f: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(d.path().join("out").join(f)).unwrap())
            .unwrap()
    };
    assert_eq!(card("x.json")["source"]["transcript"], "a/x.jsonl");
    assert_eq!(card("x-2.json")["source"]["transcript"], "b/x.jsonl");
}

/// A transcript path that is a device is named and skipped, never read without end.
#[test]
fn a_device_given_as_a_transcript_is_refused_at_once() {
    let d = Dir::new();
    let out = d
        .cmd()
        .args(["score", "/dev/zero"])
        .timeout(std::time::Duration::from_secs(30))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(matches!(out.status.code(), Some(1 | 2)), "{stderr}");
    assert!(
        stderr.contains("/dev/zero") && stderr.contains("不是普通文件"),
        "{stderr}"
    );
}

/// Restoring the phone of a customer whose father waits in hospital, at once, is
/// acting on their need: the customer takes it so (`urgent_action`), and the card
/// agrees — the offer counts as the 方案 step, and no 急于下结论 is charged for it.
#[test]
fn urgent_action_is_credited_as_the_customer_heard_it() {
    let d = Dir::new();
    let answers = d.write(
        "a.txt",
        "阿姨您别急，先坐下，手机停了医院联系不上您，这太要命了，我是值班经理，这事我管到底。\n\
         我现在就给您办紧急复机，五分钟之内就能打电话，欠费的事回头再核对。\n\
         您把身份证给我一下，我确认一下：这个月扣了三百多，昨晚停的机，之前来问没人理您，是吗？\n",
    );
    let run = common::stdout_json(
        d.cmd()
            .args([
                "run",
                "--json",
                "--persona",
                "emotional",
                "--scenario",
                "bill-shock",
            ])
            .arg("--answers")
            .arg(&answers)
            .args(["--transcript", "t.jsonl"])
            .output()
            .unwrap(),
    );
    let events = run["turns"][1]["events"].to_string();
    assert!(
        events.contains("urgent_action") && !events.contains("rushed"),
        "{events}"
    );
    let card = score_json(&d, "t.jsonl");
    let text = card.to_string();
    assert!(!text.contains("rule.rushed-conclusion"), "{text}");
    let remedy_step = card["dimensions"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["evidence"].as_array().unwrap())
        .find(|e| e["rule"] == "stage.remedy")
        .unwrap();
    assert_eq!(remedy_step["turn"], 2, "{remedy_step}");
}

/// The gates an assessor relies on: an unresolved complaint is never 优秀, calming
/// words with no remedy never pass, and a session too short to handle anything never
/// passes — each says why on the card.
#[test]
fn grade_gates_cap_unresolved_remedyless_and_short_sessions() {
    let (_, v) = scored("emotional", "floppy-drive", GOOD, "resolved");
    assert!(v.get("cap_reason").is_none(), "{}", v["cap_reason"]);

    let (_, v) = scored("emotional", "floppy-drive", GOOD, "out_of_turns");
    assert_ne!(v["grade"], "优秀");
    if !v["capped_from"].is_null() {
        assert_eq!(v["cap_reason"], "客户没有接受方案");
    }

    let calming: &[(&str, &[&str])] = &[
        ("您好，您先别急，慢慢说。", &[]),
        ("换作是我也会着急，您的心情我完全理解。", &[]),
        ("感谢您告诉我们这些，您说的我都记下了。", &[]),
        ("您放心，我一定认真对待。", &[]),
    ];
    let (_, v) = scored("emotional", "floppy-drive", calming, "out_of_turns");
    assert_eq!(v["grade"], "不合格", "{v}");
    let total = v["total"].as_f64().unwrap();
    if total >= 60.0 {
        assert_eq!(v["cap_reason"], "始终没有给出具体方案");
    }

    // Two lines that do most of the procedure and end resolved: the points alone would
    // pass (a first greeting and apology alone no longer do, without the procedure).
    let short: &[(&str, &[&str])] = &[
        (
            "\u{60A8}\u{662F}\u{8BF4}\u{8F6F}\u{9A71}\u{8BFB}\u{4E0D}\u{4E86}\u{76D8}\u{FF0C}\u{5BF9}\u{5417}\u{FF1F}\u{8BF7}\u{95EE}\u{662F}\u{4EC0}\u{4E48}\u{578B}\u{53F7}\u{7684}\u{FF1F}",
            &[],
        ), // 您是说软驱读不了盘，对吗？请问是什么型号的？
        (
            "\u{6211}\u{4EEC}\u{7ED9}\u{60A8}\u{514D}\u{8D39}\u{6362}\u{4E00}\u{4E2A}\u{65B0}\u{8F6F}\u{9A71}\u{FF0C}\u{660E}\u{5929}\u{4E0A}\u{5348}\u{6D3E}\u{5DE5}\u{7A0B}\u{5E08}\u{4E0A}\u{95E8}\u{FF0C}\u{6362}\u{597D}\u{540E}\u{6211}\u{518D}\u{56DE}\u{8BBF}\u{60A8}\u{3002}",
            &[],
        ), // 我们给您免费换一个新软驱，明天上午派工程师上门，换好后我再回访您。
    ];
    let (_, v) = scored("emotional", "floppy-drive", short, "resolved");
    assert_eq!(v["grade"], "不合格", "{v}");
    assert_eq!(v["cap_reason"], "不足 3 轮", "{v}");
}

/// Saying nothing wrong is worth its points only in a session that handled the
/// complaint: the customer accepted, or at least half the 处理流程 was done. Four kind
/// lines that take nothing up keep a fraction of 禁语与禁止法则, and the card says why;
/// the same lines in a session the customer accepted keep it all.
#[test]
fn compliance_is_earned_by_handling() {
    let calming: &[(&str, &[&str])] = &[
        (
            "\u{60A8}\u{597D}\u{FF0C}\u{60A8}\u{5148}\u{522B}\u{6025}\u{FF0C}\u{6162}\u{6162}\u{8BF4}\u{3002}",
            &[],
        ), // 您好，您先别急，慢慢说。
        (
            "\u{60A8}\u{653E}\u{5FC3}\u{FF0C}\u{6211}\u{4E00}\u{5B9A}\u{8BA4}\u{771F}\u{5BF9}\u{5F85}\u{3002}",
            &[],
        ), // 您放心，我一定认真对待。
    ];
    let compliance = |v: &serde_json::Value| {
        let d = dimension(v, "compliance");
        let unhandled = (d["evidence"].as_array().unwrap().iter())
            .find(|e| e["rule"] == "compliance.unhandled")
            .cloned();
        (
            d["score"].as_f64().unwrap(),
            d["max"].as_f64().unwrap(),
            unhandled,
        )
    };
    let (_, v) = scored("emotional", "floppy-drive", calming, "out_of_turns");
    let (score, max, unhandled) = compliance(&v);
    assert!(score < max / 2.0, "{v}");
    let e = unhandled.unwrap_or_else(|| panic!("no compliance.unhandled: {v}"));
    assert!(e["points"].as_f64().unwrap() < 0.0, "{e}");
    assert!(e["better"].is_string(), "{e}");
    let (_, v) = scored("emotional", "floppy-drive", calming, "resolved");
    let (score, max, unhandled) = compliance(&v);
    assert_eq!(score, max, "{v}");
    assert!(unhandled.is_none(), "{v}");
}

/// A customer type's own weights change the dimensions' maxima, which still add up
/// to the rubric's 100, so the CSV columns and the card's bars sum to the total.
#[test]
fn a_customer_types_weights_are_scaled_to_one_hundred() {
    for (persona, scenario) in [
        ("emotional", "floppy-drive"),
        ("prepared", "swapped-mainboard"),
        ("influential", "stalled-train"),
    ] {
        let (_, v) = scored(persona, scenario, GOOD, "resolved");
        let dims = v["dimensions"].as_array().unwrap();
        let max: f64 = dims.iter().map(|d| d["max"].as_f64().unwrap()).sum();
        assert!((max - 100.0).abs() < 1e-6, "{persona}: {max}");
        let got: f64 = dims.iter().map(|d| d["score"].as_f64().unwrap()).sum();
        assert!(
            (got - v["total"].as_f64().unwrap()).abs() < 0.2,
            "{persona}"
        );
        let empathy = dims.iter().find(|d| d["id"] == "empathy").unwrap();
        let e = empathy["max"].as_f64().unwrap();
        if persona == "emotional" {
            assert!(e > 10.0, "empathy matters most with 感情用事: {e}");
        } else {
            assert!(e < 10.0, "{persona}: facts and speed matter more: {e}");
        }
    }
}

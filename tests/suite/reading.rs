//! The reading on lines its authors never saw: the held-out table through the real
//! binary, input-method invariance, slots, and robustness on arbitrary text.

use crate::common;

use peilian::reading::{self, Act, Tense, Who, default_reader, train::parse_examples};
use proptest::prelude::*;

const HELDOUT: &str = "tests/data/heldout-reading/a.tsv";
/// The second writer's batch, opened once the reading was wired in (see its README).
const HELDOUT_B: &str = "tests/data/heldout-reading/b.tsv";

/// The held-out table through the real binary: per act and micro precision/recall.
fn heldout_table() -> serde_json::Value {
    table_of(HELDOUT)
}

fn table_of(file: &str) -> serde_json::Value {
    let out = common::peilian()
        .args(["rubric", "evaluate", "--json"])
        .arg(common::repo(file))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = common::stdout_json(out);
    assert!(
        v["lines"].as_u64().unwrap() >= 600,
        "at least 600 held-out lines"
    );
    v
}

/// Acts below the floors `p` and `r`, and the micro total below `mp`/`mr`.
fn below(v: &serde_json::Value, p: f64, r: f64, mp: f64, mr: f64) -> Vec<String> {
    let mut failures = Vec::new();
    for a in v["acts"].as_array().unwrap() {
        let (ap, ar) = (
            a["precision"].as_f64().unwrap(),
            a["recall"].as_f64().unwrap(),
        );
        let n = a["tp"].as_u64().unwrap() + a["fn"].as_u64().unwrap();
        assert!(n >= 20, "{} has only {n} held-out lines", a["act"]);
        if ap < p || ar < r {
            failures.push(format!("{} P={ap:.3} R={ar:.3}", a["act"]));
        }
    }
    let (xp, xr) = (
        v["micro"]["precision"].as_f64().unwrap(),
        v["micro"]["recall"].as_f64().unwrap(),
    );
    if xp < mp || xr < mr {
        failures.push(format!("micro P={xp:.3} R={xr:.3}"));
    }
    failures
}

/// The floors the reading issue sets: per act P ≥ 0.90 and R ≥ 0.85; micro P ≥ 0.95
/// and R ≥ 0.90. Not met yet (the README's table says where it stands), so it runs
/// with `cargo test -- --ignored` until it is.
#[test]
#[ignore = "the reading issue's floors are not met yet; see the README's held-out table"]
fn heldout_table_meets_the_issue_floors() {
    let v = heldout_table();
    let failures = below(&v, 0.90, 0.85, 0.95, 0.90);
    assert!(failures.is_empty(), "below the floors: {failures:#?}");
}

/// Where the reading stands on the held-out lines today (see the numbers below and the
/// README's table): a change that reads worse fails here.
#[test]
fn heldout_micro_does_not_fall_back() {
    let v = heldout_table();
    let failures = below(&v, 0.0, 0.0, 0.91, 0.90);
    assert!(failures.is_empty(), "a.tsv fell back: {failures:#?}");
    let v = table_of(HELDOUT_B);
    let failures = below(&v, 0.0, 0.0, 0.91, 0.90);
    assert!(failures.is_empty(), "b.tsv fell back: {failures:#?}");
    // Batches c and d (fresh writers, decks and acts.md only), each measured on arrival:
    // c P 0.909, R 0.857; d P 0.911, R 0.897. Their lines are unread. Batch e, measured
    // on arrival and after the next two changes: P 0.883 / 0.884 / 0.887, R 0.853 /
    // 0.850 / 0.8495 (reading "free of charge" 不收钱 as no negation: precision up,
    // one line's recall down).
    //
    // Then two more example files were trained on (the seventh writer's natural
    // negative acts, the pushback lines) and the model became the average of five fits
    // from different shuffles (changing only the shuffle had moved precision by up to
    // 0.02): a P 0.924 -> 0.922, R 0.900 -> 0.913; b 0.910 -> 0.917, 0.901 -> 0.903;
    // c 0.915 -> 0.910, 0.855 -> 0.868; d 0.916 -> 0.915, 0.892 -> 0.910; e 0.887 ->
    // 0.900, 0.8495 -> 0.866. The floors follow, a little under.
    //
    // Batch f (1,063 lines by an eighth writer, decks and acts.md only), measured once
    // on arrival with the model above: P 0.927, R 0.874.
    for (file, mp, mr) in [
        ("tests/data/heldout-reading/c.tsv", 0.90, 0.86),
        ("tests/data/heldout-reading/d.tsv", 0.91, 0.90),
        ("tests/data/heldout-reading/e.tsv", 0.895, 0.86),
        ("tests/data/heldout-reading/f.tsv", 0.92, 0.87),
    ] {
        let failures = below(&table_of(file), 0.0, 0.0, mp, mr);
        assert!(failures.is_empty(), "{file} fell back: {failures:#?}");
    }
}

fn load(path: &str) -> Vec<reading::Example> {
    let text = std::fs::read_to_string(common::repo(path)).unwrap();
    parse_examples(&text, path, &reading::act::is_known_label).unwrap()
}

/// Full-width ↔ ASCII punctuation, both ways.
fn swap_width(t: &str) -> (String, String) {
    const PAIRS: [(char, char); 6] = [
        ('\u{FF0C}', ','),
        ('\u{FF1F}', '?'),
        ('\u{FF01}', '!'),
        ('\u{FF1A}', ':'),
        ('\u{FF1B}', ';'),
        ('\u{3002}', '.'),
    ];
    let to_ascii = t
        .chars()
        .map(|c| PAIRS.iter().find(|p| p.0 == c).map_or(c, |p| p.1))
        .collect();
    let to_wide = t
        .chars()
        .map(|c| PAIRS.iter().find(|p| p.1 == c).map_or(c, |p| p.0))
        .collect();
    (to_ascii, to_wide)
}

fn acts(t: &str) -> Vec<(Act, Option<&'static str>)> {
    default_reader()
        .read(t)
        .acts
        .iter()
        .map(|a| (a.act, a.forbidden))
        .collect()
}

#[test]
fn input_method_punctuation_changes_nothing() {
    let mut lines: Vec<String> = load(HELDOUT).into_iter().map(|e| e.text).collect();
    lines.extend(default_reader().examples().iter().map(|e| e.text.clone()));
    assert!(lines.len() > 1000);
    for l in &lines {
        let (ascii, wide) = swap_width(l);
        assert_eq!(acts(&ascii), acts(&wide), "{l}");
        assert_eq!(acts(l), acts(&wide), "{l}");
    }
}

#[test]
fn slots_on_heldout_lines() {
    let text =
        std::fs::read_to_string(common::repo("tests/data/heldout-reading/slots-a.tsv")).unwrap();
    let (mut n, mut amount_ok, mut time_ok, mut who_ok) = (0, 0, 0, 0);
    let mut wrong = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f.len(), 4, "{line}");
        n += 1;
        // The clause-level slots of all clauses, merged as the engine reads a line.
        let n_text = reading::normalise::normalise(f[0]);
        let cls = reading::clause::split(&n_text);
        let slots: Vec<reading::Slots> = cls
            .iter()
            .map(|c| {
                let cs: Vec<char> = n_text.chars[c.start..c.end].iter().map(|x| x.c).collect();
                reading::slots::read(&cs)
            })
            .collect();
        let amount = slots.iter().find_map(|s| s.amount);
        let want_amount = (f[1] != "-").then(|| f[1].parse::<f64>().unwrap());
        if amount == want_amount {
            amount_ok += 1;
        } else {
            wrong.push(format!("amount {line} → {amount:?}"));
        }
        let tense = slots.iter().find_map(|s| s.time.as_ref().map(|t| t.tense));
        let want_tense = match f[2] {
            "future" => Some(Tense::Future),
            "past" => Some(Tense::Past),
            _ => None,
        };
        if tense == want_tense {
            time_ok += 1;
        } else {
            wrong.push(format!("time {line} → {tense:?}"));
        }
        let who = slots.iter().find_map(|s| s.who);
        let want_who = match f[3] {
            "agent" => Some(Who::Agent),
            "customer" => Some(Who::Customer),
            _ => None,
        };
        if who == want_who {
            who_ok += 1;
        } else {
            wrong.push(format!("who {line} → {who:?}"));
        }
    }
    assert!(n >= 80);
    let rate = |k: i32| f64::from(k) / f64::from(n);
    eprintln!(
        "slots on {n} held-out lines: amount {:.3}, time {:.3}, who {:.3}",
        rate(amount_ok),
        rate(time_ok),
        rate(who_ok)
    );
    // Measured when the file was first read: amount 0.857, time 0.929, who 0.735.
    assert!(
        rate(amount_ok) >= 0.83 && rate(time_ok) >= 0.9 && rate(who_ok) >= 0.7,
        "{wrong:#?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Any text reads without a panic, and every span lies on char boundaries of the
    /// text as typed.
    #[test]
    fn reading_never_panics(s in "\\PC{0,80}", extra in "[，。？！、…～「」 \u{200B}\u{FEFF}0-9a-zA-Z您你不没吗]{0,20}") {
        for t in [s.clone(), format!("{s}{extra}"), format!("{extra}{s}{extra}")] {
            let r = default_reader().read(&t);
            for a in &r.acts {
                prop_assert!(a.start <= a.end && a.end <= t.len());
                prop_assert!(t.is_char_boundary(a.start) && t.is_char_boundary(a.end));
            }
            for c in &r.clauses {
                prop_assert!(t.is_char_boundary(c.start) && t.is_char_boundary(c.end));
            }
        }
    }
}

#[test]
fn the_binary_reads_a_line_as_json() {
    let out = common::peilian()
        .args(["analyze", "--json"])
        .write_stdin("全额退款这个我确实办不了\u{FF0C}不过可以给您换一台新的\n")
        .output()
        .unwrap();
    let v = common::stdout_json(out);
    let kinds: Vec<&str> = v["acts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"refuse") && kinds.contains(&"offer"),
        "{kinds:?}"
    );
    for a in v["acts"].as_array().unwrap() {
        for field in [
            "start",
            "end",
            "polarity",
            "confidence",
            "slots",
            "evidence",
        ] {
            assert!(!a[field].is_null(), "{field} in {a}");
        }
    }
}

/// A 禁语 hidden by a zero-width space, by spaces inside the phrase, or typed in
/// traditional characters (as staff in Hong Kong or Taiwan and real chat logs type) is
/// the same 禁语 to the customer and to the scorecard, which still quotes what was typed.
#[test]
fn hidden_forbidden_phrases_are_seen_by_the_customer_and_the_card() {
    let d = common::Dir::new();
    let variants = [
        "公司的规\u{200B}定就是这样的",
        "公司的规 定就是这样的",
        "公 司 的 规 定 就 是 这 样 的",
        "公司的\u{898F}\u{5B9A}就是\u{9019}\u{6A23}的",
    ];
    for (i, line) in variants.iter().enumerate() {
        let answers = d.write(&format!("a{i}.txt"), format!("{line}\n"));
        let transcript = d.path().join(format!("t{i}.jsonl"));
        let v = common::stdout_json(
            common::peilian()
                .args(["run", "--persona", "emotional", "--json", "--answers"])
                .arg(&answers)
                .arg("--transcript")
                .arg(&transcript)
                .output()
                .unwrap(),
        );
        let turn = &v["turns"][0];
        let kinds: Vec<&str> = turn["signals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["forbidden"], "{line}: {turn}");
        assert!(
            turn["anger"].as_i64() > v["initial"]["anger"].as_i64(),
            "{line}: {turn}"
        );
        let card = common::stdout_json(
            common::peilian()
                .args(["score", "--format", "json"])
                .arg(&transcript)
                .output()
                .unwrap(),
        );
        assert_eq!(card["forbidden_count"], 1, "{line}: {card}");
        assert!(card.to_string().contains(*line), "the card quotes {line}");
    }
    // The traditional line is folded for reading only: the customer's words and the
    // transcript keep what was typed.
    let typed = std::fs::read_to_string(d.path().join("t3.jsonl")).unwrap();
    assert!(typed.contains("\u{898F}\u{5B9A}"));
}

//! Property test: no number a trainer writes in a rubric can make scoring panic. Every
//! rubric the loader accepts scores a session to a finite total from 0 to 100 and one
//! of its own grades; every other one is refused by the loader.

use crate::common;

use std::sync::OnceLock;

use peilian::persona::Catalog;
use peilian::rubric::{default_rubric, load_rubric_text};
use peilian::transcript::Transcript;
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};

/// A small rubric, so that each case compiles quickly: a 禁语, a good kind, a rule
/// whose weight is drawn.
const RULES: &str = r#"id = "props"
name = "随机分数"
version = 1
[[rules]]
id = "forbidden.policy"
kind = "forbidden"
phrase = "公司的规定就是这样的"
patterns = ['规定就是这样']
better = "按照规定我们可以先为您……"
weight = WEIGHT
[[rules]]
id = "empathy.feel"
kind = "empathy"
patterns = ['理解您的心情']
"#;

/// Any number TOML can spell: ordinary, negative, huge, tiny, infinite, not a number.
fn number() -> impl Strategy<Value = f64> {
    prop_oneof![
        80 => 0.0..150.0f64,
        1 => -1000.0..1000.0f64,
        1 => any::<f64>(),
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(f64::NEG_INFINITY),
        1 => Just(0.0),
        1 => Just(1e308),
        1 => Just(-0.0),
    ]
}

fn toml_number(v: f64) -> String {
    if v.is_nan() {
        "nan".into()
    } else if v.is_infinite() {
        if v > 0.0 { "inf" } else { "-inf" }.into()
    } else {
        format!("{v:e}")
    }
}

fn rubric_text(
    rule_weight: f64,
    weights: &[f64],
    violation: f64,
    grades: &[f64],
    cap: usize,
) -> String {
    const NAMES: [&str; 5] = ["优秀", "良好", "合格", "不合格", "及格"];
    let mut t = RULES.replace("WEIGHT", &toml_number(rule_weight));
    t.push_str(&format!(
        "[scoring]\nviolation_points = {}\nforbidden_cap = \"{}\"\n[scoring.weights]\n",
        toml_number(violation),
        NAMES.get(cap).copied().unwrap_or("")
    ));
    let dims = [
        "compliance",
        "empathy",
        "apology",
        "process",
        "courtesy",
        "persona",
        "outcome",
    ];
    for (d, w) in dims.iter().zip(weights) {
        t.push_str(&format!("{d} = {}\n", toml_number(*w)));
    }
    for (name, min) in NAMES.iter().zip(grades) {
        t.push_str(&format!(
            "[[scoring.grades]]\nname = \"{name}\"\nmin = {}\n",
            toml_number(*min)
        ));
    }
    t
}

/// Sessions with a 禁语, violations (three apologies, a rushed remedy) and good turns.
fn transcripts() -> &'static [Transcript] {
    static T: OnceLock<Vec<Transcript>> = OnceLock::new();
    T.get_or_init(|| {
        let d = common::Dir::new();
        let bad: &[(&str, &[&str])] = &[
            ("给您换一个新的。", &[]),
            ("公司的规定就是这样的。", &[]),
            ("对不起。", &[]),
            ("真的对不起。", &[]),
            ("非常抱歉。", &[]),
        ];
        [
            ("good.jsonl", common::GOOD_SESSION, "resolved"),
            ("bad.jsonl", bad, "walked_out"),
        ]
        .iter()
        .map(|(name, lines, outcome)| {
            let p = d.write(
                name,
                common::transcript("emotional", "floppy-drive", lines, outcome),
            );
            peilian::transcript::read(&p).expect("a hand-written transcript reads")
        })
        .collect()
    })
}

/// A grade's threshold: mostly within 0–100, sometimes anything.
fn grade_min() -> impl Strategy<Value = f64> {
    prop_oneof![8 => 0.0..=100.0f64, 1 => number()]
}

/// Score both sessions with the rubric `text` if it loads; whether it did.
fn check(text: &str) -> Result<bool, TestCaseError> {
    let Ok(analyser) = load_rubric_text("props.toml", text) else {
        return Ok(false);
    };
    let catalog = Catalog::load(None, default_rubric()).expect("built-ins load");
    let entry = catalog.find("emotional").expect("a built-in persona");
    let scenario = entry
        .persona
        .scenario("floppy-drive")
        .expect("its scenario");
    for t in transcripts() {
        let card = peilian::score::score(
            t,
            "t.jsonl",
            &entry.persona,
            scenario,
            "0",
            &analyser,
            String::new(),
        );
        prop_assert!(
            card.total.is_finite() && (0.0..=100.0).contains(&card.total),
            "{text}\ntotal {}",
            card.total
        );
        let grades = &analyser.rubric().scoring.grades;
        prop_assert!(
            grades.iter().any(|g| g.name == card.grade),
            "{text}\ngrade {}",
            card.grade
        );
    }
    Ok(true)
}

#[test]
fn no_rubric_number_makes_scoring_panic() {
    let accepted = AtomicUsize::new(0);
    let strategy = (
        number(),
        proptest::collection::vec(number(), 7),
        number(),
        proptest::collection::vec(grade_min(), 0..5),
        0usize..7,
    );
    let mut runner = TestRunner::new(ProptestConfig::with_cases(300));
    runner
        .run(
            &strategy,
            |(rule_weight, weights, violation, mut grades, cap)| {
                // Mostly best first, as trainers write them; sometimes not.
                if cap % 3 != 0 {
                    grades.sort_by(|a, b| b.total_cmp(a));
                }
                let text = rubric_text(rule_weight, &weights, violation, &grades, cap);
                if check(&text)? {
                    accepted.fetch_add(1, Ordering::Relaxed);
                }
                Ok(())
            },
        )
        .unwrap();
    // Both branches are exercised: many rubrics load and score, many are refused.
    let n = accepted.into_inner();
    assert!((10..290).contains(&n), "{n} of 300 rubrics loaded");
}

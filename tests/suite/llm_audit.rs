//! The self-audit against the shipped personas: every offline line passes in its own
//! situation (so a model that talks like the persona file is not overruled), and lines
//! that break character, coach, invent numbers or jump to an outcome fail.

use peilian::engine::{Decision, Engine, Move, OfflineVoice, Outcome};
use peilian::llm::{AuditFailure, Auditor};
use peilian::persona::Catalog;
use peilian::rubric::default_rubric;

const QUOTE: &str = "公司的规定就是这样的";

/// Each move with the outcome it comes with.
fn situations(engine: &Engine<'_>) -> Vec<Decision> {
    let sc = engine.scenario;
    let need = engine
        .persona
        .needs
        .first()
        .map_or(String::new(), |n| n.label.clone());
    let reason = sc
        .remedies
        .iter()
        .find(|r| !r.accept)
        .map_or("你光说不练".to_string(), |r| r.reason.clone());
    let remedy = sc.remedies.iter().find(|r| r.accept).unwrap().label.clone();
    let going = |moves: Vec<Move>| Decision {
        moves,
        outcome: None,
    };
    let mut out = vec![
        going(vec![Move::Opening]),
        going(vec![Move::Vent]),
        going(vec![Move::Calm]),
        going(vec![Move::Rushed { need }]),
        going(vec![Move::EmptyApology]),
        going(vec![Move::Template]),
        going(vec![Move::UnknownFact]),
        going(vec![Move::RejectRemedy { reason }]),
        going(vec![Move::Threaten]),
        Decision {
            moves: vec![Move::Accept { remedy }, Move::Closing],
            outcome: Some(Outcome::Resolved),
        },
        Decision {
            moves: vec![Move::WalkOut],
            outcome: Some(Outcome::WalkedOut),
        },
        Decision {
            moves: vec![Move::OutOfTurns],
            outcome: Some(Outcome::OutOfTurns),
        },
    ];
    for f in &sc.facts {
        out.push(going(vec![Move::AnswerFact {
            facts: vec![f.id.clone()],
        }]));
    }
    for kind in ["forbidden", "blame", "argue", "deflect", "impolite"] {
        out.push(going(vec![Move::ReactBad {
            kind: kind.into(),
            quote: QUOTE.into(),
        }]));
    }
    out
}

#[test]
fn every_shipped_line_passes_in_its_own_situation() {
    let analyser = default_rubric();
    let catalog = Catalog::load(None, analyser).unwrap();
    let mut checked = 0;
    let mut problems = Vec::new();
    for entry in catalog.entries() {
        let p = &entry.persona;
        for sc in &p.scenarios {
            let engine = Engine::new(p, sc, "normal", analyser).unwrap();
            let auditor = Auditor::new(&engine);
            for d in situations(&engine) {
                // A fresh state per situation: every single line once, no pairings.
                let mut st = engine.initial_state(7);
                let pool_len: usize = d
                    .moves
                    .iter()
                    .map(|m| p.lines.pool(m.pool()).len())
                    .max()
                    .unwrap_or(1);
                for _ in 0..pool_len {
                    let line = OfflineVoice.speak(&engine, &d, &mut st);
                    let f = auditor.check(&line, &d, &[QUOTE]);
                    checked += 1;
                    if !f.is_empty() {
                        problems.push(format!(
                            "{}/{} {:?}: {line}\n    {f:?}",
                            p.id, sc.id, d.moves
                        ));
                    }
                }
            }
        }
    }
    assert!(checked > 1000, "{checked}");
    assert!(
        problems.is_empty(),
        "{} of {checked} lines fail:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

fn prepared() -> (Catalog, &'static peilian::rubric::Analyser) {
    let analyser = default_rubric();
    (Catalog::load(None, analyser).unwrap(), analyser)
}

fn codes(f: &[AuditFailure]) -> Vec<&'static str> {
    f.iter().map(AuditFailure::code).collect()
}

#[test]
fn out_of_character_lines_fail() {
    let (catalog, analyser) = prepared();
    let p = &catalog.find("prepared").unwrap().persona;
    let engine = Engine::new(p, &p.scenarios[0], "normal", analyser).unwrap();
    let a = Auditor::new(&engine);
    let vent = Decision {
        moves: vec![Move::Vent],
        outcome: None,
    };
    let cases: [(&str, &str); 14] = [
        (
            "作为一个AI语言模型,我无法真正感到生气。",
            "breaks_character",
        ),
        ("我只是一个程序,在模拟客户。", "breaks_character"),
        ("我现在火气 72/100,你看着办。", "breaks_character"),
        (
            "I am very angry about the repair, please refund me now!",
            "not_chinese",
        ),
        ("建议你先安抚客户的情绪,再复述问题。", "coaches"),
        ("作为客服,你应该先道歉。", "coaches"),
        // What a model writes: full-width commas (the pattern had lost its own).
        ("作为客服\u{FF0C}你应该先道歉。", "coaches"),
        ("作为一名客服人员\u{FF0C}您应当先复述问题。", "coaches"),
        ("我的订单号是 WX-9999-1234,你查一下。", "invents_fact"),
        ("我花了 1500 元修电脑!", "invents_fact"),
        ("好吧,我接受这个方案,就这么办吧。", "accepts_undecided"),
        ("算了,我挂了,再见。", "ends_undecided"),
        ("", "empty"),
        (&"你们这样不行。".repeat(30), "too_long"),
    ];
    for (line, code) in cases {
        let f = a.check(line, &vent, &[]);
        assert!(codes(&f).contains(&code), "{line:?} → {f:?}, want {code}");
    }
}

#[test]
fn in_character_lines_pass() {
    let (catalog, analyser) = prepared();
    let p = &catalog.find("prepared").unwrap().persona;
    let engine = Engine::new(p, &p.scenarios[0], "normal", analyser).unwrap();
    let a = Auditor::new(&engine);
    let vent = Decision {
        moves: vec![Move::Vent],
        outcome: None,
    };
    for line in [
        "我不接受这个方案,你们先把事情说清楚!",
        "你凭什么让我接受这种处理?",
        "维修单号WX-0312-0457,860元,你们自己查。",
        "你说三天内处理,那我就等你48小时。",
        "你们别想就这么挂了我的电话。",
        "我已经打过12315了,你们看着办。",
    ] {
        let f = a.check(line, &vent, &["我们48小时内给您答复"]);
        assert!(f.is_empty(), "{line:?} → {f:?}");
    }
    let accept = Decision {
        moves: vec![
            Move::Accept {
                remedy: "退款".into(),
            },
            Move::Closing,
        ],
        outcome: Some(Outcome::Resolved),
    };
    assert!(
        a.check("好,我接受这个方案,就这么办吧。再见。", &accept, &[])
            .is_empty()
    );
}

#[test]
fn partial_lines_are_judged_only_on_what_cannot_change() {
    let (catalog, analyser) = prepared();
    let p = &catalog.find("prepared").unwrap().persona;
    let engine = Engine::new(p, &p.scenarios[0], "normal", analyser).unwrap();
    let a = Auditor::new(&engine);
    let vent = Decision {
        moves: vec![Move::Vent],
        outcome: None,
    };
    // "86" may become "860元": not yet a stranger's number.
    assert!(a.check_partial("一共花了86", &vent, &[]).is_empty());
    assert!(a.check_partial("", &vent, &[]).is_empty());
    assert_eq!(
        codes(&a.check_partial("一共花了8888元", &vent, &[])),
        ["invents_fact"]
    );
    assert!(codes(&a.check_partial("你说的这个AI", &vent, &[])).contains(&"breaks_character"));
    assert!(
        codes(&a.check_partial("Hello, I am a customer and", &vent, &[])).contains(&"not_chinese")
    );
    assert!(
        a.check_partial("Hello", &vent, &[]).is_empty(),
        "too short to judge"
    );
}

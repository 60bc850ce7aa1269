//! Property test: the coach and the scorecard apply one rule set. In random sessions of
//! every shipped persona and scenario (trainee lines from the utterance table and the
//! personas' self-checks, with promises the policies forbid and promises taken back),
//! every warning the coach gives under a turn is on the scorecard for that turn under
//! the same rule and words, and every deduction the card makes for a turn was a coach
//! warning under it. The one deduction that belongs to no line, 合规 scaled down for a
//! session that never took the complaint up (`compliance.unhandled`), is the card's.
//!
//! The session is played as `practice` plays it, through [`Session::say_live`], and the
//! coach is the function the REPL and the page show (`repl::view::warnings`, whose worst
//! entry is the coach line); the card is the session's own scorecard.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use peilian::engine::Engine;
use peilian::persona::Catalog;
use peilian::repl::view;
use peilian::rubric::default_rubric;
use peilian::session::{Live, Options, Session};
use peilian::transcript::TurnRecord;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// Lines the utterance table lacks: promises the scenarios' policies forbid, one taken
/// back in a later turn, and rudeness said more than twice.
const EXTRA: [&str; 10] = [
    "\u{6211}\u{4EEC}\u{7ED9}\u{60A8}\u{5168}\u{989D}\u{9000}\u{6B3E}\u{3002}", // 我们给您全额退款。
    "\u{8FD9}\u{6837}\u{5427}\u{FF0C}\u{76F4}\u{63A5}\u{7ED9}\u{60A8}\u{6362}\u{4E00}\u{53F0}\u{65B0}\u{673A}\u{3002}", // 这样吧，直接给您换一台新机。
    "\u{6211}\u{4EEC}\u{53CC}\u{500D}\u{8D54}\u{507F}\u{60A8}\u{3002}", // 我们双倍赔偿您。
    "\u{4ECA}\u{5929}\u{9A6C}\u{4E0A}\u{5168}\u{90E8}\u{4FEE}\u{597D}\u{FF0C}\u{6211}\u{4FDD}\u{8BC1}\u{3002}", // 今天马上全部修好，我保证。
    "\u{7ED9}\u{60A8}\u{8D54}\u{5341}\u{500D}\u{3002}", // 给您赔十倍。
    "\u{4E0D}\u{597D}\u{610F}\u{601D}\u{FF0C}\u{53EA}\u{80FD}\u{9000}\u{4E00}\u{534A}\u{3002}", // 不好意思，只能退一半。
    "\u{4F60}\u{5230}\u{5E95}\u{60F3}\u{600E}\u{4E48}\u{6837}\u{FF1F}", // 你到底想怎么样？
    "\u{4F60}\u{542C}\u{4E0D}\u{61C2}\u{5417}\u{FF1F}",                 // 你听不懂吗？
    "\u{6211}\u{4EEC}\u{4FDD}\u{8BC1}\u{8D54}\u{507F}\u{60A8}\u{7684}\u{5168}\u{90E8}\u{635F}\u{5931}\u{3002}", // 我们保证赔偿您的全部损失。
    "\u{9A6C}\u{4E0A}\u{7ED9}\u{60A8}\u{9000}\u{5230}\u{8D26}\u{3002}", // 马上给您退到账。
];

/// Every trainee line the test draws from: the benchmarks' corpus (the utterance table
/// and the personas' self-checks) and [`EXTRA`].
fn pool(catalog: &Catalog) -> Vec<String> {
    let mut lines = crate::bench_common::trainee_lines(catalog);
    // Often enough that most sessions hold a promise the card must list.
    for _ in 0..lines.len() / 20 {
        lines.extend(EXTRA.iter().map(|s| s.to_string()));
    }
    lines
}

/// (turn, rule, quote); the quote is empty for a rule over the whole line.
type Mark = (u32, String, String);

/// Play `lines` as practice does; the coach's warnings of every turn, and the card's
/// entries for a turn (every one, and those that cost points).
fn play(
    engine: &Engine<'_>,
    entry: &peilian::persona::Entry,
    seed: u64,
    lines: &[&str],
) -> (Vec<Mark>, BTreeSet<Mark>, Vec<Mark>, String) {
    let opts = Options {
        seed,
        ..Options::default()
    };
    let mut s = Session::start(engine, &entry.source, &opts).expect("a session starts");
    let mut warned = Vec::new();
    let cancel = AtomicBool::new(false);
    for line in lines {
        if s.outcome().is_some() {
            break;
        }
        let mut on_decided = |t: &TurnRecord, earlier: &[TurnRecord]| {
            for w in view::warnings(engine, earlier, t) {
                warned.push((t.n, w.rule, w.quote));
            }
        };
        let mut live = Live {
            on_decided: &mut on_decided,
            on_event: &mut |_| {},
            cancel: &cancel,
        };
        s.say_live(line, &mut live).expect("a turn plays");
    }
    s.finish_unfinished("test").expect("the session ends");
    let card = s.scorecard(&entry.source, "t.jsonl");
    let mut listed = BTreeSet::new();
    let mut deducted = Vec::new();
    for d in &card.dimensions {
        for e in &d.evidence {
            let Some(n) = e.turn else { continue };
            listed.insert((n, e.rule.clone(), e.quote.clone()));
            if e.points < 0.0 {
                deducted.push((n, e.rule.clone(), e.quote.clone()));
            }
        }
    }
    let said: Vec<String> = s.turns().iter().map(|t| t.trainee.clone()).collect();
    (warned, listed, deducted, said.join(" / "))
}

#[test]
fn every_coach_warning_is_on_the_card_and_every_deduction_was_warned() {
    let analyser = default_rubric();
    let catalog = Catalog::load(None, analyser).expect("the shipped personas load");
    let mut engines = Vec::new();
    for entry in catalog.entries() {
        for scenario in &entry.persona.scenarios {
            let engine = Engine::new(&entry.persona, scenario, "normal", analyser)
                .expect("an engine builds");
            engines.push((entry, engine));
        }
    }
    let pool = pool(&catalog);
    let (warnings, promises) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let strategy = (
        0..engines.len(),
        any::<u64>(),
        proptest::collection::vec(0..pool.len(), 3..12),
    );
    let mut runner = TestRunner::new(Config::with_cases(160));
    runner
        .run(&strategy, |(e, seed, picks)| {
            let (entry, engine) = &engines[e];
            let lines: Vec<&str> = picks.iter().map(|&i| pool[i].as_str()).collect();
            let (warned, listed, deducted, said) = play(engine, entry, seed, &lines);
            let on_card = |(n, rule, quote): &Mark| {
                (listed.iter()).any(|(m, r, q)| m == n && r == rule && (quote.is_empty() || q == quote))
            };
            for w in &warned {
                prop_assert!(
                    on_card(w),
                    "the coach warned of {w:?}, the card does not list it\n{said}\ncard: {listed:?}"
                );
            }
            for d in &deducted {
                let (n, rule, quote) = d;
                prop_assert!(
                    (warned.iter()).any(|(m, r, q)| m == n && r == rule && (q.is_empty() || q == quote)),
                    "the card deducts {d:?}, the coach never warned of it\n{said}\nwarned: {warned:?}"
                );
            }
            warnings.fetch_add(warned.len(), Ordering::Relaxed);
            let broken = (warned.iter()).filter(|w| w.1 == peilian::score::BROKEN_PROMISE.0);
            promises.fetch_add(broken.count(), Ordering::Relaxed);
            Ok(())
        })
        .unwrap();
    // The property is not vacuous: the sessions gave warnings, broken promises among them.
    let (warnings, promises) = (warnings.into_inner(), promises.into_inner());
    eprintln!("{warnings} warnings, {promises} broken promises");
    assert!(warnings > 100, "{warnings} warnings in all");
    assert!(promises > 5, "{promises} broken promises warned of");
}

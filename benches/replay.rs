//! What the replay check adds to scoring a transcript: a recorded 20-turn session
//! scored (as `score` and `assess` do) against the same session replayed through the
//! engine and compared turn by turn. Issue 17 asks that replay cost less than scoring;
//! the engine is compiled once per run and shared, as `assess` shares it.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use peilian::engine::Engine;
use peilian::persona::Catalog;
use peilian::replay::{self, Engines, Replay};
use peilian::rubric::default_rubric;
use peilian::score::score;
use peilian::session::{Options, Session};

/// Handling that keeps the customer in the session for a long conversation.
const LINES: [&str; 12] = [
    "您好,这里是售后服务中心,请问有什么可以帮您?",
    "请问您的维修单号是多少?",
    "嗯,您接着说",
    "是哪天打的电话?",
    "非常理解您的心情,换作是我也会着急",
    "您的电脑是什么型号?",
    "好的,我记一下",
    "具体是什么情况?",
    "您有清洗盘吗?",
    "您的意思是软驱读不了盘,对吗?",
    "还有其他情况吗?",
    "我都记下了",
];

fn replay_vs_score(c: &mut Criterion) {
    let analyser = default_rubric();
    let catalog = Catalog::load(None, analyser).unwrap();
    let entry = catalog.find("emotional").unwrap();
    let scenario = &entry.persona.scenarios[0];
    let engine = Engine::new(&entry.persona, scenario, "normal", analyser).unwrap();
    let opts = Options {
        seed: 3,
        ..Options::default()
    };
    let mut s = Session::start(&engine, &entry.source, &opts).unwrap();
    for l in LINES {
        if s.outcome().is_some() {
            break;
        }
        s.say(l).unwrap();
    }
    s.finish_unfinished("学员台词用完").unwrap();
    let t = s.transcript();
    eprintln!("transcript: {} turns", t.turns.len());
    let engines = Engines::default();
    assert_eq!(
        replay::check(&t, entry, scenario, analyser, &engines),
        Replay::Verified
    );
    c.bench_function("replay/score", |b| {
        b.iter(|| {
            black_box(score(
                black_box(&t),
                "t.jsonl",
                &entry.persona,
                scenario,
                entry.source.content.hash(),
                analyser,
                String::new(),
            ))
        })
    });
    c.bench_function("replay/check", |b| {
        b.iter(|| {
            black_box(replay::check(
                black_box(&t),
                entry,
                scenario,
                analyser,
                &engines,
            ))
        })
    });
}

criterion_group!(benches, replay_vs_score);
criterion_main!(benches);

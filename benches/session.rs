//! A full 20-turn offline session, analyser and mood model and line choice included
//! (target < 1 ms), with no transcript I/O.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use peilian::engine::Engine;
use peilian::persona::{Catalog, Entry};
use peilian::rubric::default_rubric;
use peilian::session::{Options, Session};

/// Twenty turns of mixed handling that keep the session open to the end.
const LINES: [&str; 20] = [
    "您好,这里是售后服务中心,请问有什么可以帮您?",
    "请问您的维修单号是多少?",
    "嗯,您接着说",
    "是哪天打的电话?",
    "非常理解您的心情,换作是我也会着急",
    "您的电脑是什么型号?",
    "好的,我记一下",
    "具体是什么情况?",
    "我在听",
    "您有清洗盘吗?",
    "明白",
    "您的意思是软驱读不了盘,对吗?",
    "您说",
    "我记下来了",
    "还有其他情况吗?",
    "您接着说",
    "好",
    "明白了",
    "请您慢慢说",
    "我都记下了",
];

fn session(c: &mut Criterion) {
    let analyser = default_rubric();
    let catalog = Catalog::load(None, analyser).unwrap();
    let shipped = catalog.find("emotional").unwrap();
    // Patience raised so that all twenty turns are played.
    let mut entry: Entry = shipped.clone();
    entry.persona.mood.patience = 40;
    entry.persona.mood.walk_out_at = 100;
    let scenario = &entry.persona.scenarios[0];
    let opts = Options {
        seed: 3,
        ..Options::default()
    };
    c.bench_function("session/compile-scenario", |b| {
        b.iter(|| black_box(Engine::new(&entry.persona, scenario, "normal", analyser).unwrap()))
    });
    let engine = Engine::new(&entry.persona, scenario, "normal", analyser).unwrap();
    c.bench_function("session/offline-20-turns", |b| {
        b.iter(|| {
            let mut s = Session::start(&engine, &entry.source, &opts).unwrap();
            for l in LINES {
                if s.outcome().is_some() {
                    break;
                }
                black_box(s.say(black_box(l)).unwrap());
            }
            assert_eq!(s.turns().len(), 20);
        })
    });
}

criterion_group!(benches, session);
criterion_main!(benches);

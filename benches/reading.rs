//! The reading's throughput on real-style agent lines (the example lines it was fitted
//! on, 20–40 characters typical; target ≥ 500k lines/s on one core), the whole signal
//! path (reading plus the exact 禁语 rules), and loading the embedded model.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use peilian::reading::{Scratch, default_reader, model::Model};
use peilian::rubric::default_rubric;
use std::hint::black_box;

fn corpus() -> Vec<String> {
    default_reader()
        .examples()
        .iter()
        .map(|e| e.text.clone())
        .collect()
}

fn reading(c: &mut Criterion) {
    let lines = corpus();
    let chars: usize = lines.iter().map(|l| l.chars().count()).sum();
    eprintln!(
        "corpus: {} lines, {:.1} characters avg",
        lines.len(),
        chars as f64 / lines.len() as f64
    );
    let reader = default_reader();
    let mut g = c.benchmark_group("reading");
    g.throughput(Throughput::Elements(lines.len() as u64));
    g.bench_function("read", |b| {
        let mut s = Scratch::default();
        b.iter(|| {
            let mut n = 0;
            for l in &lines {
                n += reader.read_with(black_box(l), &mut s).acts.len();
            }
            n
        })
    });
    let analyser = default_rubric();
    g.bench_function("signals", |b| {
        let mut out = Vec::new();
        b.iter(|| {
            let mut n = 0;
            for l in &lines {
                analyser.analyse_into(black_box(l), &mut out);
                n += out.len();
            }
            n
        })
    });
    g.finish();
}

fn load(c: &mut Criterion) {
    let bytes = std::fs::read(concat!(env!("OUT_DIR"), "/default.model")).ok();
    if let Some(bytes) = bytes {
        c.bench_function("load model", |b| {
            b.iter(|| Model::from_bytes(black_box(&bytes)).map(|m| m.width()))
        });
    }
}

criterion_group!(benches, reading, load);
criterion_main!(benches);

//! Analyser throughput on a realistic corpus with the default rubric (target ≥ 1M
//! utterances/s on one core), and start-up cost: compiling the rubric and loading the
//! six personas (target < 10 ms), and what loading leaves to first use.

mod common;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use peilian::persona::Catalog;
use peilian::rubric::{DEFAULT_RUBRIC, default_rubric, load_rubric_text};
use std::hint::black_box;

/// Trainee lines as typed: the utterance table plus every self-check line of the
/// shipped personas.
fn corpus() -> Vec<String> {
    let catalog = Catalog::load(None, default_rubric()).expect("shipped personas load");
    common::trainee_lines(&catalog)
}

fn analyse(c: &mut Criterion) {
    let analyser = default_rubric();
    let lines = corpus();
    let bytes: usize = lines.iter().map(String::len).sum();
    eprintln!(
        "corpus: {} utterances, {} bytes, {:.1} bytes avg",
        lines.len(),
        bytes,
        bytes as f64 / lines.len() as f64
    );
    let mut g = c.benchmark_group("analyse");
    g.throughput(Throughput::Elements(lines.len() as u64));
    g.bench_function("utterances", |b| {
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
    let mut g = c.benchmark_group("analyse-bytes");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("utterances", |b| {
        let mut out = Vec::new();
        b.iter(|| {
            for l in &lines {
                analyser.analyse_into(black_box(l), &mut out);
            }
        })
    });
    g.finish();
}

fn load(c: &mut Criterion) {
    c.bench_function("load/rubric+six-personas", |b| {
        b.iter(|| {
            let a = load_rubric_text("rubrics/default.toml", black_box(DEFAULT_RUBRIC)).unwrap();
            let cat = Catalog::load(None, &a).unwrap();
            black_box(cat.entries().len())
        })
    });
}

/// What loading leaves to first use: the literal index and every automaton
/// (`compile_all`, which `peilian practice` runs on a thread while the trainee reads
/// the brief).
fn first_use(c: &mut Criterion) {
    c.bench_function("load/rubric+compile_all", |b| {
        b.iter(|| {
            let a = load_rubric_text("rubrics/default.toml", black_box(DEFAULT_RUBRIC)).unwrap();
            a.compile_all().unwrap();
            black_box(a.analyse("您好").len())
        })
    });
}

criterion_group!(benches, analyse, load, first_use);
criterion_main!(benches);

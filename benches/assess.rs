//! An assessment run over 10,000 recorded 20-turn transcripts: scorecards and summary,
//! through the library function `peilian assess` uses (target < 2 s on two cores).
//!
//! The corpus is generated: trainee lines from `tests/data/utterances.toml` and the
//! shipped personas' self-checks, written as JSONL transcripts across all six personas
//! and their scenarios. After the run, the analysis step alone (every trainee turn)
//! is timed on one core and compared with `benches/analyse_compare.py`, the same
//! rubric with Python's `re`. Settings, by environment variable:
//!
//! - `PEILIAN_BENCH_TRANSCRIPTS`: how many transcripts (default 10000);
//! - `PEILIAN_BENCH_CORPUS`: keep the corpus in this directory (`transcripts/*.jsonl`,
//!   and `lines.txt` with every trainee line, for `benches/analyse_compare.py` and
//!   `peilian analyze`) instead of a temporary one — to measure the real binary:
//!   `/usr/bin/time -v target/release/peilian assess DIR/transcripts --out OUT`;
//! - `PEILIAN_BENCH_OUT`: write the outputs under this directory (default: the system
//!   temporary directory). Every output is written atomically and synced, so the file
//!   system matters: `/dev/shm` separates the CPU cost from the disk's.

use std::path::Path;
use std::time::Instant;

mod common;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use peilian::assess::{self, Plan, RunSettings};
use peilian::engine::Rng;
use peilian::persona::Catalog;
use peilian::rubric::default_rubric;
use peilian::transcript::{
    BackendRef, End, Header, Mood, PersonaRef, RubricRef, SignalRecord, Transcript, TurnRecord,
};

const TURNS: u32 = 20;

/// Write `n` transcripts into `dir/transcripts` and every trainee line into
/// `dir/lines.txt`; returns the transcripts' total size in bytes.
fn generate(dir: &Path, n: usize, catalog: &Catalog) -> u64 {
    let analyser = default_rubric();
    let pool = common::trainee_lines(catalog);
    let tdir = dir.join("transcripts");
    std::fs::create_dir_all(&tdir).unwrap();
    let mut all_lines = String::new();
    let mut bytes = 0;
    let entries = catalog.entries();
    let outcomes = ["resolved", "out_of_turns", "walked_out", "unfinished"];
    for i in 0..n {
        let entry = &entries[i % entries.len()];
        let p = &entry.persona;
        let scenario = &p.scenarios[(i / entries.len()) % p.scenarios.len()];
        let mut rng = Rng::new(i as u64);
        let mut anger = 70;
        let turns: Vec<TurnRecord> = (1..=TURNS)
            .map(|n| {
                let text = pool[rng.below(pool.len())].clone();
                all_lines.push_str(&text);
                all_lines.push('\n');
                anger = (anger + rng.below(21) as i32 - 11).clamp(0, 99);
                // Recorded as practice records it: the scorer reuses this reading.
                let signals = analyser
                    .analyse(&text)
                    .iter()
                    .map(|s| SignalRecord {
                        kind: analyser.kind(s).id.clone(),
                        rule: analyser.rule(s).id.clone(),
                        start: s.start,
                        end: s.end,
                    })
                    .collect();
                TurnRecord {
                    n,
                    trainee: text,
                    signals,
                    acts: Vec::new(),
                    customer: p.lines.venting[rng.below(p.lines.venting.len())].clone(),
                    anger,
                    trust: 30,
                    needs_met: if n > 10 {
                        p.needs.iter().take(1).map(|x| x.id.clone()).collect()
                    } else {
                        Vec::new()
                    },
                    events: Vec::new(),
                    moves: Vec::new(),
                    voice: None,
                }
            })
            .collect();
        let t = Transcript {
            header: Header {
                format: 1,
                peilian: env!("CARGO_PKG_VERSION").into(),
                persona: PersonaRef {
                    id: p.id.clone(),
                    name: p.name.clone(),
                    hash: entry.source.content.hash().into(),
                },
                scenario: scenario.id.clone(),
                difficulty: "normal".into(),
                rubric: RubricRef {
                    id: analyser.rubric().id.clone(),
                    version: analyser.rubric().version,
                    hash: analyser.hash().into(),
                },
                backend: BackendRef::offline(),
                seed: i as u64,
                trainee: format!("学员{:03}", i % 250),
                started_at: "2026-01-01T00:00:00Z".into(),
                initial: Mood {
                    anger: 70,
                    trust: 20,
                },
                opening: p.lines.opening[0].clone(),
                opening_voice: None,
                retry_of: None,
                mode: None,
                restart_of: None,
                via: None,
            },
            turns,
            end: Some(End {
                outcome: outcomes[i % outcomes.len()].into(),
                reason: String::new(),
                turns: TURNS,
                anger,
                restarted: false,
            }),
            undos: Vec::new(),
        };
        let text = peilian::transcript::to_jsonl(&t);
        bytes += text.len() as u64;
        std::fs::write(tdir.join(format!("t{i:05}.jsonl")), text).unwrap();
    }
    std::fs::write(dir.join("lines.txt"), all_lines).unwrap();
    bytes
}

/// One assessment run, as `peilian assess DIR --out OUT` does it.
fn run(corpus: &Path, out: &Path, catalog: &Catalog) -> usize {
    let analyser = default_rubric();
    let plan = Plan::dir(&corpus.join("transcripts")).unwrap();
    let settings = RunSettings {
        renderers: Vec::new(),
        llm: None,
        card_ext: "json",
        exam_only: false,
        key: None,
    };
    let out = assess::OutDir::lock(out, || {}).unwrap();
    let report = assess::assess(plan, catalog, analyser, &settings, &out, &|| {}).unwrap();
    assert!(report.failures.is_empty(), "{:?}", report.failures.first());
    report.rows.len()
}

fn bench(c: &mut Criterion) {
    let n: usize = std::env::var("PEILIAN_BENCH_TRANSCRIPTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let catalog = Catalog::load(None, default_rubric()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let corpus = std::env::var_os("PEILIAN_BENCH_CORPUS")
        .map_or_else(|| tmp.path().join("corpus"), Into::into);
    let started = Instant::now();
    let bytes = generate(&corpus, n, &catalog);
    eprintln!(
        "corpus: {n} transcripts of {TURNS} turns, {:.1} MB, generated in {:.2} s → {}",
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64(),
        corpus.display()
    );
    let out_base =
        std::env::var_os("PEILIAN_BENCH_OUT").map_or_else(|| tmp.path().to_path_buf(), Into::into);
    std::fs::create_dir_all(&out_base).unwrap();
    let fresh_out = || tempfile::tempdir_in(&out_base).unwrap();
    // One cold run, reported in the units the target is stated in.
    let out = fresh_out();
    let started = Instant::now();
    let scored = run(&corpus, out.path(), &catalog);
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "assess: {scored} transcripts in {secs:.2} s: {:.0} transcripts/s, {:.1} MB/s",
        scored as f64 / secs,
        bytes as f64 / 1e6 / secs
    );

    let mut g = c.benchmark_group("assess");
    g.sample_size(10);
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function(format!("{n}-transcripts"), |b| {
        // A fresh output directory each time, as a real run has; removing it is not
        // timed.
        b.iter_batched(
            fresh_out,
            |out| {
                run(&corpus, out.path(), &catalog);
                out
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();

    compare_with_python(&corpus);
}

/// The analysis step of the run — every trainee turn through the analyser — on one
/// core, against `benches/analyse_compare.py` doing the same with Python's `re` and
/// the same rubric (target: peilian ≥ 50× faster). Skipped without `python3`.
fn compare_with_python(corpus: &Path) {
    let lines_path = corpus.join("lines.txt");
    let text = std::fs::read_to_string(&lines_path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // A fresh analyser, so that the lazy DFAs' warm-up is part of the time, as it is
    // for a real run.
    let analyser =
        peilian::rubric::load_rubric_text("rubrics/default.toml", peilian::rubric::DEFAULT_RUBRIC)
            .unwrap();
    let started = Instant::now();
    let mut out = Vec::new();
    let mut signals = 0;
    for l in &lines {
        analyser.analyse_into(l, &mut out);
        signals += out.len();
    }
    let secs = started.elapsed().as_secs_f64();
    let ours = lines.len() as f64 / secs;
    eprintln!(
        "analysis: {} trainee turns in {secs:.3} s on one core: {ours:.0} utterances/s, \
         {:.1} MB/s; {signals} signals",
        lines.len(),
        text.len() as f64 / 1e6 / secs
    );
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/analyse_compare.py");
    let python = std::process::Command::new("python3")
        .arg(script)
        .arg(&lines_path)
        .arg("--rate")
        .output();
    match python {
        Ok(o) if o.status.success() => {
            let stdout = String::from_utf8_lossy(&o.stdout);
            eprint!("{stdout}");
            let rate = stdout
                .lines()
                .find_map(|l| l.strip_prefix("rate="))
                .and_then(|r| r.trim().parse::<f64>().ok());
            match rate {
                Some(theirs) => {
                    eprintln!("peilian / python re: {:.0}× (target ≥ 50×)", ours / theirs)
                }
                None => eprintln!("analyse_compare.py printed no rate"),
            }
        }
        Ok(o) => eprintln!(
            "analyse_compare.py failed: {}",
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => eprintln!("python3 not run ({e}); no comparison"),
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);

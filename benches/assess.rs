//! An assessment run over 10,000 recorded transcripts of up to 20 turns: scorecards and summary,
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
//! - `PEILIAN_BENCH_REPLAY_ONLY`: only measure the replay's share per transcript (for
//!   profiling the check: `perf record` on this bench then sees little else);
//! - `PEILIAN_BENCH_OUT`: write the outputs under this directory (default: the system
//!   temporary directory). Every output is written atomically and synced, so the file
//!   system matters: `/dev/shm` separates the CPU cost from the disk's.

use std::path::Path;
use std::time::Instant;

mod common;

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use peilian::assess::{self, Plan, RunSettings};
use peilian::engine::{Engine, Rng};
use peilian::persona::Catalog;
use peilian::replay::{self, Engines, Replay};
use peilian::rubric::default_rubric;
use peilian::score::score;
use peilian::session::{Options, Session};

const TURNS: u32 = 20;

/// Write `n` transcripts into `dir/transcripts` and every trainee line into
/// `dir/lines.txt`; returns the transcripts' total size in bytes.
///
/// Each transcript is a real session: up to 20 trainee lines from the corpus played
/// through the engine as `practice` plays them, so that every one replays clean and
/// the run pays the whole replay check (a made-up transcript fails it at its first
/// turn, which costs nothing). Random lines anger most customers, so many sessions
/// end in a walk-out before their twentieth turn, as poor sessions do.
fn generate(dir: &Path, n: usize, catalog: &Catalog) -> u64 {
    let analyser = default_rubric();
    let pool = common::trainee_lines(catalog);
    let tdir = dir.join("transcripts");
    std::fs::create_dir_all(&tdir).unwrap();
    let mut all_lines = String::new();
    let mut bytes = 0;
    let entries = catalog.entries();
    let mut engines = std::collections::HashMap::new();
    for i in 0..n {
        let entry = &entries[i % entries.len()];
        let p = &entry.persona;
        let sc = (i / entries.len()) % p.scenarios.len();
        let engine = engines
            .entry((i % entries.len(), sc))
            .or_insert_with(|| Engine::new(p, &p.scenarios[sc], "normal", analyser).unwrap());
        let opts = Options {
            seed: i as u64,
            trainee: format!("学员{:03}", i % 250),
            ..Options::default()
        };
        let mut s = Session::start(engine, &entry.source, &opts).unwrap();
        let mut rng = Rng::new(i as u64);
        for _ in 0..TURNS {
            if s.outcome().is_some() {
                break;
            }
            let text = &pool[rng.below(pool.len())];
            all_lines.push_str(text);
            all_lines.push('\n');
            s.say(text).unwrap();
        }
        s.finish_unfinished("学员台词用完").unwrap();
        let text = peilian::transcript::to_jsonl(&s.transcript());
        bytes += text.len() as u64;
        std::fs::write(tdir.join(format!("t{i:05}.jsonl")), text).unwrap();
    }
    std::fs::write(dir.join("lines.txt"), all_lines).unwrap();
    bytes
}

/// What the replay check adds to scoring, over the whole corpus on one core: each
/// transcript read and parsed, scored with its JSON card rendered (what `assess` does
/// for it besides writing files), and replayed. Issue 17 asks that the replay cost
/// less than the scoring itself.
fn replay_share(corpus: &Path, catalog: &Catalog) {
    let analyser = default_rubric();
    let engines = Engines::default();
    let mut paths: Vec<_> = std::fs::read_dir(corpus.join("transcripts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    let (mut read, mut scoring, mut replaying) = (0.0, 0.0, 0.0);
    let (mut turns, mut verified) = (0, 0);
    for path in &paths {
        let started = Instant::now();
        let t = peilian::transcript::read(path).unwrap();
        read += started.elapsed().as_secs_f64();
        turns += t.turns.len();
        let (entry, scenario) = catalog
            .resolve(&t.header.persona.id, Some(&t.header.scenario))
            .unwrap();
        let started = Instant::now();
        let card = score(
            &t,
            &path.display().to_string(),
            &entry.persona,
            scenario,
            entry.source.content.hash(),
            analyser,
            String::new(),
        );
        black_box(serde_json::to_vec(&card).unwrap());
        scoring += started.elapsed().as_secs_f64();
        let started = Instant::now();
        let r = replay::check(&t, entry, scenario, analyser, &engines);
        replaying += started.elapsed().as_secs_f64();
        verified += usize::from(r == Replay::Verified);
    }
    let n = paths.len() as f64;
    let us = |s: f64| s / n * 1e6;
    eprintln!(
        "per transcript ({} transcripts, {:.1} turns each, {verified} verified by replay), \
         one core: read and parse {:.1} µs, score and card {:.1} µs, replay {:.1} µs; \
         replay / (read + score) = {:.2}",
        paths.len(),
        turns as f64 / n,
        us(read),
        us(scoring),
        us(replaying),
        replaying / (read + scoring)
    );
}

/// One assessment run, as `peilian assess DIR --out OUT` does it (with `replay` off,
/// without the replay check, to measure what the check adds).
fn run_with(corpus: &Path, out: &Path, catalog: &Catalog, replay: bool) -> usize {
    let analyser = default_rubric();
    let plan = Plan::dir(&corpus.join("transcripts")).unwrap();
    let settings = RunSettings {
        renderers: Vec::new(),
        llm: None,
        card_ext: "json",
        exam_only: false,
        key: None,
        replay,
    };
    let out = assess::OutDir::lock(out, || {}).unwrap();
    let report = assess::assess(plan, catalog, analyser, &settings, &out, &|| {}).unwrap();
    assert!(report.failures.is_empty(), "{:?}", report.failures.first());
    report.rows.len()
}

fn run(corpus: &Path, out: &Path, catalog: &Catalog) -> usize {
    run_with(corpus, out, catalog, true)
}

/// What the replay check adds to a whole `assess` run, as an assessor waits for it:
/// runs without and with the check, alternating, five of each, on every core, writing
/// every card; the median wall time and the median CPU time (all threads, from
/// `/proc/self/stat`) of each. Issue 17 asks that the replay cost less than the
/// scoring itself: here, the time added by the check against the run without it.
fn replay_in_the_run(corpus: &Path, catalog: &Catalog, fresh_out: &dyn Fn() -> tempfile::TempDir) {
    let (mut off, mut on) = (Vec::new(), Vec::new());
    for round in 0..10 {
        let replay = round % 2 == 1;
        let out = fresh_out();
        let cpu = cpu_seconds();
        let started = Instant::now();
        run_with(corpus, out.path(), catalog, replay);
        let wall = started.elapsed().as_secs_f64();
        let cpu = cpu_seconds().zip(cpu).map(|(b, a)| b - a);
        if replay { &mut on } else { &mut off }.push((wall, cpu));
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let wall = |v: &[(f64, Option<f64>)]| median(&mut v.iter().map(|x| x.0).collect());
    let cpu = |v: &[(f64, Option<f64>)]| {
        let mut c: Vec<f64> = v.iter().filter_map(|x| x.1).collect();
        (!c.is_empty()).then(|| median(&mut c))
    };
    let (w0, w1) = (wall(&off), wall(&on));
    eprintln!(
        "assess without replay {w0:.2} s, with replay {w1:.2} s (wall, median of 5): \
         the check adds {:.2} s = {:.2} of the run without it",
        w1 - w0,
        (w1 - w0) / w0
    );
    if let (Some(c0), Some(c1)) = (cpu(&off), cpu(&on)) {
        eprintln!(
            "CPU time, all threads: without replay {c0:.2} s, with replay {c1:.2} s: \
             the check adds {:.2} s = {:.2} of the run without it",
            c1 - c0,
            (c1 - c0) / c0
        );
    }
}

/// User and system CPU time of this process so far, all threads (Linux only).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces, in parentheses): the
    // 14th and 15th fields of the line are utime and stime, in clock ticks.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    // The kernel's USER_HZ, 100 on every Linux peilian runs on.
    Some(ticks / 100.0)
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
        "corpus: {n} transcripts of up to {TURNS} turns, {:.1} MB, generated in {:.2} s → {}",
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64(),
        corpus.display()
    );
    if std::env::var_os("PEILIAN_BENCH_REPLAY_ONLY").is_some() {
        replay_share(&corpus, &catalog);
        return;
    }
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

    replay_in_the_run(&corpus, &catalog, &fresh_out);
    replay_share(&corpus, &catalog);
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

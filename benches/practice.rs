//! Practice against the targets of issue 5: from starting `peilian practice` to the
//! customer's first line (< 30 ms), one offline turn (< 1 ms at p99, the terminal
//! excluded) and the peak memory of a whole piped session (< 15 MB).
//!
//! A p99 or a peak is not a mean, so before criterion runs, the bench measures and
//! prints them itself:
//!
//! - start: the real binary, `peilian practice --persona emotional --seed 1` with
//!   stdin piped and a home of its own, timed from spawn until its stdout delivers the
//!   line `感情用事者：…`; `peilian --version`, spawn to exit, is the floor of any process;
//! - memory: `VmHWM` of the binary at its first customer line, and of whole piped
//!   sessions, each script of `tests/data/scripts/*/` played to its end, read from
//!   `/proc` as soon as the process has printed its last line (the HTML report's path,
//!   after the scorecard) and before it exits. Not `wait4`'s `ru_maxrss`: for a child
//!   spawned with `vfork`, as `Command` does, that counts the parent's memory too;
//! - turns: the same scripts played through [`Session`] as the REPL plays them (the
//!   reply normalised, the turn said and appended to a transcript, the coach and
//!   customer lines formatted, nothing printed), each turn timed alone. *First
//!   session*: each script with a freshly compiled rubric and catalog, as in a new
//!   process: either with every automaton built before the first turn, as `peilian
//!   practice` builds them on a thread of its own while the trainee reads the brief,
//!   or built the first time a line needs it (what a library caller gets). *Warm*:
//!   the scripts again and again in one process, caches full of these lines.
//!
//! Criterion then times a start, a `--version` and a warm turn (with and without the
//! transcript). The process measurements use the binary cargo built for this bench:
//! under `cargo bench` the bench profile, which inherits `release`; built otherwise
//! (as `cargo test --benches` does), they run once, as a smoke test, and say so.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use peilian::engine::Engine;
use peilian::persona::{Catalog, Entry};
use peilian::repl::{normalise_reply, view};
use peilian::rubric::{Analyser, DEFAULT_RUBRIC, load_rubric_text};
use peilian::session::{Options, Record, Session};
use peilian::ui::Style;

const BIN: &str = env!("CARGO_BIN_EXE_peilian");
/// How the binary prints the customer: `感情用事者：` then the line.
const CUSTOMER: &str = "感情用事者：";
/// The last line a finished practice prints, after the HTML report is written.
const LAST_LINE: &str = "评分报告：";
const SCRIPTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/scripts");

/// Whether this is a measurement (`cargo bench`, optimised) rather than a smoke test.
fn measuring() -> bool {
    !cfg!(debug_assertions) && std::env::args().any(|a| a == "--bench")
}

// ---------------------------------------------------------------------------------
// The binary

/// A home of its own, so no configuration, persona directory or history of the
/// machine's user changes what is measured.
struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let home = self.dir.path();
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_DATA_HOME", home.join("data"))
            .env("NO_COLOR", "1");
        for var in [
            "PEILIAN_CONFIG",
            "PEILIAN_PERSONA_DIR",
            "PEILIAN_RUBRIC",
            "PEILIAN_TRAINEE",
            "PEILIAN_SESSIONS_DIR",
        ] {
            cmd.env_remove(var);
        }
        cmd
    }

    fn practice(&self, persona: &str, extra: &[&str]) -> Child {
        let mut args = vec!["practice", "--persona", persona, "--seed", "1"];
        args.extend_from_slice(extra);
        self.command(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn peilian")
    }

    /// Each session leaves a transcript and a report; a name already taken within
    /// the same second makes the next session probe for a free one, so the
    /// directory is emptied between runs.
    fn clear_sessions(&self) {
        let _ = std::fs::remove_dir_all(self.dir.path().join("data/peilian/sessions"));
    }
}

/// Read lines until one starts with `prefix`; false at the end of the output.
fn read_until(out: &mut impl BufRead, prefix: &str) -> bool {
    let mut line = String::new();
    loop {
        line.clear();
        if out.read_line(&mut line).unwrap() == 0 {
            return false;
        }
        if line.starts_with(prefix) {
            return true;
        }
    }
}

/// The peak resident set of a live process, in KiB (`None` once it has exited).
fn vm_hwm(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// One start: spawn to the first customer line, and the peak memory at that moment
/// (the process is then waiting for the trainee). The session is then ended by
/// closing stdin, and the process reaped.
fn start_once(sb: &Sandbox) -> (Duration, Option<u64>) {
    let t = Instant::now();
    let mut child = sb.practice("emotional", &[]);
    let mut out = BufReader::new(child.stdout.take().unwrap());
    assert!(read_until(&mut out, CUSTOMER), "no customer line");
    let elapsed = t.elapsed();
    let hwm = vm_hwm(child.id());
    drop(child.stdin.take());
    // Read to the end: a closed pipe would make its last lines fail.
    std::io::copy(&mut out, &mut std::io::sink()).unwrap();
    assert!(child.wait().unwrap().success());
    sb.clear_sessions();
    (elapsed, hwm)
}

/// `peilian --version`, spawn to exit: what any process costs here.
fn version_once(sb: &Sandbox) -> Duration {
    let t = Instant::now();
    let out = sb
        .command(&["--version"])
        .stderr(Stdio::null())
        .output()
        .unwrap();
    let elapsed = t.elapsed();
    assert!(out.status.success());
    elapsed
}

/// What a whole piped session took at its peak.
struct Peak {
    /// VmHWM in KiB.
    kib: u64,
    /// Turns played.
    turns: usize,
}

/// A whole piped session, `script` played to its end (its outcome, or the end of its
/// lines): the peak memory read once the process has printed its last line, before
/// it exits. `None` when it exited before `/proc` could be read (try again).
fn session_peak(sb: &Sandbox, script: &Script) -> Option<Peak> {
    let mut child = sb.practice(
        &script.persona,
        &[
            "--scenario",
            &script.scenario,
            "--difficulty",
            &script.difficulty,
        ],
    );
    let pid = child.id();
    let mut text = script.lines.join("\n");
    text.push('\n');
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(text.as_bytes()).unwrap();
    drop(stdin);
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let (mut line, mut turns, mut kib) = (String::new(), 0, None);
    while out.read_line(&mut line).unwrap() > 0 {
        if line.starts_with("你：") {
            turns += 1;
        } else if line.starts_with(LAST_LINE) {
            kib = vm_hwm(pid);
            break;
        }
        line.clear();
    }
    std::io::copy(&mut out, &mut std::io::sink()).unwrap();
    assert!(child.wait().unwrap().success());
    sb.clear_sessions();
    Some(Peak { kib: kib?, turns })
}

fn session_peak_retried(sb: &Sandbox, script: &Script) -> Option<Peak> {
    (0..20).find_map(|_| session_peak(sb, script))
}

// ---------------------------------------------------------------------------------
// Turns in the library

/// One `tests/data/scripts/<persona>/*.txt`: header, then one reply a line.
struct Script {
    name: String,
    persona: String,
    scenario: String,
    difficulty: String,
    /// Replies as the REPL hands them to the session.
    lines: Vec<String>,
}

fn scripts() -> Vec<Script> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(SCRIPTS)
        .unwrap()
        .flat_map(|d| std::fs::read_dir(d.unwrap().path()).unwrap())
        .map(|f| f.unwrap().path())
        .filter(|f| f.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    files.iter().map(|f| script(f)).collect()
}

fn script(path: &Path) -> Script {
    let text = std::fs::read_to_string(path).unwrap();
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("# {name}:")))
            .unwrap_or_else(|| panic!("{}: no `# {name}:`", path.display()))
            .trim()
            .to_string()
    };
    let parent = path
        .parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy();
    Script {
        name: format!("{parent}/{}", path.file_name().unwrap().to_string_lossy()),
        persona: field("persona"),
        scenario: field("scenario"),
        difficulty: field("difficulty"),
        lines: text
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(normalise_reply)
            .collect(),
    }
}

/// A freshly compiled rubric, as a new process has: no kind's patterns built yet.
fn fresh_rubric() -> Analyser {
    load_rubric_text("rubrics/default.toml", DEFAULT_RUBRIC).unwrap()
}

/// The engine a script plays against.
fn engine<'a>(catalog: &'a Catalog, analyser: &'a Analyser, s: &Script) -> (Engine<'a>, &'a Entry) {
    let entry = catalog.find(&s.persona).unwrap();
    let scenario = entry.persona.scenario(&s.scenario).unwrap();
    let engine = Engine::new(&entry.persona, scenario, &s.difficulty, analyser).unwrap();
    (engine, entry)
}

/// What the REPL does for one reply, short of the terminal: normalise the line, play
/// the turn (written and flushed to the transcript, if any), format the coach line
/// and the customer's line with its mood bar.
fn turn(engine: &Engine<'_>, session: &mut Session<'_>, line: &str) -> usize {
    let style = Style { on: false };
    let reply = normalise_reply(line);
    session.say(&reply).unwrap();
    let (t, earlier) = session.turns().split_last().expect("just said");
    let coach = view::coach(&style, engine, earlier, t);
    let shown = view::customer(&style, &engine.persona.name, &t.customer, Some(t.anger));
    coach.map_or(0, |c| c.len()) + shown.len()
}

/// Play `script` once from a fresh session, timing each turn into `samples`.
fn play(
    engine: &Engine<'_>,
    entry: &Entry,
    script: &Script,
    seed: u64,
    transcript: Option<&Path>,
    samples: &mut Vec<Duration>,
) {
    let opts = Options {
        seed,
        trainee: "bench".into(),
        transcript: transcript.map_or(Record::Memory, |p| Record::At(p.to_path_buf())),
        ..Options::default()
    };
    let mut s = Session::start(engine, &entry.source, &opts).unwrap();
    for line in &script.lines {
        if s.outcome().is_some() {
            break;
        }
        let t = Instant::now();
        std::hint::black_box(turn(engine, &mut s, line));
        samples.push(t.elapsed());
    }
}

/// Each script once as the first session of a new process: a freshly compiled rubric
/// and catalog, with every kind's automaton built beforehand if `prebuilt`.
fn cold_turns(scripts: &[Script], transcript: Option<&Path>, prebuilt: bool) -> Vec<Duration> {
    let mut samples = Vec::new();
    for s in scripts {
        let analyser = fresh_rubric();
        if prebuilt {
            analyser.compile_all().unwrap();
        }
        let catalog = Catalog::load(None, &analyser).unwrap();
        let (engine, entry) = engine(&catalog, &analyser, s);
        play(&engine, entry, s, 1, transcript, &mut samples);
    }
    samples
}

/// Each script `rounds` times in one process, a new seed each round: lines the
/// rubric has seen before, so its automata are built and its caches full.
fn warm_turns(scripts: &[Script], rounds: u64, transcript: Option<&Path>) -> Vec<Duration> {
    let analyser = fresh_rubric();
    let catalog = Catalog::load(None, &analyser).unwrap();
    let engines: Vec<_> = scripts
        .iter()
        .map(|s| engine(&catalog, &analyser, s))
        .collect();
    let mut samples = Vec::new();
    for round in 0..rounds {
        for (s, (engine, entry)) in scripts.iter().zip(&engines) {
            play(engine, entry, s, round, transcript, &mut samples);
        }
    }
    samples
}

// ---------------------------------------------------------------------------------
// Report

struct Spread {
    n: usize,
    min: Duration,
    p50: Duration,
    p90: Duration,
    p99: Duration,
    max: Duration,
}

fn spread(samples: &[Duration]) -> Spread {
    let mut v = samples.to_vec();
    v.sort();
    let at = |q: f64| v[((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
    Spread {
        n: v.len(),
        min: v[0],
        p50: at(0.50),
        p90: at(0.90),
        p99: at(0.99),
        max: v[v.len() - 1],
    }
}

fn print_spread(label: &str, samples: &[Duration]) {
    let s = spread(samples);
    println!(
        "  {label:<41} n={:<6} min {:>9.3?}  p50 {:>9.3?}  p90 {:>9.3?}  p99 {:>9.3?}  max {:>9.3?}",
        s.n, s.min, s.p50, s.p90, s.p99, s.max
    );
}

/// KiB as MiB and as (decimal) MB: the target says "15 MB".
fn mib(kib: u64) -> String {
    format!(
        "{:.2} MiB = {:.2} MB",
        kib as f64 / 1024.0,
        kib as f64 * 1024.0 / 1e6
    )
}

/// The numbers criterion does not give: percentiles, maxima and peak memory.
fn report(scripts: &[Script]) {
    let full = measuring();
    println!(
        "\npractice: issue 5 targets — first customer line < 30 ms, turn < 1 ms p99, peak RSS < 15 MB"
    );
    if !full {
        println!("  (not an optimised `cargo bench` build: one run each, as a smoke test)");
    }
    println!("  binary {BIN}");

    let sb = Sandbox::new();
    let runs = if full { 60 } else { 1 };
    // One unmeasured start fills the page cache.
    start_once(&sb);
    let mut starts = Vec::new();
    let mut start_hwm = 0;
    for _ in 0..runs {
        let (t, hwm) = start_once(&sb);
        starts.push(t);
        start_hwm = start_hwm.max(hwm.unwrap_or(0));
    }
    let versions: Vec<Duration> = (0..runs).map(|_| version_once(&sb)).collect();
    println!("start (spawn → stdout line), {runs} runs:");
    print_spread("practice → `感情用事者：…`", &starts);
    print_spread("--version → exit (floor)", &versions);

    let good = scripts
        .iter()
        .find(|s| s.name == "emotional/good-1.txt")
        .expect("tests/data/scripts/emotional/good-1.txt");
    println!("memory (VmHWM of the binary; a session's read after its last line):");
    println!("  at the first customer line          {}", mib(start_hwm));
    match session_peak_retried(&sb, good) {
        Some(p) => println!(
            "  whole session, {} ({} turns, resolved)  {}",
            good.name,
            p.turns,
            mib(p.kib)
        ),
        None => println!("  whole session: the process always exited before /proc was read"),
    }
    let peaks: Vec<(&Script, Peak)> = scripts
        .iter()
        .take(if full { scripts.len() } else { 1 })
        .filter_map(|s| Some((s, session_peak_retried(&sb, s)?)))
        .collect();
    let mut kib: Vec<u64> = peaks.iter().map(|(_, p)| p.kib).collect();
    kib.sort();
    if let Some((s, p)) = peaks.iter().max_by_key(|(_, p)| p.kib) {
        println!(
            "  whole session, every script ({}): median {}, max {} ({}, {} turns)",
            peaks.len(),
            mib(kib[kib.len() / 2]),
            mib(p.kib),
            s.name,
            p.turns
        );
    }

    let scripts = if full { scripts } else { &scripts[..1] };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.jsonl");
    let rounds = if full { 100 } else { 1 };
    let builds: Vec<Duration> = (0..if full { 10 } else { 1 })
        .map(|_| {
            let a = fresh_rubric();
            let t = Instant::now();
            a.compile_all().unwrap();
            t.elapsed()
        })
        .collect();
    println!(
        "turns ({} scripts; normalise, say, coach and customer lines, no terminal):",
        scripts.len()
    );
    print_spread(
        "first session (as practice), transcript",
        &cold_turns(scripts, Some(&path), true),
    );
    print_spread(
        "first session (as practice), no transcr.",
        &cold_turns(scripts, None, true),
    );
    print_spread(
        "first session, built on first use",
        &cold_turns(scripts, Some(&path), false),
    );
    print_spread(
        "warm, transcript",
        &warm_turns(scripts, rounds, Some(&path)),
    );
    print_spread("warm, no transcript", &warm_turns(scripts, rounds, None));
    print_spread("compile_all (fresh rubric)", &builds);
    println!();
}

// ---------------------------------------------------------------------------------
// Criterion

/// Warm turns one after another, through every script in turn; starting each session
/// is left out of the time.
struct Cycle<'a> {
    scripts: &'a [Script],
    engines: &'a [(Engine<'a>, &'a Entry)],
    transcript: Option<PathBuf>,
    script: usize,
    line: usize,
    seed: u64,
    session: Option<Session<'a>>,
}

impl<'a> Cycle<'a> {
    fn new(
        scripts: &'a [Script],
        engines: &'a [(Engine<'a>, &'a Entry)],
        transcript: Option<PathBuf>,
    ) -> Self {
        Self {
            scripts,
            engines,
            transcript,
            script: 0,
            line: 0,
            seed: 0,
            session: None,
        }
    }

    fn next(&mut self) -> Duration {
        loop {
            if let Some(s) = &mut self.session
                && s.outcome().is_none()
                && let Some(line) = self.scripts[self.script].lines.get(self.line)
            {
                self.line += 1;
                let engine = &self.engines[self.script].0;
                let t = Instant::now();
                std::hint::black_box(turn(engine, s, line));
                return t.elapsed();
            }
            if self.session.is_some() {
                self.script = (self.script + 1) % self.scripts.len();
                if self.script == 0 {
                    self.seed += 1;
                }
            }
            let (engine, entry) = &self.engines[self.script];
            let opts = Options {
                seed: self.seed,
                trainee: "bench".into(),
                transcript: self.transcript.clone().map_or(Record::Memory, Record::At),
                ..Options::default()
            };
            self.session = Some(Session::start(engine, &entry.source, &opts).unwrap());
            self.line = 0;
        }
    }
}

fn practice(c: &mut Criterion) {
    let scripts = scripts();
    report(&scripts);

    let sb = Sandbox::new();
    let mut g = c.benchmark_group("practice");
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(20)
        .measurement_time(Duration::from_secs(10));
    g.bench_function("start-to-first-customer-line", |b| {
        b.iter_custom(|n| (0..n).map(|_| start_once(&sb).0).sum())
    });
    g.bench_function("spawn-version", |b| {
        b.iter_custom(|n| (0..n).map(|_| version_once(&sb)).sum())
    });
    g.finish();

    let analyser = fresh_rubric();
    let catalog = Catalog::load(None, &analyser).unwrap();
    let engines: Vec<_> = scripts
        .iter()
        .map(|s| engine(&catalog, &analyser, s))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let mut g = c.benchmark_group("practice");
    let mut written = Cycle::new(&scripts, &engines, Some(dir.path().join("t.jsonl")));
    g.bench_function("turn", |b| {
        b.iter_custom(|n| (0..n).map(|_| written.next()).sum())
    });
    let mut in_memory = Cycle::new(&scripts, &engines, None);
    g.bench_function("turn-no-transcript", |b| {
        b.iter_custom(|n| (0..n).map(|_| in_memory.next()).sum())
    });
    g.finish();
}

criterion_group!(benches, practice);
criterion_main!(benches);

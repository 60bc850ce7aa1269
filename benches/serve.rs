//! Turn latency of `peilian serve` over loopback with thirty trainees at once: the
//! real (release) binary, thirty clients each with its own session, all sending their
//! next reply at the same moment. One iteration is one turn as one client waits for it
//! (request sent to `done` event read); the offline voice's target is p99 < 50 ms.
//! After criterion's figures, the p50/p99/max of every turn timed are printed.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use reqwest::blocking::Client;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_peilian");
const TRAINEES: usize = 30;

/// Replies that keep a session going for a while; a session that ends is replaced.
const LINES: [&str; 4] = [
    "您好，您别急，有什么情况您慢慢说，我这边听着。",
    "请问您是哪天报修的？机器是什么型号？",
    "我理解您的心情，这事确实是我们做得不好。",
    "您放心，这件事我一定给您跟进到底。",
];

struct Server {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn server() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--trainer-code",
            "bench",
        ])
        // Thousands of turns a second from each client: far past a person's pace.
        .args(["--rate-limit", "0"])
        .arg("--sessions-dir")
        .arg(dir.path().join("sessions"))
        .env("HOME", dir.path())
        .env("XDG_CONFIG_HOME", dir.path().join(".config"))
        .env("XDG_DATA_HOME", dir.path().join(".local/share"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start peilian serve");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = lines
        .by_ref()
        .map_while(Result::ok)
        // 练习页面：http://127.0.0.1:PORT/
        .find_map(|l| {
            l.strip_prefix("练习页面\u{FF1A}")
                .map(|u| u.trim_end_matches('/').to_string())
        })
        .expect("the server prints its address");
    // Keep reading what the server says, so its stdout never closes under it.
    std::thread::spawn(move || lines.for_each(drop));
    Server {
        child,
        url,
        _dir: dir,
    }
}

/// One trainee: a client with a keep-alive connection and a session in progress.
struct Trainee {
    http: Client,
    url: String,
    token: String,
    session: String,
    said: usize,
}

impl Trainee {
    fn new(url: &str, n: usize) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let login: Value = http
            .post(format!("{url}/api/login"))
            .json(&json!({ "name": format!("学员{n:02}") }))
            .send()
            .unwrap()
            .json()
            .unwrap();
        let mut t = Self {
            http,
            url: url.to_string(),
            token: login["token"].as_str().unwrap().to_string(),
            session: String::new(),
            said: 0,
        };
        t.start();
        t
    }

    fn start(&mut self) {
        let v: Value = self
            .http
            .post(format!("{}/api/sessions", self.url))
            .bearer_auth(&self.token)
            .json(&json!({"persona": "emotional", "scenario": "floppy-drive", "difficulty": "normal"}))
            .send()
            .unwrap()
            .json()
            .unwrap();
        self.session = v["id"].as_str().unwrap().to_string();
    }

    /// One reply; how long until the customer's whole line was read.
    fn turn(&mut self) -> Duration {
        let line = LINES[self.said % LINES.len()];
        self.said += 1;
        let at = Instant::now();
        let body = self
            .http
            .post(format!("{}/api/sessions/{}/turn", self.url, self.session))
            .bearer_auth(&self.token)
            .json(&json!({ "text": line }))
            .send()
            .unwrap()
            .text()
            .unwrap();
        let took = at.elapsed();
        assert!(body.contains("event: done"), "{body}");
        if body.contains("\"ended\":{") {
            self.start();
        }
        took
    }
}

/// Thirty clients on threads of their own; each round, all send one turn at once.
struct Room {
    rounds: Vec<std::sync::mpsc::Sender<()>>,
    done: std::sync::mpsc::Receiver<Duration>,
    all: Arc<Mutex<Vec<Duration>>>,
}

impl Room {
    fn new(url: &str) -> Self {
        let barrier = Arc::new(Barrier::new(TRAINEES));
        let all = Arc::new(Mutex::new(Vec::new()));
        let (done_tx, done) = std::sync::mpsc::channel();
        let mut rounds = Vec::new();
        for n in 0..TRAINEES {
            let (tx, rx) = std::sync::mpsc::channel::<()>();
            rounds.push(tx);
            let (url, barrier, all, done_tx) = (
                url.to_string(),
                Arc::clone(&barrier),
                Arc::clone(&all),
                done_tx.clone(),
            );
            std::thread::spawn(move || {
                let mut t = Trainee::new(&url, n);
                for () in rx {
                    barrier.wait();
                    let took = t.turn();
                    all.lock().unwrap().push(took);
                    let _ = done_tx.send(took);
                }
            });
        }
        Self { rounds, done, all }
    }

    /// One round: every client's turn; the sum of their latencies.
    fn round(&self) -> Duration {
        for r in &self.rounds {
            r.send(()).unwrap();
        }
        (0..TRAINEES).map(|_| self.done.recv().unwrap()).sum()
    }
}

fn bench(c: &mut Criterion) {
    let server = server();
    let room = Room::new(&server.url);
    let mut g = c.benchmark_group("serve");
    g.sampling_mode(SamplingMode::Flat);
    g.sample_size(20);
    g.bench_function("turn_with_30_trainees_at_once", |b| {
        b.iter_custom(|n| {
            // n turns of one client: rounds of thirty, the mean per turn.
            let rounds = n.div_ceil(TRAINEES as u64).max(1);
            let total: Duration = (0..rounds).map(|_| room.round()).sum();
            total * n as u32 / (rounds as u32 * TRAINEES as u32)
        })
    });
    g.finish();
    let mut ms: Vec<f64> = room
        .all
        .lock()
        .unwrap()
        .iter()
        .map(|d| d.as_secs_f64() * 1e3)
        .collect();
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
    println!(
        "serve: {} turns with {TRAINEES} trainees at once: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        ms.len(),
        at(0.5),
        at(0.99),
        ms[ms.len() - 1]
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);

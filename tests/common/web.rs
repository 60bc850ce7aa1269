//! The real `peilian serve` on 127.0.0.1 and a real HTTP client for it, shared by the
//! API, browser and load tests.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use reqwest::blocking::{Client, Response};
use serde_json::{Value, json};

use super::Dir;

/// The trainer code every test server is started with.
pub const TRAINER_CODE: &str = "t-8730";

/// A running server: killed (SIGKILL) when dropped.
pub struct Server {
    child: Child,
    pub url: String,
    pub sessions: PathBuf,
}

impl Server {
    /// Start `peilian serve --listen 127.0.0.1:0` in `d` with its sessions in
    /// `d/sessions`, and wait (at most 60 s) for the address it prints.
    pub fn start(d: &Dir, extra: &[&str]) -> Self {
        Self::start_with_env(d, extra, &[])
    }

    /// [`Server::start`] with these environment variables set.
    pub fn start_with_env(d: &Dir, extra: &[&str], env: &[(&str, &str)]) -> Self {
        let sessions = d.path().join("sessions");
        let mut child = d
            .cmd_std()
            .envs(env.iter().copied())
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--trainer-code",
                TRAINER_CODE,
            ])
            .arg("--sessions-dir")
            .arg(&sessions)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start peilian serve");
        let out = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                // 练习页面：http://127.0.0.1:PORT/
                if let Some(url) = line.strip_prefix("练习页面\u{FF1A}") {
                    let _ = tx.send(url.trim_end_matches('/').to_string());
                }
            }
        });
        let url = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the server prints its address within 60 s");
        Self {
            child,
            url,
            sessions,
        }
    }

    /// Stop the server as a crash would: SIGKILL, no chance to clean up.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The transcripts written so far.
    pub fn transcripts(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(&self.sessions)
            .map(|rd| {
                rd.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A client of the server: a trainee once logged in (bearer token).
pub struct Trainee {
    pub http: Client,
    pub base: String,
    pub token: Option<String>,
}

/// A server-sent event: its name and JSON data.
#[derive(Debug, Clone)]
pub struct Sse {
    pub event: String,
    pub data: Value,
}

impl Trainee {
    pub fn new(server: &Server) -> Self {
        // reqwest is built with rustls and no provider chosen (as the LLM client is):
        // choose ring, once per process.
        let _ = rustls::crypto::ring::default_provider().install_default();
        Self {
            http: Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap(),
            base: server.url.clone(),
            token: None,
        }
    }

    /// Log in as `name` (with `code` if given); panics unless it succeeds.
    pub fn login(server: &Server, name: &str, code: Option<&str>) -> Self {
        let mut t = Self::new(server);
        let r = t.post("/api/login", &json!({ "name": name, "code": code }));
        assert_eq!(r.status(), 200, "login: {}", r.text().unwrap());
        let v: Value = r.json().unwrap();
        t.token = Some(v["token"].as_str().unwrap().to_string());
        t
    }

    fn auth(&self, r: reqwest::blocking::RequestBuilder) -> reqwest::blocking::RequestBuilder {
        match &self.token {
            Some(t) => r.bearer_auth(t),
            None => r,
        }
    }

    pub fn get(&self, path: &str) -> Response {
        self.auth(self.http.get(format!("{}{path}", self.base)))
            .send()
            .expect("GET")
    }

    pub fn post(&self, path: &str, body: &Value) -> Response {
        self.auth(self.http.post(format!("{}{path}", self.base)))
            .json(body)
            .send()
            .expect("POST")
    }

    pub fn post_empty(&self, path: &str) -> Response {
        self.auth(self.http.post(format!("{}{path}", self.base)))
            .send()
            .expect("POST")
    }

    /// A JSON answer, asserting a 200.
    pub fn ok(r: Response) -> Value {
        let status = r.status();
        let text = r.text().unwrap();
        assert_eq!(status, 200, "{text}");
        serde_json::from_str(&text).unwrap()
    }

    /// Start a session; its view.
    pub fn start(&self, persona: &str, mode: &str) -> Value {
        let menu = Self::ok(self.get("/api/menu"));
        let p = menu["personas"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == persona)
            .expect("the persona is on the menu");
        let scenario = p["scenarios"][0]["id"].as_str().unwrap();
        Self::ok(self.post(
            "/api/sessions",
            &json!({"persona": persona, "scenario": scenario, "difficulty": "normal", "mode": mode}),
        ))
    }

    /// Start a session; its id.
    pub fn start_id(&self, persona: &str, mode: &str) -> String {
        self.start(persona, mode)["id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Say a line; the events the server streamed back, ending with `done`.
    pub fn say(&self, id: &str, text: &str) -> Vec<Sse> {
        let r = self.post(
            &format!("/api/sessions/{id}/turn"),
            &json!({ "text": text }),
        );
        assert_eq!(r.status(), 200);
        parse_sse(&r.text().unwrap())
    }
}

/// Server-sent events from a whole body.
pub fn parse_sse(body: &str) -> Vec<Sse> {
    body.split("\n\n")
        .filter_map(|block| {
            let mut event = "message".to_string();
            let mut data = String::new();
            for l in block.lines() {
                if let Some(e) = l.strip_prefix("event:") {
                    event = e.trim().to_string();
                } else if let Some(d) = l.strip_prefix("data:") {
                    data.push_str(d.strip_prefix(' ').unwrap_or(d));
                }
            }
            (!data.is_empty()).then(|| Sse {
                event,
                data: serde_json::from_str(&data).expect("event data is JSON"),
            })
        })
        .collect()
}

/// The event named `name`.
pub fn event<'e>(events: &'e [Sse], name: &str) -> Option<&'e Value> {
    events.iter().find(|e| e.event == name).map(|e| &e.data)
}

/// The trainee lines of the emotional customer's advised handling (a resolved
/// session on the floppy-drive scenario).
pub fn good_lines() -> Vec<String> {
    std::fs::read_to_string(super::repo("tests/data/scripts/emotional/good-1.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

/// The record lines of a transcript, parsed.
pub fn records(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

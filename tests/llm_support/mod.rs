//! A loopback HTTP server for the LLM tests that plays scripted responses byte for byte:
//! normal SSE streams, JSON errors, a connection dropped mid-stream, a stall. Every
//! response closes its connection, so each request is one connection and one script.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// One thing the server does while answering.
#[derive(Debug, Clone)]
pub enum Step {
    Send(Vec<u8>),
    Sleep(Duration),
}

pub type Script = Vec<Step>;

/// A request as the server received it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("request body is JSON")
    }
}

#[derive(Default)]
struct State {
    chat: VecDeque<Script>,
    models: Option<Script>,
    requests: Vec<Request>,
}

pub struct Server {
    pub port: u16,
    state: Arc<Mutex<State>>,
}

impl Server {
    /// A server answering chat requests with `chat`, one script per request in order
    /// (the last is repeated), and `/models` with one model named `mock-model`.
    pub fn start(chat: Vec<Script>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State {
            chat: chat.into(),
            ..State::default()
        }));
        let st = Arc::clone(&state);
        thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let st = Arc::clone(&st);
                thread::spawn(move || serve(conn, &st));
            }
        });
        Self { port, state }
    }

    pub fn with_models(self, script: Script) -> Self {
        self.state.lock().unwrap().models = Some(script);
        self
    }

    /// The base URL to configure: `http://127.0.0.1:PORT/v1`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/v1", self.port)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.state.lock().unwrap().requests.clone()
    }

    pub fn chat_requests(&self) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| r.path.ends_with("/chat/completions"))
            .collect()
    }
}

fn serve(conn: TcpStream, state: &Mutex<State>) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        if line == "\r\n" {
            break;
        }
        head.push_str(&line);
    }
    let mut lines = head.lines();
    let mut first = lines.next().unwrap_or("").split(' ');
    let method = first.next().unwrap_or("").to_string();
    let path = first.next().unwrap_or("").to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let script = {
        let mut st = state.lock().unwrap();
        st.requests.push(Request {
            method,
            path: path.clone(),
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        });
        if path.ends_with("/models") {
            st.models
                .clone()
                .unwrap_or_else(|| json(200, &[], &models(&["mock-model"])))
        } else if st.chat.len() > 1 {
            st.chat.pop_front().unwrap()
        } else {
            st.chat.front().cloned().unwrap_or_default()
        }
    };
    let mut conn = conn;
    for step in script {
        match step {
            Step::Send(bytes) => {
                if conn.write_all(&bytes).and_then(|()| conn.flush()).is_err() {
                    return;
                }
            }
            Step::Sleep(d) => thread::sleep(d),
        }
    }
    // Dropping the stream closes the connection, whatever the script sent.
}

pub fn ms(n: u64) -> Step {
    Step::Sleep(Duration::from_millis(n))
}

pub fn send(s: impl AsRef<[u8]>) -> Step {
    Step::Send(s.as_ref().to_vec())
}

/// A JSON response with a length.
pub fn json(status: u16, headers: &[(&str, &str)], body: &str) -> Script {
    let mut head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        reason(status),
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    vec![send(head + body)]
}

/// A non-JSON body (a proxy's HTML page).
pub fn text(status: u16, body: &str) -> Script {
    vec![send(format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        reason(status),
        body.len()
    ))]
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        _ => "Status",
    }
}

/// The head of an SSE response whose body ends when the connection closes.
pub fn sse_head() -> Step {
    send(
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n",
    )
}

/// One SSE event.
pub fn event(data: &str) -> Step {
    send(format!("data: {data}\n\n"))
}

/// A delta chunk carrying `content` (a JSON value: a string or `null`).
pub fn delta(content: &str) -> String {
    format!(
        r#"{{"id":"c1","object":"chat.completion.chunk","created":1,"model":"mock","choices":[{{"index":0,"delta":{{"content":{content}}},"finish_reason":null}}]}}"#
    )
}

pub fn token(t: &str) -> String {
    delta(&serde_json::to_string(t).unwrap())
}

/// What llama.cpp's server sends: a role-only first chunk with `content: null`, the
/// tokens, a finish chunk, a usage chunk with empty `choices`, then `[DONE]`.
pub fn sse_reply(tokens: &[&str]) -> Script {
    let mut s = vec![
        sse_head(),
        event(
            r#"{"choices":[{"index":0,"delta":{"role":"assistant","content":null},"finish_reason":null}]}"#,
        ),
    ];
    for t in tokens {
        s.push(event(&token(t)));
    }
    s.push(event(
        r#"{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#,
    ));
    s.push(event(
        r#"{"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":5,"total_tokens":17}}"#,
    ));
    s.push(event("[DONE]"));
    s
}

/// A non-streamed completion.
pub fn completion(text: &str) -> Script {
    json(
        200,
        &[],
        &format!(
            r#"{{"id":"c1","object":"chat.completion","choices":[{{"index":0,"message":{{"role":"assistant","content":{}}},"finish_reason":"stop"}}],"usage":{{"prompt_tokens":3,"completion_tokens":4}}}}"#,
            serde_json::to_string(text).unwrap()
        ),
    )
}

pub fn models(ids: &[&str]) -> String {
    let data: Vec<String> = ids
        .iter()
        .map(|i| format!(r#"{{"id":"{i}","object":"model"}}"#))
        .collect();
    format!(r#"{{"object":"list","data":[{}]}}"#, data.join(","))
}

/// A port on which nothing listens.
pub fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

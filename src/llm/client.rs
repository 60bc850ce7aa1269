//! The chat-completions client: one blocking call per customer line, streamed by
//! default, with timeouts, a deadline per reply, bounded retries and cancellation.
//!
//! The REPL and the scripted commands are synchronous, so the surface is blocking; inside,
//! a private single-threaded tokio runtime drives reqwest, which lets every wait (for the
//! connection, the first byte, each chunk, a retry's back-off) also watch the cancel
//! flag, so Ctrl-C stops a generation within a fraction of a second. A request is sent
//! again only when the server was not reached, was rate-limiting, or failed on its side
//! (5xx), at most [`RetryPolicy::attempts`](super::RetryPolicy) times in all, and never
//! once a token has been handed to the caller. Every wait is bounded twice: by the read
//! timeout (silence) and by the reply's deadline (a server dripping a token every few
//! seconds is never silent for long, but must not hold a turn for minutes). Model text
//! is cleaned of terminal control sequences and of the API key before anyone sees it.

use std::future::Future;
use std::ops::ControlFlow;
use std::sync::OnceLock;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use reqwest::header::{self, HeaderMap, HeaderValue};

use super::error::LlmError;
use super::retry::{Stop, guarded, retry_after, wait_before_retry};
use super::scrub::Scrubber;
use super::settings::Settings;
use super::sse::SseParser;
use super::wire::{
    ChatBody, Chunk, Completion, Message, StreamOptions, Usage, is_context_error,
    message_from_json, message_of, parse_models,
};
use crate::ui::{self, Sanitizer};

/// What a caller is told while a reply is being produced.
#[derive(Debug, Clone, Copy)]
pub enum ReplyEvent<'a> {
    /// Clean text to show now (a streamed token, or a whole non-streamed reply).
    Token(&'a str),
    /// A request failed in a way worth retrying; the next one starts after `wait`.
    Retrying {
        /// The request about to be made (2 for the first retry).
        attempt: u32,
        of: u32,
        wait: Duration,
        error: &'a LlmError,
    },
    /// Only from [`LlmVoice`](super::LlmVoice): text shown since the last `Discarded`
    /// (or the start) does not count; `why` is one Chinese line to show. A new attempt
    /// or the offline line follows.
    Discarded { why: &'a str },
}

/// A request: the messages and the per-call sampling limits.
#[derive(Debug, Clone)]
pub struct ChatRequest<'a> {
    pub messages: &'a [Message],
    pub max_tokens: u32,
    pub temperature: f64,
    /// When the reply must be complete, retries included: the settings' reply timeout
    /// from when the request was made. A caller making several attempts for one line
    /// keeps one deadline for all of them.
    pub deadline: Instant,
}

/// A finished reply.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The text, cleaned of control sequences; what the caller was given as tokens.
    pub text: String,
    /// `stop`, `length` (cut at `max_tokens`), … as the server said.
    pub finish_reason: Option<String>,
    /// The caller's sink stopped the reply early; `text` holds what it accepted.
    pub halted: bool,
    pub usage: Option<Usage>,
    /// The model asked for.
    pub model: String,
    /// Requests made, retries included.
    pub attempts: u32,
    /// From the start of the call to the first token.
    pub first_token: Option<Duration>,
    pub elapsed: Duration,
    pub streamed: bool,
}

/// A blocking client for one server.
pub struct Client {
    settings: Settings,
    http: reqwest::Client,
    rt: tokio::runtime::Runtime,
    model: OnceLock<String>,
}

/// The most of an error body read and of a server message shown.
const MAX_ERROR_BODY: usize = 64 * 1024;
const MAX_MESSAGE_CHARS: usize = 200;
/// The most of a non-streamed reply read; a customer line is a few hundred bytes.
const MAX_BODY: usize = 8 * 1024 * 1024;

/// rustls needs a process-wide crypto provider; ring is the one linked in.
fn install_crypto_provider() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        // An error means one is already installed, which is all we need.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

impl Client {
    pub fn new(settings: Settings) -> Result<Self, LlmError> {
        install_crypto_provider();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .map_err(|e| LlmError::Setup(e.to_string()))?;
        let mut headers = HeaderMap::new();
        if let Some(key) = &settings.api_key {
            let mut v =
                HeaderValue::from_str(&format!("Bearer {}", key.expose())).map_err(|_| {
                    LlmError::Setup("密钥里有不能放进 HTTP 头的字符（换行、中文等）".into())
                })?;
            v.set_sensitive(true);
            headers.insert(header::AUTHORIZATION, v);
        }
        let http = {
            let _guard = rt.enter();
            reqwest::Client::builder()
                .connect_timeout(settings.connect_timeout)
                .user_agent(concat!("peilian/", env!("CARGO_PKG_VERSION")))
                .default_headers(headers)
                .build()
                .map_err(|e| LlmError::Setup(e.to_string()))?
        };
        Ok(Self {
            settings,
            http,
            rt,
            model: OnceLock::new(),
        })
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// A request with the configured sampling settings.
    pub fn request<'a>(&self, messages: &'a [Message]) -> ChatRequest<'a> {
        ChatRequest {
            messages,
            max_tokens: self.settings.max_tokens,
            temperature: self.settings.temperature,
            deadline: self.deadline(),
        }
    }

    /// A reply timeout from now.
    fn deadline(&self) -> Instant {
        Instant::now() + self.settings.reply_timeout
    }

    /// The model names the server lists (`GET {base}/models`), within one reply
    /// timeout.
    pub fn models(&self, cancel: &AtomicBool) -> Result<Vec<String>, LlmError> {
        self.models_until(cancel, self.deadline())
    }

    fn models_until(
        &self,
        cancel: &AtomicBool,
        deadline: Instant,
    ) -> Result<Vec<String>, LlmError> {
        self.rt.block_on(async {
            let url = self.settings.endpoint("models");
            let send = self.http.get(url).send();
            let resp = match self.within(send, cancel, deadline).await {
                Ok(r) => r.map_err(|e| self.send_error(e))?,
                Err(s) => return Err(self.stopped(s, false)),
            };
            let status = resp.status();
            if !status.is_success() {
                return Err(self.status_error(resp, cancel, deadline).await);
            }
            let body = self.read_body(resp, cancel, MAX_BODY, deadline).await?;
            parse_models(&body)
        })
    }

    /// The model in use: the configured one, else the first the server lists (asked
    /// once per client).
    pub fn model(&self, cancel: &AtomicBool) -> Result<&str, LlmError> {
        self.model_until(cancel, self.deadline())
    }

    fn model_until(&self, cancel: &AtomicBool, deadline: Instant) -> Result<&str, LlmError> {
        if let Some(m) = &self.settings.model {
            return Ok(m);
        }
        if let Some(m) = self.model.get() {
            return Ok(m);
        }
        let first = self
            .models_until(cancel, deadline)?
            .into_iter()
            .next()
            .ok_or(LlmError::NoModel)?;
        Ok(self.model.get_or_init(|| first))
    }

    /// Ask for one reply. `sink` sees each clean token as it arrives (the whole text at
    /// once when not streaming) and may stop the reply by returning `Break`; it also
    /// hears of retries. The call returns when the reply is complete, stopped, failed or
    /// cancelled.
    pub fn chat(
        &self,
        req: &ChatRequest<'_>,
        sink: &mut dyn FnMut(ReplyEvent<'_>) -> ControlFlow<()>,
        cancel: &AtomicBool,
    ) -> Result<Reply, LlmError> {
        let started = Instant::now();
        let deadline = req.deadline;
        let model = self.model_until(cancel, deadline)?.to_string();
        let stream = self.settings.stream;
        let body = serde_json::to_vec(&ChatBody {
            model: &model,
            messages: req.messages,
            temperature: req.temperature,
            max_tokens: req.max_tokens,
            stream,
            stream_options: stream.then_some(StreamOptions {
                include_usage: true,
            }),
        })
        .expect("a chat request serialises");
        let policy = self.settings.retry;
        let attempts = policy.attempts.max(1);
        self.rt.block_on(async {
            let mut attempt = 1;
            loop {
                let mut shown = false;
                let result = self
                    .attempt(&body, sink, cancel, (started, deadline), &mut shown)
                    .await;
                let err = match result {
                    Ok(mut reply) => {
                        reply.model = model;
                        reply.attempts = attempt;
                        reply.elapsed = started.elapsed();
                        return Ok(reply);
                    }
                    Err(e) => e,
                };
                let Some(wait) = wait_before_retry(&err, attempt, shown, &policy, deadline) else {
                    return Err(err);
                };
                attempt += 1;
                let event = ReplyEvent::Retrying {
                    attempt,
                    of: attempts,
                    wait,
                    error: &err,
                };
                if sink(event).is_break() {
                    return Err(err);
                }
                if let Err(Stop::Cancelled) =
                    guarded(std::future::pending::<()>(), cancel, wait).await
                {
                    return Err(LlmError::Cancelled);
                }
            }
        })
    }

    /// Run `fut` within the read timeout and what is left before `deadline`.
    async fn within<F: Future>(
        &self,
        fut: F,
        cancel: &AtomicBool,
        deadline: Instant,
    ) -> Result<F::Output, Stop> {
        let left = deadline.saturating_duration_since(Instant::now());
        let read = self.settings.read_timeout;
        match guarded(fut, cancel, read.min(left)).await {
            Err(Stop::TimedOut) if left <= read => Err(Stop::Deadline),
            r => r,
        }
    }

    /// One request and its reply. `times` is when the call started and its deadline.
    async fn attempt(
        &self,
        body: &[u8],
        sink: &mut dyn FnMut(ReplyEvent<'_>) -> ControlFlow<()>,
        cancel: &AtomicBool,
        times: (Instant, Instant),
        shown: &mut bool,
    ) -> Result<Reply, LlmError> {
        let (started, deadline) = times;
        let mut rb = self
            .http
            .post(self.settings.endpoint("chat/completions"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(body.to_vec());
        if self.settings.stream {
            rb = rb.header(header::ACCEPT, "text/event-stream");
        }
        let resp = match self.within(rb.send(), cancel, deadline).await {
            Ok(r) => r.map_err(|e| self.send_error(e))?,
            Err(s) => return Err(self.stopped(s, false)),
        };
        if !resp.status().is_success() {
            return Err(self.status_error(resp, cancel, deadline).await);
        }
        let is_sse = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/event-stream"));
        if is_sse {
            self.read_stream(resp, sink, cancel, times, shown).await
        } else {
            // Not streaming, by request or because the server ignores `stream`.
            let body = self.read_body(resp, cancel, MAX_BODY, deadline).await?;
            let mut reply = self.parse_completion(&body)?;
            if !reply.text.is_empty() {
                reply.first_token = Some(started.elapsed());
                match sink(ReplyEvent::Token(&reply.text)) {
                    ControlFlow::Continue(()) => *shown = true,
                    ControlFlow::Break(()) => {
                        reply.halted = true;
                        reply.text.clear();
                    }
                }
            }
            Ok(reply)
        }
    }

    async fn read_stream(
        &self,
        mut resp: reqwest::Response,
        sink: &mut dyn FnMut(ReplyEvent<'_>) -> ControlFlow<()>,
        cancel: &AtomicBool,
        times: (Instant, Instant),
        shown: &mut bool,
    ) -> Result<Reply, LlmError> {
        let (started, deadline) = times;
        let mut parser = SseParser::default();
        let key = self.settings.api_key.as_ref().map_or("", |k| k.expose());
        let mut st = StreamState::new(key, started);
        loop {
            let chunk = match self.within(resp.chunk(), cancel, deadline).await {
                Err(s) => return Err(self.stopped(s, !st.text.is_empty())),
                Ok(Err(e)) => {
                    return Err(LlmError::BrokenStream {
                        detail: self.clean(&innermost(&e)),
                        partial: !st.text.is_empty(),
                    });
                }
                Ok(Ok(None)) => break,
                Ok(Ok(Some(bytes))) => bytes,
            };
            let go_on = parser
                .feed(&chunk, &mut |event, data| {
                    st.on_event(event, data, sink, shown, &|t| self.clean(t))
                })
                .map_err(|e| LlmError::Malformed {
                    detail: e.to_string(),
                })?;
            if let Some(e) = st.failure.take() {
                return Err(e);
            }
            if !go_on {
                break;
            }
        }
        // Dropping the response closes the connection: a stopped generation stops on the
        // server too.
        drop(resp);
        st.finish(parser.has_partial_event(), sink, shown)
    }

    /// A whole body, each chunk within the read timeout, all before `deadline`, at most
    /// `limit` bytes.
    async fn read_body(
        &self,
        mut resp: reqwest::Response,
        cancel: &AtomicBool,
        limit: usize,
        deadline: Instant,
    ) -> Result<Vec<u8>, LlmError> {
        let mut body = Vec::new();
        loop {
            match self.within(resp.chunk(), cancel, deadline).await {
                Err(s) => return Err(self.stopped(s, false)),
                Ok(Err(e)) => {
                    return Err(LlmError::BrokenStream {
                        detail: self.clean(&innermost(&e)),
                        partial: false,
                    });
                }
                Ok(Ok(None)) => return Ok(body),
                Ok(Ok(Some(bytes))) => {
                    let room = limit.saturating_sub(body.len());
                    body.extend_from_slice(&bytes[..bytes.len().min(room)]);
                    if body.len() >= limit {
                        return Ok(body);
                    }
                }
            }
        }
    }

    fn parse_completion(&self, body: &[u8]) -> Result<Reply, LlmError> {
        let c: Completion = serde_json::from_slice(body).map_err(|_| LlmError::Malformed {
            detail: format!(
                "回复不是 JSON:{}",
                self.clean(&String::from_utf8_lossy(body))
            ),
        })?;
        if let Some(err) = c.error {
            return Err(LlmError::Malformed {
                detail: self.clean(&message_of(&err)),
            });
        }
        let choice = c.choices.into_iter().next().ok_or(LlmError::EmptyChoices)?;
        let raw = choice
            .message
            .and_then(|m| m.content)
            .ok_or(LlmError::NullContent)?;
        let key = self.settings.api_key.as_ref().map_or("", |k| k.expose());
        Ok(Reply {
            text: Scrubber::whole(key, &ui::sanitize(&raw)),
            finish_reason: choice.finish_reason,
            halted: false,
            usage: c.usage,
            model: String::new(),
            attempts: 1,
            first_token: None,
            elapsed: Duration::ZERO,
            streamed: false,
        })
    }

    /// The typed error for a non-2xx response, its body read (bounded) for the message.
    async fn status_error(
        &self,
        resp: reqwest::Response,
        cancel: &AtomicBool,
        deadline: Instant,
    ) -> LlmError {
        let status = resp.status().as_u16();
        let retry_after = retry_after(resp.headers());
        let body = self
            .read_body(resp, cancel, MAX_ERROR_BODY, deadline)
            .await
            .unwrap_or_default();
        let message = self.clean(&message_from_json(&body));
        let lower = String::from_utf8_lossy(&body).to_lowercase();
        match status {
            401 | 403 => LlmError::Unauthorized { status, message },
            429 => LlmError::RateLimited {
                retry_after,
                message,
            },
            400 | 413 | 422 if is_context_error(&lower) => LlmError::ContextLength { message },
            _ => LlmError::Status { status, message },
        }
    }

    fn send_error(&self, e: reqwest::Error) -> LlmError {
        let server = self.settings.server_label();
        if e.is_connect() && e.is_timeout() {
            LlmError::ConnectTimeout {
                server,
                secs: self.settings.connect_timeout.as_secs_f64(),
            }
        } else if e.is_connect() {
            LlmError::Connect {
                server,
                detail: self.clean(&innermost(&e)),
            }
        } else {
            LlmError::BrokenStream {
                detail: format!("服务没有回应就断开了（{}）", self.clean(&innermost(&e))),
                partial: false,
            }
        }
    }

    fn stopped(&self, s: Stop, partial: bool) -> LlmError {
        match s {
            Stop::Cancelled => LlmError::Cancelled,
            Stop::TimedOut => LlmError::ReadTimeout {
                secs: self.settings.read_timeout.as_secs_f64(),
                partial,
            },
            Stop::Deadline => LlmError::Deadline {
                secs: self.settings.reply_timeout.as_secs_f64(),
                partial,
            },
        }
    }

    /// Server text made fit for one line of an error message: no control sequences, no
    /// line breaks, short, and never the key.
    fn clean(&self, text: &str) -> String {
        let text = ui::sanitize(text);
        let mut one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if let Some((cut, _)) = one_line.char_indices().nth(MAX_MESSAGE_CHARS) {
            one_line.truncate(cut);
            one_line.push('…');
        }
        match &self.settings.api_key {
            Some(k) => k.redact(&one_line),
            None => one_line,
        }
    }
}

/// The most specific description in an error's source chain: reqwest's own message
/// names the URL and says little ("error sending request"), the innermost says why.
fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur: &(dyn std::error::Error + 'static) = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    if let Some(io) = cur.downcast_ref::<std::io::Error>() {
        match io.kind() {
            std::io::ErrorKind::ConnectionRefused => return "连接被拒绝".into(),
            std::io::ErrorKind::ConnectionReset => return "连接被对方重置".into(),
            std::io::ErrorKind::UnexpectedEof => return "数据没传完连接就关了".into(),
            _ => {}
        }
    }
    cur.to_string()
}

/// What a stream has delivered so far, and what its events mean.
struct StreamState<'k> {
    sanitizer: Sanitizer,
    scrub: Scrubber<'k>,
    /// Scratch: a token without control sequences, then without the key.
    clean: String,
    piece: String,
    /// What the sink accepted.
    text: String,
    finish_reason: Option<String>,
    usage: Option<Usage>,
    started: Instant,
    first_token: Option<Duration>,
    done: bool,
    halted: bool,
    /// Some chunk carried the first choice; some chunk carried its content (not null).
    /// A stream without either is the server's fault, not something the model said.
    saw_choice: bool,
    saw_content: bool,
    failure: Option<LlmError>,
}

impl<'k> StreamState<'k> {
    fn new(key: &'k str, started: Instant) -> Self {
        Self {
            sanitizer: Sanitizer::default(),
            scrub: Scrubber::new(key),
            clean: String::new(),
            piece: String::new(),
            text: String::new(),
            finish_reason: None,
            usage: None,
            started,
            first_token: None,
            done: false,
            halted: false,
            saw_choice: false,
            saw_content: false,
            failure: None,
        }
    }

    /// One server-sent event; false stops reading (the end, a failure, or the sink).
    fn on_event(
        &mut self,
        event: &str,
        data: &str,
        sink: &mut dyn FnMut(ReplyEvent<'_>) -> ControlFlow<()>,
        shown: &mut bool,
        clean: &dyn Fn(&str) -> String,
    ) -> bool {
        let partial = !self.text.is_empty();
        if data.trim() == "[DONE]" {
            self.done = true;
            return false;
        }
        if event == "error" {
            self.failure = Some(LlmError::BrokenStream {
                detail: clean(&message_from_json(data.as_bytes())),
                partial,
            });
            return false;
        }
        let chunk: Chunk<'_> = match serde_json::from_str(data) {
            Ok(c) => c,
            Err(_) => {
                self.failure = Some(LlmError::Malformed {
                    detail: format!("流里的事件不是 JSON:{}", clean(data)),
                });
                return false;
            }
        };
        if let Some(err) = chunk.error {
            self.failure = Some(LlmError::BrokenStream {
                detail: clean(&message_of(&err)),
                partial,
            });
            return false;
        }
        if chunk.usage.is_some() {
            self.usage = chunk.usage;
        }
        // Servers that send `n > 1` choices are not asked to; read the first.
        for choice in chunk.choices.iter().filter(|c| c.index == 0) {
            self.saw_choice = true;
            if let Some(r) = &choice.finish_reason {
                self.finish_reason = Some(r.to_string());
            }
            let Some(content) = choice.delta.as_ref().and_then(|d| d.content.as_deref()) else {
                continue;
            };
            self.saw_content = true;
            self.clean.clear();
            self.sanitizer.push(content, &mut self.clean);
            self.piece.clear();
            self.scrub.push(&self.clean, &mut self.piece);
            if !self.show(sink, shown) {
                return false;
            }
        }
        true
    }

    /// Hand `piece` to the sink; false when the sink stopped the reply.
    fn show(
        &mut self,
        sink: &mut dyn FnMut(ReplyEvent<'_>) -> ControlFlow<()>,
        shown: &mut bool,
    ) -> bool {
        if self.piece.is_empty() {
            return true;
        }
        self.first_token
            .get_or_insert_with(|| self.started.elapsed());
        match sink(ReplyEvent::Token(&self.piece)) {
            ControlFlow::Continue(()) => {
                *shown = true;
                self.text.push_str(&self.piece);
                true
            }
            ControlFlow::Break(()) => {
                self.halted = true;
                false
            }
        }
    }

    /// The stream ended: whether it ended whole, and the reply. What the scrubber held
    /// back at the end (a harmless tail) is shown last.
    fn finish(
        mut self,
        partial_event: bool,
        sink: &mut dyn FnMut(ReplyEvent<'_>) -> ControlFlow<()>,
        shown: &mut bool,
    ) -> Result<Reply, LlmError> {
        if !self.halted {
            if !self.done && (self.finish_reason.is_none() || partial_event) {
                return Err(LlmError::BrokenStream {
                    detail: "没有收到结束标记就断开了".into(),
                    partial: !self.text.is_empty(),
                });
            }
            if !self.saw_choice {
                return Err(LlmError::EmptyChoices);
            }
            if !self.saw_content {
                return Err(LlmError::NullContent);
            }
            self.piece.clear();
            self.scrub.finish(&mut self.piece);
            self.show(sink, shown);
        }
        Ok(Reply {
            text: self.text,
            finish_reason: self.finish_reason,
            halted: self.halted,
            usage: self.usage,
            model: String::new(),
            attempts: 1,
            first_token: self.first_token,
            elapsed: Duration::ZERO,
            streamed: true,
        })
    }
}

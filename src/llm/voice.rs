//! The LLM customer's voice: one customer line per call, in words the model chooses
//! and with the outcome the mood model chose.
//!
//! Each line is audited while it streams and once it is complete; a failing line is
//! regenerated once (the model is told what was wrong), and if the second attempt fails
//! too, or the server fails, or the trainee cancels, the offline line the caller passed
//! in is used. The voice never changes the mood state: it only words a decision already
//! taken, so a session plays the same whichever voice speaks.
//!
//! Tokens reach the screen as they arrive. When an attempt is dropped after some of its
//! words were shown, the caller hears [`ReplyEvent::Discarded`] with one line saying why, and
//! then either the next attempt's tokens or nothing more; [`Spoken::streamed`] says
//! whether the final text has already been shown that way or still has to be printed.
//!
//! Server faults are counted by a [`Breaker`]: after a few in a row the voice stops
//! asking for a while and the offline line is used at once, the line whose fault opened
//! the breaker saying so (its reason is [`FallbackReason::Tripped`]) and the lines after
//! it marked [`FallbackReason::Paused`], so a caller can say it once. Both lines of a
//! regenerated turn share one reply deadline.

use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::audit::{AuditFailure, Auditor};
use super::breaker::{Breaker, Gate};
use super::client::{Client, Reply, ReplyEvent};
use super::error::LlmError;
use super::prompt::{PromptBook, TurnRequest};
use super::settings::Settings;
use super::wire::Usage;
use crate::engine::Engine;

/// Where the words of a line came from.
#[derive(Debug, Clone)]
pub enum VoiceSource {
    /// The model, audited.
    Llm,
    /// The offline line, because the model's could not be used.
    Fallback { reason: FallbackReason },
}

impl VoiceSource {
    /// Machine name, for the voice's own record (transcripts name it themselves, see
    /// `transcript::names`).
    pub fn as_str(&self) -> &'static str {
        match self {
            VoiceSource::Llm => "llm",
            VoiceSource::Fallback { .. } => "fallback",
        }
    }
}

/// Why the offline line was used.
#[derive(Debug, Clone, thiserror::Error)]
pub enum FallbackReason {
    #[error("模型说的话两次都没通过自检")]
    Audit,
    #[error("{0}")]
    Error(LlmError),
    /// A server fault that opened the breaker: the lines after it do not ask.
    #[error(
        "{error}。大模型服务连续 {failures} 次出错，接下来 {} 秒客户都用内置台词，之后再试",
        .pause.as_secs()
    )]
    Tripped {
        error: LlmError,
        failures: u32,
        pause: Duration,
    },
    /// The breaker was open: the server was not asked.
    #[error("大模型服务连续出错，暂停使用")]
    Paused,
    #[error("已取消生成")]
    Cancelled,
}

impl FallbackReason {
    /// Whether the server failed (or was not asked because it kept failing), as opposed
    /// to the model failing the audit or the trainee cancelling.
    pub fn server_fault(&self) -> bool {
        matches!(
            self,
            FallbackReason::Error(_) | FallbackReason::Tripped { .. } | FallbackReason::Paused
        )
    }
}

/// One customer line.
#[derive(Debug, Clone)]
pub struct Spoken {
    /// The words to record (and to show, unless `streamed`).
    pub text: String,
    pub source: VoiceSource,
    /// Every audit failure of every attempt, in order.
    pub audit: Vec<AuditFailure>,
    /// A second attempt was made.
    pub regenerated: bool,
    /// `text` has already been handed over as [`ReplyEvent::Token`]s.
    pub streamed: bool,
    /// The trainee saw words of an attempt that was then discarded.
    pub retracted: bool,
    /// Time to the first token of the attempt that was used.
    pub first_token: Option<Duration>,
    pub usage: Option<Usage>,
}

impl Spoken {
    /// Whether the model failed the audit on this line and could not be brought back in
    /// character: the line is the offline one, and a session holding such a turn is not
    /// a fair basis for assessing the model-voiced customer.
    pub fn audit_unresolved(&self) -> bool {
        matches!(
            self.source,
            VoiceSource::Fallback {
                reason: FallbackReason::Audit
            }
        )
    }

    /// The offline line was used because of the server (see
    /// [`FallbackReason::server_fault`]).
    pub fn server_fault(&self) -> bool {
        matches!(&self.source, VoiceSource::Fallback { reason } if reason.server_fault())
    }

    /// The server was not asked: the breaker was open.
    pub fn paused(&self) -> bool {
        matches!(
            self.source,
            VoiceSource::Fallback {
                reason: FallbackReason::Paused
            }
        )
    }

    /// What a transcript records about how the line was made.
    pub fn record(&self) -> VoiceRecord {
        let reason = match &self.source {
            VoiceSource::Llm => None,
            VoiceSource::Fallback { reason } => Some(reason.to_string()),
        };
        let source = self.source.as_str();
        VoiceRecord {
            source,
            reason,
            audit: self.audit.clone(),
            regenerated: self.regenerated,
            retracted: self.retracted,
            server_fault: self.server_fault(),
            paused: self.paused(),
        }
    }
}

/// How a customer line was made, for the transcript's turn record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VoiceRecord {
    /// `llm` or `fallback`.
    pub source: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub audit: Vec<AuditFailure>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub regenerated: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub retracted: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub server_fault: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub paused: bool,
}

/// The backend as a transcript header records it: enough to reproduce a run as far as
/// the server allows, and nothing secret.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BackendSummary {
    pub name: &'static str,
    /// Host and port of the server.
    pub server: String,
    pub model: Option<String>,
    pub temperature: f64,
    pub max_tokens: u32,
    pub stream: bool,
}

/// The model-voiced customer for one persona and scenario.
pub struct LlmVoice {
    client: Client,
    book: PromptBook,
    auditor: Auditor,
    breaker: Arc<Breaker>,
}

/// One attempt at a line: the reply, the audit findings that stopped it while it
/// streamed, and whether any of its words were shown.
type Attempt = (Reply, Vec<AuditFailure>, bool);

impl LlmVoice {
    /// Prepare a voice; no request is made until the first line. Voices made from
    /// clones of one [`Settings`] share its breaker.
    pub fn new(settings: Settings, engine: &Engine<'_>) -> Result<Self, LlmError> {
        let breaker = Arc::clone(&settings.breaker);
        Ok(Self {
            client: Client::new(settings)?,
            book: PromptBook::new(engine),
            auditor: Auditor::new(engine),
            breaker,
        })
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The settings in force, for the transcript header. The model is the one in use once
    /// a line has been spoken (the server's first model when none was configured).
    pub fn summary(&self) -> BackendSummary {
        let s = self.client.settings();
        let model = s.model.clone().or_else(|| {
            self.client
                .model(&AtomicBool::new(true))
                .ok()
                .map(str::to_string)
        });
        BackendSummary {
            name: "llm",
            server: s.host_label(),
            model,
            temperature: s.temperature,
            max_tokens: s.max_tokens,
            stream: s.stream,
        }
    }

    /// Voice one customer line. `offline_line` is what the offline voice says for the
    /// same decision: the fallback. Never fails: every problem ends in the fallback, with
    /// the reason in [`Spoken::source`].
    pub fn speak(
        &self,
        req: TurnRequest<'_>,
        offline_line: &str,
        on_event: &mut dyn FnMut(ReplyEvent<'_>),
        cancel: &AtomicBool,
    ) -> Spoken {
        if let Gate::Open(_) = self.breaker.gate() {
            return fallback(
                offline_line,
                FallbackReason::Paused,
                Vec::new(),
                false,
                false,
            );
        }
        let said = said(&req);
        let deadline = Instant::now() + self.client.settings().reply_timeout;
        let mut audit: Vec<AuditFailure> = Vec::new();
        let mut retracted = false;
        for attempt in 0..2 {
            let previous = (attempt > 0).then_some(audit.as_slice());
            let tried = self.attempt(&req, &said, previous, deadline, on_event, cancel);
            // Words of this attempt on screen count as retracted only if it is dropped.
            let (reply, stopped, shown) = match tried {
                Ok(a) => a,
                Err((e, shown)) => {
                    let reason = self.failed(e);
                    if shown {
                        retracted = true;
                        on_event(ReplyEvent::Discarded {
                            why: &format!("{reason}，改用预设的台词"),
                        });
                    }
                    return fallback(offline_line, reason, audit, attempt > 0, retracted);
                }
            };
            self.breaker.success();
            let failures = self.judge(&reply, stopped, &req, &said);
            if failures.is_empty() {
                return Spoken {
                    text: reply.text.trim().to_string(),
                    source: VoiceSource::Llm,
                    audit,
                    regenerated: attempt > 0,
                    streamed: shown,
                    retracted,
                    first_token: reply.first_token,
                    usage: reply.usage,
                };
            }
            let why: Vec<String> = failures.iter().map(ToString::to_string).collect();
            audit.extend(failures);
            if shown {
                retracted = true;
                let then = if attempt == 0 {
                    "重新生成"
                } else {
                    "改用预设的台词"
                };
                on_event(ReplyEvent::Discarded {
                    why: &format!("这句不算：{}，{then}", why.join("；")),
                });
            }
        }
        fallback(offline_line, FallbackReason::Audit, audit, true, retracted)
    }

    /// Ask for one attempt at the line, auditing it as it streams (whole when not
    /// streamed) and showing what passes. The error comes with whether words were shown.
    fn attempt(
        &self,
        req: &TurnRequest<'_>,
        said: &[&str],
        previous: Option<&[AuditFailure]>,
        deadline: Instant,
        on_event: &mut dyn FnMut(ReplyEvent<'_>),
        cancel: &AtomicBool,
    ) -> Result<Attempt, (LlmError, bool)> {
        // A non-streamed reply arrives whole: audit it whole before it is shown.
        let whole = !self.client.settings().stream;
        let messages = self.book.messages(req, previous);
        let mut request = self.client.request(&messages);
        request.deadline = deadline;
        let mut accepted = String::new();
        let mut stopped: Vec<AuditFailure> = Vec::new();
        let mut shown = false;
        let result = self.client.chat(
            &request,
            &mut |ev| match ev {
                ReplyEvent::Token(t) => {
                    let before = accepted.len();
                    accepted.push_str(t);
                    let f = if whole {
                        self.auditor.check(&accepted, req.decision, said)
                    } else {
                        self.auditor.check_partial(&accepted, req.decision, said)
                    };
                    if f.is_empty() {
                        shown = true;
                        on_event(ReplyEvent::Token(t));
                        ControlFlow::Continue(())
                    } else {
                        accepted.truncate(before);
                        stopped = f;
                        ControlFlow::Break(())
                    }
                }
                other => {
                    on_event(other);
                    ControlFlow::Continue(())
                }
            },
            cancel,
        );
        match result {
            Ok(reply) => Ok((reply, stopped, shown)),
            Err(e) => Err((e, shown)),
        }
    }

    /// Why a failed request ends in the offline line; a server fault is counted, and
    /// the one that opens the breaker says so.
    fn failed(&self, e: LlmError) -> FallbackReason {
        if let LlmError::Cancelled = e {
            return FallbackReason::Cancelled;
        }
        if self.breaker.failure() {
            let p = self.breaker.policy();
            FallbackReason::Tripped {
                error: e,
                failures: p.failures,
                pause: p.pause,
            }
        } else {
            FallbackReason::Error(e)
        }
    }

    /// The audit findings on a finished attempt: those that stopped it while it
    /// streamed, else the whole reply's, and a cut at the token limit.
    fn judge(
        &self,
        reply: &Reply,
        stopped: Vec<AuditFailure>,
        req: &TurnRequest<'_>,
        said: &[&str],
    ) -> Vec<AuditFailure> {
        if reply.halted {
            return stopped;
        }
        let mut failures = self.auditor.check(&reply.text, req.decision, said);
        if reply.finish_reason.as_deref() == Some("length") {
            failures.push(AuditFailure::Truncated);
        }
        failures
    }
}

fn fallback(
    offline_line: &str,
    reason: FallbackReason,
    audit: Vec<AuditFailure>,
    regenerated: bool,
    retracted: bool,
) -> Spoken {
    Spoken {
        text: offline_line.to_string(),
        source: VoiceSource::Fallback { reason },
        audit,
        regenerated,
        streamed: false,
        retracted,
        first_token: None,
        usage: None,
    }
}

/// Everything said in the session, which the customer may quote back.
fn said<'a>(req: &TurnRequest<'a>) -> Vec<&'a str> {
    let mut out = Vec::with_capacity(req.history.len() * 2 + 2);
    out.push(req.opening);
    for ex in req.history {
        out.push(ex.trainee);
        out.push(ex.customer);
    }
    out.extend(req.trainee);
    out
}

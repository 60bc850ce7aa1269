//! The LLM customer: any OpenAI-compatible chat-completions server (Ollama, llama.cpp's
//! server, vLLM, hosted APIs) voicing the decisions of the mood model.
//!
//! `settings` resolves where the server is (flag > environment > config file > default)
//! and keeps the API key unprintable; `client` talks to it (streaming, timeouts, a
//! deadline per reply, bounded retries, cancellation); `scrub` keeps the key out of
//! whatever the server sends back; `breaker` stops asking a server that keeps failing; `sse` reads event streams; `prompt` builds what the model is
//! told; `audit` checks what it says; `voice` puts them together into the seam a session
//! calls for each customer line. This module never decides anything about the
//! conversation — the mood model does — and never writes the key anywhere.

mod audit;
mod breaker;
mod client;
mod error;
mod prompt;
mod retry;
mod scrub;
mod settings;
mod sse;
mod voice;
mod wire;

pub use audit::{AuditFailure, Auditor, MAX_CHARS, basic as basic_audit};
pub use breaker::{Breaker, Gate};
pub use client::{ChatRequest, Client, Reply, ReplyEvent};
pub use error::LlmError;
pub use prompt::{Exchange, PromptBook, TurnRequest};
pub use scrub::Scrubber;
pub use settings::{
    ApiKey, BackendKind, BreakerPolicy, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_READ_TIMEOUT, DEFAULT_REPLY_TIMEOUT, DEFAULT_TEMPERATURE, ENV_API_KEY, ENV_BASE_URL,
    ENV_MODEL, ENV_REPLY_TIMEOUT, KeySource, LlmChoice, RetryPolicy, ServerFlags, ServerSources,
    Settings, SettingsError,
};
pub use sse::{SseError, SseParser};
pub use voice::{BackendSummary, FallbackReason, LlmVoice, Spoken, VoiceRecord, VoiceSource};
pub use wire::{Message, Role, Usage};

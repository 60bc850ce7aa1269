//! The OpenAI-compatible wire format: the request body, the streamed chunks and the
//! whole completion as servers send them, and the few ways servers word an error body
//! or a model list. Plain serde types and parsers; no I/O.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::error::LlmError;
use crate::ui;

/// Who says a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

/// One chat message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    pub role: Role,
    pub content: String,
}

impl Message {
    pub fn system(content: impl Into<String>) -> Self {
        Self {
            role: Role::System,
            content: content.into(),
        }
    }

    pub fn user(content: impl Into<String>) -> Self {
        Self {
            role: Role::User,
            content: content.into(),
        }
    }

    pub fn assistant(content: impl Into<String>) -> Self {
        Self {
            role: Role::Assistant,
            content: content.into(),
        }
    }
}

/// Token counts, as the server reports them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub struct Usage {
    #[serde(default)]
    pub prompt_tokens: u64,
    #[serde(default)]
    pub completion_tokens: u64,
}

#[derive(Serialize)]
pub(super) struct ChatBody<'a> {
    pub(super) model: &'a str,
    pub(super) messages: &'a [Message],
    pub(super) temperature: f64,
    pub(super) max_tokens: u32,
    pub(super) stream: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) stream_options: Option<StreamOptions>,
}

#[derive(Serialize)]
pub(super) struct StreamOptions {
    pub(super) include_usage: bool,
}

/// Whether a 400-class body says the prompt did not fit (OpenAI, vLLM, llama.cpp,
/// LiteLLM and Ollama word it differently).
pub(super) fn is_context_error(lower_body: &str) -> bool {
    [
        "context_length",
        "context length",
        "exceed_context",
        "context window",
        "contextwindowexceeded",
        "maximum context",
        "too many tokens",
        "prompt is too long",
        "exceeds the available context",
    ]
    .iter()
    .any(|p| lower_body.contains(p))
}

/// The human part of an error body: `error.message`, `error` as a string, `message`,
/// `detail`, or the raw text when the body is not JSON.
pub(super) fn message_from_json(body: &[u8]) -> String {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(v) => message_of(&v),
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    }
}

pub(super) fn message_of(v: &serde_json::Value) -> String {
    let s = |v: &serde_json::Value| v.as_str().map(str::to_string);
    let err = v.get("error").unwrap_or(v);
    s(err)
        .or_else(|| err.get("message").and_then(s))
        .or_else(|| v.get("message").and_then(s))
        .or_else(|| v.get("detail").and_then(s))
        .unwrap_or_else(|| v.to_string())
}

pub(super) fn parse_models(body: &[u8]) -> Result<Vec<String>, LlmError> {
    let v: serde_json::Value = serde_json::from_slice(body).map_err(|_| LlmError::Malformed {
        detail: "模型列表不是 JSON".into(),
    })?;
    let list = v
        .get("data")
        .or_else(|| v.get("models"))
        .and_then(|l| l.as_array())
        .ok_or_else(|| LlmError::Malformed {
            detail: "模型列表里没有 data 数组".into(),
        })?;
    Ok(list
        .iter()
        .filter_map(|m| {
            m.get("id")
                .or_else(|| m.get("name"))
                .and_then(|n| n.as_str())
        })
        .map(|n| ui::sanitize(n).into_owned())
        .collect())
}

/// One streamed chunk. Content borrows from the event text when it has no escapes, so
/// a token costs no allocation.
#[derive(Deserialize)]
pub(super) struct Chunk<'a> {
    #[serde(default, borrow)]
    pub(super) choices: Vec<ChunkChoice<'a>>,
    #[serde(default)]
    pub(super) usage: Option<Usage>,
    #[serde(default)]
    pub(super) error: Option<serde_json::Value>,
}

#[derive(Deserialize)]
pub(super) struct ChunkChoice<'a> {
    #[serde(default)]
    pub(super) index: u32,
    #[serde(default, borrow)]
    pub(super) delta: Option<Delta<'a>>,
    #[serde(default, borrow)]
    pub(super) finish_reason: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
pub(super) struct Delta<'a> {
    /// `null` in llama.cpp's first chunk, which carries only the role.
    #[serde(default, borrow)]
    pub(super) content: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
pub(super) struct Completion {
    #[serde(default)]
    pub(super) choices: Vec<CompletionChoice>,
    #[serde(default)]
    pub(super) usage: Option<Usage>,
    #[serde(default)]
    pub(super) error: Option<serde_json::Value>,
}

#[derive(Deserialize)]
pub(super) struct CompletionChoice {
    #[serde(default)]
    pub(super) message: Option<CompletionMessage>,
    #[serde(default)]
    pub(super) finish_reason: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct CompletionMessage {
    #[serde(default)]
    pub(super) content: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_give_their_message() {
        assert_eq!(
            message_from_json(br#"{"error":{"message":"bad key","type":"auth"}}"#),
            "bad key"
        );
        assert_eq!(
            message_from_json(br#"{"error":"overloaded"}"#),
            "overloaded"
        );
        assert_eq!(message_from_json(br#"{"detail":"nope"}"#), "nope");
        assert_eq!(
            message_from_json(b"<html>502 Bad Gateway</html>"),
            "<html>502 Bad Gateway</html>"
        );
    }

    #[test]
    fn context_errors_are_recognised() {
        assert!(is_context_error(
            r#"{"error":{"type":"exceed_context_size_error"}}"#
        ));
        assert!(is_context_error(
            "this model's maximum context length is 4096 tokens"
        ));
        assert!(!is_context_error("invalid temperature"));
    }

    #[test]
    fn model_lists_of_either_shape() {
        assert_eq!(
            parse_models(br#"{"object":"list","data":[{"id":"a"},{"id":"b"}]}"#).unwrap(),
            ["a", "b"]
        );
        assert_eq!(
            parse_models(br#"{"models":[{"name":"c"}]}"#).unwrap(),
            ["c"]
        );
    }
}

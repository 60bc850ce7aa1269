//! Real service chats, so a team can run the same quality checks on its own chat
//! archive: JSONL lines `{"dialogue": "...", "role": "agent"|"customer", "text": "..."}`,
//! grouped into one dialogue per `dialogue` id, in order of first appearance.
//!
//! Each dialogue becomes a [`Transcript`] whose turns are the agent's lines (with the
//! customer's following lines as replies), so the scorer needs no second code path.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;

use serde::Deserialize;

use crate::transcript::{BackendRef, Header, Mood, PersonaRef, RubricRef, Transcript, TurnRecord};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChatLine {
    dialogue: String,
    role: Role,
    text: String,
}

#[derive(Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
enum Role {
    Agent,
    Customer,
}

/// Why a chat log could not be read, naming the file and line.
#[derive(Debug, thiserror::Error)]
#[error("{path}:{line}: {message}")]
pub struct ChatlogError {
    pub path: String,
    pub line: usize,
    pub message: String,
}

/// The largest chat log read (a month of a busy hotline's agent lines fits well within).
const CHATLOG_MAX_BYTES: u64 = 200 << 20;

/// Read a chat log into one transcript per dialogue.
pub fn read(path: &Path) -> Result<Vec<(String, Transcript)>, ChatlogError> {
    let p = path.display().to_string();
    let err = |line: usize, message: String| ChatlogError {
        path: p.clone(),
        line,
        message,
    };
    // Real chat logs run long, but a FIFO or /dev/zero must not hang or fill memory.
    crate::files::check_regular(path, CHATLOG_MAX_BYTES).map_err(|e| err(0, e.to_string()))?;
    let file = std::fs::File::open(path).map_err(|e| err(0, format!("无法读取：{e}")))?;
    let mut order: Vec<String> = Vec::new();
    let mut dialogues: HashMap<String, Transcript> = HashMap::new();
    for (i, raw) in BufReader::new(file).split(b'\n').enumerate() {
        let no = i + 1;
        let raw = raw.map_err(|e| err(no, format!("读取失败：{e}")))?;
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let text = std::str::from_utf8(&raw).map_err(|_| err(no, "不是有效的 UTF-8".into()))?;
        let line: ChatLine = serde_json::from_str(text).map_err(|e| {
            err(
                no,
                format!(
                    "不是有效的聊天记录行：{e};expected {{\"dialogue\": \"…\", \"role\": \"agent\"|\"customer\", \"text\": \"…\"}}"
                ),
            )
        })?;
        let t = dialogues.entry(line.dialogue.clone()).or_insert_with(|| {
            order.push(line.dialogue.clone());
            empty(&line.dialogue)
        });
        match line.role {
            Role::Agent => {
                let n = t.turns.len() as u32 + 1;
                t.turns.push(TurnRecord {
                    n,
                    trainee: line.text,
                    signals: Vec::new(),
                    acts: Vec::new(),
                    customer: String::new(),
                    anger: 0,
                    trust: 0,
                    needs_met: Vec::new(),
                    events: Vec::new(),
                    moves: Vec::new(),
                    voice: None,
                });
            }
            Role::Customer => match t.turns.last_mut() {
                Some(last) => {
                    if !last.customer.is_empty() {
                        last.customer.push('\n');
                    }
                    last.customer.push_str(&line.text);
                }
                None => {
                    if !t.header.opening.is_empty() {
                        t.header.opening.push('\n');
                    }
                    t.header.opening.push_str(&line.text);
                }
            },
        }
    }
    Ok(order
        .into_iter()
        .map(|id| {
            let t = dialogues
                .remove(&id)
                .expect("every id in order has a dialogue");
            (id, t)
        })
        .collect())
}

fn empty(dialogue: &str) -> Transcript {
    Transcript {
        header: Header {
            format: crate::transcript::FORMAT,
            peilian: env!("CARGO_PKG_VERSION").to_string(),
            persona: PersonaRef {
                id: String::new(),
                name: String::new(),
                hash: String::new(),
            },
            scenario: String::new(),
            difficulty: String::new(),
            rubric: RubricRef {
                id: String::new(),
                version: 0,
                hash: String::new(),
            },
            backend: BackendRef {
                name: "chatlog".into(),
                ..BackendRef::offline()
            },
            seed: 0,
            trainee: dialogue.to_string(),
            started_at: String::new(),
            initial: Mood { anger: 0, trust: 0 },
            opening: String::new(),
            opening_voice: None,
            retry_of: None,
            mode: None,
            restart_of: None,
            via: None,
        },
        turns: Vec::new(),
        end: None,
        undos: Vec::new(),
    }
}

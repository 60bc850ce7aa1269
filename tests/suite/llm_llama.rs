//! Against a real llama.cpp `llama-server` (../shared/llm-peer/llama-server.sh, started by
//! `.ci/run`, which sets `PEILIAN_TEST_LLAMA_URL`). Its tiny random-weight model speaks
//! garbage, so these tests assert the protocol and the self-audit, never the text: the
//! stream parses (role-only first chunk, usage chunk), errors are typed, and every
//! garbage line ends in the offline fallback, marked.
//!
//! Without the variable the tests say they are skipped, except under CI (`CI` set),
//! where a missing server is a failure rather than a silent pass.

use crate::common;

use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use peilian::engine::{Engine, OfflineVoice};
use peilian::llm::{
    ApiKey, Client, LlmError, LlmVoice, Message, ReplyEvent, Settings, TurnRequest, VoiceSource,
};
use peilian::persona::Catalog;
use peilian::rubric::default_rubric;

fn server() -> Option<(String, String)> {
    match std::env::var("PEILIAN_TEST_LLAMA_URL") {
        Ok(u) if !u.trim().is_empty() => {
            let key = std::env::var("PEILIAN_TEST_LLAMA_KEY").unwrap_or_else(|_| "sk-test".into());
            Some((u, key))
        }
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "under CI, .ci/run must start llama-server and set PEILIAN_TEST_LLAMA_URL"
            );
            eprintln!("skipped: PEILIAN_TEST_LLAMA_URL is not set (see .ci/run)");
            None
        }
    }
}

fn settings(url: &str, key: &str) -> Settings {
    let mut s = Settings::for_url(url).unwrap();
    // llama-server ignores the model name; any name works.
    s.model = Some("peilian-test".into());
    s.api_key = ApiKey::new(key);
    s.max_tokens = 48;
    s.read_timeout = Duration::from_secs(30);
    s
}

#[test]
fn a_real_stream_parses_and_reports_usage() {
    let Some((url, key)) = server() else { return };
    let client = Client::new(settings(&url, &key)).unwrap();
    let messages = [Message::system("你是客户。"), Message::user("您好,请讲。")];
    let mut tokens = 0;
    let reply = client
        .chat(
            &client.request(&messages),
            &mut |ev| {
                if let ReplyEvent::Token(t) = ev {
                    tokens += 1;
                    assert!(!t.chars().any(char::is_control), "{t:?}");
                }
                ControlFlow::Continue(())
            },
            &AtomicBool::new(false),
        )
        .unwrap();
    assert!(tokens > 0 && !reply.text.is_empty());
    assert!(reply.streamed);
    let usage = reply.usage.expect("llama-server sends a usage chunk");
    assert!(usage.completion_tokens > 0 && usage.prompt_tokens > 0);
    eprintln!(
        "llama-server stream: first token {:?}, {} tokens in {:?}",
        reply.first_token.unwrap(),
        usage.completion_tokens,
        reply.elapsed
    );
}

#[test]
fn a_real_non_streamed_reply() {
    let Some((url, key)) = server() else { return };
    let mut s = settings(&url, &key);
    s.stream = false;
    let client = Client::new(s).unwrap();
    let messages = [Message::user("您好")];
    let reply = client
        .chat(
            &client.request(&messages),
            &mut |_| ControlFlow::Continue(()),
            &AtomicBool::new(false),
        )
        .unwrap();
    assert!(!reply.streamed && !reply.text.is_empty());
    assert!(!client.models(&AtomicBool::new(false)).unwrap().is_empty());
}

#[test]
fn a_wrong_key_is_unauthorized() {
    let Some((url, _)) = server() else { return };
    let client = Client::new(settings(&url, "sk-wrong-key-7d1e")).unwrap();
    let messages = [Message::user("您好")];
    let e = client
        .chat(
            &client.request(&messages),
            &mut |_| ControlFlow::Continue(()),
            &AtomicBool::new(false),
        )
        .unwrap_err();
    assert!(
        matches!(e, LlmError::Unauthorized { status: 401, .. }),
        "{e:?}"
    );
    assert!(!e.to_string().contains("sk-wrong-key-7d1e"));
}

#[test]
fn an_overlong_prompt_is_a_context_error() {
    let Some((url, key)) = server() else { return };
    let client = Client::new(settings(&url, &key)).unwrap();
    let messages = [Message::user("我要投诉你们的维修站。".repeat(4000))];
    let e = client
        .chat(
            &client.request(&messages),
            &mut |_| ControlFlow::Continue(()),
            &AtomicBool::new(false),
        )
        .unwrap_err();
    assert!(matches!(e, LlmError::ContextLength { .. }), "{e:?}");
}

#[test]
fn a_cancelled_generation_leaves_the_server_serving() {
    let Some((url, key)) = server() else { return };
    let mut s = settings(&url, &key);
    s.max_tokens = 2000;
    let client = Client::new(s).unwrap();
    let messages = [Message::user("您好")];
    let cancel = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let c = Arc::clone(&cancel);
    let e = client
        .chat(
            &client.request(&messages),
            &mut |ev| {
                if matches!(ev, ReplyEvent::Token(_)) {
                    c.store(true, Ordering::Relaxed);
                }
                ControlFlow::Continue(())
            },
            &cancel,
        )
        .unwrap_err();
    assert!(matches!(e, LlmError::Cancelled), "{e:?}");
    assert!(start.elapsed() < Duration::from_secs(10));
    // The disconnect freed the slot: the next request is answered.
    let again = Client::new(settings(&url, &key)).unwrap();
    again
        .chat(
            &again.request(&messages),
            &mut |_| ControlFlow::Continue(()),
            &AtomicBool::new(false),
        )
        .unwrap();
}

#[test]
fn garbage_from_a_real_model_falls_back_to_the_offline_line_marked() {
    let Some((url, key)) = server() else { return };
    let catalog = Catalog::load(None, default_rubric()).unwrap();
    let p = &catalog.find("prepared").unwrap().persona;
    let engine = Engine::new(p, &p.scenarios[0], "normal", default_rubric()).unwrap();
    let voice = LlmVoice::new(settings(&url, &key), &engine).unwrap();
    let mut st = engine.initial_state(1);
    let opening_d = engine.open();
    let opening = OfflineVoice.speak(&engine, &opening_d, &mut st);
    let report = engine.turn(&mut st, "您好,请问您的维修单号是多少?");
    let offline = OfflineVoice.speak(&engine, &report.decision, &mut st);
    let req = TurnRequest {
        state: &st,
        decision: &report.decision,
        opening: &opening,
        history: &[],
        trainee: Some("您好,请问您的维修单号是多少?"),
    };
    let mut shown = String::new();
    let mut discarded = 0;
    let spoken = voice.speak(
        req,
        &offline,
        &mut |ev| match ev {
            ReplyEvent::Token(t) => shown.push_str(t),
            ReplyEvent::Discarded { .. } => discarded += 1,
            ReplyEvent::Retrying { .. } => {}
        },
        &AtomicBool::new(false),
    );
    eprintln!(
        "llama garbage audit: {:?}; shown before the cut: {shown:?}",
        spoken.audit
    );
    assert!(
        matches!(spoken.source, VoiceSource::Fallback { .. }) && spoken.audit_unresolved(),
        "{spoken:?}"
    );
    assert_eq!(spoken.text, offline);
    assert!(spoken.regenerated && !spoken.audit.is_empty());
    assert!(!shown.chars().any(char::is_control));
    assert_eq!(discarded > 0, spoken.retracted);
    let record = serde_json::to_value(spoken.record()).unwrap();
    assert_eq!(record["source"], "fallback");
    assert_eq!(voice.summary().model.as_deref(), Some("peilian-test"));
}

#[test]
fn llm_check_against_the_real_server() {
    let Some((url, key)) = server() else { return };
    let dir = common::Dir::new();
    let o = dir
        .cmd()
        .args(["llm", "check"])
        .env("PEILIAN_CONFIG", dir.path().join("none.toml"))
        .env("OPENAI_BASE_URL", &url)
        .env("OPENAI_API_KEY", &key)
        .env_remove("PEILIAN_MODEL")
        .output()
        .unwrap();
    let stdout = String::from_utf8(o.stdout).unwrap();
    let stderr = String::from_utf8(o.stderr).unwrap();
    eprintln!("{stdout}{stderr}");
    assert_eq!(o.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("✓ 服务在线") && stdout.contains("✓ 示例回复"),
        "{stdout}"
    );
    assert!(!stdout.contains(&key) && !stderr.contains(&key));
}

//! The chat client against a loopback server playing what real servers send, and the
//! faults they have: rate limits, 5xx, dropped and stalled streams, garbage, escapes.

use crate::llm_support;

use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use llm_support::*;
use peilian::llm::{ApiKey, Client, LlmError, Message, Reply, ReplyEvent, Settings};

const KEY: &str = "sk-unit-test-key-4c1d2e";

fn settings(server: &Server) -> Settings {
    let mut s = Settings::for_url(&server.url()).unwrap();
    s.model = Some("mock-model".into());
    s.api_key = ApiKey::new(KEY);
    s.read_timeout = Duration::from_secs(5);
    s.retry.base_delay = Duration::from_millis(10);
    s
}

struct Run {
    result: Result<Reply, LlmError>,
    tokens: Vec<String>,
    retries: Vec<(u32, Duration)>,
    elapsed: Duration,
}

fn chat_with(s: Settings, cancel: &AtomicBool) -> Run {
    let client = Client::new(s).unwrap();
    let messages = [Message::system("你是客户。"), Message::user("您好")];
    let mut tokens = Vec::new();
    let mut retries = Vec::new();
    let start = Instant::now();
    let result = client.chat(
        &client.request(&messages),
        &mut |ev| {
            match ev {
                ReplyEvent::Token(t) => tokens.push(t.to_string()),
                ReplyEvent::Retrying { attempt, wait, .. } => retries.push((attempt, wait)),
                ReplyEvent::Discarded { .. } => panic!("the client never discards"),
            }
            ControlFlow::Continue(())
        },
        cancel,
    );
    Run {
        result,
        tokens,
        retries,
        elapsed: start.elapsed(),
    }
}

fn chat(s: Settings) -> Run {
    chat_with(s, &AtomicBool::new(false))
}

fn no_key_in(text: &str) {
    assert!(!text.contains(KEY), "the key leaked: {text}");
}

#[test]
fn streams_tokens_skipping_null_deltas_and_the_usage_chunk() {
    let server = Server::start(vec![sse_reply(&["你们", "这是", "什么服务!"])]);
    let run = chat(settings(&server));
    let reply = run.result.unwrap();
    assert_eq!(run.tokens, ["你们", "这是", "什么服务!"]);
    assert_eq!(reply.text, "你们这是什么服务!");
    assert_eq!(reply.finish_reason.as_deref(), Some("stop"));
    assert_eq!(reply.usage.unwrap().completion_tokens, 5);
    assert!(reply.streamed && reply.first_token.is_some());
    assert_eq!(reply.attempts, 1);

    let reqs = server.chat_requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/v1/chat/completions");
    assert_eq!(
        r.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    let body = r.json();
    assert_eq!(body["model"], "mock-model");
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"]["include_usage"], true);
    assert_eq!(body["messages"][1]["role"], "user");
    assert_eq!(body["messages"][1]["content"], "您好");
}

#[test]
fn a_usage_chunk_that_keeps_its_choices_is_read_too() {
    // LiteLLM: the usage chunk repeats a choice with an empty delta.
    let server = Server::start(vec![vec![
        sse_head(),
        event(&token("好")),
        event(
            r#"{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1}}"#,
        ),
        event("[DONE]"),
    ]]);
    let reply = chat(settings(&server)).result.unwrap();
    assert_eq!(reply.text, "好");
    assert_eq!(reply.usage.unwrap().prompt_tokens, 1);
}

#[test]
fn a_non_streamed_reply_arrives_whole() {
    let server = Server::start(vec![completion("我要退款。")]);
    let mut s = settings(&server);
    s.stream = false;
    let run = chat(s);
    let reply = run.result.unwrap();
    assert_eq!(run.tokens, ["我要退款。"]);
    assert_eq!(reply.text, "我要退款。");
    assert!(!reply.streamed);
    let body = server.chat_requests()[0].json();
    assert_eq!(body["stream"], false);
    assert!(body.get("stream_options").is_none());
}

#[test]
fn a_server_that_ignores_stream_is_read_as_json() {
    let server = Server::start(vec![completion("行吧。")]);
    let reply = chat(settings(&server)).result.unwrap();
    assert_eq!(reply.text, "行吧。");
}

#[test]
fn rate_limit_with_retry_after_is_honoured() {
    let server = Server::start(vec![
        json(
            429,
            &[("Retry-After", "1")],
            r#"{"error":{"message":"slow down"}}"#,
        ),
        sse_reply(&["好"]),
    ]);
    let run = chat(settings(&server));
    assert_eq!(run.result.unwrap().attempts, 2);
    assert_eq!(run.retries, [(2, Duration::from_secs(1))]);
    assert!(run.elapsed >= Duration::from_secs(1), "{:?}", run.elapsed);
    assert_eq!(server.chat_requests().len(), 2);
}

#[test]
fn litellm_429_without_retry_after_backs_off_and_gives_up_after_three() {
    // LiteLLM answers 429 as plain JSON, before any SSE, even when streaming.
    let server = Server::start(vec![json(
        429,
        &[],
        r#"{"error":{"message":"No deployments available","type":"None","code":"429"}}"#,
    )]);
    let run = chat(settings(&server));
    match run.result.unwrap_err() {
        LlmError::RateLimited {
            retry_after,
            message,
        } => {
            assert_eq!(retry_after, None);
            assert!(message.contains("No deployments"), "{message}");
        }
        e => panic!("{e:?}"),
    }
    assert_eq!(
        server.chat_requests().len(),
        3,
        "bounded: three requests in all"
    );
    assert_eq!(
        run.retries,
        [
            (2, Duration::from_millis(10)),
            (3, Duration::from_millis(20))
        ]
    );
}

#[test]
fn a_retry_after_beyond_the_cap_is_reported_not_waited() {
    let server = Server::start(vec![json(429, &[("Retry-After", "3600")], "{}")]);
    let run = chat(settings(&server));
    let e = run.result.unwrap_err();
    assert!(e.to_string().contains("3600 秒后再试"), "{e}");
    assert_eq!(server.chat_requests().len(), 1);
    assert!(run.elapsed < Duration::from_secs(2));
}

#[test]
fn server_error_then_success() {
    let server = Server::start(vec![
        json(500, &[], r#"{"error":{"message":"boom"}}"#),
        sse_reply(&["嗯"]),
    ]);
    let run = chat(settings(&server));
    assert_eq!(run.result.unwrap().text, "嗯");
    assert_eq!(run.retries.len(), 1);
    assert_eq!(server.chat_requests().len(), 2);
}

#[test]
fn a_non_json_error_body_is_shown_briefly() {
    let page = format!(
        "<html><body>502 Bad Gateway {}</body></html>",
        "x".repeat(500)
    );
    let server = Server::start(vec![text(502, &page)]);
    let e = chat(settings(&server)).result.unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, LlmError::Status { status: 502, .. }), "{e:?}");
    assert!(
        msg.contains("502 Bad Gateway") && msg.chars().count() < 300,
        "{msg}"
    );
    assert_eq!(server.chat_requests().len(), 3);
}

#[test]
fn a_stream_dropped_midway_is_broken_and_not_retried() {
    let server = Server::start(vec![vec![
        sse_head(),
        event(&token("你们")),
        event(&token("到底")),
    ]]);
    let run = chat(settings(&server));
    match run.result.unwrap_err() {
        LlmError::BrokenStream { partial, .. } => assert!(partial),
        e => panic!("{e:?}"),
    }
    assert_eq!(run.tokens, ["你们", "到底"]);
    assert_eq!(
        server.chat_requests().len(),
        1,
        "no retry once tokens were shown"
    );
}

#[test]
fn a_chunked_body_cut_off_is_broken() {
    let server = Server::start(vec![vec![
        send(
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n",
        ),
        send({
            let e = format!("data: {}\n\n", token("喂"));
            format!("{:x}\r\n{e}\r\n", e.len())
        }),
        send("40\r\ndata: {\"cho"),
    ]]);
    let e = chat(settings(&server)).result.unwrap_err();
    assert!(
        matches!(e, LlmError::BrokenStream { partial: true, .. }),
        "{e:?}"
    );
}

#[test]
fn a_midstream_error_event_is_broken() {
    // LiteLLM's fault-midstream: two chunks, an error event, no [DONE].
    let server = Server::start(vec![vec![
        sse_head(),
        event(&token("一")),
        event(&token("二")),
        event(r#"{"error":{"message":"upstream died","code":500}}"#),
    ]]);
    let e = chat(settings(&server)).result.unwrap_err();
    assert!(e.to_string().contains("upstream died"), "{e}");
    assert!(matches!(e, LlmError::BrokenStream { partial: true, .. }));
}

#[test]
fn garbage_lines_are_skipped_and_garbage_data_is_an_error() {
    let server = Server::start(vec![vec![
        sse_head(),
        send("garbage without a colon\n: comment\nretry: 10\n\n"),
        event(&token("好的")),
        event("{\"choices\": [unterminated"),
    ]]);
    let run = chat(settings(&server));
    assert_eq!(run.tokens, ["好的"]);
    let e = run.result.unwrap_err();
    assert!(matches!(e, LlmError::Malformed { .. }), "{e:?}");
    assert!(e.to_string().contains("不是 JSON"), "{e}");
}

#[test]
fn a_server_slower_than_the_timeout_times_out() {
    let server = Server::start(vec![vec![ms(3000), sse_head()]]);
    let mut s = settings(&server);
    s.read_timeout = Duration::from_millis(300);
    let run = chat(s);
    assert!(
        matches!(
            run.result,
            Err(LlmError::ReadTimeout { partial: false, .. })
        ),
        "{:?}",
        run.result
    );
    assert!(run.elapsed < Duration::from_secs(2), "{:?}", run.elapsed);
    assert_eq!(server.chat_requests().len(), 1, "a timeout is not retried");
}

#[test]
fn a_stream_that_stalls_times_out_with_its_partial_text_shown() {
    let server = Server::start(vec![vec![sse_head(), event(&token("等等")), ms(3000)]]);
    let mut s = settings(&server);
    s.read_timeout = Duration::from_millis(300);
    let run = chat(s);
    assert!(matches!(
        run.result,
        Err(LlmError::ReadTimeout { partial: true, .. })
    ));
    assert_eq!(run.tokens, ["等等"]);
}

#[test]
fn cancelling_stops_a_stalled_stream_quickly() {
    let server = Server::start(vec![vec![sse_head(), event(&token("我")), ms(5000)]]);
    let cancel = Arc::new(AtomicBool::new(false));
    let c = Arc::clone(&cancel);
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        c.store(true, Ordering::Relaxed);
    });
    let run = chat_with(settings(&server), &cancel);
    assert!(matches!(run.result, Err(LlmError::Cancelled)));
    assert!(run.elapsed < Duration::from_secs(1), "{:?}", run.elapsed);
}

#[test]
fn escape_sequences_inside_the_content_never_come_out() {
    let server = Server::start(vec![sse_reply(&[
        "你们\u{1b}[2J\u{1b}[",
        "31m骗子\u{1b}]0;pwned\u{7}",
        "!\u{9b}1A\r\u{0}",
    ])]);
    let run = chat(settings(&server));
    let reply = run.result.unwrap();
    assert_eq!(reply.text, "你们骗子!");
    let shown = run.tokens.concat();
    assert_eq!(shown, "你们骗子!");
    assert!(!shown.chars().any(char::is_control));
}

#[test]
fn a_rejected_key_is_not_retried_and_never_printed() {
    let server = Server::start(vec![json(
        401,
        &[],
        &format!(
            r#"{{"error":{{"message":"Incorrect API key provided: {KEY}","type":"invalid_request_error"}}}}"#
        ),
    )]);
    let e = chat(settings(&server)).result.unwrap_err();
    assert!(
        matches!(e, LlmError::Unauthorized { status: 401, .. }),
        "{e:?}"
    );
    let msg = e.to_string();
    no_key_in(&msg);
    no_key_in(&format!("{e:?}"));
    assert!(
        msg.contains("OPENAI_API_KEY") && msg.contains("<已隐藏>"),
        "{msg}"
    );
    assert_eq!(server.chat_requests().len(), 1);
}

#[test]
fn a_context_length_error_is_recognised() {
    let server = Server::start(vec![json(
        400,
        &[],
        r#"{"error":{"code":400,"message":"the request exceeds the available context size, try increasing it","type":"exceed_context_size_error","n_prompt_tokens":20000,"n_ctx":8192}}"#,
    )]);
    let e = chat(settings(&server)).result.unwrap_err();
    assert!(matches!(e, LlmError::ContextLength { .. }), "{e:?}");
    assert!(e.to_string().contains("上下文"));
    assert_eq!(server.chat_requests().len(), 1);
}

#[test]
fn empty_choices_is_an_error() {
    let server = Server::start(vec![json(200, &[], r#"{"id":"x","choices":[]}"#)]);
    let mut s = settings(&server);
    s.stream = false;
    assert!(matches!(chat(s).result, Err(LlmError::EmptyChoices)));
}

#[test]
fn a_refused_connection_is_retried_then_reported_with_the_server() {
    let port = closed_port();
    let mut s = Settings::for_url(&format!("http://127.0.0.1:{port}/v1")).unwrap();
    s.model = Some("m".into());
    s.retry.base_delay = Duration::from_millis(10);
    let run = chat(s);
    let e = run.result.unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("连不上 http://127.0.0.1:{port}/v1：服务没有启动？（连接被拒绝）")
    );
    assert_eq!(run.retries.len(), 2);
}

#[test]
fn without_a_model_the_first_listed_one_is_used() {
    let server = Server::start(vec![sse_reply(&["好"])]).with_models(json(
        200,
        &[],
        &models(&["qwen2.5:7b", "llama3"]),
    ));
    let mut s = settings(&server);
    s.model = None;
    let client = Client::new(s).unwrap();
    let cancel = AtomicBool::new(false);
    assert_eq!(client.models(&cancel).unwrap(), ["qwen2.5:7b", "llama3"]);
    let messages = [Message::user("您好")];
    let reply = client
        .chat(
            &client.request(&messages),
            &mut |_| ControlFlow::Continue(()),
            &cancel,
        )
        .unwrap();
    assert_eq!(reply.model, "qwen2.5:7b");
    assert_eq!(server.chat_requests()[0].json()["model"], "qwen2.5:7b");
}

#[test]
fn a_sink_can_stop_a_reply() {
    let server = Server::start(vec![sse_reply(&["一", "二", "三"])]);
    let client = Client::new(settings(&server)).unwrap();
    let messages = [Message::user("您好")];
    let mut seen = 0;
    let reply = client
        .chat(
            &client.request(&messages),
            &mut |_| {
                seen += 1;
                if seen == 2 {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            },
            &AtomicBool::new(false),
        )
        .unwrap();
    assert!(reply.halted);
    assert_eq!(reply.text, "一");
}

/// A server that drips a token every 200 ms is never silent for the read timeout; the
/// reply's deadline stops it, with the words so far counted as partial.
#[test]
fn a_dripping_stream_is_cut_at_the_reply_deadline() {
    let mut drip = vec![sse_head()];
    for _ in 0..60 {
        drip.push(event(&token("嗯")));
        drip.push(ms(200));
    }
    drip.push(event("[DONE]"));
    let server = Server::start(vec![drip]);
    let mut s = settings(&server);
    s.reply_timeout = Duration::from_secs(1);
    let run = chat(s);
    assert!(
        matches!(run.result, Err(LlmError::Deadline { partial: true, .. })),
        "{:?}",
        run.result
    );
    assert!(!run.tokens.is_empty());
    // The whole drip takes 12 s.
    assert!(run.elapsed < Duration::from_secs(8), "{:?}", run.elapsed);
    assert_eq!(server.chat_requests().len(), 1, "a deadline is not retried");
}

#[test]
fn a_retry_that_cannot_finish_before_the_deadline_is_not_waited_for() {
    let server = Server::start(vec![json(
        429,
        &[("Retry-After", "10")],
        r#"{"error":{"message":"slow down"}}"#,
    )]);
    let mut s = settings(&server);
    s.reply_timeout = Duration::from_secs(2);
    let run = chat(s);
    assert!(
        matches!(run.result, Err(LlmError::RateLimited { .. })),
        "{:?}",
        run.result
    );
    assert!(run.retries.is_empty(), "{:?}", run.retries);
    assert!(run.elapsed < Duration::from_secs(5), "{:?}", run.elapsed);
}

#[test]
fn a_stream_without_choices_is_a_server_fault() {
    let server = Server::start(vec![vec![
        sse_head(),
        event(r#"{"choices":[]}"#),
        event(r#"{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":0}}"#),
        event("[DONE]"),
    ]]);
    let e = chat(settings(&server)).result.unwrap_err();
    assert!(matches!(e, LlmError::EmptyChoices), "{e:?}");
    assert!(e.to_string().contains("服务端出错"), "{e}");
}

#[test]
fn a_stream_whose_content_is_always_null_is_a_server_fault() {
    let server = Server::start(vec![vec![
        sse_head(),
        event(&delta("null")),
        event(&delta("null")),
        event(r#"{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#),
        event("[DONE]"),
    ]]);
    let e = chat(settings(&server)).result.unwrap_err();
    assert!(matches!(e, LlmError::NullContent), "{e:?}");
}

#[test]
fn a_non_streamed_null_content_is_a_server_fault() {
    let server = Server::start(vec![json(
        200,
        &[],
        r#"{"choices":[{"index":0,"message":{"role":"assistant","content":null},"finish_reason":"stop"}]}"#,
    )]);
    let mut s = settings(&server);
    s.stream = false;
    assert!(matches!(chat(s).result, Err(LlmError::NullContent)));
}

/// A reply that echoes the key, split across tokens: no token carries any of it, and
/// the text holds a placeholder instead.
#[test]
fn a_reply_echoing_the_key_never_streams_any_of_it() {
    let server = Server::start(vec![sse_reply(&[
        "好的,密钥是 ",
        "sk-unit-",
        "test-key",
        "-4c1d2e",
        " 对吧",
    ])]);
    let run = chat(settings(&server));
    let reply = run.result.unwrap();
    assert_eq!(reply.text, "好的,密钥是 <已隐藏> 对吧");
    for t in &run.tokens {
        assert!(!t.contains("sk-u"), "a start of the key streamed: {t}");
    }
    assert_eq!(run.tokens.concat(), reply.text);

    let server = Server::start(vec![completion(&format!("说 {KEY} 了"))]);
    let mut s = settings(&server);
    s.stream = false;
    let run = chat(s);
    assert_eq!(run.result.unwrap().text, "说 <已隐藏> 了");
    no_key_in(&run.tokens.concat());
}

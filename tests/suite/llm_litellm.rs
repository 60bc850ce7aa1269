//! Against the LiteLLM proxy of ../shared/llm-peer (`litellm.sh start`, key
//! `sk-test-master`), whose mock models fail on demand. Not part of `.ci/run` (the proxy
//! is a 365 MB install); run it by hand:
//!
//! ```sh
//! PEILIAN_TEST_LITELLM_URL=$(../shared/llm-peer/litellm.sh start) cargo test --test tests llm_litellm::
//! ```

use std::ops::ControlFlow;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use peilian::llm::{ApiKey, Client, LlmError, Message, Reply, Settings};

fn chat(model: &str, stream: bool, timeout: Duration) -> Option<(Result<Reply, LlmError>, u32)> {
    let url = std::env::var("PEILIAN_TEST_LITELLM_URL")
        .ok()
        .filter(|u| !u.is_empty());
    let Some(url) = url else {
        eprintln!("skipped: PEILIAN_TEST_LITELLM_URL is not set");
        return None;
    };
    let mut s = Settings::for_url(&url).unwrap();
    s.model = Some(model.into());
    s.api_key = ApiKey::new("sk-test-master");
    s.stream = stream;
    s.read_timeout = timeout;
    s.retry.base_delay = Duration::from_millis(50);
    let client = Client::new(s).unwrap();
    let messages = [Message::user("您好")];
    let mut retries = 0;
    let r = client.chat(
        &client.request(&messages),
        &mut |ev| {
            if matches!(ev, peilian::llm::ReplyEvent::Retrying { .. }) {
                retries += 1;
            }
            ControlFlow::Continue(())
        },
        &AtomicBool::new(false),
    );
    eprintln!("{model} (stream {stream}): {r:?}, {retries} retries");
    Some((r, retries))
}

const T: Duration = Duration::from_secs(20);

#[test]
fn mock_gpt_answers_streamed_and_not() {
    for stream in [true, false] {
        let Some((r, _)) = chat("mock-gpt", stream, T) else {
            return;
        };
        assert!(r.unwrap().text.contains("LiteLLM mock"));
    }
}

#[test]
fn mock_429_is_rate_limited_after_bounded_retries() {
    let Some((r, retries)) = chat("mock-429", true, T) else {
        return;
    };
    assert!(
        matches!(
            r,
            Err(LlmError::RateLimited {
                retry_after: None,
                ..
            })
        ),
        "{r:?}"
    );
    assert_eq!(retries, 2);
}

#[test]
fn mock_500_is_a_server_error_after_bounded_retries() {
    let Some((r, retries)) = chat("mock-500", true, T) else {
        return;
    };
    assert!(
        matches!(r, Err(LlmError::Status { status: 500, .. })),
        "{r:?}"
    );
    assert_eq!(retries, 2);
}

#[test]
fn mock_ctx_is_a_context_error() {
    let Some((r, _)) = chat("mock-ctx", true, T) else {
        return;
    };
    assert!(matches!(r, Err(LlmError::ContextLength { .. })), "{r:?}");
}

#[test]
fn mock_slow_times_out() {
    let start = Instant::now();
    let Some((r, _)) = chat("mock-slow", false, Duration::from_secs(1)) else {
        return;
    };
    assert!(matches!(r, Err(LlmError::ReadTimeout { .. })), "{r:?}");
    assert!(start.elapsed() < Duration::from_secs(3));
}

#[test]
fn fault_midstream_is_a_broken_stream() {
    let Some((r, _)) = chat("fault-midstream", true, T) else {
        return;
    };
    assert!(
        matches!(r, Err(LlmError::BrokenStream { partial: true, .. })),
        "{r:?}"
    );
}

#[test]
fn fault_stall_times_out_with_partial_text() {
    let Some((r, _)) = chat("fault-stall", true, Duration::from_secs(2)) else {
        return;
    };
    assert!(
        matches!(r, Err(LlmError::ReadTimeout { partial: true, .. })),
        "{r:?}"
    );
}

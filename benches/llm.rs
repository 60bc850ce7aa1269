//! The LLM client's own cost per turn, against a loopback server that sends a whole
//! 2,000-token reply at once (so the time measured is the client's, not a model's):
//! building the request for a 20-exchange session, the time per streamed token, the time
//! from the last token to the call's return, and heap allocations per token.
//!
//! `cargo bench --bench llm`

#[path = "../tests/llm_support/mod.rs"]
mod llm_support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use llm_support::*;
use peilian::engine::{Engine, OfflineVoice};
use peilian::llm::{Client, Exchange, Message, PromptBook, Settings, TurnRequest};
use peilian::persona::Catalog;
use peilian::rubric::default_rubric;

struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const TOKENS: usize = 2000;

fn main() {
    // Request build: the prompt of turn 21 with 20 exchanges behind it, serialised.
    let catalog = Catalog::load(None, default_rubric()).unwrap();
    let p = &catalog.find("prepared").unwrap().persona;
    let engine = Engine::new(p, &p.scenarios[0], "normal", default_rubric()).unwrap();
    let book = PromptBook::new(&engine);
    let mut st = engine.initial_state(1);
    let opening = OfflineVoice.speak(&engine, &engine.open(), &mut st);
    let line = "您好,非常理解您的心情,请问您的维修单号是多少?";
    let mut report = engine.turn(&mut st, line);
    let history: Vec<Exchange<'_>> = (0..20)
        .map(|_| Exchange {
            trainee: line,
            customer: &opening,
        })
        .collect();
    let n = 2000;
    let start = Instant::now();
    let mut bytes = 0;
    for _ in 0..n {
        let req = TurnRequest {
            state: &st,
            decision: &report.decision,
            opening: &opening,
            history: &history,
            trainee: Some(line),
        };
        let msgs: Vec<Message> = book.messages(&req, None);
        bytes += serde_json::to_vec(&msgs).unwrap().len();
    }
    let build = start.elapsed() / n;
    println!(
        "request build (20 exchanges, {} bytes): {build:?}",
        bytes / n as usize
    );
    report.decision.moves.clear();

    // A 2,000-token reply sent in one go.
    let tokens: Vec<String> = (0..TOKENS).map(|i| format!("字{}", i % 10)).collect();
    let refs: Vec<&str> = tokens.iter().map(String::as_str).collect();
    let server = Server::start(vec![sse_reply(&refs)]);
    let mut s = Settings::for_url(&server.url()).unwrap();
    s.model = Some("bench".into());
    s.read_timeout = Duration::from_secs(10);
    let client = Client::new(s).unwrap();
    let messages = [Message::user("您好")];
    let cancel = AtomicBool::new(false);
    let mut runs = Vec::new();
    for _ in 0..5 {
        let mut rendered = String::with_capacity(8 * TOKENS);
        let mut last_token = Instant::now();
        let mut first_token = None;
        let allocs_before = ALLOCS.load(Ordering::Relaxed);
        let start = Instant::now();
        let reply = client
            .chat(
                &client.request(&messages),
                &mut |ev| {
                    if let peilian::llm::ReplyEvent::Token(t) = ev {
                        rendered.push_str(t);
                        first_token.get_or_insert_with(Instant::now);
                        last_token = Instant::now();
                    }
                    ControlFlow::Continue(())
                },
                &cancel,
            )
            .unwrap();
        let done = Instant::now();
        let allocs = ALLOCS.load(Ordering::Relaxed) - allocs_before;
        assert_eq!(reply.text.chars().count(), 2 * TOKENS);
        runs.push((
            last_token - first_token.unwrap(),
            done - last_token,
            allocs,
            done - start,
        ));
    }
    runs.sort_by_key(|r| r.3);
    let (stream, tail, allocs, total) = runs[runs.len() / 2];
    println!(
        "2,000-token reply (median of 5): whole call {total:?}, per token {:?}, last token to return {tail:?}, {allocs} allocations ({:.2} per token)",
        stream / TOKENS as u32,
        allocs as f64 / TOKENS as f64
    );
}
